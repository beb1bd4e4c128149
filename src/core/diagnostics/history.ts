/**
 * "Since when?": each Troubleshoot run remembers, per check and account, when the check last
 * passed and when its current run of failures or warnings began, in the store's settings.
 * Support reads "failing since 09:12, last passed 09:02" instead of only the report's time.
 */
import type { MailStore } from '../store/store';
import type { CheckOutcome } from './check';

const KEY = 'diagnostics.history';

interface Entry {
  /** Start of the current non-passing streak (null while passing). */
  firstSeen: number | null;
  lastSuccess: number | null;
}

function keyOf(o: Pick<CheckOutcome, 'id' | 'account'>): string {
  return `${o.id}|${o.account ?? ''}`;
}

function iso(ms: number | null): string | null {
  return ms ? new Date(ms).toISOString() : null;
}

function load(store: MailStore): Record<string, Entry> {
  try {
    const raw = store.getSetting(KEY);
    const v = raw ? (JSON.parse(raw) as unknown) : {};
    return v && typeof v === 'object' ? (v as Record<string, Entry>) : {};
  } catch {
    return {};
  }
}

/**
 * Adds firstSeen / lastSuccess to every outcome and remembers this run. A check with several
 * results for one account counts as passing only when all of them pass; a skip neither starts
 * nor ends a streak. Remembering is best effort: a store that cannot save (the disk is full)
 * must not cost the report.
 */
export function applyHistory(store: MailStore, outcomes: CheckOutcome[], now: number): CheckOutcome[] {
  const history = load(store);
  const worst = new Map<string, CheckOutcome['status']>();
  for (const o of outcomes) {
    const k = keyOf(o);
    const prev = worst.get(k);
    if (!prev || o.status === 'fail' || (o.status === 'warn' && prev !== 'fail') || (o.status === 'pass' && prev === 'skip')) worst.set(k, o.status);
  }
  for (const [k, status] of worst) {
    const e: Entry = history[k] ?? { firstSeen: null, lastSuccess: null };
    if (status === 'pass') history[k] = { firstSeen: null, lastSuccess: now };
    else if (status === 'fail' || status === 'warn') history[k] = { firstSeen: e.firstSeen ?? now, lastSuccess: e.lastSuccess };
  }
  try {
    store.setSetting(KEY, JSON.stringify(history));
  } catch {
    // The store's own check reports a failing save; the history is what it was.
  }
  return outcomes.map((o) => {
    const e = history[keyOf(o)];
    const problem = o.status === 'fail' || o.status === 'warn';
    return { ...o, firstSeen: problem ? iso(e?.firstSeen ?? now) : null, lastSuccess: iso(e?.lastSuccess ?? null) };
  });
}
