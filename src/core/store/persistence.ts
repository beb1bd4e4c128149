/**
 * The store's file: opening it (a damaged or empty one is moved aside), and what happens to a
 * commit on the way to disk.
 *
 * The database lives on disk, page by page (diskFiles.ts): SQLite keeps its page cache in
 * memory and every commit is appended to the write-ahead log beside the file before it
 * returns, so nothing is saved "later" and a killed process loses no commit. The log is folded
 * into the file every ~4 MB of changes and when the store closes (then the file alone holds
 * everything, in the classic rollback format any SQLite reads).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Database } from 'sql.js';
import { MailError } from '../errors';
import type { Logger } from '../log';
import { nextTurn } from '../turns';
import type { DiskDatabase } from './diskFiles';
import { moveAside, saveError, type SaveFailure, type StoreRecovery } from './recovery';
import type { SqlJs } from './sqlite';
import { writeFromTemplate } from './storeTemplate';

/**
 * SQLite's page cache for a store on disk. Header sync and the search index write where the
 * indexes point, all over the file; 32 MB keeps a 100,000-message mailbox's hot pages in memory
 * (bench: `npm run bench`), where the whole file in memory was ~200 MB and more with bodies.
 */
const CACHE_KIB = 32 * 1024;

/**
 * Opens the database of a data folder (`dir`), or a new one in memory without a folder.
 * Temporary files of an older MailDesk's saves are removed; a file that is empty or not a
 * readable SQLite database is moved aside (`recovered`) and a new store starts. A new store on
 * disk starts as a copy of `template()`, an empty store already migrated (storeTemplate.ts),
 * where there is one.
 */
export async function readDatabase(
  SQL: SqlJs,
  dir: string | undefined,
  logger: Logger,
  template: () => Uint8Array | undefined = () => undefined,
): Promise<{ db: Database; disk: DiskDatabase | undefined; file: string | undefined; recovered: StoreRecovery | undefined }> {
  if (!dir) {
    const db = new SQL.Database();
    applyPragmas(db, false);
    return { db, disk: undefined, file: undefined, recovered: undefined };
  }
  if (!SQL.openOnDisk) throw new MailError('internal', 'this build of sql.js cannot keep the mail store on disk');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'maildesk.db');
  // An older MailDesk saved the whole file through a temporary one (a killed save left it
  // behind) and kept a journal of fetched bodies for rows not saved yet: neither is read now.
  // A new store's copy of the template is written through maildesk.db.new.tmp (storeTemplate.ts).
  for (const f of fs.readdirSync(dir)) if (/^maildesk\.db\..*\.tmp$/.test(f) || f === 'bodies.journal') fs.rmSync(path.join(dir, f), { force: true });
  // Not beside a log or journal without their file: SQLite would read them into the copy.
  if (fileSize(file) === undefined && !hasLog(file)) startFromTemplate(file, template);
  const size = fileSize(file);
  let damage: string | undefined;
  if (size === 0) damage = 'the file is empty (0 bytes): a save was cut off';
  else {
    const opened = await tryOpen(SQL, file);
    if ('db' in opened) return { ...opened, file, recovered: undefined };
    damage = opened.damage;
  }
  const recovered = moveAside(file, damage, size ?? 0);
  logger.log('warn', `the mail store ${file} was damaged (${damage}); moved aside to ${recovered.movedTo}; a new store syncs again from the server`);
  startFromTemplate(file, template);
  const fresh = await tryOpen(SQL, file);
  if (!('db' in fresh)) throw new MailError('store.corrupt', `a new mail store could not be started in ${dir}: ${fresh.damage}`);
  return { ...fresh, file, recovered };
}

function startFromTemplate(file: string, template: () => Uint8Array | undefined): void {
  const bytes = template();
  if (bytes) writeFromTemplate(file, bytes);
}

function hasLog(file: string): boolean {
  return fs.existsSync(`${file}-wal`) || fs.existsSync(`${file}-journal`);
}

