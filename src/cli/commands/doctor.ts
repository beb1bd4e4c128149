/**
 * `maildesk doctor`: the Troubleshoot checks without VS Code. Writes the support report as
 * Markdown and JSON, prints one line per check, exits 1 when a check failed.
 */
import { connectCli } from '../openCore';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { envCredentials, parseConfig, type MailDeskConfig } from '../../core/config';
import { MailError, toMailError } from '../../core/errors';
import type { MailDesk } from '../../core/maildesk';
import type { EngineClient } from '../../engine/client';
import { collectSecrets, Redactor } from '../../core/diagnostics/redact';
import { countStatuses, fixLines, renderMarkdown, summaryLine, type SupportReport } from '../../core/diagnostics/report';
import { openForTroubleshoot, runTroubleshoot, troubleshootReport } from '../../core/diagnostics/troubleshoot';
import { streamLogger } from '../../core/log';
import { mountOf } from '../../core/store/recovery';

export const REPORT_BASENAME = 'maildesk-support-report';

export interface DoctorArgs {
  /** Path of the configuration file, or the configuration itself. */
  config: string | MailDeskConfig;
  dataDir: string;
  account?: string;
  /** Folder for the two report files (default: the current folder). */
  out?: string;
  /** Print the JSON report on stdout instead of the per-check lines. */
  json: boolean;
  expected?: string;
  happened?: string;
  when?: string;
  /** Leave email addresses unmasked (the user chose to include them). */
  includeAddresses?: boolean;
  /** Budget of one network operation (default 15 s). */
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
  verbose?: boolean;
}

export interface DoctorIo {
  out(s: string): void;
  err(s: string): void;
}

function readConfig(file: string): { cfg: MailDeskConfig; settings: Record<string, unknown> } {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new MailError('config.invalid', code === 'ENOENT' ? `the configuration file ${file} does not exist (pass --config FILE)` : `cannot read ${file}: ${(e as Error).message}`);
  }
  const cfg = parseConfig(text, file);
  // Optional flat `maildesk.*` settings in the file: what VS Code settings are to the extension.
  const raw = JSON.parse(text) as { settings?: unknown };
  const settings = raw.settings && typeof raw.settings === 'object' ? (raw.settings as Record<string, unknown>) : {};
  return { cfg, settings };
}

/** The version from the package.json this code ships in (dist/ or src/cli/commands/). */
export function maildeskVersion(start = __dirname): string {
  let dir = start;
  for (let i = 0; i < 6; i++) {
    try {
      const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'maildesk' && pkg.version) return pkg.version;
    } catch {
      // not here; look one folder up
    }
    dir = path.dirname(dir);
  }
  return 'unknown';
}

/** Writes a file whole or not at all: a full disk must not leave a 0-byte report behind. */
function writeWhole(file: string, text: string): void {
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    fs.writeFileSync(tmp, text);
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
}

/** The variables the checks look at: MailDesk's own and those the configuration names. */
function checkedEnv(env: NodeJS.ProcessEnv, accounts: MailDeskConfig['accounts'], cfg: MailDeskConfig): Record<string, string> {
  const names = new Set<string>();
  for (const a of accounts) for (const n of [a.imap?.passwordEnv, a.smtp?.passwordEnv, a.tokenEnv, a.tokenCacheEnv]) if (n) names.add(n);
  if (cfg.oauth?.google?.clientSecretEnv) names.add(cfg.oauth.google.clientSecretEnv);
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined && (names.has(k) || k.startsWith('MAILDESK_'))) out[k] = v;
  return out;
}

