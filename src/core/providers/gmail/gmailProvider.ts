/**
 * Gmail through the Gmail API (@googleapis/gmail + google-auth-library).
 *
 * Labels are folders. A message is stored once per account (keyed by its Gmail id) with
 * one membership per label folder it carries, plus the virtual "All Mail" folder for
 * everything not in Spam or Trash. So a label change on the server only moves
 * memberships (history.list labelsAdded/labelsRemoved): nothing is downloaded again.
 *
 * Per selected label: the first fill lists the newest page (messages.list with
 * labelIds) and fetches metadata only for ids not held yet; backfill continues from the
 * saved page token (folder sync state backfillCursor); incremental sync reads
 * history.list from the saved historyId (cursor). A 404 there (history too old) resets
 * the folder (local-only entries are kept) and fills it again.
 *
 * Quota: a token bucket keeps within 15,000 units a minute; a 429 or a 403
 * rateLimitExceeded waits for Retry-After (or backs off) and tries again a few times,
 * then surfaces as server.rateLimited so the scheduler backs off — never as an auth error.
 * A lockout longer than a short wait (Gmail's 429 names its end in the message text,
 * "Retry after <time>", about 15 minutes on) holds every request of the account until
 * then: none is sent, each fails at once with the time left, so jobs are rescheduled after it.
 *
 * Sending and drafts go through the media upload URI (message/rfc822, up to 35 MB) with the
 * Gmail threadId of the message replied to or forwarded, so Gmail files them in its
 * conversation. A send or draft create is never retried after it went out. The threadId is
 * also each message's thread key, so MailDesk's conversations are Gmail's own.
 */
import { Readable } from 'node:stream';
import { gmail, type gmail_v1 } from '@googleapis/gmail';
import { OAuth2Client } from 'google-auth-library';
import type { AccountConfig, ProviderKind } from '../../config';
import { MailError } from '../../errors';
import { formatBytes, formatSeconds, resolveLimits, type ConnectionLimits } from '../../limits';
import { type Logger, noopLogger } from '../../log';
import { classifyProviderError, errorFacts } from '../../auth/classify';
import { explainGoogleGrantEnd, type GoogleOAuthSettings } from '../../auth/oauthConfig';
import { AccessTokenSource, type TokenStore } from '../../auth/tokens';
import { parseAddresses } from '../../send/compose';
import type { FolderRole, FolderRow, IncomingMessage, MailStore } from '../../store/store';
import { providerThreadKey } from '../../store/threadKeys';
import type {
  BodyRef,
  FolderSyncResult,
  MailProvider,
  MessageRef,
  ProviderCapabilities,
  RemoteFolder,
  RemoteTask,
  SendEnvelope,
  SendReceipt,
  SyncContext,
  SyncMode,
  VerifyReport,
  VerifyStep,
} from '../provider';
import { mayHaveArrived, maybeSentError, replyIds, tooLargeError } from '../apiSend';
import { GMAIL_UNITS, mapLimit, TokenBucket } from './quota';

/**
 * messages.send, drafts.create and drafts.update take at most 35 MB through the upload URI
 * (https://developers.google.com/workspace/gmail/api/reference/rest/v1/users.messages/send,
 * "Maximum file size: 35MB"; https://developers.google.com/workspace/gmail/api/guides/uploads).
 */
export const GMAIL_MAX_UPLOAD_BYTES = 35 * 1024 * 1024;

/** Gmail lockouts by account id, for providers made without a `lockout` store (see GmailProvider.lockedUntil). */
const lockouts = new Map<string, number>();

/** The virtual folder holding every message not in Spam or Trash. */
export const ALL_MAIL_PATH = 'ALL_MAIL';

const SYSTEM_LABELS: Record<string, { name: string; role: FolderRole; specialUse: string }> = {
  INBOX: { name: 'Inbox', role: 'inbox', specialUse: '\\Inbox' },
  SENT: { name: 'Sent', role: 'sent', specialUse: '\\Sent' },
  DRAFT: { name: 'Drafts', role: 'drafts', specialUse: '\\Drafts' },
  SPAM: { name: 'Spam', role: 'junk', specialUse: '\\Junk' },
  TRASH: { name: 'Trash', role: 'trash', specialUse: '\\Trash' },
  STARRED: { name: 'Starred', role: 'flagged', specialUse: '\\Flagged' },
  IMPORTANT: { name: 'Important', role: 'important', specialUse: '\\Important' },
};

const METADATA_HEADERS = ['From', 'To', 'Cc', 'Subject', 'Date', 'Message-ID', 'In-Reply-To', 'References'];

export interface GmailProviderOptions {
  account: AccountConfig;
  /** Resolves the OAuth client, or throws oauth.notConfigured. */
  settings(): Promise<GoogleOAuthSettings>;
  tokens: TokenStore;
  logger?: Logger;
  /** Messages in the first page of a fill (default 50). */
  firstPageSize?: number;
  /** Messages per backfill page (default 100). */
  pageSize?: number;
  /** Metadata gets running at once (default 4). */
  concurrency?: number;
  /** Per-user quota (default 15,000 units a minute). */
  unitsPerMinute?: number;
  /** Rate-limit retries inside one request before giving up to the scheduler (default 4). */
  maxRetries?: number;
  /** Longest single wait for a Retry-After in seconds before handing over to the scheduler (default 60). */
  maxWaitSec?: number;
  sleep?: (ms: number) => Promise<void>;
  /** The stored Gmail threadId of a message with one of these Message-IDs (replies, forwards). */
  threadOf?(messageIds: string[]): string | undefined;
  /**
   * Where a lockout outlives the process (the store): an engine started again within Gmail's
   * lockout must not spend a request to learn it again.
   */
  lockout?: { read(): number; write(until: number): void };
  now?: () => number;
  /** Request deadlines and response size (src/core/limits.ts); tests pass small ones. */
  limits?: Partial<ConnectionLimits>;
}

