/**
 * `node esbuild.mjs && node dist/engineBench.js [--messages N]`: what the engine changes for the
 * process that hosts it and for the windows and commands that join it.
 *
 * - hostStallMs: the longest event-loop stall of the HOSTING process's main thread while its
 *   engine (a worker thread) syncs INBOX from scratch: a 5 ms interval timer's worst lateness,
 *   and monitorEventLoopDelay's max.
 * - secondClient*: a second process (`--second-client`) connecting to the running engine and
 *   listing Inbox's newest 100: process start excluded, connect + hello + list timed; once
 *   while the engine syncs, once after.
 * - hostPeakRssMb: the hosting process's peak RSS while its engine syncs (engine and one client).
 * - hostStallOwnCpuMs: of the worst gap, the time the main thread itself ran (/proc schedstat):
 *   the part that was the host's own work, not its wait for one of the machine's cores;
 *   hostMaxOwnCpuInOneGapMs: the most the main thread ran between two ticks, over the whole sync.
 * - controlStallMs: the same timer in an idle process running beside it (`--idle-probe`): what
 *   the machine alone costs (a busy machine delays every process's timers), to read the first against.
 * Seeds a private Dovecot with the bench profile (bench/seed.ts). Prints one JSON object.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loopDelay } from './loopDelay';
import { startDovecot } from '../test/support/dovecot';
import { EngineClient } from '../src/engine/client';
import { mainThreadTimes } from './threadTimes';
import { seedBench } from './seed';

const USER = 'alice';
const PASSWORD = 'secret';

interface SecondClientResult {
  connectMs: number;
  listMs: number;
  totalMs: number;
  rows: number;
  hosting: boolean;
}

async function secondClient(dataDir: string): Promise<void> {
  const t0 = performance.now();
  const c = await EngineClient.connect({ dataDir, kind: 'cli' });
  const t1 = performance.now();
  const rows = (await c.request('messages/list', { accountId: 'bench', folderPath: 'INBOX', limit: 100 })) ?? [];
  const t2 = performance.now();
  const r: SecondClientResult = { connectMs: t1 - t0, listMs: t2 - t1, totalMs: t2 - t0, rows: rows.length, hosting: c.hosting };
  await c.close();
  process.stdout.write(JSON.stringify(r) + '\n');
}

function runSecondClient(dataDir: string): Promise<SecondClientResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [process.argv[1], '--second-client', dataDir], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.once('exit', (code) => (code === 0 ? resolve(JSON.parse(out.trim().split('\n').pop()!) as SecondClientResult) : reject(new Error(`second client failed (${code})`))));
  });
}

/** A 5 ms timer's worst lateness until SIGTERM, printed then (never resolves: the signal ends it). */
function idleProbe(): Promise<void> {
  let last = performance.now();
  let worst = 0;
  setInterval(() => {
    const now = performance.now();
    worst = Math.max(worst, now - last - 5);
    last = now;
  }, 5);
  process.once('SIGTERM', () => {
    process.stdout.write(JSON.stringify({ worst }) + '\n');
    process.exit(0);
  });
  return new Promise<void>(() => undefined);
}

function startIdleProbe(): { stop(): Promise<number> } {
  const child = spawn(process.execPath, [process.argv[1], '--idle-probe'], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  return {
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
      return (JSON.parse(out.trim()) as { worst: number }).worst;
    },
  };
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv[0] === '--second-client') return secondClient(argv[1]);
  if (argv[0] === '--idle-probe') return idleProbe();
  const i = argv.indexOf('--messages');
  const messages = i >= 0 ? Number(argv[i + 1]) : 10_000;
  const dv = await startDovecot({ users: { [USER]: PASSWORD } });
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'maildesk-engine-bench-'));
  try {
    process.stderr.write(`[engine-bench] seeding ${messages} messages\n`);
    seedBench(dv, USER, messages, []);
    const host = await EngineClient.connect({
      dataDir,
      kind: 'cli',
      secrets: { password: async () => ({ password: PASSWORD }), get: async () => undefined, set: async () => undefined, delete: async () => undefined },
      engine: { idle: false },
    });
    if (!host.hosting) throw new Error('another engine runs on the bench folder');
    await host.request('accounts/add', { account: { id: 'bench', provider: 'imap', email: 'alice@example.test', imap: { host: '127.0.0.1', port: dv.port, security: 'none', user: USER } } });

    // The host's main thread while its engine syncs: a 5 ms timer's worst lateness, and the histogram.
    const h = loopDelay();
    let last = performance.now();
    let worst = 0;
    let worstOwn = 0;
    let maxOwn = 0;
    let lastMain = mainThreadTimes();
    // The engine is a worker thread of this process: the process's RSS is the engine's plus a
    // client's (a window would add its own client, not a second engine).
    let peakRss = 0;
    const timer = setInterval(() => {
      const now = performance.now();
      const main = mainThreadTimes();
      const own = main && lastMain ? main.runMs - lastMain.runMs : NaN;
      if (now - last - 5 > worst) {
        worst = now - last - 5;
        worstOwn = own;
      }
      maxOwn = Math.max(maxOwn, own);
      last = now;
      lastMain = main;
    }, 5);
    const rssTimer = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage.rss())), 100);
    h.enable();
    const control = startIdleProbe();
    const t0 = performance.now();
    const sync = host.request('sync/once', { accountIds: ['bench'] });
    // A second process joins while the engine syncs, then once more after.
    await new Promise((r) => setTimeout(r, 1500));
    const during = await runSecondClient(dataDir);
    const r = await sync;
    const syncMs = performance.now() - t0;
    h.disable();
    clearInterval(timer);
    clearInterval(rssTimer);
    const controlWorst = await control.stop();
    const after = await runSecondClient(dataDir);
    const inbox = r.accounts[0].folders.find((f) => f.path === 'INBOX');
    await host.close();
    const out = {
      messages,
      synced: inbox?.local ?? 0,
      syncMs: Math.round(syncMs),
      hostStallMs: Math.round(worst * 10) / 10,
      hostStallOwnCpuMs: Math.round(worstOwn * 10) / 10,
      hostMaxOwnCpuInOneGapMs: Math.round(maxOwn * 10) / 10,
      hostLoopDelayMaxMs: Math.round((h.max / 1e6) * 10) / 10,
      controlStallMs: Math.round(controlWorst * 10) / 10,
      hostPeakRssMb: Math.round(peakRss / 1024 / 1024),
      secondClientDuringSync: during,
      secondClientAfterSync: after,
      cpus: os.cpus().length,
      loadAvg: os.loadavg().map((x) => Math.round(x * 10) / 10),
    };
    process.stdout.write(JSON.stringify(out, null, 2) + '\n');
  } finally {
    await dv.dispose();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (e) => {
    process.stderr.write(`engine bench: ${(e as Error).stack}\n`);
    process.exit(1);
  },
);
