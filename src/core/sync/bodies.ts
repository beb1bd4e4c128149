/**
 * The "bodies" job of a folder: fetches ahead the bodies of its mail within the account's
 * window (BodySettings), newest first, so reading and search work offline.
 *
 * - One step is one page: up to PAGE_ROWS messages below the job's cursor, of which those
 *   without a body, in the window and under the size cap go out in ONE request to the
 *   provider (IMAP: one streamed UID FETCH), and each body is appended to a pack the moment
 *   it arrives (store/blobPacks.ts). Rows pointing to them are committed every COMMIT_EVERY
 *   bodies, after one fdatasync of the pack (and each commit is on disk when it returns), so
 *   a killed process fetches again at most the bodies of one batch.
 * - The cursor (store/bodies.ts) walks the folder from the newest message down; a finished
 *   pass remembers the range it covered, so new mail (above it) and older history stored
 *   later by the backfill (below it) are fetched without walking the rest again.
 * - Parsing for the search index is not done here: the background pass of
 *   src/core/search/bodyIndexer.ts does it in short slices.
 */
import { BODY_DEFAULTS, type BodySettings } from '../config';
import type { BodyRef, MailProvider } from '../providers/provider';
import { bodyCounts, bodyPage, bottomKey, type BodyCandidate, type BodyCounts, type BodyKey, getBodiesCursor, KEY_BOTTOM, KEY_TOP, type KeyPoint, recordBodies, setBodiesCursor, topKey } from '../store/bodies';
import type { FolderRow, MailStore } from '../store/store';
import { takeTurn } from '../turns';

/** Messages looked at per step: one request at most this many. */
export const PAGE_ROWS = 500;
/**
 * Bytes (as the server reported the sizes) per request at most: bounds what one step holds
 * up, the bodies streaming in and waiting for their blob writes, and then for the garbage
 * collector. With 32 MB the bench saw 26-53 MB of such buffers at the sync's peak (30,000 and
 * 100,000 messages); 8 MB (~270 of its messages, still one FETCH) showed 10-15 MB less at
 * 10,000 and no change beyond the noise at 100,000 (the bench's pages of 500 rows hold ~14 MB,
 * so 32 MB only bound runs of big messages).
 */
export const PAGE_BYTES = 8 * 1024 * 1024;
/** Bodies per store transaction while they stream in (one fdatasync of the pack each). */
export const COMMIT_EVERY = 50;
/** Or fewer, once they hold this many bytes: what a kill can make the job fetch again. */
export const COMMIT_BYTES = 4 * 1024 * 1024;

interface Segment {
  /** Exclusive upper bound: the last message looked at. */
  next: KeyPoint;
  /** Exclusive lower bound. */
  floor: KeyPoint;
  /** The newest point when the segment began: the pass covers up to it. */
  top: KeyPoint;
}

interface Cursor {
  key: BodyKey;
  /** IMAP: the UIDVALIDITY the UIDs belong to; another one starts over. */
  uv: string | null;
  /** Newest and oldest points a finished pass covered (null: no pass finished yet). */
  high: KeyPoint | null;
  low: KeyPoint | null;
  seg?: Segment;
  /** The walk reached mail older than the window (of `since`): nothing below is wanted. */
  windowDone: boolean;
  since: number;
  counts: BodyCounts;
  /**
   * The oldest point when `counts` was taken: mail the backfill stores below it later is
   * added to the counts as the walk meets it, so they stay right without counting again.
   */
  countedLow?: KeyPoint;
}

export interface BodyStepResult {
  /** Bodies fetched in this step, and their bytes. */
  fetched: number;
  bytes: number;
  /** Nothing is left to fetch for now. */
  complete: boolean;
  counts: BodyCounts;
}

export interface BodyStepContext {
  store: MailStore;
  provider: MailProvider;
  folder: FolderRow;
  settings?: BodySettings;
  now?: number;
  progress?(p: { phase: 'bodies'; fetched: number; total: number; bytes: number; overCap: number }): void;
}

/** The window start for the settings (a date; -1 for all mail), or null when bodies are off. */
export function windowStart(settings: BodySettings | undefined, now: number): number | null {
  const days = settings?.days ?? BODY_DEFAULTS.days;
  if (days === 'all') return -1;
  if (!(days > 0)) return null;
  return now - days * 86_400_000;
}

