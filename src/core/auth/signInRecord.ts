/**
 * Failed OAuth sign-ins, remembered in the store: "Access denied" at sign-in leaves no
 * account behind, so without this Troubleshoot could only say "no mail account". Each entry
 * keeps the provider, the account or address tried, the exact error and when; a later
 * successful sign-in for the same provider and address removes it.
 */
import type { MailError } from '../errors';
import type { MailStore } from '../store/store';

const KEY = 'auth.signInFailures';
/** Older failures are history, not a current problem. */
const KEEP_MS = 7 * 24 * 3_600_000;

export interface SignInFailure {
  provider: 'gmail' | 'outlook';
  /** The account signed in again, when there was one. */
  accountId?: string;
  /** The address the sign-in was for, when known (login hint or account). */
  email?: string;
  code: string;
  error: string;
  at: number;
}

export function signInFailures(store: MailStore, now = Date.now()): SignInFailure[] {
  try {
    const raw = store.getSetting(KEY);
    const list = raw ? (JSON.parse(raw) as SignInFailure[]) : [];
    return Array.isArray(list) ? list.filter((f) => f && now - f.at < KEEP_MS) : [];
  } catch {
    return [];
  }
}

function same(a: Pick<SignInFailure, 'provider' | 'accountId' | 'email'>, b: Pick<SignInFailure, 'provider' | 'accountId' | 'email'>): boolean {
  return a.provider === b.provider && (a.accountId ?? '') === (b.accountId ?? '') && (a.email ?? '').toLowerCase() === (b.email ?? '').toLowerCase();
}

/** Remembers a failed sign-in (the newest per provider and address); never throws. */
export function recordSignInFailure(store: MailStore, who: Pick<SignInFailure, 'provider' | 'accountId' | 'email'>, error: MailError, now = Date.now()): void {
  try {
    const list = signInFailures(store, now).filter((f) => !same(f, who));
    list.push({ ...who, code: error.code, error: error.message, at: now });
    store.setSetting(KEY, JSON.stringify(list.slice(-20)));
  } catch {
    // Remembering is for Troubleshoot; the sign-in's own error is what the user sees now.
  }
}

/** A sign-in that worked: its earlier failures (and those of the address without an account) are gone. */
export function clearSignInFailures(store: MailStore, who: Pick<SignInFailure, 'provider' | 'accountId' | 'email'>): void {
  try {
    const list = signInFailures(store);
    const left = list.filter((f) => !(f.provider === who.provider && ((who.accountId && f.accountId === who.accountId) || (who.email && (f.email ?? '').toLowerCase() === who.email.toLowerCase()) || (!f.accountId && !f.email))));
    if (left.length !== list.length) store.setSetting(KEY, JSON.stringify(left));
  } catch {
    // as above
  }
}

/** Runs a sign-in, remembering how it failed or clearing what it fixed. */
export async function recordingSignIn<T>(store: MailStore, who: Pick<SignInFailure, 'provider' | 'accountId' | 'email'>, run: () => Promise<T>, toError: (e: unknown) => MailError): Promise<T> {
  try {
    const r = await run();
    clearSignInFailures(store, who);
    return r;
  } catch (e) {
    const err = toError(e);
    // Missing OAuth configuration has its own check (oauth.configured); everything else is a sign-in failure.
    if (err.code !== 'oauth.notConfigured') recordSignInFailure(store, who, err);
    throw e;
  }
}
