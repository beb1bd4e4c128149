/**
 * Outlook / Microsoft 365 through Microsoft Graph (@microsoft/microsoft-graph-client 3).
 *
 * - Every request carries `Prefer: IdType="ImmutableId"`, so a message keeps its id when it
 *   moves and the store (keyed by provider id) never sees it twice.
 * - A folder is filled newest first (`$orderby=receivedDateTime desc`, the `@odata.nextLink`
 *   kept as the backfill cursor), then followed with `messages/delta`; the next/delta link is
 *   saved in the same transaction as the messages it produced, so a crash repeats a page at
 *   worst. `@removed` rows remove the message from the folder; `410` / `syncStateNotFound`
 *   resets the folder and fetches it again.
 * - At most 4 requests in flight per mailbox (Outlook's per-mailbox concurrency limit); the
 *   library's RetryHandler waits out `429`/`503` `Retry-After`, and what is still throttled
 *   after that surfaces as `server.rateLimited` with the wait, never as an auth error.
 *   A POST is never retried by it: sendMail, send and a draft create would run twice (a 504
 *   may come after Outlook accepted the message); such a failure is "may have been sent".
 * - Every request stays under Graph's 4 MB: a message too big for one sendMail goes as a
 *   draft from its MIME without the big attachments, which follow by POST (under 3 MB) or an
 *   upload session (up to 150 MB each), then the draft is sent. Drafts are saved the same way.
 *   Headers and text have no such route: over one request they are refused before any request,
 *   as send.tooLarge naming the limit (checkTextSize).
 */
import * as http from 'node:http';
import * as https from 'node:https';
import { Client, type Context, type Middleware, ResponseType, RetryHandler, RetryHandlerOptions } from '@microsoft/microsoft-graph-client';
import type { INetworkModule } from '@azure/msal-node';
import type { AccountConfig, SecretStore } from '../../config';
import { MailError } from '../../errors';
import { formatBytes, formatSeconds, resolveLimits, type ConnectionLimits } from '../../limits';
import { type Logger, noopLogger } from '../../log';
import { parseMessage } from '../../mime/parse';
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
} from '../provider';
import { StepRunner } from '../verify';
import { mayHaveArrived, maybeSentError, megabytes, tooLargeError } from '../apiSend';
import { classifyGraphError, isSyncStateGone } from './graphErrors';
import { base64Size, fitsOnePost, GRAPH_MAX_ATTACHMENT_BYTES, GRAPH_MAX_MESSAGE_BYTES, GRAPH_MAX_MIME_BASE64, GRAPH_MAX_REQUEST_BYTES, GRAPH_UPLOAD_SESSION_FROM, uploadRanges } from './graphUpload';
import { splitAttachments, type TakenAttachment, unsplittableSize } from './mimeSplit';
import { type MicrosoftOAuthSettings, MsalAuth, requireMicrosoftOAuth } from './msalAuth';

export const GRAPH_BASE_URL = 'https://graph.microsoft.com';
const MAX_CONCURRENT = 4;
const PREFER_IMMUTABLE = 'IdType="ImmutableId"';
const MESSAGE_SELECT = 'id,internetMessageId,conversationId,subject,from,toRecipients,ccRecipients,receivedDateTime,isRead,isDraft,flag,hasAttachments,bodyPreview';

/** Graph's well-known folder names and the roles the UI knows. */
const WELL_KNOWN: Array<[string, FolderRole]> = [
  ['inbox', 'inbox'],
  ['sentitems', 'sent'],
  ['drafts', 'drafts'],
  ['deleteditems', 'trash'],
  ['junkemail', 'junk'],
  ['archive', 'archive'],
];

export interface GraphProviderOptions {
  /** `oauth.microsoft` from the config file or the VS Code settings. */
  oauth: MicrosoftOAuthSettings | undefined;
  secrets: SecretStore;
  logger?: Logger;
  /** Extra trusted CA (tests: the fake server's self-signed certificate). */
  ca?: string | Buffer;
  /** MSAL's HTTP client (tests: one trusting `ca`). */
  msalNetworkClient?: INetworkModule;
  env?: NodeJS.ProcessEnv;
  firstPageSize?: number;
  pageSize?: number;
  /** Retries of a throttled request inside one call (the RetryHandler's maxRetries). */
  maxRetries?: number;
  /** Longest Retry-After waited in-process; longer ones go back to the scheduler. */
  maxInlineRetryAfterSec?: number;
  where?: 'settings' | 'config';
  /** Request deadline and response size (src/core/limits.ts); tests pass small ones. */
  limits?: Partial<ConnectionLimits>;
}

interface GraphRecipient {
  emailAddress?: { name?: string; address?: string };
}

interface GraphMessage {
  id: string;
  internetMessageId?: string;
  conversationId?: string;
  subject?: string | null;
  from?: GraphRecipient | null;
  toRecipients?: GraphRecipient[];
  ccRecipients?: GraphRecipient[];
  receivedDateTime?: string;
  isRead?: boolean;
  isDraft?: boolean;
  flag?: { flagStatus?: string };
  hasAttachments?: boolean;
  bodyPreview?: string;
  '@removed'?: { reason?: string };
}

interface GraphFolder {
  id: string;
  displayName: string;
  parentFolderId?: string;
  childFolderCount?: number;
  totalItemCount?: number;
  unreadItemCount?: number;
}

interface GraphPage<T> {
  value: T[];
  '@odata.nextLink'?: string;
  '@odata.deltaLink'?: string;
}

