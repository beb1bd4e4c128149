/**
 * Gives back the space of deleted bodies inside packs (blobPacks.ts). A pack goes as a whole
 * once nothing points into it; one that still holds some live bodies among many deleted ones
 * is rewritten: its live records are appended to the pack being written, the rows are pointed
 * at the copies once those are on disk for good, and the old pack goes.
 *
 * Run by each account's maintenance job (src/core/sync/scheduler.ts). Everything is done a
 * page of rows or a batch of records per turn of the event loop (turns.ts): at 100,000
 * messages the live bytes are summed in 20 pages of 5,000 ids.
 */
import { HEADER_BYTES, packPrefix, parsePackRef } from './blobPacks';
import { storeSql } from './sql';
import type { MailStore } from './store';
import { takeTurn } from '../turns';

/** A pack whose live records take less than this share of it is rewritten. */
export const REWRITE_BELOW = 0.5;
/** Rows looked at per page (by id, so each page costs its own rows). */
const ID_PAGE = 5000;
/** Records copied per commit (one fdatasync each). */
const COPY_BATCH = 50;

export interface CompactionResult {
  /** Packs deleted because nothing pointed into them any more. */
  removed: number;
  /** Packs rewritten, and the bodies copied out of them. */
  rewritten: number;
  moved: number;
  /** Bodies whose record no longer read back (damaged): their rows lost the body, to be fetched again. */
  damaged: number;
  freedBytes: number;
}

const running = new WeakMap<MailStore, Promise<CompactionResult>>();

/** Compacts the store's packs; one pass at a time per store (a second caller shares it). */
export function compactPacks(store: MailStore, o: { rewriteBelow?: number } = {}): Promise<CompactionResult> {
  let r = running.get(store);
  if (!r) {
    r = compact(store, o.rewriteBelow ?? REWRITE_BELOW).finally(() => running.delete(store));
    running.set(store, r);
  }
  return r;
}

/** The rows pointing into packs, a page of ids per turn: `visit(id, ref)` for each. */
async function eachPackRow(store: MailStore, prefix: string, visit: (id: number, ref: string) => void): Promise<void> {
  const sql = storeSql(store);
  const top = sql.get<{ m: number | null }>('SELECT MAX(id) AS m FROM messages')?.m ?? 0;
  for (let after = 0; after < top; after += ID_PAGE) {
    await takeTurn();
    const rows = sql.all<{ id: number; b: string }>('SELECT id, body_blob AS b FROM messages WHERE id > ? AND id <= ? AND body_blob >= ? AND body_blob < ?', [after, after + ID_PAGE, prefix, `${prefix}\uffff`]);
    for (const r of rows) visit(r.id, r.b);
  }
}

async function compact(store: MailStore, rewriteBelow: number): Promise<CompactionResult> {
  const out: CompactionResult = { removed: 0, rewritten: 0, moved: 0, damaged: 0, freedBytes: 0 };
  const packs = store.blobs.closedPacks();
  if (!packs.length) return out;
  const live = new Map<string, number>();
  await eachPackRow(store, 'pk:', (_id, b) => {
    const ref = parsePackRef(b);
    if (ref) live.set(ref.pack, (live.get(ref.pack) ?? 0) + HEADER_BYTES + ref.length);
  });
  for (const { name, size } of packs) {
    const used = live.get(name) ?? 0;
    if (used >= size * rewriteBelow) continue;
    if (used > 0) {
      const r = await rewrite(store, name);
      out.moved += r.moved;
      out.damaged += r.damaged;
      out.rewritten++;
    }
    if (store.blobs.dropPack(name)) {
      out.freedBytes += size;
      if (!used) out.removed++;
    }
  }
  return out;
}

/** Copies the live records of `pack` to the pack being written and points their rows there. */
async function rewrite(store: MailStore, pack: string): Promise<{ moved: number; damaged: number }> {
  const sql = storeSql(store);
  const rows: Array<{ id: number; ref: string }> = [];
  await eachPackRow(store, packPrefix(pack), (id, ref) => rows.push({ id, ref }));
  let moved = 0;
  let damaged = 0;
  for (let i = 0; i < rows.length; i += COPY_BATCH) {
    await takeTurn();
    const batch = rows.slice(i, i + COPY_BATCH).map((r) => {
      const body = store.blobs.get(r.ref);
      return { ...r, copy: body ? store.blobs.append(body) : undefined };
    });
    await store.blobs.flush(batch.flatMap((b) => (b.copy ? [b.copy] : [])));
    store.tx(() => {
      // Only rows still pointing where they did (one deleted meanwhile keeps nothing).
      for (const b of batch) sql.run('UPDATE messages SET body_blob = ? WHERE id = ? AND body_blob = ?', [b.copy ?? null, b.id, b.ref]);
    });
    for (const b of batch) {
      if (b.copy) moved++;
      else damaged++;
    }
  }
  return { moved, damaged };
}
