/**
 * Every CLI command opens the core the same way: the store in the data folder,
 * passwords from the environment, the configuration's OAuth clients, the accounts
 * of the configuration file (their mail untouched).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { envCredentials, parseConfig, type AccountConfig, type MailDeskConfig } from '../core/config';
import { MailError } from '../core/errors';
import { streamLogger } from '../core/log';
import { MailDesk } from '../core/maildesk';
import { recoveryNotice } from '../core/store/recovery';

export interface CliCoreOptions {
  dataDir: string;
  err(s: string): void;
  verbose?: boolean;
  idle?: boolean;
  env?: NodeJS.ProcessEnv;
  /** The configuration file's `maildesk.*` settings (the AI switches the agent tools obey). */
  settings?: () => Record<string, unknown>;
}

/** Page sizes for tests and benchmarks (MAILDESK_IMAP_FIRST_PAGE, MAILDESK_IMAP_PAGE_SIZE). */
export function imapPageOptions(env: NodeJS.ProcessEnv = process.env): { firstPageSize?: number; pageSize?: number } {
  const read = (name: string): number | undefined => {
    const v = env[name];
    if (v === undefined || v === '') return undefined;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new MailError('config.invalid', `the environment variable ${name} must be a positive whole number (it is "${v}")`);
    return n;
  };
  return { firstPageSize: read('MAILDESK_IMAP_FIRST_PAGE'), pageSize: read('MAILDESK_IMAP_PAGE_SIZE') };
}

export async function openCliCore(cfg: MailDeskConfig, o: CliCoreOptions): Promise<MailDesk> {
  const env = o.env ?? process.env;
  const core = await MailDesk.open({
    dataDir: path.resolve(o.dataDir),
    credentials: envCredentials(env),
    logger: streamLogger(o.err, o.verbose ? 'debug' : 'error'),
    idle: o.idle ?? false,
    imap: imapPageOptions(env),
    oauth: cfg.oauth,
    settings: o.settings,
  });
  if (core.store.recovered) o.err(`maildesk: ${recoveryNotice(core.store.recovered)}\n`);
  for (const a of cfg.accounts) core.ensureAccount(a);
  return core;
}

/** Reads and validates the configuration file, naming the file and the fix when it cannot. */
export function loadConfig(file: string): MailDeskConfig {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new MailError('config.invalid', code === 'ENOENT' ? `the configuration file ${file} does not exist (pass --config FILE, or create it; see README "The CLI")` : `cannot read ${file}: ${(e as Error).message}`);
  }
  return parseConfig(text, file);
}

/** The account with this id, or an error listing the ids the configuration has. */
export function findAccount(cfg: MailDeskConfig, id: string): AccountConfig {
  const a = cfg.accounts.find((x) => x.id === id);
  if (!a) throw new MailError('config.unknownAccount', `no account "${id}" in the configuration (known: ${cfg.accounts.map((x) => x.id).join(', ') || 'none'})`);
  return a;
}