/** A counting semaphore: at most `n` holders at once, first come first served. */
export class Semaphore {
  private active = 0;
  private readonly waiting: Array<() => void> = [];
  constructor(private readonly n: number) {}
  async acquire(): Promise<() => void> {
    if (this.active >= this.n) await new Promise<void>((r) => this.waiting.push(r));
    else this.active++;
    let done = false;
    return () => {
      if (done) return;
      done = true;
      const next = this.waiting.shift();
      if (next) next();
      else this.active--;
    };
  }
}

/** Sets the bearer token on every request (the token is fetched before the call). */
class BearerMiddleware implements Middleware {
  private next: Middleware | undefined;
  constructor(private readonly token: () => string | undefined) {}
  setNext(m: Middleware): void {
    this.next = m;
  }
  async execute(ctx: Context): Promise<void> {
    const t = this.token();
    const opts = (ctx.options ??= {});
    const h = opts.headers;
    if (t) {
      if (h instanceof Headers) h.set('Authorization', `Bearer ${t}`);
      else opts.headers = { ...((h as Record<string, string>) ?? {}), Authorization: `Bearer ${t}` };
    }
    await this.next!.execute(ctx);
  }
}

/**
 * The last link of the chain: node:http(s) instead of global fetch, so a private CA can be
 * trusted (tests; NODE_EXTRA_CA_CERTS is only read at start) and the socket error's code
 * (ECONNREFUSED, ENOTFOUND...) survives into the message.
 */
export class NodeTransport implements Middleware {
  private readonly limits: ConnectionLimits;
  constructor(
    private readonly ca: string | Buffer | undefined,
    private readonly timeoutMs = 60_000,
    limits?: Partial<ConnectionLimits>,
  ) {
    this.limits = resolveLimits(limits);
  }
  async execute(ctx: Context): Promise<void> {
    const url = typeof ctx.request === 'string' ? ctx.request : (ctx.request as Request).url;
    const o = ctx.options ?? {};
    const headers: Record<string, string> = {};
    const h = o.headers as unknown;
    if (h instanceof Headers) h.forEach((v, k) => (headers[k] = v));
    else if (Array.isArray(h)) for (const [k, v] of h as Array<[string, string]>) headers[k] = v;
    else if (h && typeof h === 'object') Object.assign(headers, h as Record<string, string>);
    let body: Buffer | undefined;
    const b = o.body as unknown;
    if (typeof b === 'string') body = Buffer.from(b, 'utf8');
    else if (b instanceof ArrayBuffer) body = Buffer.from(b);
    else if (Buffer.isBuffer(b)) body = b;
    else if (b instanceof Uint8Array) body = Buffer.from(b);
    if (body) headers['Content-Length'] = String(body.length);
    const lib = url.startsWith('https:') ? https : http;
    ctx.response = await new Promise<Response>((resolve, reject) => {
      // A whole request has a deadline and a response a size limit (src/core/limits.ts), not only
      // the socket's inactivity timeout: a server trickling bytes or sending without end is cut off.
      const { httpRequestMs, httpMaxResponseBytes } = this.limits;
      const deadline = setTimeout(() => req.destroy(Object.assign(new Error(`ETIMEDOUT: ${new URL(url).host} did not finish its answer within ${formatSeconds(httpRequestMs)}`), { code: 'ETIMEDOUT' })), httpRequestMs);
      const req = lib.request(url, { method: o.method ?? 'GET', headers, ca: this.ca, timeout: this.timeoutMs }, (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > httpMaxResponseBytes) req.destroy(new MailError('server.protocol', `${new URL(url).host} sent a response larger than ${formatBytes(httpMaxResponseBytes)}`));
          else chunks.push(c);
        });
        res.on('close', () => clearTimeout(deadline));
        res.on('error', reject);
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          const rh: Array<[string, string]> = [];
          for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) rh.push([k, Array.isArray(v) ? v.join(', ') : v]);
          const noBody = status === 204 || status === 205 || status === 304;
          resolve(new Response(noBody ? null : Buffer.concat(chunks), { status, headers: rh }));
        });
      });
      req.on('timeout', () => req.destroy(Object.assign(new Error(`ETIMEDOUT: no answer from ${new URL(url).host} in ${this.timeoutMs} ms`), { code: 'ETIMEDOUT' })));
      req.on('error', (e: NodeJS.ErrnoException) => {
        clearTimeout(deadline);
        reject(e instanceof MailError ? e : Object.assign(new Error(`${e.code ?? 'network error'}: ${e.message}`), { code: e.code }));
      });
      if (body) req.write(body);
      req.end();
    });
  }
}

function address(r: GraphRecipient | null | undefined): { name?: string; address?: string } | undefined {
  if (!r?.emailAddress) return undefined;
  return { name: r.emailAddress.name || undefined, address: r.emailAddress.address || undefined };
}

function toIncoming(m: GraphMessage): IncomingMessage {
  const flags: string[] = [];
  if (m.isRead) flags.push('\\Seen');
  if (m.flag?.flagStatus === 'flagged') flags.push('\\Flagged');
  if (m.isDraft) flags.push('\\Draft');
  const mid = m.internetMessageId?.trim();
  return {
    providerId: m.id,
    messageId: mid ? (mid.startsWith('<') ? mid : `<${mid}>`) : undefined,
    threadKey: m.conversationId ? providerThreadKey('graph', m.conversationId) : undefined,
    subject: m.subject ?? '',
    from: address(m.from),
    to: (m.toRecipients ?? []).map(address).filter((a): a is NonNullable<typeof a> => !!a),
    cc: (m.ccRecipients ?? []).map(address).filter((a): a is NonNullable<typeof a> => !!a),
    date: m.receivedDateTime ? Date.parse(m.receivedDateTime) : undefined,
    flags,
    hasAttachments: m.hasAttachments ?? false,
    snippet: m.bodyPreview?.slice(0, 200),
  };
}

