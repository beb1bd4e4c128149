/**
 * A local mail sandbox that needs no system package: IMAP from `hoodiecrow-imap` (an
 * in-memory, scriptable IMAP server) and SMTP from `smtp-server`, both in this process on
 * 127.0.0.1. `npm run demo` and the benchmark use it on a machine without Dovecot.
 * It is a mock: tests of sync correctness run against Dovecot (see shared/notes/real-servers.md).
 *
 * What hoodiecrow-imap 2.1.0 does with imapflow 2.10 (checked by hand and in
 * test/integration/sandbox.test.ts):
 *
 * Works:
 * - LOGIN and AUTHENTICATE PLAIN (with SASL-IR), ID, NAMESPACE, CAPABILITY.
 * - LIST / LSUB with SPECIAL-USE flags (\Sent \Drafts \Archive \Trash \Junk), nested
 *   folders with "/" as separator, CREATE / RENAME / DELETE of user folders.
 * - STATUS (MESSAGES UNSEEN UIDNEXT UIDVALIDITY, HIGHESTMODSEQ with CONDSTORE).
 * - SELECT / EXAMINE / CLOSE / UNSELECT.
 * - UID FETCH of UID, FLAGS, ENVELOPE, BODYSTRUCTURE, INTERNALDATE, RFC822.SIZE,
 *   BODY.PEEK[] (source) and single parts (imapflow download()).
 * - UID SEARCH (ALL, SEEN/UNSEEN, SINCE/BEFORE, FROM/TO/SUBJECT/TEXT/HEADER, OR/NOT, UID).
 * - UID STORE +FLAGS/-FLAGS/FLAGS; UID COPY with COPYUID; UID MOVE with COPYUID (MOVE
 *   plugin); UID EXPUNGE (UIDPLUS); APPEND with APPENDUID.
 * - IDLE: new mail (APPEND from any session, SMTP, deliver()) is pushed as `* n EXISTS`.
 *
 * Works only with help from this file:
 * - CONDSTORE: hoodiecrow keeps MODSEQ per message and HIGHESTMODSEQ per folder, but its
 *   ENABLE answers without the untagged `* ENABLED CONDSTORE` that RFC 5161 requires, so
 *   imapflow never counts CONDSTORE as enabled and drops CHANGEDSINCE and MODSEQ. The
 *   `enabledResponse` plugin below adds that line. Even then:
 *   - UID FETCH ... (CHANGEDSINCE n) ignores the filter and returns every message in the
 *     range (plain FETCH filters; UID FETCH does not). Harmless, just not incremental.
 *   - Expunges do not raise HIGHESTMODSEQ, SEARCH MODSEQ is not supported, and STORE by
 *     one session is not announced to others (no untagged FETCH, not even during IDLE).
 *   So a sync that trusts "HIGHESTMODSEQ unchanged = nothing changed" misses expunges
 *   here; it must also compare the message count / UID list. Pass `condstore: false`
 *   to hide CONDSTORE entirely and exercise the plain UID/flag comparison path.
 * - IDLE: hoodiecrow's own plugin arms a 30-minute timer that keeps Node alive after the
 *   client has gone; the `idle` plugin below is the same logic without that timer.
 *
 * Does not work / not offered:
 * - QRESYNC (no VANISHED), LIST-STATUS, LIST-EXTENDED (`RETURN (SPECIAL-USE)`), ESEARCH,
 *   SORT, THREAD, QUOTA, COMPRESS, UTF8=ACCEPT, X-GM-EXT-1 threads. imapflow copes without
 *   them (it issues STATUS per folder and plain LIST).
 * - SEARCH compares raw, undecoded text: an RFC 2047 subject or name, or a quoted-printable
 *   or base64 body, does not match (nodemailer encodes a whole non-ASCII subject, so even
 *   its ASCII words are not found). Search by Message-ID or ASCII headers instead.
 * - STORE answers NO while the session has expunges it has not been told about yet.
 * - Session flags: `\Recent` is always 0.
 * - STARTTLS/TLS: not used here (no certificate in a bundle); plain TCP on 127.0.0.1.
 * - Persistence: everything is in memory; stop() loses all changes.
 * - Every login shares the one mailbox; only the configured user/password are accepted.
 *
 * Also: hoodiecrow uses `new Buffer()`, so Node prints one DEP0005 deprecation warning.
 * It works bundled by esbuild (checked): commands and plugins are required by name below.
 */
