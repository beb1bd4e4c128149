/**
 * "Access denied" during sign-in, reported after the fact: failed OAuth sign-ins are
 * remembered (src/core/auth/signInRecord.ts) because they leave no account to check, and each
 * is told with its provider, exact error and time, the guide's remedy and the button that
 * starts that provider's sign-in again.
 */
import * as l10n from '@vscode/l10n';
import { signInFailures, type SignInFailure } from '../../auth/signInRecord';
import { describeError, type MailErrorCode } from '../../errors';
import type { MailStore } from '../../store/store';
import type { CheckAction, InstallationCheck } from '../check';
import { providerLabel, reauthAction } from './connection';

/** The button that signs a provider's account in again (or adds it, when the sign-in never got that far). */
export function signInAction(provider: 'gmail' | 'outlook', accountId: string | undefined): CheckAction {
  if (accountId) return reauthAction(provider, accountId);
  return provider === 'gmail' ? { title: l10n.t('Add Gmail Account'), command: 'maildesk.addGmailAccount' } : { title: l10n.t('Add Outlook / Microsoft 365 Account'), command: 'maildesk.addOutlookAccount' };
}

const ACCESS_DENIED_REMEDY =
  'Sign in again and read the permission screen carefully: accept every permission MailDesk asks for. On Microsoft 365, an administrator must grant admin consent for the app; ask your administrator to review tenant restrictions and conditional-access policies.';

function accountOf(store: MailStore, f: SignInFailure): string | undefined {
  if (f.accountId && store.getAccount(f.accountId)) return f.accountId;
  const email = f.email?.toLowerCase();
  return email ? store.listAccounts().find((a) => a.provider === f.provider && a.email.toLowerCase() === email)?.id : undefined;
}

export const signInFailuresCheck: InstallationCheck = {
  id: 'auth.signIn',
  get title() {
    return l10n.t('OAuth sign-ins');
  },
  section: '"Access denied" during sign-in',
  async run(ctx) {
    const list = signInFailures(ctx.store, ctx.now);
    if (!list.length) return [{ status: 'pass', detail: l10n.t('no failed Google or Microsoft sign-in in the last 7 days') }];
    return list
      .sort((a, b) => b.at - a.at)
      .map((f) => {
        const id = accountOf(ctx.store, f);
        const denied = f.code === 'auth.accessDenied';
        const d = describeError(f.code as MailErrorCode);
        return {
          status: 'fail' as const,
          detail: `the ${providerLabel(f.provider)} sign-in${f.email ? ` for ${f.email}` : ''}${id ? ` (account ${id})` : ''} failed at ${new Date(f.at).toISOString().replace(/\.\d+Z$/, 'Z')}: ${f.code}: ${f.error}`,
          remedy: denied ? ACCESS_DENIED_REMEDY : `${d?.remedy ?? 'Start the sign-in again'}.`,
          section: denied ? '"Access denied" during sign-in' : d?.section,
          action: signInAction(f.provider, id),
        };
      });
  },
};
