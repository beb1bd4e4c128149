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

  for (;;) {
    const jobs = store.listJobs().filter(runnable);
    if (!jobs.length) break;
    // Sync jobs first, so the newest mail of every folder is there before history.
    const order = (j: JobRow) => (j.kind === 'tasks' ? 0 : j.kind === 'sync' ? 1 : 2);
    jobs.sort((a, b) => order(a) - order(b));
    const firstKind = order(jobs[0]);
    const batch = jobs.filter((j) => order(j) === firstKind);
    // One connection per folder, at most three per account at a time.
    const byAccount = new Map<string, JobRow[]>();
    for (const j of batch) byAccount.set(j.accountId, [...(byAccount.get(j.accountId) ?? []), j]);
    await Promise.all(
      [...byAccount.values()].map(async (list) => {
        const queue = list.slice();
        await Promise.all(
          Array.from({ length: Math.min(3, queue.length) }, async () => {
            for (let j = queue.shift(); j; j = queue.shift()) {
              await scheduler.runJob(store.getJob(j.id) ?? j);
              const after = store.getJob(j.id);
              if (after?.status === 'ok') succeeded.add(j.id);
              if (after) opts.onProgress?.(after);
            }
          }),
        );
      }),
    );
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
