/**
 * Microsoft sign-in through @azure/msal-node: interactive sign-in (system browser, loopback
 * redirect, PKCE and state handled by MSAL) and silent refresh. MSAL's token cache lives
 * only in a SecretStore (VS Code SecretStorage, or the CLI's in-memory store seeded from an
 * environment variable), read and written through MSAL's cache plugin hooks.
 */
import * as https from 'node:https';
import {
  type AccountInfo,
  type AuthenticationResult,
  type ICachePlugin,
  type INetworkModule,
  type NetworkRequestOptions,
  type NetworkResponse,
  LogLevel,
  ProtocolMode,
  PublicClientApplication,
  type TokenCacheContext,
} from '@azure/msal-node';
import type { SecretStore } from '../../config';
import { MailError } from '../../errors';
import { type Logger, noopLogger } from '../../log';
import { classifyMsalError } from './graphErrors';

import { type MicrosoftOAuthSettings, msalCacheSecretKey, requireMicrosoftOAuth } from './msalSettings';

// The settings check and the cache's key, without MSAL: VS Code's extension needs them at activation.
export { MICROSOFT_SETUP_STEPS, type MicrosoftOAuthSettings, msalCacheSecretKey, requireMicrosoftOAuth } from './msalSettings';

/** Delegated Graph permissions MailDesk asks for (offline_access gives the refresh token). */
export const GRAPH_SCOPES = ['https://graph.microsoft.com/Mail.ReadWrite', 'https://graph.microsoft.com/Mail.Send', 'https://graph.microsoft.com/User.Read', 'offline_access'];

/**
 * MSAL's HTTP client over node:https with extra trusted certificates: the test servers use
 * a self-signed certificate and NODE_EXTRA_CA_CERTS is only read at process start.
 */
export function httpsNetworkClient(opts: { ca?: string | Buffer; timeoutMs?: number } = {}): INetworkModule {
  const send = <T>(method: 'GET' | 'POST', url: string, options?: NetworkRequestOptions, timeout?: number): Promise<NetworkResponse<T>> =>
    new Promise((resolve, reject) => {
      const body = options?.body;
      const headers: Record<string, string | number> = { ...(options?.headers ?? {}) };
      if (body !== undefined) headers['Content-Length'] = Buffer.byteLength(body);
      const req = https.request(url, { method, headers, ca: opts.ca, timeout: timeout ?? opts.timeoutMs ?? 30_000 }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown = {};
          try {
            parsed = text ? JSON.parse(text) : {};
          } catch {
            parsed = { error: 'invalid_response', error_description: text.slice(0, 200) };
          }
          const h: Record<string, string> = {};
          for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) h[k] = Array.isArray(v) ? v.join(', ') : v;
          resolve({ headers: h, body: parsed as T, status: res.statusCode ?? 0 });
        });
      });
      req.on('timeout', () => req.destroy(Object.assign(new Error(`request to ${new URL(url).host} timed out`), { code: 'ETIMEDOUT' })));
      req.on('error', reject);
      if (body !== undefined) req.write(body);
      req.end();
    });
  return {
    sendGetRequestAsync: (url, options, timeout) => send('GET', url, options, timeout),
    sendPostRequestAsync: (url, options) => send('POST', url, options),
  };
}

/** The token cache in a SecretStore; an env variable seeds it once in the CLI. */
function secretCachePlugin(secrets: SecretStore, key: string, seed?: () => string | undefined): ICachePlugin {
  return {
    async beforeCacheAccess(ctx: TokenCacheContext): Promise<void> {
      let v = await secrets.get(key);
      if (!v) v = seed?.();
      if (v) ctx.tokenCache.deserialize(v);
    },
    async afterCacheAccess(ctx: TokenCacheContext): Promise<void> {
      // Written before the call returns: a rotated refresh token is saved before it is used.
      if (ctx.cacheHasChanged) await secrets.set(key, ctx.tokenCache.serialize());
    },
  };
}

export interface MsalAuthOptions {
  accountId: string;
  settings: MicrosoftOAuthSettings | undefined;
  secrets: SecretStore;
  /** The email the account was added with: picks the MSAL account and hints the sign-in page. */
  loginHint?: string;
  /** CLI: a serialized MSAL cache, used when the SecretStore has none yet. */
  seedCache?: () => string | undefined;
  networkClient?: INetworkModule;
  /** How long the loopback listener waits for the browser. */
  signInTimeoutMs?: number;
  logger?: Logger;
  where?: 'settings' | 'config';
}

export class MsalAuth {
  private pca: PublicClientApplication | undefined;
  private refreshing: Promise<string> | undefined;
  private readonly logger: Logger;

  constructor(private readonly o: MsalAuthOptions) {
    this.logger = o.logger ?? noopLogger;
  }

