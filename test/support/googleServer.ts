/**
 * A local Google: the OAuth 2.0 authorization and token endpoints (authorization code
 * with PKCE S256, refresh, invalid_grant, access_denied) and the Gmail API calls
 * MailDesk makes (labels.list, messages.list/get/modify/trash/untrash/delete/send,
 * drafts.create/update/list/get/delete/send, history.list with 404 for a too-old startHistoryId, users.getProfile), following
 * Google's documented wire format: paths, query parameters, JSON shapes, status codes
 * and Retry-After. In-process, on 127.0.0.1 and a free port; `close()` stops it.
 *
 * Where the documentation sets a limit or a rule, the server keeps it (each cited below):
 * the size of a request on the plain URI and of an upload, the upload URI with
 * uploadType=media / multipart, threadId on send and drafts, label views without Spam and
 * Trash, refresh tokens of a "Testing" app that expire after 7 days, and the 429 lockout
 * whose end is only in the message text.
 */
import { createHash, randomBytes } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeMessage {
  id: string;
  threadId: string;
  labelIds: Set<string>;
  raw: Buffer;
  internalDate: number;
  historyId: number;
}

interface HistoryRecord {
  id: number;
  messagesAdded?: Array<{ message: object }>;
  messagesDeleted?: Array<{ message: object }>;
  labelsAdded?: Array<{ message: object; labelIds: string[] }>;
  labelsRemoved?: Array<{ message: object; labelIds: string[] }>;
}

export interface GoogleServerOptions {
  clientId?: string;
  clientSecret?: string;
  email?: string;
  /** Seconds an access token lives (default 3600). */
  accessTokenTtl?: number;
  /** Issue a new refresh token on every refresh (rotation). */
  rotateRefreshTokens?: boolean;
  /**
   * The OAuth consent screen's publishing status. "testing" (with External users): refresh
   * tokens expire 7 days after they were issued
   * (https://developers.google.com/identity/protocols/oauth2#expiration).
   */
  publishingStatus?: 'testing' | 'production';
}

/** Refresh tokens of an app in "Testing" status live 7 days (see publishingStatus). */
export const TESTING_REFRESH_TOKEN_MS = 7 * 24 * 3600 * 1000;
/**
 * A request on the plain (metadata) URI carrying a whole message in `raw` is refused with
 * 413 above this size; large messages go through the /upload URI
 * (https://developers.google.com/workspace/gmail/api/guides/uploads: simple transfers are
 * "for example, 5 MB or less").
 */
export const PLAIN_BODY_LIMIT = 5 * 1024 * 1024;
/** messages.send / drafts.create / drafts.update upload: "Maximum file size: 35MB" (users.messages/send reference). */
export const UPLOAD_LIMIT = 35 * 1024 * 1024;

export interface Throttle {
  /** Requests still to refuse. */
  remaining: number;
  status: 429 | 403;
  retryAfter?: number;
  /**
   * The 429's message text. Gmail names the end of a lockout there, not in a header:
   * "User-rate limit exceeded.  Retry after 2026-01-01T10:15:00.000Z"
   * (https://developers.google.com/workspace/gmail/api/guides/handle-errors).
   */
  message?: string;
  /** Only requests whose path matches. */
  path?: RegExp;
}

const b64url = (b: Buffer) => b.toString('base64').replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
const token = (p: string) => `${p}-${randomBytes(12).toString('hex')}`;

export class GoogleServer {
  readonly clientId: string;
  readonly clientSecret: string;
  readonly email: string;
  baseUrl = '';
  private server: http.Server | undefined;
  readonly messages = new Map<string, FakeMessage>();
  readonly userLabels = new Map<string, string>(); // id -> name
  private history: HistoryRecord[] = [];
  historyId = 1000;
  /** history.list with a startHistoryId below this answers 404. */
  minHistoryId = 0;
  private nextId = 1;
  private codes = new Map<string, { challenge: string; method: string; redirectUri: string; clientId: string }>();
  readonly refreshTokens = new Set<string>();
  /** When each refresh token was issued (epoch ms): a Testing app's expire after 7 days. */
  readonly refreshIssuedAt = new Map<string, number>();
  /** Epoch ms "now" for token expiry (tests move it forward). */
  now: () => number = Date.now;
  readonly accessTokens = new Map<string, number>(); // token -> expiry ms
  /** What the consent screen answers: grant, or the user refuses. */
  consent: 'grant' | 'deny' = 'grant';
  throttle: Throttle | undefined;
  /** Request counts by "METHOD name" (token, messages.get, ...). */
  readonly counts = new Map<string, number>();
  /** Times (ms) of each request by name, to see waits. */
  readonly times = new Map<string, number[]>();
  /** The last authorization request's query (to check PKCE and state were sent). */
  lastAuthRequest: URLSearchParams | undefined;
  /** The last token request's form. */
  lastTokenRequest: URLSearchParams | undefined;

