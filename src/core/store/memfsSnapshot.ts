/**
 * Writes the database file to disk a slice at a time, while the store goes on committing.
 *
 * sql.js's own way to save is export(): a copy of the whole database made in one
 * synchronous call, about 0.2–0.4 s and a second copy in memory at 100,000 messages. Here
 * the file SQLite already keeps in memory (MEMFS) is written as it stood when the save
 * began, in slices with the event loop free in between. Copy-on-write keeps that moment
 * intact: before SQLite overwrites a block not written out yet, its old bytes are kept,
 * and written in place of the new ones when the slice that holds it goes out. What is kept
 * is only what changed during the save.
 *
 * The save starts between transactions (the caller's rule), when the file is whole: in
 * rollback-journal mode SQLite writes every page of a transaction by the end of its COMMIT.
 */
import * as fs from 'node:fs';
import type { MemFile } from './sqlite';

/** Copy-on-write granularity: SQLite's default page size, and a divisor of the larger ones. */
const BLOCK = 4096;

export interface SnapshotOptions {
  /** Bytes written per slice; a slice is one synchronous write to the page cache. */
  sliceBytes?: number;
  /** Between slices; the default lets timers and I/O run. */
  pause?: () => Promise<void>;
}

export interface SnapshotResult {
  bytes: number;
  /** Time spent in the synchronous slices: what the save cost the event loop. */
  busyMs: number;
  slices: number;
  /** Blocks kept because SQLite changed them during the save. */
  keptBlocks: number;
}

const nextTick = (): Promise<void> => new Promise((r) => setImmediate(r));

/**
 * Writes `mem` as it is now into `fd` (from offset 0). Throws if the file shrank during the
 * save (only VACUUM does that), in which case the caller keeps its old file and tries again.
 */
export async function writeSnapshot(mem: MemFile, fd: number, opts: SnapshotOptions = {}): Promise<SnapshotResult> {
  const slice = Math.max(BLOCK, Math.floor((opts.sliceBytes ?? 4 * 1024 * 1024) / BLOCK) * BLOCK);
  const pause = opts.pause ?? nextTick;
  const size = mem.bytes().length;
  const kept = new Map<number, Uint8Array>();
  let keptBlocks = 0;
  let written = 0;
  let lost: string | undefined;

  mem.onWrite((position, length) => {
    const end = Math.min(position + length, size);
    if (length <= 0 || end <= written) return;
    const now = mem.bytes();
    for (let b = Math.floor(Math.max(position, written) / BLOCK); b * BLOCK < end; b++) {
      if (kept.has(b)) continue;
      const blockEnd = Math.min((b + 1) * BLOCK, size);
      if (now.length < blockEnd) {
        lost = 'the database file shrank while it was being saved';
        return;
      }
      kept.set(b, now.slice(b * BLOCK, blockEnd));
      keptBlocks++;
    }
  });

  let busyMs = 0;
  let slices = 0;
  try {
    while (written < size) {
      const t0 = performance.now();
      const bytes = mem.bytes();
      if (lost || bytes.length < size) throw new Error(lost ?? 'the database file shrank while it was being saved');
      const end = Math.min(size, written + slice);
      writeAll(fd, bytes, written, end);
      // Blocks changed since the save began go out as they were when it began.
      for (let b = written / BLOCK; b * BLOCK < end; b++) {
        const old = kept.get(b);
        if (!old) continue;
        writeAll(fd, old, 0, old.length, b * BLOCK);
        kept.delete(b);
      }
      written = end;
      slices++;
      busyMs += performance.now() - t0;
      if (written < size) await pause();
    }
  } finally {
    mem.onWrite(undefined);
  }
  return { bytes: size, busyMs, slices, keptBlocks };
}

/** fs.writeSync may write less than asked; `at` is the file offset (default: same as `from`). */
function writeAll(fd: number, buf: Uint8Array, from: number, to: number, at = from): void {
  let off = from;
  while (off < to) {
    const n = fs.writeSync(fd, buf, off, to - off, at + (off - from));
    if (n <= 0) throw new Error('writing the mail store wrote nothing');
    off += n;
  }
}
