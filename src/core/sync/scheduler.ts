/**
 * Runs the jobs of every account: `sync` per selected folder (incremental, with the
 * first page of a fill), `backfill` per selected folder (older history, page by page,
 * until done), `bodies` per selected folder (bodies fetched ahead within the account's
 * window, page by page: sync/bodies.ts), `tasks` per account (local actions' remote steps) and `maintenance`
 * per account (folder list, counts, purge). Each job's last run, status, error and
 * next run live in the store: that is the "Scheduled Actions" screen of the guide.
 *
 * Failures: a retryable error backs off with jitter; a folder error never stops the
 * other folders; a login failure marks the account disconnected and pauses its jobs
 * without touching its mail.
 */
import type { AccountConfig, BodySettings } from '../config';
import { MailError, toMailError } from '../errors';
import type { Logger } from '../log';
import type { MailProvider } from '../providers/provider';
import type { FolderRow, JobKind, JobRow, MailStore, TaskRow } from '../store/store';
import { backoffDelay } from './backoff';
import { jobId } from './jobId';
import { inTurn, takeTurn } from '../turns';
import { bodyStep } from './bodies';
import { compactPacks } from '../store/packCompaction';
import { SENT_COPY_TASK, sentCopyError, sentCopyFailureKey, sentCopyPayload, sentCopyRetryDelay, trySentCopy } from '../send/sentCopyTask';

export interface SchedulerOptions {
  store: MailStore;
  provider(accountId: string): MailProvider;
  logger: Logger;
  /** Periodic sync interval, per folder. */
  syncIntervalMs?: number;
  /** How often folder lists and counts are refreshed. */
  maintenanceIntervalMs?: number;
  /** Jobs running at once across all accounts. */
  maxConcurrent?: number;
  backoffBaseMs?: number;
  now?: () => number;
  /** Offline bodies for accounts whose configuration says nothing (BODY_DEFAULTS otherwise). */
  bodies?: BodySettings;
}

const AUTH_CODES = new Set(['auth.failed', 'auth.expired', 'auth.reauthRequired', 'auth.accessDenied', 'config.missingPassword', 'oauth.notConfigured']);

export { jobId };

/** Folders selected by default: Inbox, Sent and Drafts. */
export function defaultSelection(account: AccountConfig): (f: { path: string; role?: string | null }) => boolean {
  if (account.folders?.length) {
    const want = new Set(account.folders.map((p) => p.toUpperCase()));
    return (f) => want.has(f.path.toUpperCase());
  }
  return (f) => f.role === 'inbox' || f.role === 'sent' || f.role === 'drafts';
}

export class Scheduler {
  private timer: NodeJS.Timeout | undefined;
  private running = new Map<string, Promise<void>>();
  private started = false;
  private readonly now: () => number;
  private readonly interval: number;
  private readonly maintenanceInterval: number;
  private readonly maxConcurrent: number;
  private readonly listeners = new Set<() => void>();
  /** Bodies jobs whose folder got new messages while they ran: they run once more. */
  private readonly bodiesAgain = new Set<string>();
  /**
   * Bumped when credentials may have changed (an account resumed, a client that keeps secrets
   * connected): a sign-in failure of a job that asked before that is stale.
   */
  private credentialEpoch = 0;

  constructor(private readonly o: SchedulerOptions) {
    this.now = o.now ?? Date.now;
    this.interval = o.syncIntervalMs ?? 120_000;
    this.maintenanceInterval = o.maintenanceIntervalMs ?? 15 * 60_000;
    this.maxConcurrent = o.maxConcurrent ?? 4;
  }

