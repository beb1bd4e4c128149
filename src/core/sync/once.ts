/**
 * "Sync until in step, then stop": what `maildesk sync --once` and the demo run.
 * Every selected folder gets one successful incremental sync and its fill, backfill and
 * bodies (within the account's window) finish; a transient failure is retried a few times
 * with back-off first. Backfill and bodies steps run side by side, so bodies stream in
 * while older headers are still being fetched.
 */
import type { JobRow } from '../store/store';
import type { MailDesk } from '../maildesk';
import { backoffDelay } from './backoff';
import { inTurn } from '../turns';

export interface OnceResult {
  ok: boolean;
  failed: JobRow[];
  ms: number;
}

export async function syncOnce(core: MailDesk, accountIds: string[], opts: { maxAttempts?: number; onProgress?: (j: JobRow) => void } = {}): Promise<OnceResult> {
  const start = Date.now();
  const maxAttempts = opts.maxAttempts ?? 3;
  const { store, scheduler } = core;
  for (const id of accountIds) scheduler.ensureJobs(id);

  // Jobs that succeeded during this call. Comparing lastSuccess with the start time skipped a
  // job whose previous success fell in the same millisecond as this call's start.
  const succeeded = new Set<string>();
  const runnable = (j: JobRow): boolean => {
    if (!accountIds.includes(j.accountId) || j.status === 'paused' || j.status === 'running') return false;
    if (j.status === 'error' && j.attempts >= maxAttempts) return false;
    if (j.kind === 'tasks' || j.kind === 'sync') return !succeeded.has(j.id);
    if (j.kind === 'backfill' || j.kind === 'bodies') return j.status !== 'done';
    return false;
  };

  // Sync jobs first, so the newest mail of every folder is there before history and bodies.
  const order = (j: JobRow) => (j.kind === 'tasks' ? 0 : j.kind === 'sync' ? 1 : 2);

  const runKind = async (accountId: string, kind: number): Promise<void> => {
    const active = new Set<string>();
    // A job that failed waits for the back-off below, not for the next free worker.
    const failedNow = new Set<string>();
    const lastPick = new Map<string, number>();
    let picks = 0;
    let wake: () => void = () => undefined;
    let changed = new Promise<void>((r) => (wake = r));
    const settle = (): void => {
      const w = wake;
      changed = new Promise<void>((r) => (wake = r));
      w();
    };
    // The job that waited longest since its last step, so folders take turns.
    const pick = (): JobRow | undefined =>
      store
        .listJobs(accountId)
        .filter((j) => runnable(j) && order(j) === kind && !active.has(j.id) && !failedNow.has(j.id))
        .sort((a, b) => (lastPick.get(a.id) ?? -1) - (lastPick.get(b.id) ?? -1))[0];
    const worker = async (): Promise<void> => {
      for (;;) {
        // Three workers pick side by side, each reading the jobs table: each in a turn with budget
        // left. A job is marked taken in the same breath as it is picked, or two workers run it.
        const j = await inTurn(() => {
          const next = pick();
          if (next) {
            active.add(next.id);
            lastPick.set(next.id, ++picks);
          }
          return next;
        });
        if (!j) {
          // Another worker's step may make a job runnable again (new headers wake the bodies job).
          if (!active.size) return;
          await changed;
          continue;
        }
        try {
          await scheduler.runJob(j);
        } finally {
          active.delete(j.id);
        }
        const after = store.getJob(j.id);
        if (after?.status === 'ok') succeeded.add(j.id);
        if (after?.status === 'error') failedNow.add(j.id);
        if (after) opts.onProgress?.(after);
        settle();
      }
    };
    await Promise.all(Array.from({ length: 3 }, worker));
  };

  for (;;) {
    const jobs = store.listJobs().filter(runnable);
    if (!jobs.length) break;
    jobs.sort((a, b) => order(a) - order(b));
    const firstKind = order(jobs[0]);
    // Per account, up to three jobs of this kind at a time (one connection each). A step that
    // leaves its job runnable (a backfill or bodies page) is followed by the next step at once,
    // so bodies stream in while the backfill fetches older headers, neither waiting for the other.
    const accounts = [...new Set(jobs.filter((j) => order(j) === firstKind).map((j) => j.accountId))];
    await Promise.all(accounts.map((accountId) => runKind(accountId, firstKind)));
    const errored = store.listJobs().filter((j) => accountIds.includes(j.accountId) && j.status === 'error' && j.attempts < maxAttempts);
    if (errored.length) {
      const wait = Math.min(...errored.map((j) => backoffDelay(j.attempts, { baseMs: 500, capMs: 4_000 })));
      await new Promise((r) => setTimeout(r, wait));
    }
  }
  const failed = store.listJobs().filter((j) => accountIds.includes(j.accountId) && (j.status === 'error' || j.status === 'paused'));
  // No save here: closing the core saves (the CLI), and in VS Code the autosave does.
  return { ok: failed.length === 0, failed, ms: Date.now() - start };
}