/**
 * Drafts change on the server in two ways the store cannot see by itself:
 * - edited in place (a PATCH from here or from Outlook) they keep their id, but the store
 *   only refreshes flags for a known id: a draft whose subject or preview changed, or whose
 *   Drafts entry a newer local save replaced, is dropped so the upsert stores it afresh;
 * - replaced by a new message (a save with attachments) the new id arrives with the same
 *   Message-ID as the old row, which would otherwise be taken over instead of the local
 *   entry: the old rows go, the new one takes over the local entry.
 * Either way Drafts shows one current entry, never two.
 */
function dropStaleDrafts(store: MailStore, accountId: string, folderId: number, msgs: IncomingMessage[]): void {
  const stale: string[] = [];
  const superseded: string[] = [];
  for (const m of msgs) {
    if (!m.flags?.includes('\\Draft')) continue;
    const row = store.messages.remoteInFolder(accountId, folderId, m.providerId);
    if (!row) {
      if (!m.messageId) continue;
      superseded.push(...store.messages.otherRemoteCopies(accountId, folderId, m.messageId, m.providerId));
      continue;
    }
    let snippet: string | undefined;
    try {
      snippet = (JSON.parse(row.data ?? '{}') as { snippet?: string }).snippet;
    } catch {
      snippet = undefined;
    }
    if (!row.live || row.subject !== (m.subject ?? '') || (snippet ?? '') !== (m.snippet ?? '')) stale.push(m.providerId);
  }
  if (stale.length) store.removeByProviderId(accountId, stale);
  if (superseded.length) store.removeMembershipsByProviderId(folderId, superseded);
}

/**
 * The JSON PATCH that makes a Graph draft match a MIME message (subject, body,
 * recipients), or undefined when it has attachments, which a PATCH cannot carry.
 */
async function draftPatch(raw: Buffer): Promise<Record<string, unknown> | undefined> {
  const p = await parseMessage(raw);
  if (p.attachments.length) return undefined;
  const rcpt = (list: Array<{ name?: string; address: string }>) => list.map((a) => ({ emailAddress: { name: a.name || undefined, address: a.address } }));
  const html = p.htmlParts.length === 1 ? p.htmlParts[0] : undefined;
  return {
    subject: p.subject,
    body: html !== undefined ? { contentType: 'html', content: html } : { contentType: 'text', content: p.text ?? '' },
    toRecipients: rcpt(p.to),
    ccRecipients: rcpt(p.cc),
    bccRecipients: rcpt(p.bcc),
  };
}

/** Addresses named in the To/Cc headers of a raw message (to find the Bcc recipients). */
function headerAddresses(raw: Buffer): Set<string> {
  const head = raw.toString('utf8').split(/\r?\n\r?\n/, 1)[0].replace(/\r?\n[ \t]+/g, ' ');
  const out = new Set<string>();
  for (const line of head.split(/\r?\n/)) {
    const m = /^(to|cc):(.*)$/i.exec(line);
    if (!m) continue;
    for (const a of m[2].match(/[^\s<>,;"]+@[^\s<>,;"]+/g) ?? []) out.add(a.toLowerCase());
  }
  return out;
}

/**
 * A message's headers and text go to Graph in one request whatever route it takes (sendMail,
 * a draft create, a draft PATCH): at most 4 MB, so about 3 MB of MIME once base64-encoded
 * (https://learn.microsoft.com/en-us/graph/outlook-large-attachments: only file attachments
 * have a route for more, the upload session). Over that, refused here before any request; and so
 * is a message over the largest Exchange Online takes at all (150 MB).
 */
function checkTextSize(raw: Buffer, what: string): void {
  if (raw.length > GRAPH_MAX_MESSAGE_BYTES) throw tooLargeError('Outlook (Exchange Online)', raw.length, GRAPH_MAX_MESSAGE_BYTES, what);
  const text = unsplittableSize(raw);
  if (base64Size(text) <= GRAPH_MAX_MIME_BASE64) return;
  throw new MailError(
    'send.tooLarge',
    `Outlook (Microsoft Graph) takes the text and headers of ${what} in one request of at most ${megabytes(GRAPH_MAX_REQUEST_BYTES)}, which holds at most ${megabytes(Math.floor((GRAPH_MAX_MIME_BASE64 * 3) / 4))} of message; the text of this one is ${megabytes(text)}. Shorten the text or send the long part as an attachment (attachments go separately, up to ${megabytes(GRAPH_MAX_ATTACHMENT_BYTES)} each)`,
    { retryable: false },
  );
}

export class GraphProvider implements MailProvider {
  readonly kind = 'outlook' as const;
  readonly accountId: string;
  /** Read by the scheduler to bound jobs per account. */
  readonly maxConnections = MAX_CONCURRENT;
  readonly auth: MsalAuth;
  private readonly sem = new Semaphore(MAX_CONCURRENT);
  private readonly logger: Logger;
  private client: Client | undefined;
  private accessToken: string | undefined;
  private folderIds = new Map<string, string>();
  private wellKnown: Map<string, FolderRole> | undefined;

