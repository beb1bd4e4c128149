/**
 * The support report: one JSON object and the same content as Markdown, for support staff.
 * The Markdown opens with what they need first (provider, the failing checks with the exact
 * error and the remedy, what the user expected and what happened), then the details.
 * Everything passes through the Redactor before it is returned: nothing unredacted leaves here.
 */
import * as os from 'node:os';
import type { ServerConfig } from '../config';
import type { AccountRow } from '../store/store';
import type { CheckOutcome, CheckStatus, DiagnosticsHost } from './check';
import { providerLabel } from './checks/connection';
import type { Redactor } from './redact';
import { bodiesProgressText } from '../sync/bodiesProgress';

/**
 * A check's result as the report keeps it: what the runner found, since when, and the fix
 * button the Troubleshoot view shows for it (command id and title; arguments left out).
 */
export type ReportCheck = Pick<CheckOutcome, 'id' | 'account' | 'title' | 'status' | 'detail' | 'remedy' | 'section'> & {
  firstSeen: string | null;
  lastSuccess: string | null;
  action: { title: string; command: string } | null;
};

/** The fix button of an outcome, as the view offers it: only for a failure or a warning. */
export function reportAction(o: Pick<CheckOutcome, 'status' | 'action'>): ReportCheck['action'] {
  return o.action && (o.status === 'fail' || o.status === 'warn') ? { title: o.action.title, command: o.action.command } : null;
}

export interface ReportServer {
  host: string;
  port: number;
  security: string;
  authMethod: 'password' | 'oauth';
  user: string;
  allowInvalidCertificate: boolean;
}

export interface ReportAccount {
  id: string;
  provider: string;
  kind: string;
  email: string;
  state: string;
  stateCode: string | null;
  stateReason: string | null;
  stateSince: string | null;
  incoming: ReportServer | null;
  outgoing: ReportServer | null;
  sentFolder: string | null;
  saveSentCopy: string;
  folders: Array<{ path: string; role: string | null; specialUse: string | null; selected: boolean; existsOnServer: boolean; local: number; server: number | null }>;
}

export interface ReportJob {
  id: string;
  account: string;
  folder: string | null;
  kind: string;
  status: string;
  lastRun: string | null;
  lastSuccess: string | null;
  nextRun: string | null;
  attempts: number;
  errorCode: string | null;
  error: string | null;
  progress: Record<string, unknown> | null;
}

export interface ReportLogLine {
  time: string;
  level: string;
  msg: string;
  fields?: Record<string, unknown>;
}

/**
 * The engine that ran the checks: which process hosts it (a VS Code window's extension host,
 * a `maildesk` command, `maildesk engine`) and who is connected to it. Support reads here
 * whether two windows share one engine, or a CLI command hosts it for its own duration.
 */
export interface ReportEngine {
  /** 'running': the checks ran in this engine; 'none': no engine could open the data folder. */
  state: 'running' | 'none';
  /** Why there is no engine (the store or folder problem that stopped it), for 'none'. */
  reason?: string;
  id?: string;
  /** Kind of the process that hosts it, and its pid (the engine is a worker thread of it). */
  host?: 'vscode' | 'cli' | 'headless';
  pid?: number;
  startedAt?: string;
  protocolVersion?: number;
  dataDir?: string;
  /** Connected clients: their kind and pid; `viaHost` for the hosting process's own port. */
  clients?: Array<{ kind: 'vscode' | 'cli' | 'headless'; pid: number; viaHost: boolean; answersSecrets: boolean }>;
}

export interface SupportReport {
  generatedAt: string;
  product: 'MailDesk';
  version: string;
  environment: Record<string, unknown>;
  engine: ReportEngine | null;
  /** What the user expected, what happened, and roughly when (their words, redacted). */
  expected: string | null;
  happened: string | null;
  when: string | null;
  accounts: ReportAccount[];
  checks: ReportCheck[];
  jobs: ReportJob[];
  log: ReportLogLine[];
}

