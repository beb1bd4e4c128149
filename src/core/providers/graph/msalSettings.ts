/**
 * Microsoft sign-in's settings and where its token cache is kept: the parts of ./msalAuth.ts
 * that need no MSAL, so that code checking the settings or removing an account (VS Code's
 * extension at activation) does not load @azure/msal-node.
 */
import { MailError } from '../../errors';

export const MICROSOFT_SETUP_STEPS =
  'Register an app in Microsoft Entra ID (portal.azure.com → Microsoft Entra ID → App registrations → New registration): ' +
  'supported account types as your users need, platform "Mobile and desktop applications" with the redirect URI http://localhost, ' +
  '"Allow public client flows" on, and the delegated Microsoft Graph permissions Mail.ReadWrite, Mail.Send, User.Read and offline_access. ' +
  'Copy the Application (client) ID into maildesk.oauth.microsoft.clientId and set maildesk.oauth.microsoft.tenant to common, organizations or your tenant id.';

export interface MicrosoftOAuthSettings {
  clientId?: string;
  tenant?: string;
  /** Overrides https://login.microsoftonline.com/<tenant> (sovereign clouds, tests). */
  authority?: string;
  graphBaseUrl?: string;
}

/**
 * The settings, checked before any browser opens. `where` names the place to fix them
 * ("setting" in VS Code, "config" in the CLI).
 */
export function requireMicrosoftOAuth(s: MicrosoftOAuthSettings | undefined, where: 'settings' | 'config' = 'settings'): { clientId: string; tenant: string; authority: string } {
  const name = (k: string) => (where === 'settings' ? `maildesk.oauth.microsoft.${k}` : `oauth.microsoft.${k}`);
  const clientId = s?.clientId?.trim();
  if (!clientId) throw new MailError('oauth.notConfigured', `OAuth not configured: set ${name('clientId')} to the Application (client) ID of your Entra app registration. ${MICROSOFT_SETUP_STEPS}`);
  const tenant = s?.tenant?.trim() || 'common';
  if (!/^(common|organizations|consumers|[0-9a-f-]{36}|[A-Za-z0-9.-]+\.[A-Za-z]{2,})$/i.test(tenant)) {
    throw new MailError('oauth.notConfigured', `OAuth not configured: ${name('tenant')} must be common, organizations or a tenant id (got "${tenant}"). ${MICROSOFT_SETUP_STEPS}`);
  }
  const authority = (s?.authority?.trim() || `https://login.microsoftonline.com/${tenant}`).replace(/\/+$/, '');
  return { clientId, tenant, authority };
}

export function msalCacheSecretKey(accountId: string): string {
  return `maildesk.oauth.microsoft.${accountId}.msalCache`;
}