interface Label {
  id: string;
  path: string;
}

function flagsOf(labelIds: string[]): string[] {
  const f: string[] = [];
  if (!labelIds.includes('UNREAD')) f.push('\\Seen');
  if (labelIds.includes('STARRED')) f.push('\\Flagged');
  if (labelIds.includes('DRAFT')) f.push('\\Draft');
  return f;
}

function idList(v: string | undefined): string[] | undefined {
  if (!v) return undefined;
  const ids = v.match(/<[^>]+>/g);
  return ids?.length ? ids : undefined;
}

/** Metadata (format=metadata) → what the store keeps. */
export function toIncoming(m: gmail_v1.Schema$Message): IncomingMessage {
  const h = new Map<string, string>();
  for (const x of m.payload?.headers ?? []) if (x.name && x.value !== undefined && x.value !== null && !h.has(x.name.toLowerCase())) h.set(x.name.toLowerCase(), x.value);
  const from = parseAddresses(h.get('from') ?? '').addresses[0];
  const refs = idList(h.get('references'));
  const date = Number(m.internalDate) || Date.parse(h.get('date') ?? '') || 0;
  const mime = m.payload?.mimeType ?? '';
  return {
    providerId: m.id!,
    messageId: h.get('message-id')?.trim() || undefined,
    // Gmail's conversation is the thread (it splits a chain whose subject changed, and joins
    // what no header links): https://developers.google.com/workspace/gmail/api/guides/threads.
    threadKey: m.threadId ? providerThreadKey('gmail', m.threadId) : undefined,
    subject: h.get('subject') ?? '',
    from: from ? { name: from.name, address: from.address } : { address: h.get('from') ?? '' },
    to: parseAddresses(h.get('to') ?? '').addresses,
    cc: parseAddresses(h.get('cc') ?? '').addresses,
    date,
    size: m.sizeEstimate ?? 0,
    flags: flagsOf(m.labelIds ?? []),
    hasAttachments: /multipart\/mixed/i.test(mime),
    inReplyTo: idList(h.get('in-reply-to'))?.[0],
    references: refs,
    snippet: m.snippet ?? undefined,
  };
}

function labelName(task: { folderPath: string }): string {
  return task.folderPath;
}

export class GmailProvider implements MailProvider {
  readonly kind: ProviderKind = 'gmail';
  readonly accountId: string;
  /** Read by the scheduler: jobs of this account running at once. */
  readonly maxConnections = 3;
  private readonly logger: Logger;
  private readonly bucket: TokenBucket;
  private readonly sleep: (ms: number) => Promise<void>;
  private api: gmail_v1.Gmail | undefined;
  private uploadOpts: { rootUrl: string; timeout?: number } = { rootUrl: 'https://gmail.googleapis.com/' };
  private authClient: OAuth2Client | undefined;
  private tokenSource: AccessTokenSource | undefined;
  private grantObtainedAt: number | undefined;
  private settingsP: Promise<GoogleOAuthSettings> | undefined;
  private labels: Label[] | undefined;
  private readonly locks = new Map<number, Promise<unknown>>();
  /** Requests by API method (Troubleshoot, tests). */
  readonly calls = new Map<string, number>();
  /**
   * Epoch ms until which Gmail refuses this account (a 429 lockout): no request before then.
   * Kept where `lockout` says (the store: every provider of the account, Troubleshoot's own
   * too, and an engine started again see it), else shared by the account's providers in the process.
   */
  get lockedUntil(): number {
    return this.o.lockout ? this.o.lockout.read() : lockouts.get(this.accountId) ?? 0;
  }
  set lockedUntil(t: number) {
    if (this.o.lockout) this.o.lockout.write(Math.max(0, t));
    else if (t > 0) lockouts.set(this.accountId, t);
    else lockouts.delete(this.accountId);
  }
  private readonly now: () => number;

  private readonly limits: ConnectionLimits;

  constructor(private readonly o: GmailProviderOptions) {
    this.limits = resolveLimits(o.limits);
    this.accountId = o.account.id;
    this.logger = o.logger ?? noopLogger;
    this.sleep = o.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
    this.now = o.now ?? Date.now;
    this.bucket = new TokenBucket(o.unitsPerMinute ?? 15_000, Date.now, this.sleep);
  }

  // ---- plumbing -------------------------------------------------------------

  private async settings(): Promise<GoogleOAuthSettings> {
    this.settingsP ??= this.o.settings().catch((e) => {
      this.settingsP = undefined;
      throw e;
    });
    return this.settingsP;
  }

  /** The token source (refresh through google-auth-library's OAuth2Client). */
  async tokens(): Promise<AccessTokenSource> {
    if (this.tokenSource) return this.tokenSource;
    const s = await this.settings();
    this.tokenSource = new AccessTokenSource({
      accountId: this.accountId,
      store: this.o.tokens,
      providerName: 'Google',
      classify: (e) => explainGoogleGrantEnd(classifyProviderError(e, 'google', 'token refresh'), this.grantObtainedAt, this.now()),
      refresh: async (refreshToken) => {
        // When the grant was given: a refusal at about 7 days is explained (a "Testing" app).
        this.grantObtainedAt = (await this.o.tokens.load(this.accountId))?.obtainedAt;
        const c = new OAuth2Client({ clientId: s.clientId, clientSecret: s.clientSecret, endpoints: { oauth2TokenUrl: s.tokenUrl, oauth2AuthBaseUrl: s.authUrl } });
        c.setCredentials({ refresh_token: refreshToken });
        const { credentials } = await c.refreshAccessToken();
        if (!credentials.access_token) throw new MailError('server.protocol', 'Google answered the token refresh without an access token');
        return {
          accessToken: credentials.access_token,
          expiresAt: credentials.expiry_date ?? undefined,
          refreshToken: credentials.refresh_token && credentials.refresh_token !== refreshToken ? credentials.refresh_token : undefined,
          scope: credentials.scope ?? undefined,
        };
      },
    });
    return this.tokenSource;
  }

