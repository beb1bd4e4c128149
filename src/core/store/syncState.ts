/** The `folder_sync` table: where each folder's sync stands (UIDVALIDITY, cursors, fill and backfill). */
import type { StoreSql } from './sql';

export interface FolderSyncState {
  uidValidity: string | null;
  uidNext: number | null;
  highestModseq: string | null;
  backfillCursor: string | null;
  fillDone: boolean;
  backfillDone: boolean;
  deepBackfill: boolean;
  cursor: string | null;
  lastSyncAt: number | null;
  resetCount: number;
  lastResetAt: number | null;
}

export class SyncStateTable {
  constructor(private readonly sql: StoreSql) {}

  get(folderId: number): FolderSyncState {
    const r = this.sql.get('SELECT * FROM folder_sync WHERE folder_id = ?', [folderId]);
    return {
      uidValidity: (r?.uidvalidity as string) ?? null,
      uidNext: (r?.uidnext as number) ?? null,
      highestModseq: (r?.highestmodseq as string) ?? null,
      backfillCursor: (r?.backfill_cursor as string) ?? null,
      fillDone: r?.fill_done === 1,
      backfillDone: r?.backfill_done === 1,
      deepBackfill: r?.deep_backfill === 1,
      cursor: (r?.cursor as string) ?? null,
      lastSyncAt: (r?.last_sync_at as number) ?? null,
      resetCount: (r?.reset_count as number) ?? 0,
      lastResetAt: (r?.last_reset_at as number) ?? null,
    };
  }

  /** Saved in the caller's transaction, with the messages it describes. */
  save(folderId: number, patch: Partial<FolderSyncState>): void {
    const s = { ...this.get(folderId), ...patch };
    this.sql.tx(() => {
      this.sql.run(
        `INSERT INTO folder_sync(folder_id, uidvalidity, uidnext, highestmodseq, backfill_cursor, fill_done, backfill_done, deep_backfill, cursor, last_sync_at, reset_count, last_reset_at)
         VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT(folder_id) DO UPDATE SET uidvalidity = excluded.uidvalidity, uidnext = excluded.uidnext, highestmodseq = excluded.highestmodseq,
           backfill_cursor = excluded.backfill_cursor, fill_done = excluded.fill_done, backfill_done = excluded.backfill_done, deep_backfill = excluded.deep_backfill,
           cursor = excluded.cursor, last_sync_at = excluded.last_sync_at, reset_count = excluded.reset_count, last_reset_at = excluded.last_reset_at`,
        [
          folderId,
          s.uidValidity,
          s.uidNext,
          s.highestModseq,
          s.backfillCursor,
          s.fillDone ? 1 : 0,
          s.backfillDone ? 1 : 0,
          s.deepBackfill ? 1 : 0,
          s.cursor,
          s.lastSyncAt,
          s.resetCount,
          s.lastResetAt,
        ],
      );
      this.sql.pending.folders.add(folderId);
    });
  }
}
