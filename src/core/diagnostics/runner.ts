/**
 * Runs the checks: every (check, account) pair at once, each under a deadline. The incoming
 * and outgoing server tests and the folder list run once per account and are shared, so an
 * unreachable server costs one timeout for the whole run, not one per check.
 */
import * as l10n from '@vscode/l10n';
import type { OAuthConfig } from '../config';
import { MailError } from '../errors';
import type { VerifyReport } from '../providers/provider';
import type { AccountRow } from '../store/store';
import type { Check, CheckContext, CheckOutcome, CheckResult, DiagnosticsHost, InstallationCheck, RemoteFolders } from './check';
import { providerLabel } from './checks/connection';
import { CHECKS, INSTALLATION_CHECKS } from './registry';
import { withDeadline } from '../deadline';
import { diagnosticError } from './timeout';

export interface CheckProgress {
  phase: 'start' | 'done';
  check: string;
  account: string | null;
  /** Finished so far, and how many there are in all. */
  done: number;
  total: number;
  outcome?: CheckOutcome;
}

export interface RunOptions {
  /** Account ids to check (default: every account in the store). */
  accounts?: string[];
  /** `maildesk.*` settings, flat keys (e.g. `maildesk.ai.enabled`). */
  settings?: Record<string, unknown>;
  oauth?: OAuthConfig;
  env?: NodeJS.ProcessEnv;
  /** Budget of one network operation (default 15 s). */
  timeoutMs?: number;
  /** The sync interval in use (default 2 min): how stale a job may get before it is reported. */
  syncIntervalMs?: number;
  checks?: readonly Check[];
  /** Checks of the store and the disk (default: all of them, unless `checks` picks some). */
  installationChecks?: readonly InstallationCheck[];
  /** Why the data folder's store could not be opened: the host's store is then a stand-in. */
  storeProblem?: MailError;
  /** The data folder, for the disk check (default: the store's folder). */
  dataDir?: string;
  onProgress?: (p: CheckProgress) => void;
  now?: () => number;
}

function serverLabel(a: AccountRow, kind: 'incoming' | 'outgoing'): string {
  const s = kind === 'incoming' ? a.config.imap : a.config.smtp;
  if (s) return `${kind === 'incoming' ? 'IMAP' : 'SMTP'} ${s.host}:${s.port}`;
  return `${providerLabel(a.config.provider)} ${kind === 'incoming' ? 'mail API' : 'send API'}`;
}

/** A server test that never rejects and never outlives its deadline. */
async function boundedTest(run: () => Promise<VerifyReport>, ms: number, label: string): Promise<VerifyReport> {
  try {
    return await withDeadline(
      Promise.resolve().then(run),
      ms,
      label,
    );
  } catch (e) {
    const error = diagnosticError(e, label);
    return { ok: false, server: label, steps: [], error };
  }
}

function once<T>(fn: () => Promise<T>): () => Promise<T> {
  let p: Promise<T> | undefined;
  return () => (p ??= fn());
}

function contextFor(host: DiagnosticsHost, account: AccountRow, o: RunOptions, timeoutMs: number, now: number): CheckContext {
  const incoming = once(() => boundedTest(() => host.testIncoming(account.id), timeoutMs, serverLabel(account, 'incoming')));
  const outgoing = once(() => boundedTest(() => host.testOutgoing(account.id), timeoutMs, serverLabel(account, 'outgoing')));
  const remoteFolders = once(async (): Promise<RemoteFolders> => {
    const r = await incoming();
    if (!r.ok) return { ok: false, error: r.error ?? new MailError('internal', `${r.server} failed`) };
    try {
      const provider = host.provider(account.id);
      const folders = await withDeadline(Promise.resolve().then(() => provider.listFolders()), timeoutMs, `${serverLabel(account, 'incoming')} folder list`);
      // Gmail's label list has no counts: ask for them, so a label with mail is seen.
      if (provider.folderTotals && folders.some((f) => f.total === undefined)) {
        const totals = await withDeadline(provider.folderTotals(), timeoutMs, `${serverLabel(account, 'incoming')} folder counts`);
        return { ok: true, folders: folders.map((f) => (f.total === undefined && totals.has(f.path) ? { ...f, total: totals.get(f.path) } : f)) };
      }
      return { ok: true, folders };
    } catch (e) {
      return { ok: false, error: diagnosticError(e, 'folder list') };
    }
  });
  return {
    account,
    store: host.store,
    settings: o.settings ?? {},
    oauth: o.oauth ?? {},
    env: o.env ?? process.env,
    now,
    timeoutMs,
    endpointCa: account.config.provider === 'imap' ? undefined : host.endpointCa?.(account.config.provider),
    syncIntervalMs: o.syncIntervalMs ?? 120_000,
    incoming,
    outgoing,
    remoteFolders,
  };
}

