/**
 * The reads behind the thread views (src/core/threads/threads.ts): a folder's threads a page
 * at a time, how many there are, and the memberships of one thread across the account's
 * folders. A thread is the messages under one `thread_key`; a message with none is a thread
 * of its own, keyed `#<id>`. Grouping and choosing which copy to show is threads.ts's part.
 */
import type { SqlValue } from 'sql.js';
import type { StoreSql } from './sql';

/** One membership of a thread's message, as threadMessages groups them. */
export interface ThreadMemberRow {
  id: number;
  folderId: number;
  uid: number | null;
  role: string | null;
  /** The body blob's hash, null before the body is fetched. */
  blob: string | null;
  /** The Message-ID, lower-case and without its brackets. */
  mid: string | null;
  date: number;
}

function keyExpr(alias: string): string {
  return `COALESCE(${alias}.thread_key, '#' || ${alias}.id)`;
}

export class ThreadQueries {
  constructor(private readonly sql: StoreSql) {}

  /** A page of the folder's threads, newest activity first: each thread's key and its newest message there. */
  page(folderId: number, limit: number, offset: number): Array<{ threadKey: string; newestId: number }> {
    return this.sql
      .all<{ tk: string; newest_id: number }>(
        `SELECT tk, newest_id FROM (
       SELECT ${keyExpr('m')} AS tk, m.id AS newest_id, ms.date AS d,
              ROW_NUMBER() OVER (PARTITION BY ${keyExpr('m')} ORDER BY ms.date DESC, m.id DESC) AS rn
       FROM memberships ms JOIN messages m ON m.id = ms.message_id
       WHERE ms.folder_id = ? AND ms.missing_since IS NULL)
     WHERE rn = 1 ORDER BY d DESC, newest_id DESC LIMIT ? OFFSET ?`,
        [folderId, limit, offset],
      )
      .map((r) => ({ threadKey: r.tk, newestId: r.newest_id }));
  }

  /** How many threads have mail in the folder. */
  count(folderId: number): number {
    return (
      this.sql.get<{ n: number }>(
        `SELECT COUNT(DISTINCT ${keyExpr('m')}) AS n FROM memberships ms JOIN messages m ON m.id = ms.message_id
       WHERE ms.folder_id = ? AND ms.missing_since IS NULL`,
        [folderId],
      )?.n ?? 0
    );
  }

  /**
   * Every live membership of the thread's messages in the account, oldest message first. A
   * key `#<id>` is the one message with that id.
   */
  members(accountId: string, threadKey: string): ThreadMemberRow[] {
    const single = /^#(\d+)$/.exec(threadKey);
    return this.sql
      .all<Omit<ThreadMemberRow, 'folderId'> & { folder_id: number }>(
        `SELECT m.id, ms.folder_id, ms.uid, f.role, m.body_blob AS blob, lower(trim(m.message_id, '<> ')) AS mid, m.date
     FROM messages m JOIN memberships ms ON ms.message_id = m.id JOIN folders f ON f.id = ms.folder_id
     WHERE m.account_id = ? AND ${single ? 'm.id = ?' : 'm.thread_key = ?'} AND ms.missing_since IS NULL
     ORDER BY m.date ASC, m.id ASC`,
        [accountId, (single ? Number(single[1]) : threadKey) as SqlValue],
      )
      .map(({ folder_id, ...r }) => ({ ...r, folderId: folder_id }));
  }
}
