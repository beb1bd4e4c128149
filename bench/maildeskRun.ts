/**
 * One MailDesk run, in its own process so its peak RSS is its own: open a fresh store,
 * add the account, sync INBOX to completion, save, then sync ten folders and time one more
 * sync of them with nothing changed.
 */
import * as fs from 'node:fs';
import { loopDelay } from './loopDelay';
import { MailDesk } from '../src/core/maildesk';
import type { ImapProvider } from '../src/core/providers/imap/imapProvider';
import type { MailStore } from '../src/core/store/store';
import { syncOnce } from '../src/core/sync/once';
import { indexInBackground } from '../src/core/search/indexer';
import { imapAccount, mapCredentials } from '../test/support/core';
import { median, type ChildConfig } from './options';
import { cpuSnapshot, cpuSplit, mainThreadTimes, type CpuSplit } from './threadTimes';
import { StallTracer, type StallInfo } from './stallTracer';

export interface Timing {
  calls: number;
  totalMs: number;
  maxMs: number;
}

export interface MailDeskResult {
  kind: 'maildesk';
  /** MailDesk.open + addAccount (connect, folder list) + Inbox fill until 100 rows are listable. */
  newest100Ms: number;
  /** MailDesk.open + addAccount alone. */
  openMs: number;
  /** syncOnce of INBOX: fill + backfill to completion, login excluded. */
  syncMs: number;
  stored: number;
  msgPerSec: number;
  /** The main thread's own CPU time over syncMs (schedstat; NaN where there is none): the work, without the waits. */
  syncCpuMs: number;
  /** Where the CPU of the INBOX sync went: the engine's thread, the header worker, V8's helper threads, Dovecot. */
  syncCpuSplit?: CpuSplit;
  /** Median of three flushes after a commit, after the full sync (fsync of the write-ahead log, blocking). */
  saveMs: number;
  dbBytes: number;
  /** syncOnce over ten folders with nothing changed on the server. */
  noChangeMs: number;
  /** The first sync of the nine other folders (1,000 messages each), three connections side by side. */
  foldersFillMs: number;
  /** INBOX pages the header worker served (of them prefetched) and left to the engine's thread; absent with it off. */
  headerWorker?: { pages: number; prefetched: number; declined: number };
  /** Threading and search-indexing the synced INBOX in background batches, after the headers. */
  indexMs: number;
  indexed: number;
  indexStallMs: number;
  /** process.resourceUsage().maxRSS at the end of the run. */
  peakRssMb: number;
  /** monitorEventLoopDelay max over MailDesk.open → INBOX fully synced. */
  maxStallMs: number;
  /** The most main-thread CPU time inside one gap of the INBOX sync (StallInfo.mainCpuMs). */
  maxOwnStallMs: number;
  /** Same, over the ten-folder fill and the no-change sync. */
  maxStallFoldersMs: number;
  /** process.memoryUsage() at the highest RSS sampled (every 5 ms), and the phase it was in. */
  memoryAtPeak: { phase: string; rssMb: number; heapUsedMb: number; externalMb: number; arrayBuffersMb: number };
  /** Synchronous time inside store calls during the INBOX sync: where a stall comes from. */
  storeTimings: Record<string, Timing>;
  /** The longest stalls of the whole run, each split into the store calls inside it. */
  stalls: StallInfo[];
}