  /** Creates jobs for the account's selected folders and drops those of unselected ones. */
  ensureJobs(accountId: string): void {
    const { store } = this.o;
    const now = this.now();
    store.tx(() => {
      store.ensureJob(jobId(accountId, 'maintenance'), accountId, null, 'maintenance', now + this.maintenanceInterval);
      store.ensureJob(jobId(accountId, 'tasks'), accountId, null, 'tasks', now);
      const folders = store.listFolders(accountId);
      for (const f of folders) {
        if (f.selected && f.remoteExists) {
          store.ensureJob(jobId(accountId, 'sync', f.path), accountId, f.id, 'sync', now);
          const bf = store.ensureJob(jobId(accountId, 'backfill', f.path), accountId, f.id, 'backfill', now);
          if (bf.status === 'done' && store.getSyncState(f.id).deepBackfill) store.updateJob(bf.id, { status: 'pending', nextRun: now });
          // A finished bodies job looks again: the window or size cap may have changed since,
          // and a step with nothing to do costs two index lookups.
          const bj = store.ensureJob(jobId(accountId, 'bodies', f.path), accountId, f.id, 'bodies', now);
          if (bj.status === 'done') store.updateJob(bj.id, { status: 'pending', nextRun: now });
        } else {
          store.deleteJobs({ accountId, folderId: f.id });
        }
      }
    });
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    // Jobs left "running" by a killed process run again; their cursors make that safe.
    for (const j of this.o.store.listJobs()) if (j.status === 'running') this.o.store.updateJob(j.id, { status: 'pending', nextRun: this.now() });
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.started = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await Promise.allSettled([...this.running.values()]);
  }

  /** Offline bodies for accounts whose configuration says nothing (a client's settings changed). */
  setBodyDefaults(bodies: BodySettings): void {
    this.o.bodies = bodies;
  }

  /** Runs a job as soon as possible (Refresh, IDLE, Trigger Backfill). */
  trigger(id: string): void {
    const j = this.o.store.getJob(id);
    if (!j || j.status === 'paused') return;
    this.o.store.updateJob(id, { nextRun: this.now(), status: j.status === 'done' ? 'pending' : j.status });
    this.schedule(0);
  }

  triggerAccount(accountId: string, kind?: JobKind): void {
    for (const j of this.o.store.listJobs(accountId)) if (!kind || j.kind === kind) this.trigger(j.id);
  }

  /** After the password was fixed or the user signed in again. */
  resume(accountId: string): void {
    const { store } = this.o;
    this.credentialEpoch++;
    store.setAccountState(accountId, 'unknown');
    for (const j of store.listJobs(accountId)) if (j.status === 'paused' || j.status === 'error') store.updateJob(j.id, { status: 'pending', nextRun: this.now(), attempts: 0 });
    this.schedule(0);
  }

  /** A new source of credentials (a client that keeps secrets connected): failures from before are stale. */
  credentialsMayHaveChanged(): void {
    this.credentialEpoch++;
  }

  pause(accountId: string, code: string, reason: string): void {
    const { store } = this.o;
    store.tx(() => {
      store.setAccountState(accountId, code.startsWith('auth.expired') || code.startsWith('auth.reauth') ? 'reauth' : 'disconnected', code, reason);
      for (const j of store.listJobs(accountId)) if (j.status !== 'done') store.updateJob(j.id, { status: 'paused', errorCode: code, errorMessage: reason });
    });
  }

  get activeCount(): number {
    return this.running.size;
  }

  /** Called when any job finishes. */
  onDidSettle(listener: () => void): { dispose(): void } {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  private schedule(delayMs: number): void {
    if (!this.started) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.tick(), Math.max(0, delayMs));
    this.timer.unref?.();
  }

  private dueJobs(): JobRow[] {
    const now = this.now();
    return this.o.store
      .listJobs()
      .filter((j) => (j.status === 'pending' || j.status === 'ok' || j.status === 'error') && j.nextRun !== null && j.nextRun <= now && !this.running.has(j.id))
      .sort((a, b) => this.priority(a) - this.priority(b) || (a.nextRun ?? 0) - (b.nextRun ?? 0));
  }

  /** Sync (Inbox first) before maintenance before backfill and bodies: fresh mail matters most. */
  private priority(j: JobRow): number {
    const base = j.kind === 'tasks' ? 0 : j.kind === 'sync' ? 1 : j.kind === 'maintenance' ? 2 : 3;
    const inbox = j.folderId !== null && this.o.store.getFolderById(j.folderId)?.role === 'inbox' ? 0 : 0.5;
    return base + inbox;
  }

