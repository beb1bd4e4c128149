/**
 * The store's file: reading it at open (a damaged or empty one is moved aside), and saving the
 * in-memory database over it atomically (temporary file, fsync, rename), in the background
 * after commits or now. sql.js keeps the whole database in memory, so a save writes all of it:
 * background saves write the in-memory file in slices (memfsSnapshot.ts) so the thread is
 * held only briefly, and an older save never replaces a newer file.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Database } from 'sql.js';
import { type MailError, toMailError } from '../errors';
import type { Logger } from '../log';
import { writeSnapshot } from './memfsSnapshot';
import { moveAside, saveError, type SaveFailure, type StoreRecovery } from './recovery';
import type { MemFile, SqlJs } from './sqlite';

/**
 * The in-memory file starts with room for this much (some 380,000 messages' headers): growing
 * it later means one copy of the whole file, which at 200 MB holds the thread ~0.2 s...
 */
const ROOM_FIRST_BYTES = 512 * 1024 * 1024;
/** ...and is given more when less than this, or half its size, is left. */
const ROOM_MIN_BYTES = 64 * 1024 * 1024;

/** The capacity the in-memory file is given for `size` bytes: room to grow, and then some. */
function roomFor(size: number): number {
  return Math.max(ROOM_FIRST_BYTES, size * 2);
}

/** How long a store waits before saving again after a save failed. */
const SAVE_RETRY_MS = 10_000;

/**
 * Opens the database of a data folder (`dir`), or a new one in memory without a folder.
 * Temporary files of a save a killed process never renamed are removed; a file that is empty
 * or not a readable SQLite database is moved aside (`recovered`) and a new store starts.
 */
export async function readDatabase(SQL: SqlJs, dir: string | undefined, logger: Logger): Promise<{ db: Database; file: string | undefined; recovered: StoreRecovery | undefined }> {
  let file: string | undefined;
  let db!: Database;
  let recovered: StoreRecovery | undefined;
  if (dir) {
    fs.mkdirSync(dir, { recursive: true });
    file = path.join(dir, 'maildesk.db');
    // Temporary files of a save that a killed process never renamed: the database itself is intact.
    for (const f of fs.readdirSync(dir)) if (/^maildesk\.db\..*\.tmp$/.test(f)) fs.rmSync(path.join(dir, f), { force: true });
    // A crash between write and rename leaves only the temporary file: the old one is intact.
    if (fs.existsSync(file)) {
      // Read off the thread: at 100,000 messages the file is ~130 MB. A read error (EACCES,
      // EIO) is the folder's problem and is thrown as it is; bad contents are moved aside.
      const { bytes, size } = await readFileWithRoom(file, SQL.memFile !== undefined);
      let damage: string | undefined;
      if (!size) damage = 'the file is empty (0 bytes): a save was cut off';
      else {
        try {
          db = openBytes(SQL, bytes, size);
          db.exec('PRAGMA user_version');
          db.exec('SELECT COUNT(*) FROM sqlite_master');
        } catch (e) {
          db?.close();
          damage = `it is not a readable SQLite database (${(e as Error).message})`;
        }
      }
      if (damage) {
        recovered = moveAside(file, damage, size);
        logger.log('warn', `the mail store ${file} was damaged (${damage}); moved aside to ${recovered.movedTo}; a new store syncs again from the server`);
        db = new SQL.Database();
      }
    } else {
      db = new SQL.Database();
    }
  } else {
    db = new SQL.Database();
  }
  return { db, file, recovered };
}

/**
 * The file's bytes. With `room`, read into an array already big enough to grow in (its unused
 * end takes address space, not memory), so the database is held once, not three times
 * (sql.js copies what it is given into MEMFS, and keepRoom() copies that again): at 100,000
 * messages that was ~400 MB at the peak of every start.
 */
async function readFileWithRoom(file: string, room: boolean): Promise<{ bytes: Uint8Array; size: number }> {
  if (!room) {
    const bytes = await fs.promises.readFile(file);
    return { bytes, size: bytes.length };
  }
  const fh = await fs.promises.open(file, 'r');
  try {
    const size = (await fh.stat()).size;
    const bytes = new Uint8Array(roomFor(size));
    let off = 0;
    while (off < size) {
      const { bytesRead } = await fh.read(bytes, off, Math.min(size - off, 16 * 1024 * 1024), off);
      // The file shrank while it was read (another process saved): what was read is judged as it is.
      if (!bytesRead) break;
      off += bytesRead;
    }
    return { bytes, size: off };
  } finally {
    await fh.close();
  }
}

/** A database over `bytes[0, size)`: in place when the in-memory file can be reached, else copied by sql.js. */
function openBytes(SQL: SqlJs, bytes: Uint8Array, size: number): Database {
  if (!SQL.memFile) return new SQL.Database(bytes.subarray(0, size));
  // An empty file first (SQLite reads nothing before the first statement), then these bytes as its contents.
  const db = new SQL.Database(new Uint8Array(0));
  try {
    SQL.memFile((db as unknown as { filename: string }).filename).adopt(bytes, size);
  } catch (e) {
    db.close();
    throw e;
  }
  return db;
}

