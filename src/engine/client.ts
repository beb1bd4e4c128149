/**
 * A client of the engine of one data folder: connects to the running engine, or hosts one in a
 * worker thread of this process when none runs, and takes over when the engine goes away (its
 * host closed or was killed): it reconnects, or hosts one itself; of several clients doing so
 * at once the endpoint lets exactly one win, and the others connect to it.
 */
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { MessageChannel, type MessagePort, Worker } from 'node:worker_threads';
import { createMessageConnection, type MessageConnection, PortMessageReader, PortMessageWriter, ResponseError, SocketMessageReader, SocketMessageWriter } from 'vscode-jsonrpc/node';
import type { AccountConfig } from '../core/config';
import { MailError } from '../core/errors';
import { withDeadline } from '../core/deadline';
import { startWorkerThread } from '../core/workerThread';
import type { LogLevel } from '../core/log';
import { ENGINE_TOKEN_FILE, EngineErrorCodes, type ClientKind, type EngineNotifications, type EngineRequests, type HelloResult, type WireError } from '../shared/protocol/engine';
import type { EngineOptions } from './engine';
import { type Endpoint, engineEndpoint, probe } from './endpoint';
import type { EngineWorkerData, EngineWorkerMessage } from './engineWorker';
import { errorFromResponse, onClientRequest, onNotification, sendEngineRequest } from './rpc';
import { engineProtocolVersion } from './version';
import { fromWireError, toWireError } from './wire';

/** What this client answers when the engine asks for a secret (it keeps them; the engine never does). */
export interface SecretAnswers {
  password(account: AccountConfig, server: 'imap' | 'smtp'): Promise<{ password: string } | { missing: WireError }>;
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string): Promise<void>;
  delete(key: string): Promise<void>;
}

export interface EngineClientOptions {
  dataDir: string;
  kind: ClientKind;
  secrets?: SecretAnswers;
  /** Engine log lines at this level and above reach `onLog`. */
  logLevel?: LogLevel;
  onLog?(line: string, level: LogLevel): void;
  /** Used when this process hosts the engine. */
  engine?: Omit<EngineOptions, 'dataDir' | 'host'>;
}

interface Link {
  conn: MessageConnection;
  hello: HelloResult;
  worker?: Worker;
}

type Listener<T> = (v: T) => void;

const CONNECT_ATTEMPTS = 60;
/** How long close() waits for requests in flight. */
const CLOSE_DRAIN_MS = 3_000;
/** An engine opening a big store answers its first hello late; one that never answers is not ours to wait for. */
const HELLO_MS = 60_000;

export class EngineClient {
  private link: Link | undefined;
  private linking: Promise<Link> | undefined;
  private closed = false;
  private readonly listeners = new Map<keyof EngineNotifications, Set<Listener<never>>>();
  private readonly reconnectListeners = new Set<() => void | Promise<void>>();
  private readonly stoppedListeners = new Set<Listener<string>>();
  /**
   * Connections whose engine said it is stopping. It answers every request it started before it
   * closes and refuses the rest, so a request unanswered when such a connection closes never ran.
   */
  private readonly stopping = new WeakSet<MessageConnection>();
  /** Requests sent and not yet answered: close() lets them finish first. */
  private inFlight = 0;
  private drained: (() => void) | undefined;

  private constructor(private readonly o: EngineClientOptions) {}

  /**
   * A client that connects (or hosts) in the background: requests wait for the link, and fail
   * with its error when there is none. VS Code's activation returns without waiting for a store
   * to open this way.
   */
  static open(o: EngineClientOptions): EngineClient {
    const c = new EngineClient({ ...o, dataDir: path.resolve(o.dataDir) });
    c.ensureLink().catch(() => undefined);
    return c;
  }

  static async connect(o: EngineClientOptions): Promise<EngineClient> {
    const c = new EngineClient({ ...o, dataDir: path.resolve(o.dataDir) });
    await c.ensureLink();
    return c;
  }