  /** Throws oauth.notConfigured (naming the setting) before anything else happens. */
  private app(): PublicClientApplication {
    if (this.pca) return this.pca;
    const { clientId, authority } = requireMicrosoftOAuth(this.o.settings, this.o.where);
    const host = new URL(authority).host;
    const microsoft = /(^|\.)login\.(microsoftonline\.com|microsoftonline\.us|partner\.microsoftonline\.cn|chinacloudapi\.cn)$/i.test(host);
    this.pca = new PublicClientApplication({
      auth: {
        clientId,
        authority,
        // A non-Microsoft authority host (sovereign proxy, the test server) must be declared, and speaks plain OIDC.
        ...(microsoft ? {} : { knownAuthorities: [host] }),
      },
      cache: { cachePlugin: secretCachePlugin(this.o.secrets, msalCacheSecretKey(this.o.accountId), this.o.seedCache) },
      system: {
        ...(this.o.networkClient ? { networkClient: this.o.networkClient } : {}),
        ...(microsoft ? {} : { protocolMode: ProtocolMode.OIDC }),
        loggerOptions: {
          logLevel: LogLevel.Warning,
          piiLoggingEnabled: false,
          loggerCallback: (level, message) => {
            if (level <= LogLevel.Warning) this.logger.log(level === LogLevel.Error ? 'error' : 'warn', `MSAL: ${message}`, { account: this.o.accountId });
          },
        },
      },
    });
    return this.pca;
  }

  /**
   * Interactive sign-in. `openBrowser` opens the URL (vscode.env.openExternal in the
   * extension); MSAL listens on a loopback port and closes it after one answer, or after
   * the timeout (we answer the listener ourselves so it never stays open).
   */
  async signIn(openBrowser: (url: string) => Promise<void>): Promise<{ username: string; homeAccountId: string }> {
    const app = this.app();
    const timeoutMs = this.o.signInTimeoutMs ?? 5 * 60_000;
    let timer: NodeJS.Timeout | undefined;
    try {
      const r = await app.acquireTokenInteractive({
        scopes: GRAPH_SCOPES,
        loginHint: this.o.loginHint,
        prompt: 'select_account',
        successTemplate: '<h1>MailDesk is signed in</h1><p>You can close this tab and return to VS Code.</p>',
        errorTemplate: '<h1>MailDesk sign-in failed</h1><p>Return to VS Code for details.</p>',
        openBrowser: async (url) => {
          timer = setTimeout(() => void abandonLoopback(url), timeoutMs);
          timer.unref?.();
          await openBrowser(url);
        },
      });
      if (!r.account) throw new MailError('auth.failed', 'the sign-in returned no account');
      return { username: r.account.username, homeAccountId: r.account.homeAccountId };
    } catch (e) {
      throw classifyMsalError(e, 'Microsoft sign-in');
    } finally {
      if (timer) clearTimeout(timer);
    }
  }

  private async account(): Promise<AccountInfo | undefined> {
    const all = await this.app().getTokenCache().getAllAccounts();
    const hint = this.o.loginHint?.toLowerCase();
    return all.find((a) => a.username.toLowerCase() === hint) ?? all[0];
  }

  /** True when a token cache with an account is stored for this account. */
  async hasAccount(): Promise<boolean> {
    return !!(await this.account());
  }

  /**
   * An access token, refreshed when needed. One refresh at a time: concurrent requests
   * share it, and a refused refresh is never retried in a loop (the account pauses).
   */
  async token(forceRefresh = false): Promise<string> {
    if (this.refreshing) return this.refreshing;
    const p = (async () => {
      const app = this.app();
      const account = await this.account();
      if (!account) {
        throw new MailError('auth.reauthRequired', `no Microsoft sign-in is stored for account "${this.o.accountId}"; run "Connect Microsoft Graph (OAuth)"`);
      }
      let r: AuthenticationResult;
      try {
        r = await app.acquireTokenSilent({ account, scopes: GRAPH_SCOPES, forceRefresh });
      } catch (e) {
        throw classifyMsalError(e, 'Microsoft token refresh');
      }
      return r.accessToken;
    })();
    this.refreshing = p;
    try {
      return await p;
    } finally {
      if (this.refreshing === p) this.refreshing = undefined;
    }
  }

  /** Forgets the stored tokens (Remove Account). */
  async signOut(): Promise<void> {
    await this.o.secrets.delete(msalCacheSecretKey(this.o.accountId));
    this.pca = undefined;
  }
}

/** Answers MSAL's loopback listener with an error so it closes (sign-in timed out). */
async function abandonLoopback(authorizeUrl: string): Promise<void> {
  try {
    const u = new URL(authorizeUrl);
    const redirect = u.searchParams.get('redirect_uri');
    const state = u.searchParams.get('state');
    if (!redirect || !state) return;
    const body = new URLSearchParams({ error: 'timeout', error_description: 'the sign-in was not completed in time', state }).toString();
    await fetch(redirect, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body });
  } catch {
    /* the listener is already gone */
  }
}
