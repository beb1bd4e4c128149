/**
 * Bridge links kept locally (schema migration 5): an e-mail, by Message-ID, linked to a
 * record. The thread view lists a thread's records with how many e-mails link to each.
 */
import type { SqlValue } from 'sql.js';
import type { MailStore } from '../store/store';
import { threadMessages } from '../threads/threads';
import type { BridgeRecord } from './bridge';

export interface LinkSummary extends BridgeRecord {
  bridge: string;
  state: 'ok' | 'gone';
  /** E-mails of this account linked to the record (the record's "smart button" count). */
  emails: number;
  /** Of those, how many are in this thread. */
  inThread: number;
}

export function normMessageId(id: string | null | undefined, rowId: number): string {
  const v = (id ?? '').trim().replace(/^<|>$/g, '').toLowerCase();
  return v || `#${rowId}`;
}

export function addLinks(store: MailStore, accountId: string, messageId: string, bridge: string, records: BridgeRecord[], now = Date.now()): void {
  store.tx(() => {
    for (const r of records) {
      store.run(
        `INSERT INTO bridge_links(account_id, message_id, bridge, model, record_id, record_name, url, state, created_at, checked_at)
         VALUES(?, ?, ?, ?, ?, ?, ?, 'ok', ?, ?)
         ON CONFLICT(account_id, message_id, bridge, model, record_id) DO UPDATE SET record_name = excluded.record_name, url = excluded.url, state = 'ok', checked_at = excluded.checked_at`,
        [accountId, messageId, bridge, r.model, String(r.id), r.name ?? null, r.url ?? null, now, now],
      );
    }
  });
}

function threadIds(store: MailStore, accountId: string, threadKey: string): string[] {
  return [...new Set(threadMessages(store, accountId, threadKey).map((m) => normMessageId(m.messageId, m.id)))];
}

/** The records this thread is linked to, with counts; newest link first. */
export function threadLinks(store: MailStore, accountId: string, threadKey: string): LinkSummary[] {
  const ids = threadIds(store, accountId, threadKey);
  if (!ids.length) return [];
  const marks = ids.map(() => '?').join(',');
  return store
    .all<{ bridge: string; model: string; record_id: string; record_name: string | null; url: string | null; state: string; in_thread: number; emails: number }>(
      `SELECT l.bridge, l.model, l.record_id, MAX(l.record_name) AS record_name, MAX(l.url) AS url, MIN(l.state) AS state, COUNT(DISTINCT l.message_id) AS in_thread,
              (SELECT COUNT(DISTINCT x.message_id) FROM bridge_links x WHERE x.account_id = l.account_id AND x.model = l.model AND x.record_id = l.record_id) AS emails
       FROM bridge_links l WHERE l.account_id = ? AND l.message_id IN (${marks})
       GROUP BY l.bridge, l.model, l.record_id ORDER BY MAX(l.created_at) DESC, l.record_id DESC`,
      [accountId, ...ids] as SqlValue[],
    )
    .map((r) => ({
      bridge: r.bridge,
      model: r.model,
      id: r.record_id,
      name: r.record_name ?? undefined,
      url: r.url ?? undefined,
      state: r.state === 'gone' ? 'gone' : 'ok',
      emails: Number(r.emails),
      inThread: Number(r.in_thread),
    }));
}

/** Applies what the other system says now about linked records (names, deleted ones). */
export function updateLinkedRecords(store: MailStore, accountId: string, records: Array<BridgeRecord & { gone?: boolean }>, now = Date.now()): void {
  store.tx(() => {
    for (const r of records) {
      store.run(`UPDATE bridge_links SET record_name = COALESCE(?, record_name), state = ?, checked_at = ? WHERE account_id = ? AND model = ? AND record_id = ?`, [
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
