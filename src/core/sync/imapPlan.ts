/**
 * What one IMAP folder sync must do, decided from what we know locally and what the
 * server's STATUS/SELECT said. A plain function so every case is a row in a table
 * test (test/unit/imapPlan.test.ts); the provider only carries the plan out.
 */
export interface LocalFolderState {
  uidValidity: string | null;
  uidNext: number | null;
  highestModseq: string | null;
  /** Lowest UID we hold: older mail is the backfill's job. */
  minUid: number | null;
  maxUid: number | null;
  /** UIDs held locally (not missing). */
  count: number;
  fillDone: boolean;
  backfillDone: boolean;
}

export interface RemoteFolderStatus {
  uidValidity: string;
  uidNext: number;
  messages: number;
  highestModseq: string | null;
  condstore: boolean;
  qresync: boolean;
}

export type ImapSyncPlan =
  | { kind: 'noop' }
  | {
      kind: 'sync';
      /** Forget the folder and fetch it anew (UIDVALIDITY changed). */
      reset: boolean;
      /** Fetch the newest page first (first connection or after a reset). */
      fillFirstPage: boolean;
      /** UID range of new mail to fetch, e.g. "1201:*". */
      newRange: string | null;
      /** How to learn flag changes: CONDSTORE since a modseq, a full scan of known UIDs, or not at all. */
      flags: { kind: 'changedSince'; modseq: string } | { kind: 'scan'; range: string } | { kind: 'none' };
      /** Whether expunges must be looked for (count mismatch, or modseq moved on a QRESYNC server). */
      checkExpunged: boolean;
    };

export function planImapSync(local: LocalFolderState, remote: RemoteFolderStatus): ImapSyncPlan {
  const reset = local.uidValidity !== null && local.uidValidity !== remote.uidValidity;
  if (reset || local.uidValidity === null || (!local.fillDone && local.count === 0)) {
    if (remote.messages === 0) {
      return { kind: 'sync', reset, fillFirstPage: false, newRange: null, flags: { kind: 'none' }, checkExpunged: false };
    }
    return { kind: 'sync', reset, fillFirstPage: true, newRange: null, flags: { kind: 'none' }, checkExpunged: false };
  }
  const lastKnown = Math.max(local.maxUid ?? 0, (local.uidNext ?? 1) - 1);
  const hasNew = remote.uidNext > lastKnown + 1;
  const newRange = hasNew ? `${lastKnown + 1}:*` : null;
  const modseqMoved = remote.condstore && remote.highestModseq !== null && local.highestModseq !== null && BigInt(remote.highestModseq) > BigInt(local.highestModseq);
  const modseqKnown = remote.condstore && remote.highestModseq !== null && local.highestModseq !== null;

  let flags: Extract<ImapSyncPlan, { kind: 'sync' }>['flags'];
  if (local.count === 0 || local.minUid === null) flags = { kind: 'none' };
  else if (modseqKnown) flags = modseqMoved ? { kind: 'changedSince', modseq: local.highestModseq! } : { kind: 'none' };
  else flags = { kind: 'scan', range: `${local.minUid}:${lastKnown}` };

  // With CONDSTORE an expunge moves HIGHESTMODSEQ; a count that no longer adds up is
  // checked too, as a safety net. Without it, only a look at the UIDs can tell.
  const countMismatch = local.backfillDone && !hasNew && remote.messages !== local.count;
  const checkExpunged = local.count > 0 && (modseqKnown ? modseqMoved || countMismatch : true);

  if (!newRange && flags.kind === 'none' && !checkExpunged) return { kind: 'noop' };
  return { kind: 'sync', reset: false, fillFirstPage: false, newRange, flags, checkExpunged };
}

/**
 * The next backfill page: UIDs just below the lowest one we hold. UIDs are mostly
 * dense, so a UID range of `pageSize` usually returns a full page; a sparse folder
 * gets smaller pages, and an empty page falls back to a search (see the provider).
 */
export function nextBackfillRange(minUid: number | null, pageSize: number): { range: string; low: number } | null {
  if (minUid === null || minUid <= 1) return null;
  const high = minUid - 1;
  const low = Math.max(1, high - pageSize + 1);
  return { range: `${low}:${high}`, low };
}

/** Sequence range of the newest `pageSize` messages of a folder holding `exists`. */
export function newestPageSeqRange(exists: number, pageSize: number): string | null {
  if (exists <= 0) return null;
  return `${Math.max(1, exists - pageSize + 1)}:${exists}`;
}
