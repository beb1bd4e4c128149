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

const INSERT_REFS = `
  INSERT OR IGNORE INTO message_refs(account_id, ref, message_rowid)
    SELECT m.account_id, r.ref, m.id FROM messages m, (
      SELECT lower(trim(m2.message_id, '<> ')) AS ref FROM messages m2 WHERE m2.id = ?1
      UNION SELECT lower(trim(json_extract(CASE WHEN json_valid(m2.data) THEN m2.data ELSE '{}' END, '$.inReplyTo'), '<> ')) FROM messages m2 WHERE m2.id = ?1
      UNION SELECT lower(trim(j.value, '<> ')) FROM messages m2, json_each(CASE WHEN json_valid(m2.data) THEN m2.data ELSE '{}' END, '$.references') j WHERE m2.id = ?1
    ) r
    WHERE m.id = ?1 AND r.ref IS NOT NULL AND r.ref <> ''`;

/** Merges the threads this message connects under the oldest message's key (migration 3's rule). */
const MERGE_THREADS = `
  UPDATE messages SET thread_key = (
      SELECT t.thread_key FROM message_refs a
        JOIN message_refs b ON b.account_id = a.account_id AND b.ref = a.ref
        JOIN messages t ON t.id = b.message_rowid
      WHERE a.message_rowid = ?1 AND t.thread_key IS NOT NULL ORDER BY t.id LIMIT 1)
    WHERE account_id = (SELECT account_id FROM messages WHERE id = ?1)
      AND (SELECT m.thread_key IS COALESCE(json_extract(${DATA}, '$.references[0]'), json_extract(${DATA}, '$.inReplyTo'), m.message_id) FROM messages m WHERE m.id = ?1)
      AND thread_key IN (
        SELECT t.thread_key FROM message_refs a
          JOIN message_refs b ON b.account_id = a.account_id AND b.ref = a.ref
          JOIN messages t ON t.id = b.message_rowid
        WHERE a.message_rowid = ?1)`;

const INSERT_FTS = `
  INSERT INTO message_fts(docid, subject, sender, recipients, body)
    SELECT m.id, m.subject, trim(COALESCE(m.from_name, '') || ' ' || COALESCE(m.from_addr, '')),
      (SELECT group_concat(COALESCE(json_extract(j.value, '$.name'), '') || ' ' || COALESCE(json_extract(j.value, '$.address'), ''), ' ')
         FROM (SELECT value FROM json_each(${DATA}, '$.to') UNION ALL SELECT value FROM json_each(${DATA}, '$.cc')) j),
      NULL
    FROM messages m WHERE m.id = ?1`;

function indexOne(store: MailStore, id: number): void {
  store.run(INSERT_REFS, [id]);
  store.run(MERGE_THREADS, [id]);
  store.run(INSERT_FTS, [id]);
  store.run('UPDATE messages SET indexed = 1 WHERE id = ?', [id]);
}

/** How many stored messages are not threaded and indexed yet. */
export function pendingIndex(store: MailStore): number {
  return store.get<{ n: number }>('SELECT COUNT(*) AS n FROM messages WHERE indexed = 0')?.n ?? 0;
}

/** Threads and indexes up to `limit` messages, oldest first, in one transaction. */
export function indexBatch(store: MailStore, limit = 200): number {
  const ids = store.all<{ id: number }>('SELECT id FROM messages WHERE indexed = 0 ORDER BY id LIMIT ?', [limit]).map((r) => r.id);
  if (!ids.length) return 0;
  store.tx(() => {
    for (const id of ids) indexOne(store, id);
  });
  return ids.length;
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
 * stays responsive. Stops when nothing is left or `stop()` says so.
 */
export async function indexInBackground(store: MailStore, opts: { batch?: number; stop?: () => boolean } = {}): Promise<number> {
  let total = 0;
  for (;;) {
    if (opts.stop?.()) return total;
    const n = indexBatch(store, opts.batch ?? 100);
    if (!n) return total;
    total += n;
    await new Promise((r) => setImmediate(r));
  }
}