  private async client(): Promise<gmail_v1.Gmail> {
    if (this.api) return this.api;
    const s = await this.settings();
    // Refresh is ours (one at a time, rotation saved first): the library only carries the access token.
    this.authClient = new OAuth2Client({ clientId: s.clientId, clientSecret: s.clientSecret, endpoints: { oauth2TokenUrl: s.tokenUrl, oauth2AuthBaseUrl: s.authUrl } });
    // Retries are ours too, so Retry-After is honoured and a 403 rateLimitExceeded is retried.
    // A whole request has a deadline (src/core/limits.ts), not only a socket that goes quiet.
    // And a response a size limit: node-fetch (gaxios' fetch in Node) stops reading beyond it.
    const l = this.limits;
    this.api = gmail({ version: 'v1', auth: this.authClient, rootUrl: s.apiRootUrl, retry: false, timeout: l.httpRequestMs, maxContentLength: l.httpMaxResponseBytes });
    // The library builds the /upload URI from a per-call rootUrl only (the client-wide one is not applied to it).
    // An upload of up to 35 MB gets longer than an ordinary request on a slow uplink.
    this.uploadOpts = { rootUrl: s.apiRootUrl, timeout: l.httpUploadMs };
    return this.api;
  }

  private count(name: string): void {
    this.calls.set(name, (this.calls.get(name) ?? 0) + 1);
  }

  /** The account is locked out by Gmail: fail at once with the time left, sending nothing. */
  private checkLockout(name: string): void {
    const until = this.lockedUntil;
    const left = until - this.now();
    if (left <= 0) {
      if (until) this.lockedUntil = 0; // over: forget it
      return;
    }
    throw new MailError('server.rateLimited', `${name}: Gmail refuses requests of this account until ${new Date(this.lockedUntil).toISOString()} (rate limit); MailDesk sends none before then`, {
      retryable: true,
      retryAfter: Math.ceil(left / 1000),
    });
  }

  /**
   * One API request: quota units first, a valid access token, one refresh and retry on
   * a 401, waits on 429 / 403 rateLimitExceeded (Retry-After) and 5xx, then a MailError.
   * `once` (a send, a draft create): never repeated by itself, except after a 401 (refused
   * before anything was done), since a second request could send or file it twice.
   */
  private async call<T>(name: string, units: number, fn: (api: gmail_v1.Gmail) => Promise<{ data: T }>, opts: { once?: boolean } = {}): Promise<T> {
    const api = await this.client();
    const src = await this.tokens();
    const max = this.o.maxRetries ?? 4;
    let refreshed = false;
    for (let attempt = 1; ; attempt++) {
      this.checkLockout(name);
      await this.bucket.take(units);
      this.checkLockout(name);
      this.authClient!.setCredentials({ access_token: await src.accessToken() });
      const started = Date.now();
      try {
        this.count(name);
        return (await fn(api)).data;
      } catch (e) {
        const err = limitHit(e, this.limits, Date.now() - started, name) ?? classifyProviderError(e, 'google', name);
        const status = errorFacts(e).status;
        if (status === 401 && !refreshed) {
          refreshed = true;
          await src.accessToken(true);
          continue;
        }
        if (err.code === 'server.rateLimited') this.bucket.drain();
        const waitSec = err.retryAfter ?? Math.min(32, 2 ** (attempt - 1));
        if (err.code === 'server.rateLimited' && waitSec > (this.o.maxWaitSec ?? 60)) {
          // A lockout: the whole account waits it out (every job, not just this request).
          this.lockedUntil = Math.max(this.lockedUntil, this.now() + waitSec * 1000);
          this.logger.log('warn', `${name}: ${err.message}; no Gmail requests until ${new Date(this.lockedUntil).toISOString()}`, { account: this.accountId });
          throw err;
        }
        // A send or draft create is never repeated by itself: see sendMessage for what a failure means.
        if (opts.once) throw err;
        if (err.retryable && attempt < max && waitSec <= (this.o.maxWaitSec ?? 60)) {
          this.logger.log('info', `${name}: ${err.message}; waiting ${waitSec} s`, { account: this.accountId });
          await this.sleep(waitSec * 1000);
          continue;
        }
        throw err;
      }
    }
  }

  /** Serialises the sync and backfill jobs of one folder (they share its cursors). */
  private async lock<T>(folderId: number, fn: () => Promise<T>): Promise<T> {
    const prev = this.locks.get(folderId) ?? Promise.resolve();
    const p = prev.then(fn, fn);
    const tail = p.catch(() => undefined);
    this.locks.set(folderId, tail);
    try {
      return await p;
    } finally {
      if (this.locks.get(folderId) === tail) this.locks.delete(folderId);
    }
  }

  // ---- folders --------------------------------------------------------------

  private async loadLabels(): Promise<Label[]> {
    const data = await this.call('labels.list', GMAIL_UNITS.labelsList, (api) => api.users.labels.list({ userId: 'me' }));
    const out: Label[] = [];
    for (const l of data.labels ?? []) {
      if (!l.id) continue;
      if (l.type === 'system' && !SYSTEM_LABELS[l.id]) continue; // UNREAD, CHAT, CATEGORY_*: not folders
      out.push({ id: l.id, path: SYSTEM_LABELS[l.id] ? l.id : (l.name ?? l.id) });
    }
    this.labels = out;
    return out;
  }

  private async labelIdOf(path: string): Promise<string | null> {
    if (path === ALL_MAIL_PATH) return null;
    const find = (ls: Label[]) => ls.find((l) => l.path === path)?.id;
    const id = (this.labels && find(this.labels)) ?? find(await this.loadLabels());
    if (!id) throw new MailError('folder.notFound', `the Gmail label "${path}" no longer exists`);
    return id;
  }

