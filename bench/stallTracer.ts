/**
 * The stall tracer both sides of the header comparison run (maildeskRun.ts, baseline.ts): a
 * 5 ms timer whose gaps are the event loop's stalls, each with the process's and the main
 * thread's CPU time in it. Its ~200 wake-ups a second, each reading three counters, are part of
 * the measured work, so the bare fetch carries them too: the ratio compares the two syncs, not
 * the instruments on one of them.
 */
import { PerformanceObserver } from 'node:perf_hooks';
import { mainThreadTimes } from './threadTimes';

export interface StallInfo {
  ms: number;
  /** ms after MailDesk.open began */
  at: number;
  phase: string;
  /** Outermost store calls inside the stall: name → ms. */
  store: Record<string, number>;
  /** Who made the longest store call in it (a few stack frames), when that call took over 50 ms. */
  caller?: string;
  /** The rest: IMAP response parsing (imapflow), sync logic, GC, waiting for a CPU. */
  outsideStoreMs: number;
  /** Garbage collection inside the stall (perf_hooks 'gc' entries), by kind: ms. */
  gc: Record<string, number>;
  /**
   * CPU time of the whole process (all threads) during the stall. Well below `ms` means the
   * main thread waited: for the disk (an fsync) or for a core it shares with Dovecot.
   */
  cpuMs: number;
  /**
   * Of it, the time the main thread itself ran on a CPU (/proc schedstat; absent where there is
   * none): the work that held the event loop, whatever the machine's load. `ms` minus this,
   * roughly, is the thread waiting for a core (`queuedMs`) or for the disk.
   */
  mainCpuMs?: number;
  queuedMs?: number;
}

/**
 * Finds event-loop stalls as gaps between ticks of a 5 ms interval timer and explains each
 * by the store calls that ran inside it (recorded by instrument()).
 */
export class StallTracer {
  private timer: NodeJS.Timeout | undefined;
  private last = 0;
  private lastCpu = 0;
  phase = 'open';
  readonly gaps: Array<{ start: number; end: number; phase: string; cpuMs: number; mainCpuMs?: number; queuedMs?: number }> = [];
  private lastMain: { runMs: number; queuedMs: number } | undefined;
  readonly calls: Array<{ name: string; start: number; end: number; caller?: string }> = [];
  readonly gcs: Array<{ start: number; end: number; kind: string }> = [];
  private gcObserver: PerformanceObserver | undefined;
  memoryAtPeak = { phase: 'open', rssMb: 0, heapUsedMb: 0, externalMb: 0, arrayBuffersMb: 0 };

  private sampleMemory(): void {
    const m = process.memoryUsage();
    const mb = (n: number): number => Math.round(n / 1048576);
    if (mb(m.rss) > this.memoryAtPeak.rssMb) {
      this.memoryAtPeak = { phase: this.phase, rssMb: mb(m.rss), heapUsedMb: mb(m.heapUsed), externalMb: mb(m.external), arrayBuffersMb: mb(m.arrayBuffers) };
    }
  }

  constructor(private readonly t0: number) {}

  start(): void {
    const cpu = (): number => {
      const u = process.cpuUsage();
      return (u.user + u.system) / 1000;
    };
    this.last = performance.now();
    this.lastCpu = cpu();
    this.lastMain = mainThreadTimes();
    const kinds: Record<number, string> = { 1: 'minor', 2: 'major', 4: 'incremental', 8: 'weakcb' };
    this.gcObserver = new PerformanceObserver((list) => {
      for (const e of list.getEntries()) {
        const kind = kinds[(e as unknown as { detail?: { kind?: number } }).detail?.kind ?? 0] ?? 'gc';
        this.gcs.push({ start: e.startTime, end: e.startTime + e.duration, kind });
      }
    });
    this.gcObserver.observe({ entryTypes: ['gc'] });
    this.timer = setInterval(() => {
      const now = performance.now();
      const c = cpu();
      const main = mainThreadTimes();
      if (now - this.last > 50) {
        const own = main && this.lastMain ? { mainCpuMs: main.runMs - this.lastMain.runMs, queuedMs: main.queuedMs - this.lastMain.queuedMs } : {};
        this.gaps.push({ start: this.last, end: now, phase: this.phase, cpuMs: c - this.lastCpu, ...own });
      }
      this.last = now;
      this.lastCpu = c;
      this.lastMain = main;
      this.sampleMemory();
    }, 5);
  }

  stop(): void {
    clearInterval(this.timer);
    this.gcObserver?.disconnect();
  }

  /** The most main-thread CPU time in one gap of `phase` (0: no gap over 50 ms, or no schedstat). */
  maxOwnMs(phase?: string): number {
    return this.gaps.filter((g) => phase === undefined || g.phase === phase).reduce((a, g) => Math.max(a, g.mainCpuMs ?? 0), 0);
  }

  /** The n longest gaps (`by: 'own'`: those with the most main-thread CPU time in them). */
  top(n: number, by: 'ms' | 'own' = 'ms'): StallInfo[] {
    const len = (g: (typeof this.gaps)[number]): number => (by === 'own' ? g.mainCpuMs ?? 0 : g.end - g.start);
    return [...this.gaps]
      .sort((a, b) => len(b) - len(a))
      .slice(0, n)
      .map((g) => {
        const store: Record<string, number> = {};
        let inside = 0;
        let longest: { ms: number; caller?: string } = { ms: 0 };
        for (const c of this.calls) {
          const ms = Math.min(c.end, g.end) - Math.max(c.start, g.start);
          if (ms <= 0) continue;
          store[c.name] = (store[c.name] ?? 0) + ms;
          inside += ms;
          if (ms > longest.ms) longest = { ms, caller: c.caller };
        }
        const gc: Record<string, number> = {};
        for (const c of this.gcs) {
          const ms = Math.min(c.end, g.end) - Math.max(c.start, g.start);
          if (ms > 0) gc[c.kind] = (gc[c.kind] ?? 0) + ms;
        }
        const ms = g.end - g.start;
        return { ms, at: g.start - this.t0, phase: g.phase, store, caller: longest.caller, outsideStoreMs: Math.max(0, ms - inside), gc, cpuMs: g.cpuMs, mainCpuMs: g.mainCpuMs, queuedMs: g.queuedMs };
      });
  }
}