/** What a StoreFile needs of its store. */
export interface StoreFileHost {
  logger: Logger;
  /** Debounce for automatic saves after commits. */
  saveDelayMs: number;
  /** Whether a transaction is open: nothing is saved inside one. */
  inTx(): boolean;
  /** Told of every failed save (background ones included). */
  failed(e: MailError): void;
}

export class StoreFile {
  private dirty = false;
  private saveTimer: NodeJS.Timeout | undefined;
  /** Save generations: an older background write never replaces a newer file. */
  private generation = 0;
  private committed = 0;
  /**
   * Time of the last save, how long it took, and how much of that held the event loop
   * (all of it for saveNow; the slices for a background save): reported by the bench and
   * Troubleshoot.
   */
  lastSave: { at: number; ms: number; busyMs: number; bytes: number } | undefined;
  /** The last save that failed, until one succeeds: a failure is never silent. */
  saveFailure: SaveFailure | undefined;
  /** The background save under way, if any: one at a time. */
  private saving: Promise<void> | undefined;
  /** Commits so far, and how many of them the newest save on disk holds (for flush()). */
  private commitSeq = 0;
  private savedSeq = 0;
  private closed = false;

  constructor(
    private readonly db: Database,
    private readonly file: string | undefined,
    /** The file SQLite keeps in memory, when this sql.js build lets us reach it (and slices are wanted). */
    private readonly memFile: MemFile | undefined,
    private readonly saveSliceBytes: number | undefined,
    private readonly host: StoreFileHost,
  ) {}

  /** Something changed outside a transaction's commit (a migration): the next save writes it. */
  markDirty(): void {
    this.dirty = true;
  }

  get isDirty(): boolean {
    return this.dirty;
  }

  /** A transaction committed: saved in the background a little later. */
  committedTx(): void {
    this.dirty = true;
    this.commitSeq++;
    // After the commit, outside it: a failure to reserve must not look like a failed transaction.
    this.keepRoom();
    this.scheduleSave();
  }

  /**
   * Keeps the in-memory database file's capacity well ahead of its size (MemFile.reserve),
   * so it is copied once in a long while, between transactions, and not by MEMFS a little
   * at a time in the middle of them. Stores that are never saved (tests) keep MEMFS's way.
   */
  keepRoom(): void {
    const m = this.memFile;
    if (!m || !this.file) return;
    const size = m.bytes().length;
    const cap = m.capacity();
    if (cap - size >= Math.max(ROOM_MIN_BYTES, size / 2)) return;
    m.reserve(roomFor(size));
  }

  private scheduleSave(): void {
    if (!this.file || this.saveTimer || this.saving) return;
    // Space saves by ten times what the last one held the thread, and never closer than
    // one save's whole length: a big store syncing hard spends a small share of time saving.
    // After a failed save (disk full) retry every 10 s, not at every commit's pace.
    const delay = Math.max(this.host.saveDelayMs, (this.lastSave?.busyMs ?? 0) * 10, this.lastSave?.ms ?? 0, this.saveFailure ? SAVE_RETRY_MS : 0);
    this.saveTimer = setTimeout(() => {
      this.saveTimer = undefined;
      this.saveInBackground().catch((e) => this.host.logger.log('error', toMailError(e).describe()));
    }, delay);
    this.saveTimer.unref?.();
  }

  /**
   * Saves without holding the thread: the file is written in slices as it stood when the
   * save began (memfsSnapshot.ts), then fsynced off the thread and renamed over the old one.
   * Where sql.js hides its file, exports now (blocking) and writes off the thread.
   */
  async saveInBackground(): Promise<void> {
    if (this.saving) await this.saving;
    if (!this.file || !this.dirty || this.host.inTx()) return;
    const file = this.file;
    const run = (this.memFile ? this.saveSliced(file, this.memFile) : this.saveExported(file)).catch((e: unknown) => {
      throw this.saveFailed(e, file);
    });
    this.saving = run;
    try {
      await run;
    } finally {
      if (this.saving === run) this.saving = undefined;
      // Commits made while it ran wait for the next save.
      if (this.dirty) this.scheduleSave();
    }
  }

  private async saveSliced(file: string, mem: MemFile): Promise<void> {
    const gen = ++this.generation;
    const seq = this.commitSeq;
    const t0 = performance.now();
    this.dirty = false;
    const tmp = `${file}.${process.pid}.bg${gen}.tmp`;
    try {
      const fd = fs.openSync(tmp, 'w');
      let r: Awaited<ReturnType<typeof writeSnapshot>>;
      try {
        r = await writeSnapshot(mem, fd, { sliceBytes: this.saveSliceBytes });
        await new Promise<void>((resolve, reject) => fs.fsync(fd, (e) => (e ? reject(e) : resolve())));
      } finally {
        fs.closeSync(fd);
      }
      this.land(tmp, file, gen, seq, { ms: performance.now() - t0, busyMs: r.busyMs, bytes: r.bytes });
    } catch (e) {
      fs.rmSync(tmp, { force: true });
      // Closing saved everything with saveNow; the file this save was reading is gone.
      if (this.closed) return;
      this.dirty = true;
      throw e;
    }
  }

