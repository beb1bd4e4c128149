/**
 * The engine: the one MailDesk of a data folder, served to every client. It runs in a
 * worker_thread of the hosting process (engineWorker.ts), listens at the data folder's
 * endpoint (endpoint.ts: the socket is the lock) and serves its host over a MessagePort.
 * It never writes a secret: passwords and tokens are asked of the connected clients.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { AsyncLocalStorage } from 'node:async_hooks';
import type { MessagePort } from 'node:worker_threads';
import { createMessageConnection, PortMessageReader, PortMessageWriter, ResponseError, type MessageConnection, SocketMessageReader, SocketMessageWriter } from 'vscode-jsonrpc/node';
import type { AccountConfig, CredentialSource, OAuthConfig, SecretStore } from '../core/config';
import { MailError } from '../core/errors';
import { formatLogLine, type Logger, type LogLevel } from '../core/log';
import { saveError } from '../core/store/recovery';
import type { ReportEngine } from '../core/diagnostics/report';
import { storeOpenProblem } from '../core/diagnostics/troubleshoot';
import { MailDesk } from '../core/maildesk';
import { withDeadline } from '../core/deadline';
import { ENGINE_TOKEN_FILE, EngineErrorCodes, type EngineNotifications, type HelloParams, type HelloResult, type ClientKind } from '../shared/protocol/engine';
import { engineEndpoint, listenExclusive } from './endpoint';
import { engineHandlers, resumeWaitingForPassword, type EngineHandlers } from './handlers';
import { onEngineRequest, sendClientRequest, sendNotification } from './rpc';
import { fromWireError, toWireError } from './wire';
import { engineProtocolVersion } from './version';
import { isSandboxAccount, SandboxHost } from './sandboxHost';

export interface EngineOptions {
  dataDir: string;
  /** Who hosts it: decides where messages tell the user to put settings. */
  host: ClientKind;
  idle?: boolean;
  syncIntervalMs?: number;
  imap?: { firstPageSize?: number; pageSize?: number };
  /**
   * The l10n bundle (bundle.l10n.<locale>.json) of the hosting window's language: the worker
   * loads it so the engine's words (errors and their fixes, Troubleshoot, the thread page) are in
   * that language. None: English.
   */
  l10nBundle?: string;
}

const LEVELS: Record<LogLevel, number> = { trace: 0, debug: 1, info: 2, warn: 3, error: 4 };
/** How long one client may take to answer for a secret. */
const SECRET_ANSWER_MS = 15_000;

interface Client {
  conn: MessageConnection;
  hello?: HelloParams;
  /** Over the host's MessagePort: no token needed. */
  trusted: boolean;
}

export type StartResult = { kind: 'ready'; engine: Engine } | { kind: 'busy' };

export class Engine {
  readonly id = crypto.randomBytes(8).toString('hex');
  readonly startedAt = Date.now();
  private readonly clients = new Set<Client>();
  private readonly server = net.createServer();
  private release: () => void = () => undefined;
  private token = '';
  private core!: MailDesk;
  private handlers!: EngineHandlers;
  /** The demo mailbox this engine serves, when the user tried it ("Try the Sandbox"). */
  sandbox!: SandboxHost;
  private inFlight = 0;
  private drained: (() => void) | undefined;
  private stopping: Promise<void> | undefined;
  private readonly oauth: OAuthConfig = {};
  syncing = false;

  private constructor(
    readonly o: EngineOptions,
    private readonly onStopped: (reason: string) => void,
  ) {}

  /** Claims the data folder (or says another engine has it), opens the store, serves. */
  static async start(o: EngineOptions, hostPort: MessagePort, onStopped: (reason: string) => void): Promise<StartResult> {
    const e = new Engine(o, onStopped);
    const ep = engineEndpoint(o.dataDir);
    // Connections accepted while the store opens wait here (unread) until handlers exist.
    const early: net.Socket[] = [];
    const hold = (socket: net.Socket): void => void early.push(socket.on('error', () => undefined));
    e.server.on('connection', hold);
    try {
      e.release = await listenExclusive(e.server, ep);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') return { kind: 'busy' };
      throw err;
    }
    try {
      fs.mkdirSync(o.dataDir, { recursive: true });
      e.token = crypto.randomBytes(24).toString('hex');
      const tokenFile = path.join(o.dataDir, ENGINE_TOKEN_FILE);
      const tmp = `${tokenFile}.${process.pid}.tmp`;
      try {
        fs.writeFileSync(tmp, e.token, { mode: 0o600 });
        fs.renameSync(tmp, tokenFile);
      } catch (err) {
        // A full disk or a read-only folder stops the engine here: say what to free or fix.
        fs.rmSync(tmp, { force: true });
        throw saveError(err, tokenFile);
      }
      e.core = await MailDesk.open({
        dataDir: o.dataDir,
        credentials: e.credentials(),
        secrets: e.secretStore(),
        surface: o.host === 'vscode' ? 'vscode' : 'cli',
        logger: e.logger(),
        idle: o.idle,
        syncIntervalMs: o.syncIntervalMs,
        imap: o.imap,
        oauth: e.oauth,
        settings: () => e.agentCall.getStore() ?? e.agentSettings,
      });
    } catch (err) {
      for (const socket of early) socket.destroy();
      e.server.close();
      e.release();
      // Classified here, where the file-system error code is known: across the worker boundary
      // only a MailError keeps its meaning ("not a file this user can read and write", disk full).
      throw storeOpenProblem(err, o.dataDir);
    }
    e.sandbox = new SandboxHost(e.core);
    try {
      await e.sandbox.restore();
    } catch (err) {
      // The account stays; its sync says it cannot connect, as for any server that is down.
      e.core.log.log('warn', 'sandbox could not start again', { error: String(err) });
    }
    e.handlers = engineHandlers(e, e.core);
    e.core.onDidChange((c) => void e.broadcast('store/changed', { accounts: [...c.accounts], folders: [...c.folders], messages: c.messages, jobs: c.jobs, local: [...c.local] }));
    e.core.store.onSaveFailed((err) => void e.broadcast('store/saveFailed', toWireError(err)));
    const serve = (socket: net.Socket): void => e.attach(createMessageConnection(new SocketMessageReader(socket.on('error', () => undefined)), new SocketMessageWriter(socket)), false);
    e.server.off('connection', hold);
    e.server.on('connection', serve);
    for (const socket of early.splice(0)) if (!socket.destroyed) serve(socket);
    e.attach(createMessageConnection(new PortMessageReader(hostPort), new PortMessageWriter(hostPort)), true);
    return { kind: 'ready', engine: e };
  }

