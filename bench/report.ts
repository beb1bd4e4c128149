/** Medians, targets and the table/JSON that `npm run bench` prints. */
import type { BaselineResult } from './baseline';
import type { FullFetchResult, MailDeskBodiesResult, MbsyncResult } from './bodiesRun';
import type { MailDeskResult } from './maildeskRun';
import { median } from './options';
import type { CpuSplit } from './threadTimes';
import type { SeedStats } from './seed';

export interface Figure {
  name: string;
  unit: string;
  maildesk: number;
  baseline: number | null;
  target: string;
  /** null: informational, no target. */
  pass: boolean | null;
  note?: string;
}

export interface BenchReport {
  command: string;
  messages: number;
  runs: number;
  pageSizes: { first: number; page: number };
  seeding: SeedStats & { totalMs: number; warmupMs: number; dovecotDir: string };
  figures: Record<string, Figure>;
  allPass: boolean;
  loadAvg: number[];
  cpus: number;
  perRun: { maildesk: MailDeskResult[]; baseline: BaselineResult[]; bodies?: BodyRuns };
}

export interface BodyRuns {
  maildesk: MailDeskBodiesResult[];
  mbsync: MbsyncResult[];
  fullfetch: FullFetchResult[];
  mbsyncMissing?: string;
}

/**
 * Offline bodies: MailDesk's headers + bodies against mbsync's full pull and a bare
 * full-source fetch (the comparator is in the "bare imapflow" column, named in the row).
 * Ratios are per run (all three ran back to back), then the median.
 */
export function buildBodyFigures(b: BodyRuns, messages: number): Record<string, Figure> {
  const m = (f: (r: MailDeskBodiesResult) => number): number => median(b.maildesk.map(f));
  const at100k = messages >= 100_000;
  const scaleNote = at100k ? undefined : 'target is stated for 100,000 messages';
  const vsMbsync = b.maildesk.map((r, i) => (b.mbsync[i]?.totalMs ?? NaN) / r.totalMs);
  const vsBare = b.maildesk.map((r, i) => (b.fullfetch[i]?.totalMs ?? NaN) / r.totalMs);
  const ratio = median(vsMbsync);
  const figs: Record<string, Figure> = {
    bodiesTime: {
      name: 'Headers + bodies, INBOX (vs mbsync full pull)',
      unit: 's',
      maildesk: m((r) => r.totalMs) / 1000,
      baseline: b.mbsync.length ? median(b.mbsync.map((r) => r.totalMs)) / 1000 : null,
      target: '—',
      pass: null,
      note: `MailDesk from open to every body stored and on disk for good (sync ${fmt(m((r) => r.syncMs) / 1000, 's')} s + fsync ${fmt(m((r) => r.saveMs), 'ms')} ms), ${fmt(m((r) => r.bodyBytes) / 1e6, 'MB')} MB of bodies; mbsync from process start to exit${b.mbsyncMissing ? ` (not measured: ${b.mbsyncMissing})` : ''}`,
    },
    bodiesVsMbsync: {
      name: 'MailDesk speed / mbsync (time ratio)',
      unit: '×',
      maildesk: ratio,
      baseline: null,
      target: '≥ 1.0 (goal 2.0)',
      pass: b.mbsync.length ? ratio >= 1 : null,
    },
    fullFetch: {
      name: 'Headers + bodies (vs bare full-source fetch)',
      unit: 's',
      maildesk: m((r) => r.totalMs) / 1000,
      baseline: b.fullfetch.length ? median(b.fullfetch.map((r) => r.totalMs)) / 1000 : null,
      target: '—',
      pass: null,
      note: `bare = one imapflow fetch('1:*', { source: true }), bytes counted and dropped; MailDesk speed / bare ${fmt(median(vsBare), '×')}×`,
    },
    openStored: {
      name: 'Open a stored message → text (p50)',
      unit: 'ms',
      maildesk: m((r) => r.openP50Ms),
      baseline: null,
      target: '≤ 100 ms',
      pass: m((r) => r.openP50Ms) <= 100,
      note: `core messageSource + parse + sanitise, ${messages.toLocaleString('en-US')}-message store, 51 messages spread over the folder; slowest ${fmt(m((r) => r.openMaxMs), 'ms')} ms`,
    },
    bodyIndex: {
      name: 'Body text into the search index (background)',
      unit: 'msg/s',
      maildesk: m((r) => r.bodyIndexed / (r.bodyIndexMs / 1000)),
      baseline: null,
      target: '—',
      pass: null,
      note: `parse + index of ${fmt(m((r) => r.bodyIndexed), 'n')} bodies in ${fmt(m((r) => r.bodyIndexMs), 'ms')} ms (time-boxed to 20 s), after the headers' index (${fmt(m((r) => r.indexMs), 'ms')} ms); longest stall while indexing ${fmt(m((r) => r.indexStallMs), 'ms')} ms`,
    },
    bodiesRss: {
      name: 'Peak RSS, headers + bodies',
      unit: 'MB',
      maildesk: m((r) => r.peakRssMb),
      baseline: null,
      target: '≤ 350 MB',
      pass: m((r) => r.peakRssMb) <= 350,
      note: [scaleNote, describeMemory(b.maildesk)].filter(Boolean).join('; '),
    },
    bodiesSyncRss: {
      name: 'Peak RSS while syncing (headers + bodies, before indexing)',
      unit: 'MB',
      maildesk: m((r) => Math.max(...(r.memoryByPhase ?? []).filter((x) => SYNC_PHASES.has(x.phase)).map((x) => x.rssMb))),
      baseline: null,
      target: '—',
      pass: null,
      note: 'the memory probe (every 10 ms) over the sync alone: the thread and search index built after it make the database, and RSS, grow further',
    },
    bodiesStall: {
      name: 'Longest event-loop stall, headers + bodies',
      unit: 'ms',
      maildesk: m((r) => r.maxStallMs),
      baseline: null,
      target: '≤ 50 ms',
      pass: m((r) => r.maxStallMs) <= 50,
      note: `event-loop delay max, 1 ms timer (loopDelay.ts); ${describeBodyStalls(b.maildesk)}`,
    },
    bodiesStallOwn: {
      name: 'Longest stall, own work only, headers + bodies',
      unit: 'ms',
      maildesk: m((r) => r.maxOwnStallMs ?? NaN),
      baseline: null,
      target: '—',
      pass: null,
      note: OWN_NOTE,
    },
  };
  return figs;
}

