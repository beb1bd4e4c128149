import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ImapFlow } from 'imapflow';
import { freePort, waitForPortClosed, isPortOpen } from './ports';
import { defaultTmpRoot, lookupIds } from './localSystem';

/**
 * A private Dovecot for integration tests: own config, own temp folder, own port on
 * 127.0.0.1. Never touches the system Dovecot. See /work/shared/notes/real-servers.md.
 */

const CANDIDATES = ['/usr/sbin/dovecot', '/usr/local/sbin/dovecot'];

/** Path of the dovecot binary, or null when it is not installed. Env MAILDESK_DOVECOT_BIN overrides. */
export function dovecotBinary(): string | null {
  const override = process.env.MAILDESK_DOVECOT_BIN;
  for (const c of override ? [override] : CANDIDATES) {
    try {
      fs.accessSync(c, fs.constants.X_OK);
      return c;
    } catch {
      // try the next one
    }
  }
  return null;
}

export const DOVECOT_MISSING =
  'Dovecot is not installed, so the IMAP integration tests cannot run. ' +
  'Install it with: apt-get update && apt-get install -y dovecot-imapd ' +
  '(or set MAILDESK_SKIP_DOVECOT=1 to skip these tests on purpose).';

/**
 * Call in a mocha before() hook: fails loudly with DOVECOT_MISSING when Dovecot is not
 * installed, or skips (printing why) when env MAILDESK_SKIP_DOVECOT=1 asks for that.
 */
export function requireDovecot(ctx: Mocha.Context): void {
  if (dovecotBinary()) return;
  if (process.env.MAILDESK_SKIP_DOVECOT === '1') {
    console.warn(`SKIPPED: ${DOVECOT_MISSING}`);
    ctx.skip();
  }
  throw new Error(DOVECOT_MISSING);
}

export type SpecialFolder = 'Trash' | 'Junk' | 'Archive';

/** A message as another mail client reads it from the server. */
export interface ServerMessage {
  uid: number;
  subject: string;
  flags: string[];
  /** The whole message source. */
  text: string;
}

export interface DovecotOptions {
  /** user -> password; default { alice: 'secret', bob: 'secret' } */
  users?: Record<string, string>;
  /** Give the Sent folder the \Sent special-use flag (default true). */
  sentSpecialUse?: boolean;
  /** Name of the auto-created Sent folder (default 'Sent'; try 'Sent Items'). */
  sentName?: string;
  /** Extra auto-created folders with their special-use flag (default: none). */
  specialFolders?: SpecialFolder[];
  /** Plain folders created for every user before the server starts, e.g. 'Lists/Rust'. */
  extraFolders?: string[];
  /**
   * Raw lines appended to the generated dovecot.conf, e.g. to hide capabilities:
   * `protocol imap {\n imap_capability = IMAP4rev1 IDLE\n}` (a later block merges with the first).
   */
  extraConfig?: string;
  /**
   * Parent of the temp folder. Default: env MAILDESK_TEST_TMPDIR, else /dev/shm when it is a
   * writable tmpfs (creating Maildir files there is ~30x faster than on this machine's disk,
   * which matters for 100k-message seeding), else os.tmpdir().
   */
  tmpRoot?: string;
}

export interface SeedMessage {
  raw: Buffer | string;
  /** IMAP flag names: \\Seen, \\Answered, \\Flagged, \\Deleted, \\Draft, or keywords like $Forwarded */
  flags?: string[];
  /** INTERNALDATE; default: the message's Date header, else now */
  date?: Date;
}

