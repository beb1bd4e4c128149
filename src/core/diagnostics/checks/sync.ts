/**
 * Sync and sending checks, read from the store alone: the job table ("Scheduled Actions" in
 * the guide), fill and backfill progress, folder resets, failed remote steps, failed sends.
 */
import * as l10n from '@vscode/l10n';
import { describeError, type MailErrorCode } from '../../errors';
import type { JobRow } from '../../store/store';
import { accountTarget, folderTarget, type Check, type CheckAction, type CheckStatus } from '../check';
import { reauthAction } from './connection';

const MAINTENANCE_INTERVAL_MS = 15 * 60_000;

function iso(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');
}

function ago(now: number, ms: number): string {
  const m = Math.round((now - ms) / 60_000);
  return m < 120 ? `${m} min ago` : `${Math.round(m / 60)} h ago`;
}

export const draftsUnsent: Check = {
  id: 'drafts.unsent',
  get title() {
    return l10n.t('Messages whose sending failed');
  },
  section: 'If sending failed',
  async run(ctx) {
    const rows = ctx.store.outbox.problems(ctx.account.id);
    const queued = ctx.store.outbox.queuedCount(ctx.account.id);
    if (!rows.length) return [{ status: 'pass', detail: `no failed sends${queued ? `; ${queued} message(s) queued` : ''}` }];
    const failed = rows.filter((r) => r.status === 'failed');
    const lines = rows.slice(0, 10).map((r) => `message #${r.id} (${r.status}, ${r.attempts} attempt(s), queued ${iso(r.createdAt)}): ${r.errorCode ? `${r.errorCode}: ` : ''}${r.errorMessage ?? 'no error recorded'}`);
    const code = rows.find((r) => r.errorCode)?.errorCode as MailErrorCode | undefined;
    const specific = code && describeError(code) ? ` ${describeError(code).remedy}.` : '';
    return [
      {
        status: failed.length ? 'fail' : 'warn',
        detail: `${failed.length ? `${failed.length} message(s) could not be sent` : `${rows.length} message(s) are being retried after an error`}: ${lines.join('; ')}${rows.length > 10 ? `; and ${rows.length - 10} more` : ''}`,
        remedy: l10n.t('The message is not lost: it stays in Drafts. Open Drafts and confirm it is there, run Test Outgoing Server, then send it again.{0}', specific),
        section: code && describeError(code) ? describeError(code).section : undefined,
        action: { title: l10n.t('Test Outgoing Server'), command: 'maildesk.testOutgoing', args: [accountTarget(ctx.account.id)] },
      },
    ];
  },
};