  private perAccountRunning(accountId: string): number {
    let n = 0;
    for (const id of this.running.keys()) if (id.startsWith(accountId + ':')) n++;
    return n;
  }

  private tick(): void {
    this.timer = undefined;
    if (!this.started) return;
    for (const j of this.dueJobs()) {
      if (this.running.size >= this.maxConcurrent) break;
      const account = this.o.store.getAccount(j.accountId);
      if (!account) continue;
      let max = 3;
      try {
        max = Math.max(1, Math.min(3, (this.o.provider(j.accountId) as { maxConnections?: number }).maxConnections ?? 3));
      } catch {
        /* provider not available: the job itself reports why */
      }
      if (this.perAccountRunning(j.accountId) >= max) continue;
      const p = this.runJob(j).finally(() => {
        this.running.delete(j.id);
        for (const l of this.listeners) l();
        this.schedule(0);
      });
      this.running.set(j.id, p);
    }
    const next = this.o.store
      .listJobs()
      .filter((j) => j.nextRun !== null && (j.status === 'pending' || j.status === 'ok' || j.status === 'error'))
      .reduce((a, j) => Math.min(a, j.nextRun!), Number.POSITIVE_INFINITY);
    if (Number.isFinite(next)) this.schedule(Math.min(next - this.now(), 60_000));
  }