  async listFolders(): Promise<RemoteFolder[]> {
    const ls = await this.loadLabels();
    const out: RemoteFolder[] = ls.map((l) => {
      const sys = SYSTEM_LABELS[l.id];
      return sys
        ? { path: l.path, name: sys.name, role: sys.role, specialUse: sys.specialUse }
        : { path: l.path, name: l.path.split('/').pop() ?? l.path, delimiter: '/', role: null, specialUse: null };
    });
    out.push({ path: ALL_MAIL_PATH, name: 'All Mail', role: 'all', specialUse: '\\All' });
    return out;
  }

  /** labels.get per label (messagesTotal): one unit each. */
  async folderTotals(): Promise<Map<string, number>> {
    const ls = this.labels ?? (await this.loadLabels());
    const out = new Map<string, number>();
    await Promise.all(
      ls.map(async (l) => {
        const data = await this.call('labels.get', GMAIL_UNITS.labelsGet, (api) => api.users.labels.get({ userId: 'me', id: l.id }));
        if (typeof data.messagesTotal === 'number') out.set(l.path, data.messagesTotal);
      }),
    );
    // All Mail has no label to ask; the profile's total counts Spam and Trash too, so it is left uncounted.
    return out;
  }

  /** Folder rows for a label set, and every label folder of the account (whose memberships labels decide). */
  private folderMap(store: MailStore): { byLabel: Map<string, number>; all: number | undefined; managed: number[] } {
    const byPath = new Map(store.listFolders(this.accountId).filter((f) => f.remoteExists).map((f) => [f.path, f.id] as const));
    const byLabel = new Map<string, number>();
    for (const l of this.labels ?? []) {
      const id = byPath.get(l.path);
      if (id !== undefined) byLabel.set(l.id, id);
    }
    const all = byPath.get(ALL_MAIL_PATH);
    return { byLabel, all, managed: [...byLabel.values(), ...(all !== undefined ? [all] : [])] };
  }

  private foldersFor(labelIds: string[], map: ReturnType<GmailProvider['folderMap']>): number[] {
    // Gmail's label views, Starred and Important leave Spam and Trash out, though those messages
    // keep their labels (https://support.google.com/mail/answer/7401: "messages in Trash or Spam"
    // are not shown under other labels; messages.list leaves them out unless includeSpamTrash).
    const bin = labelIds.includes('TRASH') ? 'TRASH' : labelIds.includes('SPAM') ? 'SPAM' : undefined;
    const shown = bin ? [bin] : labelIds;
    const out = shown.map((l) => map.byLabel.get(l)).filter((x): x is number => x !== undefined);
    if (map.all !== undefined && !bin) out.push(map.all);
    return [...new Set(out)];
  }

  // ---- sync -----------------------------------------------------------------

  async syncFolder(mode: SyncMode, ctx: SyncContext): Promise<FolderSyncResult> {
    if (!this.labels) await this.loadLabels();
    const labelId = await this.labelIdOf(ctx.folder.path);
    return this.lock(ctx.folder.id, async () => {
      const st = ctx.store.getSyncState(ctx.folder.id);
      if (mode === 'backfill') {
        if (!st.fillDone || !st.cursor) return this.fill(ctx, labelId);
        if (st.backfillDone || !st.backfillCursor) return { ...empty(), complete: true };
        return this.page(ctx, labelId, st.backfillCursor);
      }
      if (!st.fillDone || !st.cursor) return this.fill(ctx, labelId);
      try {
        return await this.history(ctx, st.cursor);
      } catch (e) {
        if (!(e instanceof MailError) || errorFacts(e.cause).status !== 404) throw e;
        // History too old: start this label again; local-only entries (unsent, local Sent copies) stay.
        this.logger.log('warn', `Gmail history ${st.cursor} is too old for ${ctx.folder.path}; re-syncing the label`, { account: this.accountId, folder: ctx.folder.path });
        ctx.store.resetFolder(ctx.folder.id);
        const r = await this.fill(ctx, labelId);
        return { ...r, reset: true };
      }
    });
  }

  private async list(labelId: string | null, pageToken: string | undefined, max: number): Promise<{ ids: string[]; next?: string; estimate?: number }> {
    const data = await this.call('messages.list', GMAIL_UNITS.messagesList, (api) =>
      api.users.messages.list({ userId: 'me', labelIds: labelId ? [labelId] : undefined, pageToken, maxResults: max }),
    );
    return { ids: (data.messages ?? []).map((m) => m.id!).filter(Boolean), next: data.nextPageToken ?? undefined, estimate: data.resultSizeEstimate ?? undefined };
  }

  /** Concurrent jobs (several labels' syncs) that meet the same new message share one get. */
  private readonly metaInflight = new Map<string, Promise<gmail_v1.Schema$Message | undefined>>();

  private getMeta(id: string): Promise<gmail_v1.Schema$Message | undefined> {
    let p = this.metaInflight.get(id);
    if (!p) {
      p = this.fetchMeta(id).finally(() => setTimeout(() => this.metaInflight.delete(id), 1000).unref?.());
      this.metaInflight.set(id, p);
    }
    return p;
  }

  private async fetchMeta(id: string): Promise<gmail_v1.Schema$Message | undefined> {
    try {
      return await this.call('messages.get', GMAIL_UNITS.messagesGet, (api) => api.users.messages.get({ userId: 'me', id, format: 'metadata', metadataHeaders: METADATA_HEADERS }));
    } catch (e) {
      // Deleted between the list and the get: nothing to store.
      if (e instanceof MailError && errorFacts(e.cause).status === 404) return undefined;
      throw e;
    }
  }

