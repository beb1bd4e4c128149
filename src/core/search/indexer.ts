/**
 * Threads and indexes for search the messages a sync stored, in batches, off the path
 * that stores headers (see migration 6). What indexing one message writes is the store's
 * (src/core/store/messageIndex.ts); when, how many at a time and for how long is decided here.
 * Every read that depends on threads or search calls `catchUpIndex` first, for a bounded
 * time; the background pass keeps what is left short.
 */
import type { MailStore } from '../store/store';
import { nextTurn, takeTurn } from '../turns';

/** How many stored messages are not threaded and indexed yet. */
export function pendingIndex(store: MailStore): number {
  return store.index.pendingCount();
}

/** How long one background batch may hold the event loop: the store's own slices are this short. */
export const INDEX_SLICE_MS = 8;

/**
 * Threads and indexes up to `limit` messages, oldest first, in one transaction; with `maxMs`,
 * the batch ends once it has run that long (after one message at least). Returns how many.
 */
export function indexBatch(store: MailStore, limit = 200, maxMs = Number.POSITIVE_INFINITY): number {
  return store.index.index(store.index.pendingIds(limit), maxMs);
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

/**
 * Pages of the search index one merge step may write: ~5–15 ms at 10,000 messages with their
 * bodies (FTS4 'merge=50,8'); the indexers take one step in a turn of its own after each batch.
 */
export const MERGE_PAGES = 50;

/** One merge step of the search index, in its own share of a turn. Returns whether it did work. */
export async function mergeIndexStep(store: MailStore): Promise<boolean> {
  await takeTurn();
  const worked = store.index.mergeStep(MERGE_PAGES);
  await nextTurn();
  return worked;
}

/** Merges the search index's segments a step per turn until nothing is left to merge (or `stop()`). */
export async function mergeIndexInTurns(store: MailStore, stop?: () => boolean): Promise<void> {
  while (!stop?.() && (await mergeIndexStep(store))) {
    // one step per turn
  }
}

/** Threads and indexes one message now, if it is still pending (before its body is indexed). */
export function indexMessage(store: MailStore, id: number): void {
  if (store.index.isPending(id)) store.index.index([id]);
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
      // Its share of a turn, beside a sync storing headers (turns.ts).
      await takeTurn();
      const n = indexBatch(store, opts.batch ?? 100, opts.sliceMs ?? INDEX_SLICE_MS);
      if (!n) {
        await mergeIndexInTurns(store, opts.stop);
        return total;
      }
      total += n;
      unannounced += n;
      if (performance.now() - lastAnnounced >= (opts.announceMs ?? 1000)) announce();
      await nextTurn();
      await mergeIndexStep(store);
    }
  } finally {
    announce();
  }
}
