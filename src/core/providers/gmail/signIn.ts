/**
 * The Google sign-in of a desktop app: authorization code with PKCE (S256) and
 * `state`, through the system browser and a loopback redirect on 127.0.0.1, exchanged
 * with google-auth-library's OAuth2Client. Plain Node: the extension passes
 * `openBrowser` (vscode.env.openExternal), tests pass an HTTP GET.
 */
import { gmail } from '@googleapis/gmail';
import { CodeChallengeMethod, OAuth2Client } from 'google-auth-library';
import { MailError } from '../../errors';
import { classifyProviderError } from '../../auth/classify';
import { startLoopback } from '../../auth/loopback';
import { GOOGLE_SCOPES, type GoogleConfigSources, googleOAuthSettings, type GoogleOAuthSettings } from '../../auth/oauthConfig';
import { createPkce, createState } from '../../auth/pkce';
import type { StoredTokens } from '../../auth/tokens';

export interface GoogleSignInOptions {
  settings: GoogleOAuthSettings;
  /** Opens the authorization URL in the user's browser; false means it could not. */
  openBrowser(url: string): Promise<boolean | void>;
  /** The address expected (re-authorization): Google preselects it. */
  loginHint?: string;
  /** How long the user has in the browser (default 5 minutes). */
  timeoutMs?: number;
  /** Called with a function that cancels the wait (a Cancel button). */
  onCancel?(cancel: () => void): void;
}

export interface GoogleSignInResult {
  tokens: StoredTokens;
  /** The Gmail address the grant is for (users.getProfile). */
  email: string;
}

export async function googleSignIn(o: GoogleSignInOptions): Promise<GoogleSignInResult> {
  const s = o.settings;
  const pkce = createPkce();
  const state = createState();
  const loop = await startLoopback({ state, timeoutMs: o.timeoutMs });
  o.onCancel?.(() => loop.close());
  try {
    const client = new OAuth2Client({
      clientId: s.clientId,
      clientSecret: s.clientSecret,
      redirectUri: loop.redirectUri,
      endpoints: { oauth2AuthBaseUrl: s.authUrl, oauth2TokenUrl: s.tokenUrl },
    });
    const url = client.generateAuthUrl({
      access_type: 'offline',
      // Without consent Google returns no refresh token for an app it has seen before.
      prompt: 'consent',
      scope: GOOGLE_SCOPES,
      state,
      code_challenge: pkce.challenge,
      code_challenge_method: CodeChallengeMethod.S256,
      login_hint: o.loginHint,
    });
    const opened = await o.openBrowser(url);
    if (opened === false) throw new MailError('internal', 'the browser could not be opened for the Google sign-in');
    const answer = await loop.answer;
    if (answer.error) throw classifyProviderError({ response: { status: 400, data: { error: answer.error, error_description: answer.errorDescription } } }, 'google', 'Google sign-in');
    let tokens;
    try {
      ({ tokens } = await client.getToken({ code: answer.code!, codeVerifier: pkce.verifier, redirect_uri: loop.redirectUri }));
    } catch (e) {
      throw classifyProviderError(e, 'google', 'Google sign-in (code exchange)');
    }
    if (!tokens.refresh_token) {
      throw new MailError('auth.reauthRequired', 'Google returned no refresh token; remove MailDesk in Google Account → Security → Third-party access, then sign in again', { retryable: false });
    }
    const stored: StoredTokens = {
      refreshToken: tokens.refresh_token,
      accessToken: tokens.access_token ?? undefined,
      expiresAt: tokens.expiry_date ?? undefined,
      scope: tokens.scope ?? undefined,
      obtainedAt: Date.now(),
    };
    client.setCredentials({ access_token: tokens.access_token });
    let email: string;
    try {
      const api = gmail({ version: 'v1', auth: client, rootUrl: s.apiRootUrl, retry: false });
      email = (await api.users.getProfile({ userId: 'me' })).data.emailAddress ?? '';
    } catch (e) {
      throw classifyProviderError(e, 'google', 'users.getProfile');
    }
    if (!email) throw new MailError('server.protocol', 'Google did not say which Gmail address was signed in');
    return { tokens: stored, email };
  } finally {
    loop.close();
  }
}

/**
 * The whole "Add Gmail Account" / "Sign in to Google again" step: the OAuth client is
 * checked first, so "OAuth not configured" comes before any browser or listener.
 */
export async function startGoogleSignIn(src: GoogleConfigSources, o: Omit<GoogleSignInOptions, 'settings'>): Promise<GoogleSignInResult> {
  const settings = await googleOAuthSettings(src);
  return googleSignIn({ ...o, settings });
}
