/**
 * What the store's concern modules (settings.ts, folders.ts, jobs.ts, drafts.ts, outbox.ts…)
 * use of its database. MailStore makes one and hands it to each of them; code outside
 * src/core/store never gets one, so the tables stay behind named methods. A write runs in
 * `tx` and records what it changed in `pending`: the store announces that in one change
 * event after the outermost commit, as for its own writes.
 */
import type { SqlValue } from 'sql.js';
import type { StoreChange } from './store';

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
