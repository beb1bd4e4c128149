/**
 * The engine's side of the header worker (headerWorker.ts): asks it for backfill pages, and
 * says when it cannot serve one, so the provider fetches that page on its own connection as
 * before. Nothing depends on the worker being there: a thread that cannot start, a login it is
 * refused (a server's limit on connections per user), a page that fails on its connection (a
 * server that ends a second session, or that fails in the middle of the page) or a thread that
 * is ending all end in the provider's own fetch, which shows a fault of the server as it always
 * did. A folder whose UIDVALIDITY changed under the page is a 'folder.reset', which the next
 * sync follows as it follows any reset.
 */
import * as path from 'node:path';
import type { Worker } from 'node:worker_threads';
import { MailError } from '../../errors';
import type { LogFields, Logger } from '../../log';
import type { IncomingMessage } from '../../store/store';
import { startWorkerThread } from '../../workerThread';
import type { FetchRequest, WorkerReply, WorkerRequest, WorkerSetup } from './headerWorkerProtocol';

export type HeaderPageRequest = Omit<FetchRequest, 'type' | 'id'>;

/** After the worker failed (to start, to log in, or on a page), pages are fetched in the engine's thread for this long. */
const DOWN_MS = 60_000;
/** A folder that asked for no page for this long no longer holds the worker. */
const OWNER_IDLE_MS = 2_000;

interface Running {
  worker: Worker;
  pending: Map<number, (reply: WorkerReply | undefined) => void>;
}

export class HeaderFetcher {
  private running: Running | undefined;
  private starting: Promise<Running | undefined> | undefined;
  private nextId = 1;
  private downUntil = 0;
  private closed = false;
  private owner: { folderId: number; at: number } | undefined;
  /** The page prefetch() gave the worker, until it is asked for. */
  private ahead: { folderId: number; range: string } | undefined;
  /** Pages the worker served, of them from a prefetch, and pages it left to the caller. */
  readonly stats = { pages: 0, prefetched: 0, declined: 0 };

  constructor(
    private readonly setup: () => Promise<WorkerSetup>,
    private readonly logger: Logger,
    private readonly fields: LogFields,
  ) {}

  /** Starts the thread and its login: a folder's first sync has begun, its backfill will follow. */
  warm(): void {
    void this.start().then((r) => r?.worker.postMessage({ type: 'connect' } satisfies WorkerRequest));
  }

  /**
   * Has the worker fetch `req.prefetch` before the caller asks for it: a folder's first backfill
   * page while the caller fetches the fill's page (when STATUS tells which it is), or else its
   * second while the caller fetches the first. The thread starts, logs in and parses its first
   * page (its code still cold) meanwhile.
   */
  prefetch(req: Omit<HeaderPageRequest, 'range'> & { prefetch: string }): void {
    if (!this.take(req.folderId)) return;
    this.ahead = { folderId: req.folderId, range: req.prefetch };
    void this.start().then((r) => r?.worker.postMessage({ type: 'prefetch', id: this.nextId++, range: '', ...req } satisfies FetchRequest));
  }

  /**
   * The page's rows, as the worker parsed them; undefined when the worker cannot serve it and
   * the caller is to fetch it itself. Throws only 'folder.reset', for a folder whose UIDVALIDITY
   * is not the one the page was asked under.
   */
  async fetch(req: HeaderPageRequest): Promise<IncomingMessage[] | undefined> {
    // The worker is on the page after this one already: this one is the caller's, side by side.
    const ahead = this.ahead;
    this.ahead = undefined;
    if (ahead && ahead.folderId === req.folderId && ahead.range === req.prefetch) {
      this.ahead = ahead;
      return this.decline();
    }
    if (!this.take(req.folderId, req.prefetch === undefined)) return this.decline();
    const r = await this.start();
    if (!r) return this.decline();
    const id = this.nextId++;
    const reply = await new Promise<WorkerReply | undefined>((resolve) => {
      r.pending.set(id, resolve);
      r.worker.postMessage({ type: 'fetch', id, ...req } satisfies FetchRequest);
    });
    if (!reply || reply.type === 'declined') return this.decline();
    if (reply.type === 'moved') {
      throw new MailError('folder.reset', `the server reported UIDVALIDITY ${reply.uidValidity} for "${req.path}" while its history was being fetched under ${req.uidValidity}; the folder will be fetched anew`, { retryable: true });
    }
    if (reply.type === 'page') {
      this.stats.pages++;
      if (reply.prefetched) this.stats.prefetched++;
      return reply.messages;
    }
    if (reply.type === 'error') {
      // Whatever failed on the worker's connection (a server that ends or refuses a second
      // session, or one that failed in the middle of the page), this page and the next minute's
      // go over the engine's own connection, as without the worker: a fault of the server
      // shows there, with the engine's own error.
      this.downUntil = Date.now() + DOWN_MS;
      if (reply.phase === 'fetch') this.logger.log('warn', `IMAP header worker: ${reply.message}; pages are fetched over the engine's connection for a minute`, this.fields);
      return this.decline();
    }
    return this.decline();
  }