import type { Socket } from 'net';
import type { AddressInfo } from 'net';
import { SMTPServer, type SMTPServerAuthentication, type SMTPServerSession } from 'smtp-server';
import { DEFAULT_ME, formatDate, generateMailbox, type GeneratedMessage } from './mailgen';

export interface Sandbox {
  host: '127.0.0.1';
  imapPort: number;
  smtpPort: number;
  /** Login name for IMAP and SMTP (the address itself, like most providers). */
  user: string;
  password: string;
  email: string;
  stop(): Promise<void>;
  /** New mail arriving: appended to `folder` (default INBOX) and announced to IDLE clients. */
  deliver(raw: Buffer | string, folder?: string): void;
}

export interface SandboxOptions {
  imapPort?: number;
  smtpPort?: number;
  /** Seed messages; default: generateMailbox({ sizeProfile: 'demo', count: 150 }). */
  messages?: GeneratedMessage[];
  /** Keep a copy of each message sent through SMTP in Sent, as Gmail does (default true). */
  saveToSent?: boolean;
  /** Offer CONDSTORE (default true); false makes the server look like a plain IMAP4rev1 host. */
  condstore?: boolean;
  password?: string;
}

export const SANDBOX_PASSWORD = 'sandbox-password';

/** Folders every sandbox has, with the special-use flag a client maps them by. */
const STANDARD_FOLDERS: Record<string, string | undefined> = {
  INBOX: undefined,
  Sent: '\\Sent',
  Drafts: '\\Drafts',
  Archive: '\\Archive',
  Trash: '\\Trash',
  Junk: '\\Junk',
  'Projects/Website': undefined,
};

// hoodiecrow-imap ships no types; this is the part of it used here.
interface HcMailbox {
  messages: HcMessage[];
  folders?: Record<string, HcMailbox>;
  'special-use'?: string;
  flags?: string[];
}
interface HcMessage {
  raw: string;
  flags: string[];
  internaldate: Date | string;
}
interface HcConnection {
  state: string;
  enabled?: string[];
  inputHandler: ((line: string) => void) | false;
  directNotifications: boolean;
  socket: Socket | null;
  send(response: unknown, description: string, parsed: unknown, data?: unknown, extra?: unknown): void;
  processNotifications(data?: unknown): void;
}
interface HcParsed {
  tag: string;
  command: string;
  attributes?: unknown[];
}
type HcHandler = (connection: HcConnection, parsed: HcParsed, data: unknown, callback: () => void) => void;
interface HcServer {
  server: import('net').Server;
  listen(port: number, host: string): void;
  getMailbox(path: string): HcMailbox | undefined;
  appendMessage(mailbox: string, flags: string[], internaldate: Date | string | undefined, raw: string): unknown;
  getCommandHandler(command: string): HcHandler | false;
  setCommandHandler(command: string, handler: HcHandler): void;
  registerCapability(keyword: string): void;
}
type HcFactory = (options: Record<string, unknown>) => HcServer;

