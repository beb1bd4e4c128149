/**
 * Microsoft's errors as MailErrors. MSAL reports sign-in problems by OAuth `error` plus
 * AADSTS numbers (in `errorNo`, `subError` or the message); Graph reports HTTP status plus
 * an `error.code`. The user must read "Re-authorization required" or "Access denied" for
 * the first, never a rate limit or outage as an auth problem for the second.
 */
import { classifyProviderError } from '../../auth/classify';
import { MailError, toMailError } from '../../errors';

/** MSAL's own (client-side) codes that mean: nothing usable is cached, sign in again. */
const MSAL_REAUTH = /\b(no_tokens_found|no_account_in_silent_request|token_refresh_required|bad_token|refresh_token_expired)\b/i;

function text(e: Record<string, unknown>): string {
  return [e.errorCode, e.subError, e.errorNo, e.errorMessage, e.message]
    .filter((x) => typeof x === 'string' || typeof x === 'number')
    .join(' ');
}

/**
 * An error thrown by @azure/msal-node (sign-in, silent refresh) as a MailError: the
 * shared classifier (OAuth codes and AADSTS numbers) plus MSAL's client-side codes.
 */
export function classifyMsalError(e: unknown, context = 'Microsoft sign-in'): MailError {
  if (e instanceof MailError) return e;
  const err = (e ?? {}) as Record<string, unknown>;
  const t = text(err);
  const opts = { cause: e, providerMessage: t || String(e) };
  if (MSAL_REAUTH.test(t)) return new MailError('auth.reauthRequired', `${context}: re-authorization required (${String(err.errorCode ?? 'no usable token')})`, { ...opts, retryable: false });
  if (/^(timeout|user_canceled|user_cancelled)$/i.test(String(err.errorCode ?? ''))) {
    return new MailError('auth.failed', `${context}: the sign-in was not completed in the browser (${String(err.errorCode)})`, { ...opts, retryable: false });
  }
  if (/network_error|fetch failed|ECONNREFUSED|ENOTFOUND|ETIMEDOUT|ECONNRESET|socket hang up|endpoints_resolution_error/i.test(t)) {
    const m = toMailError(err.cause ?? e, context);
    return m.code === 'internal' ? new MailError('net.reset', `${context}: the Microsoft sign-in server could not be reached`, opts) : m;
  }
  const m = classifyProviderError(e, 'microsoft', context);
  // The AADSTS number is what an admin searches for; keep it in the line the user reads.
  const aad = /AADSTS\d+/.exec(t)?.[0] ?? (typeof err.errorNo === 'string' && /^\d+$/.test(err.errorNo) ? `AADSTS${err.errorNo}` : undefined);
  if (m.code.startsWith('auth.') && aad && !m.message.includes(aad)) {
    return new MailError(m.code, `${m.message} [${aad}]`, { cause: e, providerMessage: m.providerMessage, retryable: m.retryable, retryAfter: m.retryAfter });
  }
  return m;
}

interface GraphLikeError {
  statusCode?: number;
  code?: string | null;
  message?: string;
  body?: unknown;
  headers?: { get(name: string): string | null } | Record<string, string>;
}

function header(h: GraphLikeError['headers'], name: string): string | undefined {
  if (!h) return undefined;
  if (typeof (h as { get?: unknown }).get === 'function') return (h as { get(n: string): string | null }).get(name) ?? undefined;
  const rec = h as Record<string, string>;
  return rec[name] ?? rec[name.toLowerCase()];
}

/** Seconds from a Retry-After header (delta-seconds or an HTTP date). */
export function retryAfterSeconds(v: string | undefined): number | undefined {
  if (!v) return undefined;
  const n = Number(v);
  if (Number.isFinite(n)) return Math.max(0, n);
  const d = Date.parse(v);
  return Number.isFinite(d) ? Math.max(0, Math.ceil((d - Date.now()) / 1000)) : undefined;
}

/** True when Graph says the delta token is gone: the folder must be fetched from scratch. */
export function isSyncStateGone(e: unknown): boolean {
  const g = (e ?? {}) as GraphLikeError;
  return g.statusCode === 410 || /syncStateNotFound|resyncRequired|syncStateInvalid/i.test(`${g.code ?? ''}`);
}

/** An error from @microsoft/microsoft-graph-client (or our own fetch of a Graph URL) as a MailError. */
export function classifyGraphError(e: unknown, context = 'Microsoft Graph'): MailError {
  if (e instanceof MailError) return e;
  const g = (e ?? {}) as GraphLikeError;
  const status = typeof g.statusCode === 'number' ? g.statusCode : -1;
  const code = g.code ?? '';
  const msg = g.message || code || `HTTP ${status}`;
  const opts = { cause: e, providerMessage: `${status > 0 ? `HTTP ${status} ` : ''}${code ? `${code}: ` : ''}${msg}` };
  // Rate limits first: a 429 must never read as an auth problem, whatever its code says.
  if (status === 429 || /TooManyRequests|ApplicationThrottled|MailboxConcurrency/i.test(code)) {
    return new MailError('server.rateLimited', `${context}: rate-limited by Microsoft Graph`, { ...opts, retryAfter: retryAfterSeconds(header(g.headers, 'retry-after')) ?? 30 });
  }
  if (isSyncStateGone(e)) return new MailError('folder.reset', `${context}: the change-tracking state expired (${code || 'HTTP 410'})`, opts);
  if (status === 401) return new MailError('auth.expired', `${context}: the access token was refused`, opts);
  if (status === 403) {
    if (/ErrorAccessDenied|AccessDenied|Authorization_RequestDenied/i.test(code)) return new MailError('auth.accessDenied', `${context}: access denied (${code})`, opts);
    return new MailError('auth.accessDenied', `${context}: forbidden (${code || 'HTTP 403'})`, opts);
  }
  if (status === 404 || /ErrorItemNotFound|ErrorFolderNotFound|ResourceNotFound/i.test(code)) {
    return new MailError('folder.notFound', `${context}: not found on the server (${code || 'HTTP 404'})`, opts);
  }
  if (status >= 500 || status === 408) {
    return new MailError('server.unavailable', `${context}: Microsoft Graph is temporarily unavailable (HTTP ${status})`, { ...opts, retryAfter: retryAfterSeconds(header(g.headers, 'retry-after')) });
  }
  if (status === -1 || status === 0) {
    // No HTTP answer at all: the graph client wraps fetch's "fetch failed" and drops the cause.
    // Our transport puts the socket code first in the message ("ECONNREFUSED: connect ...").
    const netCode = /\b(E[A-Z_]{3,}|CERT_[A-Z_]+|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE)\b/.exec(msg)?.[1];
    const m = toMailError(Object.assign(new Error(msg), { code: netCode }), context);
    if (m.code !== 'internal') return m;
    if (/certificate|self[- ]signed|tls|ssl/i.test(msg)) return new MailError('net.tls', `${context}: secure connection failed (${msg})`, opts);
    return new MailError('net.reset', `${context}: Microsoft Graph could not be reached (${msg})`, opts);
  }
  return new MailError('server.protocol', `${context}: ${msg}`, opts);
}