  constructor(
    private readonly account: AccountConfig,
    private readonly o: GraphProviderOptions,
  ) {
    this.accountId = account.id;
    this.logger = o.logger ?? noopLogger;
    const env = o.env ?? process.env;
    this.auth = new MsalAuth({
      accountId: account.id,
      settings: o.oauth,
      secrets: o.secrets,
      loginHint: account.email,
      seedCache: account.tokenCacheEnv ? () => env[account.tokenCacheEnv!] || undefined : undefined,
      networkClient: o.msalNetworkClient,
      logger: this.logger,
      where: o.where,
    });
  }

  private graph(): Client {
    if (this.client) return this.client;
    const base = (this.o.oauth?.graphBaseUrl?.trim() || GRAPH_BASE_URL).replace(/\/+$/, '').replace(/\/v1\.0$/, '');
    const retry = new RetryHandler(
      new RetryHandlerOptions(3, this.o.maxRetries ?? 3, (_delay, _attempt, _req, opts, res) => {
        // Never a POST again (sendMail, send, draft create, attachments): the first may have
        // been carried out before the 429/503/504 came back, and a repeat would deliver twice.
        if ((opts?.method ?? 'GET').toUpperCase() === 'POST') return false;
        // A long Retry-After goes back to the scheduler instead of holding a request slot.
        const ra = Number((res as Response).headers.get('retry-after') ?? 0);
        return !(ra > (this.o.maxInlineRetryAfterSec ?? 60));
      }),
    );
    this.client = Client.initWithMiddleware({
      baseUrl: base,
      defaultVersion: 'v1.0',
      customHosts: new Set([new URL(base).hostname]),
      middleware: [new BearerMiddleware(() => this.accessToken), retry, new NodeTransport(this.o.ca, undefined, this.o.limits)],
    });
    return this.client;
  }

  /**
   * One Graph call: a slot of the per-mailbox semaphore, a fresh token (refreshed by
   * MSAL when due, once at a time), and one retry with a forced refresh after a 401.
   */
  private async call<T>(what: string, fn: (c: Client) => Promise<T>): Promise<T> {
    const release = await this.sem.acquire();
    try {
      for (let attempt = 0; ; attempt++) {
        this.accessToken = await this.auth.token(attempt > 0);
        try {
          return await fn(this.graph());
        } catch (e) {
          if (attempt === 0 && (e as { statusCode?: number }).statusCode === 401) continue;
          throw classifyGraphError(e, what);
        }
      }
    } finally {
      release();
    }
  }

  private get<T>(what: string, url: string, extraPrefer?: string): Promise<T> {
    return this.call(what, (c) =>
      c
        .api(url)
        .header('Prefer', extraPrefer ? `${PREFER_IMMUTABLE}, ${extraPrefer}` : PREFER_IMMUTABLE)
        .get() as Promise<T>,
    );
  }

  async capabilities(): Promise<ProviderCapabilities> {
    return { push: false, labels: false, savesSentCopy: 'yes', maxConnections: MAX_CONCURRENT, raw: ['graph', 'messages/delta', 'ImmutableId', 'sendMail'] };
  }

  // ---- folders ----------------------------------------------------------------

  private async wellKnownRoles(): Promise<Map<string, FolderRole>> {
    if (this.wellKnown) return this.wellKnown;
    const roles = new Map<string, FolderRole>();
    await Promise.all(
      WELL_KNOWN.map(async ([name, role]) => {
        try {
          const f = await this.get<{ id: string }>(`well-known folder ${name}`, `/me/mailFolders/${name}?$select=id`);
          roles.set(f.id, role);
        } catch (e) {
          // A mailbox without an Archive folder answers 404; that is no error.
          if ((e as MailError).code !== 'folder.notFound') throw e;
        }
      }),
    );
    this.wellKnown = roles;
    return roles;
  }

  private async pages<T>(what: string, first: string): Promise<T[]> {
    const out: T[] = [];
    let url: string | undefined = first;
    while (url) {
      const page: GraphPage<T> = await this.get<GraphPage<T>>(what, url);
      out.push(...page.value);
      url = page['@odata.nextLink'];
    }
    return out;
  }

  async listFolders(): Promise<RemoteFolder[]> {
    const roles = await this.wellKnownRoles();
    const select = '$select=id,displayName,parentFolderId,childFolderCount,totalItemCount,unreadItemCount&$top=100';
    const out: RemoteFolder[] = [];
    const ids = new Map<string, string>();
    const walk = async (folders: GraphFolder[], prefix: string, depth: number): Promise<void> => {
      for (const f of folders) {
        const path = prefix ? `${prefix}/${f.displayName}` : f.displayName;
        ids.set(path, f.id);
        out.push({ path, name: f.displayName, delimiter: '/', role: roles.get(f.id) ?? null, specialUse: null, total: f.totalItemCount, unread: f.unreadItemCount });
        if ((f.childFolderCount ?? 0) > 0 && depth < 20) {
          const kids = await this.pages<GraphFolder>(`child folders of ${path}`, `/me/mailFolders/${encodeURIComponent(f.id)}/childFolders?${select}`);
          await walk(kids, path, depth + 1);
        }
      }
    };
    await walk(await this.pages<GraphFolder>('folder list', `/me/mailFolders?${select}`), '', 0);
    this.folderIds = ids;
    return out;
  }