  /**
   * A client of an engine this process started itself with `Engine.start` on a MessagePort
   * (tests and benchmarks that host one in their own thread). It does not take over.
   */
  static async overPort(port: MessagePort, o: EngineClientOptions): Promise<EngineClient> {
    const c = new EngineClient({ ...o, dataDir: path.resolve(o.dataDir) });
    const conn = createMessageConnection(new PortMessageReader(port), new PortMessageWriter(port));
    const r = await c.handshake(conn);
    if (r.kind !== 'ok') throw new MailError('internal', 'the MailDesk engine started in this window did not answer it');
    c.link = { conn, hello: r.hello };
    return c;
  }

  /** True while the engine runs in this process. */
  get hosting(): boolean {
    return !!this.link?.worker;
  }

  get engineInfo(): HelloResult | undefined {
    return this.link?.hello;
  }

  /**
   * One typed request. A request the engine refused because it was stopping is sent again to
   * the engine that follows; one cut off by an engine that died is an error (it may have run).
   */
  async request<M extends keyof EngineRequests>(method: M, params: EngineRequests[M]['params']): Promise<EngineRequests[M]['result']> {
    this.inFlight++;
    try {
      return await this.send(method, params);
    } finally {
      if (--this.inFlight === 0) this.drained?.();
    }
  }

  private async send<M extends keyof EngineRequests>(method: M, params: EngineRequests[M]['params']): Promise<EngineRequests[M]['result']> {
    for (let attempt = 0; ; attempt++) {
      const link = await this.ensureLink();
      try {
        return await sendEngineRequest(link.conn, method, params);
      } catch (e) {
        if (e instanceof ResponseError && e.code === EngineErrorCodes.stopping && attempt < 5) {
          await this.linkLost(link);
          continue;
        }
        if (!(e instanceof ResponseError) && attempt < 5 && (this.stopping.has(link.conn) || (this.link !== link && attempt < 1 && isReadOnly(method)))) {
          await this.linkLost(link);
          continue;
        }
        throw errorFromResponse(e);
      }
    }
  }

  on<N extends keyof EngineNotifications>(method: N, listener: Listener<EngineNotifications[N]>): { dispose(): void } {
    let set = this.listeners.get(method);
    if (!set) this.listeners.set(method, (set = new Set()));
    set.add(listener as Listener<never>);
    return { dispose: () => set!.delete(listener as Listener<never>) };
  }

  /** After a takeover (new engine, or this process now hosts): state kept by the engine may need asking again. */
  onDidReconnect(listener: () => void | Promise<void>): { dispose(): void } {
    this.reconnectListeners.add(listener);
    return { dispose: () => this.reconnectListeners.delete(listener) };
  }

  /** The engine hosted here stopped on its own (e.g. handed over to a newer MailDesk). */
  onHostedEngineStopped(listener: Listener<string>): { dispose(): void } {
    this.stoppedListeners.add(listener);
    return { dispose: () => this.stoppedListeners.delete(listener) };
  }

  /** Disconnects; an engine hosted here stops after its requests in flight (clients take over). */
  async close(): Promise<void> {
    // A request sent just before (a draft's last keystroke as the window closes) is answered
    // before the connection goes; one that hangs does not hold the window.
    if (this.inFlight > 0) await Promise.race([new Promise<void>((r) => (this.drained = r)), new Promise((r) => setTimeout(r, CLOSE_DRAIN_MS))]);
    this.closed = true;
    const link = this.link ?? (await this.linking?.catch(() => undefined));
    this.link = undefined;
    if (!link) return;
    if (link.worker) {
      const w = link.worker;
      const exited = new Promise<void>((r) => w.once('exit', () => r()));
      try {
        await sendEngineRequest(link.conn, 'engine/shutdown', {});
      } catch {
        // already stopping
      }
      await Promise.race([exited, new Promise<void>((r) => w.on('message', (m: EngineWorkerMessage) => m.type === 'stopped' && r()))]);
      await w.terminate();
    }
    link.conn.dispose();
  }

