/**
 * What a Troubleshoot check is and what it returns. The VS Code view and `maildesk doctor`
 * both render these; neither knows what any single check does.
 */
import * as l10n from '@vscode/l10n';
import type { OAuthConfig } from '../config';
import type { MailError } from '../errors';
import type { LogLine } from '../log';
import type { MailProvider, RemoteFolder, VerifyReport } from '../providers/provider';
import type { AccountRow, MailStore } from '../store/store';

export type CheckStatus = 'pass' | 'warn' | 'fail' | 'skip';

/** A button in the Troubleshoot view: a command id and its arguments (e.g. an account target). */
export interface CheckAction {
  title: string;
  command: string;
  args?: unknown[];
}

export interface CheckResult {
  status: CheckStatus;
  /** What was seen: the exact error text, timings, names. */
  detail: string;
  /** What to do about it, in VS Code terms; empty for `pass`. */
  remedy?: string;
  /** Guide section, when it differs from the check's own (e.g. the one an error code points to). */
  section?: string;
  action?: CheckAction;
}

/** What the checks need from the core; the MailDesk facade satisfies it. */
export interface DiagnosticsHost {
  readonly store: MailStore;
  readonly log?: { recent(): LogLine[] };
  testIncoming(accountId: string): Promise<VerifyReport>;
  testOutgoing(accountId: string): Promise<VerifyReport>;
  provider(accountId: string): MailProvider;
  /** The certificate authority an API provider is configured to trust (private deployments, tests). */
  endpointCa?(provider: 'gmail' | 'outlook'): string | Buffer | undefined;
}

/** The server's folder list now, or why it could not be read (then checks fall back to the store). */
export type RemoteFolders = { ok: true; folders: RemoteFolder[] } | { ok: false; error: MailError };

export interface CheckContext {
  account: AccountRow;
  store: MailStore;
  /** `maildesk.*` settings as the host sees them (VS Code configuration, or {} in the CLI). */
  settings: Record<string, unknown>;
  oauth: OAuthConfig;
  env: NodeJS.ProcessEnv;
  now: number;
  /** Budget of one network operation. */
  timeoutMs: number;
  /** The CA this account's API provider trusts: network.provider probes with the same. */
  endpointCa?: string | Buffer;
  /** The configured periodic sync interval: what "not progressed for longer than expected" is measured against. */
  syncIntervalMs: number;
  /** Test Incoming Server, run once per account and shared by every check that needs it. */
  incoming(): Promise<VerifyReport>;
  outgoing(): Promise<VerifyReport>;
  /** Listed only once the incoming test passed, so a dead server costs one timeout. */
  remoteFolders(): Promise<RemoteFolders>;
}

export interface Check {
  /** Stable id, e.g. `incoming.connect`: support staff and tests refer to it. */
  readonly id: string;
  readonly title: string;
  /** Section of the troubleshooting guide it comes from. */
  readonly section: string;
  run(ctx: CheckContext): Promise<CheckResult[]>;
}

/** One result of one check for one account, as the runner hands it to a UI or a report. */
export interface CheckOutcome {
  id: string;
  /** Account id; null for a result about the whole installation (e.g. no accounts at all). */
  account: string | null;
  title: string;
  status: CheckStatus;
  detail: string;
  remedy: string;
  section: string;
  action?: CheckAction;
  ms: number;
  /** When this check started failing or warning (first run of the current streak); null when it passes. */
  firstSeen?: string | null;
  /** The last run at which it passed, when one is remembered. */
  lastSuccess?: string | null;
}

/** What an installation-wide check (the store, the disk) is given: no account, maybe no store. */
export interface InstallationContext {
  /** The store in use: the real one, or an in-memory stand-in when `storeProblem` is set. */
  store: MailStore;
  /** Why the store in the data folder could not be opened (Troubleshoot then runs without it). */
  storeProblem?: MailError;
  /** The data folder (undefined: everything in memory, as in tests). */
  dataDir?: string;
  now: number;
}

/** A check about the whole installation, run once per Troubleshoot run (account null). */
export interface InstallationCheck {
  readonly id: string;
  readonly title: string;
  readonly section: string;
  run(ctx: InstallationContext): Promise<CheckResult[]>;
}

/** Target objects the extension's commands accept from tree items. */
export function accountTarget(accountId: string): { kind: 'account'; accountId: string } {
  return { kind: 'account', accountId };
}

export function folderTarget(accountId: string, folderId: number, path: string): { kind: 'folder'; accountId: string; folderId: number; path: string } {
  return { kind: 'folder', accountId, folderId, path };
}

export function openSettingsAction(query: string): CheckAction {
  return { title: l10n.t('Open Settings'), command: 'workbench.action.openSettings', args: [query] };
}