/* eslint-disable @typescript-eslint/no-require-imports */
const hoodiecrow: HcFactory = require('hoodiecrow-imap');
// hoodiecrow loads commands and plugins with require('./commands/' + name), which a bundle
// (dist/demo.js) cannot resolve. Naming every file here lets esbuild include them, and
// registering them up front means hoodiecrow never takes its dynamic path.
const COMMANDS: Record<string, HcHandler> = {
  APPEND: require('hoodiecrow-imap/lib/commands/append.js'),
  CAPABILITY: require('hoodiecrow-imap/lib/commands/capability.js'),
  CHECK: require('hoodiecrow-imap/lib/commands/check.js'),
  CLOSE: require('hoodiecrow-imap/lib/commands/close.js'),
  COPY: require('hoodiecrow-imap/lib/commands/copy.js'),
  CREATE: require('hoodiecrow-imap/lib/commands/create.js'),
  DELETE: require('hoodiecrow-imap/lib/commands/delete.js'),
  EXAMINE: require('hoodiecrow-imap/lib/commands/examine.js'),
  EXPUNGE: require('hoodiecrow-imap/lib/commands/expunge.js'),
  FETCH: require('hoodiecrow-imap/lib/commands/fetch.js'),
  LIST: require('hoodiecrow-imap/lib/commands/list.js'),
  LOGIN: require('hoodiecrow-imap/lib/commands/login.js'),
  LOGOUT: require('hoodiecrow-imap/lib/commands/logout.js'),
  LSUB: require('hoodiecrow-imap/lib/commands/lsub.js'),
  NOOP: require('hoodiecrow-imap/lib/commands/noop.js'),
  RENAME: require('hoodiecrow-imap/lib/commands/rename.js'),
  SEARCH: require('hoodiecrow-imap/lib/commands/search.js'),
  SELECT: require('hoodiecrow-imap/lib/commands/select.js'),
  STATUS: require('hoodiecrow-imap/lib/commands/status.js'),
  STORE: require('hoodiecrow-imap/lib/commands/store.js'),
  SUBSCRIBE: require('hoodiecrow-imap/lib/commands/subscribe.js'),
  UNSUBSCRIBE: require('hoodiecrow-imap/lib/commands/unsubscribe.js'),
  'UID COPY': require('hoodiecrow-imap/lib/commands/uid copy.js'),
  'UID FETCH': require('hoodiecrow-imap/lib/commands/uid fetch.js'),
  'UID SEARCH': require('hoodiecrow-imap/lib/commands/uid search.js'),
  'UID STORE': require('hoodiecrow-imap/lib/commands/uid store.js'),
};
type HcPluginFn = (server: HcServer) => void;
const PLUGINS = {
  ID: require('hoodiecrow-imap/lib/plugins/id.js') as HcPluginFn,
  NAMESPACE: require('hoodiecrow-imap/lib/plugins/namespace.js') as HcPluginFn,
  SASL_IR: require('hoodiecrow-imap/lib/plugins/sasl-ir.js') as HcPluginFn,
  AUTH_PLAIN: require('hoodiecrow-imap/lib/plugins/auth-plain.js') as HcPluginFn,
  SPECIAL_USE: require('hoodiecrow-imap/lib/plugins/special-use.js') as HcPluginFn,
  UNSELECT: require('hoodiecrow-imap/lib/plugins/unselect.js') as HcPluginFn,
  UIDPLUS: require('hoodiecrow-imap/lib/plugins/uidplus.js') as HcPluginFn,
  MOVE: require('hoodiecrow-imap/lib/plugins/move.js') as HcPluginFn,
  LITERALPLUS: require('hoodiecrow-imap/lib/plugins/literalplus.js') as HcPluginFn,
  ENABLE: require('hoodiecrow-imap/lib/plugins/enable.js') as HcPluginFn,
  CONDSTORE: require('hoodiecrow-imap/lib/plugins/condstore.js') as HcPluginFn,
};
/* eslint-enable @typescript-eslint/no-require-imports */

/** Must run first: plugins such as CONDSTORE wrap the command handlers present when they load. */
function builtinCommands(server: HcServer): void {
  for (const [name, handler] of Object.entries(COMMANDS)) server.setCommandHandler(name, handler);
}

/** RFC 5161: ENABLE must answer `* ENABLED <caps>`, or clients treat the extension as off. */
function enabledResponse(server: HcServer): void {
  const original = server.getCommandHandler('ENABLE');
  if (!original) return;
  server.setCommandHandler('ENABLE', (connection, parsed, data, callback) => {
    const before = new Set(connection.enabled ?? []);
    const send = connection.send;
    connection.send = function (response: unknown, ...rest: unknown[]) {
      const r = response as { tag?: string; command?: string };
      if (r.tag === parsed.tag && r.command === 'OK') {
        const added = (connection.enabled ?? []).filter((c) => !before.has(c));
        if (added.length) {
          send.call(connection, { tag: '*', command: 'ENABLED', attributes: added.map((value) => ({ type: 'ATOM', value })) }, 'ENABLED', parsed, data);
        }
      }
      return send.call(connection, response, ...(rest as [string, unknown]));
    };
    try {
      original(connection, parsed, data, callback);
    } finally {
      connection.send = send;
    }
  });
}

