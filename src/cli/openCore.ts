/**
 * Every CLI command reaches the core the same way: through the engine of the data folder,
 * connecting to the running one (a VS Code window, `maildesk engine`, another command) or
 * hosting one in a worker thread for the command's duration. Passwords and tokens stay in this
 * process (environment variables); the engine asks for them when it needs them. The accounts of
 * the configuration file are saved to the engine (their mail untouched).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { envCredentials, parseConfig, type AccountConfig, type MailDeskConfig } from '../core/config';
import { MailError } from '../core/errors';
import { memorySecretStore } from '../core/auth/tokens';
import { EngineClient, type SecretAnswers } from '../engine/client';
import { secretAnswers } from '../engine/secretAnswers';

export interface CliCoreOptions {
  dataDir: string;
  err(s: string): void;
  verbose?: boolean;
  env?: NodeJS.ProcessEnv;
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

/** The CLI's secrets: passwords from the environment; tokens the engine refreshes kept for this process only. */
export function cliSecretAnswers(env: NodeJS.ProcessEnv): SecretAnswers {
  return secretAnswers(envCredentials(env), memorySecretStore());
}

/** Connects to (or hosts) the engine of the data folder; the configuration's accounts are saved to it. */
export async function connectCli(cfg: MailDeskConfig | undefined, o: CliCoreOptions): Promise<EngineClient> {
  const env = o.env ?? process.env;
  const client = await EngineClient.connect({
    dataDir: path.resolve(o.dataDir),
    kind: 'cli',
    secrets: cliSecretAnswers(env),
    // The engine's log covers every client's work: only --verbose shows it (a command's own
    // failure comes back as its request's error, one line).
    logLevel: o.verbose ? 'debug' : undefined,
    onLog: o.verbose ? (line) => o.err(line + '\n') : undefined,
    engine: { idle: true, imap: imapPageOptions(env) },
  });
  const where = (): string => (client.hosting ? `hosting the engine of ${path.resolve(o.dataDir)} in this process (${process.pid})` : `using the engine in process ${client.engineInfo?.pid}`);
  if (o.verbose) {
    o.err(`maildesk: ${where()}\n`);
    client.onDidReconnect(() => o.err(`maildesk: the engine went away; now ${where()}\n`));
  }
  if (client.hosting) {
    // This command opened the store: a damaged one was moved aside, and the user is told so here.
    const status = await client.request('engine/status', {});
    if (status.storeRecovered) o.err(`maildesk: ${status.storeRecovered}\n`);
  }
  if (cfg) {
    const ensure = async (): Promise<void> => void (await client.request('accounts/ensure', { accounts: cfg.accounts, oauth: cfg.oauth }));
    try {
      await ensure();
    } catch (e) {
      await client.close().catch(() => undefined);
      throw e;
    }
    // A new engine after a takeover knows the accounts from the store already; the OAuth clients it learns again.
    client.onDidReconnect(ensure);
  }
  return client;
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
