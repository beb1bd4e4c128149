/**
 * The bodies job's walk (src/core/sync/bodies.ts) on an in-memory store with a provider that
 * serves bodies from memory: newest first, a page per step, new mail above and older history
 * below the walk picked up without walking again, the window and the size cap respected.
 */
import { strict as assert } from 'node:assert';
import type { AccountConfig } from '../../src/core/config';
import { uidSet } from '../../src/core/providers/imap/imapProvider';
import type { BodyRef, MailProvider } from '../../src/core/providers/provider';
import { type IncomingMessage, MailStore } from '../../src/core/store/store';
import { bodyStep, PAGE_ROWS, windowStart } from '../../src/core/sync/bodies';
import { rawSql } from '../support/rawStoreSql';

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 5, 1);
const ACCOUNT: AccountConfig = { id: 'a', provider: 'imap', email: 'a@example.test', imap: { host: '127.0.0.1', port: 1, security: 'none', user: 'a' } };

function msg(folderId: number, uid: number, extra: Partial<IncomingMessage> = {}): IncomingMessage {
  return { providerId: `${folderId}:7:${uid}`, uid, messageId: `<m${uid}@example.test>`, subject: `m${uid}`, date: NOW - (10_000 - uid) * 60_000, size: 1000, flags: [], ...extra };
}

/** Serves every requested UID; records each request's UIDs in order. */
function fakeImap(): MailProvider & { requests: number[][] } {
  const requests: number[][] = [];
  return {
    kind: 'imap',
    accountId: 'a',
    requests,
    async fetchBodies(_folder, refs: BodyRef[], onBody) {
      requests.push(refs.map((r) => r.uid!));
      for (const r of refs) onBody(r, Buffer.from(`Subject: m${r.uid}\r\n\r\nbody ${r.uid}\r\n`));
    },
  } as MailProvider & { requests: number[][] };
}

async function setup(): Promise<{ store: MailStore; inbox: number; p: ReturnType<typeof fakeImap> }> {
  const store = await MailStore.open({});
  store.upsertAccount(ACCOUNT);
  store.upsertFolders('a', [{ path: 'INBOX', name: 'INBOX', role: 'inbox' }], () => true);
  const inbox = store.getFolder('a', 'INBOX')!.id;
  store.saveSyncState(inbox, { uidValidity: '7' });
  return { store, inbox, p: fakeImap() };
}

async function runToEnd(store: MailStore, inbox: number, p: MailProvider, settings = { days: 'all' as const, maxBytes: 10_000 }): Promise<number> {
  let steps = 0;
  for (;;) {
    steps++;
    const r = await bodyStep({ store, provider: p, folder: store.getFolderById(inbox)!, settings, now: NOW });
    if (r.complete) return steps;
    assert.ok(steps < 100, 'the walk ends');
  }
}

const withBody = (store: MailStore): number => rawSql(store).get<{ n: number }>('SELECT COUNT(*) AS n FROM messages WHERE body_blob IS NOT NULL')!.n;

describe('bodies job', function () {
  // Storing 1,200 headers in sql.js takes a while on a busy machine; nothing here is timed.
  this.timeout(30_000);

  it('walks the folder newest first, one request per page, and stops when every body is stored', async () => {
    const { store, inbox, p } = await setup();
    store.upsertMessages(inbox, Array.from({ length: 1200 }, (_, i) => msg(inbox, i + 1)));
    await runToEnd(store, inbox, p);
    assert.deepEqual(p.requests.map((r) => r.length), [PAGE_ROWS, PAGE_ROWS, 1200 - 2 * PAGE_ROWS]);
    assert.equal(p.requests[0][0], 1200, 'the newest first');
    assert.ok(p.requests.flat().every((u, i, all) => i === 0 || u < all[i - 1]), 'in falling UID order');
    assert.equal(withBody(store), 1200);
    assert.equal(await runToEnd(store, inbox, p), 1, 'nothing left: one cheap step');
    assert.equal(p.requests.length, 3);
  });

  it('fetches new mail above the walk and older history stored below it later, and nothing twice', async () => {
    const { store, inbox, p } = await setup();
    store.upsertMessages(inbox, Array.from({ length: 100 }, (_, i) => msg(inbox, 901 + i)));
    await runToEnd(store, inbox, p);
    // The backfill stores older messages; new mail arrives.
    store.upsertMessages(inbox, Array.from({ length: 300 }, (_, i) => msg(inbox, 601 + i)));
    store.upsertMessages(inbox, [msg(inbox, 1001), msg(inbox, 1002)]);
    p.requests.length = 0;
    await runToEnd(store, inbox, p);
    assert.deepEqual(p.requests[0], [1002, 1001], 'the new mail first');
    assert.equal(p.requests.flat().length, 302, 'then the older history, and nothing fetched before');
    assert.equal(withBody(store), 402);
  });

  it('keeps to the window and the size cap, and counts what it leaves', async () => {
    const { store, inbox, p } = await setup();
    const old = (uid: number) => msg(inbox, uid, { date: NOW - 400 * DAY });
    store.upsertMessages(inbox, [...Array.from({ length: 600 }, (_, i) => old(i + 1)), ...Array.from({ length: 20 }, (_, i) => msg(inbox, 601 + i)), msg(inbox, 621, { size: 50_000 })]);
    let last: Awaited<ReturnType<typeof bodyStep>> | undefined;
    for (let i = 0; i < 10; i++) {
      last = await bodyStep({ store, provider: p, folder: store.getFolderById(inbox)!, settings: { days: 30, maxBytes: 10_000 }, now: NOW });
      if (last.complete) break;
    }
    assert.ok(last?.complete);
    assert.deepEqual(p.requests.flat().length, 20, 'the 20 recent ones under the cap');
    assert.deepEqual(last!.counts, { total: 20, stored: 20, bytes: 20_000, overCap: 1 });
    assert.equal(windowStart({ days: 0 }, NOW), null, 'days 0: bodies only on open');
    assert.equal(windowStart({ days: 'all' }, NOW), -1);
  });

  it('writes UID sets as ranges', () => {
    assert.equal(uidSet([5, 3, 4, 9, 1, 10, 11]), '1,3:5,9:11');
    assert.equal(uidSet([7]), '7');
  });
});
