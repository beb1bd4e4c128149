/**
 * Reads over the messages table that features need beside the store's own message methods:
 * triage (a folder's unread mail, a conversation within a folder), the Graph provider (its
 * drafts edited in place), the address book and the support report's redaction (recent
 * headers). Reads only: every change to messages goes through MailStore's methods.
 */
import type { SqlValue } from 'sql.js';
import type { StoreSql } from './sql';

export class MessageQueries {
  constructor(private readonly sql: StoreSql) {}

  /** Ids of the unread messages shown in a folder. */
  unreadIdsIn(folderId: number): number[] {
    return this.sql
      .all<{ id: number }>(
        `SELECT m.id FROM memberships ms JOIN messages m ON m.id = ms.message_id
         WHERE ms.folder_id = ? AND ms.missing_since IS NULL AND m.seen = 0`,
        [folderId],
      )
      .map((r) => r.id);
  }

  /** Ids of the messages of a folder in the same conversation (thread key) as `messageId`. */
  sameThreadIn(folderId: number, messageId: number): number[] {
    return this.sql
      .all<{ id: number }>(
        `SELECT ms.message_id AS id FROM memberships ms JOIN messages m ON m.id = ms.message_id
         WHERE ms.folder_id = ? AND ms.missing_since IS NULL
           AND COALESCE(m.thread_key, '#' || m.id) = (SELECT COALESCE(thread_key, '#' || id) FROM messages WHERE id = ?)`,
        [folderId, messageId],
      )
      .map((r) => r.id);
  }

  /** The conversation key of a message: its thread key, or `#id` for a message alone. */
  threadKeyOf(messageId: number): string | undefined {
    return this.sql.get<{ tk: string }>(`SELECT COALESCE(thread_key, '#' || id) AS tk FROM messages WHERE id = ?`, [messageId])?.tk;
  }

  /** The stored id of the message the account's server calls `providerId`. */
  idByProviderId(accountId: string, providerId: string): number | undefined {
    return this.sql.get<{ id: number }>('SELECT id FROM messages WHERE account_id = ? AND provider_id = ?', [accountId, providerId])?.id;
  }

  /**
   * A server message by provider id as stored: subject, extra data (JSON, with the snippet)
   * and whether it is shown in `folderId` (live = memberships there not missing).
   */
  remoteInFolder(accountId: string, folderId: number, providerId: string): { subject: string; data: string | null; live: number } | undefined {
    return this.sql.get<{ subject: string; data: string | null; live: number }>(
      `SELECT m.subject, m.data, (SELECT COUNT(*) FROM memberships ms WHERE ms.message_id = m.id AND ms.folder_id = ? AND ms.missing_since IS NULL) AS live
       FROM messages m WHERE m.account_id = ? AND m.provider_id = ? AND m.origin = 'remote'`,
      [folderId, accountId, providerId],
    );
  }

  /** Provider ids of the other server messages in a folder with this Message-ID. */
  otherRemoteCopies(accountId: string, folderId: number, messageId: string, exceptProviderId: string): string[] {
    return this.sql
      .all<{ provider_id: string }>(
        `SELECT m.provider_id FROM messages m JOIN memberships ms ON ms.message_id = m.id
         WHERE m.account_id = ? AND m.message_id = ? AND ms.folder_id = ? AND m.origin = 'remote' AND m.provider_id <> ?`,
        [accountId, messageId, folderId, exceptProviderId],
      )
      .map((r) => r.provider_id);
  }

  /** Sender, date and extra data (JSON: to, cc…) of the newest messages, of one account or all. */
  recentSenders(limit: number, accountId?: string): Array<{ from_name: string | null; from_addr: string | null; date: number | null; data: string | null }> {
    return this.sql.all<{ from_name: string | null; from_addr: string | null; date: number | null; data: string | null }>(
      `SELECT from_name, from_addr, date, data FROM messages ${accountId ? 'WHERE account_id = ?' : ''} ORDER BY date DESC LIMIT ?`,
      (accountId ? [accountId, limit] : [limit]) as SqlValue[],
    );
  }

  /** Subject and extra data (JSON, with the snippet) of an account's newest messages. */
  recentSubjects(accountId: string, limit: number): Array<{ subject: string | null; data: string | null }> {
    return this.sql.all<{ subject: string | null; data: string | null }>('SELECT subject, data FROM messages WHERE account_id = ? ORDER BY date DESC LIMIT ?', [accountId, limit]);
  }
}
