/**
 * The IMAP header worker (src/core/providers/imap/headerWorker.ts) against a real Dovecot:
 * backfill pages parsed on their own thread, each fetched while the page before is stored,
 * give the store exactly what the engine's own fetch gives; a server that refuses the worker
 * its connection, or ends it in the middle of a page, costs nothing but the worker; a server
 * that fails on every connection is reported as it was without the worker.
 */
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { WorkerReply, WorkerSetup } from '../../src/core/providers/imap/headerWorkerProtocol';
import type { MailDesk } from '../../src/core/maildesk';
import type { ImapProvider } from '../../src/core/providers/imap/imapProvider';
import { syncOnce } from '../../src/core/sync/once';
import { seedBench } from '../../bench/seed';
import { requireDovecot, startDovecot, type Dovecot } from '../support/dovecot';
import { imapAccount, openCore } from '../support/core';
import { startFaultyImapProxy, type FaultyImapProxy } from '../support/faultyImapProxy';

const USERS = ['worker', 'inthread', 'second', 'dies', 'hangs', 'closes', 'idles'];
const PAGES = { firstPageSize: 100, pageSize: 200 };

type SyncResult = Awaited<ReturnType<typeof syncOnce>>;

function assertInStep(r: SyncResult): void {
  assert.ok(r.ok, `sync failed: ${r.failed.map((j) => `${j.id}: ${j.errorMessage}`).join('; ')}`);
}

function stats(c: MailDesk, account: string): { pages: number; prefetched: number; declined: number } {
  return { ...(c.provider(account) as ImapProvider).headerWorkerStats! };
}

/** Every stored row of INBOX as the list and the reader use it, oldest first. */
function rows(c: MailDesk, account: string): unknown[] {
  const f = c.store.getFolder(account, 'INBOX')!;
  return c.store
    .listMessages(f.id, { limit: 100_000 })
    .map((m) => {
      // Ids of this store and the folder's UIDVALIDITY (in providerId) differ between two stores.
      const { id: _id, accountId: _a, folderId: _f, providerId, ...rest } = c.store.getMessageByUid(f.id, m.uid!)!;
      return { ...rest, uidInProviderId: providerId?.split(':').pop() };
    })
    .reverse();
}

