/**
 * Is the provider's OAuth client configured? Checked before any browser opens and
 * before any token request, so a missing client id reads as "OAuth not configured"
 * with the exact setting to fill and the provider's setup steps, never as a failed
 * sign-in.
 */
import type { OAuthConfig, SecretStore } from '../config';
import { MailError } from '../errors';

/** Where the Google client secret lives in the extension's SecretStorage. */
export const GOOGLE_CLIENT_SECRET_KEY = 'maildesk.oauth.google.clientSecret';
/** The Gmail scope MailDesk asks for: full mailbox access (read, label, send, delete). */
export const GOOGLE_SCOPES = ['https://mail.google.com/'];

/**
 * Why a Gmail sign-in ends after a week: an app whose OAuth consent screen is in "Testing"
 * publishing status with External users gets refresh tokens that expire after 7 days
 * (https://developers.google.com/identity/protocols/oauth2#expiration), and
 * https://mail.google.com/ is a restricted scope, so "In production" needs Google's
 * verification (https://developers.google.com/workspace/gmail/api/auth/scopes).
 */
export const GOOGLE_TESTING_EXPIRY =
  'An OAuth app in "Testing" publishing status with External users gets Google sign-ins that end after 7 days: then every user must sign in again each week. For lasting sign-ins, an administrator either uses an Internal app (Google Workspace, users of the same organisation) or sets the OAuth consent screen to "In production", which for the restricted scope https://mail.google.com/ requires Google\'s app verification.';

export const GOOGLE_SETUP_STEPS =
  'Google setup: in Google Cloud Console create a project, enable the Gmail API, configure the OAuth consent screen (add the scope https://mail.google.com/; user type Internal in Google Workspace, or External with the users added while in Testing), then create an OAuth client of type "Desktop app" and copy its client ID and client secret. ' +
  GOOGLE_TESTING_EXPIRY;

/** Sign-ins about this old that Google refuses are most likely a "Testing" app's 7-day end. */
export const TESTING_EXPIRY_AGE_MS = 7 * 24 * 3600 * 1000 - 3 * 3600 * 1000;

/**
 * A refused Google grant (invalid_grant) of a sign-in given about 7 days ago or more: the
 * re-authorization message says why it most likely ended and what makes it last.
 */
export function explainGoogleGrantEnd(err: MailError, obtainedAt: number | undefined, now = Date.now()): MailError {
  if (err.code !== 'auth.reauthRequired' || obtainedAt === undefined || now - obtainedAt < TESTING_EXPIRY_AGE_MS) return err;
  const days = Math.floor((now - obtainedAt) / (24 * 3600 * 1000));
  return new MailError(
    err.code,
    `${err.message}. The saved sign-in was given ${days} days ago: Google most likely ended it because the OAuth app is in "Testing" status. ${GOOGLE_TESTING_EXPIRY}`,
    { cause: err.cause, providerMessage: err.providerMessage, retryable: false },
  );
}

export interface GoogleOAuthSettings {
  clientId: string;
  clientSecret: string;
  /** Authorization endpoint (https://accounts.google.com/o/oauth2/v2/auth). */
  authUrl: string;
  /** Token endpoint (https://oauth2.googleapis.com/token). */
  tokenUrl: string;
  /** Root of the Gmail API (https://gmail.googleapis.com/). */
  apiRootUrl: string;
}

/** Which surface asks: the remedy names the VS Code setting or the CLI config field. */
export type ConfigSurface = 'vscode' | 'cli';

export interface GoogleConfigSources {
  oauth?: OAuthConfig;
  /** SecretStorage (extension) or the CLI's in-memory store. */
  secrets?: SecretStore;
  env?: NodeJS.ProcessEnv;
  surface?: ConfigSurface;
}

function trimSlash(u: string): string {
  return u.replace(/\/+$/, '');
}

/** Resolves the Google client, or throws oauth.notConfigured naming what to fill. */
export async function googleOAuthSettings(src: GoogleConfigSources): Promise<GoogleOAuthSettings> {
  const g = src.oauth?.google ?? {};
  const surface = src.surface ?? 'cli';
  const env = src.env ?? process.env;
  const clientId = g.clientId?.trim();
  if (!clientId) {
    const where =
      surface === 'vscode'
        ? 'set the setting `maildesk.oauth.google.clientId` (Settings → Extensions → MailDesk)'
        : 'set "oauth": {"google": {"clientId": "…", "clientSecretEnv": "…"}} in the configuration file';
    throw new MailError('oauth.notConfigured', `OAuth not configured: no Google OAuth client ID; an administrator must ${where}. ${GOOGLE_SETUP_STEPS}`);
  }
  let clientSecret = (await src.secrets?.get(GOOGLE_CLIENT_SECRET_KEY))?.trim();
  if (!clientSecret && g.clientSecretEnv) clientSecret = env[g.clientSecretEnv]?.trim();
  if (!clientSecret) {
    const where =
      surface === 'vscode'
        ? 'run the command "MailDesk: Set Google Client Secret" (it is kept in SecretStorage, never in settings)'
        : g.clientSecretEnv
          ? `set the environment variable ${g.clientSecretEnv} (named by oauth.google.clientSecretEnv)`
          : 'set oauth.google.clientSecretEnv in the configuration file to the name of an environment variable holding the client secret';
    throw new MailError('oauth.notConfigured', `OAuth not configured: the Google OAuth client secret is missing; an administrator must ${where}. ${GOOGLE_SETUP_STEPS}`);
  }
  const auth = g.authBaseUrl ? trimSlash(g.authBaseUrl) : undefined;
  return {
    clientId,
    clientSecret,
    authUrl: auth ? `${auth}/o/oauth2/v2/auth` : 'https://accounts.google.com/o/oauth2/v2/auth',
    tokenUrl: auth ? `${auth}/token` : 'https://oauth2.googleapis.com/token',
    apiRootUrl: g.apiBaseUrl ? `${trimSlash(g.apiBaseUrl)}/` : 'https://gmail.googleapis.com/',
  };
}