  private async folderId(path: string): Promise<string> {
    let id = this.folderIds.get(path);
    if (!id) {
      await this.listFolders();
      id = this.folderIds.get(path);
    }
    if (!id) throw new MailError('folder.notFound', `the folder "${path}" no longer exists in the Outlook mailbox`);
    return id;
  }

  // ---- sync --------------------------------------------------------------------

  async syncFolder(mode: SyncMode, ctx: SyncContext): Promise<FolderSyncResult> {
    const id = await this.folderId(ctx.folder.path);
    if (mode === 'backfill') return this.backfillStep(id, ctx);
    try {
      return await this.syncStep(id, ctx);
    } catch (e) {
      if (!isSyncStateGone(e) && (e as MailError).code !== 'folder.reset') throw e;
      this.logger.log('warn', `delta state of ${ctx.folder.path} expired (410); the folder is fetched again from scratch`, { account: this.accountId });
      ctx.store.resetFolder(ctx.folder.id);
      const r = await this.syncStep(id, ctx);
      return { ...r, reset: true };
    }
  }

  private messagesUrl(folderId: string, top: number): string {
    return `/me/mailFolders/${encodeURIComponent(folderId)}/messages?$orderby=receivedDateTime desc&$top=${top}&$select=${MESSAGE_SELECT}`;
  }

  /** First page newest first (once), then the delta round up to a fresh deltaLink. */
  private async syncStep(folderId: string, ctx: SyncContext): Promise<FolderSyncResult> {
    const { store, folder } = ctx;
    const result: FolderSyncResult = { newMessages: 0, flagChanges: 0, removed: 0, reset: false, complete: false };
    let state = store.getSyncState(folder.id);
    if (!state.fillDone) {
      ctx.progress({ fetched: 0, phase: 'newest messages' });
      const page = await this.get<GraphPage<GraphMessage>>(`newest messages of ${folder.path}`, this.messagesUrl(folderId, this.o.firstPageSize ?? 50));
      const next = page['@odata.nextLink'] ?? null;
      store.tx(() => {
        const c = store.upsertMessages(folder.id, page.value.map(toIncoming));
        result.newMessages += c.inserted;
        store.saveSyncState(folder.id, { fillDone: true, backfillCursor: next, backfillDone: !next, lastSyncAt: Date.now() });
      });
      ctx.progress({ fetched: page.value.length, phase: 'newest messages' });
      state = store.getSyncState(folder.id);
    }
    let url: string | undefined = state.cursor ?? `/me/mailFolders/${encodeURIComponent(folderId)}/messages/delta?$select=${MESSAGE_SELECT}`;
    let fetched = 0;
    while (url) {
      if (ctx.signal?.aborted) break;
      const page: GraphPage<GraphMessage> = await this.get<GraphPage<GraphMessage>>(`changes in ${folder.path}`, url, `odata.maxpagesize=${this.o.pageSize ?? 100}`);
      const removed = page.value.filter((m) => m['@removed']).map((m) => m.id);
      const changed = page.value.filter((m) => !m['@removed']).map(toIncoming);
      const next = page['@odata.nextLink'];
      const delta = page['@odata.deltaLink'];
      store.tx(() => {
        if (changed.length) {
          dropStaleDrafts(store, this.accountId, folder.id, changed);
          const c = store.upsertMessages(folder.id, changed);
          result.newMessages += c.inserted;
          result.flagChanges += c.updated;
        }
        if (removed.length) result.removed += store.removeMembershipsByProviderId(folder.id, removed);
        // Saved with the messages: a crash after this commit never re-applies or skips a page.
        store.saveSyncState(folder.id, { cursor: next ?? delta ?? null, lastSyncAt: Date.now() });
      });
      fetched += page.value.length;
      ctx.progress({ fetched, phase: 'changes' });
      url = next;
    }
    const s = store.getSyncState(folder.id);
    result.complete = s.backfillDone;
    return result;
  }

  /** One older page, from the saved nextLink of the newest-first listing. */
  private async backfillStep(folderId: string, ctx: SyncContext): Promise<FolderSyncResult> {
    const { store, folder } = ctx;
    const result: FolderSyncResult = { newMessages: 0, flagChanges: 0, removed: 0, reset: false, complete: false };
    let state = store.getSyncState(folder.id);
    if (!state.fillDone) {
      // The first page is the sync job's; do it here too so a backfill-first run is not idle.
      const r = await this.syncStep(folderId, ctx);
      result.newMessages += r.newMessages;
      state = store.getSyncState(folder.id);
    }
    if (state.backfillDone || !state.backfillCursor) {
      if (!state.backfillDone) store.saveSyncState(folder.id, { backfillDone: true });
      return { ...result, complete: true };
    }
    ctx.progress({ fetched: 0, phase: 'older messages' });
    let page: GraphPage<GraphMessage>;
    try {
      page = await this.get<GraphPage<GraphMessage>>(`older messages of ${folder.path}`, state.backfillCursor);
    } catch (e) {
      // An expired skip token: start the listing again; upserts make the repeat harmless.
      if ((e as MailError).code !== 'server.protocol' && (e as MailError).code !== 'folder.reset') throw e;
      store.saveSyncState(folder.id, { backfillCursor: this.messagesUrl(folderId, this.o.pageSize ?? 100) });
      return result;
    }
    const next = page['@odata.nextLink'] ?? null;
    store.tx(() => {
      const c = store.upsertMessages(folder.id, page.value.map(toIncoming));
      result.newMessages += c.inserted;
      store.saveSyncState(folder.id, { backfillCursor: next, backfillDone: !next });
    });
    ctx.progress({ fetched: page.value.length, phase: 'older messages' });
    return { ...result, complete: !next };
  }

