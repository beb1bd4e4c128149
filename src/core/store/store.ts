/**
 * The local mail store: one SQLite database per data folder (sql.js, its pages on disk:
 * persistence.ts, diskFiles.ts) plus a blob folder.
 *
 * Writes are grouped in transactions (`tx`), a batch of messages at a time, never one per
 * message: each commit is one append to the write-ahead log. Every commit emits one change
 * event, which is how trees and open views refresh themselves.
 */
import * as path from 'node:path';
import type { Database, SqlValue, Statement } from 'sql.js';
import { EventEmitter } from 'node:events';
import { MailError } from '../errors';
import type { AccountConfig } from '../config';
import { Logger, noopLogger } from '../log';
import { BlobStore } from './blobs';
import { MIGRATIONS } from './schema';
import { loadSqlJs } from './sqlite';
import { nextTurn } from '../turns';
import { RECOVERED_SETTING, type SaveFailure, type StoreRecovery } from './recovery';
import { readDatabase, StoreDisk, useWriteAheadLog } from './persistence';
import { shippedStoreTemplate } from './storeTemplate';
import type { DiskDatabase } from './diskFiles';
import { marks, registerStoreSql, type StoreSql } from './sql';
import { SettingsTable } from './settings';
import { AccountsTable, type AccountRow, type AccountState } from './accounts';
import { FoldersTable, type FolderRole, type FolderRow } from './folders';
import { SyncStateTable, type FolderSyncState } from './syncState';
import { JobsTable, type JobKind, type JobRow, type TaskRow } from './jobs';
import { DraftsTable } from './drafts';
import { OutboxTable } from './outbox';
import { BridgeLinksTable } from './bridgeLinks';
import { UndoLogTable } from './undoLog';
import { DiagnosticsQueries } from './diagnosticsQueries';
import { MessageQueries } from './messageQueries';
import { AgentQueries } from './agentQueries';
import { MessageIndex } from './messageIndex';
import { SearchQueries } from './searchQueries';
import { ThreadQueries } from './threadQueries';
import { isProviderThreadKey } from './threadKeys';

export type { AccountRow, AccountState } from './accounts';
export type { FolderRole, FolderRow } from './folders';
export type { JobKind, JobRow, JobStatus, TaskRow } from './jobs';
export type { FolderSyncState } from './syncState';

/** What a provider reports about one message in one folder. */
export interface IncomingMessage {
  providerId: string;
  uid?: number;
  modseq?: string;
  messageId?: string;
  threadKey?: string;
  subject?: string;
  from?: { name?: string; address?: string };
  to?: Array<{ name?: string; address?: string }>;
  cc?: Array<{ name?: string; address?: string }>;
  date?: number;
  size?: number;
  flags: string[];
  hasAttachments?: boolean;
  inReplyTo?: string;
  references?: string[];
  snippet?: string;
}

export interface MessageRow {
  id: number;
  accountId: string;
  providerId: string | null;
  messageId: string | null;
  threadKey: string | null;
  subject: string;
  fromName: string;
  fromAddr: string;
  date: number;
  size: number;
  flags: string[];
  hasAttachments: boolean;
  origin: 'remote' | 'local';
  bodyBlob: string | null;
  uid: number | null;
  folderId: number;
  data: Record<string, unknown>;
}

/** Accumulated during a transaction, emitted once after commit. */
export interface StoreChange {
  accounts: Set<string>;
  folders: Set<number>;
  messages: number;
  jobs: boolean;
  /** Local data written (drafts, outbox, settings…): named from the table each write touched. */
  local: Set<LocalData>;
}

/** Local data a change event names, by the table that holds it. */
export type LocalData = 'drafts' | 'outbox' | 'settings' | 'bridgeLinks' | 'undo' | 'tasks';

/**
 * Tables whose writes the store names by the table itself (in `StoreChange.local`), found
 * from each statement's text, so no write to them can go unannounced. Every other table's
 * writes are announced by the methods that make them (accounts, folders, messages, jobs) or
 * once per pass (the indexer's). test/unit/storeConcerns.test.ts fails on a table in neither.
 */
export const LOCAL_TABLES: Readonly<Record<string, LocalData>> = {
  drafts: 'drafts',
  outbox: 'outbox',
  settings: 'settings',
  bridge_links: 'bridgeLinks',
  undo_records: 'undo',
  tasks: 'tasks',
};