/** IDLE as in hoodiecrow's plugin, minus its 30-minute timer that outlives stop(). */
function idle(server: HcServer): void {
  server.registerCapability('IDLE');
  server.setCommandHandler('IDLE', (connection, parsed, data, callback) => {
    if (connection.state === 'Not Authenticated' || parsed.attributes) {
      const text = parsed.attributes ? 'Unexpected arguments to IDLE' : 'Login first';
      connection.send({ tag: parsed.tag, command: parsed.attributes ? 'BAD' : 'NO', attributes: [{ type: 'TEXT', value: text }] }, 'INVALID COMMAND', parsed, data);
      return callback();
    }
    connection.directNotifications = true;
    connection.inputHandler = (line: string) => {
      connection.inputHandler = false;
      const done = line.toUpperCase() === 'DONE';
      connection.send(
        { tag: parsed.tag, command: done ? 'OK' : 'BAD', attributes: [{ type: 'TEXT', value: done ? 'IDLE terminated' : 'Invalid Idle continuation' }] },
        done ? 'IDLE' : 'INVALID IDLE',
        parsed,
        data,
      );
    };
    if (connection.socket && !connection.socket.destroyed) connection.socket.write('+ idling\r\n');
    connection.processNotifications();
    return callback();
  });
}

/** Hoodiecrow keeps message sources as binary (latin1) strings, one char per byte. */
function toBinary(raw: Buffer | string): string {
  return (typeof raw === 'string' ? Buffer.from(raw, 'utf8') : raw).toString('latin1');
}

function buildStorage(messages: GeneratedMessage[]): Record<string, unknown> {
  const inbox: HcMailbox = { messages: [] };
  const root: Record<string, HcMailbox> = {};
  const byPath = new Map<string, HcMailbox>([['INBOX', inbox]]);
  const ensure = (path: string): HcMailbox => {
    const known = byPath.get(path.toUpperCase() === 'INBOX' ? 'INBOX' : path);
    if (known) return known;
    let level = root;
    let box: HcMailbox | undefined;
    const parts = path.split('/');
    parts.forEach((name, i) => {
      const sub = parts.slice(0, i + 1).join('/');
      box = byPath.get(sub);
      if (!box) {
        box = { messages: [] };
        const use = STANDARD_FOLDERS[sub];
        if (use) box['special-use'] = use;
        level[name] = box;
        byPath.set(sub, box);
      }
      box.folders = box.folders ?? {};
      level = box.folders;
    });
    return box!;
  };
  for (const path of Object.keys(STANDARD_FOLDERS)) ensure(path);
  for (const m of messages) {
    ensure(m.folder).messages.push({ raw: toBinary(m.raw), flags: [...m.flags], internaldate: m.date });
  }
  // An empty `folders` object would make hoodiecrow report \HasChildren.
  for (const box of byPath.values()) if (box.folders && Object.keys(box.folders).length === 0) delete box.folders;
  return { INBOX: inbox, '': { separator: '/', folders: root } };
}

function listen(server: import('net').Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => reject(err);
    server.once('error', onError);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', onError);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function trackSockets(server: import('net').Server): Set<Socket> {
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    // hoodiecrow strips every socket listener on close, so prune here rather than on 'close'.
    for (const s of sockets) if (s.destroyed) sockets.delete(s);
    sockets.add(socket);
    // hoodiecrow writes each response line separately; with Nagle on, every command
    // waits ~40 ms for the client's delayed ACK.
    socket.setNoDelay(true);
  });
  return sockets;
}