/**
 * Messages whose body some folder's job is fetching right now, per store: a Gmail message
 * under three labels is one message in three folders, and is fetched by one job, not three.
 */
const inFlight = new WeakMap<MailStore, Set<number>>();

const after = (a: KeyPoint, b: KeyPoint): boolean => a.k > b.k || (a.k === b.k && a.id > b.id);

/** One step of a folder's bodies job. */
export async function bodyStep(ctx: BodyStepContext): Promise<BodyStepResult> {
  const { store, provider, folder } = ctx;
  const now = ctx.now ?? Date.now();
  const since = windowStart(ctx.settings, now);
  const maxBytes = ctx.settings?.maxBytes ?? BODY_DEFAULTS.maxBytes;
  const none: BodyCounts = { total: 0, stored: 0, bytes: 0, overCap: 0 };
  if (since === null) return { fetched: 0, bytes: 0, complete: true, counts: none };

  const key: BodyKey = provider.kind === 'imap' ? 'uid' : 'date';
  const uv = key === 'uid' ? store.getSyncState(folder.id).uidValidity : null;
  let cur = getBodiesCursor<Cursor>(store, folder.id);
  if (!cur || cur.key !== key || cur.uv !== uv) cur = { key, uv, high: null, low: null, windowDone: false, since, counts: none };
  // A wider window than the walk stopped at: older mail is wanted after all.
  if (since < cur.since) cur.windowDone = false;
  cur.since = since;
  const report = (): void => ctx.progress?.({ phase: 'bodies', fetched: cur!.counts.stored, total: cur!.counts.total, bytes: cur!.counts.bytes, overCap: cur!.counts.overCap });

  let triedBelow = false;
  for (;;) {
    if (!cur.seg) {
      const top = topKey(store, folder.id, key);
      if (!top) {
        cur.counts = none;
        setBodiesCursor(store, folder.id, cur);
        report();
        return { fetched: 0, bytes: 0, complete: true, counts: cur.counts };
      }
      if (!cur.high) cur.seg = { next: KEY_TOP, floor: KEY_BOTTOM, top };
      else if (after(top, cur.high)) cur.seg = { next: KEY_TOP, floor: cur.high, top };
      else if (!cur.windowDone && !triedBelow && cur.low) {
        triedBelow = true;
        cur.seg = { next: cur.low, floor: KEY_BOTTOM, top: cur.high };
      } else {
        setBodiesCursor(store, folder.id, cur);
        report();
        return { fetched: 0, bytes: 0, complete: true, counts: cur.counts };
      }
      // Counted once per segment, then kept up to date as the walk goes.
      cur.counts = await bodyCounts(store, folder.id, key, since, maxBytes);
      cur.countedLow = bottomKey(store, folder.id, key);
    }
    const seg = cur.seg;
    // A page of 500 rows takes a few milliseconds to read: in a turn with budget left (turns.ts),
    // not after the slices of nine other folders' syncs.
    await takeTurn();
    const page = bodyPage(store, folder.id, key, seg.next, seg.floor, PAGE_ROWS);
    if (!page.length) {
      finishSegment(cur, seg);
      continue;
    }
    // What this step covers: the page, cut where the wanted bodies reach PAGE_BYTES.
    const want: BodyCandidate[] = [];
    let bytes = 0;
    let last = page[page.length - 1];
    const busy = inFlight.get(store) ?? new Set<number>();
    inFlight.set(store, busy);
    for (const r of page) {
      const wanted = !r.hasBody && r.date >= since && r.size <= maxBytes && !busy.has(r.id);
      if (wanted && want.length && bytes + r.size > PAGE_BYTES) break;
      last = r;
      if (wanted) {
        want.push(r);
        bytes += r.size;
      }
    }
    const covered = page.slice(0, page.indexOf(last) + 1);
    countNewBelow(cur, covered, since, maxBytes);
    // The walk has gone past the window: a whole page of older mail ends it.
    const pastWindow = seg.floor.k === KEY_BOTTOM.k && covered.every((r) => r.date < since);

    for (const r of want) busy.add(r.id);
    let got: { count: number; bytes: number };
    try {
      got = await fetchPage(ctx, want, uv, cur);
    } finally {
      for (const r of want) busy.delete(r.id);
    }
    seg.next = last.key;
    if (pastWindow) {
      cur.windowDone = true;
      finishSegment(cur, seg);
    }
    setBodiesCursor(store, folder.id, cur);
    report();
    return { fetched: got.count, bytes: got.bytes, complete: false, counts: cur.counts };
  }
}

