/**
 * The header worker: a thread with one IMAP connection of its own that fetches backfill pages
 * of headers and turns them into store rows (headerFetcher.ts starts it and talks to it).
 *
 * Why a thread: parsing a page of FETCH responses costs imapflow as much CPU as the engine's
 * store spends on keeping it (`npm run bench`, "Header sync, main-thread CPU time"). On one
 * thread the two add up; here the worker parses page N+1 while the engine stores page N, and
 * the engine's event loop never holds imapflow's parsing at all.
 *
 * The connection has every bound of connect.ts (the same client factory), so a silent or
 * hostile server ends a fetch here as it would in the engine, which then fetches the page on
 * its own connection and reports what the server does there. The thread lives as long
 * as its connection: it exits when the server or ten idle seconds end it, and the next page
 * starts a new one with the account's current password.
 */
// First: the thread lowers its priority before it loads and runs the rest (lowPriorityThread.ts).
import '../../lowPriorityThread';
import type { FetchQueryObject, ImapFlow } from 'imapflow';
import { parentPort, workerData } from 'node:worker_threads';
import { toMailError } from '../../errors';
import type { Logger } from '../../log';
import type { IncomingMessage } from '../../store/store';
import { createImapClient, faultOr, openImapClient, type ImapConnectOptions } from './connect';
import { HEADER_QUERY, toIncoming } from './headerRows';
import type { FetchRequest, WorkerReply, WorkerRequest, WorkerSetup } from './headerWorkerProtocol';

/** A prefetched page is used only this soon after it arrived; later, the folder may have moved on. */
const PREFETCH_FRESH_MS = 5_000;
/**
 * The connection is logged out, and the thread ends, after this long without a request: pages
 * of a backfill come every tenth of a second, and an idle thread holds memory and a connection.
 * The thread's own heap and code are ~70 MB of the process's RSS (`npm run bench` at 100,000
 * messages: RSS fell from 328 to 252 MB when it ended); with 10 s it outlived the backfill into
 * the bodies fetch, where the engine's peak is. Starting it again costs ~0.15 s of CPU.
 */
const IDLE_MS = 2_000;
/**
 * After a folder's last page (a fetch with no page to fetch ahead), only this long: another
 * folder's backfill that wants the thread asks within it; otherwise the ~70 MB go at once,
 * before the bodies fetch that follows the backfill reaches its peak.
 */
const AFTER_LAST_PAGE_MS = 250;

type Page = { messages: IncomingMessage[] } | { uidValidity: string };

const port = parentPort!;
const setup = workerData as WorkerSetup;
const post = (m: WorkerReply): void => port.postMessage(m);
const logger: Logger = { log: (level, msg, fields) => post({ type: 'log', level, msg, fields }) };
const options: ImapConnectOptions = { ...setup.connect, logger, qresync: false };

let client: ImapFlow | undefined;
let connecting: Promise<ImapFlow> | undefined;
/** One request at a time on the one connection, prefetches included. */
let queue: Promise<unknown> = Promise.resolve();
let prefetched: { key: string; page: Promise<Page>; doneAt?: number } | undefined;
let idle: NodeJS.Timeout | undefined;
let ending = false;

function keyOf(r: FetchRequest, range: string): string {
  return JSON.stringify([r.path, r.folderId, r.uidValidity, r.readOnly, range]);
}

async function connection(): Promise<ImapFlow> {
  if (client?.usable) return client;
  if (client) end();
  connecting ??= (async () => {
    const c = createImapClient(options);
    try {
      await openImapClient(c, options);
    } catch (e) {
      // The engine's own connection says what is wrong with the login: this thread only ends.
      post({ type: 'down', message: toMailError(e).message });
      end();
      throw e;
    }
    c.on('close', () => end());
    client = c;
    return c;
  })();
  return connecting;
}

async function fetchPage(r: FetchRequest, range: string): Promise<Page> {
  const c = await connection().catch((e: unknown) => {
    throw Object.assign(toMailError(e, `IMAP ${setup.connect.server.host}:${setup.connect.server.port}`), { phase: 'connect' });
  });
  try {
    const lock = await c.getMailboxLock(r.path, { readOnly: r.readOnly });
    try {
      const box = c.mailbox && typeof c.mailbox === 'object' ? c.mailbox : undefined;
      // Rows are keyed by the UIDVALIDITY the engine planned with; another one names other mail.
      if (box && String(box.uidValidity) !== r.uidValidity) return { uidValidity: String(box.uidValidity) };
      const messages: IncomingMessage[] = [];
      for await (const m of c.fetch(range, HEADER_QUERY as unknown as FetchQueryObject, { uid: true })) messages.push(toIncoming(r.folderId, r.uidValidity, m));
      return { messages };
    } finally {
      lock.release();
    }
  } catch (e) {
    throw toMailError(faultOr(c, e), `IMAP ${r.path}`);
  }
}

async function serve(r: FetchRequest): Promise<void> {
  if (ending) {
    if (r.type === 'fetch') post({ type: 'declined', id: r.id });
    return;
  }
  const ready = prefetched;
  prefetched = undefined;
  let page: Promise<Page> | undefined;
  if (ready && r.type === 'fetch' && ready.key === keyOf(r, r.range) && (ready.doneAt === undefined || Date.now() - ready.doneAt < PREFETCH_FRESH_MS)) {
    page = ready.page;
  } else {
    if (ready) await ready.page.catch(() => undefined);
    if (r.type === 'fetch') page = fetchPage(r, r.range);
  }
  if (page) {
    try {
      const p = await page;
      post('messages' in p ? { type: 'page', id: r.id, messages: p.messages, prefetched: page === ready?.page } : { type: 'moved', id: r.id, uidValidity: p.uidValidity });
    } catch (e) {
      post({ type: 'error', id: r.id, phase: (e as { phase?: string }).phase === 'connect' ? 'connect' : 'fetch', message: toMailError(e).message });
      return;
    }
  }
  if (r.prefetch && !ending) {
    const next: { key: string; page: Promise<Page>; doneAt?: number } = { key: keyOf(r, r.prefetch), page: fetchPage(r, r.prefetch) };
    next.page.then(
      () => (next.doneAt = Date.now()),
      () => (next.doneAt = 0),
    );
    prefetched = next;
  }
}

function end(): void {
  if (ending) return;
  ending = true;
  clearTimeout(idle);
  const c = client;
  client = undefined;
  void (async () => {
    // The request under way gets its answer (its error, when the server closed) before the thread ends.
    await Promise.race([queue, new Promise((r) => setTimeout(r, 2000))]).catch(() => undefined);
    try {
      if (c?.usable) await Promise.race([c.logout(), new Promise((r) => setTimeout(r, 1000))]);
    } catch {
      /* closing anyway */
    }
    c?.close();
    process.exit(0);
  })();
}

port.on('message', (m: WorkerRequest) => {
  if (m.type === 'close') return end();
  clearTimeout(idle);
  queue = queue
    .then(() => (m.type === 'connect' ? connection().then(() => undefined) : serve(m)))
    .catch((e: unknown) => logger.log('debug', `header worker: ${e instanceof Error ? e.message : String(e)}`))
    .finally(() => {
      clearTimeout(idle);
      idle = setTimeout(end, m.type === 'fetch' && m.prefetch === undefined ? AFTER_LAST_PAGE_MS : IDLE_MS);
    });
});