async function until(what: string, cond: () => boolean, ms = 5_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('IMAP header worker against Dovecot', function () {
  this.timeout(120_000);
  let dv: Dovecot;
  let proxy: FaultyImapProxy;
  const cores: MailDesk[] = [];
  const passwords = Object.fromEntries(USERS.map((u) => [u, 'secret']));

  before(async function () {
    requireDovecot(this);
    dv = await startDovecot({ users: passwords });
    // The bench's mail: sizes, attachments, threads, flags and headers as in a real mailbox.
    for (const u of USERS) seedBench(dv, u, 1_150, []);
    proxy = await startFaultyImapProxy(dv.port);
  });
  afterEach(async () => {
    proxy.dropAfterFetches = undefined;
    proxy.silenceAfterFetches = undefined;
    proxy.faultyConnection = undefined;
    for (const c of cores.splice(0)) await c.close().catch(() => undefined);
  });
  after(async () => {
    await proxy?.stop();
    await dv?.dispose();
  });

  it('serves backfill pages fetched ahead, the list never has a gap below the newest, and the rows are the engine-thread fetch’s own', async () => {
    const viaWorker = await openCore(undefined, passwords, { imap: { ...PAGES, headerWorker: 'always' } });
    const inThread = await openCore(undefined, passwords, { imap: { ...PAGES, headerWorker: 'off' } });
    cores.push(viaWorker, inThread);
    await viaWorker.addAccount(imapAccount('worker', dv.port, { folders: ['INBOX'] }));
    await inThread.addAccount(imapAccount('inthread', dv.port, { folders: ['INBOX'] }));
    const inbox = viaWorker.store.getFolder('worker', 'INBOX')!.id;
    const steps: Array<{ count: number; min: number | null; max: number | null }> = [];
    viaWorker.onDidChange((ch) => {
      if (!ch.folders.has(inbox)) return;
      const b = viaWorker.store.uidBounds(inbox);
      if (b.count && steps[steps.length - 1]?.count !== b.count) steps.push(b);
    });

    assertInStep(await syncOnce(viaWorker, ['worker']));
    assertInStep(await syncOnce(inThread, ['inthread']));

    // 1,150 messages: a first page of 100, then pages of 200 below it, the first one fetched
    // ahead during the fill and each next one while the page before was stored.
    const s = stats(viaWorker, 'worker');
    assert.equal(s.pages, 6, `pages the worker served: ${JSON.stringify(s)}`);
    assert.equal(s.prefetched, 6, `every page was fetched ahead: ${JSON.stringify(s)}`);
    assert.equal(s.declined, 0);
    assert.equal((inThread.provider('inthread') as ImapProvider).headerWorkerStats, undefined, 'with the worker off, none was started');
    for (const [i, st] of steps.entries()) {
      assert.equal(st.max, 1_150, `step ${i}: the newest message is always there`);
      assert.equal(st.count, 1_150 - st.min! + 1, `step ${i}: no gap between the oldest shown and the newest`);
    }
    assert.ok(steps.length >= 7, `history arrived page by page (${steps.length} steps)`);

    const mine = rows(viaWorker, 'worker');
    const theirs = rows(inThread, 'inthread');
    assert.equal(mine.length, 1_150);
    // Same mail for both users; only the account in the addresses differs.
    const norm = (r: unknown[]): string => JSON.stringify(r).replace(/\b(worker|inthread)@/g, 'u@');
    assert.equal(norm(mine), norm(theirs));
    assert.ok(mine.some((r) => (r as { hasAttachments?: boolean }).hasAttachments), 'the seeded attachments were seen');
  });

  it('a server that refuses the worker a second connection: the pages come over the engine’s own, and the sync completes', async () => {
    const limited = await startDovecot({ users: { solo: 'secret' }, extraConfig: 'protocol imap {\n  mail_max_userip_connections = 1\n}' });
    try {
      seedBench(limited, 'solo', 700, []);
      const c = await openCore(undefined, { solo: 'secret' }, { imap: { ...PAGES, maxConnections: 1, headerWorker: 'always' } });
      cores.push(c);
      await c.addAccount(imapAccount('solo', limited.port, { folders: ['INBOX'] }));
      assertInStep(await syncOnce(c, ['solo']));
      const f = c.store.getFolder('solo', 'INBOX')!;
      assert.deepEqual(c.store.uidBounds(f.id), { count: 700, min: 1, max: 700 });
      const s = stats(c, 'solo');
      assert.equal(s.pages, 0, 'the worker was never let in');
      assert.ok(s.declined >= 3, `every backfill page went to the engine's connection: ${JSON.stringify(s)}`);
    } finally {
      await limited.dispose();
    }
  });

  it('a server that ends the worker’s session in the middle of a page: the page comes over the engine’s connection, and the sync completes without an error', async () => {
    const c = await openCore(undefined, passwords, { imap: { ...PAGES, maxConnections: 1, headerWorker: 'always' } });
    cores.push(c);
    // The engine's connection is the next one the proxy accepts, the worker's the one after.
    proxy.faultyConnection = proxy.accepted() + 2;
    proxy.dropAfterFetches = 50;
    await c.addAccount(imapAccount('second', proxy.port, { folders: ['INBOX'] }));
    assertInStep(await syncOnce(c, ['second'], { maxAttempts: 1 }));
    const f = c.store.getFolder('second', 'INBOX')!;
    assert.deepEqual(c.store.uidBounds(f.id), { count: 1_150, min: 1, max: 1_150 });
    const s = stats(c, 'second');
    assert.equal(s.pages, 0);
    assert.ok(s.declined >= 5, `every page went over the engine's connection: ${JSON.stringify(s)}`);
  });

  it('a server that dies in the middle of a page: the sync says so, and the next one completes', async () => {
    const c = await openCore(undefined, passwords, { imap: { ...PAGES, maxConnections: 1, headerWorker: 'always' } });
    cores.push(c);
    await c.addAccount(imapAccount('dies', proxy.port, { folders: ['INBOX'] }));
    // Every connection dies after 150 messages: the fill's page of 100 passes on the engine's;
    // the worker's dies 150 messages into its first page, and so does the engine's own fetch of
    // that page after it.
    proxy.dropAfterFetches = 150;
    const t0 = Date.now();
    // One attempt: syncOnce would retry the step twice more, as the scheduler does.
    const failed = await syncOnce(c, ['dies'], { maxAttempts: 1 });
    assert.equal(failed.ok, false, 'a page cut off was reported as a complete sync');
    assert.ok(Date.now() - t0 < 30_000, `the cut was noticed in ${Date.now() - t0} ms`);
    const why = failed.failed.map((j) => j.errorMessage ?? '').join('; ');
    assert.match(why, /IMAP INBOX: connection lost/, why);
    const f = c.store.getFolder('dies', 'INBOX')!;
    assert.equal(c.store.uidBounds(f.id).count, 100, 'nothing of the page cut off was stored');

    proxy.dropAfterFetches = undefined;
    assertInStep(await syncOnce(c, ['dies']));
    assert.deepEqual(c.store.uidBounds(f.id), { count: 1_150, min: 1, max: 1_150 });
  });

  it('a server that hangs in the middle of a page: the sync fails within the connections’ own time limit, naming it', async () => {
    const progressMs = 1_500;
    const c = await openCore(undefined, passwords, { imap: { ...PAGES, maxConnections: 1, headerWorker: 'always', limits: { progressMs } } });
    cores.push(c);
    await c.addAccount(imapAccount('hangs', proxy.port, { folders: ['INBOX'] }));
    proxy.silenceAfterFetches = 150;
    const t0 = Date.now();
    const r = await syncOnce(c, ['hangs'], { maxAttempts: 1 });
    const ms = Date.now() - t0;
    assert.equal(r.ok, false, 'a page that never ended was reported as a complete sync');
    const why = r.failed.map((j) => j.errorMessage ?? '').join('; ');
    // The worker's connection has the limits the engine's has: silence ends it; the engine's own
    // fetch of the page then meets the same silence, and says so.
    assert.match(why, /sent nothing for 1\.5 s/, why);
    assert.ok(ms < 2 * progressMs + 8_000, `the hang was given up after ${ms} ms`);
    assert.equal(stats(c, 'hangs').pages, 0);
  });

  it('closing the engine logs the worker out', async () => {
    const c = await openCore(undefined, passwords, { imap: { ...PAGES, maxConnections: 1, headerWorker: 'always' } });
    cores.push(c);
    await c.addAccount(imapAccount('closes', proxy.port, { folders: ['INBOX'] }));
    // Closed while the backfill runs: after the last page the worker would leave on its own.
    const sync = syncOnce(c, ['closes']).catch(() => undefined);
    await until("the engine's connection and the worker's", () => proxy.open() === 2, 15_000);
    await c.close();
    await sync;
    await until('the worker logged out when the engine closed', () => proxy.open() === 0);
  });

  it('after the backfill’s last page the worker logs out and its thread ends (it holds ~70 MB), sooner than its 2 s idle time', async () => {
    const c = await openCore(undefined, passwords, { imap: { ...PAGES, maxConnections: 1, headerWorker: 'always' } });
    cores.push(c);
    await c.addAccount(imapAccount('idles', proxy.port, { folders: ['INBOX'] }));
    assertInStep(await syncOnce(c, ['idles']));
    assert.ok(stats(c, 'idles').pages > 0);
    const done = Date.now();
    await until('the worker logged out after its idle time', () => proxy.open() === 1, 15_000);
    const waited = Date.now() - done;
    assert.ok(waited < 1_800, `ended ${waited} ms after the last page`);
    assert.equal(proxy.open(), 1, "the engine's own connection stays");
  });

  it('the worker the package ships (dist/imapHeaderWorker.js) logs in and parses a page, and a wrong password only ends it', async () => {
    const root = path.resolve(__dirname, '..', '..');
    const file = path.join(root, 'dist', 'imapHeaderWorker.js');
    if (!fs.existsSync(file)) execFileSync(process.execPath, ['esbuild.mjs'], { cwd: root, stdio: 'pipe' });
    const probe = await dv.connect('worker');
    const st = await probe.status('INBOX', { uidValidity: true });
    const uidValidity = String(st && st.uidValidity);
    await probe.logout();
    const run = async (password: string): Promise<WorkerReply[]> => {
      const setup: WorkerSetup = { connect: { server: { host: '127.0.0.1', port: dv.port, security: 'none', user: 'worker' }, password, accountId: 'worker' } };
      const w = new Worker(file, { workerData: setup });
      const replies: WorkerReply[] = [];
      const done = new Promise<void>((resolve) => {
        w.on('message', (m: WorkerReply) => {
          if (m.type !== 'log') replies.push(m);
          if (m.type === 'page' || m.type === 'error') resolve();
        });
        w.on('exit', () => resolve());
      });
      w.postMessage({ type: 'fetch', id: 1, path: 'INBOX', folderId: 7, uidValidity, readOnly: true, range: '1:40' });
      await done;
      await w.terminate();
      return replies;
    };
    const ok = await run('secret');
    const page = ok.find((r) => r.type === 'page');
    assert.ok(page && page.type === 'page', JSON.stringify(ok).slice(0, 300));
    assert.equal(page.messages.length, 40);
    assert.deepEqual(page.messages.map((m) => m.uid), Array.from({ length: 40 }, (_, i) => i + 1));
    assert.ok(page.messages.every((m) => m.providerId.startsWith('7:') && m.subject && m.messageId), 'rows keyed by the folder, with their headers');

    const refused = await run('wrong');
    assert.ok(refused.some((r) => r.type === 'down'), `a refused login says so: ${JSON.stringify(refused).slice(0, 300)}`);
    const err = refused.find((r) => r.type === 'error');
    assert.ok(err && err.type === 'error' && err.phase === 'connect', 'the page is left to the engine, not failed');
  });
});
