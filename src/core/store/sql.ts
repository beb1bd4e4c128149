/**
 * What the store's concern modules (settings.ts, folders.ts, jobs.ts, drafts.ts, outbox.ts…)
 * use of its database. MailStore makes one and hands it to each of them; code outside
 * src/core/store never gets one, so the tables stay behind named methods. A write runs in
 * `tx` and records what it changed in `pending`: the store announces that in one change
 * event after the outermost commit, as for its own writes.
 *
 * This module is the only way to a store's raw SQL (MailStore's own run/all/get are
 * `#private`): test/unit/store-boundary.test.ts fails when a file outside src/core/store
 * imports it, but for the one test helper it names.
 */
import type { SqlValue } from 'sql.js';
import type { MailStore, StoreChange } from './store';

export interface StoreSql {
  run(sql: string, params?: SqlValue[]): void;
  all<T = Record<string, SqlValue>>(sql: string, params?: SqlValue[]): T[];
  get<T = Record<string, SqlValue>>(sql: string, params?: SqlValue[]): T | undefined;
  /** The rowid of the last INSERT. */
  lastId(): number;
  tx<T>(fn: () => T): T;
  /** What the current transaction changed, announced after its commit. */
  readonly pending: StoreChange;
}

/** `?, ?, ?` for a list of parameters. */
export function marks(n: number): string {
  return Array.from({ length: n }, () => '?').join(',');
}

/** Each open store's SQL, set once by its constructor. Weak: a closed store is not kept alive. */
const handles = new WeakMap<MailStore, StoreSql>();

/** Called by MailStore's constructor only. */
export function registerStoreSql(store: MailStore, sql: StoreSql): void {
  handles.set(store, sql);
}

/** The SQL of a store, for the free-function modules of src/core/store (bodies.ts). */
export function storeSql(store: MailStore): StoreSql {
  const sql = handles.get(store);
  if (!sql) throw new Error('not a MailStore');
  return sql;
}
