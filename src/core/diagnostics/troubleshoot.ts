/**
 * The one Troubleshoot pipeline: run the checks, remember since when each one fails, gather
 * what the report must hide, and build the redacted report. The VS Code panel and
 * `maildesk doctor` both call it; they differ only in where the settings come from and where
 * the report goes.
 */
import type { CredentialSource, OAuthConfig } from '../config';
import * as path from 'node:path';
import { MailError, toMailError } from '../errors';
import { MailDesk, type MailDeskOptions } from '../maildesk';
import { saveError } from '../store/recovery';
import type { CheckAction, CheckOutcome, DiagnosticsHost } from './check';
import { applyHistory } from './history';
import { collectMessageTexts, collectSecrets, Redactor } from './redact';
import { buildReport, type ReportInput, type SupportReport } from './report';
import { runChecks, type RunOptions } from './runner';

export interface TroubleshootRun {
  outcomes: CheckOutcome[];
  /** Wall time of the run. */
  ms: number;
  /** Kept so the report can be rebuilt (addresses shown or not) without asking the keychain again. */
  secrets: string[];
  messageTexts: string[];
  accounts: string[];
}

export interface TroubleshootOptions extends RunOptions {
  /** Where passwords come from, so they can be kept out of the report. */
  credentials?: CredentialSource;
  oauth?: OAuthConfig;
}

export async function runTroubleshoot(host: DiagnosticsHost, o: TroubleshootOptions = {}): Promise<TroubleshootRun> {
  const t0 = Date.now();
  const now = (o.now ?? Date.now)();
  const raw = await runChecks(host, { ...o, now: () => now });
  const outcomes = applyHistory(host.store, raw, now);
  const accounts = o.accounts ?? [...new Set(outcomes.map((x) => x.account).filter((x): x is string => !!x))];
  const configs = accounts.map((id) => host.store.getAccount(id)?.config).filter((c) => !!c);
  return {
    outcomes,
    ms: Date.now() - t0,
    secrets: await collectSecrets(configs, { credentials: o.credentials, oauth: o.oauth, env: o.env }),
    messageTexts: collectMessageTexts(host.store, accounts),
    accounts,
  };
}

export type TroubleshootReportInput = Omit<ReportInput, 'host' | 'outcomes' | 'accounts' | 'redactor'> & { includeAddresses?: boolean };

/** The redacted report of a run (again, when the user changes "include addresses"). */
export function troubleshootReport(host: DiagnosticsHost, run: TroubleshootRun, i: TroubleshootReportInput): SupportReport {
  const redactor = new Redactor({ secrets: run.secrets, messageTexts: run.messageTexts, includeAddresses: i.includeAddresses });
  const extra = Object.fromEntries(Object.entries(i.extraEnvironment ?? {}).map(([k, v]) => [k, typeof v === 'string' ? redactor.text(v) : v]));
  return buildReport({ ...i, extraEnvironment: extra, host, outcomes: run.outcomes, accounts: run.accounts, redactor });
}

/**
 * The report (addresses masked) with what the Troubleshoot panel shows besides it: each
 * check's time and fix button, and the same report with addresses for the panel's box. Plain
 * data, so it crosses the engine protocol as it is.
 */
export function troubleshootPanelReport(
  host: DiagnosticsHost,
  run: TroubleshootRun,
  i: TroubleshootReportInput,
): SupportReport & { panel: { ms: number; outcomes: Array<{ ms: number; action?: CheckAction }>; withAddresses: SupportReport } } {
  return {
    ...troubleshootReport(host, run, { ...i, includeAddresses: false }),
    panel: {
      ms: run.ms,
      outcomes: run.outcomes.map((o) => ({ ms: o.ms, action: o.action })),
      withAddresses: troubleshootReport(host, run, { ...i, includeAddresses: true }),
    },
  };
}

/** Why the data folder's store could not be opened, naming the file and the fix. */
export function storeOpenProblem(e: unknown, dataDir: string | undefined): MailError {
  // A file-system error (disk full, folder not writable) names the folder and its fix.
  const code = e instanceof MailError ? undefined : (e as NodeJS.ErrnoException)?.code;
  if (!code || !dataDir) return toMailError(e, 'opening the mail store');
  const file = path.join(dataDir, 'maildesk.db');
  // A full disk fails the first save of a new store: that error already names what to free.
  if (code === 'ENOSPC' || code === 'EDQUOT') return saveError(e, file);
  return new MailError('store.saveFailed', `the mail store ${file} could not be opened (${code}: ${(e as Error).message}); check that it is a file this user can read and write`, { cause: e });
}

/**
 * Opens the core for Troubleshoot: the data folder's store when it opens, else an in-memory
 * stand-in and the reason, so the checks still run and the report says what is wrong.
 */
export async function openForTroubleshoot(open: () => Promise<MailDesk>, standIn: MailDeskOptions, dataDir: string | undefined): Promise<{ core: MailDesk; storeProblem?: MailError }> {
  try {
    return { core: await open() };
  } catch (e) {
    return { core: await MailDesk.open({ ...standIn, dataDir: undefined }), storeProblem: storeOpenProblem(e, dataDir) };
  }
}
