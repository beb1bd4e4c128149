/**
 * Account configuration shared by the CLI (JSON file) and the extension (settings +
 * SecretStorage). Passwords never live here: only the name of where to find them.
 */
import { MailError } from './errors';

export type Security = 'tls' | 'starttls' | 'none';
export type ProviderKind = 'imap' | 'gmail' | 'outlook';
export type SentCopyMode = 'auto' | 'always' | 'never';

export interface ServerConfig {
  host: string;
  port: number;
  security: Security;
  /** "" for an SMTP server used without login (a relay). */
  user: string;
  /** CLI: the environment variable holding the password. */
  passwordEnv?: string;
  /** Accept a self-signed or mismatched certificate (tests, private servers). */
  allowInvalidCertificate?: boolean;
}

export interface AccountConfig {
  id: string;
  provider: ProviderKind;
  email: string;
  name?: string;
  imap?: ServerConfig;
  smtp?: ServerConfig;
  /** Folders selected for sync when the account is first seen (default: Inbox, Sent, Drafts). */
  folders?: string[];
  /** Whether MailDesk appends sent mail to Sent itself (auto: detect). */
  saveSentCopy?: SentCopyMode;
  /** Path of the Sent folder, when not the \Sent special-use one. */
  sentFolder?: string;
  /** CLI, OAuth providers: the environment variable holding the refresh token. */
  tokenEnv?: string;
  /** CLI, Outlook: the environment variable holding a serialized MSAL token cache. */
  tokenCacheEnv?: string;
  /** Offline bodies: which are fetched ahead by the "bodies" job (defaults: BODY_DEFAULTS). */
  bodies?: BodySettings;
  /** The engine's own demo mailbox ("Try the Sandbox", src/engine/sandboxHost.ts): served on 127.0.0.1, its password a constant. */
  sandbox?: boolean;
}

/**
 * How far back bodies are fetched ahead, so reading and search work offline: `days` of mail
 * ('all': every synced message, 0: none, bodies only on open), and the largest message
 * fetched ahead (`maxBytes`); bigger ones are fetched when opened.
 */
export interface BodySettings {
  days?: number | 'all';
  maxBytes?: number;
}

export const BODY_DEFAULTS: Required<BodySettings> = { days: 90, maxBytes: 10 * 1024 * 1024 };

export interface OAuthConfig {
  google?: { clientId?: string; clientSecretEnv?: string; authBaseUrl?: string; apiBaseUrl?: string };
  microsoft?: { clientId?: string; tenant?: string; authority?: string; graphBaseUrl?: string };
}

export interface MailDeskConfig {
  accounts: AccountConfig[];
  oauth?: OAuthConfig;
}

const SECURITIES: Security[] = ['tls', 'starttls', 'none'];
const PROVIDERS: ProviderKind[] = ['imap', 'gmail', 'outlook'];

function invalid(path: string, what: string): never {
  throw new MailError('config.invalid', `${path} ${what}`);
}

function str(v: unknown, path: string, optional = false): string | undefined {
  if (v === undefined && optional) return undefined;
  if (typeof v !== 'string' || !v.trim()) invalid(path, 'must be a non-empty string');
  return v;
}

/** `userOptional`: an SMTP relay may take mail without a login; the user is then "". */
function parseServer(v: unknown, path: string, userOptional = false): ServerConfig {
  if (!v || typeof v !== 'object') invalid(path, 'must be an object with host, port, security and user');
  const o = v as Record<string, unknown>;
  const port = o.port;
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) invalid(`${path}.port`, 'must be a number from 1 to 65535');
  const security = (o.security ?? 'tls') as Security;
  if (!SECURITIES.includes(security)) invalid(`${path}.security`, `must be one of ${SECURITIES.join(', ')}`);
  return {
    host: str(o.host, `${path}.host`)!,
    port,
    security,
    user: userOptional && (o.user === undefined || o.user === '') ? '' : str(o.user, `${path}.user`)!,
    passwordEnv: str(o.passwordEnv, `${path}.passwordEnv`, true),
    allowInvalidCertificate: o.allowInvalidCertificate === true,
  };
}