  /** Runs one job now and records the outcome (also used by the CLI's `--once`). */
  async runJob(j: JobRow): Promise<void> {
    const { store, logger } = this.o;
    // Several jobs start together (tick, syncOnce's workers), each with a commit and a first
    // run of cold code before its first wait for the server: in one turn, that held the event
    // loop 30-40 ms at the start of a sync. Each starts in a turn with budget left (turns.ts),
    // checked right before its commit: jobs started together all passed a check made before.
    const epochAtStart = await inTurn(() => {
      store.updateJob(j.id, { status: 'running', lastRun: this.now() });
      return this.credentialEpoch;
    });
    const folder = j.folderId !== null ? store.getFolderById(j.folderId) : undefined;
    try {
      const provider = this.o.provider(j.accountId);
      let again = false;
      let reconnected = false;
      /** A task backing off wants the tasks job back sooner than its interval. */
      let tasksNextTry: number | undefined;
      /**
       * Whether this run heard from the server. A tasks or bodies job with nothing to do never
       * asks it, so its success says nothing of the account's connection (it must not undo
       * "disconnected: wrong password" that a sync job found).
       */
      let reachedServer = true;
      if (j.kind === 'maintenance') {
        await this.refreshFolders(j.accountId, provider);
        // Space of deleted bodies back from the packs (shared by the accounts of the folder).
        const c = await compactPacks(store);
        if (c.removed || c.rewritten) logger.log('info', `bodies compacted: ${c.removed + c.rewritten} packs, ${c.moved} bodies moved, ${Math.round(c.freedBytes / 1048576)} MB freed`, { account: j.accountId, damaged: c.damaged });
      } else if (j.kind === 'tasks') {
        const t = await this.runTasks(j.accountId, provider);
        tasksNextTry = t.nextTry;
        reachedServer = t.asked;
      } else if (j.kind === 'bodies' && folder) {
        this.bodiesAgain.delete(j.id);
        const r = await bodyStep({
          store,
          provider,
          folder,
          settings: store.getAccount(j.accountId)?.config.bodies ?? this.o.bodies,
          progress: (p) => store.updateJob(j.id, { progress: { ...p } }),
        });
        again = !r.complete || this.bodiesAgain.delete(j.id);
        reachedServer = r.fetched > 0;
      } else if (folder) {
        const r = await provider.syncFolder(j.kind === 'backfill' ? 'backfill' : 'sync', {
          store,
          folder,
          progress: (p) => store.updateJob(j.id, { progress: p }),
        });
        if (r.reset) logger.log('warn', `folder reset by the provider; re-fetched from scratch`, { account: j.accountId, folder: folder.path });
        if (j.kind === 'backfill') again = !r.complete;
        if (j.kind === 'sync' && r.reset) this.trigger(jobId(j.accountId, 'backfill', folder.path));
        if (j.kind === 'sync' && r.newMessages && !store.getSyncState(folder.id).backfillDone) {
          const bf = store.getJob(jobId(j.accountId, 'backfill', folder.path));
          if (bf?.status === 'done') this.trigger(bf.id);
        }
        if (r.newMessages || r.reset) this.wantBodies(jobId(j.accountId, 'bodies', folder.path));
      } else {
        throw new MailError('folder.notFound', `the folder of job ${j.id} is no longer in the store`);
      }
      const now = this.now();
      store.tx(() => {
        store.updateJob(j.id, {
          status: (j.kind === 'backfill' || j.kind === 'bodies') && !again ? 'done' : 'ok',
          lastSuccess: now,
          attempts: 0,
          errorCode: null,
          errorMessage: null,
          nextRun:
            j.kind === 'backfill' || j.kind === 'bodies'
              ? again
                ? now
                : null
              : j.kind === 'tasks'
                ? Math.min(now + this.interval, tasksNextTry ?? Number.POSITIVE_INFINITY)
                : now + (j.kind === 'maintenance' ? this.maintenanceInterval : this.interval),
        });
        const acc = store.getAccount(j.accountId);
        if (acc && acc.state !== 'connected' && reachedServer) {
          store.setAccountState(j.accountId, 'connected');
          reconnected = acc.state === 'disconnected' && j.kind !== 'tasks';
        }
      });
      // The server is back: actions and Sent copies that waited for it go now, not when their back-off ends.
      if (reconnected) this.trigger(jobId(j.accountId, 'tasks'));
    } catch (e) {
      const err = toMailError(e, folder ? folder.path : j.kind);
      const attempts = j.attempts + 1;
      logger.log('warn', `${j.id} failed: ${err.message}`, { account: j.accountId, folder: folder?.path, code: err.code });
      if (AUTH_CODES.has(err.code)) {
        if (this.credentialEpoch !== epochAtStart) {
          // Credentials may have changed while this job asked for them (a client with the
          // password connected, or the user signed in again): the failure is about the old ones.
          // Pausing now would undo the resume; the job runs again with the new credentials.
          store.updateJob(j.id, { status: 'pending', nextRun: this.now(), errorCode: err.code, errorMessage: err.describe() });
          return;
        }
        store.updateJob(j.id, { status: 'error', attempts, errorCode: err.code, errorMessage: err.describe() });
        this.pause(j.accountId, err.code, err.describe());
        return;
      }
      const delay = err.retryable ? backoffDelay(attempts, { baseMs: this.o.backoffBaseMs, retryAfterSec: err.retryAfter }) : Math.max(this.interval, 15 * 60_000);
      store.tx(() => {
        store.updateJob(j.id, { status: 'error', attempts, errorCode: err.code, errorMessage: err.describe(), nextRun: this.now() + delay });
        // An unreachable server disconnects the whole account; a folder error does not.
        if (err.offline) store.setAccountState(j.accountId, 'disconnected', err.code, err.describe());
      });
    }
  }

  /** New messages in a folder: its bodies job runs (again, if it is running now). */
  private wantBodies(id: string): void {
    const b = this.o.store.getJob(id);
    if (!b) return;
    if (b.status === 'running') this.bodiesAgain.add(id);
    else if (b.status === 'done') this.trigger(id);
  }

  /** Folder list and counts from the server; jobs follow the selection. */
  async refreshFolders(accountId: string, provider: MailProvider): Promise<FolderRow[]> {
    const { store } = this.o;
    const account = store.getAccount(accountId);
    if (!account) throw new MailError('config.unknownAccount', `account "${accountId}" is not in the store`);
    const remote = (await provider.listFolders()).filter((f) => !f.noSelect);
    await takeTurn();
    store.upsertFolders(accountId, remote, defaultSelection(account.config));
    // The counts, then the jobs, each in a turn of its own when this one is spent: on a new store
    // each of these transactions runs its SQL for the first time, 5-15 ms each (`npm run bench`,
    // the stalls at the start of the header sync). The counts only inform the tree and the
    // Troubleshoot checks, so they need not commit with the folder list.
    await takeTurn();
    store.tx(() => {
      for (const f of remote) {
        const row = store.getFolder(accountId, f.path);
        if (row && f.total !== undefined) store.setRemoteCounts(row.id, f.total, f.unread ?? null);
      }
    });
    await takeTurn();
    this.ensureJobs(accountId);
    return store.listFolders(accountId);
  }