  /**
   * Stores what a list or history step found: unknown ids get a metadata fetch
   * (concurrency-limited), known ones only have their memberships set. All in one
   * transaction with `state`, so a crash never saves a cursor past unsaved mail.
   */
  private async ingest(
    ctx: SyncContext,
    listed: string[],
    labelSets: Map<string, string[]>,
    state: Parameters<MailStore['saveSyncState']>[1],
    ensureIn?: number,
  ): Promise<{ inserted: number; changed: number }> {
    const { store } = ctx;
    const known = store.knownProviderIds(this.accountId, listed);
    const map = this.folderMap(store);
    const toFetch = listed.filter((id) => !known.has(id) && (!labelSets.has(id) || this.foldersFor(labelSets.get(id)!, map).length > 0));
    let fetched = 0;
    const metas = await mapLimit(toFetch, this.o.concurrency ?? 4, async (id) => {
      const m = await this.getMeta(id);
      ctx.progress({ fetched: ++fetched, total: toFetch.length, phase: 'metadata' });
      return m;
    });
    let inserted = 0;
    let changed = 0;
    store.tx(() => {
      for (const m of metas) {
        if (!m?.id) continue;
        const labels = m.labelIds ?? [];
        let folders = this.foldersFor(labels, map);
        if (ensureIn !== undefined && !folders.includes(ensureIn)) folders = [...folders, ensureIn];
        if (!folders.length) continue;
        const inc = toIncoming(m);
        // A local Sent entry with the same Message-ID is taken over, never shown twice.
        const local = inc.messageId ? store.localEntryFolder(this.accountId, inc.messageId) : undefined;
        const primary = local !== undefined && folders.includes(local) ? local : folders[0];
        const r = store.upsertMessages(primary, [inc]);
        inserted += r.inserted + r.adopted;
        store.setMemberships(this.accountId, m.id, folders, map.managed, inc.flags);
        if (m.threadId) store.setProviderThreads(this.accountId, [{ providerId: m.id, thread: m.threadId }]);
      }
      for (const id of listed) {
        if (!known.has(id)) continue;
        const labels = labelSets.get(id);
        if (labels) {
          const folders = this.foldersFor(labels, map);
          if (store.setMemberships(this.accountId, id, folders, map.managed, flagsOf(labels))) changed++;
        } else if (ensureIn !== undefined) {
          // Listed under this label: it is in this folder, whatever else we know.
          if (store.setMemberships(this.accountId, id, [ensureIn], [])) changed++;
        }
      }
      store.saveSyncState(ctx.folder.id, { ...state, lastSyncAt: Date.now() });
    });
    return { inserted, changed };
  }

  /** First fill: the history point first (so nothing between is missed), then the newest page. */
  private async fill(ctx: SyncContext, labelId: string | null): Promise<FolderSyncResult> {
    const profile = await this.call('users.getProfile', GMAIL_UNITS.getProfile, (api) => api.users.getProfile({ userId: 'me' }));
    const page = await this.list(labelId, undefined, this.o.firstPageSize ?? 50);
    const r = await this.ingest(ctx, page.ids, new Map(), { cursor: String(profile.historyId), fillDone: true, backfillCursor: page.next ?? null, backfillDone: !page.next }, ctx.folder.id);
    ctx.progress({ fetched: page.ids.length, total: page.estimate, phase: 'fill' });
    return { ...empty(), newMessages: r.inserted, flagChanges: r.changed, complete: !page.next, remoteTotal: page.estimate };
  }

  /** One backfill page from the saved page token. */
  private async page(ctx: SyncContext, labelId: string | null, token: string): Promise<FolderSyncResult> {
    let page: Awaited<ReturnType<GmailProvider['list']>>;
    try {
      page = await this.list(labelId, token, this.o.pageSize ?? 100);
    } catch (e) {
      // A page token Gmail no longer accepts: start the listing again; known ids cost nothing.
      if (e instanceof MailError && errorFacts(e.cause).status === 400) {
        ctx.store.saveSyncState(ctx.folder.id, { fillDone: false });
        return { ...empty(), complete: false };
      }
      throw e;
    }
    const r = await this.ingest(ctx, page.ids, new Map(), { backfillCursor: page.next ?? null, backfillDone: !page.next }, ctx.folder.id);
    ctx.progress({ fetched: page.ids.length, phase: 'backfill' });
    return { ...empty(), newMessages: r.inserted, flagChanges: r.changed, complete: !page.next };
  }

  /** Incremental sync from the saved historyId. */
  private async history(ctx: SyncContext, start: string): Promise<FolderSyncResult> {
    const labels = new Map<string, string[]>();
    const deleted = new Set<string>();
    const touched: string[] = [];
    /** Ids whose full label set the history did not carry. */
    const partial = new Set<string>();
    let latest = start;
    let pageToken: string | undefined;
    do {
      const data = await this.call('history.list', GMAIL_UNITS.historyList, (api) =>
        api.users.history.list({ userId: 'me', startHistoryId: start, pageToken, maxResults: 500, historyTypes: ['messageAdded', 'messageDeleted', 'labelAdded', 'labelRemoved'] }),
      );
      if (data.historyId) latest = String(data.historyId);
      for (const h of data.history ?? []) {
        const note = (m: gmail_v1.Schema$Message | undefined, apply?: (cur: string[]) => string[]) => {
          if (!m?.id) return;
          if (!labels.has(m.id) && !deleted.has(m.id)) touched.push(m.id);
          deleted.delete(m.id);
          if (m.labelIds) partial.delete(m.id);
          else if (!labels.has(m.id)) partial.add(m.id);
          const cur = m.labelIds ?? (apply ? apply(labels.get(m.id) ?? []) : labels.get(m.id) ?? []);
          labels.set(m.id, cur);
        };
        for (const a of h.messagesAdded ?? []) note(a.message);
        for (const a of h.labelsAdded ?? []) note(a.message, (cur) => [...new Set([...cur, ...(a.labelIds ?? [])])]);
        for (const a of h.labelsRemoved ?? []) note(a.message, (cur) => cur.filter((l) => !(a.labelIds ?? []).includes(l)));
        for (const d of h.messagesDeleted ?? []) if (d.message?.id) deleted.add(d.message.id);
      }
      pageToken = data.nextPageToken ?? undefined;
    } while (pageToken);
    const removed = deleted.size ? ctx.store.removeByProviderId(this.accountId, [...deleted]) : 0;
    const live = touched.filter((id) => !deleted.has(id));
    // A known message whose labels the history gave only as a change: ask for its label set (no body).
    const known = ctx.store.knownProviderIds(this.accountId, [...partial].filter((id) => !deleted.has(id)));
    await mapLimit([...known], this.o.concurrency ?? 4, async (id) => {
      try {
        const m = await this.call('messages.get', GMAIL_UNITS.messagesGet, (api) => api.users.messages.get({ userId: 'me', id, format: 'minimal' }));
        labels.set(id, m.labelIds ?? []);
      } catch (e) {
        if (e instanceof MailError && errorFacts(e.cause).status === 404) labels.delete(id);
        else throw e;
      }
    });
    const r = await this.ingest(ctx, live, labels, { cursor: latest });
    return { ...empty(), newMessages: r.inserted, flagChanges: r.changed, removed, complete: true };
  }