  private ensureLink(): Promise<Link> {
    if (this.link) return Promise.resolve(this.link);
    if (this.closed) return Promise.reject(new MailError('internal', 'the MailDesk engine connection is closed'));
    this.linking ??= this.establish().finally(() => (this.linking = undefined));
    return this.linking;
  }

  private async linkLost(link: Link): Promise<void> {
    if (this.link !== link) return;
    this.link = undefined;
    link.conn.dispose();
    if (this.closed) return;
    // Several clients take over at once; a little jitter spreads their attempts.
    await new Promise((r) => setTimeout(r, 20 + Math.random() * 80));
    await this.ensureLink();
    for (const l of this.reconnectListeners) await l();
  }

  private async establish(): Promise<Link> {
    const ep = engineEndpoint(this.o.dataDir);
    let lastError: unknown;
    for (let attempt = 0; attempt < CONNECT_ATTEMPTS; attempt++) {
      if (attempt) await new Promise((r) => setTimeout(r, Math.min(500, 25 * attempt)));
      const socket = await connectSocket(ep.address);
      if (socket) {
        const conn = createMessageConnection(new SocketMessageReader(socket), new SocketMessageWriter(socket));
        const r = await this.handshake(conn);
        if (r.kind === 'ok') return this.adopt({ conn, hello: r.hello });
        conn.dispose();
        socket.destroy();
        if (r.kind === 'newer') throw new MailError('internal', `a newer MailDesk engine (protocol ${r.version}, this is ${engineProtocolVersion()}) owns ${this.o.dataDir}; update this MailDesk (or reload its window)`);
        if (r.kind === 'handingOver') await waitUntilFree(ep);
        lastError = r.kind === 'retry' ? r.error : undefined;
        continue;
      }
      // Nobody listens: host one here. If another starter wins the endpoint, connect to it.
      const hosted = await this.host();
      if (hosted) return this.adopt(hosted);
    }
    throw new MailError('internal', `could not reach or start the MailDesk engine for ${this.o.dataDir}${lastError ? ` (${(lastError as Error).message})` : ''}`);
  }

  private async handshake(conn: MessageConnection): Promise<{ kind: 'ok'; hello: HelloResult } | { kind: 'newer'; version: number } | { kind: 'handingOver' } | { kind: 'retry'; error?: unknown }> {
    this.wire(conn);
    conn.listen();
    const mine = engineProtocolVersion();
    try {
      // An engine that stops (hands over) may close the connection before it answers.
      const closed = new Promise<never>((_, reject) => conn.onClose(() => reject(new Error('the engine closed the connection'))));
      closed.catch(() => undefined);
      const hello = await withDeadline(Promise.race([closed, sendEngineRequest(conn, 'engine/hello', {
        protocolVersion: mine,
        token: readToken(this.o.dataDir),
        client: this.o.kind,
        pid: process.pid,
        answersSecrets: !!this.o.secrets,
        logLevel: this.o.onLog ? this.o.logLevel : undefined,
      })]), HELLO_MS, 'engine hello');
      if (hello.handingOver) return { kind: 'handingOver' };
      if (hello.protocolVersion > mine) return { kind: 'newer', version: hello.protocolVersion };
      if (hello.protocolVersion < mine) return { kind: 'handingOver' };
      return { kind: 'ok', hello };
    } catch (e) {
      // A token read before the new engine wrote its own, or an engine that is stopping.
      return { kind: 'retry', error: e };
    }
  }