/** Adds to the counts the rows below the point they were counted at (stored by the backfill since). */
function countNewBelow(cur: Cursor, rows: BodyCandidate[], since: number, maxBytes: number): void {
  const low = cur.countedLow;
  if (!low) return;
  let lowest = low;
  for (const r of rows) {
    if (!after(low, r.key)) continue;
    if (after(lowest, r.key)) lowest = r.key;
    if (r.date < since) continue;
    if (r.size > maxBytes) {
      cur.counts.overCap++;
      continue;
    }
    cur.counts.total++;
    if (r.hasBody) {
      cur.counts.stored++;
      cur.counts.bytes += r.size;
    }
  }
  cur.countedLow = lowest;
}

function finishSegment(cur: Cursor, seg: Segment): void {
  if (!cur.high || after(seg.top, cur.high)) cur.high = seg.top;
  // A walk down to the bottom covered everything to where it stopped.
  if (seg.floor.k === KEY_BOTTOM.k && seg.next.k !== KEY_TOP.k) cur.low = seg.next;
  cur.seg = undefined;
}

/** Fetches the bodies of one page and stores each as it arrives (blobs at once, rows in batches). */
async function fetchPage(ctx: BodyStepContext, want: BodyCandidate[], uv: string | null, cur: Cursor): Promise<{ count: number; bytes: number }> {
  const { store, provider, folder } = ctx;
  if (!want.length) return { count: 0, bytes: 0 };
  const byRef = new Map<BodyRef, BodyCandidate>();
  const refs: BodyRef[] = want.map((r) => {
    const ref: BodyRef = { uid: r.uid ?? undefined, providerId: r.providerId ?? undefined, uidValidity: uv ?? undefined };
    byRef.set(ref, r);
    return ref;
  });
  let pending: Array<{ row: BodyCandidate; ref: string; size: number }> = [];
  let pendingBytes = 0;
  // Batches commit in order, each once its bodies are on disk for good.
  let commits: Promise<void> = Promise.resolve();
  let failed: unknown;
  let count = 0;
  let bytes = 0;
  const commit = (): void => {
    if (!pending.length) return;
    const batch = pending;
    pending = [];
    pendingBytes = 0;
    commits = commits.then(async () => {
      if (failed !== undefined) return;
      try {
        await store.blobs.flush(batch.map((b) => b.ref));
      } catch (e) {
        failed = e;
        return;
      }
      recordBodies(store, batch.map((b) => ({ id: b.row.id, hash: b.ref })));
      for (const b of batch) {
        cur.counts.stored++;
        cur.counts.bytes += b.row.size || b.size;
      }
    });
  };
  const onBody = (ref: BodyRef, raw: Buffer): void => {
    const row = byRef.get(ref) ?? want.find((r) => (ref.uid !== undefined && r.uid === ref.uid) || (ref.providerId !== undefined && r.providerId === ref.providerId));
    if (!row) return;
    count++;
    bytes += raw.length;
    // Appended to a pack, written off the thread; its row is committed once it is on disk.
    pending.push({ row, ref: store.blobs.append(raw), size: raw.length });
    pendingBytes += raw.length;
    if (pending.length >= COMMIT_EVERY || pendingBytes >= COMMIT_BYTES) commit();
  };
  let error: unknown;
  try {
    if (provider.fetchBodies) await provider.fetchBodies(folder, refs, onBody);
    else for (const ref of refs) onBody(ref, await provider.fetchRaw(folder.path, ref));
  } catch (e) {
    error = e;
  }
  // What arrived before a failure is kept.
  commit();
  await commits;
  if (error !== undefined) throw error;
  if (failed !== undefined) throw failed;
  return { count, bytes };
}