export const syncProgress: Check = {
  id: 'sync.progress',
  get title() {
    return l10n.t('Synchronisation progress (Sync Jobs)');
  },
  section: 'Where an administrator looks',
  async run(ctx) {
    const { store, account, now } = ctx;
    const jobs = store.listJobs(account.id);
    const folders = store.listFolders(account.id);
    const selected = folders.filter((f) => f.selected);
    const refresh: CheckAction = { title: l10n.t('Refresh'), command: 'maildesk.refresh', args: [accountTarget(account.id)] };
    if (!folders.length || !jobs.length) {
      return [
        {
          status: 'warn',
          detail: !folders.length ? 'this account has not been synced yet: no folders and no scheduled jobs' : `no scheduled jobs although ${selected.length} folder(s) are selected`,
          remedy: l10n.t('Refresh the account (MailDesk: Refresh in the Mailboxes view; `maildesk sync` in the CLI) and watch the Sync Jobs view.'),
          section: 'New mail has not appeared yet',
          action: refresh,
        },
      ];
    }
    const syncThreshold = Math.max(3 * ctx.syncIntervalMs, 10 * 60_000);
    const threshold = (j: JobRow) => (j.kind === 'maintenance' ? 3 * MAINTENANCE_INTERVAL_MS : syncThreshold);
    const folderPath = (j: JobRow) => (j.folderId !== null ? store.getFolderById(j.folderId)?.path ?? `folder ${j.folderId}` : '');
    const problems: Array<{ level: CheckStatus; text: string; remedy: string; action?: CheckAction; section?: string }> = [];
    for (const j of jobs) {
      const name = j.id;
      if (j.status === 'paused') {
        const code = (j.errorCode ?? '') as MailErrorCode;
        problems.push({
          level: 'fail',
          text: `${name} is paused${j.lastRun ? ` (last run ${iso(j.lastRun)})` : ''}: ${j.errorMessage ?? j.errorCode ?? 'no reason recorded'}`,
          remedy: code.startsWith('auth.') || code === 'config.missingPassword' ? 'Sync of this account is paused until it is authorized again: enter the password or sign in again (see auth.status); no synced mail is lost.' : 'Run Test Incoming Server; once it passes, Refresh the account to resume its jobs.',
          action:
            code.startsWith('auth.') || code === 'config.missingPassword'
              ? account.config.provider !== 'imap'
                ? reauthAction(account.config.provider, account.id)
                : { title: l10n.t('Enter Password'), command: 'maildesk.enterPassword', args: [accountTarget(account.id)] }
              : { title: l10n.t('Test Incoming Server'), command: 'maildesk.testIncoming', args: [accountTarget(account.id)] },
        });
        continue;
      }
      if (j.status === 'error') {
        const repeated = j.attempts >= 3;
        const d = j.errorCode ? describeError(j.errorCode as MailErrorCode) : undefined;
        problems.push({
          level: repeated ? 'fail' : 'warn',
          text: `${name} ${repeated ? `failed ${j.attempts} times in a row` : `failed (attempt ${j.attempts})`}${j.lastRun ? `, last at ${iso(j.lastRun)}` : ''}: ${j.errorMessage ?? j.errorCode}${j.nextRun ? `; next try ${iso(j.nextRun)}` : ''}`,
          remedy: d ? `${d.remedy}.` : 'MailDesk retries automatically with a back-off; if it keeps failing, send this report to support.',
          // The guide's section for that error (rate limiting: "Authorization succeeds but mail does not sync").
          section: d?.section,
          action: { title: l10n.t('Show Log'), command: 'maildesk.showLog' },
        });
        continue;
      }
      // Finished history and body fills have nothing due until new mail wakes them.
      if ((j.kind === 'backfill' || j.kind === 'bodies') && j.status === 'done') continue;
      const limit = threshold(j);
      if (j.lastSuccess === null) {
        const due = j.nextRun ?? j.lastRun;
        if (due !== null && due < now - limit) {
          problems.push({ level: 'warn', text: `${name} has never completed (due since ${iso(due)}, ${ago(now, due)})`, remedy: l10n.t('Synchronisation is not running: keep VS Code open (or run `maildesk sync`), then Refresh the account.'), action: refresh });
        }
        continue;
      }
      if (j.lastSuccess < now - limit) {
        const backfill = j.kind === 'backfill' && j.folderId !== null;
        problems.push({
          level: 'warn',
          text: `${name} has not progressed since ${iso(j.lastSuccess)} (${ago(now, j.lastSuccess)}; expected every ${Math.round(limit / 3 / 60_000)} min)${j.status === 'running' ? ' and is still marked running' : ''}`,
          remedy: backfill
            ? 'Leave MailDesk running so the background fill can complete; if this folder stays incomplete, run Trigger Backfill on it.'
            : 'Synchronisation has not progressed: keep VS Code open (or run `maildesk sync`) and Refresh the account; if it still does not move, run Test Incoming Server.',
          action: backfill ? { title: l10n.t('Trigger Backfill'), command: 'maildesk.triggerBackfill', args: [folderTarget(account.id, j.folderId!, folderPath(j))] } : refresh,
        });
      }
    }
    const fills: string[] = [];
    for (const f of selected) {
      const st = store.getSyncState(f.id);
      const local = store.localCounts(f.id).total;
      const state = !st.lastSyncAt && !st.fillDone ? 'not synced yet' : st.backfillDone ? 'complete' : st.fillDone ? 'history still filling' : 'initial fill running';
      // The server count is the one seen at the last sync: the live comparison is mail.missing's.
      fills.push(`${f.path} ${local} here / ${f.remoteTotal ?? '?'} on the server at the last sync, ${state}${st.resetCount ? `, reset ${st.resetCount}x (last ${st.lastResetAt ? iso(st.lastResetAt) : '?'})` : ''}`);
      if (st.resetCount >= 3) {
        problems.push({
          level: 'warn',
          text: `${f.path} was reset by the provider ${st.resetCount} times and re-fetched from scratch each time (last ${st.lastResetAt ? iso(st.lastResetAt) : '?'})`,
          remedy: l10n.t('Repeated resets usually mean the server changes the folder\'s UIDVALIDITY; ask the administrator to check the server. No mail is lost: MailDesk re-fetches the folder.'),
          action: { title: l10n.t('Show Log'), command: 'maildesk.showLog' },
        });
      }
    }
    const failedTasks = store.jobs.failedTasks(account.id, 5);
    if (failedTasks.length) {
      problems.push({
        level: 'warn',
        text: `local action(s) could not be applied on the server: ${failedTasks.map((t) => `${t.kind}: ${t.error ?? '?'}`).join('; ')}`,
        remedy: l10n.t('The change is shown locally but not on the server: Refresh the folder and do it again; if it fails again, send this report to support.'),
        action: refresh,
      });
    }
    const last = jobs.reduce((a, j) => Math.max(a, j.lastSuccess ?? 0), 0);
    const summary = `${jobs.length} jobs, last success ${last ? `${iso(last)} (${ago(now, last)})` : 'never'}; ${fills.join('; ') || 'no folder selected'}`;
    if (!problems.length) return [{ status: 'pass', detail: summary }];
    const level: CheckStatus = problems.some((p) => p.level === 'fail') ? 'fail' : 'warn';
    const worst = problems.filter((p) => p.level === level);
    return [
      {
        status: level,
        detail: l10n.t('{0}. {1}', problems.map((p) => p.text).join('; '), summary),
        remedy: [...new Set(worst.map((p) => p.remedy))].join(' '),
        section: worst[0].section,
        action: worst[0].action,
      },
    ];
  },
};
