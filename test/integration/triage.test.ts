/**
 * Triage and Undo against a real IMAP server (Dovecot): every action is shown in the store at
 * once, reaches the server through the tasks job, and its Undo puts the message back, on the
 * server too, whether the undo comes before the server step ran or after.
 */
import { strict as assert } from 'node:assert';
import type { MailDesk } from '../../src/core/maildesk';
import type { MessageRow } from '../../src/core/store/store';
import { syncOnce } from '../../src/core/sync/once';
import { requireDovecot, startDovecot, type Dovecot } from '../support/dovecot';
import { imapAccount, openCore } from '../support/core';
import { rawMessage } from '../support/rawmail';
import { seedMessages } from '../support/seed';
import { rawSql } from '../support/rawStoreSql';

const USERS = ['arch', 'archlate', 'trash', 'forgood', 'junk', 'moveto', 'flags', 'allread', 'thread', 'notrash'];
const ALL = ['INBOX', 'Archive', 'Trash', 'Junk', 'Projects'];

describe('triage and undo reach the server (Dovecot)', function () {
  let dv: Dovecot;
  const cores: MailDesk[] = [];
  const passwords = Object.fromEntries(USERS.map((u) => [u, 'secret']));

  before(async function () {
    requireDovecot(this);
    dv = await startDovecot({ users: { ...passwords }, specialFolders: ['Trash', 'Archive', 'Junk'], extraFolders: ['Projects'] });
  });
  afterEach(async () => {
    for (const c of cores.splice(0)) await c.close().catch(() => undefined);
  });
  after(async () => {
    await dv?.dispose();
  });

  async function synced(user: string, n: number, folders = ALL): Promise<MailDesk> {
    dv.seedMaildir(user, 'INBOX', seedMessages(n));
    const c = await openCore(undefined, passwords);
    cores.push(c);
    await c.addAccount(imapAccount(user, dv.port, { folders }));
    await settle(c, user);
    return c;
  }

  const fid = (c: MailDesk, user: string, path: string): number => c.store.getFolder(user, path)!.id;
  const list = (c: MailDesk, user: string, path: string): MessageRow[] => c.store.listMessages(fid(c, user, path), { limit: 10_000 });
  const subjects = (c: MailDesk, user: string, path: string): string[] => list(c, user, path).map((m) => m.subject).sort();
  const one = (c: MailDesk, user: string, path: string, subject: string): MessageRow => {
    const found = list(c, user, path).filter((m) => m.subject === subject);
    assert.equal(found.length, 1, `${subject} is in ${path} ${found.length} times`);
    return found[0];
  };
  const key = (c: MailDesk, user: string, path: string, subject: string) => ({ messageId: one(c, user, path, subject).id, folderId: fid(c, user, path) });

  /** What another mail client sees on the server: subject -> flags, for one folder. */
  const onServer = (user: string, folder: string): Promise<Map<string, string[]>> => dv.flagsBySubject(user, folder);
  const serverSubjects = async (user: string, folder: string): Promise<string[]> => [...(await onServer(user, folder)).keys()].sort();

  async function settle(c: MailDesk, user: string): Promise<void> {
    const r = await syncOnce(c, [user]);
    assert.ok(r.ok, r.failed.map((j) => `${j.id}: ${j.errorMessage}`).join('; '));
    const failedTasks = rawSql(c.store).all<{ kind: string; error: string }>(`SELECT kind, error FROM tasks WHERE status != 'done'`);
    assert.deepEqual(failedTasks, [], 'every local action reached the server');
  }

  it('archive: in Archive at once and on the server; Undo (before the server step ran) puts it back in INBOX', async () => {
    const c = await synced('arch', 4);
    const r = await c.applyAction([key(c, 'arch', 'INBOX', 'Msg 1'), key(c, 'arch', 'INBOX', 'Msg 2')], { kind: 'archive' });
    assert.equal(r.ok, true);
    assert.equal(r.count, 2);
    assert.equal(r.label, 'Archived 2 messages');
    assert.ok(r.undoId);
    assert.deepEqual(subjects(c, 'arch', 'Archive'), ['Msg 1', 'Msg 2']);
    assert.deepEqual(subjects(c, 'arch', 'INBOX'), ['Msg 0', 'Msg 3']);

    // Undo straight away: the move and its inverse both go to the server, in order.
    const u = await c.undo(r.undoId);
    assert.deepEqual([u.ok, u.count, u.skipped], [true, 2, 0]);
    assert.equal(u.label, 'Undid: Archived 2 messages');
    assert.deepEqual(subjects(c, 'arch', 'INBOX'), ['Msg 0', 'Msg 1', 'Msg 2', 'Msg 3']);
    await settle(c, 'arch');
    assert.deepEqual(await serverSubjects('arch', 'INBOX'), ['Msg 0', 'Msg 1', 'Msg 2', 'Msg 3']);
    assert.deepEqual(await serverSubjects('arch', 'Archive'), []);
    await settle(c, 'arch');
    assert.deepEqual(subjects(c, 'arch', 'INBOX'), ['Msg 0', 'Msg 1', 'Msg 2', 'Msg 3'], 'each once after the next sync');
    assert.ok(list(c, 'arch', 'INBOX').every((m) => m.uid), 'every message knows its server UID again');
    assert.equal((await c.undo(r.undoId)).ok, false, 'an undo is used once');
  });

  it('archive, server step done, then Undo: found in Archive by Message-ID and moved back', async () => {
    const c = await synced('archlate', 3);
    const r = await c.applyAction([key(c, 'archlate', 'INBOX', 'Msg 0')], { kind: 'archive' });
    await settle(c, 'archlate');
    assert.deepEqual(await serverSubjects('archlate', 'Archive'), ['Msg 0']);
    assert.deepEqual(await serverSubjects('archlate', 'INBOX'), ['Msg 1', 'Msg 2']);
    const u = await c.undo(); // the last action
    assert.equal(u.count, 1);
    await settle(c, 'archlate');
    assert.deepEqual(await serverSubjects('archlate', 'INBOX'), ['Msg 0', 'Msg 1', 'Msg 2']);
    assert.deepEqual(await serverSubjects('archlate', 'Archive'), []);
    await settle(c, 'archlate');
    assert.deepEqual(subjects(c, 'archlate', 'INBOX'), ['Msg 0', 'Msg 1', 'Msg 2']);
    assert.deepEqual(subjects(c, 'archlate', 'Archive'), []);
    assert.ok(r.undoId);
  });

  it('delete goes to Trash and Undo restores it; in Trash delete asks for confirmation, then removes it for good', async () => {
    const c = await synced('trash', 3);
    const r = await c.applyAction([key(c, 'trash', 'INBOX', 'Msg 2')], { kind: 'delete' });
    assert.equal(r.label, 'Moved to Trash 1 message');
    assert.deepEqual(subjects(c, 'trash', 'Trash'), ['Msg 2']);
    await settle(c, 'trash');
    assert.deepEqual(await serverSubjects('trash', 'Trash'), ['Msg 2']);
    await c.undo(r.undoId);
    await settle(c, 'trash');
    assert.deepEqual(await serverSubjects('trash', 'INBOX'), ['Msg 0', 'Msg 1', 'Msg 2']);
    assert.deepEqual(await serverSubjects('trash', 'Trash'), []);

    // Delete again, then delete in Trash: nothing happens without `permanent`.
    await c.applyAction([key(c, 'trash', 'INBOX', 'Msg 2')], { kind: 'delete' });
    await settle(c, 'trash');
    const k = key(c, 'trash', 'Trash', 'Msg 2');
    const ask = await c.applyAction([k], { kind: 'delete' });
    assert.equal(ask.ok, false);
    assert.match(ask.confirm ?? '', /for good/);
    assert.deepEqual(subjects(c, 'trash', 'Trash'), ['Msg 2'], 'not deleted without confirmation');
    const gone = await c.applyAction([k], { kind: 'delete', permanent: true });
    assert.deepEqual([gone.ok, gone.count, gone.undoId], [true, 1, undefined], 'a permanent delete has no undo');
    assert.deepEqual(subjects(c, 'trash', 'Trash'), []);
    await settle(c, 'trash');
    assert.deepEqual(await serverSubjects('trash', 'Trash'), []);
    assert.deepEqual(await serverSubjects('trash', 'INBOX'), ['Msg 0', 'Msg 1']);
  });

  it('Shift+Delete (permanent) from INBOX expunges on the server without passing through Trash', async () => {
    const c = await synced('forgood', 2);
    const r = await c.applyAction([key(c, 'forgood', 'INBOX', 'Msg 0')], { kind: 'delete', permanent: true });
    assert.equal(r.label, 'Deleted 1 message for good');
    await settle(c, 'forgood');
    assert.deepEqual(await serverSubjects('forgood', 'INBOX'), ['Msg 1']);
    assert.deepEqual(await serverSubjects('forgood', 'Trash'), []);
  });

  it('a server without SPECIAL-USE: the folder named Trash serves; with no Trash at all, delete asks for confirmation', async () => {
    const c = await synced('notrash', 2, ['INBOX']);
    // The store forgets the role, as for a server that announces none.
    rawSql(c.store).run(`UPDATE folders SET role = NULL WHERE account_id = 'notrash' AND role = 'trash'`);
    const r = await c.applyAction([key(c, 'notrash', 'INBOX', 'Msg 0')], { kind: 'delete' });
    assert.deepEqual([r.ok, r.count], [true, 1]);
    await settle(c, 'notrash');
    assert.deepEqual(await serverSubjects('notrash', 'Trash'), ['Msg 0']);

    rawSql(c.store).run(`UPDATE folders SET remote_exists = 0 WHERE account_id = 'notrash' AND path = 'Trash'`);
    const ask = await c.applyAction([key(c, 'notrash', 'INBOX', 'Msg 1')], { kind: 'delete' });
    assert.equal(ask.ok, false);
    assert.ok(ask.confirm);
    assert.deepEqual(subjects(c, 'notrash', 'INBOX'), ['Msg 1']);
  });

  it('report spam moves to Junk, Not spam moves back to INBOX; both undo', async () => {
    const c = await synced('junk', 3);
    const r = await c.applyAction([key(c, 'junk', 'INBOX', 'Msg 1')], { kind: 'junk' });
    assert.equal(r.label, 'Reported as spam 1 message');
    await settle(c, 'junk');
    assert.deepEqual(await serverSubjects('junk', 'Junk'), ['Msg 1']);
    const back = await c.applyAction([key(c, 'junk', 'Junk', 'Msg 1')], { kind: 'notJunk' });
    assert.equal(back.count, 1);
    await settle(c, 'junk');
    assert.deepEqual(await serverSubjects('junk', 'Junk'), []);
    assert.deepEqual(await serverSubjects('junk', 'INBOX'), ['Msg 0', 'Msg 1', 'Msg 2']);
    // Undo "not spam": back in Junk.
    await c.undo(back.undoId);
    await settle(c, 'junk');
    assert.deepEqual(await serverSubjects('junk', 'Junk'), ['Msg 1']);
    assert.deepEqual(subjects(c, 'junk', 'Junk'), ['Msg 1']);
  });

  it('move to a folder: recent targets come first in the pick list; Undo moves back', async () => {
    const c = await synced('moveto', 3);
    const before = (await c.moveTargets('moveto', fid(c, 'moveto', 'INBOX'))).map((t) => t.path);
    assert.ok(!before.includes('INBOX'), 'the current folder is not offered');
    assert.notEqual(before[0], 'Projects');
    const r = await c.applyAction([key(c, 'moveto', 'INBOX', 'Msg 0')], { kind: 'move', toPath: 'Projects' });
    assert.equal(r.moved[0].toFolderId, fid(c, 'moveto', 'Projects'));
    const after = await c.moveTargets('moveto', fid(c, 'moveto', 'INBOX'));
    assert.deepEqual([after[0].path, after[0].recent], ['Projects', true]);
    await settle(c, 'moveto');
    assert.deepEqual(await serverSubjects('moveto', 'Projects'), ['Msg 0']);
    await c.undo(r.undoId);
    await settle(c, 'moveto');
    assert.deepEqual(await serverSubjects('moveto', 'Projects'), []);
    assert.deepEqual(await serverSubjects('moveto', 'INBOX'), ['Msg 0', 'Msg 1', 'Msg 2']);
    await assert.rejects(c.applyAction([key(c, 'moveto', 'INBOX', 'Msg 1')], { kind: 'move', toPath: 'Nope' }), /no folder "Nope"/);
  });

  it('read, unread, flag, unflag: set on the server, and each Undo restores the flags there', async () => {
    const c = await synced('flags', 3);
    const k = key(c, 'flags', 'INBOX', 'Msg 0');
    const read = await c.applyAction([k], { kind: 'read' });
    const flag = await c.applyAction([k], { kind: 'flag' });
    assert.deepEqual(c.store.getMessage(k.messageId, k.folderId)?.flags, ['\\Seen', '\\Flagged']);
    await settle(c, 'flags');
    assert.deepEqual((await onServer('flags', 'INBOX')).get('Msg 0'), ['\\Flagged', '\\Seen']);
    const again = await c.applyAction([k], { kind: 'read' });
    assert.deepEqual([again.count, again.undoId], [0, undefined], 'already read: nothing to do or undo');

    await c.undo(flag.undoId);
    await settle(c, 'flags');
    assert.deepEqual((await onServer('flags', 'INBOX')).get('Msg 0'), ['\\Seen']);
    await c.undo(read.undoId);
    await settle(c, 'flags');
    assert.deepEqual((await onServer('flags', 'INBOX')).get('Msg 0'), []);

    const unread = await c.applyAction([k], { kind: 'unread' });
    assert.equal(unread.count, 0, 'already unread');
    await c.applyAction([k], { kind: 'flag' });
    const unflag = await c.applyAction([k], { kind: 'unflag' });
    await settle(c, 'flags');
    assert.deepEqual((await onServer('flags', 'INBOX')).get('Msg 0'), []);
    await c.undo(unflag.undoId);
    await settle(c, 'flags');
    assert.deepEqual((await onServer('flags', 'INBOX')).get('Msg 0'), ['\\Flagged']);
  });

  it('mark all as read, then Undo marks exactly those unread again (not the ones read before)', async () => {
    dv.seedMaildir('allread', 'INBOX', seedMessages(5, 'Msg', { flags: (i) => (i === 4 ? ['\\Seen'] : []) }));
    const c = await synced('allread', 0);
    const inbox = fid(c, 'allread', 'INBOX');
    assert.equal(c.store.localCounts(inbox).unread, 4);
    const r = await c.markAllRead(inbox);
    assert.equal(r.count, 4);
    assert.equal(c.store.localCounts(inbox).unread, 0);
    await settle(c, 'allread');
    assert.ok([...(await onServer('allread', 'INBOX')).values()].every((f) => f.includes('\\Seen')));
    await c.undo(r.undoId);
    await settle(c, 'allread');
    const server = await onServer('allread', 'INBOX');
    assert.deepEqual(server.get('Msg 4'), ['\\Seen'], 'the one read before stays read');
    assert.deepEqual(['Msg 0', 'Msg 1', 'Msg 2', 'Msg 3'].map((s) => server.get(s)), [[], [], [], []]);
  });

  it('a conversation row (wholeThread) archives every message of the thread in that folder, and undoes them all', async () => {
    const root = '<root@thread.test>';
    dv.seedMaildir('thread', 'INBOX', [
      { raw: rawMessage({ from: 'a@x.test', to: 'thread@example.test', subject: 'Plan', messageId: root, date: new Date('2025-02-01T10:00:00Z'), text: 'one' }) },
      { raw: rawMessage({ from: 'b@x.test', to: 'thread@example.test', subject: 'Re: Plan', inReplyTo: root, references: root, date: new Date('2025-02-01T11:00:00Z'), text: 'two' }) },
      { raw: rawMessage({ from: 'c@x.test', to: 'thread@example.test', subject: 'Other', date: new Date('2025-02-01T12:00:00Z'), text: 'other' }) },
    ]);
    const c = await synced('thread', 0);
    const r = await c.applyAction([key(c, 'thread', 'INBOX', 'Re: Plan')], { kind: 'archive' }, { wholeThread: true });
    assert.equal(r.count, 2);
    assert.deepEqual(subjects(c, 'thread', 'INBOX'), ['Other']);
    await settle(c, 'thread');
    assert.deepEqual(await serverSubjects('thread', 'Archive'), ['Plan', 'Re: Plan']);
    await c.undo(r.undoId);
    await settle(c, 'thread');
    assert.deepEqual(await serverSubjects('thread', 'INBOX'), ['Other', 'Plan', 'Re: Plan']);
    assert.deepEqual(await serverSubjects('thread', 'Archive'), []);
  });
});
