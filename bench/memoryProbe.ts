/**
 * Where a run's memory goes: process.memoryUsage() split by kind, with sql.js's WebAssembly
 * heap beside it (SQLite's page cache and working memory; the database itself is on disk),
 * sampled every few ms, with the sample at the highest RSS kept per phase.
 */
import * as fs from 'node:fs';
import { loadSqlJs } from '../src/core/store/sqlite';
import type { MailStore } from '../src/core/store/store';

export interface MemorySample {
  phase: string;
  /** ms since the probe started */
  at: number;
  rssMb: number;
  heapUsedMb: number;
  heapTotalMb: number;
  /** C++ objects bound to JS, Buffers and typed arrays included (arrayBuffers is part of it). */
  externalMb: number;
  arrayBuffersMb: number;
  /** sql.js's WebAssembly memory (grown, never shrunk). */
  wasmMb: number;
  /** The database file and its write-ahead log on disk (not memory: how big the store is by then). */
  dbOnDiskMb: number;
}

const mb = (n: number): number => Math.round((n / 1048576) * 10) / 10;

function sizeOf(file: string): number {
  try {
    return fs.statSync(file).size;
  } catch {
    return 0;
  }
}

export class MemoryProbe {
  phase = 'open';
  /** The sample at the highest RSS, per phase. */
  readonly peaks = new Map<string, MemorySample>();
  /** A coarse time series (one sample a second) for the report. */
  readonly series: MemorySample[] = [];
  private timer: NodeJS.Timeout | undefined;
  private store: MailStore | undefined;
  private wasm: (() => number) | undefined;
  private lastSeries = -Infinity;
  private readonly t0 = performance.now();

  async start(everyMs = 10): Promise<void> {
    this.wasm = (await loadSqlJs()).wasmBytes;
    this.timer = setInterval(() => this.sample(), everyMs);
  }

  attach(store: MailStore): void {
    this.store = store;
  }

  sample(): MemorySample {
    const m = process.memoryUsage();
    const file = this.store?.path;
    const s: MemorySample = {
      phase: this.phase,
      at: Math.round(performance.now() - this.t0),
      rssMb: mb(m.rss),
      heapUsedMb: mb(m.heapUsed),
      heapTotalMb: mb(m.heapTotal),
      externalMb: mb(m.external),
      arrayBuffersMb: mb(m.arrayBuffers),
      wasmMb: mb(this.wasm?.() ?? 0),
      dbOnDiskMb: mb(file ? sizeOf(file) + sizeOf(`${file}-wal`) : 0),
    };
    const p = this.peaks.get(s.phase);
    if (!p || s.rssMb > p.rssMb) this.peaks.set(s.phase, s);
    if (s.at - this.lastSeries >= 1000) {
      this.series.push(s);
      this.lastSeries = s.at;
    }
    return s;
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** The sample at the highest RSS of all phases. */
  peak(): MemorySample | undefined {
    return [...this.peaks.values()].sort((a, b) => b.rssMb - a.rssMb)[0];
  }
}