export interface Dovecot {
  host: '127.0.0.1';
  port: number;
  /** The temp folder holding config, logs and mail. */
  dir: string;
  users: Record<string, string>;
  /** Master process id (0 while stopped). */
  pid: number;
  /** Hierarchy separator of the IMAP namespace ('/'). */
  separator: '/';
  running: boolean;
  /** Stop the server (SIGTERM to the master) and wait until the port is closed. Mail is kept so start() can bring it back. */
  stop(): Promise<void>;
  /** Start again on the same port with the same mail. */
  start(): Promise<void>;
  /** stop() and remove the temp folder. Also done for every instance when the process exits. */
  dispose(): Promise<void>;
  /** Write messages straight into the Maildir (fast; safe while running). */
  seedMaildir(user: string, folder: string, messages: SeedMessage[]): void;
  /** IMAP APPEND as `user`, creating the folder if missing; returns the new UID. */
  append(user: string, folder: string, raw: Buffer | string, flags?: string[], date?: Date): Promise<number>;
  deleteFolder(user: string, folder: string): Promise<void>;
  createFolder(user: string, folder: string): Promise<void>;
  setFlags(user: string, folder: string, uid: number, add: string[], remove: string[]): Promise<void>;
  expunge(user: string, folder: string, uids: number[]): Promise<void>;
  /** A logged-in imapflow client as `user`, with its own or the given password (caller must logout()). */
  connect(user: string, password?: string): Promise<ImapFlow>;
  /** What another mail client sees in a folder: subject -> sorted flags (read-only). */
  flagsBySubject(user: string, folder: string): Promise<Map<string, string[]>>;
  /** Every message of a folder as another client reads it (read-only); none when the folder is missing. */
  messages(user: string, folder: string): Promise<ServerMessage[]>;
  /** Last lines of the Dovecot log, for error messages. */
  logTail(lines?: number): string;
}

// Every running master, so a crashed or interrupted test run never leaves one behind.
const live = new Map<number, string>();
const allDirs = new Set<string>();
let hooksInstalled = false;

/** Signal a master and its children: its process group, whose id is the master's pid. */
function signalGroup(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(-pid, sig);
  } catch {
    try {
      process.kill(pid, sig);
    } catch {
      // already gone
    }
  }
}

function killAllSync(): void {
  for (const pid of live.keys()) signalGroup(pid, 'SIGKILL');
  live.clear();
  for (const dir of allDirs) {
    try {
      fs.rmSync(dir, { recursive: true, force: true });
    } catch {
      // best effort at exit
    }
  }
  allDirs.clear();
}

function installExitHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on('exit', killAllSync);
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    const onSignal = (): void => {
      killAllSync();
      process.removeListener(sig, onSignal);
      // Re-raise only if nobody else handles it, to keep the default "die on signal".
      if (process.listenerCount(sig) === 0) process.kill(process.pid, sig);
    };
    process.on(sig, onSignal);
  }
}