const SYNC_PHASES = new Set(['headers + bodies', 'bodies', 'final save']);

/** Where the memory of the first bodies run was at its highest RSS (memoryProbe.ts). */
function describeMemory(runs: MailDeskBodiesResult[]): string {
  const p = runs[0]?.memoryAtPeak;
  if (!p) return 'no memory breakdown';
  // The in-memory file's array counts whole in arrayBuffers but only its used part in RSS.
  const rest = p.rssMb - p.heapTotalMb - p.arrayBuffersMb - p.wasmMb;
  return `at the peak (run 1, ${p.phase}, ${p.rssMb} MB): JS heap ${p.heapTotalMb} MB (${p.heapUsedMb} used), array buffers ${p.arrayBuffersMb} MB (bodies in flight, not yet collected), SQLite's wasm heap ${p.wasmMb} MB (its page cache; the database, ${p.dbOnDiskMb} MB by then, is on disk), the rest (code, node, malloc) ${fmt(rest, 'MB')} MB`;
}

const OWN_NOTE =
  "the most time the main thread itself ran on a CPU inside one gap of a 5 ms timer (Linux /proc schedstat): what the stall figure would be on an idle machine, where a gap's wait for a core (other processes, Dovecot) is left out; 0 when no gap passed 50 ms";

/** The longest stalls of the bodies runs with the CPU time in them: far below the stall means the process waited for a core. */
function describeBodyStalls(runs: MailDeskBodiesResult[]): string {
  const all = runs.flatMap((r) => r.stalls ?? []).sort((a, b) => b.ms - a.ms);
  const top = [...all.filter((s) => s.phase === 'headers + bodies').slice(0, 3), ...all.filter((s) => s.phase !== 'headers + bodies').slice(0, 2)];
  if (!top.length) return 'no gap over 50 ms seen by the 5 ms timer';
  return `longest gaps of a 5 ms timer: ${top.map((s) => `${s.ms.toFixed(0)} ms in ${s.phase} at +${(s.at / 1000).toFixed(1)} s (process CPU time in it ${s.cpuMs.toFixed(0)} ms${s.mainCpuMs !== undefined ? `, main thread on a CPU ${s.mainCpuMs.toFixed(0)} ms` : ''})`).join('; ')}`;
}

