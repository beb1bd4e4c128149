/**
 * Builds imapflow clients from an account's settings, with every bound of src/core/limits.ts:
 * a dead, silent, stalling, endless or babbling server costs one short wait and names itself
 * in the error, instead of holding a job for minutes or the process's memory.
 *
 * imapflow enforces most of them itself (connection, greeting and socket timeouts, line,
 * literal and response sizes); what it lacks is added here: a deadline on the login phase
 * (it waits for the socket timeout there) and a cap on lines that are not IMAP (each one is
 * skipped and logged, so a server that sends garbage without end would hold the connection
 * and fill the log forever).
 */
import { ImapFlow, type ImapFlowOptions } from 'imapflow';
import type { ServerConfig } from '../../config';
import { MailError, toMailError } from '../../errors';
import { formatBytes, formatSeconds, resolveLimits, type ConnectionLimits } from '../../limits';
import { imapflowLogger, type Logger } from '../../log';
import { parseInSlices } from './parseSlices';

export interface ImapConnectOptions {
  server: ServerConfig;
  password: string;
  logger: Logger;
  accountId: string;
  /** Enable QRESYNC so a re-selected folder reports what vanished since our modseq. */
  qresync?: boolean;
  /** Overrides of the defaults in src/core/limits.ts (tests use short ones). */
  limits?: Partial<ConnectionLimits>;
}

/** Why a connection ended when the server's behaviour (not a plain drop) ended it. */
const faults = new WeakMap<ImapFlow, MailError>();
/** Each client's server and limits, to read its errors with. */
const contexts = new WeakMap<ImapFlow, { server: ServerConfig; limits: ConnectionLimits }>();

/**
 * The reason a connection was closed by one of our limits or a server fault, if it was; a
 * command on it failed with imapflow's generic "Connection not available" meanwhile.
 */
export function connectionFault(c: ImapFlow): MailError | undefined {
  return faults.get(c);
}

/**
 * What a failed command on `c` really means: the connection's fault if a limit or the server
 * ended it, or the limit the error itself names; else the error as thrown.
 */
export function faultOr(c: ImapFlow, e: unknown): unknown {
  const ctx = contexts.get(c);
  return faults.get(c) ?? (ctx ? faultOf(e, ctx.server, ctx.limits) : undefined) ?? e;
}

function where(s: ServerConfig): string {
  return `IMAP ${s.host}:${s.port}`;
}

/** The MailError for an imapflow 'error' event that ends a connection, when it is a limit or fault. */
function faultOf(e: unknown, s: ServerConfig, l: ConnectionLimits): MailError | undefined {
  const err = (e ?? {}) as { code?: unknown; literalSize?: unknown; lineLength?: unknown; responseSize?: unknown };
  const opts = { cause: e, providerMessage: e instanceof Error ? e.message : undefined };
  switch (err.code) {
    case 'ETIMEOUT':
      return new MailError('net.timeout', `${where(s)}: the server sent nothing for ${formatSeconds(l.progressMs)}; the connection was closed`, opts);
    case 'LiteralTooLarge':
      return new MailError(
        'server.protocol',
        `${where(s)}: the server announced a literal of ${typeof err.literalSize === 'number' && Number.isFinite(err.literalSize) ? formatBytes(err.literalSize) : 'unbounded size'}, above MailDesk's limit of ${formatBytes(l.maxLiteralBytes)}; the connection was closed`,
        opts,
      );
    case 'LineTooLarge':
      return new MailError('server.protocol', `${where(s)}: the server sent a line longer than ${formatBytes(l.maxLineBytes)} without a line end; the connection was closed`, opts);
    case 'ResponseTooLarge':
      return new MailError('server.protocol', `${where(s)}: one response of the server grew beyond ${formatBytes(l.maxResponseBytes)}; the connection was closed`, opts);
    case 'TooManyTokens':
      return new MailError('server.protocol', `${where(s)}: one response of the server holds too many items to parse; the connection was closed`, opts);
    default:
      return undefined;
  }
}

export function imapOptions(o: ImapConnectOptions, hooks: { onUnparsed?: (bytes: number, sample: string) => boolean } = {}): ImapFlowOptions {
  const s = o.server;
  const l = resolveLimits(o.limits);
  return {
    host: s.host,
    port: s.port,
    secure: s.security === 'tls',
    // 'none' means none: never upgrade, even if offered. 'starttls' insists on it.
    doSTARTTLS: s.security === 'starttls' ? true : s.security === 'none' ? false : undefined,
    auth: { user: s.user, pass: o.password },
    tls: { rejectUnauthorized: !s.allowInvalidCertificate, servername: /^[\d.]+$/.test(s.host) ? undefined : s.host },
    logger: imapflowLogger(o.logger, { account: o.accountId }, hooks) as unknown as ImapFlowOptions['logger'],
    qresync: o.qresync ?? true,
    connectionTimeout: l.connectMs,
    greetingTimeout: l.greetingMs,
    socketTimeout: l.progressMs,
    maxLineLength: l.maxLineBytes,
    maxLiteralSize: l.maxLiteralBytes,
    maxResponseSize: l.maxResponseBytes,
    disableAutoIdle: true,
  };
}