  private async host(): Promise<Link | undefined> {
    const { port1, port2 } = new MessageChannel();
    const data: EngineWorkerData = { options: { ...this.o.engine, dataDir: this.o.dataDir, host: this.o.kind }, port: port2 };
    const worker = startWorker(data);
    const first = await new Promise<EngineWorkerMessage | { type: 'exit'; code: number }>((resolve) => {
      worker.once('message', resolve);
      worker.once('error', (e) => resolve({ type: 'failed', error: toWireError(new MailError('internal', `the MailDesk engine could not start: ${e.message}`)) }));
      worker.once('exit', (code) => resolve({ type: 'exit', code }));
    });
    if (first.type !== 'ready') {
      port1.close();
      await worker.terminate();
      if (first.type === 'failed') throw fromWireError(first.error);
      return undefined;
    }
    const conn = createMessageConnection(new PortMessageReader(port1), new PortMessageWriter(port1));
    const r = await this.handshake(conn);
    if (r.kind !== 'ok') {
      await worker.terminate();
      throw new MailError('internal', 'the MailDesk engine started here did not answer its host');
    }
    const link: Link = { conn, hello: r.hello, worker };
    worker.on('message', (m: EngineWorkerMessage) => {
      if (m.type !== 'stopped') return;
      void worker.terminate();
      if (!this.closed) for (const l of this.stoppedListeners) l(m.reason);
      void this.linkLost(link).catch(() => undefined);
    });
    worker.on('exit', () => void this.linkLost(link).catch(() => undefined));
    return link;
  }

  private adopt(link: Link): Link {
    // vscode-jsonrpc handles what arrived (answers, the 'engine/stopping' notice) a turn after
    // reading it, while the close comes at once: let those land before giving up the link.
    if (!link.worker) link.conn.onClose(() => setTimeout(() => void this.linkLost(link).catch(() => undefined), 20));
    this.link = link;
    return link;
  }

  /** Notifications and secret answers on a new connection. */
  private wire(conn: MessageConnection): void {
    for (const method of ['store/changed', 'store/saveFailed', 'sync/progress', 'diagnostics/progress', 'engine/stopping', 'compose/draftSaved'] as const) {
      onNotification(conn, method, (p) => {
        if (method === 'engine/stopping') this.stopping.add(conn);
        for (const l of this.listeners.get(method) ?? []) (l as Listener<typeof p>)(p);
      });
    }
    onNotification(conn, 'engine/log', (p) => this.o.onLog?.(p.line, p.level));
    const s = this.o.secrets;
    if (!s) return;
    onClientRequest(conn, 'secrets/password', (p) => s.password(p.account, p.server));
    onClientRequest(conn, 'secrets/get', async (p) => (await s.get(p.key)) ?? null);
    onClientRequest(conn, 'secrets/set', async (p) => (await s.set(p.key, p.value), null));
    onClientRequest(conn, 'secrets/delete', async (p) => (await s.delete(p.key), null));
  }
}

/** Requests that change nothing: safe to send again when the engine died under them. */
function isReadOnly(method: keyof EngineRequests): boolean {
  return method === 'engine/status' || method.endsWith('/list') || method === 'accounts/get' || method === 'window/mailboxes' || method === 'window/inboxNews';
}

function readToken(dataDir: string): string {
  try {
    return fs.readFileSync(path.join(dataDir, ENGINE_TOKEN_FILE), 'utf8').trim();
  } catch {
    return '';
  }
}

function connectSocket(address: string): Promise<net.Socket | undefined> {
  return new Promise((resolve) => {
    const s = net.connect(address);
    s.once('connect', () => {
      s.removeAllListeners('error');
      // The reader reports a broken connection as closed; the error itself needs no handling.
      s.on('error', () => undefined);
      resolve(s);
    });
    s.once('error', () => resolve(undefined));
  });
}

async function waitUntilFree(ep: Endpoint): Promise<void> {
  const until = Date.now() + 30_000;
  while (Date.now() < until && (await probe(ep, 1000))) await new Promise((r) => setTimeout(r, 50));
}

/** dist/engineWorker.js beside the bundle; from the sources (tests under tsx), the .ts entry. */
function startWorker(data: EngineWorkerData): Worker {
  return startWorkerThread(path.join(__dirname, 'engineWorker.ts'), 'engineWorker.js', { workerData: data, transferList: [data.port] });
}
