/**
 * Adding an Outlook account and signing it in again, shared by the VS Code commands and the
 * tests: the OAuth settings are checked first (nothing opens when they are missing), then
 * MSAL's interactive sign-in stores its token cache in the SecretStore the provider reads.
 */
import type { AccountConfig } from '../../config';
import { recordingSignIn } from '../../auth/signInRecord';
import { MailError, toMailError } from '../../errors';
import type { MailDesk } from '../../maildesk';
import type { FolderRow } from '../../store/store';
import { type MsalAuthOptions, MsalAuth, requireMicrosoftOAuth } from './msalAuth';

export type OutlookSignInOptions = Omit<MsalAuthOptions, 'accountId' | 'loginHint'>;

/** Signs in and adds the account; the account's email becomes the signed-in one. */
export async function addOutlookAccount(
  mail: MailDesk,
  cfg: Omit<AccountConfig, 'provider'> & { provider?: AccountConfig['provider'] },
  openBrowser: (url: string) => Promise<void>,
  o: OutlookSignInOptions,
): Promise<{ account: AccountConfig; folders: FolderRow[] }> {
  requireMicrosoftOAuth(o.settings, o.where);
  const auth = new MsalAuth({ ...o, accountId: cfg.id, loginHint: cfg.email || undefined });
  const who = await recordingSignIn(mail.store, { provider: 'outlook', email: cfg.email || undefined }, () => auth.signIn(openBrowser), (e) => toMailError(e));
  const account: AccountConfig = { ...cfg, provider: 'outlook', email: who.username || cfg.email };
  const folders = await mail.addAccount(account);
  return { account, folders };
}

/**
 * "Connect Microsoft Graph (OAuth)" on an account in the reauth state: a new sign-in
 * (same account id, so the same token cache key), then the paused jobs resume. The store
 * is not touched: every synced message stays.
 */
export async function reconnectOutlookAccount(mail: MailDesk, accountId: string, openBrowser: (url: string) => Promise<void>, o: OutlookSignInOptions): Promise<{ username: string }> {
  const acc = mail.store.getAccount(accountId);
  if (!acc) throw new MailError('config.unknownAccount', `no account "${accountId}"`);
  if (acc.config.provider !== 'outlook') throw new MailError('config.invalid', `account "${accountId}" is not an Outlook / Microsoft 365 account`);
  requireMicrosoftOAuth(o.settings, o.where);
  const auth = new MsalAuth({ ...o, accountId, loginHint: acc.config.email });
  const who = await recordingSignIn(mail.store, { provider: 'outlook', accountId, email: acc.config.email }, () => auth.signIn(openBrowser), (e) => toMailError(e));
  if (who.username && who.username.toLowerCase() !== acc.config.email.toLowerCase()) {
    throw new MailError('auth.failed', `signed in as ${who.username}, but this account is ${acc.config.email}; sign in with ${acc.config.email}`);
  }
  mail.resume(accountId);
  return { username: who.username };
}
