/**
 * The Gmail sign-in as the window runs it, without VS Code (so tests drive it against a local
 * Google): the browser and loopback part happens here, the tokens go to the window's secret
 * store (SecretStorage), and the engine is asked to save, add or resume the account; it reads
 * the tokens back from this window when it needs them and never writes one itself.
 */
import * as l10n from '@vscode/l10n';
import { TokenStore } from '../core/auth/tokens';
import type { OAuthConfig, SecretStore } from '../core/config';
import { MailError, toMailError } from '../core/errors';
import { startGoogleSignIn, type GoogleSignInOptions, type GoogleSignInResult } from '../core/providers/gmail/signIn';
import type { AccountRow } from '../core/store/store';
import type { EngineClient } from '../engine/client';
import { recordingSignInVia } from './signInRecord';

export interface GmailWindow {
  engine: EngineClient;
  /** Where this window keeps secrets: the Google client secret is read from it, the tokens written to it. */
  secrets: SecretStore;
  log: { warn(line: string): void };
}

/** Signs in through the browser; a failure is remembered for Troubleshoot (see recordingSignInVia). */
export function googleSignInVia(w: GmailWindow, google: NonNullable<OAuthConfig['google']>, o: Omit<GoogleSignInOptions, 'settings'>): Promise<GoogleSignInResult> {
  return recordingSignInVia(w.engine, { provider: 'gmail', email: o.loginHint }, () => startGoogleSignIn({ oauth: { google }, secrets: w.secrets, surface: 'vscode' }, o), (e) => toMailError(e), w.log);
}

function accountIdFor(accounts: AccountRow[], email: string): string {
  const base = `gmail-${email.split('@')[0].replace(/[^A-Za-z0-9._-]/g, '-')}`;
  const taken = new Set(accounts.map((a) => a.id));
  let id = base;
  for (let i = 2; taken.has(id); i++) id = `${base}-${i}`;
  return id;
}

/**
 * "Add Gmail Account" after the sign-in: the tokens first (the provider the engine creates asks
 * this window for them), then the account is added, or resumed when the address already had one.
 */
export async function saveGmailSignIn(w: GmailWindow, r: GoogleSignInResult): Promise<{ accountId: string; existed: boolean }> {
  const accounts = await w.engine.request('accounts/list', {});
  const existing = accounts.find((a) => a.provider === 'gmail' && a.email.toLowerCase() === r.email.toLowerCase());
  const accountId = existing?.id ?? accountIdFor(accounts, r.email);
  await new TokenStore(w.secrets).save(accountId, r.tokens);
  await w.engine.request('window/signedIn', { accountId });
  if (existing) await w.engine.request('accounts/resume', { accountId });
  else await w.engine.request('accounts/add', { account: { id: accountId, provider: 'gmail', email: r.email } });
  return { accountId, existed: !!existing };
}

/** "Sign in to Google again": the same address or nothing; only the tokens change, every synced message stays. */
export async function saveGmailReauth(w: GmailWindow, acc: Pick<AccountRow, 'id' | 'email'>, r: GoogleSignInResult): Promise<void> {
  if (r.email.toLowerCase() !== acc.email.toLowerCase()) {
    throw new MailError('auth.accessDenied', l10n.t('you signed in as {0}, but this account is {1}; sign in again with {1} (or add {0} as its own account)', r.email, acc.email));
  }
  await new TokenStore(w.secrets).save(acc.id, r.tokens);
  await w.engine.request('window/signedIn', { accountId: acc.id });
  await w.engine.request('accounts/resume', { accountId: acc.id });
}
