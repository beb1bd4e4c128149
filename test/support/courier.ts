import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { ImapFlow } from 'imapflow';
import { freePort, isPortOpen, waitForPortClosed } from './ports';
import { defaultTmpRoot, lookupIds } from './localSystem';

/**
 * A real Courier-IMAP (Debian's courier-imap 5.0.13) for integration tests, on a free port of
 * 127.0.0.1, with its own configuration, users and Maildirs. Never installed with apt: it
 * conflicts with dovecot-imapd there. Instead:
 *
 * - its Debian packages (and the libraries this image lacks, gamin included: without gamin every
 *   APPEND stalls ~1.3 s) are fetched once with `apt-get download` and unpacked with
 *   `dpkg-deb -x` into a cache folder reused by later runs;
 * - Courier reads fixed paths (/etc/courier/authdaemonrc, /etc/courier/userdb.dat, the
 *   authdaemon socket under /run/courier, its modules under /usr/lib/courier-authlib), so each
 *   instance runs in its own mount and pid namespace (`unshare`, root only): read-only overlays
 *   put the unpacked /usr and a private /etc/courier over the system's, and a private /run is
 *   bound over /run. Nothing outside the namespace changes;
 * - users come from a userdb (authuserdb behind Courier's own authdaemond), passwords stored
 *   as {SHA};
 * - stopping is SIGKILL to the one `unshare` process: its child is the namespace's pid 1, so
 *   every Courier process (couriertcpd, imapd, authdaemond, gam_server) dies with it.
 *
 * Folders live in the `INBOX.` namespace with `.` as separator, as on a stock Courier.
 */

/** What is fetched: Courier's packages plus the libraries they need that Debian 12 images lack. */
const PACKAGES = [
  'courier-imap',
  'courier-base',
  'courier-authlib',
  'courier-authlib-userdb',
  'courier-authdaemon',
  'libcourier-unicode4',
  'gamin',
  'libgamin0',
  'libidn12',
  'libltdl7',
  'libpcre3',
];
const DOWNLOAD_TIMEOUT_MS = 180_000;
const START_TIMEOUT_MS = 15_000;

const WHY_ROOT = 'Courier reads fixed paths under /etc and /run, so the tests run it in a private mount namespace, which needs root';

export const COURIER_UNAVAILABLE =
  'Real Courier-IMAP cannot be run here, so the Courier integration tests cannot run. They need root, ' +
  'apt-get with current package lists (apt-get update) and a reachable Debian mirror to fetch courier-imap ' +
  '(not installed: it is unpacked into a cache), dpkg-deb, unshare and mount (util-linux). ' +
  'Set MAILDESK_SKIP_COURIER=1 to skip these tests on purpose.';

/** Why Courier cannot run on this machine, or null when it can (at least in principle). */
export function courierBlocker(): string | null {
  if (process.platform !== 'linux') return 'Courier is run only on Linux';
  if (typeof process.getuid === 'function' && process.getuid() !== 0) return WHY_ROOT;
  for (const tool of ['apt-get', 'dpkg-deb', 'unshare', 'mount']) {
    const r = spawnSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' });
    if (r.status !== 0) return `${tool} is not installed`;
  }
  // A container without CAP_SYS_ADMIN has root but no namespaces.
  const probe = spawnSync('unshare', ['--mount', '--propagation', 'private', '--pid', '--fork', 'true'], { encoding: 'utf8', timeout: 10_000 });
  if (probe.status !== 0) return `unshare cannot make a private mount and pid namespace here (${(probe.stderr || String(probe.error ?? probe.signal)).trim()})`;
  return null;
}

/**
 * Call in a mocha before() hook: fails loudly naming what is missing, or skips (printing why)
 * when env MAILDESK_SKIP_COURIER=1 asks for that.
 */
