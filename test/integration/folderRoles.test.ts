/**
 * Folder roles chosen by the user (Edit Account): the choice outlives the next folder refresh,
 * which rewrites every role from the server's SPECIAL-USE markers, and triage acts on it.
 */
import { strict as assert } from 'node:assert';
import type { MailDesk } from '../../src/core/maildesk';
import { roleFolders } from '../../src/core/folderRoles';
import { syncOnce } from '../../src/core/sync/once';
import { requireDovecot, startDovecot, type Dovecot } from '../support/dovecot';
import { imapAccount, openCore } from '../support/core';
import { seedMessages } from '../support/seed';

const USERS = ['roles', 'roleback'];

describe('folder roles chosen by the user (Dovecot)', function () {
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

  async function synced(user: string): Promise<MailDesk> {
    dv.seedMaildir(user, 'INBOX', seedMessages(3));
    const c = await openCore(undefined, passwords);
    cores.push(c);
    await c.addAccount(imapAccount(user, dv.port, { folders: ['INBOX', 'Archive', 'Projects'] }));
    const r = await syncOnce(c, [user]);
    assert.ok(r.ok, r.failed.map((j) => `${j.id}: ${j.errorMessage}`).join('; '));
    return c;
  }
  const roleOf = (c: MailDesk, user: string, path: string) => c.store.getFolder(user, path)?.role ?? null;

  it('Archive set to another folder stays so after a folder refresh, and archiving moves mail there on the server', async () => {
    const c = await synced('roles');
    assert.equal(roleOf(c, 'roles', 'Archive'), 'archive', 'the server marks Archive \\Archive');

    c.store.setFolderRoleOverride('roles', 'archive', 'Projects');
    assert.equal(c.store.folderByRole('roles', 'archive')?.path, 'Projects');
    assert.equal(roleOf(c, 'roles', 'Archive'), null, 'one folder per role');

    await c.refreshFolders('roles');
    assert.equal(c.store.folderByRole('roles', 'archive')?.path, 'Projects', 'the choice survives the refresh');
    assert.equal(roleOf(c, 'roles', 'Archive'), null);
    assert.deepEqual(c.store.folderRoleOverrides('roles'), { archive: 'Projects' });
    const shown = roleFolders(c.store.getAccount('roles')!.config, c.store.listFolders('roles'), c.store.folderRoleOverrides('roles'));
    assert.deepEqual([shown.archive, shown.trash], [{ path: 'Projects', source: 'chosen' }, { path: 'Trash', source: 'server' }], 'what Edit Account shows');

    const inbox = c.store.getFolder('roles', 'INBOX')!;
    const msg = c.store.listMessages(inbox.id, { limit: 10 }).find((m) => m.subject === 'Msg 1')!;
    const r = await c.applyAction([{ messageId: msg.id, folderId: inbox.id }], { kind: 'archive' });
    assert.equal(r.ok, true, r.label);
    const s = await syncOnce(c, ['roles']);
    assert.ok(s.ok, s.failed.map((j) => `${j.id}: ${j.errorMessage}`).join('; '));
    assert.ok((await dv.flagsBySubject('roles', 'Projects')).has('Msg 1'), 'archived into Projects on the server');
    assert.equal((await dv.flagsBySubject('roles', 'Archive')).has('Msg 1'), false);
  });

  it('clearing the choice gives the role back to the folder the server marks, at the next refresh', async () => {
    const c = await synced('roleback');
    c.store.setFolderRoleOverride('roleback', 'archive', 'Projects');
    c.store.setFolderRoleOverride('roleback', 'archive', null);
    assert.deepEqual(c.store.folderRoleOverrides('roleback'), {});
    await c.refreshFolders('roleback');
    assert.equal(c.store.folderByRole('roleback', 'archive')?.path, 'Archive');
    assert.equal(roleOf(c, 'roleback', 'Projects'), null);
  });
});