  // ---- messages ----------------------------------------------------------------

  async fetchRaw(_folderPath: string, ref: MessageRef): Promise<Buffer> {
    if (!ref.providerId) throw new MailError('folder.notFound', 'this message has no Outlook id yet; sync the folder first');
    const ab = await this.call('message source', (c) =>
      c
        .api(`/me/messages/${encodeURIComponent(ref.providerId!)}/$value`)
        .header('Prefer', PREFER_IMMUTABLE)
        .responseType(ResponseType.ARRAYBUFFER)
        .get() as Promise<ArrayBuffer>,
    );
    return Buffer.from(ab);
  }

  /** Bodies for the offline fill: concurrent /$value requests, at most 4 in flight (the semaphore of call()). */
  async fetchBodies(_folder: FolderRow, refs: BodyRef[], onBody: (ref: BodyRef, raw: Buffer) => void): Promise<void> {
    // call() lets 4 run at once and queues the rest in order.
    const results = await Promise.allSettled(refs.map(async (ref) => onBody(ref, await this.fetchRaw('', ref))));
    // Deleted since the last sync: skipped, as an IMAP FETCH skips an expunged UID.
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected' && (r.reason as MailError)?.code !== 'folder.notFound');
    if (failed) throw failed.reason;
  }

  async applyTask(task: RemoteTask): Promise<void> {
    const id = task.providerId;
    if (!id) throw new MailError('folder.notFound', `the message has no Outlook id; the ${task.kind} waits for the next sync`);
    const url = `/me/messages/${encodeURIComponent(id)}`;
    if (task.kind === 'flags') {
      const patch: Record<string, unknown> = {};
      const has = (list: string[], f: string) => list.some((x) => x.toLowerCase() === f);
      if (has(task.add, '\\seen')) patch.isRead = true;
      if (has(task.remove, '\\seen')) patch.isRead = false;
      if (has(task.add, '\\flagged')) patch.flag = { flagStatus: 'flagged' };
      if (has(task.remove, '\\flagged')) patch.flag = { flagStatus: 'notFlagged' };
      if (!Object.keys(patch).length) return;
      await this.call('flag change', (c) => c.api(url).header('Prefer', PREFER_IMMUTABLE).patch(patch) as Promise<unknown>);
      return;
    }
    if (task.kind === 'move') {
      const dest = await this.folderId(task.toPath);
      await this.call('move', (c) => c.api(`${url}/move`).header('Prefer', PREFER_IMMUTABLE).post({ destinationId: dest }) as Promise<unknown>);
      return;
    }
    // delete: to Deleted Items when asked, else a permanent DELETE (already in Deleted Items).
    if (task.trashPath && task.trashPath !== task.folderPath) {
      const dest = await this.folderId(task.trashPath);
      await this.call('delete', (c) => c.api(`${url}/move`).header('Prefer', PREFER_IMMUTABLE).post({ destinationId: dest }) as Promise<unknown>);
      return;
    }
    try {
      await this.call('delete', (c) => c.api(url).header('Prefer', PREFER_IMMUTABLE).delete() as Promise<unknown>);
    } catch (e) {
      if ((e as MailError).code !== 'folder.notFound') throw e; // already gone: the goal is reached
    }
  }

  /**
   * A send failure as the sender must read it: refused, too large, or may have been sent.
   * `beforeSend`: the step that failed (the helper draft, its attachments) sends nothing.
   */
  private sendFailure(e: unknown, beforeSend = false): never {
    const err = e as MailError;
    if (err instanceof MailError && err.code === 'send.tooLarge') throw err;
    const said = `${err.providerMessage ?? ''} ${err.message}`;
    if (/HTTP 413|ErrorMessageSizeExceeded|RequestEntityTooLarge|MessageSizeExceeded/i.test(said)) {
      throw new MailError('send.tooLarge', `Outlook refused the message as too large: ${err.providerMessage ?? err.message}`, { cause: e, providerMessage: err.providerMessage, retryable: false });
    }
    if (err.code === 'server.protocol' || err.code === 'folder.notFound') {
      throw new MailError('send.rejected', `Outlook refused the message: ${err.providerMessage ?? err.message}`, { cause: e, providerMessage: err.providerMessage });
    }
    // No answer after the whole request went out (a timeout, a dropped connection, a 5xx such
    // as a 504 after Outlook accepted it): it may have been sent. Never retried by itself.
    if (err instanceof MailError && mayHaveArrived(err)) {
      if (!beforeSend) throw maybeSentError('Outlook', err);
      throw new MailError('send.tempFailure', `Outlook failed while the message was being prepared, before it was sent (${err.message}); send it again`, { cause: e, providerMessage: err.providerMessage, retryable: false });
    }
    throw e;
  }

