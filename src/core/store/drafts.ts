/**
 * The `drafts` table: what the user writes, the source of truth for a draft (DraftService in
 * src/core/drafts keeps the rules; this keeps the rows). Rows keep the table's column names.
 */
import type { SqlValue } from 'sql.js';
import type { StoreSql } from './sql';
import type { MailStore } from './store';

export type DraftStatus = 'draft' | 'sending' | 'failed';

export interface DraftRow {
  id: number;
  account_id: string;
  message_id: string;
  /** The Draft as JSON, attachments as blobs. */
  data: string;
  raw_blob: string | null;
  /** Its entry in the Drafts folder's message list. */
  local_message: number | null;
  server_folder: string | null;
  server_uid: number | null;
  server_error: string | null;
  status: DraftStatus;
  error_code: string | null;
  error_message: string | null;
  updated_at: number;
}

type Row<T> = T & Record<string, SqlValue>;

export class DraftsTable {
  constructor(
    private readonly sql: StoreSql,
    private readonly store: MailStore,
  ) {}

  byId(id: number): DraftRow | undefined {
    return this.sql.get<Row<DraftRow>>('SELECT * FROM drafts WHERE id = ?', [id]);
  }

  byMessageId(accountId: string, messageId: string): DraftRow | undefined {
    return this.sql.get<Row<DraftRow>>('SELECT * FROM drafts WHERE account_id = ? AND message_id = ?', [accountId, messageId]);
  }

  /** The draft shown by this Drafts entry (message row), or with this Message-ID. */
  idByEntry(accountId: string, entryMessageId: number, messageId: string | null): number | undefined {
    return this.sql.get<{ id: number }>('SELECT id FROM drafts WHERE account_id = ? AND (local_message = ? OR message_id = ?)', [accountId, entryMessageId, messageId ?? ''])?.id;
  }

  /** The account's drafts, last saved first, with whether their last send may have gone out. */
  listWithOutbox(accountId: string): Array<DraftRow & { maybe_sent: number | null }> {
    return this.sql.all<Row<DraftRow & { maybe_sent: number | null }>>(
      `SELECT d.*, o.maybe_sent FROM drafts d LEFT JOIN outbox o ON o.account_id = d.account_id AND o.message_id = d.message_id
       WHERE d.account_id = ? ORDER BY d.updated_at DESC, d.id DESC`,
      [accountId],
    );
  }

  /** A new draft; returns its id. */
  insert(accountId: string, messageId: string, data: string, rawBlob: string, now: number): number {
    let id = 0;
    this.sql.tx(() => {
      this.sql.run(`INSERT INTO drafts(account_id, message_id, data, raw_blob, status, created_at, updated_at) VALUES(?, ?, ?, ?, 'draft', ?, ?)`, [
        accountId,
        messageId,
        data,
        rawBlob,
        now,
        now,
      ]);
      id = this.sql.get<{ id: number }>('SELECT id FROM drafts WHERE account_id = ? AND message_id = ?', [accountId, messageId])!.id;
    });
    return id;
  }

  /** A new version of a draft; one whose send failed stays marked failed. */
  updateContent(id: number, data: string, rawBlob: string, now: number): void {
    this.sql.tx(() =>
      this.sql.run(`UPDATE drafts SET data = ?, raw_blob = ?, status = CASE WHEN status = 'failed' THEN status ELSE 'draft' END, updated_at = ? WHERE id = ?`, [data, rawBlob, now, id]),
    );
  }

  setLocalMessage(id: number, localMessage: number | null): void {
    this.sql.tx(() => this.sql.run('UPDATE drafts SET local_message = ? WHERE id = ?', [localMessage, id]));
  }

  /** The server holds the current version (in `folder`, under `uid` when known). */
  setServerCopy(id: number, folder: string, uid: number | null): void {
    this.sql.tx(() => this.sql.run('UPDATE drafts SET server_folder = ?, server_uid = ?, server_error = NULL WHERE id = ?', [folder, uid, id]));
  }

  setServerError(id: number, message: string): void {
    this.sql.tx(() => this.sql.run('UPDATE drafts SET server_error = ? WHERE id = ?', [message, id]));
  }

  markSending(id: number): void {
    this.sql.tx(() => this.sql.run(`UPDATE drafts SET status = 'sending', error_code = NULL, error_message = NULL WHERE id = ?`, [id]));
  }

  markFailed(id: number, code: string, message: string, now: number): void {
    this.sql.tx(() => this.sql.run(`UPDATE drafts SET status = 'failed', error_code = ?, error_message = ?, updated_at = ? WHERE id = ?`, [code, message, now, id]));
  }

  /** Whether a send was under way (status 'sending'): after a restart, it may or may not have gone out. */
  anySending(): boolean {
    return this.sql.all<{ id: number }>(`SELECT id FROM drafts WHERE status = 'sending'`).length > 0;
  }

  /** Marks every draft still 'sending' failed with this error (net.reset: it may have been sent). */
  failSending(message: string): void {
    this.sql.tx(() => this.sql.run(`UPDATE drafts SET status = 'failed', error_code = 'net.reset', error_message = ? WHERE status = 'sending'`, [message]));
  }

  delete(id: number): void {
    this.sql.tx(() => this.sql.run('DELETE FROM drafts WHERE id = ?', [id]));
  }

  /** Takes a draft's entry out of every folder list (a local one is deleted outright). */
  removeEntry(messageRowId: number | null): void {
    if (messageRowId === null) return;
    const { store, sql } = this;
    const m = store.getMessage(messageRowId);
    if (!m) return;
    sql.tx(() => {
      for (const r of sql.all<{ folder_id: number }>('SELECT folder_id FROM memberships WHERE message_id = ? AND missing_since IS NULL', [messageRowId])) {
        store.removeLocal(messageRowId, r.folder_id);
      }
      // The sync never purges local rows; a remote one goes when the server copy is gone.
      if (m.origin === 'local') sql.run('DELETE FROM messages WHERE id = ?', [messageRowId]);
    });
  }
}
