import { strict as assert } from 'node:assert';
import type { AccountConfig } from '../../src/core/config';
import { catchUpIndex, indexInBackground, MERGE_PAGES, mergeIndexInTurns, pendingIndex } from '../../src/core/search/indexer';
import { indexBody, searchMessages } from '../../src/core/search/search';
import { MailStore, type IncomingMessage } from '../../src/core/store/store';
import { listThreads, threadKeyOf } from '../../src/core/threads/threads';
import { rawSql } from '../support/rawStoreSql';

const ACCOUNT: AccountConfig = { id: 'a', provider: 'imap', email: 'a@example.test', imap: { host: '127.0.0.1', port: 1, security: 'none', user: 'a' } };

function msg(folderId: number, uid: number, extra: Partial<IncomingMessage> = {}): IncomingMessage {
  return {
    providerId: `${folderId}:1:${uid}`,
    uid,
    messageId: `<m${uid}@example.test>`,
    subject: `Subject ${uid}`,
    from: { name: 'Bob', address: 'bob@example.test' },
    date: Date.UTC(2025, 0, 1) + uid * 60_000,
    flags: [],
    ...extra,
  };
}

async function setup(): Promise<{ store: MailStore; inbox: number }> {
  const store = await MailStore.open({});
  store.upsertAccount(ACCOUNT);
  store.upsertFolders('a', [{ path: 'INBOX', name: 'Inbox', role: 'inbox' }], () => true);
  return { store, inbox: store.getFolder('a', 'INBOX')!.id };
}

