/**
 * Redaction of everything that leaves the machine in a support report. Two nets, because
 * each misses what the other catches:
 * - known values: the actual passwords, tokens and client secrets (from the credential source
 *   and the configuration), message subjects and body fragments from the store, the home
 *   folder; in plain, URL-, JSON- and base64-encoded form;
 * - patterns: Authorization headers, Bearer tokens, SASL exchanges, `password=`-style pairs,
 *   OAuth `code=` parameters, JWTs and provider token shapes, long opaque tokens, message
 *   headers with their content, home-folder paths, and (unless the user opts in) addresses.
 * Base64 runs are decoded and redacted too when what they hide would be (a SASL PLAIN or
 * XOAUTH2 blob carries the password or token inside base64 at any alignment).
 */
import * as os from 'node:os';
import type { AccountConfig, CredentialSource, OAuthConfig } from '../config';
import type { MailStore } from '../store/store';

export const REDACTED = '[REDACTED]';

export interface RedactionOptions {
  /** Known secret values: passwords, access/refresh tokens, codes, verifiers, client secrets. */
  secrets?: Iterable<string>;
  /** Known message subjects and body fragments. */
  messageTexts?: Iterable<string>;
  /** Home folders shown as "~" (default: this user's). */
  homeDirs?: string[];
  /** Keep email addresses: the user chose to include them. */
  includeAddresses?: boolean;
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function b64(s: string): string {
  return Buffer.from(s, 'utf8').toString('base64');
}

/** Every way a value is commonly written down: plain, URL-encoded, JSON-escaped, base64(url). */
function variants(s: string): string[] {
  const out = new Set<string>([s, encodeURIComponent(s), JSON.stringify(s).slice(1, -1)]);
  const std = b64(s);
  out.add(std);
  out.add(std.replace(/=+$/, ''));
  out.add(std.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, ''));
  return [...out].filter((v) => v.length >= 3);
}

/** A value inside a larger token only counts when long enough not to be an ordinary word. */
function valueRegex(values: string[], minAnywhere: number): RegExp | undefined {
  if (!values.length) return undefined;
  const sorted = [...new Set(values)].sort((a, b) => b.length - a.length);
  const parts = sorted.map((v) => (v.length >= minAnywhere ? escapeRe(v) : `(?<![A-Za-z0-9])${escapeRe(v)}(?![A-Za-z0-9])`));
  return new RegExp(parts.join('|'), 'g');
}

const SECRET_KEYS = String.raw`password|passwd|pass|pwd|secret|client_secret|clientSecret|access_token|accessToken|refresh_token|refreshToken|id_token|idToken|token|code_verifier|codeVerifier|verifier|assertion|api_key|apiKey|authorization_code|authorizationCode|auth_code|authCode`;

