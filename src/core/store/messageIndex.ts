/**
 * The index built after headers are stored (migration 6): threads (message_refs and the
 * thread keys they merge) and the FTS4 search index (headers now, body text once a body is
 * parsed). src/core/search/indexer.ts decides when and how much to index (batches, time
 * slices, the change event per pass); this module holds the statements.
 *
 * It does per message what migration 3's triggers did on insert, in the same order, so the
 * result is the same but for a provider's thread keys:
 *  - the message's own Message-ID and the ids it points to go into message_refs, and the
 *    threads it connects are merged under the key of the oldest message (a provider's thread
 *    key, where one is connected, wins and is never rewritten: src/core/store/threadKeys.ts);
 *  - sender, recipients and subject go into the FTS4 index.
 *
 * Its writes record no change: the indexer announces what it threaded once per pass
 * (MailStore.announceIndexed), so lists regroup once rather than once per batch.
 */
import type { StoreSql } from './sql';
import { isProviderThreadKey } from './threadKeys';

const DATA = `CASE WHEN json_valid(m.data) THEN m.data ELSE '{}' END`;

/**
 * The ids a message points to, one statement per source, each row kept once by the primary
 * key (OR IGNORE). One statement joining the three with UNION (as migration 3's trigger did)
 * inserts the same rows, but sorts them in temporary b-trees on the way: in sql.js that
 * took some 0.3 ms a message, most of the time of indexing it (measured).
 */
const INSERT_REFS = [
  `INSERT OR IGNORE INTO message_refs(account_id, ref, message_rowid)
     SELECT account_id, r, id FROM (SELECT account_id, id, lower(trim(message_id, '<> ')) AS r FROM messages WHERE id = ?1)
     WHERE r IS NOT NULL AND r <> ''`,
  `INSERT OR IGNORE INTO message_refs(account_id, ref, message_rowid)
     SELECT account_id, r, id FROM (SELECT m.account_id, m.id, lower(trim(json_extract(${DATA}, '$.inReplyTo'), '<> ')) AS r FROM messages m WHERE m.id = ?1)
     WHERE r IS NOT NULL AND r <> ''`,
  `INSERT OR IGNORE INTO message_refs(account_id, ref, message_rowid)
     SELECT account_id, r, id FROM (SELECT m.account_id, m.id, lower(trim(j.value, '<> ')) AS r FROM messages m, json_each(${DATA}, '$.references') j WHERE m.id = ?1)
     WHERE r IS NOT NULL AND r <> ''`,
];

/**
 * Migration 3's rule for merging threads applies only while the message still carries the key
 * it was stored with (its first reference, else In-Reply-To, else its own Message-ID).
 */
const KEEPS_OWN_KEY = `SELECT account_id AS account, m.thread_key IS COALESCE(json_extract(${DATA}, '$.references[0]'), json_extract(${DATA}, '$.inReplyTo'), m.message_id) AS own,
  lower(trim(json_extract(${DATA}, '$.inReplyTo'), '<> ')) AS parent FROM messages m WHERE m.id = ?1`;

/** The messages this one shares an id with (itself included), with their thread keys. */
const CONNECTED = `
  SELECT t.id, t.thread_key AS key, lower(trim(t.message_id, '<> ')) AS mid FROM message_refs a
    JOIN message_refs b ON b.account_id = a.account_id AND b.ref = a.ref
    JOIN messages t ON t.id = b.message_rowid
  WHERE a.message_rowid = ?1`;

const INSERT_FTS = `
  INSERT INTO message_fts(docid, subject, sender, recipients, body)
    SELECT m.id, m.subject, trim(COALESCE(m.from_name, '') || ' ' || COALESCE(m.from_addr, '')),
      (SELECT group_concat(COALESCE(json_extract(j.value, '$.name'), '') || ' ' || COALESCE(json_extract(j.value, '$.address'), ''), ' ')
         FROM (SELECT value FROM json_each(${DATA}, '$.to') UNION ALL SELECT value FROM json_each(${DATA}, '$.cc')) j),
      NULL
    FROM messages m WHERE m.id = ?1`;

export class MessageIndex {
  constructor(private readonly sql: StoreSql) {}

  /** How many stored messages are not threaded and indexed yet. */
  pendingCount(): number {
    return this.sql.get<{ n: number }>('SELECT COUNT(*) AS n FROM messages WHERE indexed = 0')?.n ?? 0;
  }