/** Validates one account, naming the first bad field. */
export function parseAccount(v: unknown, path = 'account'): AccountConfig {
  if (!v || typeof v !== 'object') invalid(path, 'must be an object');
  const o = v as Record<string, unknown>;
  const id = str(o.id, `${path}.id`)!;
  if (!/^[A-Za-z0-9._-]+$/.test(id)) invalid(`${path}.id`, 'may only hold letters, digits, ".", "_" and "-"');
  const provider = (o.provider ?? 'imap') as ProviderKind;
  if (!PROVIDERS.includes(provider)) invalid(`${path}.provider`, `must be one of ${PROVIDERS.join(', ')}`);
  const email = str(o.email, `${path}.email`)!;
  if (!/^[^@\s]+@[^@\s]+$/.test(email)) invalid(`${path}.email`, 'must be an email address');
  const acc: AccountConfig = { id, provider, email, name: str(o.name, `${path}.name`, true) };
  if (provider === 'imap') {
    acc.imap = parseServer(o.imap, `${path}.imap`);
    if (o.smtp !== undefined) acc.smtp = parseServer(o.smtp, `${path}.smtp`, true);
  }
  if (o.folders !== undefined) {
    if (!Array.isArray(o.folders) || !o.folders.every((f) => typeof f === 'string')) invalid(`${path}.folders`, 'must be a list of folder paths');
    acc.folders = o.folders as string[];
  }
  if (o.saveSentCopy !== undefined) {
    if (!['auto', 'always', 'never'].includes(o.saveSentCopy as string)) invalid(`${path}.saveSentCopy`, 'must be auto, always or never');
    acc.saveSentCopy = o.saveSentCopy as SentCopyMode;
  }
  acc.sentFolder = str(o.sentFolder, `${path}.sentFolder`, true);
  if (o.tokenEnv !== undefined) acc.tokenEnv = str(o.tokenEnv, `${path}.tokenEnv`);
  if (o.tokenCacheEnv !== undefined) acc.tokenCacheEnv = str(o.tokenCacheEnv, `${path}.tokenCacheEnv`);
  if (o.bodies !== undefined) acc.bodies = parseBodies(o.bodies, `${path}.bodies`);
  return acc;
}

function parseBodies(v: unknown, path: string): BodySettings {
  if (!v || typeof v !== 'object') invalid(path, 'must be an object like { "days": 90, "maxBytes": 10485760 }');
  const o = v as Record<string, unknown>;
  const out: BodySettings = {};
  if (o.days !== undefined) {
    if (o.days !== 'all' && !(typeof o.days === 'number' && Number.isInteger(o.days) && o.days >= 0)) invalid(`${path}.days`, 'must be "all" or a whole number of days (0: fetch bodies only when opened)');
    out.days = o.days as number | 'all';
  }
  if (o.maxBytes !== undefined) {
    if (!(typeof o.maxBytes === 'number' && Number.isInteger(o.maxBytes) && o.maxBytes > 0)) invalid(`${path}.maxBytes`, 'must be a positive whole number of bytes');
    out.maxBytes = o.maxBytes;
  }
  return out;
}

export function parseConfig(text: string, source = 'config'): MailDeskConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new MailError('config.invalid', `${source} is not valid JSON (${(e as Error).message})`);
  }
  if (!raw || typeof raw !== 'object' || !Array.isArray((raw as { accounts?: unknown }).accounts)) {
    invalid(source, 'must be a JSON object with an "accounts" list');
  }
  const r = raw as { accounts: unknown[]; oauth?: OAuthConfig };
  const accounts = r.accounts.map((a, i) => parseAccount(a, `accounts[${i}]`));
  const seen = new Set<string>();
  for (const a of accounts) {
    if (seen.has(a.id)) invalid(`accounts`, `has the id "${a.id}" twice`);
    seen.add(a.id);
  }
  return { accounts, oauth: r.oauth };
}

/** Where passwords come from: env variables in the CLI, SecretStorage in VS Code. */
export interface CredentialSource {
  /** Resolves the password for the account's incoming or outgoing server, or throws config.missingPassword. */
  password(account: AccountConfig, server: 'imap' | 'smtp'): Promise<string>;
}

/** The CLI's source: the variable named by `passwordEnv`. */
export function envCredentials(env: NodeJS.ProcessEnv = process.env): CredentialSource {
  return {
    async password(account, server) {
      const cfg = account[server];
      const name = cfg?.passwordEnv;
      if (!name) throw new MailError('config.missingPassword', `account "${account.id}" has no ${server}.passwordEnv; name the environment variable that holds the password`);
      const v = env[name];
      if (v === undefined || v === '') throw new MailError('config.missingPassword', `the environment variable ${name} (password for account "${account.id}", ${server}) is not set`);
      return v;
    },
  };
}

/** Generic secret storage, implemented by VS Code SecretStorage or an in-memory map. */
export interface SecretStore {
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string): Promise<void>;
  delete(key: string): Promise<void>;
}

export function passwordSecretKey(accountId: string, server: 'imap' | 'smtp'): string {
  return `maildesk.password.${accountId}.${server}`;
}

export function secretCredentials(secrets: SecretStore): CredentialSource {
  return {
    async password(account, server) {
      const v = (await secrets.get(passwordSecretKey(account.id, server))) ?? (server === 'smtp' ? await secrets.get(passwordSecretKey(account.id, 'imap')) : undefined);
      if (!v) throw new MailError('config.missingPassword', `no password is stored for account "${account.id}" (${server})`);
      return v;
    },
  };
}
