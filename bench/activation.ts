/**
 * `npm run bench:activation`: how long MailDesk takes to activate, counted as VS Code counts it
 * (the Running Extensions view shows codeLoadingTime + activateCallTime: the require of the main
 * module, then the synchronous part of the activate() call), in N fresh Node processes.
 *
 * Each run (`node dist/activationBench.js --child <extension.js>`) answers `require('vscode')`
 * with a stand-in (bench/activationStub.ts), requires the bundle, calls activate() with a
 * context whose storage is a new temporary folder, and reports the times and which bundles were
 * loaded. Progress goes to stderr; stdout carries only the table or the JSON object.
 *
 *   node dist/activationBench.js [--runs 15] [--extension dist/extension.js] [--compare other/dist/extension.js] [--ready] [--json]
 *
 * `--ready` also waits for the engine (hosted in a worker thread, as in the first window) to say
 * it is ready, which activation itself does not wait for. `--extension` measures another build;
 * `--compare` measures a second one in alternate runs (e.g. a build of main's), so both see the
 * same machine load. Build with `--production` first, as a release is. Wall times swell on a
 * busy machine; the CPU time of code loading (this process's, all threads) swells much less.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import Module from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { stubContext, vscodeStub } from './activationStub';

interface RunResult {
  /** require() of the main module (VS Code's codeLoadingTime). */
  codeLoadingMs: number;
  /** CPU time (user + system) of the process during that require(). */
  codeLoadingCpuMs: number;
  /** activate() until it returns its promise (VS Code's activateCallTime). */
  activateCallMs: number;
  /** activate() until its promise resolves (VS Code's activateResolvedTime). */
  activateResolvedMs: number;
  /** From the start of activation until the engine said it is ready (with --ready). */
  engineReadyMs?: number;
  /** The .js files of the extension's folder that were loaded when activate() had resolved. */
  loaded: string[];
}

function progress(msg: string): void {
  process.stderr.write(`[activation] ${msg}\n`);
}

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

async function childMain(extensionJs: string, waitReady: boolean): Promise<void> {
  const { module: vscode, outputLines } = vscodeStub();
  // The extension host answers require('vscode') itself; so does this process.
  const mod = Module as unknown as { _load(request: string, ...rest: unknown[]): unknown };
  const load = mod._load;
  mod._load = function (request: string, ...rest: unknown[]) {
    return request === 'vscode' ? vscode : load.call(this, request, ...rest);
  };
  const storage = fs.mkdtempSync(path.join(os.tmpdir(), 'maildesk-activation-'));
  const extensionDir = path.dirname(path.dirname(extensionJs));
  const version = (JSON.parse(fs.readFileSync(path.join(extensionDir, 'package.json'), 'utf8')) as { version: string }).version;
  const context = stubContext(extensionDir, storage, version);
  // Node modules VS Code's extension host has loaded before it activates an extension (its IPC,
  // file service and proxy support): their first load is not the extension's cost there.
  // worker_threads is not among them: the engine's first window pays for it.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  for (const m of ['fs', 'path', 'os', 'net', 'tls', 'crypto', 'http', 'https', 'url', 'util', 'events', 'stream', 'child_process', 'zlib']) require(`node:${m}`);

  const cpu = process.cpuUsage();
  const t0 = performance.now();
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const ext = require(extensionJs) as { activate(c: unknown): Promise<unknown>; deactivate(): Promise<void> | undefined };
  const t1 = performance.now();
  const used = process.cpuUsage(cpu);
  const pending = ext.activate(context);
  const t2 = performance.now();
  await pending;
  const t3 = performance.now();
  const dir = path.dirname(extensionJs);
  const loaded = Object.keys(require.cache)
    .filter((f) => path.dirname(f) === dir && f !== __filename)
    .map((f) => path.basename(f));
  const result: RunResult = { codeLoadingMs: t1 - t0, codeLoadingCpuMs: (used.user + used.system) / 1000, activateCallMs: t2 - t1, activateResolvedMs: t3 - t1, loaded };
  if (waitReady) {
    const deadline = Date.now() + 60_000;
    let ready: RegExpExecArray | null = null;
    while (!(ready = /ready (\d+) ms after activation began/.exec(outputLines.join('\n'))) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    if (!ready) throw new Error(`the engine did not get ready within 60 s; MailDesk's log:\n${outputLines.join('\n')}`);
    result.engineReadyMs = Number(ready[1]);
  }
  const errors = outputLines.filter((l) => l.startsWith('error:'));
  if (errors.length) throw new Error(`activation logged errors:\n${errors.join('\n')}`);
  await ext.deactivate();
  fs.rmSync(storage, { recursive: true, force: true });
  process.stdout.write('\n' + JSON.stringify(result) + '\n');
  // An engine hosted here may keep its worker's timers; the run is over.
  process.exit(0);
}

function runChild(extensionJs: string, waitReady: boolean): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    // Node's own flags reach the runs: `node --cpu-prof dist/activationBench.js` profiles each of them.
    const child = spawn(process.execPath, [...process.execArgv, process.argv[1]!, '--child', extensionJs, ...(waitReady ? ['--ready'] : [])], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (d: string) => (out += d));
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      if (code !== 0) return reject(new Error(`activation run failed (${signal ?? 'exit code ' + code})`));
      try {
        resolve(JSON.parse(out.trim().split('\n').pop() ?? '') as RunResult);
      } catch {
        reject(new Error(`activation run printed no result: ${out.slice(-500)}`));
      }
    });
  });
}

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
}