/**
 * A client with the limits in place and its fault recorded; not connected yet. `extra` are
 * imapflow options on top (the IDLE connection's auto-IDLE).
 */
export function createImapClient(o: ImapConnectOptions, extra: Partial<ImapFlowOptions> = {}): ImapFlow {
  const l = resolveLimits(o.limits);
  let unparsed = 0;
  // The hook is made before the client it watches.
  const made: { client?: ImapFlow } = {};
  const onUnparsed = (bytes: number, sample: string): boolean => {
    const c = made.client;
    if (!c || faults.has(c)) return false;
    if (++unparsed < l.maxUnparsedLines) return true;
    faults.set(
      c,
      new MailError('server.protocol', `${where(o.server)}: the server sent ${unparsed} lines that are not IMAP (the last, ${bytes} bytes, began "${sample}"); it is not an IMAP server or it is broken, so the connection was closed`, {
        retryable: false,
      }),
    );
    // Not from inside imapflow's parse step that is logging this line.
    setImmediate(() => c.close());
    return true;
  };
  const c = new ImapFlow({ ...imapOptions(o, { onUnparsed }), ...extra });
  made.client = c;
  contexts.set(c, { server: o.server, limits: l });
  // Big fetches are parsed in slices, so the editor stays responsive (see parseSlices.ts).
  parseInSlices(c);
  // An 'error' event without a listener would crash the process.
  c.on('error', (e: Error) => {
    const f = faultOf(e, o.server, l);
    if (f && !faults.has(c)) faults.set(c, f);
    o.logger.log('warn', `IMAP connection error: ${f ? f.message : e.message}`, { account: o.accountId });
  });
  return c;
}

/**
 * Connects and logs in: the connection and the greeting within imapflow's own timeouts, then
 * the session (CAPABILITY, STARTTLS, LOGIN, ID) within `loginMs` of the greeting, which
 * imapflow would otherwise only bound by the socket timeout.
 */
export async function openImapClient(c: ImapFlow, o: ImapConnectOptions): Promise<void> {
  const l = resolveLimits(o.limits);
  const started = Date.now();
  let greetedAt: number | undefined;
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    const fail = (err: MailError): void => {
      if (!faults.has(c)) faults.set(c, err);
      c.close();
      reject(err);
    };
    // imapflow tells no one when the greeting came; a look every 100 ms is close enough.
    timer = setInterval(() => {
      const now = Date.now();
      if (greetedAt === undefined && (c as unknown as { greetingReceived?: boolean }).greetingReceived === true) greetedAt = now;
      if (greetedAt !== undefined && now - greetedAt >= l.loginMs) {
        fail(new MailError('net.timeout', `${where(o.server)}: the server greeted but did not complete the login within ${formatSeconds(l.loginMs)}`));
      } else if (greetedAt === undefined && now - started >= l.connectMs + l.greetingMs + 1_000) {
        // imapflow's own connection and greeting timeouts should have ended it by now.
        fail(new MailError('net.timeout', `${where(o.server)}: no IMAP greeting within ${formatSeconds(l.connectMs + l.greetingMs)}`));
      }
    }, 100);
  });
  try {
    await Promise.race([c.connect(), deadline]);
  } catch (e) {
    throw faults.get(c) ?? faultOf(e, o.server, l) ?? connectError(e, o.server, l);
  } finally {
    clearInterval(timer);
  }
}

/** What imapflow's connect-phase errors mean, said without guessing at TLS where nothing was said. */
function connectError(e: unknown, s: ServerConfig, l: ConnectionLimits): MailError {
  const code = (e as { code?: unknown } | undefined)?.code;
  const opts = { cause: e, providerMessage: e instanceof Error ? e.message : undefined };
  if (code === 'GREETING_TIMEOUT') {
    // A server that says nothing at all: no greeting is no evidence about TLS, so no TLS advice
    // (imapflow's own text suggests TLS whenever the connection is plain).
    return new MailError('net.timeout', `${where(s)}: the server accepted the connection but sent no greeting within ${formatSeconds(l.greetingMs)}`, { cause: e });
  }
  if (code === 'CONNECT_TIMEOUT') return new MailError('net.timeout', `${where(s)}: the connection could not be set up within ${formatSeconds(l.connectMs)}`, opts);
  if (code === 'ClosedAfterConnectText' || code === 'ClosedAfterConnectTLS') {
    const reason = (e as { reason?: unknown }).reason;
    return new MailError('net.reset', `${where(s)}: the server closed the connection before the session began${typeof reason === 'string' ? ` (${reason})` : ''}`, opts);
  }
  return toMailError(e, where(s));
}

export async function connectImap(o: ImapConnectOptions): Promise<ImapFlow> {
  const client = createImapClient(o);
  await openImapClient(client, o);
  return client;
}