  // ---- messages -------------------------------------------------------------

  async fetchRaw(_folderPath: string, ref: MessageRef): Promise<Buffer> {
    if (!ref.providerId) throw new MailError('folder.notFound', 'this message has no Gmail id yet');
    const data = await this.call('messages.get', GMAIL_UNITS.messagesGet, (api) => api.users.messages.get({ userId: 'me', id: ref.providerId!, format: 'raw' }));
    if (!data.raw) throw new MailError('server.protocol', 'Gmail returned the message without its raw source');
    return Buffer.from(data.raw, 'base64url');
  }

  /** Bodies for the offline fill: concurrent messages.get (format=raw), each within the quota. */
  async fetchBodies(_folder: FolderRow, refs: BodyRef[], onBody: (ref: BodyRef, raw: Buffer) => void): Promise<void> {
    await mapLimit(refs, this.o.concurrency ?? 4, async (ref) => {
      try {
        onBody(ref, await this.fetchRaw('', ref));
      } catch (e) {
        // Deleted since the last sync: skipped, as an IMAP FETCH skips an expunged UID.
        if (!(e instanceof MailError && errorFacts(e.cause).status === 404)) throw e;
      }
    });
  }

  private async modify(id: string, add: string[], remove: string[]): Promise<void> {
    if (!add.length && !remove.length) return;
    await this.call('messages.modify', GMAIL_UNITS.messagesModify, (api) => api.users.messages.modify({ userId: 'me', id, requestBody: { addLabelIds: add, removeLabelIds: remove } }));
  }

  async applyTask(task: RemoteTask): Promise<void> {
    const id = task.providerId;
    if (!id) throw new MailError('folder.notFound', 'this message has no Gmail id yet');
    if (!this.labels) await this.loadLabels();
    if (task.kind === 'flags') {
      const add: string[] = [];
      const remove: string[] = [];
      const lower = (l: string[]) => l.map((f) => f.toLowerCase());
      if (lower(task.add).includes('\\seen')) remove.push('UNREAD');
      if (lower(task.remove).includes('\\seen')) add.push('UNREAD');
      if (lower(task.add).includes('\\flagged')) add.push('STARRED');
      if (lower(task.remove).includes('\\flagged')) remove.push('STARRED');
      return this.modify(id, add, remove);
    }
    if (task.kind === 'delete') {
      if (task.folderPath === 'TRASH') {
        await this.call('messages.delete', GMAIL_UNITS.messagesDelete, (api) => api.users.messages.delete({ userId: 'me', id }));
      } else {
        await this.call('messages.trash', GMAIL_UNITS.messagesTrash, (api) => api.users.messages.trash({ userId: 'me', id }));
      }
      return;
    }
    // move: labels, not copies. To Trash is a trash; to All Mail is an archive.
    const from = await this.labelIdOf(labelName(task));
    if (task.toPath === 'TRASH') {
      await this.call('messages.trash', GMAIL_UNITS.messagesTrash, (api) => api.users.messages.trash({ userId: 'me', id }));
      return;
    }
    if (from === 'TRASH') await this.call('messages.untrash', GMAIL_UNITS.messagesTrash, (api) => api.users.messages.untrash({ userId: 'me', id }));
    const to = await this.labelIdOf(task.toPath);
    await this.modify(id, to ? [to] : [], from && from !== 'TRASH' && from !== to ? [from] : []);
  }

  /**
   * The Gmail threadId a reply or forward belongs to: the stored one of the message it
   * points to (References, In-Reply-To), else Gmail's own answer for that Message-ID.
   * Gmail files a sent message or draft in a conversation only when the request names the
   * threadId and the headers and subject match
   * (https://developers.google.com/workspace/gmail/api/guides/threads#adding_drafts_and_messages_to_threads).
   */
  private async threadFor(raw: Buffer): Promise<string | undefined> {
    const ids = replyIds(raw);
    if (!ids.length) return undefined;
    const stored = this.o.threadOf?.(ids);
    if (stored) return stored;
    // The nearest ancestors first, a few at most: each look-up costs quota.
    for (const id of ids.reverse().slice(0, 3)) {
      const q = `rfc822msgid:${id.replace(/^<|>$/g, '')}`;
      try {
        const data = await this.call('messages.list', GMAIL_UNITS.messagesList, (api) => api.users.messages.list({ userId: 'me', q, maxResults: 1, includeSpamTrash: true }));
        const t = data.messages?.[0]?.threadId;
        if (t) return t;
      } catch (e) {
        // Rate limits and sign-in problems stop the send too; anything else only costs the threading.
        const err = e instanceof MailError ? e : classifyProviderError(e, 'google', 'messages.list');
        if (err.code === 'server.rateLimited' || err.code.startsWith('auth.') || err.offline) throw err;
        this.logger.log('warn', `the Gmail thread of ${id} could not be found (${err.message}); sent as a new conversation`, { account: this.accountId });
        return undefined;
      }
    }
    return undefined;
  }