/** How many INBOX pages the header worker parsed, and how many of them it had fetched ahead. */
function describeHeaderWorker(md: MailDeskResult[]): string {
  const w = md.map((r) => r.headerWorker).filter((x) => x !== undefined);
  if (!w.length) return 'header worker off: every page parsed on the engine\'s thread';
  const sum = (f: (x: (typeof w)[number]) => number): number => w.reduce((a, x) => a + f(x), 0);
  return `backfill pages parsed by the header worker: ${sum((x) => x.pages)} (${sum((x) => x.prefetched)} of them fetched ahead while the page before was stored), ${sum((x) => x.declined)} left to the engine's thread, over ${w.length} run(s)`;
}

/**
 * Where each side's CPU went over the INBOX sync (medians), and how much of the machine that is.
 * Near 100%, the sync's time is bounded by the cores: what the engine, its header worker, V8's
 * compiling and collecting, and Dovecot need together, shared out over them.
 */
export function describeCpuSplit(md: MailDeskResult[], base: BaselineResult[]): string | undefined {
  const ms = md.map((r) => r.syncCpuSplit).filter((x) => x !== undefined);
  const bs = base.map((r) => r.syncCpuSplit).filter((x) => x !== undefined);
  if (!ms.length || !bs.length) return undefined;
  const med = (xs: CpuSplit[], f: (x: CpuSplit) => number): number => median(xs.map(f));
  const total = (x: CpuSplit): number => x.mainMs + x.newThreadsMs + x.otherThreadsMs + (Number.isFinite(x.dovecotMs) ? x.dovecotMs : 0);
  const share = (x: CpuSplit): number => (100 * total(x)) / (x.wallMs * x.cores);
  const n = (v: number): string => (Number.isFinite(v) ? v.toFixed(0) : '?');
  return (
    `CPU time over the sync (ms, medians), MailDesk: engine thread ${n(med(ms, (x) => x.mainMs))}, header worker ${n(med(ms, (x) => x.newThreadsMs))}, ` +
    `V8's compiler and GC threads ${n(med(ms, (x) => x.otherThreadsMs))}, Dovecot ${n(med(ms, (x) => x.dovecotMs))}: ${n(med(ms, total))} in ${n(med(ms, (x) => x.wallMs))} ms, ` +
    `${n(med(ms, share))}% of ${ms[0]!.cores} cores; bare imapflow: main thread ${n(med(bs, (x) => x.mainMs))}, V8's threads ${n(med(bs, (x) => x.otherThreadsMs))}, ` +
    `Dovecot ${n(med(bs, (x) => x.dovecotMs))}: ${n(med(bs, total))} in ${n(med(bs, (x) => x.wallMs))} ms, ${n(med(bs, share))}%`
  );
}