function summarise(extensionJs: string, results: RunResult[], waitReady: boolean) {
  const figures: Record<string, number[]> = {
    'code loading (require of the main module)': results.map((r) => r.codeLoadingMs),
    'code loading, CPU time': results.map((r) => r.codeLoadingCpuMs),
    'activate() call': results.map((r) => r.activateCallMs),
    'activation as VS Code shows it (code loading + activate() call)': results.map((r) => r.codeLoadingMs + r.activateCallMs),
    'activate() until its promise resolved': results.map((r) => r.activateResolvedMs),
  };
  if (waitReady) figures['engine ready after activation began (background)'] = results.map((r) => r.engineReadyMs ?? NaN);
  return {
    extension: extensionJs,
    bytes: fs.statSync(extensionJs).size,
    runs: results.length,
    loaded: [...new Set(results.flatMap((r) => r.loaded))],
    summary: Object.fromEntries(Object.entries(figures).map(([k, xs]) => [k, { median: quantile(xs, 0.5), min: Math.min(...xs), p90: quantile(xs, 0.9) }])),
  };
}

function table(report: ReturnType<typeof summarise>): string {
  const rows = Object.entries(report.summary).map(([k, s]) => `| ${k} | ${s.median.toFixed(1)} | ${s.min.toFixed(1)} | ${s.p90.toFixed(1)} |`);
  return [
    `${path.relative(process.cwd(), report.extension)}: ${(report.bytes / 1024).toFixed(0)} KiB; ${report.runs} fresh processes; bundles loaded by activation: ${report.loaded.join(', ')}`,
    '',
    '| ms | median | min | p90 |',
    '|---|---:|---:|---:|',
    ...rows,
    '',
  ].join('\n');
}

async function main(): Promise<void> {
  const runs = Number(arg('--runs') ?? 15);
  const builds = [path.resolve(arg('--extension') ?? path.join(__dirname, 'extension.js')), ...(arg('--compare') ? [path.resolve(arg('--compare')!)] : [])];
  const waitReady = process.argv.includes('--ready');
  for (const b of builds) if (!fs.existsSync(b)) throw new Error(`${b} is missing: run \`node esbuild.mjs --production\` first`);
  const results = builds.map(() => [] as RunResult[]);
  const load = [os.loadavg()[0]];
  for (let i = 0; i < runs; i++) {
    // Alternate runs, so that both builds see the same machine.
    for (const [j, b] of builds.entries()) {
      const r = await runChild(b, waitReady);
      results[j]!.push(r);
      progress(`run ${i + 1}/${runs} ${path.relative(process.cwd(), b)}: ${(r.codeLoadingMs + r.activateCallMs).toFixed(1)} ms`);
    }
  }
  load.push(os.loadavg()[0]);
  const reports = builds.map((b, j) => summarise(b, results[j]!, waitReady));
  if (process.argv.includes('--json')) {
    process.stdout.write(JSON.stringify({ loadAverage: load, builds: reports }, null, 2) + '\n');
    return;
  }
  process.stdout.write(`Load average (1 min) ${load.map((l) => l.toFixed(2)).join(' -> ')} on ${os.cpus().length} CPUs\n\n${reports.map(table).join('\n')}`);
}

const child = process.argv.indexOf('--child');
(child >= 0 ? childMain(path.resolve(process.argv[child + 1]!), process.argv.includes('--ready')) : main()).catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? e.stack : String(e)}\n`);
  process.exit(1);
});
