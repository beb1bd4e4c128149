/**
 * Provider errors (Google OAuth and Gmail API through gaxios, Microsoft identity
 * through MSAL, Microsoft Graph) → MailError, from the providers' own codes.
 *
 * The one rule that matters most: only a refusal of the grant itself is an auth
 * problem (it pauses the account and asks for a new sign-in, once). Rate limits,
 * 5xx and network trouble are retryable and must never read as "sign in again",
 * or users re-consent for nothing while the real cause is elsewhere.
 */
import { MailError, toMailError } from '../errors';

export type OAuthProviderName = 'google' | 'microsoft';

const NAME: Record<OAuthProviderName, string> = { google: 'Google', microsoft: 'Microsoft' };

/** What an error says, wherever the library put it. */
export interface ErrorFacts {
  status?: number;
  /** OAuth `error` (invalid_grant, access_denied, ...) or MSAL errorCode. */
  oauthError?: string;
  /** Graph / Google API error code or reason (rateLimitExceeded, syncStateNotFound, ...). */
  reason?: string;
  description?: string;
  /** AADSTS numbers found in the error. */
  aadsts: number[];
  retryAfter?: number;
  /** Node socket error code (ECONNREFUSED, ...). */
  netCode?: string;
}

function obj(v: unknown): Record<string, unknown> | undefined {
  return v && typeof v === 'object' ? (v as Record<string, unknown>) : undefined;
}

function header(headers: unknown, name: string): string | undefined {
  if (!headers) return undefined;
  const h = headers as { get?: (n: string) => string | null } & Record<string, unknown>;
  if (typeof h.get === 'function') return h.get(name) ?? undefined;
  for (const k of Object.keys(h)) if (k.toLowerCase() === name) return String(h[k]);
  return undefined;
}

/** Seconds from a Retry-After header (delta-seconds or HTTP date). */
export function parseRetryAfter(v: string | undefined, now = Date.now()): number | undefined {
  if (!v) return undefined;
  if (/^\d+(\.\d+)?$/.test(v.trim())) return Number(v.trim());
  const t = Date.parse(v);
  return Number.isNaN(t) ? undefined : Math.max(0, Math.ceil((t - now) / 1000));
}

/**
 * Gmail's 429 "User-rate limit exceeded.  Retry after 2026-01-01T10:15:00.000Z" gives the end
 * of the lockout in the message text, with no Retry-After header
 * (https://developers.google.com/workspace/gmail/api/guides/handle-errors#resolve_a_429_error_too_many_requests).
 */
export function retryAfterInText(text: string | undefined, now = Date.now()): number | undefined {
  const m = /retry after (\d{4}-\d\d-\d\dT\d\d:\d\d(?::\d\d(?:\.\d+)?)?(?:Z|[+-]\d\d:?\d\d))/i.exec(text ?? '');
  if (!m) return undefined;
  const t = Date.parse(m[1]);
  return Number.isNaN(t) ? undefined : Math.max(0, Math.ceil((t - now) / 1000));
}

export function errorFacts(e: unknown): ErrorFacts {
  const err = obj(e) ?? {};
  const response = obj(err.response);
  const data = obj(response?.data) ?? (typeof response?.data === 'string' ? safeJson(response.data as string) : undefined);
  const facts: ErrorFacts = { aadsts: [] };
  const status = response?.status ?? err.status ?? err.statusCode ?? (typeof err.code === 'number' ? err.code : undefined);
  if (typeof status === 'number') facts.status = status;
  if (typeof status === 'string' && /^\d{3}$/.test(status)) facts.status = Number(status);
  // OAuth token endpoint: {"error":"invalid_grant","error_description":"...","error_codes":[700082]}
  if (typeof data?.error === 'string') {
    facts.oauthError = data.error;
    if (typeof data.error_description === 'string') facts.description = data.error_description;
    if (Array.isArray(data.error_codes)) facts.aadsts.push(...data.error_codes.filter((n): n is number => typeof n === 'number'));
  }
  // Google APIs: {"error":{"code":403,"message":"...","errors":[{"reason":"rateLimitExceeded"}],"status":"PERMISSION_DENIED"}}
  const apiErr = obj(data?.error);
  if (apiErr) {
    const first = Array.isArray(apiErr.errors) ? obj(apiErr.errors[0]) : undefined;
    facts.reason = (first?.reason as string | undefined) ?? (apiErr.code as string | undefined) ?? (apiErr.status as string | undefined);
    if (typeof apiErr.message === 'string') facts.description = apiErr.message;
  }
  // MSAL: ServerError / InteractionRequiredAuthError with errorCode, errorMessage, subError.
  if (typeof err.errorCode === 'string' && err.errorCode) facts.oauthError = err.errorCode;
  if (typeof err.errorMessage === 'string' && err.errorMessage) facts.description = err.errorMessage;
  // Graph client GraphError: statusCode + code.
  if (typeof err.code === 'string' && !/^E[A-Z]+$/.test(err.code) && !facts.reason && !facts.oauthError) facts.reason = err.code;
  if (typeof err.code === 'string' && /^E[A-Z_]+$/.test(err.code)) facts.netCode = err.code;
  const text = [facts.description, typeof err.message === 'string' ? err.message : ''].join(' ');
  for (const m of text.matchAll(/AADSTS(\d+)/g)) facts.aadsts.push(Number(m[1]));
  const ra = parseRetryAfter(header(response?.headers, 'retry-after') ?? header(err.headers, 'retry-after')) ?? retryAfterInText(facts.description);
  if (ra !== undefined) facts.retryAfter = ra;
  if (!facts.description && typeof err.message === 'string') facts.description = err.message;
  return facts;
}

