/**
 * The `bridge_links` table (schema migration 5): an e-mail, by normalised Message-ID, linked
 * to a record in another system. src/core/bridges/links.ts keeps the rules around it.
 */
import type { StoreSql } from './sql';
import { marks } from './sql';

/** A record as the link keeps it (BridgeRecord in src/core/bridges). */
export interface LinkedRecord {
  model: string;
  id: string | number;
  name?: string;
  url?: string;
}

/** One record linked from some of the given e-mails, with the counts the thread view shows. */
export interface LinkedRecordRow {
  bridge: string;
  model: string;
  recordId: string;
  recordName: string | null;
  url: string | null;
  state: string;
  /** Of the given e-mails, how many link to it. */
  inThread: number;
  /** E-mails of the account linked to it. */
  emails: number;
}

export class BridgeLinksTable {
  constructor(private readonly sql: StoreSql) {}

  add(accountId: string, messageId: string, bridge: string, records: LinkedRecord[], now: number): void {
    this.sql.tx(() => {
      for (const r of records) {
        this.sql.run(
          `INSERT INTO bridge_links(account_id, message_id, bridge, model, record_id, record_name, url, state, created_at, checked_at)
           VALUES(?, ?, ?, ?, ?, ?, ?, 'ok', ?, ?)
           ON CONFLICT(account_id, message_id, bridge, model, record_id) DO UPDATE SET record_name = excluded.record_name, url = excluded.url, state = 'ok', checked_at = excluded.checked_at`,
          [accountId, messageId, bridge, r.model, String(r.id), r.name ?? null, r.url ?? null, now, now],
        );
      }
    });
  }

  /** The records these e-mails (normalised Message-IDs) link to; newest link first. */
  recordsOf(accountId: string, messageIds: string[]): LinkedRecordRow[] {
    if (!messageIds.length) return [];
    return this.sql
      .all<{ bridge: string; model: string; record_id: string; record_name: string | null; url: string | null; state: string; in_thread: number; emails: number }>(
        `SELECT l.bridge, l.model, l.record_id, MAX(l.record_name) AS record_name, MAX(l.url) AS url, MIN(l.state) AS state, COUNT(DISTINCT l.message_id) AS in_thread,
                (SELECT COUNT(DISTINCT x.message_id) FROM bridge_links x WHERE x.account_id = l.account_id AND x.model = l.model AND x.record_id = l.record_id) AS emails
         FROM bridge_links l WHERE l.account_id = ? AND l.message_id IN (${marks(messageIds.length)})
         GROUP BY l.bridge, l.model, l.record_id ORDER BY MAX(l.created_at) DESC, l.record_id DESC`,
        [accountId, ...messageIds],
      )
      .map((r) => ({
        bridge: r.bridge,
        model: r.model,
        recordId: r.record_id,
        recordName: r.record_name,
        url: r.url,
        state: r.state,
        inThread: Number(r.in_thread),
        emails: Number(r.emails),
      }));
  }

  /** Applies what the other system says now about linked records (names, deleted ones). */
  updateRecords(accountId: string, records: Array<LinkedRecord & { gone?: boolean }>, now: number): void {
    this.sql.tx(() => {
      for (const r of records) {
        this.sql.run(`UPDATE bridge_links SET record_name = COALESCE(?, record_name), state = ?, checked_at = ? WHERE account_id = ? AND model = ? AND record_id = ?`, [
          r.name ?? null,
          r.gone ? 'gone' : 'ok',
          now,
          accountId,
          r.model,
          String(r.id),
        ]);
      }
    });
  }

  /** The account's links, how many were not checked since `checkedBefore`, and the oldest check (Troubleshoot). */
  staleness(accountId: string, checkedBefore: number): { n: number; stale: number; oldest: number | null } | undefined {
    return this.sql.get<{ n: number; stale: number; oldest: number | null }>(
      `SELECT COUNT(*) AS n, COALESCE(SUM(CASE WHEN checked_at IS NULL OR checked_at < ? THEN 1 ELSE 0 END), 0) AS stale, MIN(COALESCE(checked_at, created_at)) AS oldest FROM bridge_links WHERE account_id = ?`,
      [checkedBefore, accountId],
    );
  }
}