  /** Refused here, before any request, when Gmail could not take it. */
  private checkSize(raw: Buffer, what: string): void {
    if (raw.length > GMAIL_MAX_UPLOAD_BYTES) throw tooLargeError('Gmail', raw.length, GMAIL_MAX_UPLOAD_BYTES, what);
  }

  /**
   * users.messages.send through the upload URI (uploadType=multipart: the threadId as JSON,
   * the message as message/rfc822), so any size Gmail allows goes and replies stay in their
   * conversation. Gmail takes the recipients from the headers and keeps the Sent copy
   * itself; recipients only in the envelope (Bcc, removed from `raw`) go back in a Bcc
   * header, which Gmail strips from what it delivers.
   */
  async sendMessage(raw: Buffer, envelope: SendEnvelope): Promise<SendReceipt> {
    const text = raw.subarray(0, 256 * 1024).toString('latin1');
    const end = text.search(/\r?\n\r?\n/);
    const head = end >= 0 ? text.slice(0, end) : text;
    const inHeaders = new Set((head.match(/^(?:to|cc|bcc):.*(?:\r?\n[ \t].*)*/gim) ?? []).join(' ').toLowerCase().match(/[^\s<>,;:"]+@[^\s<>,;"]+/g) ?? []);
    const extra = envelope.to.filter((a) => !inHeaders.has(a.toLowerCase()));
    const body = extra.length ? Buffer.concat([Buffer.from(`Bcc: ${extra.join(', ')}\r\n`, 'latin1'), raw]) : raw;
    this.checkSize(body, 'a message to send');
    const threadId = await this.threadFor(body);
    let data: gmail_v1.Schema$Message;
    try {
      data = await this.call(
        'messages.send',
        GMAIL_UNITS.messagesSend,
        (api) => api.users.messages.send({ userId: 'me', requestBody: { threadId }, media: { mimeType: 'message/rfc822', body: Readable.from([body]) } }, this.uploadOpts),
        { once: true },
      );
    } catch (e) {
      const status = e instanceof MailError ? errorFacts(e.cause).status : undefined;
      if (e instanceof MailError && status === 413) throw tooLargeError('Gmail', body.length, GMAIL_MAX_UPLOAD_BYTES, 'a message to send');
      if (e instanceof MailError && status === 400) {
        throw new MailError('send.rejected', `Gmail refused the message: ${e.providerMessage ?? e.message}`, { cause: e.cause, providerMessage: e.providerMessage, retryable: false });
      }
      // Out and unanswered (timeout, dropped connection, 5xx): Gmail may have sent it.
      if (e instanceof MailError && mayHaveArrived(e)) throw maybeSentError('Gmail', e);
      throw e;
    }
    return { accepted: envelope.to, rejected: [], response: `Gmail API message ${data.id ?? '?'}${data.threadId ? ` in thread ${data.threadId}` : ''}` };
  }

  // ---- drafts ---------------------------------------------------------------

  /** Ids of the drafts whose message carries this Message-ID (a save whose answer was lost leaves one). */
  private async findDrafts(messageId: string): Promise<string[]> {
    const q = `rfc822msgid:${messageId.replace(/^<|>$/g, '')}`;
    const out: string[] = [];
    let pageToken: string | undefined;
    do {
      const data = await this.call('drafts.list', GMAIL_UNITS.draftsList, (api) => api.users.drafts.list({ userId: 'me', q, pageToken, maxResults: 100 }));
      for (const d of data.drafts ?? []) if (d.id) out.push(d.id);
      pageToken = data.nextPageToken ?? undefined;
    } while (pageToken);
    return out;
  }

  private async deleteDraftId(id: string): Promise<boolean> {
    try {
      await this.call('drafts.delete', GMAIL_UNITS.draftsDelete, (api) => api.users.drafts.delete({ userId: 'me', id }));
      return true;
    } catch (e) {
      // Already gone (sent or discarded in webmail): the goal is reached.
      if (e instanceof MailError && errorFacts(e.cause).status === 404) return false;
      throw e;
    }
  }

  /**
   * users.drafts.update of the known draft (or the one found by Message-ID), so webmail
   * shows one draft that changes; users.drafts.create when there is none (first save, or
   * discarded on the server meanwhile). Gmail gives the updated draft a new message id;
   * the history sync swaps the Drafts entry accordingly.
   */
  async saveDraftRemote(raw: Buffer, opts: { messageId: string; previousRef?: string }): Promise<{ ref: string }> {
    this.checkSize(raw, 'a draft');
    const threadId = await this.threadFor(raw);
    // Through the upload URI (any size Gmail allows), with the reply's threadId.
    const media = () => ({ mimeType: 'message/rfc822', body: Readable.from([raw]) });
    const found = opts.previousRef ? [opts.previousRef] : await this.findDrafts(opts.messageId);
    const [target, ...extra] = found;
    let ref: string | undefined;
    if (target) {
      try {
        const d = await this.call('drafts.update', GMAIL_UNITS.draftsUpdate, (api) => api.users.drafts.update({ userId: 'me', id: target, requestBody: { id: target, message: { threadId } }, media: media() }, this.uploadOpts));
        ref = d.id ?? target;
      } catch (e) {
        if (!(e instanceof MailError && errorFacts(e.cause).status === 404)) throw e;
      }
    }
    if (!ref) {
      const d = await this.call('drafts.create', GMAIL_UNITS.draftsCreate, (api) => api.users.drafts.create({ userId: 'me', requestBody: { message: { threadId } }, media: media() }, this.uploadOpts), { once: true });
      if (!d.id) throw new MailError('server.protocol', 'Gmail answered drafts.create without a draft id');
      ref = d.id;
    }
    for (const id of extra) await this.deleteDraftId(id);
    return { ref };
  }