  /** Remote steps of local actions, oldest first; a failed one does not block the rest. */
  /** Runs the account's due tasks: when the job wants to run again, and whether any task asked the server. */
  private async runTasks(accountId: string, provider: MailProvider): Promise<{ nextTry: number | undefined; asked: boolean }> {
    const { store } = this.o;
    let nextTry: number | undefined;
    let asked = false;
    for (const t of store.pendingTasks(accountId)) {
      if (t.kind === SENT_COPY_TASK) {
        const now = this.now();
        if (t.notBefore === null || t.notBefore <= now) asked = true;
        const at = await this.runSentCopy(t, provider);
        if (at !== undefined) nextTry = Math.min(nextTry ?? at, at);
        continue;
      }
      asked = true;
      try {
        const p = t.payload as Record<string, unknown>;
        const r = await provider.applyTask(p.task as Parameters<MailProvider['applyTask']>[0]);
        if (r && r.newUid && typeof p.toFolderId === 'number' && typeof p.messageId === 'number') {
          // Only when the target's UIDVALIDITY is known; otherwise its next sync adopts the copy by Message-ID.
          const uv = store.getSyncState(p.toFolderId).uidValidity;
          if (uv) store.setMembershipUid(p.toFolderId, p.messageId, r.newUid, `${p.toFolderId}:${uv}:${r.newUid}`);
        }
        store.finishTask(t.id, 'done');
      } catch (e) {
        const err = toMailError(e, t.kind);
        if (AUTH_CODES.has(err.code) || err.offline) throw err;
        store.finishTask(t.id, err.retryable && t.attempts < 5 ? 'pending' : 'failed', err.describe());
      }
    }
    return { nextTry, asked };
  }

  /**
   * A Sent copy that could not be saved when the message went out: tried until it is in Sent
   * (sentCopyTask.ts). Unreachable server: the job backs off as a whole. Refused: this task
   * backs off on its own, up to an hour, and keeps trying. Returns when it wants its next try.
   */
  private async runSentCopy(t: TaskRow, provider: MailProvider): Promise<number | undefined> {
    const { store, logger } = this.o;
    const now = this.now();
    if (t.notBefore !== null && t.notBefore > now) return t.notBefore;
    try {
      const r = await trySentCopy(store, provider, t, logger);
      if (r.outcome === 'lost') {
        // Trying again cannot help; Troubleshoot (sent.mapping) shows it until a copy is saved.
        const p = sentCopyPayload(t);
        const reason = r.reason ?? 'the copy cannot be saved';
        store.tx(() => {
          store.finishTask(t.id, 'failed', reason);
          store.setSetting(sentCopyFailureKey(t.accountId), JSON.stringify({ messageId: p?.messageId ?? '', folder: r.folder ?? p?.folderPath ?? '', at: now, code: 'internal', error: reason }));
        });
        logger.log('warn', reason, { account: t.accountId });
        return undefined;
      }
      store.tx(() => {
        store.finishTask(t.id, 'done');
        if (r.outcome !== 'notWanted') store.setSetting(sentCopyFailureKey(t.accountId), '');
      });
      // The server's copy replaces the local Sent entry at the folder's next sync: make that now.
      if (r.folder) this.trigger(jobId(t.accountId, 'sync', r.folder));
      return undefined;
    } catch (e) {
      const err = toMailError(e, 'Sent copy');
      const said = sentCopyError(err);
      if (AUTH_CODES.has(err.code) || err.offline) {
        store.jobs.deferTask(t.id, said, null);
        throw err;
      }
      const at = now + sentCopyRetryDelay(t.attempts + 1);
      store.jobs.deferTask(t.id, said, at);
      logger.log('warn', `the waiting Sent copy could not be saved (${said}); next try at ${new Date(at).toISOString()}`, { account: t.accountId, code: err.code });
      return at;
    }
  }
}