export function requireCourier(ctx: Mocha.Context): void {
  const blocker = courierBlocker();
  if (!blocker) return;
  if (process.env.MAILDESK_SKIP_COURIER === '1') {
    console.warn(`SKIPPED: ${blocker}. ${COURIER_UNAVAILABLE}`);
    ctx.skip();
  }
  throw new Error(`${blocker}. ${COURIER_UNAVAILABLE}`);
}

function run(cmd: string, args: string[], opts: { cwd?: string; timeoutMs?: number; input?: string; env?: NodeJS.ProcessEnv } = {}): string {
  const r = spawnSync(cmd, args, {
    cwd: opts.cwd,
    input: opts.input,
    env: opts.env,
    encoding: 'utf8',
    timeout: opts.timeoutMs ?? 60_000,
    killSignal: 'SIGKILL',
  });
  if (r.error) throw new Error(`${cmd} ${args.join(' ')}: ${r.error.message}`);
  if (r.status !== 0) {
    throw new Error(`${cmd} ${args.join(' ')} exited with ${r.status ?? r.signal}: ${(r.stderr || r.stdout).trim().split('\n').slice(-5).join('\n')}`);
  }
  return r.stdout;
}

function cacheRoot(): string {
  return process.env.MAILDESK_COURIER_CACHE ?? path.join(os.tmpdir(), 'maildesk-courier-cache');
}

/**
 * The unpacked packages (a tree with usr/ and etc/), fetched and unpacked on first use. Built
 * in a private staging folder and renamed into place, so concurrent test runs never see half
 * of one and the loser of a race just uses the winner's.
 */
export function courierTree(): string {
  const key = createHash('sha256').update(PACKAGES.join(' ')).digest('hex').slice(0, 12);
  const tree = path.join(cacheRoot(), `tree-${key}`);
  if (fs.existsSync(path.join(tree, 'usr', 'bin', 'imapd'))) return tree;
  fs.mkdirSync(cacheRoot(), { recursive: true });
  const stage = fs.mkdtempSync(path.join(cacheRoot(), 'stage-'));
  try {
    const debs = path.join(stage, 'debs');
    const root = path.join(stage, 'root');
    fs.mkdirSync(debs);
    fs.mkdirSync(root);
    try {
      run('apt-get', ['download', '-q', ...PACKAGES], { cwd: debs, timeoutMs: DOWNLOAD_TIMEOUT_MS });
    } catch (e) {
      throw new Error(`could not download Courier's Debian packages (${(e as Error).message}). Run apt-get update as root and check that the Debian mirror is reachable.`);
    }
    for (const deb of fs.readdirSync(debs).filter((f) => f.endsWith('.deb'))) run('dpkg-deb', ['-x', path.join(debs, deb), root]);
    // Debian 12 has merged /usr (/lib is a link to usr/lib); the overlay covers /usr only.
    const lib = path.join(root, 'lib');
    if (fs.existsSync(lib)) {
      fs.cpSync(lib, path.join(root, 'usr', 'lib'), { recursive: true, verbatimSymlinks: true });
      fs.rmSync(lib, { recursive: true, force: true });
    }
    fs.rmSync(debs, { recursive: true, force: true });
    try {
      fs.renameSync(root, tree);
    } catch (e) {
      // Another run got there first.
      if (!fs.existsSync(path.join(tree, 'usr', 'bin', 'imapd'))) throw e;
    }
  } finally {
    fs.rmSync(stage, { recursive: true, force: true });
  }
  return tree;
}

export interface CourierOptions {
  /** user -> password; default { alice: 'secret' } */
  users?: Record<string, string>;
  /** Folders created for every user before the server starts, as Courier names them ('INBOX.Sent'). */
  folders?: string[];
}