  /**
   * `sendMail` with the MIME message (base64, text/plain), so our Message-ID, headers and
   * attachments go out unchanged. Outlook saves the copy in Sent Items itself; the local
   * Sent entry is adopted by that copy (same internetMessageId) on the next delta. A message
   * too big for one 4 MB request becomes a draft with its attachments uploaded, then is sent.
   */
  async sendMessage(raw: Buffer, envelope: SendEnvelope): Promise<SendReceipt> {
    // The caller strips Bcc from the headers; Graph takes recipients from the MIME headers,
    // so Bcc recipients (envelope only) are put back in a Bcc header Graph does not transmit.
    if (raw.length > GRAPH_MAX_MESSAGE_BYTES) throw tooLargeError('Outlook (Exchange Online)', raw.length, GRAPH_MAX_MESSAGE_BYTES, 'a message to send');
    const named = headerAddresses(raw);
    const bcc = envelope.to.filter((a) => !named.has(a.toLowerCase()));
    const mime = bcc.length ? Buffer.concat([Buffer.from(`Bcc: ${bcc.join(', ')}\r\n`), raw]) : raw;
    checkTextSize(mime, 'a message to send');
    if (base64Size(mime.length) > GRAPH_MAX_MIME_BASE64) {
      let id: string;
      try {
        id = await this.createDraft(mime, 'a message to send');
      } catch (e) {
        this.sendFailure(e, true);
      }
      try {
        await this.call('send', (c) => c.api(`/me/messages/${encodeURIComponent(id)}/send`).header('Prefer', PREFER_IMMUTABLE).post(null) as Promise<unknown>);
      } catch (e) {
        const err = e as MailError;
        // Refused before sending: the helper draft goes (the sender keeps its own in Drafts).
        if (!mayHaveArrived(err)) await this.deleteMessageId(id).catch(() => undefined);
        this.sendFailure(e);
      }
      return { accepted: envelope.to, rejected: [], response: '202 Accepted (Microsoft Graph message send, attachments uploaded)' };
    }
    try {
      await this.call('sendMail', (c) =>
        c.api('/me/sendMail').header('Prefer', PREFER_IMMUTABLE).header('Content-Type', 'text/plain').post(mime.toString('base64')) as Promise<unknown>,
      );
    } catch (e) {
      this.sendFailure(e);
    }
    return { accepted: envelope.to, rejected: [], response: '202 Accepted (Microsoft Graph sendMail)' };
  }

  /** One file attachment onto a draft: a JSON POST when it fits one request, else an upload session. */
  private async attach(messageId: string, a: TakenAttachment): Promise<void> {
    const base = `/me/messages/${encodeURIComponent(messageId)}/attachments`;
    if (fitsOnePost(a.content.length)) {
      await this.call('attachment', (c) =>
        c.api(base).header('Prefer', PREFER_IMMUTABLE).post({
          '@odata.type': '#microsoft.graph.fileAttachment',
          name: a.name,
          contentType: a.contentType,
          contentBytes: a.content.toString('base64'),
          isInline: a.isInline,
          contentId: a.contentId,
        }) as Promise<unknown>,
      );
      return;
    }
    const session = await this.call('attachment upload session', (c) =>
      c.api(`${base}/createUploadSession`).header('Prefer', PREFER_IMMUTABLE).post({
        AttachmentItem: { attachmentType: 'file', name: a.name, size: a.content.length, contentType: a.contentType, isInline: a.isInline, contentId: a.contentId },
      }) as Promise<{ uploadUrl?: string }>,
    );
    if (!session?.uploadUrl) throw new MailError('server.protocol', 'Outlook answered createUploadSession without an uploadUrl');
    await uploadRanges(session.uploadUrl, a.content, { ca: this.o.ca, what: `uploading ${a.name}` });
  }

  // ---- drafts ------------------------------------------------------------------

  /** Ids of the messages in Drafts with this Message-ID (a save whose answer was lost leaves one). */
  private async findDrafts(messageId: string): Promise<string[]> {
    const mid = messageId.startsWith('<') ? messageId : `<${messageId}>`;
    const filter = encodeURIComponent(`internetMessageId eq '${mid.replace(/'/g, "''")}'`);
    const page = await this.get<GraphPage<{ id: string }>>('find draft', `/me/mailFolders/drafts/messages?$filter=${filter}&$select=id&$top=50`);
    return page.value.map((m) => m.id);
  }

  /** The draft's state on the server, or undefined when it is gone. */
  private async draftState(id: string): Promise<{ isDraft?: boolean; hasAttachments?: boolean } | undefined> {
    try {
      return await this.get<{ isDraft?: boolean; hasAttachments?: boolean }>('draft', `/me/messages/${encodeURIComponent(id)}?$select=id,isDraft,hasAttachments`);
    } catch (e) {
      if ((e as MailError).code === 'folder.notFound') return undefined;
      throw e;
    }
  }

  private async deleteMessageId(id: string): Promise<boolean> {
    try {
      await this.call('delete draft', (c) => c.api(`/me/messages/${encodeURIComponent(id)}`).header('Prefer', PREFER_IMMUTABLE).delete() as Promise<unknown>);
      return true;
    } catch (e) {
      if ((e as MailError).code === 'folder.notFound') return false; // already gone: the goal is reached
      throw e;
    }
  }