/** IMAP modified UTF-7 (RFC 3501 5.1.3), which Dovecot uses for folder names on disk. */
function toMutf7(name: string): string {
  let out = '';
  let pending = '';
  const flush = (): void => {
    if (!pending) return;
    const buf = Buffer.alloc(pending.length * 2);
    for (let i = 0; i < pending.length; i++) buf.writeUInt16BE(pending.charCodeAt(i), i * 2);
    out += '&' + buf.toString('base64').replace(/=+$/, '').replace(/\//g, ',') + '-';
    pending = '';
  };
  for (const ch of name) {
    const code = ch.charCodeAt(0);
    if (ch.length === 1 && code >= 0x20 && code <= 0x7e) {
      flush();
      out += ch === '&' ? '&-' : ch;
    } else {
      pending += ch;
    }
  }
  flush();
  return out;
}

const SYSTEM_FLAG_LETTERS: Record<string, string> = {
  '\\draft': 'D',
  '\\flagged': 'F',
  '\\answered': 'R',
  '\\seen': 'S',
  '\\deleted': 'T',
};

function dateFromHeaders(raw: Buffer): Date | undefined {
  const head = raw.subarray(0, Math.min(raw.length, 16_384)).toString('latin1');
  const end = head.search(/\r?\n\r?\n/);
  const m = /^Date:[ \t]*(.+)$/im.exec(end >= 0 ? head.slice(0, end) : head);
  if (!m) return undefined;
  const d = new Date(m[1].trim());
  return Number.isNaN(d.getTime()) ? undefined : d;
}

function q(value: string): string {
  return '"' + value.replace(/\\/g, '\\\\').replace(/"/g, '\\"') + '"';
}

function buildConfig(dir: string, port: number, o: Required<Omit<DovecotOptions, 'tmpRoot'>>): string {
  const special: string[] = [];
  const sentFlag = o.sentSpecialUse ? '    special_use = \\Sent\n' : '';
  special.push(`  mailbox ${q(o.sentName)} {\n${sentFlag}    auto = subscribe\n  }`);
  special.push('  mailbox Drafts {\n    special_use = \\Drafts\n    auto = subscribe\n  }');
  for (const f of o.specialFolders) {
    special.push(`  mailbox ${f} {\n    special_use = \\${f}\n    auto = subscribe\n  }`);
  }
  return `# generated by test/support/dovecot.ts
protocols = imap
listen = 127.0.0.1
base_dir = ${dir}/run
state_dir = ${dir}/run/state
log_path = ${dir}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
# tests of a wrong password must not wait the default 2 s
auth_failure_delay = 0
auth_verbose = yes
# No stats process: a login process still handshaking with it holds up shutdown by 5 s.
stats_writer_socket_path =
mail_location = maildir:${dir}/mail/%u
default_internal_user = dovecot
default_login_user = dovenull
default_internal_group = dovecot
first_valid_uid = 1
protocol imap {
  # a sync engine plus tests' helper connections may exceed the default 10
  mail_max_userip_connections = 200
}
service imap-login {
  chroot =
  inet_listener imap {
    address = 127.0.0.1
    port = ${port}
  }
  inet_listener imaps {
    port = 0
  }
}
service anvil {
  chroot =
  # Disables the auth penalty (logins delayed 2-15 s after a failed one from the same IP),
  # which would make every test after a wrong-password test slow. Documented Dovecot idiom.
  unix_listener anvil-auth-penalty {
    mode = 0
  }
}
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u ${dir}/users
}
userdb {
  driver = static
  args = uid=mail gid=mail home=${dir}/mail/%u
}
namespace inbox {
  inbox = yes
  separator = /
${special.join('\n')}
}
${o.extraConfig}
`;
}

class DovecotServer implements Dovecot {
  readonly host = '127.0.0.1' as const;
  readonly separator = '/' as const;
  pid = 0;
  running = false;
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private stderr = '';
  private seq = 0;
  private readonly mailIds = lookupIds('mail', 'is dovecot-imapd installed?');

  constructor(
    readonly binary: string,
    readonly dir: string,
    readonly port: number,
    readonly users: Record<string, string>,
  ) {}

  get confPath(): string {
    return path.join(this.dir, 'dovecot.conf');
  }

  logTail(lines = 30): string {
    let log = '';
    try {
      log = fs.readFileSync(path.join(this.dir, 'dovecot.log'), 'utf8');
    } catch {
      // no log yet
    }
    return [this.stderr.trim(), log.split('\n').slice(-lines).join('\n').trim()].filter(Boolean).join('\n');
  }

  async start(): Promise<void> {
    if (this.running) return;
    if (await isPortOpen(this.port)) {
      throw new Error(`cannot start Dovecot: port 127.0.0.1:${this.port} is already in use`);
    }
    this.stderr = '';
    // -F keeps the master in the foreground, so its pid is ours and its exit is observable.
    // detached: the master leads its own process group, so stop() can signal it and its
    // children at once (a login process mid-handshake otherwise holds shutdown up by ~5 s).
    const child = spawn(this.binary, ['-F', '-c', this.confPath], {
      stdio: ['ignore', 'ignore', 'pipe'],
      detached: true,
    });
    this.child = child;
    let exitInfo: string | undefined;
    this.exited = new Promise<void>((resolve) => {
      child.once('exit', (code, signal) => {
        exitInfo = `exit code ${code ?? ''}${signal ? ' signal ' + signal : ''}`;
        if (child.pid) live.delete(child.pid);
        this.running = false;
        this.pid = 0;
        resolve();
      });
      child.once('error', (e) => {
        exitInfo = String(e);
        resolve();
      });
    });
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (d: string) => {
      this.stderr += d;
    });
    // The test process may exit without stop(); the exit hook kills the master then.
    child.unref();
    (child.stderr as unknown as { unref?: () => void } | null)?.unref?.();
    if (!child.pid) {
      await this.exited;
      throw new Error(`Dovecot failed to start (${exitInfo ?? 'no pid'})\n${this.logTail()}`);
    }
    this.pid = child.pid;
    live.set(child.pid, this.dir);
    this.running = true;

    const deadline = Date.now() + 15_000;
    for (;;) {
      if (exitInfo !== undefined) {
        throw new Error(`Dovecot exited during start (${exitInfo})\n${this.logTail()}`);
      }
      if (await isPortOpen(this.port)) return;
      if (Date.now() > deadline) {
        await this.stop().catch(() => undefined);
        throw new Error(`Dovecot did not open port ${this.port} within 15 s\n${this.logTail()}`);
      }
      await new Promise((r) => setTimeout(r, 30));
    }
  }

  async stop(): Promise<void> {
    if (!this.running || !this.child) return;
    const pid = this.pid;
    // The child is unref'd; this keeps Node alive until the master is really gone.
    const keepAlive = setInterval(() => undefined, 1000);
    try {
      await this.terminate(pid);
    } finally {
      clearInterval(keepAlive);
    }
    this.child = undefined;
  }

  private async terminate(pid: number): Promise<void> {
    signalGroup(pid, 'SIGTERM');
    // A process still starting up (e.g. an imap-login waiting for a handshake) ignores SIGTERM
    // for up to 5 s; a test server need not wait for that, so escalate to SIGKILL soon.
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((r) => {
      timer = setTimeout(() => r('timeout'), 500);
    });
    const outcome = await Promise.race([this.exited.then(() => 'ok' as const), timeout]);
    clearTimeout(timer);
    if (outcome === 'timeout') {
      signalGroup(pid, 'SIGKILL');
      await this.exited;
    }
    // The master is gone; its listener should be too, but a slow child can hold it a moment.
    await waitForPortClosed(this.port, 10_000);
  }

  async dispose(): Promise<void> {
    await this.stop();
    fs.rmSync(this.dir, { recursive: true, force: true });
    allDirs.delete(this.dir);
  }

  // ---- Maildir ------------------------------------------------------------------------

  /** Maildir++ folder path: INBOX is the user root, 'Lists/Rust' is '.Lists.Rust'. */
  folderDir(user: string, folder: string): string {
    const root = path.join(this.dir, 'mail', user);
    if (folder.toUpperCase() === 'INBOX') return root;
    const storage = folder.split(this.separator).map(toMutf7).join('.');
    return path.join(root, '.' + storage);
  }

  private chownMail(p: string): void {
    fs.chownSync(p, this.mailIds.uid, this.mailIds.gid);
  }

  private ensureDir(p: string): void {
    if (fs.existsSync(p)) return;
    this.ensureDir(path.dirname(p));
    fs.mkdirSync(p, { mode: 0o700 });
    this.chownMail(p);
  }

  /** Create the Maildir for a folder on disk (used before start for extraFolders). */
  ensureFolder(user: string, folder: string): string {
    const fdir = this.folderDir(user, folder);
    this.ensureDir(path.join(this.dir, 'mail', user));
    this.ensureDir(fdir);
    for (const sub of ['cur', 'new', 'tmp']) this.ensureDir(path.join(fdir, sub));
    if (folder.toUpperCase() !== 'INBOX') {
      const marker = path.join(fdir, 'maildirfolder');
      if (!fs.existsSync(marker)) {
        fs.writeFileSync(marker, '');
        this.chownMail(marker);
      }
    }
    return fdir;
  }

  /** Keyword -> maildir letter, via the folder's dovecot-keywords file (a..z, in file order). */
  private keywordLetters(fdir: string, keywords: string[]): Map<string, string> {
    const file = path.join(fdir, 'dovecot-keywords');
    const names: string[] = [];
    if (fs.existsSync(file)) {
      for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
        const m = /^(\d+) (.+)$/.exec(line);
        if (m) names[Number(m[1])] = m[2];
      }
    }
    let changed = false;
    for (const k of keywords) {
      if (!names.includes(k)) {
        names.push(k);
        changed = true;
      }
    }
    if (names.length > 26) throw new Error('Maildir supports at most 26 keywords per folder');
    if (changed) {
      fs.writeFileSync(file, names.map((n, i) => (n === undefined ? '' : `${i} ${n}\n`)).join(''));
      this.chownMail(file);
    }
    const map = new Map<string, string>();
    names.forEach((n, i) => map.set(n, String.fromCharCode(97 + i)));
    return map;
  }

  seedMaildir(user: string, folder: string, messages: SeedMessage[]): void {
    if (!(user in this.users)) throw new Error(`unknown user '${user}'`);
    const fdir = this.ensureFolder(user, folder);
    const keywords = new Set<string>();
    for (const m of messages) for (const f of m.flags ?? []) if (!f.startsWith('\\')) keywords.add(f);
    const kwLetters = keywords.size ? this.keywordLetters(fdir, [...keywords]) : new Map<string, string>();
    // One base second for the batch; Dovecot assigns UIDs to new files sorted by name, and the
    // zero-padded counter keeps that order equal to the order of `messages`.
    const base = Math.floor(Date.now() / 1000);
    const tmpDir = path.join(fdir, 'tmp');
    const curDir = path.join(fdir, 'cur');
    for (const m of messages) {
      const raw = typeof m.raw === 'string' ? Buffer.from(m.raw, 'utf8') : m.raw;
      const letters = new Set<string>();
      for (const f of m.flags ?? []) {
        const sys = SYSTEM_FLAG_LETTERS[f.toLowerCase()];
        if (sys) letters.add(sys);
        else if (f.startsWith('\\')) throw new Error(`cannot seed flag ${f}`);
        else letters.add(kwLetters.get(f)!);
      }
      const info = [...letters].sort().join('');
      const seq = String(this.seq++).padStart(9, '0');
      const name = `${base}.M${seq}P${process.pid}.maildesk,S=${raw.length}:2,${info}`;
      const tmpPath = path.join(tmpDir, name);
      const date = m.date ?? dateFromHeaders(raw) ?? new Date();
      const fd = fs.openSync(tmpPath, 'w', 0o600);
      try {
        fs.writeSync(fd, raw);
        fs.fchownSync(fd, this.mailIds.uid, this.mailIds.gid);
        // Dovecot takes a Maildir message's INTERNALDATE from the file's mtime.
        fs.futimesSync(fd, date, date);
      } finally {
        fs.closeSync(fd);
      }
      // rename is atomic, so a running Dovecot never sees a half-written file.
      fs.renameSync(tmpPath, path.join(curDir, name));
    }
  }

  // ---- IMAP as another client -----------------------------------------------------------

  async connect(user: string, password?: string): Promise<ImapFlow> {
    const pass = password ?? this.users[user];
    if (pass === undefined) throw new Error(`unknown user '${user}'`);
    const client = new ImapFlow({
      host: this.host,
      port: this.port,
      secure: false,
      doSTARTTLS: false,
      auth: { user, pass },
      logger: false,
    });
    await client.connect();
    return client;
  }

  private async withClient<T>(user: string, fn: (c: ImapFlow) => Promise<T>): Promise<T> {
    const client = await this.connect(user);
    try {
      return await fn(client);
    } finally {
      await client.logout().catch(() => client.close());
    }
  }

  flagsBySubject(user: string, folder: string): Promise<Map<string, string[]>> {
    return this.withClient(user, async (c) => {
      const out = new Map<string, string[]>();
      const lock = await c.getMailboxLock(folder, { readOnly: true });
      try {
        const exists = c.mailbox && typeof c.mailbox === 'object' ? c.mailbox.exists : 0;
        if (exists) for await (const m of c.fetch('1:*', { envelope: true, flags: true })) out.set(m.envelope?.subject ?? '', [...(m.flags ?? [])].sort());
      } finally {
        lock.release();
      }
      return out;
    });
  }

  messages(user: string, folder: string): Promise<ServerMessage[]> {
    return this.withClient(user, async (c) => {
      let lock;
      try {
        lock = await c.getMailboxLock(folder, { readOnly: true });
      } catch {
        return []; // no such folder (yet)
      }
      try {
        const out: ServerMessage[] = [];
        const exists = c.mailbox && typeof c.mailbox === 'object' ? c.mailbox.exists : 0;
        if (exists) {
          for await (const m of c.fetch('1:*', { uid: true, envelope: true, flags: true, source: true })) {
            out.push({ uid: m.uid, subject: m.envelope?.subject ?? '', flags: [...(m.flags ?? [])], text: m.source?.toString('utf8') ?? '' });
          }
        }
        return out;
      } finally {
        lock.release();
      }
    });
  }

  append(user: string, folder: string, raw: Buffer | string, flags: string[] = [], date?: Date): Promise<number> {
    return this.withClient(user, async (c) => {
      if (folder.toUpperCase() !== 'INBOX') {
        const exists = (await c.list()).some((b) => b.path === folder);
        if (!exists) await c.mailboxCreate(folder);
      }
      const res = await c.append(folder, raw, flags, date);
      if (!res || !res.uid) throw new Error(`APPEND to ${folder} returned no UID`);
      return res.uid;
    });
  }

  deleteFolder(user: string, folder: string): Promise<void> {
    return this.withClient(user, async (c) => {
      await c.mailboxDelete(folder);
    });
  }

  createFolder(user: string, folder: string): Promise<void> {
    return this.withClient(user, async (c) => {
      await c.mailboxCreate(folder);
    });
  }

  setFlags(user: string, folder: string, uid: number, add: string[], remove: string[]): Promise<void> {
    return this.withClient(user, async (c) => {
      const lock = await c.getMailboxLock(folder);
      try {
        if (add.length) await c.messageFlagsAdd(String(uid), add, { uid: true });
        if (remove.length) await c.messageFlagsRemove(String(uid), remove, { uid: true });
      } finally {
        lock.release();
      }
    });
  }

  expunge(user: string, folder: string, uids: number[]): Promise<void> {
    if (!uids.length) return Promise.resolve();
    return this.withClient(user, async (c) => {
      const lock = await c.getMailboxLock(folder);
      try {
        await c.messageDelete(uids.join(','), { uid: true });
      } finally {
        lock.release();
      }
    });
  }
}