export interface Courier {
  host: '127.0.0.1';
  port: number;
  dir: string;
  users: Record<string, string>;
  /** Process id of the `unshare` that holds the namespace (0 once stopped). */
  pid: number;
  separator: '.';
  /** Where a Maildir++ folder lives on disk ('INBOX' is the Maildir itself, 'INBOX.Sent' is .Sent). */
  folderDir(user: string, folder: string): string;
  /** Deliver messages as an MTA does: written to tmp/, renamed into new/; no IMAP involved. */
  deliver(user: string, folder: string, raws: Array<Buffer | string>): void;
  /** A logged-in imapflow client as `user` (caller must logout()). */
  connect(user: string): Promise<ImapFlow>;
  /** Courier's stderr (imaplogin, imapd, authdaemond). */
  logTail(lines?: number): string;
  /** Stop (SIGKILL to the namespace) and remove the instance folder. */
  dispose(): Promise<void>;
}

/** Running namespaces (the `unshare` pid) with their instance folders, for a run that ends without dispose(). */
const live = new Map<number, string>();
let hooksInstalled = false;

function installExitHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on('exit', () => {
    for (const [pid, dir] of live) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
}

/** A userdb .dat file (gdbm) written with Courier's own makedatprog, as makeuserdb does. */
function makeDat(tree: string, file: string, entries: Array<[string, string]>): void {
  const lines = entries.map(([k, v]) => `${k}\t${v}\n`).join('') + '.\n';
  run(path.join(tree, 'usr/lib/courier/courier-authlib/makedatprog'), ['-', file + '.tmp', file], {
    input: lines,
    env: { ...process.env, LD_LIBRARY_PATH: [path.join(tree, 'usr/lib'), path.join(tree, 'usr/lib/x86_64-linux-gnu')].join(':') },
  });
}

class CourierServer implements Courier {
  readonly host = '127.0.0.1' as const;
  readonly separator = '.' as const;
  pid = 0;
  private exited: Promise<void> = Promise.resolve();
  private seq = 0;
  private readonly mailIds = lookupIds('mail');

  constructor(
    readonly tree: string,
    readonly dir: string,
    readonly port: number,
    readonly users: Record<string, string>,
  ) {}

  logTail(lines = 40): string {
    let log = '';
    try {
      log = fs.readFileSync(path.join(this.dir, 'courier.log'), 'utf8');
    } catch {
      // nothing logged yet
    }
    return log.split('\n').slice(-lines).join('\n').trim();
  }

  folderDir(user: string, folder: string): string {
    const maildir = path.join(this.dir, 'mail', user, 'Maildir');
    if (folder.toUpperCase() === 'INBOX') return maildir;
    if (!/^INBOX\./i.test(folder)) throw new Error(`Courier folders are under INBOX. (got '${folder}')`);
    return path.join(maildir, folder.slice(5));
  }

  private mkdirMail(p: string): void {
    if (fs.existsSync(p)) return;
    this.mkdirMail(path.dirname(p));
    fs.mkdirSync(p, { mode: 0o700 });
    fs.chownSync(p, this.mailIds.uid, this.mailIds.gid);
  }

  ensureFolder(user: string, folder: string): string {
    const fdir = this.folderDir(user, folder);
    for (const sub of ['cur', 'new', 'tmp']) this.mkdirMail(path.join(fdir, sub));
    if (folder.toUpperCase() !== 'INBOX') {
      const marker = path.join(fdir, 'maildirfolder');
      if (!fs.existsSync(marker)) {
        fs.writeFileSync(marker, '');
        fs.chownSync(marker, this.mailIds.uid, this.mailIds.gid);
      }
    }
    return fdir;
  }

  deliver(user: string, folder: string, raws: Array<Buffer | string>): void {
    const fdir = this.ensureFolder(user, folder);
    const now = Math.floor(Date.now() / 1000);
    for (const r of raws) {
      const raw = typeof r === 'string' ? Buffer.from(r, 'utf8') : r;
      const name = `${now}.M${String(this.seq++).padStart(6, '0')}P${process.pid}.maildesk-mta`;
      const tmp = path.join(fdir, 'tmp', name);
      const fd = fs.openSync(tmp, 'w', 0o600);
      try {
        fs.writeSync(fd, raw);
        fs.fchownSync(fd, this.mailIds.uid, this.mailIds.gid);
      } finally {
        fs.closeSync(fd);
      }
      fs.renameSync(tmp, path.join(fdir, 'new', name));
    }
  }

  async connect(user: string): Promise<ImapFlow> {
    const client = new ImapFlow({
      host: this.host,
      port: this.port,
      secure: false,
      doSTARTTLS: false,
      auth: { user, pass: this.users[user] },
      logger: false,
    });
    await client.connect();
    return client;
  }

  /** The script run as pid 1 of the namespace. */
  private script(): string {
    const t = this.tree;
    const d = this.dir;
    return `set -e
mount -t overlay maildesk-courier -o lowerdir=${t}/usr:/usr /usr
mount -t overlay maildesk-courier -o lowerdir=${d}/etc:${t}/etc:/etc /etc
mount --bind ${d}/run /run
set -a
# Debian's own settings for imapd (capabilities, idle, trash...), as its init script reads them.
. /etc/courier/imapd
set +a
# gamin's server is found by user name and this id; a private id keeps instances apart.
export GAM_CLIENT_ID=maildesk-${path.basename(d)}
/usr/lib/courier/courier-authlib/authdaemond &
/usr/sbin/couriertcpd -address=127.0.0.1 -nodnslookup -noidentlookup -maxprocs=100 -maxperip=100 ${this.port} /usr/lib/courier/courier/imaplogin /usr/bin/imapd Maildir &
wait
`;
  }

  async start(): Promise<void> {
    fs.writeFileSync(path.join(this.dir, 'run.sh'), this.script());
    const log = fs.openSync(path.join(this.dir, 'courier.log'), 'a');
    // --kill-child: the namespace's pid 1 dies with `unshare`, and with it every process inside.
    // setpriv --pdeathsig: `unshare` dies with this process, even when it is killed outright.
    const unshare = ['unshare', '--mount', '--propagation', 'private', '--pid', '--fork', '--kill-child=SIGKILL', 'sh', path.join(this.dir, 'run.sh')];
    const withDeath = spawnSync('sh', ['-c', 'command -v setpriv'], { encoding: 'utf8' }).status === 0;
    const [cmd, ...args] = withDeath ? ['setpriv', '--pdeathsig', 'KILL', ...unshare] : unshare;
    const child = spawn(cmd, args, {
      stdio: ['ignore', log, log],
      detached: true,
    });
    fs.closeSync(log);
    let exitInfo: string | undefined;
    this.exited = new Promise<void>((resolve) => {
      child.once('exit', (code, signal) => {
        exitInfo = `exit code ${code ?? ''}${signal ? ' signal ' + signal : ''}`;
        if (child.pid) live.delete(child.pid);
        this.pid = 0;
        resolve();
      });
      child.once('error', (e) => {
        exitInfo = String(e);
        resolve();
      });
    });
    child.unref();
    if (!child.pid) {
      await this.exited;
      throw new Error(`Courier failed to start (${exitInfo ?? 'no pid'})\n${this.logTail()}`);
    }
    this.pid = child.pid;
    live.set(child.pid, this.dir);
    const deadline = Date.now() + START_TIMEOUT_MS;
    for (;;) {
      if (exitInfo !== undefined) throw new Error(`Courier exited during start (${exitInfo})\n${this.logTail()}`);
      if (await isPortOpen(this.port)) break;
      if (Date.now() > deadline) {
        await this.stop();
        throw new Error(`Courier did not open port ${this.port} within ${START_TIMEOUT_MS / 1000} s\n${this.logTail()}`);
      }
      await new Promise((r) => setTimeout(r, 30));
    }
    // The port opens before authdaemond answers: log in once, so the first test does not race it.
    const user = Object.keys(this.users)[0];
    for (;;) {
      try {
        const c = await this.connect(user);
        await c.logout();
        return;
      } catch (e) {
        if (Date.now() > deadline) {
          await this.stop();
          throw new Error(`Courier accepts connections but a login as ${user} fails: ${(e as Error).message}\n${this.logTail()}`);
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }

  async stop(): Promise<void> {
    if (!this.pid) return;
    const keepAlive = setInterval(() => undefined, 1000);
    try {
      process.kill(this.pid, 'SIGKILL');
      await this.exited;
      await waitForPortClosed(this.port, 10_000);
    } finally {
      clearInterval(keepAlive);
    }
  }

  async dispose(): Promise<void> {
    await this.stop();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * Start a real Courier-IMAP on a free 127.0.0.1 port (fetching and unpacking it on first use).
 * Throws, naming what is missing, when it cannot run here.
 */
export async function startCourier(opts: CourierOptions = {}): Promise<Courier> {
  const blocker = courierBlocker();
  if (blocker) throw new Error(`${blocker}. ${COURIER_UNAVAILABLE}`);
  installExitHooks();
  const tree = courierTree();
  const users = opts.users ?? { alice: 'secret' };
  const dir = fs.mkdtempSync(path.join(defaultTmpRoot(), 'maildesk-courier-'));
  fs.chmodSync(dir, 0o755);
  const etc = path.join(dir, 'etc', 'courier');
  fs.mkdirSync(etc, { recursive: true });
  fs.mkdirSync(path.join(dir, 'run', 'courier', 'authdaemon'), { recursive: true });
  fs.mkdirSync(path.join(dir, 'mail'), { mode: 0o755 });
  fs.writeFileSync(
    path.join(etc, 'authdaemonrc'),
    'authmodulelist="authuserdb"\ndaemons=2\nauthdaemonvar=/run/courier/authdaemon\nDEBUG_LOGIN=0\nDEFAULTOPTIONS=""\nLOGGEROPTS=""\n',
  );
  const ids = lookupIds('mail');
  const port = await freePort();
  const server = new CourierServer(tree, dir, port, users);
  makeDat(
    tree,
    path.join(etc, 'userdb.dat'),
    Object.keys(users).map((u) => {
      const home = path.join(dir, 'mail', u);
      return [u, `uid=${ids.uid}|gid=${ids.gid}|home=${home}|mail=${home}/Maildir`];
    }),
  );
  makeDat(
    tree,
    path.join(etc, 'userdbshadow.dat'),
    Object.entries(users).map(([u, p]) => [u, `systempw={SHA}${createHash('sha1').update(p).digest('base64')}`]),
  );
  for (const u of Object.keys(users)) {
    server.ensureFolder(u, 'INBOX');
    for (const f of opts.folders ?? []) server.ensureFolder(u, f);
  }
  try {
    await server.start();
  } catch (e) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  return server;
}

export interface GreetingProxy {
  host: '127.0.0.1';
  port: number;
  stop(): Promise<void>;
}

/**
 * A TCP proxy in front of a server that greets in its own name, as mail proxies do (nginx's
 * mail proxy says "* OK IMAP4 ready"): a client then cannot tell Courier by its greeting.
 * Everything after the greeting passes through untouched.
 */
export async function startGreetingProxy(upstreamPort: number, greeting = '* OK IMAP4 ready'): Promise<GreetingProxy> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const up = net.connect(upstreamPort, '127.0.0.1');
    sockets.add(client);
    sockets.add(up);
    const end = (): void => {
      client.destroy();
      up.destroy();
    };
    for (const s of [client, up]) {
      s.on('error', end);
      s.on('close', end);
    }
    let head: Buffer | undefined = Buffer.alloc(0);
    up.on('data', (d: Buffer) => {
      if (!head) {
        client.write(d);
        return;
      }
      head = Buffer.concat([head, d]);
      const nl = head.indexOf(0x0a);
      if (nl < 0) return;
      client.write(Buffer.concat([Buffer.from(greeting + '\r\n'), head.subarray(nl + 1)]));
      head = undefined;
    });
    client.pipe(up);
  });
  const port = await freePort();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return {
    host: '127.0.0.1',
    port,
    stop: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
