/**
 * Storing a page of fetched headers without holding the engine's thread: the store (sql.js) runs
 * on it, so a transaction is one uninterrupted slice of its time.
 */
import type { IncomingMessage, MailStore } from '../../store/store';
import { takeTurn, turnSpent } from '../../turns';

/**
 * Rows per upsertMessages call. sql.js runs on the engine's thread; a row takes ~0.05 ms warm
 * and up to ~0.4 ms with cold caches and code V8 has not optimised yet (the first pages of a
 * process), so a step of 20 overshoots a turn's budget by a few milliseconds at most.
 */
const STORE_STEP = 20;

/**
 * Stores a page in transactions of one turn each (turns.ts): a transaction takes steps of
 * STORE_STEP rows until the turn's budget is spent, so how many rows one holds follows how fast
 * the store is right now (a fixed 50 or 100 took 20–38 ms cold). `last` (e.g. moving the
 * backfill cursor) runs in the same transaction as the final rows, so a crash in between only
 * means some headers are fetched again (they are keyed, never duplicated).
 * Returns the UIDs of stored rows the messages took over from (see upsertMessages).
 */
export async function storeInTurns(
  store: MailStore,
  folderId: number,
  msgs: IncomingMessage[],
  last?: () => void,
  opts?: { adoptFromLowerUid?: boolean },
): Promise<Array<{ uid: number; messageId: string }>> {
  const movedFrom: Array<{ uid: number; messageId: string }> = [];
  if (!msgs.length) {
    if (last) store.tx(last);
    return movedFrom;
  }
  // Newest first, so what the list shows while a page is stored has no gap below the top.
  msgs = msgs.slice().sort((a, b) => (b.uid ?? 0) - (a.uid ?? 0));
  for (let i = 0; i < msgs.length; ) {
    await takeTurn();
    store.tx(() => {
      do {
        const step = msgs.slice(i, i + STORE_STEP);
        movedFrom.push(...store.upsertMessages(folderId, step, opts).movedFrom);
        i += step.length;
      } while (i < msgs.length && !turnSpent());
      if (i >= msgs.length && last) last();
    });
  }
  return movedFrom;
}
