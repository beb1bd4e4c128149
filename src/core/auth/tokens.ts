/**
 * OAuth tokens of an account, kept only in a SecretStore (VS Code SecretStorage in
 * the extension; an in-memory store seeded from the environment in the CLI).
 *
 * Two rules from the issue live here:
 * - a rotated refresh token is saved before the new access token is handed out, so a
 *   crash right after a refresh never leaves only the old, now revoked, token behind;
 * - refreshes are serialised per account: concurrent jobs share one refresh request,
 *   and a grant the provider refused is not asked for again (no invalid_grant loop)
 *   until a new sign-in stores a different refresh token.
 */
import type { SecretStore } from '../config';
import { MailError } from '../errors';

export interface StoredTokens {
  refreshToken: string;
  accessToken?: string;
  /** Epoch ms when the access token expires. */
  expiresAt?: number;
  scope?: string;
  /** Epoch ms of the sign-in that gave the refresh token (Google ends a "Testing" app's after 7 days). */
  obtainedAt?: number;
}

export interface RefreshResult {
  accessToken: string;
  expiresAt?: number;
  /** Present when the provider rotated the refresh token. */
  refreshToken?: string;
  scope?: string;
}

export function tokenSecretKey(accountId: string): string {
  return `maildesk.oauth.tokens.${accountId}`;
}

/** A SecretStore that lives and dies with the process (CLI, tests). */
export function memorySecretStore(initial: Record<string, string> = {}): SecretStore & { readonly map: Map<string, string> } {
  const map = new Map(Object.entries(initial));
  return {
    map,
    get: async (k) => map.get(k),
    set: async (k, v) => void map.set(k, v),
    delete: async (k) => void map.delete(k),
  };
}

export class TokenStore {
  constructor(
    private readonly secrets: SecretStore,
    /** Fallback when nothing is stored yet: the CLI's refresh token from an environment variable. */
    private readonly seed?: (accountId: string) => string | undefined,
  ) {}

  async load(accountId: string): Promise<StoredTokens | undefined> {
    const raw = await this.secrets.get(tokenSecretKey(accountId));
    if (raw) {
      try {
        const t = JSON.parse(raw) as StoredTokens;
        if (t && typeof t.refreshToken === 'string' && t.refreshToken) return t;
      } catch {
        /* unreadable: treated as absent, the user signs in again */
      }
    }
    const rt = this.seed?.(accountId);
    return rt ? { refreshToken: rt } : undefined;
  }

  async save(accountId: string, t: StoredTokens): Promise<void> {
    await this.secrets.set(tokenSecretKey(accountId), JSON.stringify(t));
  }

  async delete(accountId: string): Promise<void> {
    await this.secrets.delete(tokenSecretKey(accountId));
  }
}

/** Per-account state shared by every provider instance in the process. */
const inflight = new Map<string, Promise<string>>();
const refused = new Map<string, { refreshToken: string; error: MailError }>();

/** Forgets a refused grant (after a new sign-in) — also done implicitly when the stored token changes. */
export function clearRefusedGrant(accountId: string): void {
  refused.delete(accountId);
}

export interface AccessTokenSourceOptions {
  accountId: string;
  store: TokenStore;
  refresh(refreshToken: string): Promise<RefreshResult>;
  /** Turns a refresh failure into a MailError (classifyProviderError). */
  classify(e: unknown): MailError;
  /** Refresh this long before expiry (default 60 s). */
  skewMs?: number;
  now?: () => number;
  /** Provider name for messages ("Google"). */
  providerName: string;
}

export class AccessTokenSource {
  /** Refresh requests actually sent (for tests and Troubleshoot). */
  refreshCount = 0;

  constructor(private readonly o: AccessTokenSourceOptions) {}

  private now(): number {
    return (this.o.now ?? Date.now)();
  }

  /** A valid access token; refreshes (once across concurrent callers) when missing, expiring or `force`d. */
  async accessToken(force = false): Promise<string> {
    const id = this.o.accountId;
    const t = await this.o.store.load(id);
    if (!t) {
      throw new MailError('auth.reauthRequired', `Re-authorization required: no ${this.o.providerName} sign-in is stored for account "${id}"; sign in again`, { retryable: false });
    }
    const dead = refused.get(id);
    if (dead && dead.refreshToken === t.refreshToken) throw dead.error;
    if (!force && t.accessToken && t.expiresAt && t.expiresAt - (this.o.skewMs ?? 60_000) > this.now()) return t.accessToken;
    let p = inflight.get(id);
    if (!p) {
      p = this.doRefresh(t).finally(() => inflight.delete(id));
      inflight.set(id, p);
    }
    return p;
  }

  private async doRefresh(t: StoredTokens): Promise<string> {
    const id = this.o.accountId;
    let r: RefreshResult;
    try {
      this.refreshCount++;
      r = await this.o.refresh(t.refreshToken);
    } catch (e) {
      const err = this.o.classify(e);
      if (err.code === 'auth.reauthRequired' || err.code === 'auth.accessDenied') refused.set(id, { refreshToken: t.refreshToken, error: err });
      throw err;
    }
    // Saved before anyone uses the new access token: a rotated refresh token is never lost.
    await this.o.store.save(id, {
      refreshToken: r.refreshToken || t.refreshToken,
      accessToken: r.accessToken,
      expiresAt: r.expiresAt ?? this.now() + 3_300_000,
      scope: r.scope ?? t.scope,
      obtainedAt: t.obtainedAt,
    });
    return r.accessToken;
  }
}
