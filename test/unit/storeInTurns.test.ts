import { strict as assert } from 'node:assert';
import type { AccountConfig } from '../../src/core/config';
import { storeInTurns } from '../../src/core/providers/imap/storeInTurns';
import { type IncomingMessage, MailStore } from '../../src/core/store/store';
import { TURN_MS } from '../../src/core/turns';

const ACCOUNT: AccountConfig = {
  id: 'alice',
  provider: 'imap',
  email: 'alice@example.test',
  imap: { host: '127.0.0.1', port: 1143, security: 'none', user: 'alice' },
};

function header(uid: number): IncomingMessage {
  return { providerId: `1:7:${uid}`, uid, messageId: `<m${uid}@example.test>`, subject: `Message ${uid}`, from: { address: 'bob@example.test' }, date: Date.UTC(2024, 0, 1) + uid * 60_000, flags: [] };
}

function busy(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    /* a store as slow as a cold one */
  }
}

describe('storeInTurns: a page of headers stored without holding the event loop', () => {
  let store: MailStore;
  let inbox: number;
  beforeEach(async () => {
    store = await MailStore.open({});
    store.upsertAccount(ACCOUNT);
    store.upsertFolders('alice', [{ path: 'INBOX', name: 'INBOX', role: 'inbox' }], () => true);
    inbox = store.getFolder('alice', 'INBOX')!.id;
  });
  afterEach(() => store.close());

  it('a slow store gets the page in several transactions, with turns of the event loop between them, newest rows first', async () => {
    // Each row costs 0.5 ms here (what a cold cache costs): 100 rows are 50 ms, far over a turn.
    const upsert = store.upsertMessages.bind(store);
    store.upsertMessages = (folderId, msgs, opts) => {
      busy(msgs.length * 0.5);
      return upsert(folderId, msgs, opts);
    };
    // Outermost transactions only (upsertMessages opens one inside).
    const txs: Array<{ ms: number; newestStored: number }> = [];
    const tx = store.tx.bind(store);
    let depth = 0;
    store.tx = <T>(fn: () => T): T => {
      const t0 = performance.now();
      depth++;
      try {
        return tx(fn);
      } finally {
        if (--depth === 0) txs.push({ ms: performance.now() - t0, newestStored: store.listMessages(inbox, { limit: 1 })[0]?.uid ?? 0 });
      }
    };
    // A 1 ms interval counts the turns the event loop got while the page was stored.
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    let lastRan = false;
    const page = Array.from({ length: 100 }, (_, i) => header(i + 1));
    try {
      await storeInTurns(store, inbox, page, () => {
        lastRan = true;
        // `last` runs with the final rows: everything is stored when it does.
        assert.equal(store.listMessages(inbox, { limit: 1000 }).length, 100);
      });
    } finally {
      clearInterval(timer);
    }
    assert.ok(lastRan);
    assert.equal(store.listMessages(inbox, { limit: 1000 }).length, 100);
    assert.ok(txs.length >= 4, `100 slow rows in ${txs.length} transaction(s)`);
    // A transaction stops once the turn's budget is spent: at most the budget plus one step of
    // 20 rows (10 ms here), and some slack for a loaded machine.
    for (const t of txs) assert.ok(t.ms < TURN_MS + 10 + 15, `a transaction held the thread ${t.ms.toFixed(1)} ms`);
    assert.ok(ticks >= 2, `the event loop got ${ticks} turn(s) while the page was stored`);
    // The first transaction already holds the newest message: the list has no gap below its top.
    assert.equal(txs[0].newestStored, 100);
  });

  it('a fast store takes many rows per transaction; an empty page still runs `last`', async () => {
    let n = 0;
    let depth = 0;
    const tx = store.tx.bind(store);
    store.tx = <T>(fn: () => T): T => {
      if (depth++ === 0) n++;
      try {
        return tx(fn);
      } finally {
        depth--;
      }
    };
    await storeInTurns(store, inbox, Array.from({ length: 60 }, (_, i) => header(i + 1)));
    assert.equal(store.listMessages(inbox, { limit: 1000 }).length, 60);
    let ran = false;
    await storeInTurns(store, inbox, [], () => (ran = true));
    assert.ok(ran);
    // The rows in at most a few transactions (one per 20 rows at worst), `last` in one more.
    assert.ok(n <= 4, `60 rows and an empty page in ${n} transactions`);
  });
});
