/**
 * Local search over sender, recipients, subject and body text, with SQLite FTS4 (sql.js
 * ships FTS4, not FTS5). Headers are indexed by the indexer (indexer.ts, after they are
 * stored); body text is added here when a body is fetched and parsed (`indexBody`). The
 * statements are the store's (store.search, store.index); the query language is this file's.
 */
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
  const rows = store.search.fullText(match, { accountId: opts.accountId, limit: opts.limit ?? 50 });
  const out: SearchHit[] = [];
  for (const r of rows) {
    if (r.folderId === null) continue; // deleted, waiting to be purged
    const folder = store.getFolderById(r.folderId);
    out.push({
      messageId: r.id,
      accountId: r.accountId,
      folderId: r.folderId,
      folderPath: folder?.path ?? '',
      threadKey: r.threadKey,
      subject: r.subject || '',
      from: r.fromName || r.fromAddr || '',
      fromAddr: r.fromAddr || '',
      date: r.date ?? 0,
      unread: r.seen === 0,
      snippet: String(r.snippet ?? '').replace(/\s+/g, ' ').trim(),
    });
  }
  return out;
}

/** Adds a message's body text to the index (called when the body is fetched). */
export function indexBody(store: MailStore, messageId: number, text: string): void {
  indexMessage(store, messageId);
  store.index.setBodyTexts([{ id: messageId, text: text.slice(0, MAX_BODY_CHARS) }]);
}

/** Adds the body text of several messages in one transaction (the background body indexer). */
export function indexBodies(store: MailStore, items: Array<{ id: number; text: string }>): void {
  if (!items.length) return;
  for (const it of items) indexMessage(store, it.id);
  store.index.setBodyTexts(items.map((it) => ({ id: it.id, text: it.text.slice(0, MAX_BODY_CHARS) })));
}

/** Whether the body text of a message is in the index yet. */
export function isBodyIndexed(store: MailStore, messageId: number): boolean {
  indexMessage(store, messageId);
  return store.index.isBodyIndexed(messageId);
}
