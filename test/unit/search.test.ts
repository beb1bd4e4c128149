import { strict as assert } from 'node:assert';
import { type IncomingMessage, MailStore } from '../../src/core/store/store';
import { indexBody, searchMessages, toMatchExpression } from '../../src/core/search/search';

function m(uid: number, extra: Partial<IncomingMessage>): IncomingMessage {
  return {
    providerId: `1:1:${uid}`,
    uid,
    messageId: `<s${uid}@example.test>`,
    subject: `Message ${uid}`,
    from: { name: 'Bob Builder', address: 'bob@example.test' },
    to: [{ name: 'Alice', address: 'alice@example.test' }],
    date: Date.UTC(2024, 0, 1) + uid * 60_000,
    flags: [],
    ...extra,
  };
}

describe('local search (FTS4)', () => {
  let store: MailStore;
  let inbox: number;

  beforeEach(async () => {
    store = await MailStore.open({});
    store.upsertAccount({ id: 'a', provider: 'imap', email: 'a@example.test', imap: { host: '127.0.0.1', port: 1, security: 'none', user: 'a' } });
    store.upsertFolders('a', [{ path: 'INBOX', name: 'Inbox', role: 'inbox' }], () => true);
    inbox = store.getFolder('a', 'INBOX')!.id;
    store.upsertMessages(inbox, [
      m(1, { subject: 'Quarterly invoice', from: { name: 'Carol Accounts', address: 'billing@vendor.example' } }),
      m(2, { subject: 'Lunch on Friday', cc: [{ name: 'Dora', address: 'dora@example.test' }] }),
      m(3, { subject: 'Café réunion' }),
    ]);
  });
  afterEach(() => store.close());

  const subjects = (q: string) => searchMessages(store, q).map((h) => h.subject);

  it('finds messages by subject, sender, recipients (To and Cc), as prefixes while typing', () => {
    assert.deepEqual(subjects('invoice'), ['Quarterly invoice']);
    assert.deepEqual(subjects('invo'), ['Quarterly invoice']);
    assert.deepEqual(subjects('carol'), ['Quarterly invoice']);
    assert.deepEqual(subjects('billing@vendor.example'), ['Quarterly invoice']);
    assert.deepEqual(subjects('dora'), ['Lunch on Friday']);
    assert.deepEqual(subjects('from:bob'), ['Café réunion', 'Lunch on Friday']);
    assert.deepEqual(subjects('from:bob@example.test'), ['Café réunion', 'Lunch on Friday']);
    assert.deepEqual(subjects('to:dora lunch'), ['Lunch on Friday']);
    assert.deepEqual(subjects('subject:bob'), [], 'a field limits the word to that field');
  });

  it('ignores accents and case, and requires every word', () => {
    assert.deepEqual(subjects('CAFE reunion'), ['Café réunion']);
    assert.deepEqual(subjects('lunch invoice'), []);
  });

  it('finds body text once the body is indexed, and keeps headers searchable after updates', () => {
    const id = store.getMessageByUid(inbox, 2)!.id;
    assert.deepEqual(subjects('sandwiches'), []);
    indexBody(store, id, 'Bring sandwiches and a blanket.');
    const hits = searchMessages(store, 'sandwiches');
    assert.deepEqual(hits.map((h) => h.subject), ['Lunch on Friday']);
    assert.match(hits[0].snippet, /sandwiches/);
    assert.equal(hits[0].folderId, inbox);
    // A flag change rewrites the row; the body must stay in the index.
    store.updateFlags(inbox, [{ uid: 2, flags: ['\\Seen'] }]);
    assert.deepEqual(subjects('sandwiches'), ['Lunch on Friday']);
  });

  it('never fails on query syntax the user typed, and forgets deleted mail', () => {
    for (const q of ['"', 'a OR', '*', 'NEAR(', '-x', 'subject:', ') (', "'; DROP TABLE messages; --"]) {
      assert.doesNotThrow(() => searchMessages(store, q), q);
    }
    assert.equal(toMatchExpression('   '), undefined);
    store.markMissing(inbox, [1]);
    store.purgeMissing(inbox, Date.now() + 1);
    assert.deepEqual(subjects('invoice'), []);
  });
});