export interface ReportInput {
  host: DiagnosticsHost;
  outcomes: CheckOutcome[];
  /** Accounts to describe (default: those the outcomes are about). */
  accounts?: string[];
  version: string;
  /** Where it ran: 'cli' or 'vscode', plus the VS Code version when there is one. */
  app: 'cli' | 'vscode';
  vscodeVersion?: string;
  extraEnvironment?: Record<string, unknown>;
  /** The engine the checks ran in, or why there was none (null: not known, e.g. a unit test). */
  engine?: ReportEngine;
  expected?: string;
  happened?: string;
  when?: string;
  redactor: Redactor;
  /** Most recent log lines to include (default 200). */
  logLines?: number;
  now?: Date;
}

function iso(ms: number | null): string | null {
  return ms ? new Date(ms).toISOString() : null;
}

function server(s: ServerConfig | undefined, oauth: boolean): ReportServer | null {
  if (!s) return null;
  return { host: s.host, port: s.port, security: s.security, authMethod: oauth ? 'oauth' : 'password', user: s.user, allowInvalidCertificate: !!s.allowInvalidCertificate };
}

function describeAccount(host: DiagnosticsHost, a: AccountRow): ReportAccount {
  const cfg = a.config;
  const oauth = cfg.provider !== 'imap';
  return {
    id: a.id,
    provider: providerLabel(cfg.provider),
    kind: cfg.provider,
    email: cfg.email,
    state: a.state,
    stateCode: a.stateCode,
    stateReason: a.stateReason,
    stateSince: iso(a.stateAt),
    incoming: server(cfg.imap, oauth),
    outgoing: server(cfg.smtp, oauth),
    sentFolder: cfg.sentFolder ?? null,
    saveSentCopy: cfg.saveSentCopy ?? 'auto',
    folders: host.store.listFolders(a.id).map((f) => ({
      path: f.path,
      role: f.role,
      specialUse: f.specialUse,
      selected: f.selected,
      existsOnServer: f.remoteExists,
      local: host.store.localCounts(f.id).total,
      server: f.remoteTotal,
    })),
  };
}

/** Builds the redacted report. */
export function buildReport(input: ReportInput): SupportReport {
  const { host, redactor } = input;
  const now = input.now ?? new Date();
  const ids = input.accounts ?? [...new Set(input.outcomes.map((o) => o.account).filter((x): x is string => !!x))];
  const accounts = ids.map((id) => host.store.getAccount(id)).filter((a): a is AccountRow => !!a);
  const jobs: ReportJob[] = host.store
    .listJobs()
    .filter((j) => ids.includes(j.accountId))
    .map((j) => ({
      id: j.id,
      account: j.accountId,
      folder: j.folderId !== null ? host.store.getFolderById(j.folderId)?.path ?? null : null,
      kind: j.kind,
      status: j.status,
      lastRun: iso(j.lastRun),
      lastSuccess: iso(j.lastSuccess),
      nextRun: iso(j.nextRun),
      attempts: j.attempts,
      errorCode: j.errorCode,
      error: j.errorMessage,
      progress: j.progress,
    }));
  const recent = host.log?.recent() ?? [];
  const log = recent.slice(-(input.logLines ?? 200)).map((l) => ({ time: l.time, level: l.level, msg: l.msg, ...(l.fields ? { fields: l.fields as Record<string, unknown> } : {}) }));
  const report: SupportReport = {
    generatedAt: now.toISOString(),
    product: 'MailDesk',
    version: input.version,
    environment: {
      maildesk: input.version,
      app: input.app === 'vscode' ? 'VS Code extension' : 'maildesk CLI',
      vscode: input.vscodeVersion ?? null,
      node: process.version,
      os: `${os.type()} ${os.release()}`,
      platform: process.platform,
      arch: process.arch,
      storeSchema: host.store.schemaVersion,
      store: host.store.stats(),
      ...input.extraEnvironment,
    },
    engine: input.engine ?? null,
    expected: input.expected?.trim() || null,
    happened: input.happened?.trim() || null,
    when: input.when?.trim() || (input.expected || input.happened ? now.toISOString() : null),
    accounts: accounts.map((a) => describeAccount(host, a)),
    checks: input.outcomes.map((o) => ({
      id: o.id,
      account: o.account,
      title: o.title,
      status: o.status,
      detail: o.detail,
      remedy: o.remedy,
      section: o.section,
      firstSeen: o.firstSeen ?? null,
      lastSuccess: o.lastSuccess ?? null,
      action: reportAction(o),
    })),
    jobs,
    log,
  };
  // Redact the whole object, then put back the fields that are ours and never hold user data.
  const out = redactor.value(report);
  out.generatedAt = report.generatedAt;
  out.product = report.product;
  out.version = report.version;
  out.checks.forEach((c, i) => {
    c.id = report.checks[i].id;
    c.status = report.checks[i].status;
    c.firstSeen = report.checks[i].firstSeen;
    c.lastSuccess = report.checks[i].lastSuccess;
    c.action = report.checks[i].action;
  });
  return out;
}