function fileSize(file: string): number | undefined {
  try {
    return fs.statSync(file).size;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

/**
 * The database in `file`, read far enough to know it is one. A file-system error (EACCES, EIO,
 * a full disk) is the folder's problem and is thrown as node:fs reported it; bad contents are
 * returned as the damage found.
 */
async function tryOpen(SQL: SqlJs, file: string): Promise<{ db: Database; disk: DiskDatabase } | { damage: string }> {
  const { db, disk } = SQL.openOnDisk!(file);
  try {
    applyPragmas(db, true);
    // The schema's first read in a turn of its own: a process's first statement compiles
    // sql.js's parser and virtual machine (~20 ms), and the first read of a store's schema parses
    // every table, index, trigger and the full-text table (~15-25 ms more), on the engine's thread.
    await nextTurn();
    db.exec('PRAGMA user_version');
    db.exec('SELECT COUNT(*) FROM sqlite_master');
    return { db, disk };
  } catch (e) {
    const io = disk.lastError;
    db.close();
    disk.release();
    if (io) throw io.error;
    return { damage: `it is not a readable SQLite database (${(e as Error).message})` };
  }
}

/**
 * Per-connection settings that write nothing. On disk, SQLite's exclusive locking: one engine
 * per data folder holds the store, and sql.js has no shared memory for the log's index.
 * In memory (no data folder), the rollback journal in memory too.
 */
export function applyPragmas(db: Database, onDisk: boolean): void {
  db.exec('PRAGMA foreign_keys = ON');
  if (!onDisk) {
    db.exec('PRAGMA journal_mode = MEMORY');
    return;
  }
  db.exec('PRAGMA locking_mode = EXCLUSIVE');
  db.exec(`PRAGMA cache_size = -${CACHE_KIB}`);
}

/**
 * The write-ahead log, switched on once the store knows it can use the file (a store of a newer
 * MailDesk is refused untouched): commits append to the log without waiting for the disk, and
 * the log is synced whenever it is folded into the file, so a power cut loses at most the last
 * commits and never the file.
 */
export function useWriteAheadLog(db: Database): void {
  db.exec('PRAGMA journal_mode = WAL');
  db.exec('PRAGMA synchronous = NORMAL');
  // The log is reused from its start after each fold; one grown by a big transaction is cut back.
  db.exec('PRAGMA journal_size_limit = 16777216');
}

/** What the store's writes need from the file under them: error words and a sync. */
export class StoreDisk {
  /** The last write that failed, until one succeeds: a failure is never silent. */
  writeFailure: SaveFailure | undefined;
  /** Date.now() of the last commit of this process. */
  lastCommitAt: number | undefined;

  constructor(
    private readonly file: string | undefined,
    private readonly disk: DiskDatabase | undefined,
    private readonly failed: (e: MailError) => void,
  ) {}

  /** Call before a write: an older error must not be taken for this one's cause. */
  begin(): void {
    this.disk?.clearError();
  }

  /** A commit landed: the store writes again. */
  committed(): void {
    this.lastCommitAt = Date.now();
    this.writeFailure = undefined;
  }

  /**
   * The error to throw for `e`, thrown by SQLite during a write: when the files under it
   * failed (a full disk, a folder made read-only), the store's own error naming the folder
   * and the fix, recorded for Troubleshoot; otherwise `e` as it is.
   */
  failure(e: unknown): unknown {
    const io = this.disk?.lastError;
    if (!io || !this.file) return e;
    this.disk!.clearError();
    const error = saveError(io.error, this.file);
    this.writeFailure = { at: Date.now(), error };
    this.failed(error);
    return error;
  }

  /**
   * Waits for the disk to hold every commit so far (the log is fsynced): for a draft being
   * saved or a send being recorded, which must outlive a power cut too.
   */
  sync(): void {
    if (!this.disk) return;
    this.begin();
    try {
      this.disk.sync();
    } catch (e) {
      throw this.failure(e);
    }
  }
}