  constructor(private readonly o: GoogleServerOptions = {}) {
    this.clientId = o.clientId ?? 'test-client.apps.googleusercontent.com';
    this.clientSecret = o.clientSecret ?? 'test-secret';
    this.email = o.email ?? 'user@gmail.example';
  }

  async start(): Promise<this> {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        try {
          this.handle(req, res, Buffer.concat(chunks));
        } catch (e) {
          res.writeHead(500, { 'Content-Type': 'application/json' }).end(JSON.stringify({ error: { code: 500, message: String(e) } }));
        }
      });
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', () => r()));
    this.baseUrl = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async close(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections?.();
    await new Promise<void>((r) => this.server!.close(() => r()));
    this.server = undefined;
  }

  count(name: string): number {
    return this.counts.get(name) ?? 0;
  }

  private hit(name: string): void {
    this.counts.set(name, this.count(name) + 1);
    const t = this.times.get(name) ?? [];
    t.push(Date.now());
    this.times.set(name, t);
  }

  // ---- mailbox model ----------------------------------------------------------

  addLabel(name: string): string {
    const id = `Label_${this.userLabels.size + 1}`;
    this.userLabels.set(id, name);
    return id;
  }

  private record(r: Omit<HistoryRecord, 'id'>): void {
    this.historyId++;
    this.history.push({ id: this.historyId, ...r });
  }

  private ref(m: FakeMessage): object {
    return { id: m.id, threadId: m.threadId, labelIds: [...m.labelIds] };
  }

  /** Adds a message (as delivery would) and records messagesAdded. */
  addMessage(raw: string | Buffer, labels: string[], date = Date.now()): string {
    const id = (0x18c000000000 + this.nextId++).toString(16);
    const m: FakeMessage = { id, threadId: id, labelIds: new Set(labels), raw: Buffer.isBuffer(raw) ? raw : Buffer.from(raw.replace(/\r?\n/g, '\r\n')), internalDate: date, historyId: 0 };
    this.messages.set(id, m);
    this.record({ messagesAdded: [{ message: this.ref(m) }] });
    m.historyId = this.historyId;
    return id;
  }

  /** Changes labels as the Gmail web UI would, recording labelsAdded / labelsRemoved. */
  modify(id: string, add: string[], remove: string[]): void {
    const m = this.messages.get(id);
    if (!m) throw new Error(`no message ${id}`);
    const added = add.filter((l) => !m.labelIds.has(l));
    const removed = remove.filter((l) => m.labelIds.has(l));
    for (const l of added) m.labelIds.add(l);
    for (const l of removed) m.labelIds.delete(l);
    if (added.length) this.record({ labelsAdded: [{ message: this.ref(m), labelIds: added }] });
    if (removed.length) this.record({ labelsRemoved: [{ message: this.ref(m), labelIds: removed }] });
    m.historyId = this.historyId;
  }

  deleteMessage(id: string): void {
    const m = this.messages.get(id);
    if (!m) return;
    this.messages.delete(id);
    this.record({ messagesDeleted: [{ message: { id: m.id, threadId: m.threadId } }] });
  }

  /** Forgets all history so far: older startHistoryIds answer 404. */
  expireHistory(): void {
    this.minHistoryId = this.historyId + 1;
  }

  /** Revokes every refresh token (the user removed the app's access). */
  revokeAll(): void {
    this.refreshTokens.clear();
    this.accessTokens.clear();
  }

  /** A refresh token as if a sign-in had happened earlier (`ageMs` ago). */
  issueRefreshToken(ageMs = 0): string {
    const t = token('1//rt');
    this.refreshTokens.add(t);
    this.refreshIssuedAt.set(t, this.now() - ageMs);
    return t;
  }

  // ---- HTTP ---------------------------------------------------------------------

  private json(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', ...headers }).end(JSON.stringify(body));
  }

  private apiError(res: http.ServerResponse, status: number, reason: string, message: string, headers: Record<string, string> = {}): void {
    const st = status === 404 ? 'NOT_FOUND' : status === 401 ? 'UNAUTHENTICATED' : status === 429 ? 'RESOURCE_EXHAUSTED' : status === 403 ? 'PERMISSION_DENIED' : 'INVALID_ARGUMENT';
    this.json(res, status, { error: { code: status, message, errors: [{ message, domain: 'global', reason }], status: st } }, headers);
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse, bytes: Buffer): void {
    const url = new URL(req.url ?? '/', this.baseUrl);
    const p = url.pathname;
    if (p === '/o/oauth2/v2/auth' && req.method === 'GET') return this.authorize(url.searchParams, res);
    if (p === '/token' && req.method === 'POST') return this.tokenEndpoint(new URLSearchParams(bytes.toString('utf8')), res);
    const m = /^\/(upload\/)?gmail\/v1\/users\/me\/(.+)$/.exec(p);
    if (!m) return this.apiError(res, 404, 'notFound', `no route ${p}`);
    const upload = !!m[1];
    const rest = m[2];
    const name = apiName(req.method ?? 'GET', rest);
    this.requestBytes.push({ name, upload, bytes: bytes.length });
    this.hit(name);
    const auth = req.headers.authorization ?? '';
    const at = auth.startsWith('Bearer ') ? auth.slice(7) : '';
    const exp = this.accessTokens.get(at);
    if (!exp || exp < Date.now()) return this.apiError(res, 401, 'authError', 'Request had invalid authentication credentials.', { 'WWW-Authenticate': 'Bearer realm="https://accounts.google.com/"' });
    const th = this.throttle;
    if (th && th.remaining > 0 && (!th.path || th.path.test(p))) {
      th.remaining--;
      const h: Record<string, string> = th.retryAfter !== undefined ? { 'Retry-After': String(th.retryAfter) } : {};
      if (th.status === 429) return this.apiError(res, 429, 'rateLimitExceeded', th.message ?? 'Too many requests', h);
      return this.apiError(res, 403, 'rateLimitExceeded', th.message ?? 'User-rate limit exceeded.', h);
    }
    let body: string;
    let media: Buffer | undefined;
    if (upload) {
      // The upload URI: https://developers.google.com/workspace/gmail/api/guides/uploads
      const kind = url.searchParams.get('uploadType');
      if (!/^(messages\/send|drafts|drafts\/[^/]+)$/.test(rest)) return this.apiError(res, 404, 'notFound', `no upload route ${rest}`);
      if (bytes.length > UPLOAD_LIMIT + 64 * 1024) return this.apiError(res, 413, 'uploadTooLarge', `Media larger than ${UPLOAD_LIMIT} bytes is not allowed`);
      const ct = String(req.headers['content-type'] ?? '');
      if (kind === 'media') {
        body = '{}';
        media = bytes;
      } else if (kind === 'multipart') {
        const parts = multipartRelated(bytes, ct);
        if (!parts || parts.length !== 2) return this.apiError(res, 400, 'badContent', 'multipart/related with a JSON part and a media part expected');
        body = parts[0].body.toString('utf8');
        media = parts[1].body;
        if (!/^message\//i.test(parts[1].type)) return this.apiError(res, 400, 'badContent', `Media type '${parts[1].type}' is not supported. Valid media types: [message/*]`);
      } else return this.apiError(res, 400, 'invalidArgument', `Invalid uploadType ${kind}`);
      if (media.length > UPLOAD_LIMIT) return this.apiError(res, 413, 'uploadTooLarge', `Media larger than ${UPLOAD_LIMIT} bytes is not allowed`);
    } else {
      if (bytes.length > PLAIN_BODY_LIMIT) return this.apiError(res, 413, 'requestTooLarge', 'Request payload size exceeds the limit; upload large messages through the /upload URI');
      body = bytes.toString('utf8');
    }
    const fa = this.failAfter.find((f) => f.remaining > 0 && f.name === name);
    if (fa) {
      // Carried out, then answered with a server error: the client cannot know it worked.
      fa.remaining--;
      const swallow = { writeHead: () => swallow, end: () => swallow } as unknown as http.ServerResponse;
      this.api(req.method ?? 'GET', rest, url.searchParams, body, swallow, media);
      return this.apiError(res, fa.status, 'backendError', 'Backend Error');
    }
    return this.api(req.method ?? 'GET', rest, url.searchParams, body, res, media);
  }

  private failAfter: Array<{ name: string; remaining: number; status: number }> = [];

  /**
   * The next `count` requests of API method `name` (e.g. messages.send) are carried out and
   * then answered `status`: a 5xx "backendError" after Gmail took the message
   * (https://developers.google.com/workspace/gmail/api/guides/handle-errors, 500/503/504).
   */
  acceptThenFail(name: string, count = 1, status = 503): void {
    this.failAfter.push({ name, remaining: count, status });
  }

  /** Size of every API request's body, and whether it went to the upload URI. */
  readonly requestBytes: Array<{ name: string; upload: boolean; bytes: number }> = [];

  private authorize(q: URLSearchParams, res: http.ServerResponse): void {
    this.hit('authorize');
    this.lastAuthRequest = q;
    const redirect = q.get('redirect_uri') ?? '';
    const state = q.get('state') ?? '';
    if (q.get('client_id') !== this.clientId) {
      res.writeHead(400, { 'Content-Type': 'text/plain' }).end('Error 401: invalid_client');
      return;
    }
    if (q.get('response_type') !== 'code' || !redirect.startsWith('http://127.0.0.1:')) {
      res.writeHead(400, { 'Content-Type': 'text/plain' }).end('Error 400: invalid_request');
      return;
    }
    const to = new URL(redirect);
    if (this.consent === 'deny') {
      to.searchParams.set('error', 'access_denied');
      to.searchParams.set('state', state);
    } else {
      const code = token('4/code');
      this.codes.set(code, { challenge: q.get('code_challenge') ?? '', method: q.get('code_challenge_method') ?? 'plain', redirectUri: redirect, clientId: this.clientId });
      to.searchParams.set('code', code);
      to.searchParams.set('scope', q.get('scope') ?? '');
      to.searchParams.set('state', state);
    }
    res.writeHead(302, { Location: to.toString() }).end();
  }

  private tokenEndpoint(f: URLSearchParams, res: http.ServerResponse): void {
    this.hit('token');
    this.lastTokenRequest = f;
    const bad = (error: string, description: string, status = 400) => this.json(res, status, { error, error_description: description });
    if (f.get('client_id') !== this.clientId || f.get('client_secret') !== this.clientSecret) return bad('invalid_client', 'The OAuth client was not found.', 401);
    const ttl = this.o.accessTokenTtl ?? 3600;
    const issue = (refresh?: string) => {
      const at = token('ya29');
      this.accessTokens.set(at, Date.now() + ttl * 1000);
      return { access_token: at, expires_in: ttl, scope: 'https://mail.google.com/', token_type: 'Bearer', ...(refresh ? { refresh_token: refresh } : {}) };
    };
    if (f.get('grant_type') === 'authorization_code') {
      const c = this.codes.get(f.get('code') ?? '');
      if (!c) return bad('invalid_grant', 'Malformed auth code.');
      this.codes.delete(f.get('code') ?? '');
      if (f.get('redirect_uri') !== c.redirectUri) return bad('redirect_uri_mismatch', 'Bad Request');
      const verifier = f.get('code_verifier') ?? '';
      const expect = c.method === 'S256' ? b64url(createHash('sha256').update(verifier).digest()) : verifier;
      if (!verifier || expect !== c.challenge) return bad('invalid_grant', 'Invalid code verifier.');
      const rt = this.issueRefreshToken();
      return this.json(res, 200, issue(rt));
    }
    if (f.get('grant_type') === 'refresh_token') {
      const rt = f.get('refresh_token') ?? '';
      if (!this.refreshTokens.has(rt)) return bad('invalid_grant', 'Token has been expired or revoked.');
      const issued = this.refreshIssuedAt.get(rt) ?? 0;
      if (this.o.publishingStatus === 'testing' && this.now() - issued >= TESTING_REFRESH_TOKEN_MS) {
        // A Testing app's grant ends after 7 days; Google says only invalid_grant.
        this.refreshTokens.delete(rt);
        return bad('invalid_grant', 'Token has been expired or revoked.');
      }
      if (this.o.rotateRefreshTokens) {
        this.refreshTokens.delete(rt);
        const next = this.issueRefreshToken();
        return this.json(res, 200, issue(next));
      }
      return this.json(res, 200, issue());
    }
    return bad('unsupported_grant_type', 'Invalid grant_type');
  }

  private headersOf(m: FakeMessage): Array<{ name: string; value: string }> {
    const text = m.raw.toString('latin1');
    const end = text.search(/\r?\n\r?\n/);
    const head = (end >= 0 ? text.slice(0, end) : text).replace(/\r?\n[ \t]+/g, ' ');
    return head
      .split(/\r?\n/)
      .map((l) => /^([^:]+):\s*(.*)$/.exec(l))
      .filter((x): x is RegExpExecArray => !!x)
      .map((x) => ({ name: x[1], value: x[2] }));
  }

  private resource(m: FakeMessage, format: string, wanted: string[]): object {
    const base = { id: m.id, threadId: m.threadId, labelIds: [...m.labelIds], historyId: String(m.historyId), internalDate: String(m.internalDate), sizeEstimate: m.raw.length, snippet: '' };
    if (format === 'minimal') return { id: m.id, threadId: m.threadId, labelIds: [...m.labelIds], historyId: String(m.historyId), internalDate: String(m.internalDate), sizeEstimate: m.raw.length };
    if (format === 'raw') return { ...base, raw: b64url(m.raw) };
    const all = this.headersOf(m);
    const ct = all.find((h) => h.name.toLowerCase() === 'content-type')?.value ?? 'text/plain';
    const headers = format === 'metadata' && wanted.length ? all.filter((h) => wanted.includes(h.name.toLowerCase())) : all;
    return { ...base, payload: { partId: '', mimeType: ct.split(';')[0].trim(), headers } };
  }

  /**
   * The thread a sent message or draft joins. Gmail adds it to `threadId` only when the
   * request names that thread, the message's References / In-Reply-To name a message of the
   * thread and the Subject matches; otherwise it starts a new conversation
   * (https://developers.google.com/workspace/gmail/api/guides/threads#adding_drafts_and_messages_to_threads).
   */
  private threadFor(raw: Buffer, threadId: string | undefined | null, ownId: string): string {
    if (!threadId) return ownId;
    const inThread = [...this.messages.values()].filter((m) => m.threadId === threadId && m.id !== ownId);
    if (!inThread.length) return ownId;
    const h = (m: Buffer, name: string) => this.headersOf({ raw: m } as FakeMessage).find((x) => x.name.toLowerCase() === name)?.value ?? '';
    const refs = `${h(raw, 'references')} ${h(raw, 'in-reply-to')}`.match(/<[^<>\s]+>/g) ?? [];
    const ids = new Set(inThread.map((m) => h(m.raw, 'message-id').trim()));
    const bare = (subj: string) => subj.replace(/^(\s*(re|fwd?|aw|wg)\s*:\s*)+/i, '').trim().toLowerCase();
    const subjectOk = inThread.some((m) => bare(h(m.raw, 'subject')) === bare(h(raw, 'subject')));
    return refs.some((r) => ids.has(r)) && subjectOk ? threadId : ownId;
  }

  /** Adds a message the account itself wrote (send, draft) to the thread the request named. */
  private addOwn(raw: Buffer, labels: string[], threadId: string | undefined | null): string {
    const id = this.addMessage(raw, labels);
    const m = this.messages.get(id)!;
    m.threadId = this.threadFor(raw, threadId, id);
    return id;
  }

  private api(method: string, rest: string, q: URLSearchParams, body: string, res: http.ServerResponse, media?: Buffer): void {
    if (method === 'GET' && rest === 'profile') {
      return this.json(res, 200, { emailAddress: this.email, messagesTotal: this.messages.size, threadsTotal: this.messages.size, historyId: String(this.historyId) });
    }
    if (method === 'GET' && rest === 'labels') {
      const sys = ['INBOX', 'SENT', 'DRAFT', 'SPAM', 'TRASH', 'STARRED', 'IMPORTANT', 'UNREAD', 'CHAT', 'CATEGORY_PERSONAL', 'CATEGORY_PROMOTIONS'];
      return this.json(res, 200, {
        labels: [...sys.map((id) => ({ id, name: id, type: 'system' })), ...[...this.userLabels].map(([id, name]) => ({ id, name, type: 'user', messageListVisibility: 'show', labelListVisibility: 'labelShow' }))],
      });
    }
    const label = method === 'GET' ? /^labels\/([^/]+)$/.exec(rest) : null;
    if (label) {
      // labels.get: the counts Gmail keeps per label (Troubleshoot reads messagesTotal).
      const id = decodeURIComponent(label[1]);
      const name = this.userLabels.get(id) ?? id;
      const inLabel = [...this.messages.values()].filter((m) => m.labelIds.has(id));
      return this.json(res, 200, { id, name, messagesTotal: inLabel.length, messagesUnread: inLabel.filter((m) => m.labelIds.has('UNREAD')).length });
    }
    if (method === 'GET' && rest === 'messages') {
      const labelIds = q.getAll('labelIds').flatMap((v) => v.split(','));
      const max = Math.min(Number(q.get('maxResults') ?? 100), 500);
      const start = Number(q.get('pageToken') ?? 0);
      if (q.get('pageToken') !== null && !/^\d+$/.test(q.get('pageToken') ?? '')) return this.apiError(res, 400, 'invalidArgument', 'Invalid pageToken');
      const msgid = /rfc822msgid:(\S+)/.exec(q.get('q') ?? '')?.[1];
      // "includeSpamTrash: Include messages from SPAM and TRASH in the results" (default false):
      // a label's listing leaves them out though they keep the label
      // (https://developers.google.com/workspace/gmail/api/reference/rest/v1/users.messages/list).
      const includeSpamTrash = q.get('includeSpamTrash') === 'true';
      const list = [...this.messages.values()]
        .filter((m) => labelIds.every((l) => m.labelIds.has(l)))
        .filter((m) => includeSpamTrash || labelIds.includes('SPAM') || labelIds.includes('TRASH') || (!m.labelIds.has('SPAM') && !m.labelIds.has('TRASH')))
        .filter((m) => !msgid || this.headersOf(m).some((h) => h.name.toLowerCase() === 'message-id' && h.value.replace(/[<>]/g, '') === msgid.replace(/[<>]/g, '')))
        .sort((a, b) => b.internalDate - a.internalDate || (a.id < b.id ? 1 : -1));
      const page = list.slice(start, start + max);
      return this.json(res, 200, {
        messages: page.length ? page.map((m) => ({ id: m.id, threadId: m.threadId })) : undefined,
        nextPageToken: start + max < list.length ? String(start + max) : undefined,
        resultSizeEstimate: list.length,
      });
    }
    if (method === 'POST' && rest === 'messages/send') {
      const j = JSON.parse(body || '{}') as { raw?: string; threadId?: string };
      const raw = media ?? (j.raw ? Buffer.from(j.raw, 'base64url') : undefined);
      if (!raw) return this.apiError(res, 400, 'invalidArgument', "'raw' RFC822 payload message string or uploading message via /upload/* URL required");
      const id = this.addOwn(raw, ['SENT'], j.threadId);
      this.lastSent = raw;
      this.sentCount++;
      return this.json(res, 200, { id, threadId: this.messages.get(id)!.threadId, labelIds: ['SENT'] });
    }
    let m = /^messages\/([^/]+)$/.exec(rest);
    if (m) {
      const msg = this.messages.get(m[1]);
      if (!msg) return this.apiError(res, 404, 'notFound', 'Requested entity was not found.');
      if (method === 'DELETE') {
        this.deleteMessage(msg.id);
        res.writeHead(204).end();
        return;
      }
      const wanted = q.getAll('metadataHeaders').flatMap((v) => v.split(',')).map((h) => h.toLowerCase());
      // Counted by format too: headers (metadata) and bodies (raw) are told apart by tests.
      this.hit(`messages.get:${q.get('format') ?? 'full'}`);
      return this.json(res, 200, this.resource(msg, q.get('format') ?? 'full', wanted));
    }
    m = /^messages\/([^/]+)\/(modify|trash|untrash)$/.exec(rest);
    if (m && method === 'POST') {
      const msg = this.messages.get(m[1]);
      if (!msg) return this.apiError(res, 404, 'notFound', 'Requested entity was not found.');
      if (m[2] === 'modify') {
        const b = JSON.parse(body || '{}') as { addLabelIds?: string[]; removeLabelIds?: string[] };
        this.modify(msg.id, b.addLabelIds ?? [], b.removeLabelIds ?? []);
      } else if (m[2] === 'trash') this.modify(msg.id, ['TRASH'], ['INBOX']); // Gmail keeps user labels, STARRED and IMPORTANT on a trashed message
      else this.modify(msg.id, [], ['TRASH']);
      return this.json(res, 200, this.resource(msg, 'minimal', []));
    }
    if (rest === 'drafts' || rest.startsWith('drafts/')) return this.draftsApi(method, rest, q, body, res, media);
    if (method === 'GET' && rest === 'history') {
      const start = Number(q.get('startHistoryId'));
      if (!start) return this.apiError(res, 400, 'invalidArgument', 'startHistoryId is required');
      if (start < this.minHistoryId) return this.apiError(res, 404, 'notFound', 'Requested entity was not found.');
      const types = q.getAll('historyTypes').flatMap((v) => v.split(','));
      const after = this.history.filter((h) => h.id > start);
      const max = Math.min(Number(q.get('maxResults') ?? 100), 500);
      const from = Number(q.get('pageToken') ?? 0);
      const page = after.slice(from, from + max).map((h) => {
        const out: Record<string, unknown> = { id: String(h.id), messages: [] };
        if (h.messagesAdded && (!types.length || types.includes('messageAdded'))) out.messagesAdded = h.messagesAdded;
        if (h.messagesDeleted && (!types.length || types.includes('messageDeleted'))) out.messagesDeleted = h.messagesDeleted;
        if (h.labelsAdded && (!types.length || types.includes('labelAdded'))) out.labelsAdded = h.labelsAdded;
        if (h.labelsRemoved && (!types.length || types.includes('labelRemoved'))) out.labelsRemoved = h.labelsRemoved;
        return out;
      });
      return this.json(res, 200, { history: page.length ? page : undefined, nextPageToken: from + max < after.length ? String(from + max) : undefined, historyId: String(this.historyId) });
    }
    return this.apiError(res, 404, 'notFound', `no route ${method} ${rest}`);
  }

  /** The last message given to messages.send or drafts.send. */
  lastSent: Buffer | undefined;
  /** Messages accepted by messages.send. */
  sentCount = 0;

  // ---- drafts (users.drafts.*) ----------------------------------------------------

  /** Draft id → the id of its current message (which carries the DRAFT label). */
  readonly drafts = new Map<string, string>();
  private nextDraft = 1;

  /** The drafts as webmail shows them: id, message id and the raw message. */
  draftList(): Array<{ id: string; messageId: string; raw: string }> {
    return [...this.drafts].map(([id, mid]) => ({ id, messageId: mid, raw: this.messages.get(mid)?.raw.toString('utf8') ?? '' }));
  }

  private draftJson(id: string, format?: string): object {
    const m = this.messages.get(this.drafts.get(id)!)!;
    return { id, message: format ? this.resource(m, format, []) : { id: m.id, threadId: m.threadId, labelIds: [...m.labelIds] } };
  }

  private draftsApi(method: string, rest: string, q: URLSearchParams, body: string, res: http.ServerResponse, media?: Buffer): void {
    const threadOf = (b: string) => (JSON.parse(b || '{}') as { message?: { threadId?: string } }).message?.threadId;
    const rawOf = (b: string): Buffer | undefined => {
      if (media) return media;
      const j = JSON.parse(b || '{}') as { id?: string; message?: { raw?: string } };
      return j.message?.raw ? Buffer.from(j.message.raw, 'base64url') : undefined;
    };
    if (rest === 'drafts' && method === 'POST') {
      const raw = rawOf(body);
      if (!raw) return this.apiError(res, 400, 'invalidArgument', 'Missing draft message');
      const id = `r-${8000000000000000000 + this.nextDraft++}`;
      this.drafts.set(id, this.addOwn(raw, ['DRAFT'], threadOf(body)));
      return this.json(res, 200, this.draftJson(id));
    }
    if (rest === 'drafts' && method === 'GET') {
      const msgid = /rfc822msgid:(\S+)/.exec(q.get('q') ?? '')?.[1]?.replace(/[<>]/g, '');
      const max = Math.min(Number(q.get('maxResults') ?? 100), 500);
      const start = Number(q.get('pageToken') ?? 0);
      const list = [...this.drafts].filter(([, mid]) => {
        const m = this.messages.get(mid);
        return m && (!msgid || this.headersOf(m).some((h) => h.name.toLowerCase() === 'message-id' && h.value.replace(/[<>]/g, '') === msgid));
      });
      const page = list.slice(start, start + max);
      return this.json(res, 200, {
        drafts: page.length ? page.map(([id, mid]) => ({ id, message: { id: mid, threadId: this.messages.get(mid)!.threadId } })) : undefined,
        nextPageToken: start + max < list.length ? String(start + max) : undefined,
        resultSizeEstimate: list.length,
      });
    }
    if (rest === 'drafts/send' && method === 'POST') {
      const j = JSON.parse(body || '{}') as { id?: string };
      const mid = j.id ? this.drafts.get(j.id) : undefined;
      if (!j.id || !mid) return this.apiError(res, 404, 'notFound', 'Requested entity was not found.');
      // The draft's message becomes the sent message: DRAFT off, SENT on, the draft gone.
      this.drafts.delete(j.id);
      this.modify(mid, ['SENT'], ['DRAFT']);
      const m = this.messages.get(mid)!;
      this.lastSent = m.raw;
      return this.json(res, 200, { id: m.id, threadId: m.threadId, labelIds: [...m.labelIds] });
    }
    const m = /^drafts\/([^/]+)$/.exec(rest);
    const id = m?.[1];
    if (!id || !this.drafts.has(id)) return this.apiError(res, 404, 'notFound', 'Requested entity was not found.');
    if (method === 'GET') return this.json(res, 200, this.draftJson(id, q.get('format') ?? 'full'));
    if (method === 'PUT') {
      const raw = rawOf(body);
      if (!raw) return this.apiError(res, 400, 'invalidArgument', 'Missing draft message');
      // Gmail replaces the draft's message: a new message id, the old message deleted.
      this.deleteMessage(this.drafts.get(id)!);
      this.drafts.set(id, this.addOwn(raw, ['DRAFT'], threadOf(body)));
      return this.json(res, 200, this.draftJson(id));
    }
    if (method === 'DELETE') {
      this.deleteMessage(this.drafts.get(id)!);
      this.drafts.delete(id);
      res.writeHead(204).end();
      return;
    }
    return this.apiError(res, 404, 'notFound', `no route ${method} ${rest}`);
  }
}