const ICON: Record<CheckStatus, string> = { pass: 'PASS', warn: 'WARN', fail: 'FAIL', skip: 'SKIP' };

/** The lines under a failing check in the CLI: the fix button's title and command, and since when. */
export function fixLines(c: ReportCheck): string[] {
  if (c.status !== 'fail' && c.status !== 'warn') return [];
  const out: string[] = [];
  if (c.action) out.push(`     fix: ${c.action.title} (${c.action.command})`);
  out.push(`     since: ${c.firstSeen ?? 'this run'}; last passed: ${c.lastSuccess ?? 'never seen passing'}`);
  return out;
}

/** "FAIL incoming.connect [work] IMAP 127.0.0.1:1: step "tcp" failed: …" — one line per check. */
export function summaryLine(c: ReportCheck | CheckOutcome): string {
  const first = c.detail.split('\n')[0];
  return `${ICON[c.status]} ${c.id.padEnd(18)} ${c.account ? `[${c.account}] ` : ''}${first}`;
}

export function countStatuses(checks: Array<{ status: CheckStatus }>): Record<CheckStatus, number> {
  const n: Record<CheckStatus, number> = { pass: 0, warn: 0, fail: 0, skip: 0 };
  for (const c of checks) n[c.status]++;
  return n;
}

function cell(s: string | number | null | undefined): string {
  return String(s ?? '-').replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

function fence(s: string): string {
  return s.replace(/```/g, "'''");
}

function engineLines(e: ReportEngine | null): string[] {
  if (!e) return ['Not recorded.'];
  if (e.state === 'none') return [`- No engine is running: ${e.reason ?? 'no reason recorded'}`, '- The checks ran in this process on a stand-in store.'];
  const host = e.host === 'vscode' ? 'a VS Code window (extension host)' : e.host === 'cli' ? 'a `maildesk` command' : 'a headless `maildesk engine`';
  const clients = e.clients ?? [];
  return [
    `- Hosted by ${host}, process ${e.pid ?? '?'}, in a worker thread; engine ${e.id ?? '?'}, protocol ${e.protocolVersion ?? '?'}, started ${e.startedAt ?? '?'}`,
    `- Data folder: ${e.dataDir ?? '?'}`,
    `- Clients (${clients.length}): ${clients.map((c) => `${c.kind} process ${c.pid}${c.viaHost ? ' (the host)' : ''}${c.answersSecrets ? ', answers for secrets' : ''}`).join('; ') || 'none'}`,
  ];
}

/** The Markdown support staff read: summary first, then checks by account, accounts, jobs, log. */
export function renderMarkdown(r: SupportReport): string {
  const L: string[] = [];
  const n = countStatuses(r.checks);
  const env = r.environment;
  L.push('# MailDesk support report', '');
  L.push(`Generated ${r.generatedAt} by MailDesk ${r.version} (${env.app}) · VS Code ${env.vscode ?? 'n/a'} · Node ${env.node} · ${env.os} ${env.arch}`, '');
  L.push('## Summary', '');
  const providers = r.accounts.map((a) => `${a.provider} (account \`${a.id}\`, ${a.email}, ${a.state})`);
  L.push(`- **Provider:** ${providers.join('; ') || 'no accounts'}`);
  L.push(`- **Result:** ${n.fail} failed, ${n.warn} warning(s), ${n.pass} passed, ${n.skip} skipped`);
  L.push(`- **Expected:** ${r.expected ?? '(not given)'}`);
  L.push(`- **Happened:** ${r.happened ?? '(not given)'}`);
  L.push(`- **When:** ${r.when ?? '(not given)'}`, '');
  for (const [status, heading] of [
    ['fail', 'Failing checks'],
    ['warn', 'Warnings'],
  ] as const) {
    const list = r.checks.filter((c) => c.status === status);
    if (!list.length) continue;
    L.push(`### ${heading}`, '');
    for (const c of list) {
      L.push(`- **${c.id}**${c.account ? ` (account \`${c.account}\`)` : ''}: ${c.title}`);
      L.push(`  - Error: \`${c.detail.replace(/`/g, "'")}\``);
      L.push(`  - Remedy: ${c.remedy}`);
      if (c.action) L.push(`  - Fix: ${c.action.title} (command \`${c.action.command}\`)`);
      L.push(`  - Since: ${c.firstSeen ?? 'this run'}; last passed: ${c.lastSuccess ?? 'never seen passing'}`);
      L.push(`  - Guide: "${c.section}"`);
    }
    L.push('');
  }
  if (!n.fail && !n.warn) L.push('All checks passed or were skipped.', '');

  L.push('## Checks', '');
  const groups = new Map<string, ReportCheck[]>();
  for (const c of r.checks) {
    const k = c.account ?? '(installation)';
    groups.set(k, [...(groups.get(k) ?? []), c]);
  }
  for (const [account, list] of groups) {
    const a = r.accounts.find((x) => x.id === account);
    L.push(`### ${a ? `Account \`${a.id}\` (${a.provider}, ${a.email})` : account}`, '');
    L.push('| Status | Check | Detail | Remedy |', '|---|---|---|---|');
    for (const c of list) L.push(`| ${ICON[c.status]} | ${cell(c.id)} | ${cell(c.detail)} | ${cell(c.remedy || '')} |`);
    L.push('');
  }

  L.push('## Accounts', '');
  for (const a of r.accounts) {
    L.push(`### \`${a.id}\`: ${a.provider}, ${a.email}`, '');
    L.push(`- State: ${a.state}${a.stateCode ? ` (${a.stateCode}: ${a.stateReason ?? ''})` : ''}${a.stateSince ? ` since ${a.stateSince}` : ''}`);
    for (const [label, s] of [
      ['Incoming', a.incoming],
      ['Outgoing', a.outgoing],
    ] as const) {
      L.push(`- ${label}: ${s ? `${s.host}:${s.port}, security ${s.security}, auth ${s.authMethod}, user ${s.user}${s.allowInvalidCertificate ? ', invalid certificates allowed' : ''}` : 'not configured'}`);
    }
    L.push(`- Sent folder: ${a.sentFolder ?? '(automatic)'}, save a copy: ${a.saveSentCopy}`);
    if (a.folders.length) {
      L.push('', '| Folder | Role | Special-use | Selected | On server | Local | Server |', '|---|---|---|---|---|---|---|');
      for (const f of a.folders) L.push(`| ${cell(f.path)} | ${cell(f.role)} | ${cell(f.specialUse)} | ${f.selected ? 'yes' : 'no'} | ${f.existsOnServer ? 'yes' : 'no'} | ${f.local} | ${cell(f.server)} |`);
    }
    L.push('');
  }

  L.push('## Jobs', '');
  if (r.jobs.length) {
    L.push('| Job | Status | Last run | Last success | Next run | Attempts | Error |', '|---|---|---|---|---|---|---|');
    for (const j of r.jobs) {
      // A bodies job says how far it got: "done, bodies: 2,000 of 2,000 (47.0 MB)".
      const bodies = bodiesProgressText(j.progress);
      L.push(`| ${cell(j.id)} | ${j.status}${bodies ? `, ${bodies}` : ''} | ${cell(j.lastRun)} | ${cell(j.lastSuccess)} | ${cell(j.nextRun)} | ${j.attempts} | ${cell(j.error)} |`);
    }
  } else L.push('No scheduled jobs.');
  L.push('');

  L.push('## Engine', '', ...engineLines(r.engine), '');
  L.push('## Environment', '', '```json', fence(JSON.stringify(r.environment, null, 2)), '```', '');
  L.push(`## Recent log (${r.log.length} lines)`, '', '```');
  for (const l of r.log) L.push(fence(`${l.time} ${l.level.toUpperCase()} ${l.msg}${l.fields ? ' ' + JSON.stringify(l.fields) : ''}`));
  L.push('```', '');
  return L.join('\n');
}
