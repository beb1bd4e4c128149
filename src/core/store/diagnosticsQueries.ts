/**
 * Counts the Troubleshoot checks read from the store (src/core/diagnostics/checks): how
 * memberships, local entries and server copies stand in a folder. Reads only.
 */
import type { StoreSql } from './sql';
import { marks } from './sql';

export class DiagnosticsQueries {
  constructor(private readonly sql: StoreSql) {}

  private count(q: string, params: Array<string | number>): number {
    return this.sql.get<{ n: number }>(q, params)?.n ?? 0;
  }

  /** Messages of a folder that are copies of server mail (local Sent entries and drafts not counted). */
  serverCopiesIn(folderId: number): number {
    return this.count(
      `SELECT COUNT(*) AS n FROM memberships ms JOIN messages m ON m.id = ms.message_id
       WHERE ms.folder_id = ? AND ms.missing_since IS NULL AND (ms.uid IS NOT NULL OR m.origin = 'remote')`,
      [folderId],
    );
  }

  /** Local entries (sent here, no server copy yet) in a folder dated from `since` on. */
  localEntriesSince(folderId: number, since: number): number {
    return this.count(
      `SELECT COUNT(*) AS n FROM memberships ms JOIN messages m ON m.id = ms.message_id
       WHERE ms.folder_id = ? AND ms.missing_since IS NULL AND m.origin = 'local' AND ms.uid IS NULL AND ms.date >= ?`,
      [folderId, since],
    );
  }

  /** Local entries in a folder dated before `before`: the server's copy never arrived. */
  localEntriesBefore(folderId: number, before: number): number {
    return this.count(
      `SELECT COUNT(*) AS n FROM memberships ms JOIN messages m ON m.id = ms.message_id
       WHERE ms.folder_id = ? AND ms.uid IS NULL AND m.origin = 'local' AND ms.missing_since IS NULL AND ms.date < ?`,
      [folderId, before],
    );
  }

  /** Local entries of a folder shown beside the provider's copy of the same Message-ID (a swap that left both). */
  localEntriesBesideServerCopy(folderId: number): number {
    return this.count(
      `SELECT COUNT(*) AS n FROM memberships lm JOIN messages l ON l.id = lm.message_id
       WHERE lm.folder_id = ? AND lm.missing_since IS NULL AND l.origin = 'local' AND l.message_id IS NOT NULL
         AND EXISTS (SELECT 1 FROM memberships rm JOIN messages r ON r.id = rm.message_id
                     WHERE rm.folder_id = lm.folder_id AND rm.missing_since IS NULL AND r.origin = 'remote' AND r.message_id = l.message_id)`,
      [folderId],
    );
  }

  /** Messages in more than one of these folders (Gmail labels). */
  inSeveralFolders(folderIds: number[]): number {
    if (!folderIds.length) return 0;
    return this.count(
      `SELECT COUNT(*) AS n FROM (SELECT message_id FROM memberships WHERE folder_id IN (${marks(folderIds.length)}) AND missing_since IS NULL GROUP BY message_id HAVING COUNT(*) > 1)`,
      folderIds,
    );
  }

  /** The paths, among these folders, of one message that is in several of them. */
  foldersOfOneShared(folderIds: number[]): string[] {
    if (!folderIds.length) return [];
    const m = marks(folderIds.length);
    return this.sql
      .all<{ path: string }>(
        `SELECT f.path FROM memberships ms JOIN folders f ON f.id = ms.folder_id
         WHERE ms.message_id = (SELECT message_id FROM memberships WHERE folder_id IN (${m}) AND missing_since IS NULL GROUP BY message_id HAVING COUNT(*) > 1 LIMIT 1)
           AND ms.folder_id IN (${m}) ORDER BY f.path`,
        [...folderIds, ...folderIds],
      )
      .map((r) => r.path);
  }

  /** Folders, among these, that hold the same Message-ID twice, and how many such Message-IDs. */
  duplicatesPerFolder(folderIds: number[]): Array<{ path: string; n: number }> {
    if (!folderIds.length) return [];
    return this.sql.all<{ path: string; n: number }>(
      `SELECT f.path AS path, COUNT(*) AS n FROM (
         SELECT ms.folder_id, m.message_id FROM memberships ms JOIN messages m ON m.id = ms.message_id
         WHERE ms.folder_id IN (${marks(folderIds.length)}) AND ms.missing_since IS NULL AND m.message_id IS NOT NULL
         GROUP BY ms.folder_id, m.message_id HAVING COUNT(*) > 1) d JOIN folders f ON f.id = d.folder_id GROUP BY f.path`,
      folderIds,
    );
  }
}