/** Runs the checks and returns one outcome per check and account, in registry order. */
export async function runChecks(host: DiagnosticsHost, o: RunOptions = {}): Promise<CheckOutcome[]> {
  const timeoutMs = o.timeoutMs ?? 15_000;
  const checks = o.checks ?? CHECKS;
  const now = (o.now ?? Date.now)();
  const all = host.store.listAccounts();
  const accounts = o.accounts ? all.filter((a) => o.accounts!.includes(a.id)) : all;
  if (o.accounts) {
    const missing = o.accounts.filter((id) => !all.some((a) => a.id === id));
    if (missing.length) throw new MailError('config.unknownAccount', `no account "${missing.join('", "')}" (known: ${all.map((a) => a.id).join(', ') || 'none'})`);
  }
  const installation = await runInstallationChecks(host, o, now);
  if (!accounts.length) {
    const outcome: CheckOutcome = {
      id: 'accounts',
      account: null,
      title: l10n.t('Mail accounts'),
      status: 'warn',
      detail: l10n.t('no mail account is configured, so there is nothing to check'),
      remedy: l10n.t('Add an account with MailDesk: Add IMAP Account (in the CLI: add it to the configuration file).'),
      section: 'Mailbox is disconnected',
      action: { title: l10n.t('Add IMAP Account'), command: 'maildesk.addImapAccount' },
      ms: 0,
    };
    o.onProgress?.({ phase: 'done', check: 'accounts', account: null, done: 1, total: 1, outcome });
    return [...installation, outcome];
  }
  // A check waits for at most the server test and then the folder list, plus its own work.
  const checkBudget = 2 * timeoutMs + 1_000;
  const total = accounts.length * checks.length;
  let done = 0;
  const jobs: Array<Promise<CheckOutcome[]>> = [];
  for (const account of accounts) {
    const ctx = contextFor(host, account, o, timeoutMs, now);
    for (const check of checks) {
      jobs.push(
        (async () => {
          o.onProgress?.({ phase: 'start', check: check.id, account: account.id, done, total });
          const t0 = performance.now();
          let outcomes: CheckOutcome[];
          try {
            const results = await withDeadline(check.run(ctx), checkBudget, `check ${check.id}`);
            const ms = Math.round(performance.now() - t0);
            outcomes = results.map((r) => ({
              id: check.id,
              account: account.id,
              title: check.title,
              status: r.status,
              detail: r.detail,
              remedy: r.status === 'pass' || r.status === 'skip' ? r.remedy ?? '' : r.remedy ?? l10n.t('Send this report to support.'),
              section: r.section ?? check.section,
              action: r.action,
              ms,
            }));
          } catch (e) {
            // A check that throws is itself a finding: report it rather than lose the run.
            const err = diagnosticError(e, check.id);
            outcomes = [
              {
                id: check.id,
                account: account.id,
                title: check.title,
                status: 'fail',
                detail: l10n.t('the check could not complete: {0}', err.message),
                remedy: l10n.t('Run Troubleshoot again; if it keeps failing, send this report to support.'),
                section: check.section,
                ms: Math.round(performance.now() - t0),
              },
            ];
          }
          done++;
          for (const outcome of outcomes) o.onProgress?.({ phase: 'done', check: check.id, account: account.id, done, total, outcome });
          return outcomes;
        })(),
      );
    }
  }
  return [...installation, ...(await Promise.all(jobs)).flat()];
}

/** The store and disk checks, once, with account null; a check that throws is a failure, as below. */
async function runInstallationChecks(host: DiagnosticsHost, o: RunOptions, now: number): Promise<CheckOutcome[]> {
  // A run of chosen checks (tests, one check again) is just those; a full run adds these.
  const checks = o.installationChecks ?? (o.checks ? [] : INSTALLATION_CHECKS);
  const ctx = { store: host.store, storeProblem: o.storeProblem, dataDir: o.dataDir, now };
  const out: CheckOutcome[] = [];
  for (const check of checks) {
    const t0 = performance.now();
    let results: CheckResult[];
    try {
      results = await check.run(ctx);
    } catch (e) {
      results = [{ status: 'fail', detail: l10n.t('the check could not complete: {0}', diagnosticError(e, check.id).message), remedy: l10n.t('Run Troubleshoot again; if it keeps failing, send this report to support.') }];
    }
    const ms = Math.round(performance.now() - t0);
    for (const r of results) {
      const outcome: CheckOutcome = { id: check.id, account: null, title: check.title, status: r.status, detail: r.detail, remedy: r.remedy ?? '', section: r.section ?? check.section, action: r.action, ms };
      out.push(outcome);
      o.onProgress?.({ phase: 'done', check: check.id, account: null, done: 0, total: 0, outcome });
    }
  }
  return out;
}

/** Outcomes grouped by account (null: installation-wide), in the order they came. */
export function groupByAccount(outcomes: CheckOutcome[]): Map<string | null, CheckOutcome[]> {
  const m = new Map<string | null, CheckOutcome[]>();
  for (const o of outcomes) {
    const list = m.get(o.account) ?? [];
    list.push(o);
    m.set(o.account, list);
  }
  return m;
}

export function worstStatus(outcomes: CheckOutcome[]): CheckOutcome['status'] {
  if (outcomes.some((o) => o.status === 'fail')) return 'fail';
  if (outcomes.some((o) => o.status === 'warn')) return 'warn';
  if (outcomes.some((o) => o.status === 'pass')) return 'pass';
  return 'skip';
}
