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

/**
 * A clock that a slow store moves: each stored row adds 0.5 ms (what a cold cache costs) to
 * performance.now(), which turns.ts reads. The test then holds whatever the machine's load.
 */
function slowClock(): { restore(): void; charge(rows: number): void } {
  const real = performance.now.bind(performance);
  let extra = 0;
  performance.now = () => real() + extra;
  return {
    charge: (rows) => (extra += rows * 0.5),
    restore: () => {
      delete (performance as { now?: unknown }).now;
    },
  };
}

/**
 * Records the store's outermost transactions (upsertMessages opens one inside each): the rows
 * stored by each and the (clock) time it took, and the newest message listed after it.
 */
function recordTransactions(store: MailStore, folderId: number): Array<{ rows: number; ms: number; newestStored: number }> {
  const txs: Array<{ rows: number; ms: number; newestStored: number }> = [];
  const tx = store.tx.bind(store);
  const count = (): number => store.listMessages(folderId, { limit: 1000 }).length;
  let depth = 0;
  store.tx = <T>(fn: () => T): T => {
    if (depth) return tx(fn);
    const t0 = performance.now();
    const before = count();
    depth++;
    try {
      return tx(fn);
    } finally {
      depth--;
      txs.push({ rows: count() - before, ms: performance.now() - t0, newestStored: store.listMessages(folderId, { limit: 1 })[0]?.uid ?? 0 });
    }
  };
  return txs;
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
    const clock = slowClock();
    const upsert = store.upsertMessages.bind(store);
    store.upsertMessages = (folderId, msgs, opts) => {
      clock.charge(msgs.length);
      return upsert(folderId, msgs, opts);
    };
    const txs = recordTransactions(store, inbox);
    const count = (): number => store.listMessages(inbox, { limit: 1000 }).length;
    // Turns the event loop got while the page was stored.
    let turns = 0;
    const tick = (): void => {
      turns++;
      immediate = setImmediate(tick);
    };
    let immediate = setImmediate(tick);
    let lastRan = false;
    try {
      await storeInTurns(
        store,
        inbox,
        Array.from({ length: 100 }, (_, i) => header(i + 1)),
        () => {
          lastRan = true;
          // `last` runs with the final rows: everything is stored when it does.
          assert.equal(count(), 100);
        },
      );
    } finally {
      clearImmediate(immediate);
      clock.restore();
    }
    assert.ok(lastRan);
    assert.equal(count(), 100);
    // 100 rows at 0.5 ms are 50 ms of work: a transaction stops once the turn's budget is spent,
    // at most the budget plus one step of 20 rows.
    assert.ok(txs.length >= 4, `100 slow rows in ${txs.length} transaction(s): ${JSON.stringify(txs)}`);
    for (const t of txs) assert.ok(t.rows * 0.5 <= TURN_MS + 20 * 0.5, `a transaction held ${t.rows} rows (${t.ms.toFixed(1)} ms): ${JSON.stringify(txs)}`);
    assert.ok(turns >= txs.length - 1, `the event loop got ${turns} turn(s) between ${txs.length} transactions`);
    // The first transaction already holds the newest message: the list has no gap below its top.
    assert.equal(txs[0].newestStored, 100);
  });

  it('a fast store takes many rows per transaction; an empty page still runs `last`', async () => {
    const txs = recordTransactions(store, inbox);
    await storeInTurns(store, inbox, Array.from({ length: 60 }, (_, i) => header(i + 1)));
    assert.equal(store.listMessages(inbox, { limit: 1000 }).length, 60);
    let ran = false;
    await storeInTurns(store, inbox, [], () => (ran = true));
    assert.ok(ran);
    // The rows in at most a few transactions (one per 20 rows at worst), `last` in one more.
    assert.ok(txs.length <= 4, `60 rows and an empty page in ${txs.length} transactions`);
  });
});