  /** users.drafts.delete of the known draft and of any other draft with this Message-ID. */
  async deleteDraftRemote(opts: { messageId: string; ref?: string }): Promise<number> {
    const ids = new Set<string>(opts.ref ? [opts.ref] : []);
    for (const id of await this.findDrafts(opts.messageId)) ids.add(id);
    let n = 0;
    for (const id of ids) if (await this.deleteDraftId(id)) n++;
    return n;
  }

  // ---- capabilities and tests ------------------------------------------------

  async capabilities(): Promise<ProviderCapabilities> {
    return { push: false, labels: true, savesSentCopy: 'yes', maxConnections: this.maxConnections, raw: ['GMAIL-API', 'LABELS', 'HISTORY'] };
  }

  private async verify(what: 'incoming' | 'outgoing'): Promise<VerifyReport> {
    const steps: VerifyStep[] = [];
    let server = 'gmail.googleapis.com';
    const step = async <T>(name: VerifyStep['name'], fn: () => Promise<T>, detail: (r: T) => string): Promise<T> => {
      const t0 = performance.now();
      try {
        const r = await fn();
        steps.push({ name, ok: true, ms: Math.round(performance.now() - t0), detail: detail(r) });
        return r;
      } catch (e) {
        const err = e instanceof MailError ? e : classifyProviderError(e, 'google', name);
        steps.push({ name, ok: false, ms: Math.round(performance.now() - t0), detail: err.message });
        throw err;
      }
    };
    try {
      const s = await step('config', () => this.settings(), (s) => `OAuth client ${s.clientId.slice(0, 12)}…`);
      server = new URL(s.apiRootUrl).host;
      const src = await this.tokens();
      await step('login', () => src.accessToken(true), () => 'token refresh accepted by Google');
      const p = await step(
        'capabilities',
        () => this.call('users.getProfile', GMAIL_UNITS.getProfile, (api) => api.users.getProfile({ userId: 'me' })),
        (p) => `signed in as ${p.emailAddress}; ${p.messagesTotal ?? '?'} messages${what === 'outgoing' ? '; mail is sent with users.messages.send' : ''}`,
      );
      if (p.emailAddress && p.emailAddress.toLowerCase() !== this.o.account.email.toLowerCase()) {
        const err = new MailError('auth.reauthRequired', `the saved Google sign-in belongs to ${p.emailAddress}, not ${this.o.account.email}; sign in to Google again with ${this.o.account.email}`, { retryable: false });
        return { ok: false, server, steps, error: err };
      }
      return { ok: true, server, steps, capabilities: (await this.capabilities()).raw };
    } catch (e) {
      const err = e instanceof MailError ? e : classifyProviderError(e, 'google');
      return { ok: false, server, steps, error: err };
    }
  }

  verifyIncoming(): Promise<VerifyReport> {
    return this.verify('incoming');
  }

  verifyOutgoing(): Promise<VerifyReport> {
    return this.verify('outgoing');
  }

  async close(): Promise<void> {
    this.api = undefined;
  }
}

function empty(): FolderSyncResult {
  return { newMessages: 0, flagChanges: 0, removed: 0, reset: false, complete: true };
}

/**
 * A request that met MailDesk's limits (src/core/limits.ts), which the libraries report in their
 * own words: gaxios aborts a request at its timeout ("The operation was aborted"), node-fetch
 * ends a body over the size limit (a FetchError of type max-size).
 */
function limitHit(e: unknown, l: ConnectionLimits, elapsedMs: number, name: string): MailError | undefined {
  const chain: Array<{ name?: unknown; type?: unknown }> = [];
  for (let x: unknown = e; x && typeof x === 'object' && chain.length < 5; x = (x as { cause?: unknown }).cause) chain.push(x as { name?: unknown; type?: unknown });
  if (chain.some((x) => x.type === 'max-size')) {
    return new MailError('server.protocol', `${name}: Gmail sent a response larger than MailDesk's limit of ${formatBytes(l.httpMaxResponseBytes)}; the request was stopped`, { cause: e });
  }
  // An abort is MailDesk's timeout only once that much time has passed (uploads have a longer one).
  if (chain.some((x) => x.name === 'AbortError') && elapsedMs >= l.httpRequestMs) {
    const limit = elapsedMs >= l.httpUploadMs ? l.httpUploadMs : l.httpRequestMs;
    return new MailError('net.timeout', `${name}: Gmail did not finish its answer within ${formatSeconds(limit)}`, { cause: e });
  }
  return undefined;
}

/** What the core needs to build a Gmail provider for an account. */
export interface GmailProviderDeps {
  settings(): Promise<GoogleOAuthSettings>;
  tokens: TokenStore;
  logger?: Logger;
  /** The stored Gmail threadId for a reply's parent Message-IDs (MailStore.providerThreadOf). */
  threadOf?(messageIds: string[]): string | undefined;
  lockout?: GmailProviderOptions['lockout'];
  options?: Omit<GmailProviderOptions, 'account' | 'settings' | 'tokens' | 'logger' | 'threadOf' | 'lockout'>;
}

export function createGmailProvider(account: AccountConfig, deps: GmailProviderDeps): GmailProvider {
  return new GmailProvider({ account, settings: deps.settings, tokens: deps.tokens, logger: deps.logger, threadOf: deps.threadOf, lockout: deps.lockout, ...deps.options });
}