  /** The engine's MailDesk, for tests that host an engine in their own thread and check its store. */
  get hostedCore(): MailDesk {
    return this.core;
  }

  /** Who hosts this engine and who is connected: the support report's "engine" section. */
  describe(): ReportEngine {
    return {
      state: 'running',
      id: this.id,
      host: this.o.host,
      pid: process.pid,
      startedAt: new Date(this.startedAt).toISOString(),
      protocolVersion: engineProtocolVersion(),
      dataDir: this.o.dataDir,
      clients: [...this.clients].flatMap((c) => (c.hello ? [{ kind: c.hello.client, pid: c.hello.pid, viaHost: c.trusted, answersSecrets: c.hello.answersSecrets }] : [])),
    };
  }

  get clientCount(): number {
    return [...this.clients].filter((c) => c.hello).length;
  }

  get dataDir(): string {
    return this.o.dataDir;
  }

  get storePath(): string | null {
    return this.core.store.path ?? null;
  }

  /** The `maildesk.*` settings (the AI switches) of the client whose agent-tool call came last. */
  agentSettings: Record<string, unknown> = {};
  /**
   * The settings of the agent-tool call running in this async context: a window's and an MCP
   * server's calls interleave at every await, and each must see its own client's switches.
   */
  readonly agentCall = new AsyncLocalStorage<Record<string, unknown>>();

  /** OAuth clients from a client's configuration (the CLI's `oauth`), read when a provider is created. */
  useOAuth(oauth: OAuthConfig | undefined): void {
    if (oauth) Object.assign(this.oauth, oauth);
  }

  startSync(): void {
    this.syncing = true;
    this.core.start();
  }

  notify<N extends keyof EngineNotifications>(conn: MessageConnection, method: N, params: EngineNotifications[N]): void {
    sendNotification(conn, method, params);
  }

  broadcast<N extends keyof EngineNotifications>(method: N, params: EngineNotifications[N]): Promise<void> {
    return Promise.all([...this.clients].filter((c) => c.hello).map((c) => sendNotification(c.conn, method, params))).then(() => undefined);
  }

  private attach(conn: MessageConnection, trusted: boolean): void {
    const client: Client = { conn, trusted };
    this.clients.add(client);
    conn.onClose(() => {
      this.clients.delete(client);
      // vscode-jsonrpc rejects the requests still waiting for this client's answer only on
      // dispose, not on close: without it a password asked of a client that just exited waits
      // out the whole deadline.
      conn.dispose();
    });
    conn.onError(() => undefined);
    onEngineRequest(conn, 'engine/hello', (p) => this.hello(client, p));
    for (const [method, handler] of Object.entries(this.handlers) as Array<[keyof EngineHandlers, EngineHandlers[keyof EngineHandlers]]>) {
      conn.onRequest(method, async (params: unknown) => {
        if (!client.hello) return new ResponseError(EngineErrorCodes.version, 'say engine/hello first');
        if (this.stopping) return new ResponseError(EngineErrorCodes.stopping, 'the MailDesk engine is stopping; connect again');
        this.inFlight++;
        try {
          // The table's entry for `method` takes the params of `method` (see EngineHandlers).
          return await (handler as (p: unknown, conn: MessageConnection) => unknown)(params, conn);
        } catch (e) {
          return mailResponse(e);
        } finally {
          if (--this.inFlight === 0) this.drained?.();
        }
      });
    }
    conn.listen();
  }