  /**
   * POST /me/messages with the MIME message (base64, text/plain): Outlook files it in Drafts.
   * Over one 4 MB request, the big attachments are taken out of the MIME and added after,
   * each by POST or upload session; a failure on the way removes the half-made draft.
   */
  private async createDraft(raw: Buffer, what = 'a draft'): Promise<string> {
    let mime = raw;
    let later: TakenAttachment[] = [];
    if (base64Size(raw.length) > GRAPH_MAX_MIME_BASE64) {
      checkTextSize(raw, what);
      const split = splitAttachments(raw, GRAPH_MAX_MIME_BASE64, GRAPH_UPLOAD_SESSION_FROM);
      if (!split) throw tooLargeError('Outlook (Microsoft Graph)', raw.length, Math.floor((GRAPH_MAX_MIME_BASE64 * 3) / 4), `${what} without separate attachments`);
      const big = split.attachments.find((a) => a.content.length > GRAPH_MAX_ATTACHMENT_BYTES);
      if (big) throw tooLargeError('Outlook (Microsoft Graph)', big.content.length, GRAPH_MAX_ATTACHMENT_BYTES, `attachments (${big.name})`);
      mime = split.rest;
      later = split.attachments;
    }
    const m = await this.call('save draft', (c) =>
      c.api('/me/messages').header('Prefer', PREFER_IMMUTABLE).header('Content-Type', 'text/plain').post(mime.toString('base64')) as Promise<GraphMessage>,
    );
    if (!m?.id) throw new MailError('server.protocol', 'Outlook answered the draft save without a message id');
    try {
      for (const a of later) await this.attach(m.id, a);
    } catch (e) {
      await this.deleteMessageId(m.id).catch(() => undefined);
      throw e;
    }
    return m.id;
  }

  /**
   * The first save creates the draft from the MIME message; later saves PATCH that same
   * message (subject, body, recipients), so Outlook shows one draft that changes and
   * keeps its id. Graph cannot PATCH attachments, so a draft with attachments (now or
   * before) is replaced by a new MIME draft and the old one deleted: still one draft.
   */
  async saveDraftRemote(raw: Buffer, opts: { messageId: string; previousRef?: string }): Promise<{ ref: string }> {
    checkTextSize(raw, 'a draft');
    const found = opts.previousRef ? [opts.previousRef] : await this.findDrafts(opts.messageId);
    const [target, ...extra] = found;
    let ref: string | undefined;
    if (target) {
      const cur = await this.draftState(target);
      if (cur?.isDraft) {
        const patch = await draftPatch(raw);
        // JSON escaping can make the PATCH bigger than the MIME: then the MIME create, which fits.
        if (patch && !cur.hasAttachments && Buffer.byteLength(JSON.stringify(patch)) <= GRAPH_MAX_REQUEST_BYTES) {
          await this.call('save draft', (c) => c.api(`/me/messages/${encodeURIComponent(target)}`).header('Prefer', PREFER_IMMUTABLE).patch(patch) as Promise<unknown>);
          ref = target;
        } else {
          ref = await this.createDraft(raw);
          await this.deleteMessageId(target);
        }
      }
    }
    ref ??= await this.createDraft(raw);
    for (const id of extra) await this.deleteMessageId(id);
    return { ref };
  }

  /** Deletes the draft (`ref`) and any other message in Drafts with this Message-ID. */
  async deleteDraftRemote(opts: { messageId: string; ref?: string }): Promise<number> {
    const ids = new Set<string>();
    if (opts.ref && (await this.draftState(opts.ref))?.isDraft) ids.add(opts.ref);
    for (const id of await this.findDrafts(opts.messageId)) ids.add(id);
    let n = 0;
    for (const id of ids) if (await this.deleteMessageId(id)) n++;
    return n;
  }

  // ---- verify ------------------------------------------------------------------

  async verifyIncoming(): Promise<VerifyReport> {
    const r = new StepRunner();
    const base = this.o.oauth?.graphBaseUrl || GRAPH_BASE_URL;
    await r.step(
      'config',
      async () => {
        const c = requireMicrosoftOAuth(this.o.oauth, this.o.where);
        return { value: c, detail: `client ${c.clientId}, authority ${c.authority}` };
      },
      'Microsoft OAuth',
    );
    await r.step(
      'login',
      async () => {
        await this.auth.token();
        return { value: true, detail: `access token for ${this.account.email} acquired (MSAL)` };
      },
      'Microsoft sign-in',
    );
    await r.step(
      'capabilities',
      async () => {
        const me = await this.get<{ mail?: string; userPrincipalName?: string; displayName?: string }>('/me', '/me?$select=mail,userPrincipalName,displayName');
        return { value: me, detail: `Graph /me: ${me.mail ?? me.userPrincipalName ?? '?'}` };
      },
      'Microsoft Graph',
    );
    await r.step(
      'folders',
      async () => {
        const f = await this.listFolders();
        return { value: f, detail: `${f.length} folders (${f.filter((x) => x.role).map((x) => `${x.role}=${x.path}`).join(', ')})` };
      },
      'Microsoft Graph',
    );
    return r.report(base, ['graph', 'messages/delta', 'ImmutableId']);
  }

  async verifyOutgoing(): Promise<VerifyReport> {
    const r = new StepRunner();
    await r.step(
      'config',
      async () => {
        const c = requireMicrosoftOAuth(this.o.oauth, this.o.where);
        return { value: c, detail: `sending through Microsoft Graph sendMail (client ${c.clientId})` };
      },
      'Microsoft OAuth',
    );
    await r.step(
      'login',
      async () => {
        await this.auth.token();
        const me = await this.get<{ mail?: string; userPrincipalName?: string }>('/me', '/me?$select=mail,userPrincipalName');
        return { value: true, detail: `signed in as ${me.mail ?? me.userPrincipalName}; Outlook keeps the Sent Items copy` };
      },
      'Microsoft sign-in',
    );
    return r.report(this.o.oauth?.graphBaseUrl || GRAPH_BASE_URL);
  }

  async close(): Promise<void> {
    this.client = undefined;
  }
}