/** The parts of a multipart/related body (the upload URI's uploadType=multipart). */
function multipartRelated(body: Buffer, contentType: string): Array<{ type: string; body: Buffer }> | undefined {
  const boundary = /boundary="?([^";]+)"?/i.exec(contentType)?.[1];
  if (!/^multipart\/related/i.test(contentType) || !boundary) return undefined;
  const text = body.toString('latin1');
  const out: Array<{ type: string; body: Buffer }> = [];
  for (const chunk of text.split(`--${boundary}`).slice(1)) {
    if (chunk.startsWith('--')) break;
    const part = chunk.replace(/^\r\n/, '').replace(/\r\n$/, '');
    const end = part.indexOf('\r\n\r\n');
    if (end < 0) return undefined;
    const type = /^content-type:\s*([^\r\n;]+)/im.exec(part.slice(0, end))?.[1]?.trim() ?? '';
    out.push({ type, body: Buffer.from(part.slice(end + 4), 'latin1') });
  }
  return out;
}

function apiName(method: string, rest: string): string {
  if (rest === 'profile') return 'users.getProfile';
  if (rest === 'labels') return 'labels.list';
  if (/^labels\/[^/]+$/.test(rest)) return 'labels.get';
  if (rest === 'messages') return 'messages.list';
  if (rest === 'messages/send') return 'messages.send';
  if (rest === 'history') return 'history.list';
  if (rest === 'drafts') return method === 'POST' ? 'drafts.create' : 'drafts.list';
  if (rest === 'drafts/send') return 'drafts.send';
  if (/^drafts\/[^/]+$/.test(rest)) return method === 'PUT' ? 'drafts.update' : method === 'DELETE' ? 'drafts.delete' : 'drafts.get';
  const m = /^messages\/[^/]+\/(\w+)$/.exec(rest);
  if (m) return `messages.${m[1]}`;
  if (/^messages\/[^/]+$/.test(rest)) return method === 'DELETE' ? 'messages.delete' : 'messages.get';
  return `${method} ${rest}`;
}

export async function startGoogleServer(o: GoogleServerOptions = {}): Promise<GoogleServer> {
  return new GoogleServer(o).start();
}
