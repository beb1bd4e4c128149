/**
 * `npm run bench`: seeds a private Dovecot with realistic mail and measures MailDesk's sync
 * against a bare imapflow fetch of the same data, run after run, interleaved.
 *
 * Each measurement runs in a fresh child process (`node dist/bench.js --child ...`), so a
 * run's peak RSS and event-loop stalls are its own and JIT warmth is the same for both
 * sides. Progress goes to stderr; stdout carries only the table or the JSON object.
 */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startDovecot, type Dovecot } from '../test/support/dovecot';
import { bareClient, fetchFolder, runBaseline, type BaselineResult } from './baseline';
import { runMailDesk, type MailDeskResult } from './maildeskRun';
import { hasMbsync, runFullFetch, runMailDeskBodies, runMbsync, type FullFetchResult, type MailDeskBodiesResult, type MbsyncResult } from './bodiesRun';
import { BODY_SIDES, FIRST_PAGE_SIZE, MAX_CONNECTIONS, PAGE_SIZE, parseArgs, type BenchOptions, type ChildConfig } from './options';
import { buildBodyFigures, buildFigures, renderTable, type BenchReport } from './report';
import { seedBench } from './seed';

const USER = 'alice';
const PASSWORD = 'secret';
const OTHER_FOLDERS = Array.from({ length: 9 }, (_, i) => `Bench${i + 1}`);

function progress(msg: string): void {
  process.stderr.write(`[bench] ${msg}\n`);
}

async function childMain(kind: string, cfgJson: string): Promise<void> {
  const cfg = JSON.parse(cfgJson) as ChildConfig;
  const runs: Record<string, (c: ChildConfig) => Promise<unknown>> = {
    baseline: runBaseline,
    maildesk: runMailDesk,
    'maildesk-bodies': runMailDeskBodies,
    mbsync: runMbsync,
    fullfetch: runFullFetch,
  };
  const result = runs[kind] ? await runs[kind](cfg) : undefined;
  if (!result) throw new Error(`unknown child kind ${kind}`);
  process.stdout.write('\n' + JSON.stringify(result) + '\n');
}

type ChildKind = 'baseline' | 'maildesk' | 'maildesk-bodies' | 'mbsync' | 'fullfetch';

function runChild<T>(kind: ChildKind, cfg: ChildConfig): Promise<T> {
  return new Promise((resolve, reject) => {
    // Node's own flags reach the runs: `node --cpu-prof dist/bench.js` profiles each of them.
    const child = spawn(process.execPath, [...process.execArgv, process.argv[1], '--child', kind, JSON.stringify(cfg)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (d: string) => (out += d));
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      const last = out.trim().split('\n').pop() ?? '';
      if (code !== 0) return reject(new Error(`${kind} run failed (${signal ?? 'exit code ' + code})`));
      try {
        resolve(JSON.parse(last) as T);
      } catch {
        reject(new Error(`${kind} run printed no result: ${out.slice(-500)}`));
      }
    });
  });
}

async function warmUp(d: Dovecot): Promise<number> {
  // The first fetch after seeding makes Dovecot assign UIDs and parse every file into its
  // cache; neither side should pay that, so it happens once here and is reported apart.
  const t = performance.now();
  const c = bareClient({ port: d.port, user: USER, password: PASSWORD });
  c.on('error', () => undefined);
  await c.connect();
  try {
    for (const f of ['INBOX', ...OTHER_FOLDERS]) await fetchFolder(c, f, FIRST_PAGE_SIZE, PAGE_SIZE);
  } finally {
    await c.logout().catch(() => c.close());
  }
  return performance.now() - t;
}

function commandLine(o: BenchOptions): string {
  const parts = ['npm run bench --'];
  parts.push(`--messages ${o.messages}`, `--runs ${o.runs}`);
  if (o.json) parts.push('--json');
  if (o.keep) parts.push('--keep');
  if (o.dataRoot) parts.push(`--data-root ${o.dataRoot}`);
  if (o.pageSize !== PAGE_SIZE) parts.push(`--page-size ${o.pageSize}`);
  if (o.firstPageSize !== FIRST_PAGE_SIZE) parts.push(`--first-page-size ${o.firstPageSize}`);
  if (!o.headers) parts.push('--no-headers');
  if (!o.bodies) parts.push('--no-bodies');
  if (o.bodySides.join(',') !== BODY_SIDES.join(',')) parts.push(`--body-sides ${o.bodySides.join(',')}`);
  return parts.join(' ');
}

