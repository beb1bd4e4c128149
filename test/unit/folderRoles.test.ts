import { strict as assert } from 'node:assert';
import type { AccountConfig } from '../../src/core/config';
import { roleFolders } from '../../src/core/folderRoles';
import type { FolderRole, FolderRow } from '../../src/core/store/folders';

let nextId = 1;
const folder = (path: string, role: FolderRole | null = null, remoteExists = true): FolderRow => ({
  id: nextId++,
  accountId: 'a',
  path,
  name: path,
  delimiter: '/',
  role,
  specialUse: null,
  selected: false,
  remoteExists,
  remoteTotal: null,
  remoteUnread: null,
});
const account: AccountConfig = { id: 'a', provider: 'imap', email: 'a@example.test', imap: { host: 'h', port: 993, security: 'tls', user: 'a' } };

describe('folder roles shown in Edit Account', () => {
  it('says where each folder comes from: the server, the name, the person, or nothing', () => {
    const folders = [folder('INBOX', 'inbox'), folder('Sent', 'sent'), folder('Drafts'), folder('Trash'), folder('Kept', 'archive'), folder('Archive')];
    const r = roleFolders(account, folders, { archive: 'Kept' });
    assert.deepEqual(r, {
      sent: { path: 'Sent', source: 'server' },
      drafts: { path: 'Drafts', source: 'name' },
      trash: { path: 'Trash', source: 'name' },
      junk: null,
      archive: { path: 'Kept', source: 'chosen' },
    });
  });

  it('the sentFolder setting wins for Sent, as when sending; a folder gone from the server is not offered', () => {
    const folders = [folder('Sent', 'sent'), folder('Outbox copies'), folder('Junk', 'junk', false)];
    const r = roleFolders({ ...account, sentFolder: 'Outbox copies' }, folders, {});
    assert.deepEqual([r.sent, r.junk], [{ path: 'Outbox copies', source: 'settings' }, null]);
  });
});