export function buildFigures(md: MailDeskResult[], base: BaselineResult[], messages: number): Record<string, Figure> {
  const m = (f: (r: MailDeskResult) => number): number => median(md.map(f));
  const b = (f: (r: BaselineResult) => number): number => median(base.map(f));
  const at100k = messages >= 100_000;
  const scaleNote = at100k ? undefined : 'target is stated for 100,000 messages';
  // Per-run ratios, then their median: each run's MailDesk and bare fetch ran back to back.
  const ratios = md.map((r, i) => r.msgPerSec / (base[i]?.msgPerSec ?? NaN));
  const figs: Record<string, Figure> = {
    newest100: {
      name: 'Connect → newest 100 of Inbox listable',
      unit: 'ms',
      maildesk: m((r) => r.newest100Ms),
      baseline: b((r) => r.newest100Ms),
      target: '< 1000 ms',
      pass: m((r) => r.newest100Ms) < 1000,
    },
    syncThroughput: {
      name: 'Header sync throughput (INBOX, full)',
      unit: 'msg/s',
      maildesk: m((r) => r.msgPerSec),
      baseline: b((r) => r.msgPerSec),
      target: '—',
      pass: null,
    },
    syncTime: {
      name: 'Header sync time (INBOX, full)',
      unit: 's',
      maildesk: m((r) => r.syncMs) / 1000,
      baseline: b((r) => r.syncMs) / 1000,
      target: '—',
      pass: null,
      note: describeHeaderWorker(md),
    },
    syncCpu: {
      name: 'Header sync, main-thread CPU time (INBOX, full)',
      unit: 'ms',
      maildesk: m((r) => r.syncCpuMs ?? NaN),
      baseline: b((r) => r.syncCpuMs ?? NaN),
      target: '—',
      pass: null,
      note: `the work each side's thread did over the sync, without its waits (schedstat): on a machine shared with other work the time ratio below moves with the load, this does not; MailDesk / bare ${fmt(median(md.map((r, i) => (r.syncCpuMs ?? NaN) / (base[i]?.syncCpuMs ?? NaN))), '×')}×`,
    },
    foldersFill: {
      name: 'First sync of 9 more folders (1,000 each)',
      unit: 'ms',
      maildesk: m((r) => r.foldersFillMs ?? NaN),
      baseline: null,
      target: '—',
      pass: null,
      note: 'three connections side by side; the header worker serves one folder at a time',
    },
    syncRatio: {
      name: 'Header sync / bare fetch',
      unit: '×',
      maildesk: median(ratios),
      baseline: null,
      target: '≥ 0.7',
      pass: median(ratios) >= 0.7,
      note: describeCpuSplit(md, base),
    },
    noChange: {
      name: 'No-change sync, 10 folders',
      unit: 'ms',
      maildesk: m((r) => r.noChangeMs),
      baseline: b((r) => r.noChangeMs),
      target: '< 300 ms',
      pass: m((r) => r.noChangeMs) < 300,
      note: `bare = STATUS ×10`,
    },
    index: {
      name: 'Thread + search index (background)',
      unit: 'ms',
      maildesk: m((r) => r.indexMs),
      baseline: null,
      target: '—',
      pass: null,
      note: `after the header sync, in batches of 100; longest stall while indexing ${fmt(m((r) => r.indexStallMs), 'ms')} ms`,
    },
    save: {
      name: 'Store to disk for good (flush: fsync of the log)',
      unit: 'ms',
      maildesk: m((r) => r.saveMs),
      baseline: null,
      target: '< 250 ms',
      pass: m((r) => r.saveMs) < 250,
      note: `every commit is in the write-ahead log when it returns; flush() is what a draft or a send waits for. ${scaleNote}`,
    },
    dbSize: {
      name: 'Database size (blobs excluded)',
      unit: 'MB',
      maildesk: m((r) => r.dbBytes) / 1e6,
      baseline: null,
      target: '—',
      pass: null,
    },
    peakRss: {
      name: 'Peak RSS',
      unit: 'MB',
      maildesk: m((r) => r.peakRssMb),
      baseline: b((r) => r.peakRssMb),
      target: '< 500 MB',
      pass: m((r) => r.peakRssMb) < 500,
      note: scaleNote,
    },
    stall: {
      name: 'Longest event-loop stall (whole sync)',
      unit: 'ms',
      maildesk: m((r) => Math.max(r.maxStallMs, r.maxStallFoldersMs)),
      baseline: b((r) => r.maxStallMs),
      target: '≤ 50 ms',
      pass: m((r) => Math.max(r.maxStallMs, r.maxStallFoldersMs)) <= 50,
      note: 'event-loop delay max, 1 ms timer (loopDelay.ts: at 10 ms the figure included up to 10 ms of timer period)',
    },
    stallOwn: {
      name: 'Longest stall, own work only (INBOX sync)',
      unit: 'ms',
      maildesk: m((r) => r.maxOwnStallMs ?? NaN),
      baseline: b((r) => r.maxOwnStallMs),
      target: '—',
      pass: null,
      note: OWN_NOTE,
    },
  };
  return figs;
}

export function fmt(v: number | null, unit: string): string {
  if (v === null || !Number.isFinite(v)) return '—';
  if (unit === '×') return v.toFixed(2);
  if (unit === 's') return v.toFixed(2);
  if (unit === 'MB') return v.toFixed(1);
  return v >= 100 ? Math.round(v).toLocaleString('en-US') : v.toFixed(1);
}