/** mbsync (Debian package isync), installed when missing and this process may (root). */
function ensureMbsync(): { ok: boolean; why?: string } {
  if (hasMbsync()) return { ok: true };
  if (process.getuid?.() !== 0) return { ok: false, why: 'mbsync is not installed (apt-get install -y isync)' };
  progress('installing mbsync (apt-get install -y isync)');
  const r = spawnSync('apt-get', ['install', '-y', 'isync'], { stdio: ['ignore', 'ignore', 'inherit'] });
  return hasMbsync() ? { ok: true } : { ok: false, why: `installing isync failed (exit ${r.status}); run apt-get install -y isync` };
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv[0] === '--child') return childMain(argv[1], argv[2]);
  const o = parseArgs(argv);

  const dataRoot = fs.mkdtempSync(path.join(o.dataRoot ?? os.tmpdir(), 'maildesk-bench-'));
  progress(`starting Dovecot`);
  const d = await startDovecot({ users: { [USER]: PASSWORD } });
  try {
    progress(`seeding ${o.messages.toLocaleString('en-US')} messages into ${d.dir}`);
    const tSeed = performance.now();
    const seed = seedBench(d, USER, o.messages, OTHER_FOLDERS);
    const seedMs = performance.now() - tSeed;
    progress(`seeded in ${(seedMs / 1000).toFixed(1)} s; warming Dovecot's index`);
    const warmupMs = await warmUp(d);

    const md: MailDeskResult[] = [];
    const base: BaselineResult[] = [];
    const childConfig = (i: number, name: string): ChildConfig => ({
      port: d.port,
      user: USER,
      password: PASSWORD,
      inbox: 'INBOX',
      otherFolders: OTHER_FOLDERS,
      messages: o.messages,
      firstPageSize: o.firstPageSize,
      pageSize: o.pageSize,
      maxConnections: MAX_CONNECTIONS,
      headerWorker: o.headerWorker,
      dataDir: path.join(dataRoot, `${name}-${i + 1}`),
      dovecotPid: d.pid,
    });
    for (let i = 0; o.headers && i < o.runs; i++) {
      const cfg = childConfig(i, 'run');
      // Alternate who goes first, so neither side always meets a warmer server.
      const order: Array<'baseline' | 'maildesk'> = i % 2 === 0 ? ['baseline', 'maildesk'] : ['maildesk', 'baseline'];
      for (const kind of order) {
        progress(`run ${i + 1}/${o.runs}: ${kind}`);
        if (kind === 'baseline') {
          const r = await runChild<BaselineResult>('baseline', cfg);
          if (r.fetched !== o.messages) throw new Error(`bare fetch got ${r.fetched} of ${o.messages} messages`);
          base.push(r);
        } else {
          const r = await runChild<MailDeskResult>('maildesk', cfg);
          if (r.stored !== o.messages) throw new Error(`MailDesk stored ${r.stored} of ${o.messages} messages`);
          md.push(r);
          if (!o.keep) fs.rmSync(cfg.dataDir, { recursive: true, force: true });
        }
      }
    }

    // Offline bodies: MailDesk's headers + bodies, mbsync's full pull and a bare full-source
    // fetch, one after the other per run, the order turning so none always meets a warmer server.
    const bodies: { maildesk: MailDeskBodiesResult[]; mbsync: MbsyncResult[]; fullfetch: FullFetchResult[]; mbsyncMissing?: string } = { maildesk: [], mbsync: [], fullfetch: [] };
    if (o.bodies) {
      const mbsync = o.bodySides.includes('mbsync') ? ensureMbsync() : { ok: false, why: 'left out (--body-sides)' };
      if (!mbsync.ok) bodies.mbsyncMissing = mbsync.why;
      const kinds = o.bodySides.filter((k) => k !== 'mbsync' || mbsync.ok);
      for (let i = 0; i < o.runs; i++) {
        const order = kinds.map((_, k) => kinds[(k + i) % kinds.length]);
        for (const kind of order) {
          progress(`bodies run ${i + 1}/${o.runs}: ${kind} (load ${os.loadavg()[0].toFixed(1)})`);
          const cfg = childConfig(i, kind);
          if (kind === 'maildesk-bodies') {
            const r = await runChild<MailDeskBodiesResult>(kind, cfg);
            if (r.bodies !== o.messages) throw new Error(`MailDesk stored ${r.bodies} of ${o.messages} bodies`);
            bodies.maildesk.push(r);
          } else if (kind === 'mbsync') {
            const r = await runChild<MbsyncResult>(kind, cfg);
            if (r.files !== o.messages) throw new Error(`mbsync pulled ${r.files} of ${o.messages} messages`);
            bodies.mbsync.push(r);
          } else {
            const r = await runChild<FullFetchResult>(kind, cfg);
            if (r.messages !== o.messages) throw new Error(`the bare full fetch got ${r.messages} of ${o.messages} messages`);
            bodies.fullfetch.push(r);
          }
          fs.rmSync(cfg.dataDir, { recursive: true, force: true });
        }
      }
    }

    const figures = { ...(o.headers ? buildFigures(md, base, o.messages) : {}), ...(o.bodies ? buildBodyFigures(bodies, o.messages) : {}) };
    const report: BenchReport = {
      command: commandLine(o),
      messages: o.messages,
      runs: o.runs,
      pageSizes: { first: o.firstPageSize, page: o.pageSize },
      seeding: { ...seed, totalMs: seedMs, warmupMs, dovecotDir: d.dir },
      figures,
      allPass: Object.values(figures).every((f) => f.pass !== false),
      loadAvg: os.loadavg(),
      cpus: os.cpus().length,
      perRun: { maildesk: md, baseline: base, bodies },
    };
    process.stdout.write((o.json ? JSON.stringify(report, null, 2) : renderTable(report)) + '\n');
  } finally {
    if (o.keep) {
      await d.stop();
      // The Dovecot helper deletes its folders at exit; --keep means keep them.
      process.removeAllListeners('exit');
      progress(`kept Dovecot mail in ${d.dir} and MailDesk data in ${dataRoot}`);
    } else {
      await d.dispose();
      fs.rmSync(dataRoot, { recursive: true, force: true });
    }
  }
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    process.stderr.write(`bench failed: ${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
    process.exit(1);
  },
);
