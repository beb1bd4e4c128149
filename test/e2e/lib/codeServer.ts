import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/** test/e2e/host, where test/e2e/install.mjs puts code-server. */
export const E2E_HOST_DIR = path.resolve(__dirname, '..', 'host');
export const CODE_SERVER_BIN = path.join(E2E_HOST_DIR, 'node_modules', '.bin', 'code-server');

export interface CodeServerOptions {
  /** The packaged extension to install into a fresh extensions folder. */
  vsixPath: string;
  /** More packaged extensions to install beside it (e.g. a probe that calls MailDesk's API). */
  extraVsixPaths?: string[];
  /** Folder opened as the workspace. */
  workspaceDir: string;
  /** Merged over the defaults in User/settings.json. */
  settings?: Record<string, unknown>;
  /** Extra environment for code-server and so for the extension host (e.g. MAILDESK_* test hooks). */
  env?: Record<string, string>;
  /** Keep the temp folder after stop() (also MAILDESK_E2E_KEEP=1), to read logs after a failure. */
  keepTempDir?: boolean;
  /** How long to wait for code-server to answer HTTP. */
  startTimeoutMs?: number;
}

export interface CodeServer {
  url: string;
  port: number;
  pid: number;
  /** Temp folder holding everything below; removed by stop() unless kept. */
  tempDir: string;
  userDataDir: string;
  extensionsDir: string;
  logsDir: string;
  /** code-server's own stdout/stderr. */
  serverLogPath: string;
  stop(): Promise<void>;
  /** Text of the (remote) extension host log: activation errors and console output of extensions. */
  extensionHostLog(): Promise<string>;
}

/** True when test/e2e/install.mjs has put code-server in place. */
export function codeServerInstalled(): boolean {
  return fs.existsSync(CODE_SERVER_BIN);
}

export const DEFAULT_SETTINGS: Readonly<Record<string, unknown>> = {
  // Otherwise the trust dialog covers the window and extensions run restricted.
  'security.workspace.trust.enabled': false,
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'telemetry.telemetryLevel': 'off',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'update.mode': 'none',
  'chat.commandCenter.enabled': false,
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
};

/**
 * Starts a real VS Code (code-server) on 127.0.0.1 with a fresh profile and the given .vsix
 * installed. Always call stop() (e.g. in an `after` hook): it kills code-server's whole process
 * group, which includes the extension host and anything the extension spawned.
 */
export async function startCodeServer(opts: CodeServerOptions): Promise<CodeServer> {
  if (!codeServerInstalled()) {
    throw new Error(`code-server is not installed (${CODE_SERVER_BIN}); run: node test/e2e/install.mjs`);
  }
  if (!fs.existsSync(opts.vsixPath)) throw new Error(`vsix not found: ${opts.vsixPath}`);

  const tempDir = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'maildesk-e2e-'));
  const userDataDir = path.join(tempDir, 'user-data');
  const extensionsDir = path.join(tempDir, 'extensions');
  const logsDir = path.join(userDataDir, 'logs');
  const serverLogPath = path.join(tempDir, 'code-server.log');
  await fs.promises.mkdir(path.join(userDataDir, 'User'), { recursive: true });
  await fs.promises.mkdir(extensionsDir, { recursive: true });
  const settings = { ...DEFAULT_SETTINGS, ...(opts.settings ?? {}) };
  await fs.promises.writeFile(path.join(userDataDir, 'User', 'settings.json'), JSON.stringify(settings, null, 2));
  // An empty config file keeps code-server from writing ~/.config/code-server/config.yaml
  // (with a password) and from reading a developer's own.
  const configPath = path.join(tempDir, 'config.yaml');
  await fs.promises.writeFile(configPath, 'auth: none\ncert: false\n');

  const env = hermeticEnv(tempDir, opts.env);
  const common = ['--config', configPath, '--user-data-dir', userDataDir, '--extensions-dir', extensionsDir];

  try {
    for (const vsix of [opts.vsixPath, ...(opts.extraVsixPaths ?? [])]) {
      await execFileAsync(CODE_SERVER_BIN, [...common, '--install-extension', path.resolve(vsix), '--force'], {
        env,
        timeout: 120_000,
        maxBuffer: 16 * 1024 * 1024,
      });
    }
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    await fs.promises.rm(tempDir, { recursive: true, force: true });
    throw new Error(`code-server --install-extension ${opts.vsixPath} failed: ${e.message}\n${e.stdout ?? ''}\n${e.stderr ?? ''}`);
  }

  const keep = opts.keepTempDir ?? process.env.MAILDESK_E2E_KEEP === '1';
  const extensionHostLog = async (): Promise<string> => {
    const files = (await findFiles(logsDir, (name) => /exthost\.log$/i.test(name))).sort();
    const parts = await Promise.all(files.map(async (f) => `==> ${path.relative(logsDir, f)} <==\n${await fs.promises.readFile(f, 'utf8')}`));
    return parts.join('\n');
  };

  // freePort() can race with another process grabbing the port; try a fresh one a few times.
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const running = launch(port, common, opts.workspaceDir, env, serverLogPath, keep ? undefined : tempDir);
    try {
      await waitForHttp(`http://127.0.0.1:${port}/healthz`, opts.startTimeoutMs ?? 60_000, running.hasExited);
    } catch (err) {
      await running.kill();
      const out = await fs.promises.readFile(serverLogPath, 'utf8').catch(() => '');
      if (attempt < 3 && /EADDRINUSE/.test(out)) continue;
      if (!keep) await fs.promises.rm(tempDir, { recursive: true, force: true }).catch(() => undefined);
      throw new Error(`${(err as Error).message}\n--- code-server output (${serverLogPath}) ---\n${out.slice(-4000)}`);
    }
    let stopped = false;
    const stop = async (): Promise<void> => {
      if (stopped) return;
      stopped = true;
      await running.kill();
      await waitForPortClosed(port, 10_000);
      if (!keep) await fs.promises.rm(tempDir, { recursive: true, force: true }).catch(() => undefined);
    };
    return {
      url: `http://127.0.0.1:${port}/`,
      port,
      pid: running.pid,
      tempDir,
      userDataDir,
      extensionsDir,
      logsDir,
      serverLogPath,
      stop,
      extensionHostLog,
    };
  }
}