  /** Whether prefetch() gave the worker this page of this folder, not yet asked for. */
  isAhead(folderId: number, range: string): boolean {
    return this.ahead?.folderId === folderId && this.ahead.range === range;
  }

  /**
   * One folder's backfill at a time has the worker: its pages come one after another, each
   * fetched while the last is stored. Folders synced beside it fetch on their own connections,
   * in parallel, as before; the worker is theirs once the owner's last page is asked for, or it
   * has asked for none for a while.
   */
  private take(folderId: number, last = false): boolean {
    const now = Date.now();
    if (this.owner && this.owner.folderId !== folderId && now - this.owner.at < OWNER_IDLE_MS) return false;
    this.owner = last ? undefined : { folderId, at: now };
    return true;
  }

  async close(): Promise<void> {
    this.closed = true;
    const r = this.running ?? (await this.starting);
    if (!r) return;
    const exited = new Promise((resolve) => r.worker.once('exit', resolve));
    r.worker.postMessage({ type: 'close' });
    // It logs out first; a server that does not answer the LOGOUT is not waited for long.
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 2_000))]);
    await r.worker.terminate();
  }

  private decline(): undefined {
    this.stats.declined++;
    return undefined;
  }

  private start(): Promise<Running | undefined> {
    if (this.running) return Promise.resolve(this.running);
    if (this.closed || Date.now() < this.downUntil) return Promise.resolve(undefined);
    this.starting ??= (async () => {
      try {
        const worker = spawn(await this.setup());
        // The engine's process ends when its work does, whatever this thread is doing.
        worker.unref();
        const r: Running = { worker, pending: new Map() };
        worker.on('message', (m: WorkerReply) => this.onReply(r, m));
        worker.on('error', (e) => {
          this.downUntil = Date.now() + DOWN_MS;
          this.logger.log('warn', `IMAP header worker failed: ${e.message}; pages are fetched in the engine's thread`, this.fields);
        });
        worker.on('exit', () => {
          if (this.running === r) this.running = undefined;
          for (const resolve of r.pending.values()) resolve(undefined);
          r.pending.clear();
        });
        this.running = r;
        return r;
      } catch (e) {
        this.downUntil = Date.now() + DOWN_MS;
        this.logger.log('warn', `IMAP header worker could not start: ${e instanceof Error ? e.message : String(e)}; pages are fetched in the engine's thread`, this.fields);
        return undefined;
      } finally {
        this.starting = undefined;
      }
    })();
    return this.starting;
  }

  private onReply(r: Running, m: WorkerReply): void {
    if (m.type === 'log') return this.logger.log(m.level, m.msg, { ...this.fields, ...m.fields });
    if (m.type === 'down') {
      this.downUntil = Date.now() + DOWN_MS;
      this.logger.log('debug', `IMAP header worker could not log in (${m.message}); pages are fetched in the engine's thread for a minute`, this.fields);
      return;
    }
    const resolve = r.pending.get(m.id);
    r.pending.delete(m.id);
    resolve?.(m);
  }
}

/** dist/imapHeaderWorker.js beside the bundle; from the sources (tests under tsx), the .ts entry. */
function spawn(data: WorkerSetup): Worker {
  return startWorkerThread(path.join(__dirname, 'headerWorker.ts'), 'imapHeaderWorker.js', { workerData: data });
}