/** Start a private Dovecot on a free 127.0.0.1 port. Throws DOVECOT_MISSING when not installed. */
export async function startDovecot(opts: DovecotOptions = {}): Promise<Dovecot> {
  const binary = dovecotBinary();
  if (!binary) throw new Error(DOVECOT_MISSING);
  installExitHooks();
  const o: Required<Omit<DovecotOptions, 'tmpRoot'>> = {
    users: opts.users ?? { alice: 'secret', bob: 'secret' },
    sentSpecialUse: opts.sentSpecialUse ?? true,
    sentName: opts.sentName ?? 'Sent',
    specialFolders: opts.specialFolders ?? [],
    extraFolders: opts.extraFolders ?? [],
    extraConfig: opts.extraConfig ?? '',
  };
  const dir = fs.mkdtempSync(path.join(opts.tmpRoot ?? defaultTmpRoot(), 'maildesk-dovecot-'));
  allDirs.add(dir);
  // Login and mail processes run as dovenull/mail and must be able to traverse it.
  fs.chmodSync(dir, 0o755);
  const port = await freePort();
  fs.writeFileSync(
    path.join(dir, 'users'),
    Object.entries(o.users)
      .map(([u, p]) => `${u}:{PLAIN}${p}\n`)
      .join(''),
    { mode: 0o644 },
  );
  fs.writeFileSync(path.join(dir, 'dovecot.conf'), buildConfig(dir, port, o));
  const server = new DovecotServer(binary, dir, port, o.users);
  const mailRoot = path.join(dir, 'mail');
  fs.mkdirSync(mailRoot, { mode: 0o755 });
  const mail = lookupIds('mail', 'is dovecot-imapd installed?');
  fs.chownSync(mailRoot, mail.uid, mail.gid);
  for (const user of Object.keys(o.users)) {
    server.ensureFolder(user, 'INBOX');
    for (const f of o.extraFolders) server.ensureFolder(user, f);
  }
  await server.start();
  return server;
}
