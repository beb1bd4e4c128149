/**
 * Local actions (mark read, flag, move, delete): shown at once in the store, carried
 * out on the real server by the tasks job, and never showing a message twice or losing it.
 */
import { strict as assert } from 'node:assert';
import type { MailDesk } from '../../src/core/maildesk';
import type { MessageRow } from '../../src/core/store/store';
import { syncOnce } from '../../src/core/sync/once';
import { requireDovecot, startDovecot, type Dovecot } from '../support/dovecot';
import { imapAccount, openCore } from '../support/core';
import { seedMessages } from '../support/seed';
import { rawSql } from '../support/rawStoreSql';

const USERS = ['flags', 'move', 'moveunsynced', 'del'];

describe('local actions reach the server (Dovecot)', function () {
  let dv: Dovecot;
  const cores: MailDesk[] = [];
  const passwords = Object.fromEntries(USERS.map((u) => [u, 'secret']));

  before(async function () {
    requireDovecot(this);
    dv = await startDovecot({ users: { ...passwords }, specialFolders: ['Trash', 'Archive'] });
  });
  afterEach(async () => {
    for (const c of cores.splice(0)) await c.close().catch(() => undefined);
  });
  after(async () => {
    await dv?.dispose();
  });

  async function synced(user: string, n: number, folders?: string[]): Promise<MailDesk> {
    dv.seedMaildir(user, 'INBOX', seedMessages(n));
    const c = await openCore(undefined, passwords);
    cores.push(c);
    await c.addAccount(imapAccount(user, dv.port, { folders }));
    const r = await syncOnce(c, [user]);
    assert.ok(r.ok, r.failed.map((j) => `${j.id}: ${j.errorMessage}`).join('; '));
    return c;
  }

  const fid = (c: MailDesk, user: string, path: string): number => c.store.getFolder(user, path)!.id;
  const list = (c: MailDesk, user: string, path: string): MessageRow[] => c.store.listMessages(fid(c, user, path), { limit: 10_000 });
  const bySubject = (c: MailDesk, user: string, path: string, subject: string): MessageRow[] => list(c, user, path).filter((m) => m.subject === subject);

  /** What another mail client sees on the server: subject -> flags, for one folder. */
  const onServer = (user: string, folder: string): Promise<Map<string, string[]>> => dv.flagsBySubject(user, folder);

  async function settle(c: MailDesk, user: string): Promise<void> {
    const r = await syncOnce(c, [user]);
    assert.ok(r.ok, r.failed.map((j) => `${j.id}: ${j.errorMessage}`).join('; '));
    const failedTasks = rawSql(c.store).all<{ kind: string; error: string }>(`SELECT kind, error FROM tasks WHERE status != 'done'`);
    assert.deepEqual(failedTasks, [], 'every local action reached the server');
  }

  it('mark read and flag: shown at once, set on the server, and not undone by the next sync', async () => {
    const c = await synced('flags', 5);
    const inbox = fid(c, 'flags', 'INBOX');
    const m = bySubject(c, 'flags', 'INBOX', 'Msg 3')[0];
    c.setFlags(m.id, inbox, ['\\Seen', '\\Flagged'], []);
    assert.deepEqual(c.store.getMessage(m.id, inbox)?.flags, ['\\Seen', '\\Flagged'], 'the local step is immediate');
    assert.equal(c.store.localCounts(inbox).unread, 4);

    await settle(c, 'flags');
    assert.deepEqual((await onServer('flags', 'INBOX')).get('Msg 3'), ['\\Flagged', '\\Seen']);
    await settle(c, 'flags');
    assert.deepEqual(c.store.getMessage(m.id, inbox)?.flags, ['\\Seen', '\\Flagged']);

    c.setFlags(m.id, inbox, [], ['\\Seen']);
    assert.deepEqual(c.store.getMessage(m.id, inbox)?.flags, ['\\Flagged']);
    await settle(c, 'flags');
    assert.deepEqual((await onServer('flags', 'INBOX')).get('Msg 3'), ['\\Flagged']);
    assert.equal(c.store.localCounts(inbox).unread, 5);
  });

  it('move to a synced folder: in the target at once, never in both, never lost, and moved on the server', async () => {
    const c = await synced('move', 6, ['INBOX', 'Archive', 'Trash']);
    const inbox = fid(c, 'move', 'INBOX');
    const m = bySubject(c, 'move', 'INBOX', 'Msg 2')[0];
    c.moveMessage(m.id, inbox, 'Archive');

    // Right after the local step.
    assert.equal(bySubject(c, 'move', 'INBOX', 'Msg 2').length, 0, 'still shown in INBOX');
    assert.equal(bySubject(c, 'move', 'Archive', 'Msg 2').length, 1, 'not shown in Archive');
    assert.equal(list(c, 'move', 'INBOX').length, 5);

    await settle(c, 'move');
    assert.equal(bySubject(c, 'move', 'INBOX', 'Msg 2').length, 0);
    const moved = bySubject(c, 'move', 'Archive', 'Msg 2');
    assert.equal(moved.length, 1, `Archive shows it ${moved.length} times after the sync`);
    assert.ok(moved[0].uid, 'the moved copy knows its server UID');
    assert.ok(!(await onServer('move', 'INBOX')).has('Msg 2'));
    assert.ok((await onServer('move', 'Archive')).has('Msg 2'));

    // Later cycles keep it exactly once too.
    await settle(c, 'move');
    assert.equal(bySubject(c, 'move', 'Archive', 'Msg 2').length, 1);
    assert.equal(list(c, 'move', 'INBOX').length, 5);
    assert.equal(c.store.stats().messages, 6);
  });

  it('move to a folder that was never synced: the target adopts the server copy by Message-ID', async () => {
    const c = await synced('moveunsynced', 4);
    const inbox = fid(c, 'moveunsynced', 'INBOX');
    const m = bySubject(c, 'moveunsynced', 'INBOX', 'Msg 1')[0];
    c.moveMessage(m.id, inbox, 'Archive');
    assert.equal(bySubject(c, 'moveunsynced', 'INBOX', 'Msg 1').length, 0);
    assert.equal(bySubject(c, 'moveunsynced', 'Archive', 'Msg 1').length, 1);

    await settle(c, 'moveunsynced');
    assert.ok((await onServer('moveunsynced', 'Archive')).has('Msg 1'));
    await c.setFolderSelected('moveunsynced', 'Archive', true);
    await settle(c, 'moveunsynced');
    const there = bySubject(c, 'moveunsynced', 'Archive', 'Msg 1');
    assert.equal(there.length, 1, `Archive shows it ${there.length} times`);
    assert.equal(there[0].id, m.id, 'the same message, adopted rather than duplicated');
    assert.ok(there[0].uid);
    assert.equal(bySubject(c, 'moveunsynced', 'INBOX', 'Msg 1').length, 0);
  });

  it('delete moves to Trash; delete in Trash removes it from the server for good', async () => {
    const c = await synced('del', 3, ['INBOX', 'Trash']);
    const inbox = fid(c, 'del', 'INBOX');
    const m = bySubject(c, 'del', 'INBOX', 'Msg 0')[0];
    c.deleteMessage(m.id, inbox);
    assert.equal(bySubject(c, 'del', 'INBOX', 'Msg 0').length, 0);
    assert.equal(bySubject(c, 'del', 'Trash', 'Msg 0').length, 1);
    await settle(c, 'del');
    assert.ok(!(await onServer('del', 'INBOX')).has('Msg 0'));
    assert.ok((await onServer('del', 'Trash')).has('Msg 0'));
    assert.equal(bySubject(c, 'del', 'Trash', 'Msg 0').length, 1);

    const trash = fid(c, 'del', 'Trash');
    const inTrash = bySubject(c, 'del', 'Trash', 'Msg 0')[0];
    c.deleteMessage(inTrash.id, trash);
    assert.equal(bySubject(c, 'del', 'Trash', 'Msg 0').length, 0, 'hidden at once');
    await settle(c, 'del');
    assert.ok(!(await onServer('del', 'Trash')).has('Msg 0'), 'still on the server');
    assert.ok(!(await onServer('del', 'INBOX')).has('Msg 0'));
    await settle(c, 'del');
    assert.equal(bySubject(c, 'del', 'Trash', 'Msg 0').length, 0);
    assert.deepEqual(list(c, 'del', 'INBOX').map((x) => x.subject), ['Msg 2', 'Msg 1']);
  });
});