const PATTERNS: Array<[RegExp, string | ((...m: string[]) => string)]> = [
  // Authorization / Proxy-Authorization headers, in HTTP text or JSON.
  [/\b((?:proxy-)?authorization)("?\s*[:=]\s*"?)[^\r\n"},]*/gi, (_m, k, sep) => `${k}${sep}${REDACTED}`],
  [/\b(Bearer|Basic)\s+[A-Za-z0-9\-._~+/]{6,}=*/g, (_m, k) => `${k} ${REDACTED}`],
  // SASL: IMAP AUTHENTICATE, SMTP AUTH, with the blob inline.
  [/\b(AUTHENTICATE|AUTH)\s+(PLAIN|LOGIN|XOAUTH2|OAUTHBEARER|CRAM-MD5)\s+[^\s]+/gi, (_m, c, mech) => `${c} ${mech} ${REDACTED}`],
  // The XOAUTH2 payload in the clear (its fields are separated by ^A).
  // eslint-disable-next-line no-control-regex
  [/auth=Bearer\s*[^\x01\s]*/gi, `auth=Bearer ${REDACTED}`],
  [new RegExp(String.raw`\b(${SECRET_KEYS})("?'?\s*[:=]\s*"?'?)([^\s"'&,;}\])]+)`, 'gi'), (_m, k, sep) => `${k}${sep}${REDACTED}`],
  // IMAP LOGIN user "password".
  [/\b(LOGIN\s+"?[^\s"]+"?\s+)("[^"]*"|\S+)/g, (_m, head) => `${head}${REDACTED}`],
  // OAuth authorization codes in redirect URLs.
  [/([?&#](?:code|state|code_challenge)=)[^&\s#"']+/gi, (_m, k) => `${k}${REDACTED}`],
  // JSON Web Tokens (Microsoft access and id tokens).
  [/\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g, REDACTED],
  // Google access tokens, refresh tokens, client secrets.
  [/\bya29\.[A-Za-z0-9_\-.]+/g, REDACTED],
  [/\b1\/\/[A-Za-z0-9_-]{16,}/g, REDACTED],
  [/\bGOCSPX-[A-Za-z0-9_-]+/g, REDACTED],
  // A "Subject:" header line.
  [/\b(Subject:)[^\r\n]*/gi, `$1 ${REDACTED}`],
];

/** Long runs of mixed-case letters and digits are tokens or verifiers, not words. */
const OPAQUE = /[A-Za-z0-9_\-~+/]{32,}={0,2}/g;
const BASE64_RUN = /[A-Za-z0-9+/_-]{8,}={0,2}/g;
/** An account id made from an address (VS Code's Add Account: "bob-at-example.test") reveals it too. */
const ID_FROM_EMAIL = /\b([A-Za-z0-9._%+]+)-at-([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,})\b/g;
const EMAIL = /[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/g;
const MAIL_HEADER = /(^|\r?\n)(?:From|To|Cc|Subject|Date|Message-ID|MIME-Version|Content-Type|Received|Return-Path|Reply-To|In-Reply-To|References):[^\n]*\r?\n/i;
const HOME_PATTERNS: RegExp[] = [/\/home\/[^/\s"'`]+/g, /\/Users\/[^/\s"'`]+/g, /\b[A-Za-z]:\\Users\\[^\\\s"'`]+/gi, /\b[A-Za-z]:\/Users\/[^/\s"'`]+/gi];

export function maskAddress(addr: string): string {
  const at = addr.lastIndexOf('@');
  return `${addr[0]}***${addr.slice(at)}`;
}

export class Redactor {
  private readonly secretRe: RegExp | undefined;
  private readonly messageRe: RegExp | undefined;
  private readonly homes: string[];

  constructor(private readonly o: RedactionOptions = {}) {
    const secrets = [...(o.secrets ?? [])].filter((s) => typeof s === 'string' && s.length >= 3);
    this.secretRe = valueRegex(secrets.flatMap(variants), 6);
    const texts = [...(o.messageTexts ?? [])].map((t) => t.trim()).filter((t) => t.length >= 6);
    this.messageRe = valueRegex(texts, 12);
    this.homes = [...new Set((o.homeDirs ?? [os.homedir()]).filter((h) => h && h !== '/' && h.length > 1))].sort((a, b) => b.length - a.length);
  }

  /** Redacts one string. */
  text(s: string): string {
    let t = this.plain(s);
    t = t.replace(BASE64_RUN, (run) => (this.hidesSomething(run) ? REDACTED : run));
    return this.finish(t);
  }

  /** Redacts every string in a JSON-like value; values under secret-looking keys go entirely. */
  value<T>(v: T): T {
    return this.walk(v, 0) as T;
  }

  private walk(v: unknown, depth: number): unknown {
    if (typeof v === 'string') return this.text(v);
    if (!v || typeof v !== 'object' || depth > 20) return v;
    if (Array.isArray(v)) return v.map((x) => this.walk(x, depth + 1));
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
      out[k] = SECRET_KEY_NAME.test(k) && x !== null && x !== undefined && x !== '' ? REDACTED : this.walk(x, depth + 1);
    }
    return out;
  }

  /** Known values and patterns, without the base64 scan and the final masking. */
  private plain(s: string): string {
    let t = s;
    // Message content first: a header block followed by a blank line is a message; drop all of it.
    const h = MAIL_HEADER.exec(t);
    if (h && /\r?\n\r?\n/.test(t.slice(h.index))) t = `${t.slice(0, h.index)}${h[1]}[REDACTED message content]`;
    if (this.secretRe) t = t.replace(this.secretRe, REDACTED);
    if (this.messageRe) t = t.replace(this.messageRe, '[REDACTED message text]');
    for (const [re, rep] of PATTERNS) t = t.replace(re, rep as string);
    t = t.replace(OPAQUE, (m) => (/[a-z]/.test(m) && /[A-Z]/.test(m) && /[0-9]/.test(m) ? REDACTED : m));
    return t;
  }

  private finish(t: string): string {
    for (const home of this.homes) t = t.split(home).join('~');
    for (const re of HOME_PATTERNS) t = t.replace(re, '~');
    if (!this.o.includeAddresses) t = t.replace(EMAIL, maskAddress).replace(ID_FROM_EMAIL, (_m, local: string, domain: string) => `${local[0]}***-at-${domain}`);
    return t;
  }

  /** Whether a base64 run decodes to something that would itself be redacted. */
  private hidesSomething(run: string): boolean {
    if (run.includes(REDACTED.slice(1, -1))) return false;
    for (const alphabet of ['base64', 'base64url'] as const) {
      const decoded = Buffer.from(run, alphabet).toString('latin1');
      if (decoded.length < 4) continue;
      // SASL blobs are text separated by NUL (PLAIN) or ^A (XOAUTH2); random bytes are not text.
      // eslint-disable-next-line no-control-regex
      const textish = decoded.replace(/[^\x20-\x7e\x00\x01]/g, '').length / decoded.length;
      if (textish < 0.9) continue;
      // eslint-disable-next-line no-control-regex
      if (/[\x00\x01]/.test(decoded) && decoded.replace(/[^\x20-\x7e]/g, '').length >= 3) return true;
      if (/auth=Bearer|^n,a=|^user=/i.test(decoded)) return true;
      const utf8 = Buffer.from(run, alphabet).toString('utf8');
      if (this.plain(utf8) !== utf8) return true;
      if (!this.o.includeAddresses && EMAIL.test(utf8)) {
        EMAIL.lastIndex = 0;
        return true;
      }
      EMAIL.lastIndex = 0;
    }
    return false;
  }
}

const SECRET_KEY_NAME = new RegExp(String.raw`^(?:${SECRET_KEYS}|authorization|xoauth2|sasl|raw|body|html|snippet|subject|bodyText|bodyHtml)$`, 'i');

/**
 * The secret values a report must never contain: each account's passwords as the credential
 * source hands them out, the OAuth client secret, and secret-looking environment variables.
 */
export async function collectSecrets(
  accounts: AccountConfig[],
  o: { credentials?: CredentialSource; oauth?: OAuthConfig; env?: NodeJS.ProcessEnv; extra?: Iterable<string> } = {},
): Promise<string[]> {
  const out = new Set<string>(o.extra ?? []);
  const env = o.env ?? process.env;
  for (const a of accounts) {
    for (const server of ['imap', 'smtp'] as const) {
      const s = a[server];
      if (!s) continue;
      if (s.passwordEnv && env[s.passwordEnv]) out.add(env[s.passwordEnv]!);
      if (!o.credentials) continue;
      try {
        out.add(await o.credentials.password(a, server));
      } catch {
        // No password stored: nothing to hide.
      }
    }
  }
  const g = o.oauth?.google;
  if (g?.clientSecretEnv && env[g.clientSecretEnv]) out.add(env[g.clientSecretEnv]!);
  for (const [k, v] of Object.entries(env)) {
    if (v && v.length >= 6 && /PASS|SECRET|TOKEN|CREDENTIAL|API_?KEY/i.test(k)) out.add(v);
  }
  return [...out];
}

/**
 * Subjects and body fragments of the accounts' most recent messages: log lines and error texts
 * may quote them, and a pattern cannot tell a subject from any other sentence.
 */
export function collectMessageTexts(store: MailStore, accountIds: string[], limit = 2000): string[] {
  const out = new Set<string>();
  for (const id of accountIds) {
    const rows = store.messages.recentSubjects(id, limit);
    for (const r of rows) {
      if (r.subject) out.add(r.subject);
      if (!r.data) continue;
      try {
        const snippet = (JSON.parse(r.data) as { snippet?: unknown }).snippet;
        if (typeof snippet === 'string') {
          out.add(snippet);
          for (const part of snippet.split(/(?<=[.!?])\s+|\r?\n/)) if (part.trim().length >= 12) out.add(part.trim());
        }
      } catch {
        // A row without JSON data has no snippet.
      }
    }
  }
  return [...out];
}
