/**
 * The `jobs` table (each account's and folder's sync, fill, backfill… with its schedule and
 * last outcome) and the `tasks` table (local actions waiting for their remote step).
 */
import type { SqlValue } from 'sql.js';
import type { StoreSql } from './sql';

export type JobKind = 'sync' | 'fill' | 'backfill' | 'bodies' | 'maintenance' | 'tasks';
export type JobStatus = 'pending' | 'running' | 'ok' | 'error' | 'paused' | 'done';

export interface JobRow {
  id: string;
  accountId: string;
  folderId: number | null;
  kind: JobKind;
  status: JobStatus;
  lastRun: number | null;
  lastSuccess: number | null;
  nextRun: number | null;
  attempts: number;
  errorCode: string | null;
  errorMessage: string | null;
  progress: Record<string, unknown> | null;
}

export interface TaskRow {
  id: number;
  accountId: string;
  kind: string;
  payload: Record<string, unknown>;
  status: 'pending' | 'done' | 'failed';
  attempts: number;
  error: string | null;
  createdAt: number;
  /** Not tried again before this time (a task backing off); null: whenever the tasks job runs. */
  notBefore: number | null;
}

function toJob(r: Record<string, SqlValue>): JobRow {
  return {
    id: r.id as string,
    accountId: r.account_id as string,
    folderId: (r.folder_id as number) ?? null,
    kind: r.kind as JobKind,
    status: r.status as JobStatus,
    lastRun: (r.last_run as number) ?? null,
    lastSuccess: (r.last_success as number) ?? null,
    nextRun: (r.next_run as number) ?? null,
    attempts: r.attempts as number,
    errorCode: (r.error_code as string) ?? null,
    errorMessage: (r.error_message as string) ?? null,
    progress: r.progress ? (JSON.parse(r.progress as string) as Record<string, unknown>) : null,
  };
}

export class JobsTable {
  constructor(private readonly sql: StoreSql) {}

  ensure(id: string, accountId: string, folderId: number | null, kind: JobKind, nextRun: number): JobRow {
    const existing = this.get(id);
    if (existing) return existing;
    this.sql.tx(() => {
      this.sql.run('INSERT INTO jobs(id, account_id, folder_id, kind, status, next_run) VALUES(?, ?, ?, ?, ?, ?)', [id, accountId, folderId, kind, 'pending', nextRun]);
      this.sql.pending.jobs = true;
    });
    return this.get(id)!;
  }

  get(id: string): JobRow | undefined {
    const r = this.sql.get('SELECT * FROM jobs WHERE id = ?', [id]);
    return r ? toJob(r) : undefined;
  }

  list(accountId?: string): JobRow[] {
    const rows = accountId ? this.sql.all('SELECT * FROM jobs WHERE account_id = ? ORDER BY id', [accountId]) : this.sql.all('SELECT * FROM jobs ORDER BY account_id, id');
    return rows.map(toJob);
  }

  update(id: string, patch: Partial<Omit<JobRow, 'id' | 'accountId' | 'folderId' | 'kind'>>): void {
    const cur = this.get(id);
    if (!cur) return;
    const j = { ...cur, ...patch };
    this.sql.tx(() => {
      this.sql.run(
        'UPDATE jobs SET status = ?, last_run = ?, last_success = ?, next_run = ?, attempts = ?, error_code = ?, error_message = ?, progress = ? WHERE id = ?',
        [j.status, j.lastRun, j.lastSuccess, j.nextRun, j.attempts, j.errorCode, j.errorMessage, j.progress ? JSON.stringify(j.progress) : null, id],
      );
      this.sql.pending.jobs = true;
    });
  }

  delete(where: { accountId: string; folderId?: number }): void {
    this.sql.tx(() => {
      if (where.folderId !== undefined) this.sql.run('DELETE FROM jobs WHERE account_id = ? AND folder_id = ?', [where.accountId, where.folderId]);
      else this.sql.run('DELETE FROM jobs WHERE account_id = ?', [where.accountId]);
      this.sql.pending.jobs = true;
    });
  }

  // ---- tasks --------------------------------------------------------------

  enqueueTask(accountId: string, kind: string, payload: Record<string, unknown>, opts: { notBefore?: number; error?: string } = {}): number {
    let id = 0;
    this.sql.tx(() => {
      this.sql.run('INSERT INTO tasks(account_id, kind, payload, created_at, not_before, error) VALUES(?, ?, ?, ?, ?, ?)', [
        accountId,
        kind,
        JSON.stringify(payload),
        Date.now(),
        opts.notBefore ?? null,
        opts.error ?? null,
      ]);
      id = this.sql.lastId();
      this.sql.pending.jobs = true;
    });
    return id;
  }

  /** How the account's tasks after `sinceTaskId` stand (a CLI action reports what became of its own). */
  taskOutcomesSince(accountId: string, sinceTaskId: number): Array<{ kind: string; status: string; error: string | null }> {
    return this.sql.all<{ kind: string; status: string; error: string | null }>('SELECT kind, status, error FROM tasks WHERE account_id = ? AND id > ?', [accountId, sinceTaskId]);
  }

  /** The newest task id (0 with none). */
  lastTaskId(): number {
    return this.sql.get<{ id: number }>('SELECT COALESCE(MAX(id), 0) AS id FROM tasks')?.id ?? 0;
  }

  pendingTasks(accountId: string): TaskRow[] {
    return this.sql.all(`SELECT * FROM tasks WHERE account_id = ? AND status = 'pending' ORDER BY id`, [accountId]).map((r) => ({
      id: r.id as number,
      accountId: r.account_id as string,
      kind: r.kind as string,
      payload: JSON.parse(r.payload as string) as Record<string, unknown>,
      status: r.status as TaskRow['status'],
      attempts: r.attempts as number,
      error: (r.error as string) ?? null,
      createdAt: r.created_at as number,
      notBefore: (r.not_before as number) ?? null,
    }));
  }

  /** The account's pending tasks of one kind, oldest first (Troubleshoot: Sent copies waiting). */
  pendingTasksOfKind(accountId: string, kind: string): TaskRow[] {
    return this.pendingTasks(accountId).filter((t) => t.kind === kind);
  }

  /** A try failed: the task stays pending with its error, not tried again before `notBefore` (null: next run). */
  deferTask(id: number, error: string, notBefore: number | null): void {
    this.sql.tx(() => {
      this.sql.run(`UPDATE tasks SET status = 'pending', attempts = attempts + 1, error = ?, not_before = ? WHERE id = ?`, [error, notBefore, id]);
      this.sql.pending.jobs = true;
    });
  }

  /** The account's newest tasks that failed on the server (Troubleshoot lists them). */
  failedTasks(accountId: string, limit = 5): Array<{ kind: string; error: string | null }> {
    return this.sql.all<{ kind: string; error: string | null }>(`SELECT kind, error FROM tasks WHERE account_id = ? AND status = 'failed' ORDER BY id DESC LIMIT ?`, [accountId, limit]);
  }

  finishTask(id: number, status: 'done' | 'failed' | 'pending', error: string | null = null): void {
    this.sql.tx(() => {
      this.sql.run('UPDATE tasks SET status = ?, attempts = attempts + 1, error = ? WHERE id = ?', [status, error, id]);
      this.sql.pending.jobs = true;
    });
  }
}
