/**
 * Puts the text of fetched bodies into the search index, in the background, after the
 * bodies job stored them (src/core/sync/bodies.ts). Each message is parsed from its blob
 * (only its first PARSE_BYTES: the text comes first, attachments after, and the index keeps
 * 100,000 characters anyway), and the batch's text is written in one transaction. A batch
 * ends once it has run for SLICE_MS, and the event loop gets a turn between batches, so it
 * never holds the thread longer than the store's own slices do.
 */
import { parseMessage } from '../mime/parse';
import { unindexedBodies } from '../store/bodies';
import type { MailStore } from '../store/store';
import { indexBodies, MAX_BODY_CHARS } from './search';
import { nextTurn, takeTurn } from '../turns';
import { mergeIndexInTurns, mergeIndexStep } from './indexer';

export const SLICE_MS = 8;
const PARSE_BYTES = 256 * 1024;
const BATCH = 25;
/**
 * Characters of text per transaction: FTS4 tokenises all of it inside the one write. At 64 KB
 * a write held the thread 47–70 ms (10,000 messages, quiet machine); at 16 KB 32 ms, for ~10%
 * more time to index them all (`npm run bench -- --no-headers --body-sides maildesk-bodies`).
 */
const BATCH_CHARS = 16 * 1024;

/** Indexes stored bodies until none are left or `stop()` says so; returns how many. */
export async function indexBodiesInBackground(store: MailStore, opts: { stop?: () => boolean; sliceMs?: number } = {}): Promise<number> {
  const slice = opts.sliceMs ?? SLICE_MS;
  let total = 0;
  for (;;) {
    if (opts.stop?.()) return total;
    const rows = unindexedBodies(store, BATCH);
    if (!rows.length) {
      await mergeIndexInTurns(store, opts.stop);
      return total;
    }
    const t0 = performance.now();
    const items: Array<{ id: number; text: string }> = [];
    let chars = 0;
    for (const r of rows) {
      const raw = store.blobs.get(r.blob);
      let text = '';
      if (raw) {
        // parseMessage never throws for bad input; a message it cannot read is indexed by its headers.
        const parsed = await parseMessage(raw.length > PARSE_BYTES ? raw.subarray(0, PARSE_BYTES) : raw, { maxBytes: PARSE_BYTES });
        text = parsed.text ?? '';
      }
      items.push({ id: r.id, text });
      chars += Math.min(text.length, MAX_BODY_CHARS);
      if (performance.now() - t0 >= slice || chars >= BATCH_CHARS) break;
    }
    await takeTurn();
    indexBodies(store, items);
    total += items.length;
    await nextTurn();
    // The segments this write added are merged a bounded step at a time (schema migration 11).
    await mergeIndexStep(store);
  }
}