describe('indexer: threads and search built after the headers are stored', () => {
  it('stores headers without indexing, and every read that needs the index catches up first', async () => {
    const { store, inbox } = await setup();
    // A reply stored before its parent, carrying only In-Reply-To: one thread once indexed.
    store.upsertMessages(inbox, [msg(inbox, 2, { subject: 'Re: Budget', inReplyTo: '<m1@example.test>' }), msg(inbox, 1, { subject: 'Budget' })]);
    assert.equal(pendingIndex(store), 2, 'storing headers did not index them');
    assert.equal(listThreads(store, inbox).length, 1, 'the list groups the reply with its parent');
    assert.equal(pendingIndex(store), 0);
    assert.equal(searchMessages(store, 'budget', { accountId: 'a' }).length, 2);
    store.close();
  });

  it('merges the index\'s segments in bounded steps, not inside the writes that add them, and search finds everything after', async () => {
    const { store, inbox } = await setup();
    store.upsertMessages(inbox, Array.from({ length: 400 }, (_, i) => msg(inbox, i + 1, { subject: `Quarterly report ${i + 1}` })));
    // Fourteen writes: fourteen segments, none merged by the writes themselves (automerge is off;
    // FTS4 merges a level in one go only at sixteen, which the steps keep it from reaching).
    const ids = Array.from({ length: 400 }, (_, i) => i + 1);
    for (let i = 0; i < 400; i += 30) store.index.index(ids.slice(i, i + 30));
    const segments = (): number => rawSql(store).get<{ n: number }>('SELECT COUNT(*) AS n FROM message_fts_segdir')!.n;
    const before = segments();
    assert.ok(before >= 14, `${before} segments after 14 writes`);
    assert.equal(store.index.mergeStep(MERGE_PAGES), true, 'a step finds work');
    await mergeIndexInTurns(store);
    assert.ok(segments() < before / 4, `merged down to ${segments()} segments from ${before}`);
    assert.equal(store.index.mergeStep(MERGE_PAGES), false, 'nothing left to merge');
    assert.equal(searchMessages(store, 'quarterly', { accountId: 'a', limit: 500 }).length, 400);
    store.close();
  });

  it('indexes in small background batches and stops when asked', async () => {
    const { store, inbox } = await setup();
    store.upsertMessages(inbox, Array.from({ length: 250 }, (_, i) => msg(inbox, i + 1)));
    let batches = 0;
    const n = await indexInBackground(store, { batch: 100, sliceMs: Number.POSITIVE_INFINITY, stop: () => ++batches > 2 });
    assert.equal(n, 200, 'two batches of 100, then stopped');
    assert.equal(pendingIndex(store), 50);
    assert.equal(await indexInBackground(store, { batch: 100 }), 50);
    assert.equal(searchMessages(store, 'subject', { accountId: 'a', limit: 500 }).length, 250);
    store.close();
  });

  it('announces what the background pass threaded with a change event (one per pass, not one per batch)', async () => {
    const { store, inbox } = await setup();
    store.upsertMessages(inbox, Array.from({ length: 250 }, (_, i) => msg(inbox, i + 1, i % 2 ? { inReplyTo: `<m${i}@example.test>` } : {})));
    const changes: Array<{ accounts: string[]; messages: number }> = [];
    const sub = store.onDidChange((c) => changes.push({ accounts: [...c.accounts], messages: c.messages }));
    assert.equal(await indexInBackground(store, { batch: 50, sliceMs: Number.POSITIVE_INFINITY, announceMs: 60_000 }), 250);
    sub.dispose();
    assert.deepEqual(changes, [{ accounts: ['a'], messages: 250 }], 'the lists of account "a" regroup once the pass is done');
    store.close();
  });

  it('ends a background batch once it has run its time slice, one message at least', async () => {
    const { store, inbox } = await setup();
    store.upsertMessages(inbox, Array.from({ length: 30 }, (_, i) => msg(inbox, i + 1)));
    let batches = 0;
    // A slice of 0 ms: every batch ends after its first message, however fast the machine.
    const n = await indexInBackground(store, { batch: 100, sliceMs: 0, stop: () => ++batches > 3 });
    assert.equal(n, 3, 'three batches of one message each');
    assert.equal(pendingIndex(store), 27);
    assert.equal(await indexInBackground(store), 27, 'the default slice still indexes everything');
    assert.equal(searchMessages(store, 'subject', { accountId: 'a', limit: 500 }).length, 30);
    store.close();
  });

  it('indexes a message that reuses the id of a deleted one (no watermark to fall behind)', async () => {
    const { store, inbox } = await setup();
    store.upsertMessages(inbox, [msg(inbox, 1), msg(inbox, 2)]);
    catchUpIndex(store);
    store.markMissing(inbox, [2], 1);
    store.purgeMissing(inbox, 2);
    store.upsertMessages(inbox, [msg(inbox, 3, { subject: 'Zanzibar itinerary' })]);
    assert.equal(searchMessages(store, 'zanzibar', { accountId: 'a' }).length, 1);
    assert.ok(threadKeyOf(store, store.getMessageByUid(inbox, 3)!.id));
    store.close();
  });

  it('a read catches up for a bounded time only, and says how much is left for the background pass', async () => {
    const { store, inbox } = await setup();
    store.upsertMessages(inbox, Array.from({ length: 300 }, (_, i) => msg(inbox, i + 1)));
    // No time at all: one small batch still goes, the rest waits for the background pass.
    const left = catchUpIndex(store, 0);
    assert.equal(left, 250);
    assert.equal(pendingIndex(store), 250);
    assert.equal(catchUpIndex(store, 60_000), 0, 'given the time, everything is indexed');
    assert.equal(searchMessages(store, 'subject', { accountId: 'a', limit: 500 }).length, 300);
    store.close();
  });

  it('a body fetched for a message still waiting to be indexed is indexed with it, not lost', async () => {
    const { store, inbox } = await setup();
    store.upsertMessages(inbox, Array.from({ length: 120 }, (_, i) => msg(inbox, i + 1)));
    const last = store.getMessageByUid(inbox, 120)!.id;
    indexBody(store, last, 'the quarterly flamingo census');
    assert.equal(pendingIndex(store), 119, 'only that message was indexed ahead of the others');
    const hits = searchMessages(store, 'flamingo', { accountId: 'a' });
    assert.deepEqual(hits.map((h) => h.messageId), [last]);
    store.close();
  });
});
