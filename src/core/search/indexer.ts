/**
 * Threads and indexes for search the messages a sync stored, in batches, off the path
 * that stores headers (see migration 6). It does per message exactly what migration 3's
 * triggers did on insert, in the same order, so the result is the same:
 *  - the message's own Message-ID and the ids it points to go into message_refs, and the
 *    threads it connects are merged under the key of the oldest message;
 *  - sender, recipients and subject go into the FTS4 index (body text comes later, when a
 *    body is fetched).
 * Every read that depends on threads or search calls `catchUpIndex` first, for a bounded
 * time; the background pass keeps what is left short.
 */
import type { MailStore } from '../store/store';

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
const KEEPS_OWN_KEY = `SELECT account_id AS account, m.thread_key IS COALESCE(json_extract(${DATA}, '$.references[0]'), json_extract(${DATA}, '$.inReplyTo'), m.message_id) AS own FROM messages m WHERE m.id = ?1`;

/** The messages this one shares an id with (itself included), with their thread keys. */
const CONNECTED = `
  SELECT t.id, t.thread_key AS key FROM message_refs a
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

/**
 * Threads and indexes one message. The threads it connects are merged under the key of the
 * oldest message among them (migration 3's rule): every message under one of their keys takes
 * that key. Done here in three small statements rather than one UPDATE with the keys and the
 * new key as subqueries, which cost SQLite temporary b-trees for every message; the rows it
 * changes, and what they end up with, are the same.
 */
function indexOne(store: MailStore, id: number): void {
  for (const sql of INSERT_REFS) store.run(sql, [id]);
  const self = store.get<{ account: string; own: number }>(KEEPS_OWN_KEY, [id]);
  if (self?.own) {
    let oldest: { id: number; key: string } | undefined;
    const keys = new Set<string>();
    for (const t of store.all<{ id: number; key: string | null }>(CONNECTED, [id])) {
      if (t.key === null) continue;
      keys.add(t.key);
      if (!oldest || t.id < oldest.id) oldest = { id: t.id, key: t.key };
    }
    // Rows already under the oldest key keep it; the others move to it.
    if (oldest) for (const k of keys) if (k !== oldest.key) store.run('UPDATE messages SET thread_key = ? WHERE account_id = ? AND thread_key = ?', [oldest.key, self.account, k]);
  }
  store.run(INSERT_FTS, [id]);
  store.run('UPDATE messages SET indexed = 1 WHERE id = ?', [id]);
}

/** How many stored messages are not threaded and indexed yet. */
export function pendingIndex(store: MailStore): number {
  return store.get<{ n: number }>('SELECT COUNT(*) AS n FROM messages WHERE indexed = 0')?.n ?? 0;
}

/** How long one background batch may hold the event loop: the store's own slices are this short. */
export const INDEX_SLICE_MS = 8;

/**
 * Threads and indexes up to `limit` messages, oldest first, in one transaction; with `maxMs`,
 * the batch ends once it has run that long (after one message at least). Returns how many.
 */
export function indexBatch(store: MailStore, limit = 200, maxMs = Number.POSITIVE_INFINITY): number {
  const ids = store.all<{ id: number }>('SELECT id FROM messages WHERE indexed = 0 ORDER BY id LIMIT ?', [limit]).map((r) => r.id);
  if (!ids.length) return 0;
  const t0 = performance.now();
  let n = 0;
  store.tx(() => {
    for (const id of ids) {
      indexOne(store, id);
      n++;
      if (performance.now() - t0 >= maxMs) break;
    }
  });
  return n;
}

/**
 * Before a read that needs threads or search: what is pending, for at most `budgetMs`.
 * Cheap when nothing is pending. The budget keeps a read during a big first sync (tens
 * of thousands of headers waiting) from freezing the editor; what is left is in the
 * meantime threaded by its own headers (the key set when it was stored) and found once
 * the background pass reaches it, which announces that with a change event.
 * Returns how many messages are still pending (0: the index is complete).
 */
export function catchUpIndex(store: MailStore, budgetMs = 50): number {
  const t0 = performance.now();
  // At least one batch, so a read always makes progress; then until the budget is spent.
  while (indexBatch(store, 50) > 0) {
    if (performance.now() - t0 >= budgetMs) return pendingIndex(store);
  }
  return 0;
}

/** Threads and indexes one message now, if it is still pending (before its body is indexed). */
export function indexMessage(store: MailStore, id: number): void {
  if (!store.get('SELECT 1 AS x FROM messages WHERE id = ? AND indexed = 0', [id])) return;
  store.tx(() => indexOne(store, id));
}

/**
 * The background pass: small batches with the event loop free in between, so the editor
 * stays responsive. A batch is at most `batch` messages and ends after `sliceMs` (a message
 * whose thread merges with many others costs more than most). Stops when nothing is left or
 * `stop()` says so.
 */
export async function indexInBackground(store: MailStore, opts: { batch?: number; sliceMs?: number; stop?: () => boolean; announceMs?: number } = {}): Promise<number> {
  let total = 0;
  // What was threaded since the last announcement: said with a change event at most once per
  // `announceMs` and at the end, so lists regroup their conversations without a repaint per batch.
  let unannounced = 0;
  let lastAnnounced = performance.now();
  const announce = (): void => {
    if (!unannounced) return;
    store.announceIndexed(unannounced);
    unannounced = 0;
    lastAnnounced = performance.now();
  };
  try {
    for (;;) {
      if (opts.stop?.()) return total;
      const n = indexBatch(store, opts.batch ?? 100, opts.sliceMs ?? INDEX_SLICE_MS);
      if (!n) return total;
      total += n;
      unannounced += n;
      if (performance.now() - lastAnnounced >= (opts.announceMs ?? 1000)) announce();
      await new Promise((r) => setImmediate(r));
    }
  } finally {
    announce();
  }
}
