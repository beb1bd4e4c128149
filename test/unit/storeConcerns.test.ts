/**
 * The store by concern (settings, folders, jobs, drafts, outbox, bridge links…): the named
 * methods other code now calls instead of SQL, and the change events their writes emit,
 * which are what trees and open views refresh on.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { AccountConfig } from '../../src/core/config';
import { LOCAL_TABLES, localDataWritten, MailStore, type StoreChange } from '../../src/core/store/store';

const ACCOUNT: AccountConfig = {
  id: 'alice',
  provider: 'imap',
  email: 'alice@example.test',
  imap: { host: '127.0.0.1', port: 1143, security: 'none', user: 'alice' },
};

async function openStore(): Promise<{ store: MailStore; changes: StoreChange[]; inbox: number; drafts: number }> {
  const store = await MailStore.open();
  store.upsertAccount(ACCOUNT);
  store.upsertFolders(
    'alice',
    [
      { path: 'INBOX', name: 'INBOX', role: 'inbox' },
      { path: 'Drafts', name: 'Drafts', role: 'drafts' },
    ],
    () => true,
  );
  const changes: StoreChange[] = [];
  store.onDidChange((c) => changes.push(c));
  return { store, changes, inbox: store.getFolder('alice', 'INBOX')!.id, drafts: store.getFolder('alice', 'Drafts')!.id };
}

describe('MailStore by concern', () => {
  it('the old method names and the concern modules read and write the same rows, with the same change events', async () => {
    const { store, changes, inbox } = await openStore();
    assert.deepEqual(store.folders.byId(inbox), store.getFolderById(inbox));
    store.folders.setSelected(inbox, false);
    assert.equal(store.getFolderById(inbox)!.selected, false);
    assert.deepEqual([...changes[0].folders], [inbox]);
    assert.deepEqual([...changes[0].accounts], ['alice']);

    store.ensureJob('alice:sync', 'alice', null, 'sync', 0);
    store.jobs.update('alice:sync', { status: 'error', errorCode: 'net.timeout' });
    assert.equal(store.getJob('alice:sync')!.errorCode, 'net.timeout');
    assert.deepEqual(
      changes.slice(1).map((c) => c.jobs),
      [true, true],
    );

    const before = changes.length;
    store.syncState.save(inbox, { uidNext: 42 });
    assert.equal(store.getSyncState(inbox).uidNext, 42);
    assert.deepEqual([...changes[before].folders], [inbox]);

    const t = store.enqueueTask('alice', 'flag', { uid: 1 });
    store.finishTask(t, 'failed', 'NO [CANNOT] flag refused');
    assert.deepEqual(store.jobs.failedTasks('alice'), [{ kind: 'flag', error: 'NO [CANNOT] flag refused' }]);
    store.close();
  });

  it('settings: set, delete and list by prefix, where _ and % in the prefix are plain characters', async () => {
    const { store, changes } = await openStore();
    store.settings.set('compose.meta:alice:<a@x>', '1');
    store.settings.set('compose.meta:alice:<b@x>', '2');
    store.settings.set('composeXmeta:alice', 'not this one');
    store.settings.set('compose_meta:alice', 'nor this');
    assert.deepEqual(
      store.settings.withPrefix('compose.meta:').map((r) => r.value),
      ['1', '2'],
    );
    assert.deepEqual(store.settings.withPrefix('compose_'), [{ key: 'compose_meta:alice', value: 'nor this' }]);
    store.settings.delete('compose.meta:alice:<a@x>');
    assert.equal(store.getSetting('compose.meta:alice:<a@x>'), undefined);
    assert.equal(store.getSetting('compose.meta:alice:<b@x>'), '2');
    // Each write is announced as local data, naming no account, folder or message (views of
    // mail have nothing to read again).
    assert.deepEqual(
      changes.map((c) => ({ local: [...c.local], mail: c.accounts.size + c.folders.size + c.messages + Number(c.jobs) })),
      Array.from({ length: 5 }, () => ({ local: ['settings'], mail: 0 })),
    );
    store.close();
  });

  it('drafts and outbox: a send recorded, failed with "may have been sent", then sent, as the sender writes it', async () => {
    const { store, drafts } = await openStore();
    const id = store.drafts.insert('alice', '<d1@example.test>', JSON.stringify({ subject: 'Hello' }), 'blob1', 1000);
    const entry = store.insertLocalMessage(drafts, { messageId: '<d1@example.test>', subject: 'Hello', flags: ['\\Draft'] });
    store.drafts.setLocalMessage(id, entry);
    assert.equal(store.drafts.byMessageId('alice', '<d1@example.test>')!.id, id);
    assert.equal(store.drafts.idByEntry('alice', entry, null), id);
    assert.equal(store.drafts.idByEntry('alice', -1, '<d1@example.test>'), id);

    store.outbox.markSending('alice', '<d1@example.test>', 'copy1', id, 2000);
    store.drafts.markSending(id);
    assert.equal(store.drafts.anySending(), true);
    store.outbox.countAttempt('alice', '<d1@example.test>');
    const row = store.outbox.get('alice', '<d1@example.test>')!;
    assert.equal(row.status, 'sending');
    store.outbox.markFailed(row.id, 'net.reset', 'connection lost after DATA', true, 3000);
    store.drafts.markFailed(id, 'net.reset', 'connection lost after DATA', 3000);
    assert.equal(store.outbox.maybeSent('alice', '<d1@example.test>'), true);
    assert.deepEqual(store.outbox.problems('alice'), [
      { id: row.id, status: 'failed', attempts: 1, errorCode: 'net.reset', errorMessage: 'connection lost after DATA', createdAt: 2000 },
    ]);
    const listed = store.drafts.listWithOutbox('alice');
    assert.equal(listed.length, 1);
    assert.equal(listed[0].status, 'failed');
    assert.equal(listed[0].maybe_sent, 1);

    store.outbox.markSent('alice', '<d1@example.test>', 4000);
    store.drafts.removeEntry(entry);
    store.drafts.delete(id);
    assert.deepEqual(store.outbox.get('alice', '<d1@example.test>'), { id: row.id, status: 'sent', maybeSent: false, sentAt: 4000 });
    assert.equal(store.drafts.byId(id), undefined);
    assert.equal(store.getMessage(entry), undefined, 'a local Drafts entry is deleted outright');
    assert.deepEqual(store.outbox.problems('alice'), []);
    store.close();
  });

  it('a process that died while sending: the draft and the outbox row say it may have been sent', async () => {
    const { store } = await openStore();
    const id = store.drafts.insert('alice', '<d2@example.test>', '{}', 'blob2', 1000);
    store.outbox.markSending('alice', '<d2@example.test>', 'copy2', id, 1000);
    store.drafts.markSending(id);
    store.tx(() => {
      store.drafts.failSending('MailDesk stopped while sending');
      store.outbox.failSending('MailDesk stopped while sending', 5000);
    });
    assert.equal(store.drafts.anySending(), false);
    assert.equal(store.drafts.byId(id)!.error_code, 'net.reset');
    assert.deepEqual(store.outbox.get('alice', '<d2@example.test>'), { id: store.outbox.get('alice', '<d2@example.test>')!.id, status: 'failed', maybeSent: true, sentAt: null });
    store.close();
  });

  it('bridge links: counted per record for a set of e-mails, updated and checked for staleness', async () => {
    const { store } = await openStore();
    store.bridgeLinks.add('alice', 'a@x', 'odoo', [{ model: 'crm.lead', id: 7, name: 'Lead 7' }], 1000);
    store.bridgeLinks.add('alice', 'b@x', 'odoo', [{ model: 'crm.lead', id: 7 }], 2000);
    const [rec] = store.bridgeLinks.recordsOf('alice', ['a@x']);
    assert.deepEqual(
      { id: rec.recordId, name: rec.recordName, inThread: rec.inThread, emails: rec.emails, state: rec.state },
      { id: '7', name: 'Lead 7', inThread: 1, emails: 2, state: 'ok' },
    );
    assert.deepEqual(store.bridgeLinks.recordsOf('alice', []), []);
    store.bridgeLinks.updateRecords('alice', [{ model: 'crm.lead', id: 7, gone: true }], 3000);
    assert.equal(store.bridgeLinks.recordsOf('alice', ['a@x', 'b@x'])[0].state, 'gone');
    assert.deepEqual(store.bridgeLinks.staleness('alice', 2500), { n: 2, stale: 0, oldest: 3000 });
    assert.deepEqual(store.bridgeLinks.staleness('alice', 3500), { n: 2, stale: 2, oldest: 3000 });
    store.close();
  });

  it('message reads: unread ids, one conversation within a folder, local entries for Troubleshoot', async () => {
    const { store, inbox } = await openStore();
    store.upsertMessages(inbox, [
      { providerId: 'i:1', uid: 1, messageId: '<r1@x>', subject: 'Plan', flags: [], date: 1000 },
      { providerId: 'i:2', uid: 2, messageId: '<r2@x>', subject: 'Re: Plan', inReplyTo: '<r1@x>', references: ['<r1@x>'], flags: ['\\Seen'], date: 2000 },
      { providerId: 'i:3', uid: 3, messageId: '<r3@x>', subject: 'Other', flags: [], date: 3000 },
    ]);
    const byUid = (uid: number) => store.getMessageByUid(inbox, uid)!.id;
    assert.deepEqual(store.messages.unreadIdsIn(inbox).sort(), [byUid(1), byUid(3)].sort());
    assert.deepEqual(store.messages.sameThreadIn(inbox, byUid(2)).sort(), [byUid(1), byUid(2)].sort());
    assert.equal(store.messages.idByProviderId('alice', 'i:3'), byUid(3));
    assert.equal(store.agent.unreadCount(inbox), 2);
    assert.deepEqual(
      store.agent.unreadPage(inbox, 'INBOX', 10).map((r) => r.subject),
      ['Other', 'Plan'],
    );
    assert.equal(store.diagnostics.serverCopiesIn(inbox), 3);
    store.insertLocalMessage(inbox, { messageId: '<r3@x>', subject: 'Other', flags: ['\\Seen'], date: 500 });
    assert.equal(store.diagnostics.localEntriesBefore(inbox, 1000), 1);
    assert.equal(store.diagnostics.localEntriesSince(inbox, 1000), 0);
    assert.equal(store.diagnostics.localEntriesBesideServerCopy(inbox), 1);
    store.close();
  });

  it('every write to local data (drafts, outbox, settings, links, undo, tasks) is announced, named by its table', async () => {
    const { store, changes } = await openStore();
    changes.length = 0;
    store.settings.set('compose.rev.x', '2');
    store.drafts.insert('alice', '<d2@example.test>', '{}', 'blob2', 1000);
    store.outbox.markSending('alice', '<d2@example.test>', 'copy2', 1, 2000);
    store.settings.get('compose.rev.x');
    store.drafts.byMessageId('alice', '<d2@example.test>');
    assert.deepEqual(
      changes.map((c) => [...c.local]),
      [['settings'], ['drafts'], ['outbox']],
      'one event per write, none for the reads',
    );
    for (const c of changes) assert.equal(c.accounts.size + c.folders.size + c.messages + Number(c.jobs), 0, 'local data names no mail');
    store.close();
  });

  it('each table of the schema is either named by its writes (LOCAL_TABLES) or announced by the methods that write it', () => {
    // Announced otherwise: by the account, folder, message and job methods, or once per
    // indexer pass (store.announceIndexed). A new table must be put in one of the two.
    const announcedByMethods = new Set(['accounts', 'folders', 'folder_sync', 'messages', 'memberships', 'jobs', 'message_refs', 'message_fts']);
    const schema = fs.readFileSync(path.resolve(__dirname, '../../src/core/store/schema.ts'), 'utf8');
    const tables = [...schema.matchAll(/CREATE (?:VIRTUAL )?TABLE (?:IF NOT EXISTS )?(\w+)/g)].map((m) => m[1]);
    assert.ok(tables.length >= 14, `tables found: ${tables.join(', ')}`);
    for (const t of tables) assert.ok(t in LOCAL_TABLES || announcedByMethods.has(t), `table ${t} is in neither list`);
    assert.equal(localDataWritten('INSERT INTO settings(key, value) VALUES(?, ?)'), 'settings');
    assert.equal(localDataWritten('  UPDATE drafts SET data = ? WHERE id = ?'), 'drafts');
    assert.equal(localDataWritten('DELETE FROM undo_records WHERE id = ?'), 'undo');
    assert.equal(localDataWritten('INSERT OR REPLACE INTO bridge_links(a) VALUES(?)'), 'bridgeLinks');
    assert.equal(localDataWritten('SELECT * FROM drafts'), undefined);
    assert.equal(localDataWritten('UPDATE messages SET seen = 1'), undefined);
  });
});