export async function doctorCommand(args: DoctorArgs, io: DoctorIo): Promise<number> {
  const env = args.env ?? process.env;
  let core: EngineClient | undefined;
  let local: MailDesk | undefined;
  try {
    const { cfg, settings } = typeof args.config === 'string' ? readConfig(path.resolve(args.config)) : { cfg: args.config, settings: {} };
    if (args.account && !cfg.accounts.some((a) => a.id === args.account)) {
      throw new MailError('config.unknownAccount', `no account "${args.account}" in the configuration (known: ${cfg.accounts.map((a) => a.id).join(', ') || 'none'})`);
    }
    const accounts = args.account ? cfg.accounts.filter((a) => a.id === args.account) : cfg.accounts;
    const credentials = envCredentials(env);
    const dataDir = path.resolve(args.dataDir);
    const secrets = await collectSecrets(accounts, { credentials, oauth: cfg.oauth, env });
    const shared = {
      oauth: cfg.oauth,
      env: checkedEnv(env, accounts, cfg),
      settings,
      timeoutMs: args.timeoutMs,
      version: maildeskVersion(),
      app: 'cli' as const,
      expected: args.expected,
      happened: args.happened,
      when: args.when,
      includeAddresses: args.includeAddresses,
    };
    const showProgress = (p: { phase: string; done: number; total: number; check: string; account: string | null; status?: string }): void => {
      if (p.phase === 'done') io.err(`doctor: ${p.done}/${p.total} ${p.check}${p.account ? ` [${p.account}]` : ''}: ${p.status}\n`);
    };
    let report: SupportReport;
    let engineProblem: unknown;
    core = await connectCli(cfg, { dataDir, err: io.err, verbose: args.verbose, env }).catch((e: unknown) => void (engineProblem = e));
    if (core) {
      const progress = args.verbose ? core.on('diagnostics/progress', showProgress) : undefined;
      // The checks run in the engine; the report is masked there with this process's secrets
      // (held for the call, never written) and the data folder as this process names it.
      const dataDirShown = new Redactor({ secrets, includeAddresses: args.includeAddresses }).text(dataDir);
      report = await core.request('diagnostics/run', { ...shared, accounts: accounts.map((a) => a.id), secrets: [...secrets], extraEnvironment: { dataDir: dataDirShown } });
      progress?.dispose();
    } else {
      // No engine could open the store: that is a finding, not the end of the run. The checks
      // run here on an in-memory stand-in and the report says what is wrong with the store.
      const standIn = await openForTroubleshoot(() => Promise.reject(engineProblem), { credentials, oauth: cfg.oauth, idle: false, logger: streamLogger(io.err, args.verbose ? 'debug' : 'error') }, dataDir);
      local = standIn.core;
      io.err(`maildesk: ${standIn.storeProblem?.describe()}\n`);
      for (const a of cfg.accounts) local.ensureAccount(a);
      const run = await runTroubleshoot(local, { ...shared, accounts: accounts.map((a) => a.id), credentials, storeProblem: standIn.storeProblem, dataDir, onProgress: args.verbose ? (p) => showProgress({ ...p, status: p.outcome?.status }) : undefined });
      const engine = { state: 'none' as const, reason: `no engine could open the data folder: ${standIn.storeProblem?.message ?? toMailError(engineProblem).message}` };
      report = troubleshootReport(local, run, { ...shared, extraEnvironment: { dataDir }, engine });
    }
    const n = countStatuses(report.checks);
    const jsonText = JSON.stringify(report, null, 2) + '\n';
    // The report reaches the terminal first: writing the files is what a full disk breaks.
    if (args.json) io.out(jsonText);
    else for (const c of report.checks) io.out([summaryLine(c), ...fixLines(c)].join('\n') + '\n');
    const dir = path.resolve(args.out ?? '.');
    const md = path.join(dir, `${REPORT_BASENAME}.md`);
    const json = path.join(dir, `${REPORT_BASENAME}.json`);
    try {
      fs.mkdirSync(dir, { recursive: true });
      writeWhole(json, jsonText);
      writeWhole(md, renderMarkdown(report));
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      const fix = code === 'ENOSPC' || code === 'EDQUOT' ? ` (the disk is full: free space on ${mountOf(dir)}, or pass --out FOLDER on another disk)` : ' (pass --out FOLDER to write it elsewhere)';
      io.err(`maildesk: the support report could not be written to ${dir}: ${(e as Error).message}${fix}; it follows on standard output instead\n`);
      if (!args.json) io.out('\n' + renderMarkdown(report));
      io.out(`${n.fail} failed, ${n.warn} warning(s), ${n.pass} passed, ${n.skip} skipped. Report: not written (see above)\n`);
      return 1;
    }
    if (args.json) io.err(`maildesk: report written to ${md} and ${json}\n`);
    else io.out(`${n.fail} failed, ${n.warn} warning(s), ${n.pass} passed, ${n.skip} skipped. Report: ${md} (and .json)\n`);
    return n.fail ? 1 : 0;
  } catch (e) {
    const err = toMailError(e);
    io.err(`maildesk: ${err.describe()}\n`);
    return err.code.startsWith('config.') ? 2 : 1;
  } finally {
    if (core) await core.close().catch((e: unknown) => io.err(`maildesk: ${toMailError(e).describe()}\n`));
    if (local) await local.close().catch(() => undefined);
  }
}