  /** Up to `limit` messages waiting to be indexed, oldest first. */
  pendingIds(limit: number): number[] {
    return this.sql.all<{ id: number }>('SELECT id FROM messages WHERE indexed = 0 ORDER BY id LIMIT ?', [limit]).map((r) => r.id);
  }

  /** Whether a message is still waiting to be indexed. */
  isPending(id: number): boolean {
    return this.sql.get('SELECT 1 AS x FROM messages WHERE id = ? AND indexed = 0', [id]) !== undefined;
  }

  /**
   * Threads and indexes `ids` in order, in one transaction; with `maxMs`, it ends once it has
   * run that long (after one message at least). Returns how many it did.
   */
  index(ids: number[], maxMs = Number.POSITIVE_INFINITY): number {
    if (!ids.length) return 0;
    const t0 = performance.now();
    let n = 0;
    this.sql.tx(() => {
      for (const id of ids) {
        this.indexOne(id);
        n++;
        if (performance.now() - t0 >= maxMs) break;
      }
    });
    return n;
  }

  /**
   * Threads and indexes one message. The threads it connects are merged under the key of the
   * oldest message among them (migration 3's rule): every message under one of their keys takes
   * that key. Done here in three small statements rather than one UPDATE with the keys and the
   * new key as subqueries, which cost SQLite temporary b-trees for every message; the rows it
   * changes, and what they end up with, are the same.
   */
  private indexOne(id: number): void {
    for (const q of INSERT_REFS) this.sql.run(q, [id]);
    const self = this.sql.get<{ account: string; own: number; parent: string | null }>(KEEPS_OWN_KEY, [id]);
    if (self?.own) {
      let oldest: { id: number; key: string } | undefined;
      let oldestProvider: { id: number; key: string } | undefined;
      let parentProvider: string | undefined;
      const keys = new Set<string>();
      for (const t of this.sql.all<{ id: number; key: string | null; mid: string | null }>(CONNECTED, [id])) {
        if (t.key === null) continue;
        keys.add(t.key);
        if (!oldest || t.id < oldest.id) oldest = { id: t.id, key: t.key };
        if (!isProviderThreadKey(t.key)) continue;
        if (!oldestProvider || t.id < oldestProvider.id) oldestProvider = { id: t.id, key: t.key };
        if (self.parent && t.mid === self.parent) parentProvider = t.key;
      }
      // Rows already under the chosen key keep it; the others move to it. A provider's key
      // (Gmail threadId, Outlook conversationId) wins and is never rewritten: the provider
      // decided that conversation (src/core/store/threadKeys.ts); the one of the message
      // replied to first, as the provider files a reply there.
      const to = parentProvider !== undefined ? { key: parentProvider } : (oldestProvider ?? oldest);
      if (to) for (const k of keys) if (k !== to.key && !isProviderThreadKey(k)) this.sql.run('UPDATE messages SET thread_key = ? WHERE account_id = ? AND thread_key = ?', [to.key, self.account, k]);
    }
    this.sql.run(INSERT_FTS, [id]);
    this.sql.run('UPDATE messages SET indexed = 1 WHERE id = ?', [id]);
  }

  /**
   * Puts the body text of messages (already indexed by their headers) into the search index,
   * in one transaction, and marks them done for the body indexer.
   */
  setBodyTexts(items: Array<{ id: number; text: string }>): void {
    this.sql.tx(() => {
      for (const it of items) {
        this.sql.run('UPDATE message_fts SET body = ? WHERE docid = ?', [it.text, it.id]);
        this.sql.run('UPDATE messages SET body_indexed = 1 WHERE id = ?', [it.id]);
      }
    });
  }

  /**
   * One bounded step of merging the search index's segments (FTS4 'merge=X,Y': at most `pages`
   * pages written, 8 segments at a time), in its own transaction. Returns whether there was
   * anything to merge (FTS4 changes at least two rows when it does work).
   */
  mergeStep(pages: number): boolean {
    const before = this.sql.get<{ n: number }>('SELECT total_changes() AS n')!.n;
    this.sql.tx(() => this.sql.run(`INSERT INTO message_fts(message_fts) VALUES('merge=${Math.max(1, Math.floor(pages))},8')`));
    return this.sql.get<{ n: number }>('SELECT total_changes() AS n')!.n - before >= 2;
  }

  /** Whether the body text of a message is in the search index. */
  isBodyIndexed(id: number): boolean {
    return this.sql.get('SELECT 1 AS x FROM messages WHERE id = ? AND body_indexed = 1', [id]) !== undefined;
  }
}
