/**
 * The reads behind the agent mailbox (src/core/agent/mailbox.ts): its search over the local
 * index with every filter, its unread lists, and the folder a message is best shown in.
 * Rows keep the columns' names: the mailbox turns them into its plain JSON.
 */
import type { SqlValue } from 'sql.js';
import type { StoreSql } from './sql';
import { marks } from './sql';

export interface AgentFilter {
  /** Only these messages (what a server search found), or a full-text MATCH expression. */
  ids?: number[];
  match?: string;
  accountIds: string[];
  /** Dates in ms: from `after` on, before `before`. */
  after?: number;
  before?: number;
  unread?: boolean;
  flagged?: boolean;
  hasAttachment?: boolean;
  /** Only mail in these folders; without it, every folder but those with `hiddenRoles`. */
  folderIds?: number[];
  hiddenRoles: string[];
}

/** A message as the agent lists it: id, account_id, subject, from_name, from_addr, date, seen, flagged, has_attachments, data, snip, folder_path. */
export type AgentRow = Record<string, SqlValue>;

export class AgentQueries {
  constructor(private readonly sql: StoreSql) {}

  /** The folder a message is best shown in: Inbox first, Trash and Spam last. */
  bestFolder(messageId: number): number | undefined {
    return this.sql.get<{ folder_id: number }>(
      `SELECT ms.folder_id FROM memberships ms LEFT JOIN folders f ON f.id = ms.folder_id
       WHERE ms.message_id = ? AND ms.missing_since IS NULL
       ORDER BY CASE f.role WHEN 'inbox' THEN 0 WHEN 'trash' THEN 3 WHEN 'junk' THEN 3 ELSE 1 END, ms.uid IS NULL, ms.folder_id LIMIT 1`,
      [messageId],
    )?.folder_id;
  }

  /**
   * Messages matching the filter, newest first, at most `limit`. Two steps: the matching ids
   * first (cheap even when thousands match), then snippets and folders for the page only;
   * computing `snippet()` for every match cost 14 s on 10k messages.
   */
  find(f: AgentFilter, limit: number): AgentRow[] {
    const params: SqlValue[] = [];
    const where: string[] = [];
    if (f.ids) {
      if (!f.ids.length) return [];
      where.push(`m.id IN (${marks(f.ids.length)})`);
      params.push(...f.ids);
    } else if (f.match) {
      // As a subquery, so SQLite runs the full-text query once (a join ran it once per message).
      where.push('m.id IN (SELECT docid FROM message_fts WHERE message_fts MATCH ?)');
      params.push(f.match);
    }
    where.push(`m.account_id IN (${marks(f.accountIds.length)})`);
    params.push(...f.accountIds);
    if (f.after !== undefined) {
      where.push('m.date >= ?');
      params.push(f.after);
    }
    if (f.before !== undefined) {
      where.push('m.date < ?');
      params.push(f.before);
    }
    if (f.unread !== undefined) where.push(f.unread ? 'm.seen = 0' : 'm.seen = 1');
    if (f.flagged) where.push('m.flagged = 1');
    if (f.hasAttachment) where.push('m.has_attachments = 1');
    const inFolders = f.folderIds ?? [];
    const folderFilter = f.folderIds
      ? `ms.folder_id IN (${inFolders.map(() => '?').join(',') || 'NULL'})`
      : `(f.role IS NULL OR f.role NOT IN (${f.hiddenRoles.map((r) => `'${r}'`).join(',')}))`;
    const membership = `SELECT ms.folder_id FROM memberships ms JOIN folders f ON f.id = ms.folder_id
      WHERE ms.message_id = m.id AND ms.missing_since IS NULL AND ${folderFilter}
      ORDER BY CASE f.role WHEN 'inbox' THEN 0 ELSE 1 END, ms.folder_id LIMIT 1`;
    const ids = this.sql
      .all<{ id: number }>(`SELECT m.id FROM messages m WHERE ${where.join(' AND ')} AND EXISTS (${membership}) ORDER BY m.date DESC, m.id DESC LIMIT ?`, [...params, ...inFolders, limit])
      .map((r) => r.id);
    if (!ids.length) return [];
    const list = marks(ids.length);
    const rows = this.sql.all<AgentRow>(
      `SELECT m.id, m.account_id, m.subject, m.from_name, m.from_addr, m.date, m.seen, m.flagged, m.has_attachments, m.data,
              COALESCE(substr(fts.body, 1, 240), json_extract(CASE WHEN json_valid(m.data) THEN m.data ELSE '{}' END, '$.snippet'), '') AS snip,
              (SELECT path FROM folders WHERE id = (${membership})) AS folder_path
       FROM messages m LEFT JOIN message_fts fts ON fts.docid = m.id
       WHERE m.id IN (${list}) ORDER BY m.date DESC, m.id DESC`,
      [...inFolders, ...ids],
    );
    if (f.match && !f.ids) {
      // Words around the match, for the page only.
      const snips = new Map(
        this.sql
          .all<{ docid: number; snip: string }>(`SELECT docid, snippet(message_fts, '', '', '…', -1, 16) AS snip FROM message_fts WHERE message_fts MATCH ? AND docid IN (${list})`, [f.match, ...ids])
          .map((r) => [r.docid, r.snip]),
      );
      for (const r of rows) if (snips.get(r.id as number)) r.snip = snips.get(r.id as number)!;
    }
    return rows;
  }

  /** Unread messages shown in a folder. */
  unreadCount(folderId: number): number {
    return (
      this.sql.get<{ n: number }>(
        `SELECT COUNT(*) AS n FROM memberships ms JOIN messages m ON m.id = ms.message_id WHERE ms.folder_id = ? AND ms.missing_since IS NULL AND m.seen = 0`,
        [folderId],
      )?.n ?? 0
    );
  }

  /** A folder's newest unread messages, `folderPath` given as their folder. */
  unreadPage(folderId: number, folderPath: string, limit: number): AgentRow[] {
    return this.sql.all<AgentRow>(
      `SELECT m.id, m.account_id, m.subject, m.from_name, m.from_addr, m.date, m.seen, m.flagged, m.has_attachments, ? AS folder_path,
              COALESCE(json_extract(CASE WHEN json_valid(m.data) THEN m.data ELSE '{}' END, '$.snippet'), '') AS snip
       FROM memberships ms JOIN messages m ON m.id = ms.message_id
       WHERE ms.folder_id = ? AND ms.missing_since IS NULL AND m.seen = 0
       ORDER BY ms.date DESC, m.id DESC LIMIT ?`,
      [folderPath, folderId, limit],
    );
  }
}
