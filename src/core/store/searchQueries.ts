/**
 * Local search's read (src/core/search/search.ts): messages matching an FTS4 MATCH expression,
 * newest first, each with the folder it is shown in and a few words of context. Building the
 * expression from what the user typed, and catching the index up first, is search.ts's part.
 */
import type { SqlValue } from 'sql.js';
import type { StoreSql } from './sql';

/** One match as stored; `folderId` is null for a message in no live folder (deleted, waiting to be purged). */
export interface FullTextRow {
  id: number;
  accountId: string;
  subject: string | null;
  fromName: string | null;
  fromAddr: string | null;
  date: number | null;
  seen: number;
  threadKey: string;
  snippet: string | null;
  folderId: number | null;
}

export class SearchQueries {
  constructor(private readonly sql: StoreSql) {}

  /**
   * Messages matching `match` (an FTS4 MATCH expression), newest first, at most `limit`. The
   * folder of a hit is where it is best shown: Inbox first, Trash and Junk last.
   */
  fullText(match: string, opts: { accountId?: string; limit: number }): FullTextRow[] {
    const params: SqlValue[] = [match];
    let accountFilter = '';
    if (opts.accountId) {
      accountFilter = 'AND m.account_id = ?';
      params.push(opts.accountId);
    }
    params.push(opts.limit);
    return this.sql
      .all<Record<string, SqlValue>>(
        `SELECT m.id, m.account_id, m.subject, m.from_name, m.from_addr, m.date, m.seen, COALESCE(m.thread_key, '#' || m.id) AS tk,
            snippet(message_fts, '', '', '…', -1, 12) AS snip,
            (SELECT ms.folder_id FROM memberships ms LEFT JOIN folders f ON f.id = ms.folder_id
              WHERE ms.message_id = m.id AND ms.missing_since IS NULL
              ORDER BY CASE f.role WHEN 'inbox' THEN 0 WHEN 'trash' THEN 3 WHEN 'junk' THEN 3 ELSE 1 END, ms.folder_id LIMIT 1) AS folder_id
     FROM message_fts JOIN messages m ON m.id = message_fts.docid
     WHERE message_fts MATCH ? ${accountFilter}
     ORDER BY m.date DESC LIMIT ?`,
        params,
      )
      .map((r) => ({
        id: r.id as number,
        accountId: r.account_id as string,
        subject: r.subject as string | null,
        fromName: r.from_name as string | null,
        fromAddr: r.from_addr as string | null,
        date: r.date as number | null,
        seen: r.seen as number,
        threadKey: r.tk as string,
        snippet: r.snip as string | null,
        folderId: (r.folder_id as number | null | undefined) ?? null,
      }));
  }
}