interface Launched {
  pid: number;
  hasExited(): boolean;
  /** SIGTERM to the process group, SIGKILL after 5 s; resolves when code-server is gone. */
  kill(): Promise<void>;
}

function launch(port: number, common: string[], workspaceDir: string, env: NodeJS.ProcessEnv, logPath: string, tempDir?: string): Launched {
  const logFd = fs.openSync(logPath, 'a');
  const child = spawn(
    CODE_SERVER_BIN,
    [
      ...common,
      '--auth', 'none',
      '--bind-addr', `127.0.0.1:${port}`,
      '--disable-telemetry',
      '--disable-update-check',
      '--disable-workspace-trust',
      '--disable-getting-started-override',
      path.resolve(workspaceDir),
    ],
    // detached: its own process group, so one signal reaches code-server, the extension host and
    // whatever the extension started.
    { env, detached: true, stdio: ['ignore', logFd, logFd] },
  );
  fs.closeSync(logFd);
  if (child.pid === undefined) throw new Error('code-server did not start (no pid)');
  const pid = child.pid;
  liveGroups.set(pid, tempDir);
  ensureExitCleanup();
  let exited = false;
  const exitPromise = new Promise<void>((resolve) =>
    child.once('exit', () => {
      exited = true;
      resolve();
    }),
  );
  child.unref();
  return {
    pid,
    hasExited: () => exited,
    kill: async () => {
      if (!exited) {
        killGroup(pid, 'SIGTERM');
        const graceful = await Promise.race([exitPromise.then(() => true), delay(5000).then(() => false)]);
        if (!graceful) killGroup(pid, 'SIGKILL');
        await Promise.race([exitPromise, delay(5000)]);
      }
      // The extension host and helpers may outlive the parent by a moment; the group dies too.
      killGroup(pid, 'SIGKILL');
      liveGroups.delete(pid);
    },
  };
}

// Process groups started and not yet stopped (with the temp folder to remove). If mocha dies or
// is interrupted before an `after` hook runs, code-server (detached) would outlive the run.
const liveGroups = new Map<number, string | undefined>();
let exitCleanupInstalled = false;
function ensureExitCleanup(): void {
  if (exitCleanupInstalled) return;
  exitCleanupInstalled = true;
  const killAll = (): void => {
    for (const [pid, dir] of liveGroups) {
      killGroup(pid, 'SIGKILL');
      if (dir) fs.rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
    }
    liveGroups.clear();
  };
  process.once('exit', killAll);
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      killAll();
      process.exit(sig === 'SIGINT' ? 130 : 143);
    });
  }
}

// Variables from an outer VS Code (its terminal, or a test runner inside one) make code-server's
// CLI talk to that VS Code instead; HOME-based config folders would leak state between runs.
function hermeticEnv(tempDir: string, extra?: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (k.startsWith('VSCODE_') || k === 'ELECTRON_RUN_AS_NODE' || k.startsWith('npm_')) continue;
    env[k] = v;
  }
  return {
    ...env,
    XDG_CONFIG_HOME: path.join(tempDir, 'xdg-config'),
    XDG_DATA_HOME: path.join(tempDir, 'xdg-data'),
    XDG_CACHE_HOME: path.join(tempDir, 'xdg-cache'),
    ...(extra ?? {}),
  };
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // Already gone.
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A port on 127.0.0.1 that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

function httpStatus(url: string): Promise<number> {
  return new Promise((resolve) => {
    const req = http.get(url, { timeout: 2000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(0));
  });
}

async function waitForHttp(url: string, timeoutMs: number, hasExited: () => boolean): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (hasExited()) throw new Error('code-server exited before it answered HTTP');
    const status = await httpStatus(url);
    if (status >= 200 && status < 400) return;
    await delay(250);
  }
  throw new Error(`code-server did not answer ${url} within ${timeoutMs} ms`);
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect({ host: '127.0.0.1', port });
    sock.once('connect', () => { sock.destroy(); resolve(true); });
    sock.once('error', () => resolve(false));
  });
}

async function waitForPortClosed(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!(await portOpen(port))) return;
    await delay(100);
  }
  throw new Error(`port ${port} still open ${timeoutMs} ms after stopping code-server`);
}

async function findFiles(dir: string, match: (name: string) => boolean): Promise<string[]> {
  const out: string[] = [];
  const entries = await fs.promises.readdir(dir, { withFileTypes: true }).catch(() => []);
  for (const e of entries) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...(await findFiles(p, match)));
    else if (match(e.name)) out.push(p);
  }
  return out;
}