/** Wraps store methods to time their synchronous work. */
export function instrument(store: MailStore, tracer: StallTracer): { timings: Record<string, Timing>; reset(): void } {
  let depth = 0;
  const timings: Record<string, Timing> = {};
  // Every method of the store, so any synchronous hot spot shows up by name.
  const proto = Object.getPrototypeOf(store) as object;
  // SQL helpers and row mappers are left out: they run inside the named calls.
  const helpers = new Set(['constructor', 'stmt', 'run', 'get', 'all', 'lastId', 'migrate', 'rollback']);
  const names = Object.getOwnPropertyNames(proto).filter((n) => !helpers.has(n) && !n.startsWith('to') && typeof Object.getOwnPropertyDescriptor(proto, n)?.value === 'function');
  const target = store as unknown as Record<string, (...a: unknown[]) => unknown>;
  for (const name of names) {
    const orig = target[name];
    if (typeof orig !== 'function') continue;
    const t: Timing = (timings[name] = { calls: 0, totalMs: 0, maxMs: 0 });
    target[name] = function (this: unknown, ...args: unknown[]) {
      const t0 = performance.now();
      depth++;
      try {
        return orig.apply(store, args);
      } finally {
        depth--;
        const end = performance.now();
        const ms = end - t0;
        // Outermost calls only, so time inside a stall is not counted twice (tx → upsertMessages).
        if (depth === 0 && ms > 1) {
          // A slow call names who made it: "tx" alone does not say which work ran inside.
          const caller = ms > 10 ? new Error().stack?.split('\n').slice(2, 6).map((l) => l.trim().replace(/^at /, '').replace(/\s*\(.*[\\/]/, ' (')).join(' < ') : undefined;
          tracer.calls.push({ name, start: t0, end, caller });
        }
        t.calls++;
        t.totalMs += ms;
        if (ms > t.maxMs) t.maxMs = ms;
      }
    };
  }
  return {
    timings,
    reset() {
      for (const t of Object.values(timings)) Object.assign(t, { calls: 0, totalMs: 0, maxMs: 0 });
    },
  };
}

export async function runMailDesk(cfg: ChildConfig): Promise<MailDeskResult> {
  fs.rmSync(cfg.dataDir, { recursive: true, force: true });
  const h = loopDelay();
  h.enable();
  const t0 = performance.now();
  const tracer = new StallTracer(t0);
  tracer.start();
  const core = await MailDesk.open({
    dataDir: cfg.dataDir,
    credentials: mapCredentials({ [cfg.user]: cfg.password }),
    idle: false,
    imap: { firstPageSize: cfg.firstPageSize, pageSize: cfg.pageSize, maxConnections: cfg.maxConnections, headerWorker: cfg.headerWorker },
  });
  const { store } = core;
  const probe = instrument(store, tracer);
  try {
    await core.addAccount(imapAccount(cfg.user, cfg.port, { folders: [cfg.inbox] }));
    const openMs = performance.now() - t0;
    const inbox = store.getFolder(cfg.user, cfg.inbox);
    if (!inbox) throw new Error(`MailDesk did not list ${cfg.inbox}`);

    tracer.phase = 'INBOX sync';
    let newest100Ms = NaN;
    let probing = false;
    // Reading every process's CPU takes ~3 ms: before the sync's time starts, in a turn of its own.
    const cpuBefore = cpuSnapshot(cfg.dovecotPid);
    await new Promise((r) => setImmediate(r));
    const tSync = performance.now();
    const cpuSync = mainThreadTimes();
    const r = await syncOnce(core, [cfg.user], {
      // A window asks for the list after a progress notification reaches it, in a turn of its
      // own; asking inside the callback would count the query in the sync's turn.
      onProgress: () => {
        if (!Number.isNaN(newest100Ms) || probing) return;
        probing = true;
        setImmediate(() => {
          probing = false;
          if (Number.isNaN(newest100Ms) && store.listMessages(inbox.id, { limit: 100 }).length >= 100) newest100Ms = performance.now() - t0;
        });
      },
    });
    const syncMs = performance.now() - tSync;
    const syncCpuSplit = cpuSplit(cpuBefore, cpuSnapshot(cfg.dovecotPid));
    const workerStats = (core.provider(cfg.user) as ImapProvider).headerWorkerStats;
    const headerWorker = workerStats ? { ...workerStats } : undefined;
    const syncCpuMs = (mainThreadTimes()?.runMs ?? NaN) - (cpuSync?.runMs ?? NaN);
    h.disable();
    if (!r.ok) throw new Error(`INBOX sync failed: ${r.failed.map((j) => `${j.id}: ${j.errorMessage}`).join('; ')}`);
    const stored = store.uidBounds(inbox.id).count;
    const storeTimings = JSON.parse(JSON.stringify(probe.timings)) as Record<string, Timing>;

    // Threads and the search index are built after the headers, in background batches
    // (src/core/search/indexer.ts): timed on their own, and done before the store is measured.
    tracer.phase = 'thread + search index';
    const hIdx = loopDelay();
    hIdx.enable();
    const tIdx = performance.now();
    const indexed = await indexInBackground(store, { batch: 100 });
    const indexMs = performance.now() - tIdx;
    hIdx.disable();

    // A commit of one setting, then what a draft's save waits for: the log on disk for good.
    tracer.phase = 'flushes';
    const saves: number[] = [];
    for (let i = 0; i < 3; i++) {
      store.setSetting('bench.flush', String(i));
      const t = performance.now();
      await store.flush();
      saves.push(performance.now() - t);
    }
    const dbBytes = fs.statSync(store.path!).size;

    tracer.phase = 'ten-folder first sync';
    for (const f of cfg.otherFolders) await core.setFolderSelected(cfg.user, f, true);
    const h2 = loopDelay();
    h2.enable();
    const tFill = performance.now();
    const fill = await syncOnce(core, [cfg.user]);
    const foldersFillMs = performance.now() - tFill;
    if (!fill.ok) throw new Error(`ten-folder sync failed: ${fill.failed.map((j) => `${j.id}: ${j.errorMessage}`).join('; ')}`);
    const selected = store.listFolders(cfg.user).filter((f) => f.selected).length;
    if (selected !== cfg.otherFolders.length + 1) throw new Error(`expected ${cfg.otherFolders.length + 1} selected folders, found ${selected}`);

    tracer.phase = 'no-change sync';
    const tNoChange = performance.now();
    const again = await syncOnce(core, [cfg.user]);
    const noChangeMs = performance.now() - tNoChange;
    h2.disable();
    if (!again.ok) throw new Error(`no-change sync failed: ${again.failed.map((j) => j.id).join(', ')}`);
    tracer.stop();

    return {
      kind: 'maildesk',
      newest100Ms,
      openMs,
      syncMs,
      stored,
      msgPerSec: stored / (syncMs / 1000),
      syncCpuMs,
      syncCpuSplit,
      saveMs: median(saves),
      dbBytes,
      noChangeMs,
      foldersFillMs,
      headerWorker,
      indexMs,
      indexed,
      indexStallMs: hIdx.max / 1e6,
      peakRssMb: process.resourceUsage().maxRSS / 1024,
      memoryAtPeak: tracer.memoryAtPeak,
      maxStallMs: h.max / 1e6,
      maxOwnStallMs: tracer.maxOwnMs('INBOX sync'),
      maxStallFoldersMs: h2.max / 1e6,
      storeTimings,
      stalls: tracer.top(3),
    };
  } finally {
    tracer.stop();
    await core.close();
  }
}