/** Starts IMAP and SMTP on 127.0.0.1 (free ports unless given) with a seeded mailbox. */
export async function startSandbox(opts: SandboxOptions = {}): Promise<Sandbox> {
  const email = DEFAULT_ME.address;
  const user = email;
  const password = opts.password ?? SANDBOX_PASSWORD;
  const saveToSent = opts.saveToSent ?? true;
  const messages = opts.messages ?? generateMailbox({ sizeProfile: 'demo', count: 150, me: DEFAULT_ME });

  const P = PLUGINS;
  const plugins: HcPluginFn[] = [builtinCommands, P.ID, P.NAMESPACE, P.SASL_IR, P.AUTH_PLAIN, P.SPECIAL_USE, P.UNSELECT, P.UIDPLUS, P.MOVE, P.LITERALPLUS, idle];
  // ENABLE before CONDSTORE: CONDSTORE registers itself with ENABLE when it loads.
  if (opts.condstore ?? true) plugins.push(P.ENABLE, P.CONDSTORE, enabledResponse);

  const imap = hoodiecrow({
    plugins,
    users: { [user]: { password } },
    storage: buildStorage(messages),
    // hoodiecrow otherwise reads its bundled certificate from disk at start, a path that
    // does not exist once this file is bundled; TLS is not offered anyway.
    credentials: { key: '', cert: '' },
  });
  const imapSockets = trackSockets(imap.server);

  const deliver = (raw: Buffer | string, folder = 'INBOX'): void => {
    if (!imap.getMailbox(folder)) throw new Error(`Sandbox has no folder "${folder}"`);
    imap.appendMessage(folder, [], new Date(), toBinary(raw));
  };
  const sentFolder = 'Sent';

  const smtp = new SMTPServer({
    name: 'sandbox.example.test',
    banner: 'MailDesk sandbox SMTP',
    authMethods: ['PLAIN', 'LOGIN'],
    authOptional: false,
    allowInsecureAuth: true,
    disabledCommands: ['STARTTLS'],
    size: 30 * 1024 * 1024,
    closeTimeout: 500,
    logger: false,
    onAuth(auth: SMTPServerAuthentication, _session: SMTPServerSession, cb) {
      if (auth.username === user && auth.password === password) return cb(null, { user });
      const err = Object.assign(new Error('Invalid username or password'), { responseCode: 535 });
      return cb(err);
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('error', (err: Error) => cb(err));
      stream.on('end', () => {
        if ((stream as unknown as { sizeExceeded?: boolean }).sizeExceeded) {
          return cb(Object.assign(new Error('Message exceeds the size limit'), { responseCode: 552 }));
        }
        const raw = Buffer.concat(chunks);
        if (saveToSent) imap.appendMessage(sentFolder, ['\\Seen'], new Date(), toBinary(raw));
        const toSelf = session.envelope.rcptTo.some((r) => r.address.toLowerCase() === email.toLowerCase());
        if (toSelf) {
          const from = session.envelope.mailFrom ? session.envelope.mailFrom.address : '';
          const trace =
            `Return-Path: <${from}>\r\nDelivered-To: ${email}\r\n` +
            `Received: from ${session.clientHostname || 'localhost'} ([${session.remoteAddress}])\r\n\tby sandbox.example.test with ESMTP id ${session.id};\r\n\t${formatDate(new Date())}\r\n`;
          deliver(Buffer.concat([Buffer.from(trace), raw]));
        }
        cb(null, `Message queued as ${session.id}`);
      });
    },
  });
  const smtpSockets = trackSockets(smtp.server);

  const imapPort = await listen(imap.server, opts.imapPort ?? 0);
  let smtpPort: number;
  try {
    smtpPort = await listen(smtp.server, opts.smtpPort ?? 0);
  } catch (err) {
    await new Promise<void>((r) => imap.server.close(() => r()));
    throw err;
  }

  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopped ??= Promise.all([
      new Promise<void>((resolve) => {
        imap.server.close(() => resolve());
        for (const s of imapSockets) s.destroy();
      }),
      new Promise<void>((resolve) => {
        smtp.close(() => resolve());
        for (const s of smtpSockets) s.destroy();
      }),
    ]).then(() => undefined);
    return stopped;
  };

  return { host: '127.0.0.1', imapPort, smtpPort, user, password, email, stop, deliver };
}