/** The local data a statement writes, if it writes one of LOCAL_TABLES. */
export function localDataWritten(sql: string): LocalData | undefined {
  const m = /^\s*(?:INSERT(?:\s+OR\s+\w+)?\s+INTO|REPLACE\s+INTO|UPDATE(?:\s+OR\s+\w+)?|DELETE\s+FROM)\s+["`]?(\w+)/i.exec(sql);
  return m ? LOCAL_TABLES[m[1].toLowerCase()] : undefined;
}

function emptyChange(): StoreChange {
  return { accounts: new Set(), folders: new Set(), messages: 0, jobs: false, local: new Set() };
}

const SYSTEM_FLAGS: Record<string, 'seen' | 'flagged' | 'answered' | 'draft'> = {
  '\\seen': 'seen',
  '\\flagged': 'flagged',
  '\\answered': 'answered',
  '\\draft': 'draft',
};

/** Splits IMAP flags into the indexed columns and the rest (keywords). */
export function splitFlags(flags: string[]): { seen: number; flagged: number; answered: number; draft: number; other: string[] } {
  const r = { seen: 0, flagged: 0, answered: 0, draft: 0, other: [] as string[] };
  for (const f of flags) {
    const k = SYSTEM_FLAGS[f.toLowerCase()];
    if (k) r[k] = 1;
    else if (f.toLowerCase() !== '\\recent') r.other.push(f);
  }
  return r;
}

/**
 * Of the rows a new message could take over (same Message-ID in the folder), the one
 * upsertMessages adopts: a pending one (no UID yet) first, else the lowest UID. Chosen here
 * rather than by ORDER BY ... LIMIT 1, which made SQLite build a sorter for every header
 * stored (half the time of storing one, measured) to order the zero or one rows found.
 */
function adoptable(rows: Array<{ id: number; uid: number | null }>): number | undefined {
  let best: { id: number; uid: number | null } | undefined;
  for (const r of rows) {
    if (r.uid === null) return r.id;
    if (!best || r.uid < best.uid!) best = r;
  }
  return best?.id;
}

function joinFlags(row: { seen: number; flagged: number; answered: number; draft: number }, other: string[] = []): string[] {
  const f: string[] = [];
  if (row.seen) f.push('\\Seen');
  if (row.flagged) f.push('\\Flagged');
  if (row.answered) f.push('\\Answered');
  if (row.draft) f.push('\\Draft');
  return f.concat(other);
}

/** Values per IN (...) lookup of upsertMessages at most. */
const LOOKUP_BATCH = 500;
/**
 * The lengths an IN (...) list is padded to (by repeating a value, which changes nothing):
 * each length is one cached statement, so a few of them serve every batch size.
 */
const LOOKUP_SIZES = [1, 10, 50, 100, 250, LOOKUP_BATCH];

/** `values` repeated at the end up to the next of LOOKUP_SIZES (values.length ≤ LOOKUP_BATCH). */
function padLookup(values: string[]): string[] {
  const size = LOOKUP_SIZES.find((n) => n >= values.length) ?? values.length;
  return values.length === size ? values : values.concat(Array<string>(size - values.length).fill(values[0]));
}

/** How long migrations run before the event loop gets a turn (between two statements). */
const MIGRATE_SLICE_MS = 4;

export interface StoreOptions {
  /** Folder for the database and blobs; undefined keeps everything in memory (tests). */
  dir?: string;
  logger?: Logger;
}

export class MailStore {
  /** The database: `#private`, so only this class and what it hands a StoreSql to can run SQL. */
  readonly #db: Database;
  /** Prepared once per text, with the local data the statement writes (read when prepared). */
  private readonly statements = new Map<string, { stmt: Statement; local: LocalData | undefined; names?: string[] }>();
  private depth = 0;
  private pending = emptyChange();
  private readonly events = new EventEmitter();
  readonly blobs: BlobStore;
  /** The store by concern, each over the same database (one change event per commit for all). */
  readonly settings: SettingsTable;
  readonly accounts: AccountsTable;
  readonly folders: FoldersTable;
  readonly syncState: SyncStateTable;
  readonly jobs: JobsTable;
  readonly drafts: DraftsTable;
  readonly outbox: OutboxTable;
  readonly bridgeLinks: BridgeLinksTable;
  /** Triage's Undo records, kept across restarts (undoLog.ts). */
  readonly undo: UndoLogTable;
  /** Reads over messages for triage, providers, the address book and redaction. */
  readonly messages: MessageQueries;
  /** The agent mailbox's search and unread lists. */
  readonly agent: AgentQueries;
  /** Counts for the Troubleshoot checks. */
  readonly diagnostics: DiagnosticsQueries;
  /** Threads and the search index, built after headers are stored (src/core/search/indexer.ts runs it). */
  readonly index: MessageIndex;
  /** Local full-text search (src/core/search/search.ts). */
  readonly search: SearchQueries;
  /** A folder's threads and a thread's messages (src/core/threads/threads.ts). */
  readonly threads: ThreadQueries;
  /** A damaged store file moved aside when this store opened (Troubleshoot reports it). */
  recovered: StoreRecovery | undefined;
  /** The files under the database: error words for failed writes, and a sync (persistence.ts). */
  private readonly persist: StoreDisk;

  private constructor(
    db: Database,
    private readonly file: string | undefined,
    private readonly disk: DiskDatabase | undefined,
  ) {
    this.#db = db;
    this.blobs = new BlobStore(file ? path.join(path.dirname(file), 'blobs') : undefined, (prefix) => !!this.#get('SELECT 1 FROM messages WHERE body_blob >= ? AND body_blob < ? LIMIT 1', [prefix, `${prefix}\uffff`]));
    this.events.setMaxListeners(100);
    this.persist = new StoreDisk(file, disk, (e) => this.events.emit('saveFailed', e));
    // The concern modules' way in: SQL stays inside src/core/store.
    const pending = () => this.pending;
    const sql: StoreSql = {
      run: (q, params) => this.#run(q, params),
      all: <T>(q: string, params?: SqlValue[]) => this.#all<T>(q, params),
      get: <T>(q: string, params?: SqlValue[]) => this.#get<T>(q, params),
      lastId: () => this.lastId(),
      tx: <T>(fn: () => T) => this.tx(fn),
      get pending() {
        return pending();
      },
    };
    registerStoreSql(this, sql);
    this.settings = new SettingsTable(sql);
    this.accounts = new AccountsTable(sql, this.blobs);
    this.folders = new FoldersTable(sql);
    this.syncState = new SyncStateTable(sql);
    this.jobs = new JobsTable(sql);
    this.drafts = new DraftsTable(sql, this);
    this.outbox = new OutboxTable(sql);
    this.bridgeLinks = new BridgeLinksTable(sql);
    this.undo = new UndoLogTable(sql);
    this.diagnostics = new DiagnosticsQueries(sql);
    this.messages = new MessageQueries(sql);
    this.agent = new AgentQueries(sql);
    this.index = new MessageIndex(sql);
    this.search = new SearchQueries(sql);
    this.threads = new ThreadQueries(sql);
  }

  static async open(opts: StoreOptions = {}): Promise<MailStore> {
    const SQL = await loadSqlJs();
    // Loading ends a turn of its own: the first SQL of a process is slow enough (sql.js's code is
    // compiled as it is first called) that opening and migrating give the event loop turns too.
    await nextTurn();
    const logger = opts.logger ?? noopLogger;
    const { db, disk, file, recovered } = await readDatabase(SQL, opts.dir, logger, shippedStoreTemplate);
    const store = new MailStore(db, file, disk);
    store.recovered = recovered;
    try {
      await store.migrate();
    } catch (e) {
      store.close();
      throw e;
    }
    // Remembered in the new store, so Troubleshoot still tells of it in a later process.
    if (recovered) store.setSetting(RECOVERED_SETTING, JSON.stringify(recovered));
    return store;
  }

  get path(): string | undefined {
    return this.file;
  }

  /** Applies what is missing, one migration per turn of the event loop (a new store runs seven). */
  private async migrate(): Promise<void> {
    const version = Number(this.#db.exec('PRAGMA user_version')[0]?.values[0]?.[0] ?? 0);
    if (version > MIGRATIONS.length) {
      throw new MailError('store.corrupt', `the mail store was written by a newer MailDesk (schema ${version}); update MailDesk`);
    }
    if (this.disk) {
      // The store's first write (sql.js's pager and log code compile as they first run): a turn of its own.
      await nextTurn();
      useWriteAheadLog(this.#db);
      await nextTurn();
    }
    if (version < MIGRATIONS.length) await nextTurn();
    for (let v = version; v < MIGRATIONS.length; v++) {
      this.persist.begin();
      this.#db.exec('BEGIN');
      try {
        await this.execInTurns(MIGRATIONS[v]);
        this.#db.exec(`PRAGMA user_version = ${v + 1}`);
        this.#db.exec('COMMIT');
      } catch (e) {
        this.rollback();
        throw this.persist.failure(e);
      }
      this.persist.committed();
      await nextTurn();
    }
  }

  /** After a failed statement; SQLite may have rolled back already (a full disk does that). */
  private rollback(): void {
    try {
      this.#db.exec('ROLLBACK');
    } catch {
      // no transaction left to roll back
    }
  }

  /**
   * Runs a migration's statements one by one, giving the event loop a turn once they have run
   * for MIGRATE_SLICE_MS. A new store runs its migrations as the process's first SQL, which is
   * slow (see open()): the first migration in one go held the thread ~35 ms (measured). The
   * store is not handed out before open() resolves, so nothing else can reach the open
   * transaction meanwhile.
   */
  private async execInTurns(sql: string): Promise<void> {
    let t0 = performance.now();
    for (const st of this.#db.iterateStatements(sql)) {
      try {
        while (st.step()) {
          // a migration's statements return no rows that matter
        }
      } finally {
        st.free();
      }
      if (performance.now() - t0 >= MIGRATE_SLICE_MS) {
        await nextTurn();
        t0 = performance.now();
      }
    }
  }

  get schemaVersion(): number {
    return Number(this.#db.exec('PRAGMA user_version')[0]?.values[0]?.[0] ?? 0);
  }

  // ---- events -------------------------------------------------------------

  onDidChange(listener: (c: StoreChange) => void): { dispose(): void } {
    this.events.on('change', listener);
    return { dispose: () => this.events.off('change', listener) };
  }

  // ---- low level ----------------------------------------------------------

  #stmt(sql: string): Statement {
    let s = this.statements.get(sql);
    if (!s) {
      s = { stmt: this.#db.prepare(sql), local: localDataWritten(sql) };
      this.statements.set(sql, s);
    }
    if (s.local) this.pending.local.add(s.local);
    return s.stmt;
  }

  /**
   * Raw SQL: `#private`, so no code outside this class can call it, whatever its types say.
   * The concern modules of src/core/store get it through the `StoreSql` handed to them (and
   * bodies.ts through `storeSql(store)` in sql.ts); everything else calls named methods
   * (test/unit/store-boundary.test.ts keeps it so). Statements are prepared once per text.
   */
  #run(sql: string, params: SqlValue[] = []): void {
    const s = this.#stmt(sql);
    try {
      s.run(params);
    } finally {
      s.reset();
    }
  }

  #all<T = Record<string, SqlValue>>(sql: string, params: SqlValue[] = []): T[] {
    const s = this.#stmt(sql);
    const rows: T[] = [];
    try {
      s.bind(params);
      while (s.step()) rows.push(this.#row(sql, s) as T);
    } finally {
      s.reset();
    }
    return rows;
  }

  #get<T = Record<string, SqlValue>>(sql: string, params: SqlValue[] = []): T | undefined {
    const s = this.#stmt(sql);
    try {
      s.bind(params);
      return s.step() ? (this.#row(sql, s) as T) : undefined;
    } finally {
      s.reset();
    }
  }

  /**
   * The current row as an object. sql.js's getAsObject asks SQLite for every column's name
   * again on every row, each a call into wasm and a UTF-8 decode: a third of the time of reading
   * a page of 500 rows (`npm run bench`, profile). The names are read once per statement, and
   * again only if the row's width changes (a `SELECT *` after a column was added).
   */
  #row(sql: string, s: Statement): Record<string, SqlValue> {
    const values = s.get();
    const entry = this.statements.get(sql)!;
    if (entry.names?.length !== values.length) entry.names = s.getColumnNames();
    const names = entry.names;
    const row: Record<string, SqlValue> = {};
    for (let i = 0; i < values.length; i++) row[names[i]] = values[i];
    return row;
  }

  private lastId(): number {
    return Number(this.#get<{ id: number }>('SELECT last_insert_rowid() AS id')!.id);
  }

  /**
   * Runs `fn` in one transaction. Nested calls join the outer one. Changes are
   * announced after the outermost commit; a throw rolls everything back.
   */
  tx<T>(fn: () => T): T {
    if (this.depth > 0) return fn();
    this.depth++;
    this.persist.begin();
    let result: T;
    try {
      this.#db.exec('BEGIN');
      result = fn();
      this.#db.exec('COMMIT');
    } catch (e) {
      this.rollback();
      this.pending = emptyChange();
      throw this.persist.failure(e);
    } finally {
      this.depth--;
    }
    const change = this.pending;
    this.pending = emptyChange();
    this.persist.committed();
    if (change.accounts.size || change.folders.size || change.messages || change.jobs || change.local.size) this.events.emit('change', change);
    return result;
  }

  /**
   * The background indexer threaded `count` messages (its writes go through no other store
   * method): one change event for the accounts that have messages, so lists regroup their
   * conversations and search finds them. Threads span folders, so no folder is named.
   */
  announceIndexed(count: number): void {
    if (count <= 0) return;
    this.tx(() => {
      for (const a of this.listAccounts()) this.pending.accounts.add(a.id);
      this.pending.messages += count;
    });
  }

  /** Called with the error of every write that failed for the disk's sake (full, read-only). */
  onSaveFailed(listener: (e: MailError) => void): { dispose(): void } {
    this.events.on('saveFailed', listener);
    return { dispose: () => this.events.off('saveFailed', listener) };
  }

  /**
   * Resolves once everything committed before the call is on disk for good (fsynced): for
   * callers that must not go on before that (a draft being saved, a send being recorded).
   * A failure rejects with the store's error naming the folder and the fix.
   */
  async flush(): Promise<void> {
    this.persist.sync();
  }

  /** flush(), for callers that cannot wait a turn. */
  syncNow(): void {
    this.persist.sync();
  }

  /** When this process last committed a change (Troubleshoot). */
  get lastCommitAt(): number | undefined {
    return this.persist.lastCommitAt;
  }

  /** The last write that failed for the disk's sake, until one succeeds: a failure is never silent. */
  get saveFailure(): SaveFailure | undefined {
    return this.persist.writeFailure;
  }

  close(): void {
    this.blobs.close();
    for (const s of this.statements.values()) s.stmt.free();
    this.statements.clear();
    if (this.disk) {
      // Folds the log into the file and leaves it in the rollback format: the file alone then
      // holds everything, for any SQLite (an older MailDesk, support's tools). A full disk
      // leaves the log, which the next open reads.
      try {
        this.#db.exec('PRAGMA journal_mode = DELETE');
      } catch {
        // kept in the log
      }
    }
    this.#db.close();
    this.disk?.release();
  }

  // ---- settings, accounts, folders, sync state (settings.ts, accounts.ts, folders.ts, syncState.ts) ----

  getSetting(key: string): string | undefined {
    return this.settings.get(key);
  }

  setSetting(key: string, value: string): void {
    this.settings.set(key, value);
  }

  upsertAccount(cfg: AccountConfig): void {
    this.accounts.upsert(cfg);
  }

  getAccount(id: string): AccountRow | undefined {
    return this.accounts.get(id);
  }

  listAccounts(): AccountRow[] {
    return this.accounts.list();
  }

  setAccountState(id: string, state: AccountState, code: string | null = null, reason: string | null = null): void {
    this.accounts.setState(id, state, code, reason);
  }

  /** Deletes the account, its folders, messages, jobs and the blobs nothing else uses. */
  removeAccount(id: string): void {
    this.accounts.remove(id);
  }

  /** Records the server's folder list (FoldersTable.upsert); selection is decided only for folders seen for the first time. */
  upsertFolders(accountId: string, remote: Parameters<FoldersTable['upsert']>[1], defaultSelected: Parameters<FoldersTable['upsert']>[2]): void {
    this.folders.upsert(accountId, remote, defaultSelected);
  }

  listFolders(accountId: string): FolderRow[] {
    return this.folders.list(accountId);
  }

  getFolder(accountId: string, folderPath: string): FolderRow | undefined {
    return this.folders.get(accountId, folderPath);
  }

  getFolderById(id: number): FolderRow | undefined {
    return this.folders.byId(id);
  }

  folderByRole(accountId: string, role: FolderRole): FolderRow | undefined {
    return this.folders.byRole(accountId, role);
  }

  /** The folder roles the user chose for the account (role -> folder path). */
  folderRoleOverrides(accountId: string): ReturnType<FoldersTable['roleOverrides']> {
    return this.folders.roleOverrides(accountId);
  }

  /** Sets (or with null, clears) the user's choice of folder for a role; it survives folder refreshes. */
  setFolderRoleOverride(accountId: string, role: Parameters<FoldersTable['setRoleOverride']>[1], folderPath: string | null): void {
    this.folders.setRoleOverride(accountId, role, folderPath);
  }

  setFolderSelected(folderId: number, selected: boolean): void {
    this.folders.setSelected(folderId, selected);
  }

  setRemoteCounts(folderId: number, total: number | null, unread: number | null): void {
    this.folders.setRemoteCounts(folderId, total, unread);
  }

  /** Messages held locally in the folder, and how many are unread. */
  localCounts(folderId: number): { total: number; unread: number } {
    return this.folders.localCounts(folderId);
  }

  getSyncState(folderId: number): FolderSyncState {
    return this.syncState.get(folderId);
  }

  /** Saved in the caller's transaction, with the messages it describes. */
  saveSyncState(folderId: number, patch: Partial<FolderSyncState>): void {
    this.syncState.save(folderId, patch);
  }

  /**
   * The provider reset the folder (new UIDVALIDITY, history too old, delta 410):
   * forget what we knew of it, keep local-only entries (drafts, unsent mail,
   * local Sent entries), and let the next run fetch it from scratch.
   */
  resetFolder(folderId: number): void {
    const prev = this.getSyncState(folderId);
    this.tx(() => {
      this.#run(
        `DELETE FROM memberships WHERE folder_id = ? AND message_id IN (SELECT id FROM messages WHERE origin = 'remote')`,
        [folderId],
      );
      this.deleteOrphans();
      this.#run('DELETE FROM folder_sync WHERE folder_id = ?', [folderId]);
      this.saveSyncState(folderId, { resetCount: prev.resetCount + 1, lastResetAt: Date.now() });
      this.pending.folders.add(folderId);
      this.pending.messages++;
    });
  }

  /**
   * Deletes messages from the provider that are in no folder any more: among `removed` (the rows
   * whose memberships were just deleted, with the bodies no message holds any more), or all of
   * them (a folder reset). Looking only at `removed` goes through memberships_message; the whole
   * table is a scan of every message, ~60 ms at 100,000, and that ran after every purge of a
   * single expunged message.
   */
  private deleteOrphans(removed?: Array<{ id: number; body_blob: string | null }>): void {
    if (!removed) {
      this.#run(`DELETE FROM messages WHERE origin = 'remote' AND id NOT IN (SELECT message_id FROM memberships)`);
      return;
    }
    for (let i = 0; i < removed.length; i += LOOKUP_BATCH) {
      const part = removed.slice(i, i + LOOKUP_BATCH).map((r) => r.id);
      this.#run(
        `DELETE FROM messages WHERE origin = 'remote' AND id IN (${marks(part.length)})
           AND NOT EXISTS (SELECT 1 FROM memberships ms WHERE ms.message_id = messages.id)`,
        part,
      );
    }
    const blobs = new Set(removed.flatMap((r) => (r.body_blob ? [r.body_blob] : [])));
    for (const b of blobs) if (!this.#get('SELECT 1 FROM messages WHERE body_blob = ? LIMIT 1', [b])) this.blobs.delete(b);
  }

  // ---- messages -----------------------------------------------------------

  /**
   * Stores what the provider reported for one folder, in one transaction.
   * A message already known by its provider id is updated; one that matches a
   * pending local entry (a local Sent copy, a move not yet confirmed) by Message-ID
   * takes that entry over, so the user never sees two.
   */
  upsertMessages(
    folderId: number,
    msgs: IncomingMessage[],
    opts: { adoptFromLowerUid?: boolean } = {},
  ): { inserted: number; updated: number; adopted: number; movedFrom: Array<{ uid: number; messageId: string }> } {
    const fromLowerUid = opts.adoptFromLowerUid ?? true;
    const folder = this.getFolderById(folderId);
    if (!folder) throw new MailError('folder.notFound', `folder ${folderId} is not in the store`);
    // movedFrom: the UIDs of adopted rows that had one already (their message came back under a new UID).
    const counts = { inserted: 0, updated: 0, adopted: 0, movedFrom: [] as Array<{ uid: number; messageId: string }> };
    this.tx(() => {
      // What the rows below look up one by one, asked for the whole batch at once (a statement
      // per header was most of the cost of storing one). `byProvider` is kept true as rows
      // change: a provider id written here is looked up again, and one a row gives up when
      // it is adopted is dropped; Message-IDs inserted here join `sharedIds`.
      const byProvider = this.idsByProviderId(folder.accountId, msgs.map((m) => m.providerId));
      const sharedIds = this.storedMessageIds(
        folder.accountId,
        msgs.flatMap((m) => (m.messageId ? [m.messageId] : [])),
      );
      const written = new Set<string>();
      for (const m of msgs) {
        const fl = splitFlags(m.flags);
        let id = written.has(m.providerId)
          ? this.#get<{ id: number }>('SELECT id FROM messages WHERE account_id = ? AND provider_id = ?', [folder.accountId, m.providerId])?.id
          : byProvider.get(m.providerId);
        written.add(m.providerId);
        if (id !== undefined) {
          this.#run('UPDATE messages SET seen = ?, flagged = ?, answered = ?, draft = ? WHERE id = ?', [fl.seen, fl.flagged, fl.answered, fl.draft, id]);
          counts.updated++;
        } else if (m.messageId) {
          // A pending membership in this folder (uid not yet known) with the same Message-ID; or
          // one under a lower UID: a server that renumbers a folder under the same UIDVALIDITY
          // (Courier-IMAP after another client's COPY) hands the same message out again under a
          // new UID, and it replaces its row instead of becoming a duplicate.
          // Most new messages share their Message-ID with no stored one: the join below only
          // runs for those that do (in sql.js it costs three times an index lookup).
          if (sharedIds.has(m.messageId)) {
            const rows = this.#all<{ id: number; uid: number | null }>(
              `SELECT m.id, ms.uid FROM messages m JOIN memberships ms ON ms.message_id = m.id
               WHERE m.account_id = ? AND m.message_id = ? AND ms.folder_id = ? AND (ms.uid IS NULL OR ms.uid < ?)`,
              [folder.accountId, m.messageId, folderId, fromLowerUid ? m.uid ?? 0 : 0],
            );
            id = adoptable(rows);
            const from = rows.find((r) => r.id === id)?.uid;
            if (from !== undefined && from !== null) counts.movedFrom.push({ uid: from, messageId: m.messageId });
          }
          if (id !== undefined) {
            this.#run(
              `UPDATE messages SET provider_id = ?, origin = 'remote', seen = ?, flagged = ?, answered = ?, draft = ?, size = COALESCE(?, size) WHERE id = ?`,
              [m.providerId, fl.seen, fl.flagged, fl.answered, fl.draft, m.size ?? null, id],
            );
            // The provider's conversation now holds the entry (a Sent message or draft written here).
            if (m.threadKey) this.adoptThreadKey(folder.accountId, id, m.threadKey);
            counts.adopted++;
            // The row's old provider id no longer names it.
            for (const [pid, rowId] of byProvider) if (rowId === id) byProvider.delete(pid);
          }
        }
        if (id === undefined) {
          const data = JSON.stringify({
            to: m.to ?? [],
            cc: m.cc ?? [],
            inReplyTo: m.inReplyTo,
            references: m.references,
            snippet: m.snippet,
            keywords: fl.other.length ? fl.other : undefined,
          });
          // RETURNING gives the new row's id in the same step (no last_insert_rowid() query after it).
          id = this.#get<{ id: number }>(
            `INSERT INTO messages(account_id, provider_id, message_id, thread_key, subject, from_name, from_addr, date, size, seen, flagged, answered, draft, has_attachments, data)
             VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
            [
              folder.accountId,
              m.providerId,
              m.messageId ?? null,
              m.threadKey ?? m.references?.[0] ?? m.inReplyTo ?? m.messageId ?? null,
              m.subject ?? '',
              m.from?.name ?? '',
              m.from?.address ?? '',
              m.date ?? 0,
              m.size ?? 0,
              fl.seen,
              fl.flagged,
              fl.answered,
              fl.draft,
              m.hasAttachments ? 1 : 0,
              data,
            ],
          )!.id;
          counts.inserted++;
          if (m.messageId) sharedIds.add(m.messageId);
        }
        this.#run(
          `INSERT INTO memberships(folder_id, message_id, uid, modseq, date) VALUES(?, ?, ?, ?, ?)
           ON CONFLICT(folder_id, message_id) DO UPDATE SET uid = excluded.uid, modseq = excluded.modseq, missing_since = NULL`,
          [folderId, id, m.uid ?? null, m.modseq ?? null, m.date ?? 0],
        );
      }
      this.pending.folders.add(folderId);
      this.pending.messages += msgs.length;
    });
    return counts;
  }

  /**
   * A local entry taken over by the provider's copy joins the provider's conversation, and so
   * does what was threaded with it under the key derived from its Message-IDs (a reply drafted
   * to it); a provider's key already there is the provider's decision and stays.
   */
  private adoptThreadKey(accountId: string, rowId: number, key: string): void {
    const old = this.#get<{ k: string | null }>('SELECT thread_key AS k FROM messages WHERE id = ?', [rowId])?.k ?? null;
    if (old === key) return;
    if (old !== null && !isProviderThreadKey(old)) this.#run('UPDATE messages SET thread_key = ? WHERE account_id = ? AND thread_key = ?', [key, accountId, old]);
    else this.#run('UPDATE messages SET thread_key = ? WHERE id = ?', [key, rowId]);
  }

  /** Row ids of the account's messages with these provider ids (those it has), in a few statements. */
  private idsByProviderId(accountId: string, providerIds: string[]): Map<string, number> {
    const out = new Map<string, number>();
    for (let i = 0; i < providerIds.length; i += LOOKUP_BATCH) {
      const part = padLookup(providerIds.slice(i, i + LOOKUP_BATCH));
      const rows = this.#all<{ id: number; pid: string }>(
        `SELECT id, provider_id AS pid FROM messages WHERE account_id = ? AND provider_id IN (${marks(part.length)})`,
        [accountId, ...part],
      );
      for (const r of rows) out.set(r.pid, r.id);
    }
    return out;
  }

  /** Which of these Message-IDs some message of the account already has. */
  private storedMessageIds(accountId: string, messageIds: string[]): Set<string> {
    const out = new Set<string>();
    for (let i = 0; i < messageIds.length; i += LOOKUP_BATCH) {
      const part = padLookup(messageIds.slice(i, i + LOOKUP_BATCH));
      const rows = this.#all<{ mid: string }>(`SELECT message_id AS mid FROM messages WHERE account_id = ? AND message_id IN (${marks(part.length)})`, [accountId, ...part]);
      for (const r of rows) out.add(r.mid);
    }
    return out;
  }

  /** Flag changes reported by the server (CONDSTORE or a full flag scan). */
  updateFlags(folderId: number, changes: Array<{ uid: number; flags: string[]; modseq?: string }>): number {
    let n = 0;
    this.tx(() => {
      for (const c of changes) {
        const fl = splitFlags(c.flags);
        const row = this.#get<{ message_id: number }>('SELECT message_id FROM memberships WHERE folder_id = ? AND uid = ?', [folderId, c.uid]);
        if (!row) continue;
        this.#run('UPDATE messages SET seen = ?, flagged = ?, answered = ?, draft = ? WHERE id = ?', [fl.seen, fl.flagged, fl.answered, fl.draft, row.message_id]);
        if (c.modseq) this.#run('UPDATE memberships SET modseq = ? WHERE folder_id = ? AND uid = ?', [c.modseq, folderId, c.uid]);
        n++;
      }
      if (n) {
        this.pending.folders.add(folderId);
        this.pending.messages += n;
      }
    });
    return n;
  }

  /**
   * The server renumbered the folder under the same UIDVALIDITY (Courier-IMAP does after another
   * client's COPY): messages hold other UIDs now, and UIDs the store knows name other messages.
   * `server` is every UID of the folder up to some point, each with the Message-ID it holds now.
   * A row whose Message-ID the server holds under another UID moves to it (keeping its body and
   * local state), a row the server no longer holds is marked missing and gives up its UID, and
   * the UIDs whose messages the store does not hold are returned, to be fetched.
   */
  renumberFolder(folderId: number, uidValidity: string, server: Array<{ uid: number; messageId?: string }>, now = Date.now()): { moved: number; missing: number; toFetch: number[] } {
    const out = { moved: 0, missing: 0, toFetch: [] as number[] };
    if (!server.length) return out;
    const upTo = server.reduce((a, s) => Math.max(a, s.uid), 0);
    this.tx(() => {
      const local = this.#all<{ id: number; uid: number; mid: string | null; pid: string | null }>(
        `SELECT m.id, ms.uid, m.message_id AS mid, m.provider_id AS pid FROM memberships ms JOIN messages m ON m.id = ms.message_id
         WHERE ms.folder_id = ? AND ms.uid IS NOT NULL AND ms.uid <= ?`,
        [folderId, upTo],
      );
      const byUid = new Map(local.map((l) => [l.uid, l]));
      const claimed = new Set<number>();
      const open: Array<{ uid: number; messageId?: string }> = [];
      for (const s of server) {
        const l = byUid.get(s.uid);
        // Without a Message-ID on either side the row cannot be checked: it is taken as it is.
        if (l && (l.mid ?? undefined) === s.messageId) claimed.add(l.id);
        else open.push(s);
      }
      const byMid = new Map<string, typeof local>();
      for (const l of local) if (l.mid && !claimed.has(l.id)) byMid.set(l.mid, [...(byMid.get(l.mid) ?? []), l]);
      const moves: Array<{ row: (typeof local)[number]; uid: number }> = [];
      for (const s of open) {
        const row = s.messageId ? byMid.get(s.messageId)?.find((l) => !claimed.has(l.id)) : undefined;
        if (row) {
          claimed.add(row.id);
          moves.push({ row, uid: s.uid });
        } else out.toFetch.push(s.uid);
      }
      const gone = local.filter((l) => !claimed.has(l.id));
      if (!moves.length && !gone.length) return;
      // UIDs and provider ids are unique: every row that changes gives its own up first.
      for (const l of [...moves.map((m) => m.row), ...gone]) {
        this.#run('UPDATE memberships SET uid = NULL WHERE folder_id = ? AND message_id = ?', [folderId, l.id]);
        this.#run('UPDATE messages SET provider_id = ? WHERE id = ?', [`${l.pid ?? ''}~renumbered~${l.id}`, l.id]);
      }
      for (const m of moves) {
        this.#run('UPDATE memberships SET uid = ?, missing_since = NULL WHERE folder_id = ? AND message_id = ?', [m.uid, folderId, m.row.id]);
        this.#run('UPDATE messages SET provider_id = ? WHERE id = ?', [`${folderId}:${uidValidity}:${m.uid}`, m.row.id]);
      }
      for (const l of gone) this.#run('UPDATE memberships SET missing_since = COALESCE(missing_since, ?) WHERE folder_id = ? AND message_id = ?', [now, folderId, l.id]);
      out.moved = moves.length;
      out.missing = gone.length;
      this.pending.folders.add(folderId);
      this.pending.messages += moves.length + gone.length;
    });
    return out;
  }

  /**
   * The server no longer lists these UIDs. They disappear from the folder's list at
   * once, but the message row is only deleted by `purgeMissing` a cycle later, so a
   * message on its way to another folder is never lost in between.
   */
  markMissing(folderId: number, uids: number[], now = Date.now()): number {
    let n = 0;
    this.tx(() => {
      for (const uid of uids) {
        const before = this.#get('SELECT 1 FROM memberships WHERE folder_id = ? AND uid = ? AND missing_since IS NULL', [folderId, uid]);
        if (!before) continue;
        this.#run('UPDATE memberships SET missing_since = ? WHERE folder_id = ? AND uid = ?', [now, folderId, uid]);
        n++;
      }
      if (n) {
        this.pending.folders.add(folderId);
        this.pending.messages += n;
      }
    });
    return n;
  }

  /**
   * The API providers (Graph delta `@removed`) name removed messages by provider id:
   * their membership in this folder goes at once; the message row only when no folder
   * holds it any more (a move reported by the target's sync first keeps it).
   */
  removeMembershipsByProviderId(folderId: number, providerIds: string[]): number {
    const folder = this.getFolderById(folderId);
    if (!folder || !providerIds.length) return 0;
    let n = 0;
    this.tx(() => {
      const removed: Array<{ id: number; body_blob: string | null }> = [];
      for (const pid of providerIds) {
        const row = this.#get<{ id: number; body_blob: string | null }>(
          `SELECT m.id, m.body_blob FROM messages m JOIN memberships ms ON ms.message_id = m.id
           WHERE m.account_id = ? AND m.provider_id = ? AND ms.folder_id = ?`,
          [folder.accountId, pid, folderId],
        );
        if (!row) continue;
        this.#run('DELETE FROM memberships WHERE folder_id = ? AND message_id = ?', [folderId, row.id]);
        removed.push(row);
        n++;
      }
      if (!n) return;
      this.deleteOrphans(removed);
      this.pending.folders.add(folderId);
      this.pending.messages += n;
    });
    return n;
  }

  /**
   * Deletes memberships missing since before `cutoff`, and messages left in no folder. Runs
   * after every sync of a folder, most often finding nothing: the missing ones are found through
   * memberships_missing, an index of them alone, not by reading each of the folder's rows.
   */
  purgeMissing(folderId: number, cutoff: number): number {
    let n = 0;
    this.tx(() => {
      const gone = this.#all<{ id: number; body_blob: string | null }>(
        `SELECT ms.message_id AS id, m.body_blob FROM memberships ms LEFT JOIN messages m ON m.id = ms.message_id
         WHERE ms.folder_id = ? AND ms.missing_since IS NOT NULL AND ms.missing_since < ?`,
        [folderId, cutoff],
      );
      n = gone.length;
      if (!n) return;
      this.#run('DELETE FROM memberships WHERE folder_id = ? AND missing_since IS NOT NULL AND missing_since < ?', [folderId, cutoff]);
      this.deleteOrphans(gone);
    });
    return n;
  }

  /** UIDs the store holds for a folder, with their flags, for a plain comparison. */
  knownUids(folderId: number): Map<number, string[]> {
    const out = new Map<number, string[]>();
    for (const r of this.#all<{ uid: number; seen: number; flagged: number; answered: number; draft: number }>(
      `SELECT ms.uid, m.seen, m.flagged, m.answered, m.draft FROM memberships ms JOIN messages m ON m.id = ms.message_id
       WHERE ms.folder_id = ? AND ms.uid IS NOT NULL AND ms.missing_since IS NULL`,
      [folderId],
    )) {
      out.set(r.uid, joinFlags(r));
    }
    return out;
  }

  uidBounds(folderId: number): { min: number | null; max: number | null; count: number } {
    const r = this.#get<{ mn: number | null; mx: number | null; n: number }>(
      'SELECT MIN(uid) AS mn, MAX(uid) AS mx, COUNT(uid) AS n FROM memberships WHERE folder_id = ? AND uid IS NOT NULL AND missing_since IS NULL',
      [folderId],
    );
    return { min: r?.mn ?? null, max: r?.mx ?? null, count: r?.n ?? 0 };
  }

  private toMessage(r: Record<string, SqlValue>): MessageRow {
    const data = r.data ? (JSON.parse(r.data as string) as Record<string, unknown>) : {};
    return {
      id: r.id as number,
      accountId: r.account_id as string,
      providerId: (r.provider_id as string) ?? null,
      messageId: (r.message_id as string) ?? null,
      threadKey: (r.thread_key as string) ?? null,
      subject: (r.subject as string) ?? '',
      fromName: (r.from_name as string) ?? '',
      fromAddr: (r.from_addr as string) ?? '',
      date: (r.date as number) ?? 0,
      size: (r.size as number) ?? 0,
      flags: joinFlags(r as { seen: number; flagged: number; answered: number; draft: number }, (data.keywords as string[]) ?? []),
      hasAttachments: r.has_attachments === 1,
      origin: r.origin as 'remote' | 'local',
      bodyBlob: (r.body_blob as string) ?? null,
      uid: (r.uid as number) ?? null,
      folderId: r.folder_id as number,
      data,
    };
  }

  /** A folder's messages, newest first, one page at a time. */
  listMessages(folderId: number, opts: { limit?: number; offset?: number } = {}): MessageRow[] {
    return this.#all(
      `SELECT m.*, ms.uid, ms.folder_id FROM memberships ms JOIN messages m ON m.id = ms.message_id
       WHERE ms.folder_id = ? AND ms.missing_since IS NULL
       ORDER BY ms.date DESC, m.id DESC LIMIT ? OFFSET ?`,
      [folderId, opts.limit ?? 100, opts.offset ?? 0],
    ).map((r) => this.toMessage(r));
  }

  getMessage(id: number, folderId?: number): MessageRow | undefined {
    const r = folderId
      ? this.#get('SELECT m.*, ms.uid, ms.folder_id FROM messages m JOIN memberships ms ON ms.message_id = m.id WHERE m.id = ? AND ms.folder_id = ?', [id, folderId])
      : this.#get('SELECT m.*, ms.uid, ms.folder_id FROM messages m LEFT JOIN memberships ms ON ms.message_id = m.id WHERE m.id = ? LIMIT 1', [id]);
    return r ? this.toMessage(r) : undefined;
  }

  getMessageByUid(folderId: number, uid: number): MessageRow | undefined {
    const r = this.#get('SELECT m.*, ms.uid, ms.folder_id FROM memberships ms JOIN messages m ON m.id = ms.message_id WHERE ms.folder_id = ? AND ms.uid = ?', [folderId, uid]);
    return r ? this.toMessage(r) : undefined;
  }

  setBody(messageId: number, raw: Buffer): string {
    const hash = this.blobs.put(raw);
    this.tx(() => {
      this.#run('UPDATE messages SET body_blob = ? WHERE id = ?', [hash, messageId]);
      this.pending.messages++;
    });
    return hash;
  }

  /** Local flag change (a task's local step). */
  setLocalFlags(messageId: number, flags: string[]): void {
    const fl = splitFlags(flags);
    this.tx(() => {
      this.#run('UPDATE messages SET seen = ?, flagged = ?, answered = ?, draft = ? WHERE id = ?', [fl.seen, fl.flagged, fl.answered, fl.draft, messageId]);
      for (const r of this.#all<{ folder_id: number }>('SELECT folder_id FROM memberships WHERE message_id = ?', [messageId])) this.pending.folders.add(r.folder_id);
      this.pending.messages++;
    });
  }

  /**
   * Local move (a task's local step): the membership goes to the target folder with
   * no UID; the next sync of the target adopts the server's copy by Message-ID.
   */
  moveLocal(messageId: number, fromFolder: number, toFolder: number): void {
    this.tx(() => {
      this.#run('DELETE FROM memberships WHERE folder_id = ? AND message_id = ?', [toFolder, messageId]);
      this.#run('UPDATE memberships SET folder_id = ?, uid = NULL, modseq = NULL, missing_since = NULL WHERE folder_id = ? AND message_id = ?', [toFolder, fromFolder, messageId]);
      this.pending.folders.add(fromFolder);
      this.pending.folders.add(toFolder);
      this.pending.messages++;
    });
  }

  /** Local delete: hidden at once, purged after the server confirms. */
  removeLocal(messageId: number, folderId: number): void {
    this.tx(() => {
      this.#run('UPDATE memberships SET missing_since = ? WHERE folder_id = ? AND message_id = ?', [Date.now(), folderId, messageId]);
      this.pending.folders.add(folderId);
      this.pending.messages++;
    });
  }

  /** Records a UID learned after a move (UIDPLUS COPYUID) for a pending membership. */
  setMembershipUid(folderId: number, messageId: number, uid: number, providerId: string): void {
    this.tx(() => {
      const clash = this.#get<{ message_id: number }>('SELECT message_id FROM memberships WHERE folder_id = ? AND uid = ?', [folderId, uid]);
      if (clash && clash.message_id !== messageId) return; // the sync got there first
      this.#run('UPDATE memberships SET uid = ? WHERE folder_id = ? AND message_id = ?', [uid, folderId, messageId]);
      this.#run(`UPDATE messages SET provider_id = ?, origin = 'remote' WHERE id = ?`, [providerId, messageId]);
      this.pending.folders.add(folderId);
    });
  }

  /** Inserts a local-only message (a Sent entry or draft) shown until the provider's copy replaces it. */
  insertLocalMessage(folderId: number, m: Omit<IncomingMessage, 'providerId' | 'uid'> & { bodyBlob?: string }): number {
    const folder = this.getFolderById(folderId);
    if (!folder) throw new MailError('folder.notFound', `folder ${folderId} is not in the store`);
    let id = 0;
    this.tx(() => {
      const fl = splitFlags(m.flags);
      this.#run(
        `INSERT INTO messages(account_id, provider_id, message_id, thread_key, subject, from_name, from_addr, date, size, seen, flagged, answered, draft, has_attachments, origin, body_blob, data)
         VALUES(?, NULL, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'local', ?, ?)`,
        [
          folder.accountId,
          m.messageId ?? null,
          m.threadKey ?? m.references?.[0] ?? m.inReplyTo ?? m.messageId ?? null,
          m.subject ?? '',
          m.from?.name ?? '',
          m.from?.address ?? '',
          m.date ?? Date.now(),
          m.size ?? 0,
          fl.seen,
          fl.flagged,
          fl.answered,
          fl.draft,
          m.hasAttachments ? 1 : 0,
          m.bodyBlob ?? null,
          JSON.stringify({ to: m.to ?? [], cc: m.cc ?? [], inReplyTo: m.inReplyTo, references: m.references }),
        ],
      );
      id = this.lastId();
      this.#run('INSERT INTO memberships(folder_id, message_id, uid, date) VALUES(?, ?, NULL, ?)', [folderId, id, m.date ?? Date.now()]);
      this.pending.folders.add(folderId);
      this.pending.messages++;
    });
    return id;
  }

  // ---- memberships by provider id (Gmail labels: one message, several folders) ----

  /** Which of these provider ids the account already holds (a known message is never downloaded again). */
  knownProviderIds(accountId: string, providerIds: string[]): Set<string> {
    const out = new Set<string>();
    for (const id of providerIds) if (this.#get('SELECT 1 FROM messages WHERE account_id = ? AND provider_id = ?', [accountId, id])) out.add(id);
    return out;
  }

  /**
   * Puts a known message (by provider id) in exactly `folderIds` among the `managed`
   * folders: missing memberships are added, those in other managed folders removed;
   * `flags`, when given, replace its flags. A message left in no folder is deleted.
   * Returns whether anything changed. No download: this is how a label change moves mail.
   */
  setMemberships(accountId: string, providerId: string, folderIds: number[], managed: number[], flags?: string[]): boolean {
    let changed = false;
    this.tx(() => {
      const m = this.#get<{ id: number; date: number; seen: number; flagged: number; answered: number; draft: number }>(
        'SELECT id, date, seen, flagged, answered, draft FROM messages WHERE account_id = ? AND provider_id = ?',
        [accountId, providerId],
      );
      if (!m) return;
      const want = new Set(folderIds);
      const have = new Set(this.#all<{ folder_id: number }>('SELECT folder_id FROM memberships WHERE message_id = ? AND missing_since IS NULL', [m.id]).map((r) => r.folder_id));
      for (const f of want) {
        if (have.has(f)) continue;
        this.#run(
          `INSERT INTO memberships(folder_id, message_id, uid, date) VALUES(?, ?, NULL, ?)
           ON CONFLICT(folder_id, message_id) DO UPDATE SET missing_since = NULL`,
          [f, m.id, m.date],
        );
        this.pending.folders.add(f);
        changed = true;
      }
      for (const f of managed) {
        if (want.has(f) || !have.has(f)) continue;
        this.#run('DELETE FROM memberships WHERE folder_id = ? AND message_id = ?', [f, m.id]);
        this.pending.folders.add(f);
        changed = true;
      }
      if (flags) {
        const fl = splitFlags(flags);
        if (fl.seen !== m.seen || fl.flagged !== m.flagged || fl.answered !== m.answered || fl.draft !== m.draft) {
          this.#run('UPDATE messages SET seen = ?, flagged = ?, answered = ?, draft = ? WHERE id = ?', [fl.seen, fl.flagged, fl.answered, fl.draft, m.id]);
          for (const f of want) this.pending.folders.add(f);
          changed = true;
        }
      }
      if (!this.#get('SELECT 1 FROM memberships WHERE message_id = ? LIMIT 1', [m.id])) {
        this.#run(`DELETE FROM messages WHERE id = ? AND origin = 'remote'`, [m.id]);
        changed = true;
      }
      if (changed) {
        this.pending.accounts.add(accountId);
        this.pending.messages++;
      }
    });
    return changed;
  }

  /** The server deleted these messages for good: their memberships and rows go. */
  removeByProviderId(accountId: string, providerIds: string[]): number {
    let n = 0;
    this.tx(() => {
      for (const pid of providerIds) {
        const m = this.#get<{ id: number; body_blob: string | null }>(`SELECT id, body_blob FROM messages WHERE account_id = ? AND provider_id = ? AND origin = 'remote'`, [accountId, pid]);
        if (!m) continue;
        for (const r of this.#all<{ folder_id: number }>('SELECT folder_id FROM memberships WHERE message_id = ?', [m.id])) this.pending.folders.add(r.folder_id);
        this.#run('DELETE FROM memberships WHERE message_id = ?', [m.id]);
        this.#run('DELETE FROM messages WHERE id = ?', [m.id]);
        if (m.body_blob && !this.#get('SELECT 1 FROM messages WHERE body_blob = ? LIMIT 1', [m.body_blob])) this.blobs.delete(m.body_blob);
        n++;
      }
      if (n) this.pending.messages += n;
    });
    return n;
  }

  /** Records the provider's own thread id (Gmail threadId) of messages known by provider id. */
  setProviderThreads(accountId: string, threads: Array<{ providerId: string; thread: string }>): void {
    for (const t of threads) this.#run('UPDATE messages SET provider_thread = ? WHERE account_id = ? AND provider_id = ? AND provider_thread IS NOT ?', [t.thread, accountId, t.providerId, t.thread]);
  }

  /** The provider thread id (Gmail threadId) of the newest stored message with one of these Message-IDs. */
  providerThreadOf(accountId: string, messageIds: string[]): string | undefined {
    for (const mid of [...messageIds].reverse()) {
      const r = this.#get<{ t: string }>('SELECT provider_thread AS t FROM messages WHERE account_id = ? AND message_id = ? AND provider_thread IS NOT NULL ORDER BY date DESC LIMIT 1', [accountId, mid]);
      if (r) return r.t;
    }
    return undefined;
  }

  /** The folder of a local-only entry (a Sent copy shown until the server's arrives) with this Message-ID. */
  localEntryFolder(accountId: string, messageId: string): number | undefined {
    return this.#get<{ folder_id: number }>(
      `SELECT ms.folder_id FROM messages m JOIN memberships ms ON ms.message_id = m.id
       WHERE m.account_id = ? AND m.message_id = ? AND m.origin = 'local' AND ms.uid IS NULL LIMIT 1`,
      [accountId, messageId],
    )?.folder_id;
  }

  /** Counts for the bench and Troubleshoot. */
  /**
   * Counts, and where the store keeps its pages (for the support report: "MailDesk is slow"
   * starts here). `saves`: 'disk' (a data folder), 'memory' (none: nothing is kept).
   */
  stats(): {
    accounts: number;
    folders: number;
    messages: number;
    memberships: number;
    bytes: number;
    saves: 'disk' | 'memory';
    lastCommit: string | null;
  } {
    const n = (sql: string) => this.#get<{ n: number }>(sql)?.n ?? 0;
    const pages = n('SELECT page_count * page_size AS n FROM pragma_page_count(), pragma_page_size()');
    const l = this.lastCommitAt;
    return {
      accounts: n('SELECT COUNT(*) AS n FROM accounts'),
      folders: n('SELECT COUNT(*) AS n FROM folders'),
      messages: n('SELECT COUNT(*) AS n FROM messages'),
      memberships: n('SELECT COUNT(*) AS n FROM memberships'),
      bytes: pages,
      saves: this.disk ? 'disk' : 'memory',
      lastCommit: l ? new Date(l).toISOString() : null,
    };
  }

  // ---- jobs and tasks (jobs.ts) -------------------------------------------

  ensureJob(id: string, accountId: string, folderId: number | null, kind: JobKind, nextRun: number): JobRow {
    return this.jobs.ensure(id, accountId, folderId, kind, nextRun);
  }

  getJob(id: string): JobRow | undefined {
    return this.jobs.get(id);
  }

  listJobs(accountId?: string): JobRow[] {
    return this.jobs.list(accountId);
  }

  updateJob(id: string, patch: Parameters<JobsTable['update']>[1]): void {
    this.jobs.update(id, patch);
  }

  deleteJobs(where: { accountId: string; folderId?: number }): void {
    this.jobs.delete(where);
  }

  enqueueTask(accountId: string, kind: string, payload: Record<string, unknown>): number {
    return this.jobs.enqueueTask(accountId, kind, payload);
  }

  /** How the account's tasks after `sinceTaskId` stand (a CLI action reports what became of its own). */
  taskOutcomesSince(accountId: string, sinceTaskId: number): Array<{ kind: string; status: string; error: string | null }> {
    return this.jobs.taskOutcomesSince(accountId, sinceTaskId);
  }

  /** The newest task id (0 with none). */
  lastTaskId(): number {
    return this.jobs.lastTaskId();
  }

  pendingTasks(accountId: string): TaskRow[] {
    return this.jobs.pendingTasks(accountId);
  }

  finishTask(id: number, status: 'done' | 'failed' | 'pending', error: string | null = null): void {
    this.jobs.finishTask(id, status, error);
  }

  // ---- messages: what arrived, where a Message-ID is -------------------------

  /** The newest message id present in a folder (0 when empty): what "new since" is measured from. */
  newestMessageId(folderId: number): number {
    return this.#get<{ id: number }>('SELECT COALESCE(MAX(message_id), 0) AS id FROM memberships WHERE folder_id = ? AND missing_since IS NULL', [folderId])?.id ?? 0;
  }

  /** Unread mail from the server that arrived in a folder after `afterMessageId`, newest first. */
  unreadArrivedAfter(folderId: number, afterMessageId: number, limit = 20): Array<{ fromName: string; fromAddr: string; subject: string }> {
    return this.#all<{ from_name: string; from_addr: string; subject: string }>(
      `SELECT m.from_name, m.from_addr, m.subject FROM memberships ms JOIN messages m ON m.id = ms.message_id
       WHERE ms.folder_id = ? AND ms.message_id > ? AND ms.missing_since IS NULL AND m.seen = 0 AND m.origin = 'remote' ORDER BY ms.date DESC LIMIT ?`,
      [folderId, afterMessageId, limit],
    ).map((r) => ({ fromName: r.from_name, fromAddr: r.from_addr, subject: r.subject }));
  }

  /** Where a Message-ID is held in an account (one folder, or every folder it is in). */
  membershipsByMessageId(accountId: string, messageId: string, folderId?: number): Array<{ messageId: number; folderId: number }> {
    const bare = messageId.trim().replace(/^<|>$/g, '');
    return this.#all<{ id: number; folder_id: number }>(
      `SELECT m.id, ms.folder_id FROM messages m JOIN memberships ms ON ms.message_id = m.id
       WHERE m.account_id = ? AND lower(trim(m.message_id, '<> ')) = lower(?) AND ms.missing_since IS NULL ${folderId !== undefined ? 'AND ms.folder_id = ?' : ''}`,
      folderId !== undefined ? [accountId, bare, folderId] : [accountId, bare],
    ).map((r) => ({ messageId: r.id, folderId: r.folder_id }));
  }
}