export function renderTable(r: BenchReport): string {
  const rows = Object.values(r.figures).map((f) => [
    f.name,
    `${fmt(f.maildesk, f.unit)} ${f.unit}`,
    f.baseline === null ? '—' : `${fmt(f.baseline, f.unit)} ${f.unit}`,
    f.target,
    f.pass === null ? 'info' : f.pass ? 'PASS' : 'MISS',
  ]);
  const head = ['Figure', 'MailDesk', 'bare imapflow', 'Target', 'Result'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  const s = r.seeding;
  const out: string[] = [];
  out.push(`MailDesk bench — ${r.messages.toLocaleString('en-US')} messages in INBOX, medians of ${r.runs} run(s), pages ${r.pageSizes.first}/${r.pageSizes.page}`);
  out.push(
    `Seeded ${s.messages.toLocaleString('en-US')} messages (${(s.bytes / 1e6).toFixed(0)} MB, median ${(s.medianBytes / 1024).toFixed(1)} KB, ` +
      `${s.withAttachment} with attachments, ${s.large} ≥ 100 KB) in ${(s.totalMs / 1000).toFixed(1)} s ` +
      `(generate ${(s.generateMs / 1000).toFixed(1)} s, write ${(s.writeMs / 1000).toFixed(1)} s, links ${(s.linkMs / 1000).toFixed(1)} s); ` +
      `Dovecot index warm-up ${(s.warmupMs / 1000).toFixed(1)} s`,
  );
  out.push(`Ten folders: INBOX + ${Object.entries(s.otherFolders).map(([f, n]) => `${f} (${n})`).join(', ')}`);
  out.push('');
  out.push(line(head));
  out.push(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const row of rows) out.push(line(row));
  out.push('');
  for (const f of Object.values(r.figures)) if (f.note) out.push(`  ${f.name}: ${f.note}`);
  const worst = worstStoreCalls(r.perRun.maildesk);
  if (worst) out.push(`  Store time during the INBOX sync (by total; tx includes what runs inside it): ${worst}`);
  const stalls = r.perRun.maildesk.flatMap((x) => x.stalls).sort((a, b) => b.ms - a.ms).slice(0, 3);
  stalls.forEach((stall, i) => {
    const parts = Object.entries(stall.store).map(([n, ms]) => `store.${n} ${ms.toFixed(0)} ms`);
    parts.push(`outside the store (IMAP parsing, sync logic, GC, waiting for a CPU) ${stall.outsideStoreMs.toFixed(0)} ms`);
    const gc = Object.entries(stall.gc ?? {}).map(([k, ms]) => `${k} GC ${ms.toFixed(0)} ms`);
    if (gc.length) parts.push(`of all that, ${gc.join(', ')}`);
    out.push(`  ${i === 0 ? 'Longest stall seen' : 'Next longest'}: ${stall.ms.toFixed(0)} ms during ${stall.phase} at +${(stall.at / 1000).toFixed(1)} s: ${parts.join(', ')}; process CPU time in it ${stall.cpuMs.toFixed(0)} ms${stall.mainCpuMs !== undefined ? `, main thread on a CPU ${stall.mainCpuMs.toFixed(0)} ms` : ''}`);
    if (stall.caller) out.push(`    its longest store call came from: ${stall.caller}`);
  });
  const peak = [...r.perRun.maildesk].sort((a, b) => b.memoryAtPeak.rssMb - a.memoryAtPeak.rssMb)[0]?.memoryAtPeak;
  if (peak) out.push(`  Highest RSS sampled: ${peak.rssMb} MB during ${peak.phase} (JS heap ${peak.heapUsedMb} MB, external ${peak.externalMb} MB of which ArrayBuffers ${peak.arrayBuffersMb} MB: sql.js keeps the database file in one)`);
  out.push(`  Load average at the end: ${r.loadAvg.map((l) => l.toFixed(1)).join(' ')} on ${r.cpus} CPUs (Dovecot and other processes share them)`);
  out.push('');
  out.push(r.allPass ? 'All targets met.' : `Targets missed: ${Object.values(r.figures).filter((f) => f.pass === false).map((f) => f.name).join('; ')}`);
  out.push(`Reproduce: ${r.command}`);
  return out.join('\n');
}

function worstStoreCalls(runs: MailDeskResult[]): string {
  const agg = new Map<string, { max: number; calls: number; total: number }>();
  for (const r of runs) {
    for (const [name, t] of Object.entries(r.storeTimings)) {
      const a = agg.get(name) ?? { max: 0, calls: 0, total: 0 };
      a.max = Math.max(a.max, t.maxMs);
      a.calls += t.calls;
      a.total += t.totalMs;
      agg.set(name, a);
    }
  }
  // tx encloses the others; by total time first, as that is what slows the sync down.
  return [...agg.entries()]
    .filter(([, a]) => a.calls > 0)
    .sort((x, y) => y[1].total - x[1].total)
    .slice(0, 6)
    .map(([n, a]) => `${n} max ${a.max.toFixed(0)} ms (${Math.round(a.calls / runs.length)} calls/run, ${(a.total / runs.length).toFixed(0)} ms/run)`)
    .join('; ');
}