function safeJson(s: string): Record<string, unknown> | undefined {
  try {
    return obj(JSON.parse(s));
  } catch {
    return undefined;
  }
}

const MS_REAUTH_CODES = new Set([700082, 50173, 50076, 50078, 50079, 70008, 700084, 50133]);
const MS_CONSENT_CODES = new Set([65001, 65004, 90094]);
const RATE_REASONS = new Set(['rateLimitExceeded', 'userRateLimitExceeded', 'quotaExceeded', 'dailyLimitExceeded', 'TooManyRequests', 'activityLimitReached']);

/**
 * Classifies an error from a sign-in, a token refresh or an API call.
 * `context` names what was being done ("token refresh", "messages.list").
 */
export function classifyProviderError(e: unknown, provider: OAuthProviderName, context = ''): MailError {
  if (e instanceof MailError) return e;
  const f = errorFacts(e);
  const who = NAME[provider];
  const where = context ? `${context}: ` : '';
  const said = [f.oauthError, f.reason, f.description].filter(Boolean).join(' | ') || undefined;
  const opts = { cause: e, providerMessage: said };
  const aad = (set: Set<number>) => f.aadsts.some((n) => set.has(n));
  const oe = f.oauthError?.toLowerCase();

  // Consent first: Microsoft sends consent problems as invalid_grant with AADSTS65001.
  if (oe === 'consent_required' || (provider === 'microsoft' && aad(MS_CONSENT_CODES))) {
    return new MailError('auth.accessDenied', `${where}Access denied: the app has not been granted the permissions it needs (${f.aadsts.length ? `AADSTS${f.aadsts[0]}` : 'consent_required'}); a Microsoft 365 administrator must grant tenant admin consent for the app`, { ...opts, retryable: false });
  }
  if (oe === 'access_denied') {
    return new MailError('auth.accessDenied', `${where}Access denied: the requested permissions were not granted during the ${who} sign-in`, { ...opts, retryable: false });
  }
  if (oe === 'invalid_grant' || oe === 'interaction_required' || oe === 'login_required' || (provider === 'microsoft' && aad(MS_REAUTH_CODES))) {
    return new MailError('auth.reauthRequired', `${where}Authorization expired: ${who} no longer accepts the saved sign-in (${f.oauthError ?? `AADSTS${f.aadsts[0]}`}); re-authorization required`, { ...opts, retryable: false });
  }
  if (oe === 'invalid_client' || oe === 'unauthorized_client') {
    return new MailError('oauth.notConfigured', `${where}${who} rejected the OAuth client (${f.oauthError}): the client id or client secret is wrong or the client is not allowed for this sign-in`, { ...opts, retryable: false });
  }
  // Throttling: 429 always; Google also says 403 rateLimitExceeded / userRateLimitExceeded.
  if (f.status === 429 || (f.reason && RATE_REASONS.has(f.reason)) || oe === 'temporarily_unavailable' && f.status === 429) {
    return new MailError('server.rateLimited', `${where}${who} is rate-limiting this account${f.retryAfter !== undefined ? ` (retry after ${f.retryAfter} s)` : ''}`, { ...opts, retryable: true, retryAfter: f.retryAfter });
  }
  if ((f.status !== undefined && f.status >= 500) || oe === 'server_error' || oe === 'temporarily_unavailable') {
    return new MailError('server.unavailable', `${where}${who} is temporarily unavailable (HTTP ${f.status ?? '5xx'})`, { ...opts, retryable: true, retryAfter: f.retryAfter });
  }
  if (f.status === 401) {
    return new MailError('auth.expired', `${where}Authorization expired: ${who} refused the access token`, { ...opts, retryable: false });
  }
  if (f.status === 403) {
    return new MailError('auth.accessDenied', `${where}Access denied by ${who} (${f.reason ?? 'forbidden'}): the sign-in did not grant the permission this needs`, { ...opts, retryable: false });
  }
  if (f.status === 404 || f.status === 410) {
    return new MailError('folder.notFound', `${where}${who} answered ${f.status} (${f.reason ?? 'not found'})`, { ...opts, retryable: false });
  }
  if (f.netCode || f.status === undefined) {
    const m = toMailError(e, context);
    // A plain library error with no HTTP status and no socket code is still not an auth problem.
    return m;
  }
  return new MailError('server.protocol', `${where}${who} answered HTTP ${f.status}${f.reason ? ` (${f.reason})` : ''}`, { ...opts, retryable: false });
}