  private hello(client: Client, p: HelloParams): HelloResult {
    if (!client.trusted && p.token !== this.token) throw new ResponseError(EngineErrorCodes.badToken, 'the access token does not match this data folder');
    const mine = engineProtocolVersion();
    const result: HelloResult = { protocolVersion: mine, engineId: this.id, pid: process.pid, dataDir: this.o.dataDir };
    if (p.protocolVersion > mine) {
      // A newer MailDesk asks: this engine hands the data folder over and stops.
      // (After this answer has left: stopping closes the connections.)
      setTimeout(() => void this.stop(`a newer MailDesk (protocol ${p.protocolVersion}) took over this data folder`), 100);
      return { ...result, handingOver: true };
    }
    if (this.stopping) return { ...result, handingOver: true };
    if (p.protocolVersion === mine) {
      client.hello = p;
      if (p.answersSecrets) resumeWaitingForPassword(this.core);
    }
    return result;
  }

  /** Stops after the requests in flight: clients are told, the store saved and closed, the lock released. */
  stop(reason: string): Promise<void> {
    this.stopping ??= (async () => {
      const told = this.broadcast('engine/stopping', { reason });
      if (this.inFlight > 0) await new Promise<void>((r) => (this.drained = r));
      // Every client knows before its connection closes (so it may resend what was refused).
      await told;
      // The endpoint is the lock, and the store is a file two engines must never write at once:
      // it stays held until the store is closed. Clients that connect meanwhile are told the
      // engine is handing over, and wait until the endpoint is free to start the next one.
      try {
        await this.sandbox?.stop();
        await this.core.close();
      } finally {
        this.server.close();
        this.release();
        for (const c of this.clients) c.conn.dispose();
        this.clients.clear();
        this.onStopped(reason);
      }
    })();
    return this.stopping;
  }

  /** Clients that can answer for secrets, the host first. */
  private secretClients(): Client[] {
    return [...this.clients].filter((c) => c.hello?.answersSecrets).sort((a, b) => Number(b.trusted) - Number(a.trusted));
  }

  private credentials(): CredentialSource {
    return {
      password: async (account: AccountConfig, server: 'imap' | 'smtp') => {
        if (isSandboxAccount(account)) return SandboxHost.password();
        // Every client that keeps secrets is asked at once; the first password wins, so a slow
        // or departing client never holds up one that has it. With none, the most trusted
        // client's reason is reported (the host first).
        const asked = this.secretClients().map((c) => withDeadline(sendClientRequest(c.conn, 'secrets/password', { account, server }), SECRET_ANSWER_MS, 'password request').catch(() => undefined));
        const found = await firstAnswer(asked, (r) => (r && 'password' in r ? r.password : undefined));
        if (found !== undefined) return found;
        for (const a of asked) {
          const r = await a;
          if (r && 'missing' in r) throw fromWireError(r.missing);
        }
        throw new MailError('config.missingPassword', `no open MailDesk window or command can give the password for account "${account.id}" (${server}); open VS Code and use "Enter Password", or run a maildesk command with the password variable set`);
      },
    };
  }

  private secretStore(): SecretStore {
    const each = async (fn: (c: Client) => Promise<unknown>): Promise<void> => {
      await Promise.all(this.secretClients().map((c) => withDeadline(fn(c), SECRET_ANSWER_MS, 'secret request').catch(() => undefined)));
    };
    return {
      get: (key) => {
        const asked = this.secretClients().map((c) => withDeadline(sendClientRequest(c.conn, 'secrets/get', { key }), SECRET_ANSWER_MS, 'secret request').catch(() => undefined));
        return firstAnswer(asked, (v) => (typeof v === 'string' ? v : undefined));
      },
      // A refreshed token goes back to every client that keeps secrets; none is written here.
      set: (key, value) => each((c) => sendClientRequest(c.conn, 'secrets/set', { key, value })),
      delete: (key) => each((c) => sendClientRequest(c.conn, 'secrets/delete', { key })),
    };
  }

  private logger(): Logger {
    return {
      log: (level, msg, fields) => {
        let line: string | undefined;
        for (const c of this.clients) {
          const want = c.hello?.logLevel;
          if (!want || LEVELS[level] < LEVELS[want]) continue;
          line ??= formatLogLine(level, msg, fields);
          sendNotification(c.conn, 'engine/log', { level, line });
        }
      },
    };
  }
}

/** The first answer `pick` accepts, as soon as it arrives; undefined when none does. */
function firstAnswer<A, T>(answers: Array<Promise<A>>, pick: (a: A) => T | undefined): Promise<T | undefined> {
  return new Promise((resolve) => {
    let left = answers.length;
    if (!left) resolve(undefined);
    for (const a of answers) {
      void a.then((r) => {
        const v = pick(r);
        if (v !== undefined) resolve(v);
        else if (--left === 0) resolve(undefined);
      });
    }
  });
}

function mailResponse(e: unknown): ResponseError<unknown> {
  if (e instanceof ResponseError) return e;
  const err = e instanceof MailError ? e : new MailError('internal', (e as Error)?.message ?? String(e), { cause: e });
  // toWireError: the error's own remedy crosses too (one that names a better fix than its code's).
  return new ResponseError(EngineErrorCodes.mail, err.message, toWireError(err));
}