  /**
   * Renames a written save over the file, unless a newer save landed meanwhile (saveNow
   * can): an older save never replaces a newer file.
   */
  private land(tmp: string, file: string, gen: number, seq: number, save: { ms: number; busyMs: number; bytes: number }): void {
    if (this.committed > gen) {
      fs.rmSync(tmp, { force: true });
      return;
    }
    fs.renameSync(tmp, file);
    this.committed = gen;
    this.savedSeq = Math.max(this.savedSeq, seq);
    this.lastSave = { at: Date.now(), ...save };
    this.saveFailure = undefined;
  }

  /** Records a failed save (Troubleshoot's store.health reads it) and returns the one error for it. */
  private saveFailed(e: unknown, file: string): MailError {
    const error = saveError(e, file);
    this.saveFailure = { at: Date.now(), error };
    this.host.failed(error);
    return error;
  }

  private async saveExported(file: string): Promise<void> {
    const gen = ++this.generation;
    const seq = this.commitSeq;
    const t0 = performance.now();
    const data = this.db.export();
    // export() reopens the database, which resets these pragmas.
    applyPragmas(this.db);
    this.dirty = false;
    const exportMs = performance.now() - t0;
    const tmp = `${file}.${process.pid}.bg${gen}.tmp`;
    try {
      const fh = await fs.promises.open(tmp, 'w');
      try {
        await fh.writeFile(data);
        await fh.sync();
      } finally {
        await fh.close();
      }
      this.land(tmp, file, gen, seq, { ms: performance.now() - t0, busyMs: exportMs, bytes: data.length });
    } catch (e) {
      this.dirty = true;
      fs.rmSync(tmp, { force: true });
      throw e;
    }
  }

  /**
   * Resolves once everything committed before the call is on disk, through background saves
   * (the thread is held only for their slices): for callers that must not go on before that,
   * such as a draft being saved or a send being recorded, on a store too big to save in one
   * blocking step. A failed save rejects.
   */
  async flush(): Promise<void> {
    const target = this.commitSeq;
    while (this.file && !this.closed && this.savedSeq < target) {
      if (this.saving) {
        await this.saving.catch(() => undefined);
        continue;
      }
      // Inside a transaction nothing can be saved yet; its commit schedules the save.
      if (this.host.inTx()) return;
      this.dirty = true;
      await this.saveInBackground();
    }
  }

  /**
   * Writes the database atomically, now: temporary file in the same folder, fsync, rename
   * over the old file. Never inside a transaction. With the in-memory file at hand it is
   * written as it is (no export copy); otherwise exported first.
   */
  saveNow(): void {
    if (!this.file || !this.dirty || this.host.inTx()) return;
    const gen = ++this.generation;
    const t0 = performance.now();
    let data: Uint8Array;
    if (this.memFile) {
      data = this.memFile.bytes();
    } else {
      data = this.db.export();
      // export() reopens the database, which resets these pragmas.
      applyPragmas(this.db);
    }
    const tmp = `${this.file}.${process.pid}.tmp`;
    try {
      const fd = fs.openSync(tmp, 'w');
      try {
        let off = 0;
        while (off < data.length) off += fs.writeSync(fd, data, off, data.length - off, off);
        fs.fsyncSync(fd);
      } finally {
        fs.closeSync(fd);
      }
      fs.renameSync(tmp, this.file);
    } catch (e) {
      // A half-written temporary file only takes the space the disk lacks.
      try {
        fs.rmSync(tmp, { force: true });
      } catch {
        // not a file we wrote (a folder in its place): left as it is
      }
      throw this.saveFailed(e, this.file);
    }
    this.saveFailure = undefined;
    this.committed = gen;
    this.savedSeq = this.commitSeq;
    this.dirty = false;
    const ms = performance.now() - t0;
    this.lastSave = { at: Date.now(), ms, busyMs: ms, bytes: data.length };
  }

  /** No more background saves; what is left is saved now. */
  close(): void {
    this.closed = true;
    if (this.saveTimer) clearTimeout(this.saveTimer);
    this.saveTimer = undefined;
    this.saveNow();
  }
}

/**
 * Per-connection settings, set at open and again after export() (which reopens the database).
 * The rollback journal is kept in SQLite's memory instead of a file beside the database in
 * sql.js's in-memory file system, created and deleted at every commit: the same rollback,
 * some 10% less time per stored header (measured). Nothing is lost by it, as the database
 * itself lives in memory and reaches disk only whole, by the saves, between transactions.
 */
export function applyPragmas(db: Database): void {
  db.exec('PRAGMA foreign_keys = ON');
  db.exec('PRAGMA journal_mode = MEMORY');
}
