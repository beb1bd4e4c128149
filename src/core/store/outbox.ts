/**
 * The `outbox` table: each message handed to the outgoing server, and its fate (sending,
 * sent, failed, may have been sent), keyed by account and Message-ID so a message is
 * never sent twice. Troubleshoot reads the failures from here.
 */
import type { StoreSql } from './sql';

export interface OutboxEntry {
  id: number;
  status: string;
  /** The connection was lost after the message was handed over. */
  maybeSent: boolean;
  sentAt: number | null;
}

/** A send that failed or is being retried after an error (Troubleshoot's drafts.unsent). */
export interface OutboxProblem {
  id: number;
  status: string;
  attempts: number;
  errorCode: string | null;
  errorMessage: string | null;
  createdAt: number;
}

export class OutboxTable {
  constructor(private readonly sql: StoreSql) {}

  get(accountId: string, messageId: string): OutboxEntry | undefined {
    const r = this.sql.get<{ id: number; status: string; maybe_sent: number; sent_at: number | null }>(
      'SELECT id, status, maybe_sent, sent_at FROM outbox WHERE account_id = ? AND message_id = ?',
      [accountId, messageId],
    );
    return r ? { id: r.id, status: r.status, maybeSent: !!r.maybe_sent, sentAt: r.sent_at } : undefined;
  }

  /** Whether the last send of this message lost its answer after handing it over. */
  maybeSent(accountId: string, messageId: string): boolean {
    return this.sql.get<{ maybe_sent: number }>('SELECT maybe_sent FROM outbox WHERE account_id = ? AND message_id = ?', [accountId, messageId])?.maybe_sent === 1;
  }

  /** Recorded before the first byte goes out (a crash from here on reads as "maybe sent"); a resend starts afresh. */
  markSending(accountId: string, messageId: string, rawBlob: string, draftId: number, now: number): void {
    this.sql.tx(() =>
      this.sql.run(
        `INSERT INTO outbox(account_id, message_id, raw_blob, status, attempts, created_at, updated_at, draft_id, maybe_sent)
         VALUES(?, ?, ?, 'sending', 0, ?, ?, ?, 0)
         ON CONFLICT(account_id, message_id) DO UPDATE SET raw_blob = excluded.raw_blob, status = 'sending', error_code = NULL, error_message = NULL,
           maybe_sent = 0, updated_at = excluded.updated_at, draft_id = excluded.draft_id`,
        [accountId, messageId, rawBlob, now, now, draftId],
      ),
    );
  }

  countAttempt(accountId: string, messageId: string): void {
    this.sql.tx(() => this.sql.run('UPDATE outbox SET attempts = attempts + 1 WHERE account_id = ? AND message_id = ?', [accountId, messageId]));
  }

  markFailed(id: number, code: string, message: string, maybeSent: boolean, now: number): void {
    this.sql.tx(() =>
      this.sql.run(`UPDATE outbox SET status = 'failed', error_code = ?, error_message = ?, maybe_sent = ?, updated_at = ? WHERE id = ?`, [code, message, maybeSent ? 1 : 0, now, id]),
    );
  }

  /** A send that failed before it was recorded (the message could not even be built). */
  insertFailed(e: { accountId: string; messageId: string; rawBlob: string; code: string; message: string; draftId: number; maybeSent: boolean; now: number }): void {
    this.sql.tx(() =>
      this.sql.run(
        `INSERT INTO outbox(account_id, message_id, raw_blob, status, attempts, error_code, error_message, created_at, updated_at, draft_id, maybe_sent)
         VALUES(?, ?, ?, 'failed', 0, ?, ?, ?, ?, ?, ?)`,
        [e.accountId, e.messageId, e.rawBlob, e.code, e.message, e.now, e.now, e.draftId, e.maybeSent ? 1 : 0],
      ),
    );
  }

  markSent(accountId: string, messageId: string, now: number): void {
    this.sql.tx(() =>
      this.sql.run(`UPDATE outbox SET status = 'sent', sent_at = ?, updated_at = ?, error_code = NULL, error_message = NULL, maybe_sent = 0 WHERE account_id = ? AND message_id = ?`, [
        now,
        now,
        accountId,
        messageId,
      ]),
    );
  }

  /** The local Sent entry shown for a sent message until the provider's copy replaces it. */
  setLocalMessage(accountId: string, messageId: string, localMessage: number): void {
    this.sql.tx(() => this.sql.run('UPDATE outbox SET local_message = ? WHERE account_id = ? AND message_id = ?', [localMessage, accountId, messageId]));
  }

  /** The draft was discarded: its message is no longer "unsent", so Troubleshoot stops reporting it. */
  markDiscarded(accountId: string, messageId: string, now: number): void {
    this.sql.tx(() => this.sql.run(`UPDATE outbox SET status = 'done', updated_at = ? WHERE account_id = ? AND message_id = ? AND status <> 'sent'`, [now, accountId, messageId]));
  }

  /** Every send still 'sending' (the process died during it) failed with this error and may have gone out. */
  failSending(message: string, now: number): void {
    this.sql.tx(() =>
      this.sql.run(`UPDATE outbox SET status = 'failed', maybe_sent = 1, error_code = 'net.reset', error_message = ?, updated_at = ? WHERE status = 'sending'`, [message, now]),
    );
  }

  /** Sends of the account that failed, or are being retried after an error, oldest first. */
  problems(accountId: string): OutboxProblem[] {
    return this.sql
      .all<{ id: number; status: string; attempts: number; error_code: string | null; error_message: string | null; created_at: number }>(
        `SELECT id, status, attempts, error_code, error_message, created_at FROM outbox
         WHERE account_id = ? AND status NOT IN ('sent', 'done') AND (status = 'failed' OR error_message IS NOT NULL) ORDER BY created_at`,
        [accountId],
      )
      .map((r) => ({ id: r.id, status: r.status, attempts: r.attempts, errorCode: r.error_code, errorMessage: r.error_message, createdAt: r.created_at }));
  }

  /** Messages queued without an error yet. */
  queuedCount(accountId: string): number {
    return this.sql.get<{ n: number }>(`SELECT COUNT(*) AS n FROM outbox WHERE account_id = ? AND status = 'queued' AND error_message IS NULL`, [accountId])?.n ?? 0;
  }
}
