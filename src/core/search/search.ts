/**
 * Local search over sender, recipients, subject and body text, with SQLite FTS4 (sql.js
 * ships FTS4, not FTS5). Headers are indexed by triggers on `messages` (schema migration 3);
 * body text is added here when a body is fetched and parsed (`indexBody`).
 */
import type { SqlValue } from 'sql.js';
import type { MailStore } from '../store/store';
import { catchUpIndex, indexMessage } from './indexer';

export interface SearchHit {
  messageId: number;
  accountId: string;
  folderId: number;
  folderPath: string;
  threadKey: string;
  subject: string;
  from: string;
  fromAddr: string;
  date: number;
  unread: boolean;
  /** A few words of context around the match (plain text). */
  snippet: string;
}

export interface SearchOptions {
  accountId?: string;
  limit?: number;
}

// Body text beyond this is not indexed: it would grow the database (saved whole on every
// change) for matches nobody scrolls to.
export const MAX_BODY_CHARS = 100_000;

const FIELD_ALIASES: Record<string, string> = {
  from: 'sender',
  sender: 'sender',
  to: 'recipients',
  cc: 'recipients',
  subject: 'subject',
  body: 'body',
};

/**
 * Turns what the user typed into an FTS4 MATCH expression: every word must match (as a
 * prefix, so results come while typing), `from:`, `to:`, `subject:` and `body:` limit a word
 * to that field. Quotes and operators the user typed are taken as text, never as syntax,
 * so no input can make the query fail.
 */
export function toMatchExpression(input: string): string | undefined {
  const terms: string[] = [];
  for (const raw of input.split(/\s+/)) {
    if (!raw) continue;
    let field: string | undefined;
    let word = raw;
    const m = /^([a-z]+):(.*)$/i.exec(raw);
    if (m && FIELD_ALIASES[m[1].toLowerCase()]) {
      field = FIELD_ALIASES[m[1].toLowerCase()];
      word = m[2];
    }
    // Keep letters, digits and the joiners of addresses; the tokenizer splits on the rest anyway.
    const clean = word.replace(/["*^()]/g, ' ').replace(/[^\p{L}\p{N}@._+-]+/gu, ' ').trim();
    if (!clean) continue;
    if (field) {
      // FTS4 takes a column filter only on single terms (`col:"a b"` matches nothing), so each
      // word of the field goes on its own, lower-cased so it is never read as OR/AND/NOT/NEAR.
      const words = clean.toLowerCase().split(/[^\p{L}\p{N}]+/u).filter(Boolean);
      words.forEach((w, i) => terms.push(`${field}:${w}${i === words.length - 1 ? '*' : ''}`));
    } else {
      terms.push(`"${clean}*"`);
    }
  }
  return terms.length ? terms.join(' ') : undefined;
}

/** Messages matching `query`, newest first. */
export function searchMessages(store: MailStore, query: string, opts: SearchOptions = {}): SearchHit[] {
  catchUpIndex(store);
  const match = toMatchExpression(query);
  if (!match) return [];
  const params: SqlValue[] = [match];
  let accountFilter = '';
  if (opts.accountId) {
    accountFilter = 'AND m.account_id = ?';
    params.push(opts.accountId);
  }
  params.push(opts.limit ?? 50);
  const rows = store.all<Record<string, SqlValue>>(
    `SELECT m.id, m.account_id, m.subject, m.from_name, m.from_addr, m.date, m.seen, COALESCE(m.thread_key, '#' || m.id) AS tk,
            snippet(message_fts, '', '', '…', -1, 12) AS snip,
            (SELECT ms.folder_id FROM memberships ms LEFT JOIN folders f ON f.id = ms.folder_id
              WHERE ms.message_id = m.id AND ms.missing_since IS NULL
              ORDER BY CASE f.role WHEN 'inbox' THEN 0 WHEN 'trash' THEN 3 WHEN 'junk' THEN 3 ELSE 1 END, ms.folder_id LIMIT 1) AS folder_id
     FROM message_fts JOIN messages m ON m.id = message_fts.docid
     WHERE message_fts MATCH ? ${accountFilter}
     ORDER BY m.date DESC LIMIT ?`,
    params,
  );
  const out: SearchHit[] = [];
  for (const r of rows) {
    if (r.folder_id === null || r.folder_id === undefined) continue; // deleted, waiting to be purged
    const folder = store.getFolderById(r.folder_id as number);
    out.push({
      messageId: r.id as number,
      accountId: r.account_id as string,
      folderId: r.folder_id as number,
      folderPath: folder?.path ?? '',
      threadKey: r.tk as string,
      subject: (r.subject as string) || '',
      from: (r.from_name as string) || (r.from_addr as string) || '',
      fromAddr: (r.from_addr as string) || '',
      date: (r.date as number) ?? 0,
      unread: r.seen === 0,
      snippet: String(r.snip ?? '').replace(/\s+/g, ' ').trim(),
    });
  }
  return out;
}

/** Adds a message's body text to the index (called when the body is fetched). */
export function indexBody(store: MailStore, messageId: number, text: string): void {
  indexMessage(store, messageId);
  store.tx(() => {
    store.run('UPDATE message_fts SET body = ? WHERE docid = ?', [text.slice(0, MAX_BODY_CHARS), messageId]);
    store.run('UPDATE messages SET body_indexed = 1 WHERE id = ?', [messageId]);
  });
}

/** Adds the body text of several messages in one transaction (the background body indexer). */
export function indexBodies(store: MailStore, items: Array<{ id: number; text: string }>): void {
  if (!items.length) return;
  for (const it of items) indexMessage(store, it.id);
  store.tx(() => {
    for (const it of items) {
      store.run('UPDATE message_fts SET body = ? WHERE docid = ?', [it.text.slice(0, MAX_BODY_CHARS), it.id]);
      store.run('UPDATE messages SET body_indexed = 1 WHERE id = ?', [it.id]);
    }
  });
}

/** Whether the body text of a message is in the index yet. */
export function isBodyIndexed(store: MailStore, messageId: number): boolean {
  indexMessage(store, messageId);
  return store.get('SELECT 1 AS x FROM messages WHERE id = ? AND body_indexed = 1', [messageId]) !== undefined;
}
