/**
 * A local stand-in for the Microsoft identity platform and Microsoft Graph v1.0, over HTTPS
 * (MSAL refuses http authorities) with a self-signed certificate for 127.0.0.1 made by
 * openssl in a temporary folder. It follows the documented wire formats of the calls
 * MailDesk makes: OIDC discovery, authorize (form_post, PKCE S256, state, nonce), token
 * (authorization_code, refresh_token with rotation; invalid_grant with error_codes,
 * consent_required / AADSTS65001), and Graph mailFolders, messages, messages/delta
 * (nextLink, deltaLink, @removed, 410 syncStateNotFound), $value, PATCH, move, DELETE,
 * drafts (POST /me/messages as MIME or JSON, content PATCH, $filter by internetMessageId,
 * POST /me/messages/{id}/send), sendMail (which saves a Sent Items copy), 429 with Retry-After. It records what a test
 * must check: the most requests in flight at once, requests without the ImmutableId
 * preference, and every request's time.
 *
 * Documented limits kept (cited where they are enforced): 4 MB per request (413), file
 * attachments by POST under 3 MB or through an upload session (createUploadSession, then
 * pre-authenticated PUTs of byte ranges up to 4 MB each, up to 150 MB), and, for tests of
 * what a client does then, a request carried out and answered 504 anyway (`acceptThenFail`).
 */
import { execFileSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as https from 'node:https';
import * as os from 'node:os';
import * as path from 'node:path';
import type { AddressInfo } from 'node:net';

export interface FakeMessage {
  id: string;
  folderId: string;
  internetMessageId: string;
  conversationId: string;
  subject: string;
  from: { name: string; address: string };
  to: Array<{ name: string; address: string }>;
  receivedDateTime: string;
  isRead: boolean;
  isDraft: boolean;
  flagged: boolean;
  hasAttachments: boolean;
  body: string;
  raw: string;
  cc?: Array<{ name: string; address: string }>;
  bcc?: Array<{ name: string; address: string }>;
  /** Change sequence of the last change (delta). */
  seq: number;
  /** File attachments added to a draft (POST attachments or an upload session). */
  attachments?: Array<{ id: string; name: string; contentType: string; size: number; content: Buffer }>;
}

/**
 * Graph takes at most 4 MB in one request
 * (https://learn.microsoft.com/en-us/graph/outlook-large-attachments: files over 3 MB need an
 * upload session; https://learn.microsoft.com/en-us/graph/api/attachment-createuploadsession:
 * ranges "up to 4 MB each time").
 */
export const GRAPH_REQUEST_LIMIT = 4 * 1024 * 1024;
/** Attachments "up to 150 MB" through an upload session (same pages). */
export const GRAPH_ATTACHMENT_LIMIT = 150 * 1024 * 1024;

interface UploadSession {
  messageId: string;
  name: string;
  contentType: string;
  size: number;
  chunks: Buffer[];
  received: number;
  isInline: boolean;
}

/** The message fields MailDesk writes on a draft (create or PATCH). */
interface DraftJson {
  subject?: string;
  body?: { contentType?: string; content: string };
  toRecipients?: Array<{ emailAddress: { name?: string; address: string } }>;
  ccRecipients?: Array<{ emailAddress: { name?: string; address: string } }>;
  bccRecipients?: Array<{ emailAddress: { name?: string; address: string } }>;
}

export interface FakeFolder {
  id: string;
  displayName: string;
  parentFolderId: string;
  wellKnownName?: string;
}

interface Removal {
  folderId: string;
  id: string;
  seq: number;
}

export interface GraphRequestLog {
  method: string;
  path: string;
  at: number;
  status: number;
  prefer?: string;
}

const ROOT_ID = 'AAMkRoot';

function b64url(v: string | Buffer): string {
  return Buffer.from(v).toString('base64url');
}

function makeCert(dir: string): { key: string; cert: string } {
  const key = path.join(dir, 'key.pem');
  const cert = path.join(dir, 'cert.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '2', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
  return { key: fs.readFileSync(key, 'utf8'), cert: fs.readFileSync(cert, 'utf8') };
}

export interface GraphServerOptions {
  clientId?: string;
  tenant?: string;
  user?: { email: string; name: string };
  /** Delay of every Graph answer, so concurrent requests overlap. */
  latencyMs?: number;
  /**
   * The mailbox's message size limit (Exchange Online's MaxSendSize, 35 MB by default and up
   * to 150 MB as the administrator sets it: "By default, this message size limit is 35 MB",
   * https://learn.microsoft.com/en-us/graph/api/attachment-createuploadsession). Default here:
   * 150 MB; a send over it answers ErrorMessageSizeExceeded.
   */
  maxSendBytes?: number;
}

export class FakeMicrosoft {
  readonly clientId: string;
  readonly tenant: string;
  readonly user: { email: string; name: string; oid: string; tid: string };
  readonly folders: FakeFolder[] = [];
  readonly messages = new Map<string, FakeMessage>();
  readonly removals: Removal[] = [];
  readonly requests: GraphRequestLog[] = [];
  cert = '';
  port = 0;
  latencyMs: number;
  readonly maxSendBytes: number;
  inFlight = 0;
  maxInFlight = 0;
  /** Token endpoint behaviour for the next code exchange. */
  consentRequired = false;
  /** Authorize page answers with this error instead of a code (e.g. access_denied). */
  authorizeError: { error: string; description: string } | undefined;
  tokenRequests: Array<{ grant: string; status: number }> = [];
  private seq = 0;
  private deltaGeneration = 1;
  private readonly codes = new Map<string, { challenge: string; nonce?: string; redirectUri: string; scope: string }>();
  private readonly accessTokens = new Set<string>();
  private readonly refreshTokens = new Set<string>();
  private throttles: Array<{ match: RegExp; remaining: number; retryAfter: number }> = [];
  private failAfter: Array<{ match: RegExp; remaining: number; status: number }> = [];
  private readonly uploads = new Map<string, UploadSession>();
  private readonly bodies = new WeakMap<object, Promise<Buffer>>();
  /** Bytes of every request body (to check that none was over 4 MB). */
  readonly requestBytes: Array<{ method: string; path: string; bytes: number }> = [];
  /** Range PUTs to upload sessions: their size and whether an Authorization header came along. */
  readonly rangePuts: Array<{ bytes: number; authorization: boolean }> = [];
  private server: https.Server | undefined;
  private dir = '';

  constructor(o: GraphServerOptions = {}) {
    this.clientId = o.clientId ?? '11111111-2222-3333-4444-555555555555';
    this.tenant = o.tenant ?? 'tenant';
    this.user = { email: o.user?.email ?? 'ada@contoso.test', name: o.user?.name ?? 'Ada Lovelace', oid: crypto.randomUUID(), tid: crypto.randomUUID() };
    this.latencyMs = o.latencyMs ?? 0;
    this.maxSendBytes = o.maxSendBytes ?? 150 * 1024 * 1024;
    for (const [wk, name] of [
      ['inbox', 'Inbox'],
      ['sentitems', 'Sent Items'],
      ['drafts', 'Drafts'],
      ['deleteditems', 'Deleted Items'],
      ['junkemail', 'Junk Email'],
      ['archive', 'Archive'],
    ]) {
      this.folders.push({ id: `AAMkF-${wk}-${crypto.randomBytes(4).toString('hex')}`, displayName: name, parentFolderId: ROOT_ID, wellKnownName: wk });
    }
  }

  get base(): string {
    return `https://127.0.0.1:${this.port}`;
  }
  get authority(): string {
    return `${this.base}/${this.tenant}`;
  }

  async start(): Promise<void> {
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'maildesk-graph-'));
    const { key, cert } = makeCert(this.dir);
    this.cert = cert;
    this.server = https.createServer({ key, cert }, (req, res) => {
      void this.handle(req, res).catch((e: unknown) => {
        if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ error: { code: 'InternalServerError', message: String(e) } }));
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => {
      if (!this.server) return resolve();
      this.server.closeAllConnections();
      this.server.close(() => resolve());
    });
    fs.rmSync(this.dir, { recursive: true, force: true });
  }

  // ---- test controls -----------------------------------------------------------

  folder(wellKnownOrName: string): FakeFolder {
    const f = this.folders.find((x) => x.wellKnownName === wellKnownOrName || x.displayName === wellKnownOrName || x.id === wellKnownOrName);
    if (!f) throw new Error(`no folder ${wellKnownOrName}`);
    return f;
  }

  addFolder(displayName: string, parent: string): FakeFolder {
    const f: FakeFolder = { id: `AAMkF-${crypto.randomBytes(6).toString('hex')}`, displayName, parentFolderId: this.folder(parent).id };
    this.folders.push(f);
    return f;
  }

  addMessage(folder: string, m: { subject: string; from?: string; date?: Date; isRead?: boolean; internetMessageId?: string; body?: string }): FakeMessage {
    const id = `AAMkAGI${crypto.randomBytes(12).toString('base64url')}`;
    const date = m.date ?? new Date();
    const mid = m.internetMessageId ?? `<${crypto.randomBytes(8).toString('hex')}@contoso.test>`;
    const from = { name: 'Sender', address: m.from ?? 'sender@fabrikam.test' };
    const body = m.body ?? `Body of ${m.subject}`;
    const raw = [`Message-ID: ${mid}`, `Date: ${date.toUTCString()}`, `From: ${from.name} <${from.address}>`, `To: ${this.user.email}`, `Subject: ${m.subject}`, 'MIME-Version: 1.0', 'Content-Type: text/plain; charset=utf-8', '', body, ''].join('\r\n');
    const msg: FakeMessage = {
      id,
      folderId: this.folder(folder).id,
      internetMessageId: mid,
      conversationId: `conv-${crypto.randomBytes(6).toString('hex')}`,
      subject: m.subject,
      from,
      to: [{ name: this.user.name, address: this.user.email }],
      receivedDateTime: date.toISOString(),
      isRead: m.isRead ?? false,
      isDraft: false,
      flagged: false,
      hasAttachments: false,
      body,
      raw,
      seq: ++this.seq,
    };
    this.messages.set(id, msg);
    return msg;
  }

  /** Deleted on the server (another client): delta reports it as @removed. */
  removeMessage(id: string): void {
    const m = this.messages.get(id);
    if (!m) return;
    this.messages.delete(id);
    this.removals.push({ folderId: m.folderId, id, seq: ++this.seq });
  }

  setRead(id: string, read: boolean): void {
    const m = this.messages.get(id)!;
    m.isRead = read;
    m.seq = ++this.seq;
  }

  /** Every delta token handed out so far answers 410 syncStateNotFound. */
  expireDeltaTokens(): void {
    this.deltaGeneration++;
  }

  /** The refresh tokens are revoked (password reset, admin action): refreshes get invalid_grant 700082. */
  revokeTokens(): void {
    this.refreshTokens.clear();
    this.accessTokens.clear();
  }

  /**
   * The next `count` requests whose path matches are carried out (a sendMail delivers) and then
   * answered `status` anyway: a gateway timeout after the mailbox accepted the message, the case
   * behind "may have been sent" (https://learn.microsoft.com/en-us/graph/errors: 504 Gateway
   * Timeout, "the server ... didn't receive a timely response").
   */
  acceptThenFail(match: RegExp, count = 1, status = 504): void {
    this.failAfter.push({ match, remaining: count, status });
  }

  /** An access token as a sign-in would give (for raw requests in tests). */
  issueAccessToken(): string {
    const t = `at-${crypto.randomBytes(16).toString('hex')}`;
    this.accessTokens.add(t);
    return t;
  }

  /**
   * The next `count` Graph requests whose path matches answer 429 with Retry-After, as a
   * throttled mailbox does (https://learn.microsoft.com/en-us/graph/throttling: "a Retry-After
   * header ... the number of seconds to wait").
   */
  throttle(match: RegExp, count: number, retryAfter: number): void {
    this.throttles.push({ match, remaining: count, retryAfter });
  }

  inFolder(wellKnown: string): FakeMessage[] {
    const id = this.folder(wellKnown).id;
    return [...this.messages.values()].filter((m) => m.folderId === id);
  }

  // ---- HTTP ------------------------------------------------------------------------

  private rawBody(req: import('node:http').IncomingMessage): Promise<Buffer> {
    let p = this.bodies.get(req);
    if (!p) {
      p = (async () => {
        const chunks: Buffer[] = [];
        for await (const c of req) chunks.push(c as Buffer);
        return Buffer.concat(chunks);
      })();
      this.bodies.set(req, p);
    }
    return p;
  }

  private async body(req: import('node:http').IncomingMessage): Promise<string> {
    return (await this.rawBody(req)).toString('utf8');
  }

  private json(res: import('node:http').ServerResponse, status: number, v: unknown, headers: Record<string, string> = {}): void {
    res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
    res.end(JSON.stringify(v));
  }

  private async handle(req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.base);
    const p = url.pathname;
    const t = `/${this.tenant}`;
    // AAD mode reads <authority>/v2.0/.well-known/..., OIDC mode (a non-Microsoft host) <authority>/.well-known/....
    if (p === `${t}/v2.0/.well-known/openid-configuration` || p === `${t}/.well-known/openid-configuration`) {
      return this.json(res, 200, {
        issuer: `${this.authority}/v2.0`,
        authorization_endpoint: `${this.authority}/oauth2/v2.0/authorize`,
        token_endpoint: `${this.authority}/oauth2/v2.0/token`,
        end_session_endpoint: `${this.authority}/oauth2/v2.0/logout`,
        jwks_uri: `${this.authority}/discovery/v2.0/keys`,
        response_modes_supported: ['query', 'fragment', 'form_post'],
        response_types_supported: ['code'],
        scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
        code_challenge_methods_supported: ['S256'],
      });
    }
    if (p === `${t}/oauth2/v2.0/authorize`) return this.authorize(url, res);
    if (p === `${t}/oauth2/v2.0/token` && req.method === 'POST') return this.token(new URLSearchParams(await this.body(req)), res);
    if (p.startsWith('/v1.0/')) return this.graph(req, res, url);
    if (p.startsWith('/upload/')) return this.uploadRange(req, res, url);
    this.json(res, 404, { error: 'not_found' });
  }

  private authorize(url: URL, res: import('node:http').ServerResponse): void {
    const q = url.searchParams;
    const redirect = q.get('redirect_uri') ?? '';
    const state = q.get('state') ?? '';
    const fields: Record<string, string> = { state };
    if (q.get('client_id') !== this.clientId) {
      Object.assign(fields, { error: 'unauthorized_client', error_description: `AADSTS700016: Application with identifier '${q.get('client_id')}' was not found in the directory.` });
    } else if (q.get('code_challenge_method') !== 'S256' || !q.get('code_challenge')) {
      Object.assign(fields, { error: 'invalid_request', error_description: 'AADSTS50125: PKCE S256 required' });
    } else if (this.authorizeError) {
      Object.assign(fields, { error: this.authorizeError.error, error_description: this.authorizeError.description });
    } else {
      const code = `code-${crypto.randomBytes(12).toString('hex')}`;
      this.codes.set(code, { challenge: q.get('code_challenge')!, nonce: q.get('nonce') ?? undefined, redirectUri: redirect, scope: q.get('scope') ?? '' });
      Object.assign(fields, { code, client_info: this.clientInfo() });
    }
    // response_mode=form_post: the browser posts the answer to the loopback redirect.
    const inputs = Object.entries(fields)
      .map(([k, v]) => `<input type="hidden" name="${k}" value="${v.replace(/&/g, '&amp;').replace(/"/g, '&quot;')}">`)
      .join('');
    res.writeHead(200, { 'Content-Type': 'text/html' });
    res.end(`<html><body onload="document.forms[0].submit()"><form method="post" action="${redirect}">${inputs}</form></body></html>`);
  }

  private clientInfo(): string {
    return b64url(JSON.stringify({ uid: this.user.oid, utid: this.user.tid }));
  }

  private idToken(nonce?: string): string {
    const now = Math.floor(Date.now() / 1000);
    const claims = {
      aud: this.clientId,
      iss: `${this.authority}/v2.0`,
      iat: now,
      nbf: now,
      exp: now + 3600,
      sub: this.user.oid,
      oid: this.user.oid,
      tid: this.user.tid,
      name: this.user.name,
      preferred_username: this.user.email,
      ver: '2.0',
      ...(nonce ? { nonce } : {}),
    };
    return `${b64url(JSON.stringify({ typ: 'JWT', alg: 'RS256', kid: 'test' }))}.${b64url(JSON.stringify(claims))}.${b64url('signature')}`;
  }

  private tokenError(res: import('node:http').ServerResponse, grant: string, error: string, code: number, description: string): void {
    this.tokenRequests.push({ grant, status: 400 });
    this.json(res, 400, {
      error,
      error_description: `AADSTS${code}: ${description}\r\nTrace ID: ${crypto.randomUUID()}\r\nCorrelation ID: ${crypto.randomUUID()}\r\nTimestamp: ${new Date().toISOString()}`,
      error_codes: [code],
      timestamp: new Date().toISOString(),
      trace_id: crypto.randomUUID(),
      correlation_id: crypto.randomUUID(),
    });
  }

  private token(form: URLSearchParams, res: import('node:http').ServerResponse): void {
    const grant = form.get('grant_type') ?? '';
    if (form.get('client_id') !== this.clientId) return this.tokenError(res, grant, 'unauthorized_client', 700016, 'Application not found in the directory.');
    let nonce: string | undefined;
    let scope = 'https://graph.microsoft.com/Mail.ReadWrite https://graph.microsoft.com/Mail.Send https://graph.microsoft.com/User.Read';
    if (grant === 'authorization_code') {
      const c = this.codes.get(form.get('code') ?? '');
      this.codes.delete(form.get('code') ?? '');
      if (!c) return this.tokenError(res, grant, 'invalid_grant', 70000, 'The provided authorization code is invalid or has expired.');
      const verifier = form.get('code_verifier') ?? '';
      if (crypto.createHash('sha256').update(verifier).digest('base64url') !== c.challenge) return this.tokenError(res, grant, 'invalid_grant', 501481, 'The Code_Verifier does not match the code_challenge supplied in the authorization request.');
      if (form.get('redirect_uri') !== c.redirectUri) return this.tokenError(res, grant, 'invalid_grant', 50011, 'The redirect URI does not match.');
      if (this.consentRequired) {
        return this.tokenError(res, grant, 'consent_required', 65001, `The user or administrator has not consented to use the application with ID '${this.clientId}'. Send an interactive authorization request for this user and resource.`);
      }
      nonce = c.nonce;
    } else if (grant === 'refresh_token') {
      const rt = form.get('refresh_token') ?? '';
      if (!this.refreshTokens.has(rt)) {
        return this.tokenError(res, grant, 'invalid_grant', 700082, 'The refresh token has expired due to inactivity. The token was issued on 2024-01-01 and was inactive for 90.00:00:00.');
      }
      if (this.consentRequired) return this.tokenError(res, grant, 'invalid_grant', 65001, `The user or administrator has not consented to use the application with ID '${this.clientId}'.`);
      // Rotation: the old refresh token stops working once a new one is issued.
      this.refreshTokens.delete(rt);
    } else {
      return this.tokenError(res, grant, 'unsupported_grant_type', 70003, 'The app requested an unsupported grant type.');
    }
    const access = `at-${crypto.randomBytes(16).toString('hex')}`;
    const refresh = `rt-${crypto.randomBytes(16).toString('hex')}`;
    this.accessTokens.add(access);
    this.refreshTokens.add(refresh);
    this.tokenRequests.push({ grant, status: 200 });
    this.json(res, 200, {
      token_type: 'Bearer',
      scope: `${scope} openid profile offline_access`.trim(),
      expires_in: 3600,
      ext_expires_in: 3600,
      access_token: access,
      refresh_token: refresh,
      id_token: this.idToken(nonce),
      client_info: this.clientInfo(),
    });
    scope = '';
  }

  // ---- Graph -------------------------------------------------------------------------

  private folderJson(f: FakeFolder): Record<string, unknown> {
    const msgs = [...this.messages.values()].filter((m) => m.folderId === f.id);
    return {
      id: f.id,
      displayName: f.displayName,
      parentFolderId: f.parentFolderId,
      childFolderCount: this.folders.filter((c) => c.parentFolderId === f.id).length,
      totalItemCount: msgs.length,
      unreadItemCount: msgs.filter((m) => !m.isRead).length,
      isHidden: false,
    };
  }

  private messageJson(m: FakeMessage): Record<string, unknown> {
    return {
      '@odata.etag': `W/"${m.seq}"`,
      id: m.id,
      internetMessageId: m.internetMessageId,
      conversationId: m.conversationId,
      subject: m.subject,
      from: { emailAddress: m.from },
      toRecipients: m.to.map((a) => ({ emailAddress: a })),
      ccRecipients: [],
      receivedDateTime: m.receivedDateTime,
      isRead: m.isRead,
      isDraft: m.isDraft,
      flag: { flagStatus: m.flagged ? 'flagged' : 'notFlagged' },
      hasAttachments: m.hasAttachments,
      bodyPreview: m.body.slice(0, 255),
      parentFolderId: m.folderId,
    };
  }

  private resolveFolder(idOrName: string): FakeFolder | undefined {
    const k = decodeURIComponent(idOrName);
    return this.folders.find((f) => f.id === k || f.wellKnownName === k.toLowerCase());
  }

  private async graph(req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse, url: URL): Promise<void> {
    const started = Date.now();
    const log: GraphRequestLog = { method: req.method ?? 'GET', path: url.pathname + url.search, at: started, status: 0, prefer: req.headers.prefer as string | undefined };
    this.requests.push(log);
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      if (this.latencyMs) await new Promise((r) => setTimeout(r, this.latencyMs));
      const send = (status: number, v: unknown, headers: Record<string, string> = {}): void => {
        log.status = status;
        if (status === 204 || status === 202) {
          res.writeHead(status, headers);
          res.end();
        } else this.json(res, status, v, headers);
      };
      const auth = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
      if (!auth || !this.accessTokens.has(auth)) {
        return send(401, { error: { code: 'InvalidAuthenticationToken', message: 'Access token has expired or is not yet valid.' } }, { 'WWW-Authenticate': 'Bearer realm=""' });
      }
      const th = this.throttles.find((x) => x.remaining > 0 && x.match.test(url.pathname));
      if (th) {
        th.remaining--;
        return send(429, { error: { code: 'ApplicationThrottled', message: 'Application is over its MailboxConcurrency limit.' } }, { 'Retry-After': String(th.retryAfter) });
      }
      const p = url.pathname.replace(/^\/v1\.0/, '');
      const q = url.searchParams;
      const method = req.method ?? 'GET';
      if (method !== 'GET' && method !== 'DELETE') {
        const bytes = (await this.rawBody(req)).length;
        this.requestBytes.push({ method, path: p, bytes });
        // Graph's own words for it: "The maximum request length supported is 4MB."
        if (bytes > GRAPH_REQUEST_LIMIT) return send(413, { error: { code: 'RequestEntityTooLarge', message: 'The maximum request length supported is 4MB.' } });
      }
      const fa = this.failAfter.find((x) => x.remaining > 0 && x.match.test(p));
      if (fa) {
        // Carried out first, then answered with the failure: the client cannot know it worked.
        fa.remaining--;
        const done = { status: 0 };
        await this.route(req, res, url, p, q, method, log, (status) => (done.status = status));
        if (done.status >= 200 && done.status < 300) return send(fa.status, { error: { code: 'UnknownError', message: 'Gateway timeout' } });
        return send(done.status || 500, { error: { code: 'UnknownError', message: 'failed' } });
      }
      return await this.route(req, res, url, p, q, method, log);
    } finally {
      this.inFlight--;
    }
  }

  private async route(
    req: import('node:http').IncomingMessage,
    res: import('node:http').ServerResponse,
    url: URL,
    p: string,
    q: URLSearchParams,
    method: string,
    log: GraphRequestLog,
    dryRun?: (status: number) => void,
  ): Promise<void> {
    {
      const send = (status: number, v: unknown, headers: Record<string, string> = {}): void => {
        if (dryRun) return dryRun(status);
        log.status = status;
        if (status === 204 || status === 202) {
          res.writeHead(status, headers);
          res.end();
        } else this.json(res, status, v, headers);
      };
      let m: RegExpExecArray | null;
      if (p === '/me' && method === 'GET') return send(200, { id: this.user.oid, displayName: this.user.name, mail: this.user.email, userPrincipalName: this.user.email });
      if (p === '/me/mailFolders' && method === 'GET') return send(200, { value: this.folders.filter((f) => f.parentFolderId === ROOT_ID).map((f) => this.folderJson(f)) });
      if ((m = /^\/me\/mailFolders\/([^/]+)\/childFolders$/.exec(p))) {
        const f = this.resolveFolder(m[1]);
        if (!f) return send(404, { error: { code: 'ErrorFolderNotFound', message: 'The specified folder could not be found in the store.' } });
        return send(200, { value: this.folders.filter((c) => c.parentFolderId === f.id).map((c) => this.folderJson(c)) });
      }
      if ((m = /^\/me\/mailFolders\/([^/]+)$/.exec(p)) && method === 'GET') {
        const f = this.resolveFolder(m[1]);
        if (!f) return send(404, { error: { code: 'ErrorFolderNotFound', message: 'The specified folder could not be found in the store.' } });
        return send(200, this.folderJson(f));
      }
      if ((m = /^\/me\/mailFolders\/([^/]+)\/messages$/.exec(p)) && method === 'GET') {
        const f = this.resolveFolder(m[1]);
        if (!f) return send(404, { error: { code: 'ErrorFolderNotFound', message: 'The specified folder could not be found in the store.' } });
        const top = Number(q.get('$top') ?? 10);
        const skip = Number(q.get('$skip') ?? 0);
        // $filter=internetMessageId eq '<id>' (the one filter MailDesk uses; quotes doubled inside).
        const filter = q.get('$filter');
        const byMid = filter ? /^internetMessageId eq '((?:[^']|'')*)'$/.exec(filter) : null;
        if (filter && !byMid) return send(400, { error: { code: 'ErrorInvalidUrlQueryFilter', message: `Unsupported filter ${filter}` } });
        const all = [...this.messages.values()].filter((x) => x.folderId === f.id && (!byMid || x.internetMessageId === byMid[1].replace(/''/g, "'")));
        if ((q.get('$orderby') ?? '').startsWith('receivedDateTime desc')) all.sort((a, b) => b.receivedDateTime.localeCompare(a.receivedDateTime));
        const page = all.slice(skip, skip + top);
        const out: Record<string, unknown> = { value: page.map((x) => this.messageJson(x)) };
        if (skip + top < all.length) {
          const n = new URL(url.toString());
          n.searchParams.set('$skip', String(skip + top));
          out['@odata.nextLink'] = n.toString();
        }
        return send(200, out);
      }
      if ((m = /^\/me\/mailFolders\/([^/]+)\/messages\/delta$/.exec(p)) && method === 'GET') return this.delta(m[1], url, req, send);
      if ((m = /^\/me\/messages\/([^/]+)\/\$value$/.exec(p)) && method === 'GET') {
        const msg = this.messages.get(decodeURIComponent(m[1]));
        if (!msg) return send(404, { error: { code: 'ErrorItemNotFound', message: 'The specified object was not found in the store.' } });
        log.status = 200;
        res.writeHead(200, { 'Content-Type': 'text/plain' });
        res.end(msg.raw);
        return;
      }
      if ((m = /^\/me\/messages\/([^/]+)\/move$/.exec(p)) && method === 'POST') {
        const msg = this.messages.get(decodeURIComponent(m[1]));
        if (!msg) return send(404, { error: { code: 'ErrorItemNotFound', message: 'The specified object was not found in the store.' } });
        const { destinationId } = JSON.parse(await this.body(req)) as { destinationId: string };
        const dest = this.resolveFolder(destinationId);
        if (!dest) return send(404, { error: { code: 'ErrorFolderNotFound', message: 'The destination folder could not be found.' } });
        this.removals.push({ folderId: msg.folderId, id: msg.id, seq: ++this.seq });
        msg.folderId = dest.id;
        msg.seq = ++this.seq;
        // Without the ImmutableId preference a moved item gets a new id; with it, it keeps it.
        if (!/IdType="ImmutableId"/.test(log.prefer ?? '')) {
          this.messages.delete(msg.id);
          msg.id = `AAMkAGI${crypto.randomBytes(12).toString('base64url')}`;
          this.messages.set(msg.id, msg);
        }
        return send(201, this.messageJson(msg));
      }
      if (p === '/me/messages' && method === 'POST') {
        // Create a draft: MIME (base64, Content-Type text/plain) or a JSON message; it lands in Drafts.
        const text = await this.body(req);
        const ct = String(req.headers['content-type'] ?? '');
        const draft = ct.startsWith('text/plain') ? this.draftFromMime(Buffer.from(text, 'base64').toString('utf8')) : this.draftFromJson(JSON.parse(text) as DraftJson);
        this.draftWrites.push({ method: 'POST', id: draft.id });
        return send(201, this.messageJson(draft));
      }
      if ((m = /^\/me\/messages\/([^/]+)\/attachments$/.exec(p)) && method === 'POST') {
        // A file attachment under 3 MB in one POST (https://learn.microsoft.com/en-us/graph/api/message-post-attachments).
        const msg = this.messages.get(decodeURIComponent(m[1]));
        if (!msg) return send(404, { error: { code: 'ErrorItemNotFound', message: 'The specified object was not found in the store.' } });
        const j = JSON.parse(await this.body(req)) as { name: string; contentType?: string; contentBytes: string };
        const content = Buffer.from(j.contentBytes, 'base64');
        if (content.length >= 3 * 1024 * 1024) return send(413, { error: { code: 'ErrorAttachmentSizeShouldNotBeLessThanMinimumSize', message: 'Attachments of 3 MB or more need an upload session.' } });
        const att = this.addAttachment(msg, j.name, j.contentType ?? 'application/octet-stream', content);
        if (dryRun) return send(201, {});
        return send(201, { '@odata.type': '#microsoft.graph.fileAttachment', id: att.id, name: att.name, size: att.size });
      }
      if ((m = /^\/me\/messages\/([^/]+)\/attachments\/createUploadSession$/.exec(p)) && method === 'POST') {
        // https://learn.microsoft.com/en-us/graph/api/attachment-createuploadsession: files up to 150 MB.
        const msg = this.messages.get(decodeURIComponent(m[1]));
        if (!msg) return send(404, { error: { code: 'ErrorItemNotFound', message: 'The specified object was not found in the store.' } });
        const { AttachmentItem: a } = JSON.parse(await this.body(req)) as { AttachmentItem: { attachmentType: string; name: string; size: number; contentType?: string; isInline?: boolean } };
        if (a.attachmentType !== 'file' || !a.name || !(a.size > 0)) return send(400, { error: { code: 'ErrorInvalidRequest', message: 'AttachmentItem with attachmentType file, name and size required.' } });
        if (a.size > GRAPH_ATTACHMENT_LIMIT) return send(413, { error: { code: 'ErrorAttachmentSizeExceeded', message: `The attachment exceeds ${GRAPH_ATTACHMENT_LIMIT} bytes.` } });
        const sid = crypto.randomBytes(12).toString('hex');
        this.uploads.set(sid, { messageId: msg.id, name: a.name, contentType: a.contentType ?? 'application/octet-stream', size: a.size, chunks: [], received: 0, isInline: !!a.isInline });
        const expires = new Date(Date.now() + 15 * 60_000).toISOString();
        return send(201, { uploadUrl: `${this.base}/upload/sessions/${sid}?authtoken=${crypto.randomBytes(16).toString('hex')}`, expirationDateTime: expires, nextExpectedRanges: ['0-'] });
      }
      if ((m = /^\/me\/messages\/([^/]+)\/send$/.exec(p)) && method === 'POST') {
        const msg = this.messages.get(decodeURIComponent(m[1]));
        if (!msg) return send(404, { error: { code: 'ErrorItemNotFound', message: 'The specified object was not found in the store.' } });
        if (!msg.isDraft) return send(400, { error: { code: 'ErrorInvalidOperation', message: 'Only draft messages can be sent.' } });
        const total = msg.raw.length + (msg.attachments ?? []).reduce((n, a) => n + a.size, 0);
        if (total > this.maxSendBytes) {
          return send(400, { error: { code: 'ErrorMessageSizeExceeded', message: `The message exceeds the maximum supported size of ${Math.round(this.maxSendBytes / 1024 / 1024)} MB.` } });
        }
        // The draft leaves Drafts and becomes the Sent Items copy.
        this.removals.push({ folderId: msg.folderId, id: msg.id, seq: ++this.seq });
        msg.folderId = this.folder('sentitems').id;
        msg.isDraft = false;
        msg.isRead = true;
        msg.seq = ++this.seq;
        this.sent.push({ raw: msg.raw, bcc: msg.bcc?.map((a) => a.address).join(', ') || undefined, attachments: msg.attachments?.map((a) => ({ name: a.name, size: a.size })) });
        return send(202, undefined);
      }
      if ((m = /^\/me\/messages\/([^/]+)$/.exec(p))) {
        const msg = this.messages.get(decodeURIComponent(m[1]));
        if (!msg) return send(404, { error: { code: 'ErrorItemNotFound', message: 'The specified object was not found in the store.' } });
        if (method === 'PATCH') {
          const patch = JSON.parse(await this.body(req)) as { isRead?: boolean; flag?: { flagStatus?: string } } & DraftJson;
          const content = ['subject', 'body', 'toRecipients', 'ccRecipients', 'bccRecipients'].filter((k) => k in patch);
          // Subject, body and recipients are updatable only while the message is a draft.
          if (content.length && !msg.isDraft) return send(400, { error: { code: 'ErrorInvalidPropertyUpdateSentMessage', message: 'Update to a sent message is not supported.' } });
          if (patch.isRead !== undefined) msg.isRead = patch.isRead;
          if (patch.flag?.flagStatus) msg.flagged = patch.flag.flagStatus === 'flagged';
          if (content.length) {
            this.applyDraftJson(msg, patch);
            this.draftWrites.push({ method: 'PATCH', id: msg.id });
          }
          msg.seq = ++this.seq;
          return send(200, this.messageJson(msg));
        }
        if (method === 'DELETE') {
          this.removeMessage(msg.id);
          return send(204, undefined);
        }
        if (method === 'GET') return send(200, this.messageJson(msg));
      }
      if (p === '/me/sendMail' && method === 'POST') {
        const text = await this.body(req);
        const ct = String(req.headers['content-type'] ?? '');
        let raw: string;
        if (ct.startsWith('text/plain')) raw = Buffer.from(text, 'base64').toString('utf8');
        else {
          const j = JSON.parse(text) as { message: { subject?: string; toRecipients?: Array<{ emailAddress: { address: string } }> }; saveToSentItems?: boolean };
          raw = `Subject: ${j.message.subject ?? ''}\r\nTo: ${(j.message.toRecipients ?? []).map((r) => r.emailAddress.address).join(', ')}\r\n\r\n`;
        }
        const head = raw.split(/\r?\n\r?\n/, 1)[0].replace(/\r?\n[ \t]+/g, ' ');
        const h = (name: string) => new RegExp(`^${name}:\\s*(.*)$`, 'im').exec(head)?.[1]?.trim();
        if (!h('To') && !h('Cc') && !h('Bcc')) return send(400, { error: { code: 'ErrorInvalidRecipients', message: 'At least one recipient is not valid.' } });
        // Outlook saves the copy in Sent Items (with the MIME Message-ID).
        const copy = this.addMessage('sentitems', { subject: h('Subject') ?? '', from: this.user.email, isRead: true, internetMessageId: h('Message-ID') ?? undefined });
        copy.raw = raw;
        copy.to = (h('To') ?? '').split(',').map((a) => ({ name: '', address: a.replace(/.*</, '').replace(/>.*/, '').trim() }));
        this.sent.push({ raw, bcc: h('Bcc') });
        return send(202, undefined);
      }
      return send(400, { error: { code: 'BadRequest', message: `Unsupported ${method} ${p}` } });
    }
  }

  readonly sent: Array<{ raw: string; bcc?: string; attachments?: Array<{ name: string; size: number }> }> = [];

  private addAttachment(msg: FakeMessage, name: string, contentType: string, content: Buffer): { id: string; name: string; size: number } {
    const att = { id: `AAMkAtt${crypto.randomBytes(8).toString('hex')}`, name, contentType, size: content.length, content };
    (msg.attachments ??= []).push(att);
    msg.hasAttachments = true;
    msg.seq = ++this.seq;
    return att;
  }

  /**
   * A PUT of one byte range to an upload session's pre-authenticated URL: no Authorization
   * header, Content-Range in order, at most 4 MB each; 200 with nextExpectedRanges until the
   * last, which answers 201 with the attachment's Location
   * (https://learn.microsoft.com/en-us/graph/outlook-large-attachments, step 2).
   */
  private async uploadRange(req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse, url: URL): Promise<void> {
    const sid = /^\/upload\/sessions\/([^/]+)$/.exec(url.pathname)?.[1] ?? '';
    const session = this.uploads.get(sid);
    const chunk = await this.rawBody(req);
    this.rangePuts.push({ bytes: chunk.length, authorization: !!req.headers.authorization });
    if (!session || !url.searchParams.get('authtoken')) return this.json(res, 404, { error: { code: 'ItemNotFound', message: 'The upload session was not found.' } });
    if (req.method !== 'PUT') return this.json(res, 405, { error: { code: 'MethodNotAllowed', message: 'PUT expected' } });
    // "Don't specify an Authorization request header": the URL carries its own token.
    if (req.headers.authorization) return this.json(res, 400, { error: { code: 'InvalidAuthenticationToken', message: 'An Authorization header is not allowed on the upload URL.' } });
    if (chunk.length > GRAPH_REQUEST_LIMIT) return this.json(res, 413, { error: { code: 'RequestEntityTooLarge', message: 'A range may be at most 4 MB.' } });
    const r = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(String(req.headers['content-range'] ?? ''));
    if (!r || Number(r[1]) !== session.received || Number(r[3]) !== session.size || Number(r[2]) - Number(r[1]) + 1 !== chunk.length) {
      return this.json(res, 416, { error: { code: 'InvalidRange', message: `Expected range ${session.received}- of ${session.size}` } });
    }
    session.chunks.push(chunk);
    session.received += chunk.length;
    if (session.received < session.size) {
      return this.json(res, 200, { expirationDateTime: new Date(Date.now() + 15 * 60_000).toISOString(), nextExpectedRanges: [`${session.received}-`] });
    }
    this.uploads.delete(sid);
    const msg = this.messages.get(session.messageId);
    if (!msg) return this.json(res, 404, { error: { code: 'ErrorItemNotFound', message: 'The message of this upload session is gone.' } });
    const att = this.addAttachment(msg, session.name, session.contentType, Buffer.concat(session.chunks));
    res.writeHead(201, { Location: `${this.base}/v1.0/me/messages('${msg.id}')/attachments('${att.id}')`, 'Content-Length': '0' });
    res.end();
  }
  /** Draft creates and content PATCHes, in order. */
  readonly draftWrites: Array<{ method: 'POST' | 'PATCH'; id: string }> = [];

  private newDraft(fields: Partial<FakeMessage>): FakeMessage {
    const msg: FakeMessage = {
      id: `AAMkAGI${crypto.randomBytes(12).toString('base64url')}`,
      folderId: this.folder('drafts').id,
      internetMessageId: `<${crypto.randomBytes(8).toString('hex')}@contoso.test>`,
      conversationId: `conv-${crypto.randomBytes(6).toString('hex')}`,
      subject: '',
      from: { name: this.user.name, address: this.user.email },
      to: [],
      receivedDateTime: new Date().toISOString(),
      isRead: true,
      isDraft: true,
      flagged: false,
      hasAttachments: false,
      body: '',
      raw: '',
      seq: ++this.seq,
      ...fields,
    };
    this.messages.set(msg.id, msg);
    return msg;
  }

  /** A draft from a MIME message: Outlook keeps its Message-ID and headers. */
  private draftFromMime(raw: string): FakeMessage {
    const head = raw.split(/\r?\n\r?\n/, 1)[0].replace(/\r?\n[ \t]+/g, ' ');
    const h = (name: string) => new RegExp(`^${name}:\\s*(.*)$`, 'im').exec(head)?.[1]?.trim();
    const list = (v: string | undefined) => (v ? v.split(',').map((a) => ({ name: '', address: a.replace(/.*</, '').replace(/>.*/, '').trim() })).filter((a) => a.address) : []);
    const body = raw.slice(raw.search(/\r?\n\r?\n/) + 2).trim();
    return this.newDraft({
      internetMessageId: h('Message-ID') ?? undefined,
      subject: h('Subject') ?? '',
      to: list(h('To')),
      cc: list(h('Cc')),
      bcc: list(h('Bcc')),
      hasAttachments: /multipart\/mixed/i.test(h('Content-Type') ?? ''),
      body,
      raw,
    });
  }

  private draftFromJson(j: DraftJson): FakeMessage {
    const msg = this.newDraft({});
    this.applyDraftJson(msg, j);
    return msg;
  }

  /** Applies JSON message fields to a draft and rebuilds its MIME source ($value) from them. */
  private applyDraftJson(msg: FakeMessage, j: DraftJson): void {
    const list = (r: DraftJson['toRecipients']) => (r ?? []).map((x) => ({ name: x.emailAddress.name ?? '', address: x.emailAddress.address }));
    if (j.subject !== undefined) msg.subject = j.subject;
    if (j.body) msg.body = j.body.content;
    if (j.toRecipients) msg.to = list(j.toRecipients);
    if (j.ccRecipients) msg.cc = list(j.ccRecipients);
    if (j.bccRecipients) msg.bcc = list(j.bccRecipients);
    const html = j.body?.contentType?.toLowerCase() === 'html';
    const addr = (l: Array<{ address: string }> | undefined) => (l ?? []).map((a) => a.address).join(', ');
    msg.raw = [
      `Message-ID: ${msg.internetMessageId}`,
      `Date: ${new Date().toUTCString()}`,
      `From: ${msg.from.name} <${msg.from.address}>`,
      `To: ${addr(msg.to)}`,
      ...(msg.cc?.length ? [`Cc: ${addr(msg.cc)}`] : []),
      ...(msg.bcc?.length ? [`Bcc: ${addr(msg.bcc)}`] : []),
      `Subject: ${msg.subject}`,
      'MIME-Version: 1.0',
      `Content-Type: ${html ? 'text/html' : 'text/plain'}; charset=utf-8`,
      '',
      msg.body,
      '',
    ].join('\r\n');
  }

  private delta(folderRef: string, url: URL, req: import('node:http').IncomingMessage, send: (s: number, v: unknown, h?: Record<string, string>) => void): void {
    const f = this.resolveFolder(folderRef);
    if (!f) return send(404, { error: { code: 'ErrorFolderNotFound', message: 'The specified folder could not be found in the store.' } });
    const q = url.searchParams;
    const max = Number(/odata\.maxpagesize=(\d+)/.exec(String(req.headers.prefer ?? ''))?.[1] ?? 10);
    const token = q.get('$deltatoken') ?? q.get('$skiptoken');
    let since = 0;
    let offset = 0;
    let until = this.seq;
    if (token) {
      const t = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { g: number; since: number; until?: number; offset?: number; f: string };
      if (t.g !== this.deltaGeneration || t.f !== f.id) {
        return send(410, { error: { code: 'syncStateNotFound', message: 'The sync state generation is not found. Sync from scratch.' } });
      }
      since = t.since;
      offset = t.offset ?? 0;
      until = t.until ?? this.seq;
    }
    const changed: Array<Record<string, unknown>> = [...this.messages.values()]
      .filter((m) => m.folderId === f.id && m.seq > since && m.seq <= until)
      .sort((a, b) => a.seq - b.seq)
      .map((m) => this.messageJson(m));
    const removed = since === 0 ? [] : this.removals.filter((r) => r.folderId === f.id && r.seq > since && r.seq <= until && !changed.some((c) => c.id === r.id));
    const rows = [...changed, ...removed.map((r) => ({ '@odata.type': '#microsoft.graph.message', id: r.id, '@removed': { reason: 'deleted' } }))];
    const page = rows.slice(offset, offset + max);
    const base = `${this.base}/v1.0/me/mailFolders/${encodeURIComponent(f.id)}/messages/delta`;
    const out: Record<string, unknown> = { value: page };
    if (offset + max < rows.length) {
      out['@odata.nextLink'] = `${base}?$skiptoken=${b64url(JSON.stringify({ g: this.deltaGeneration, f: f.id, since, until, offset: offset + max }))}`;
    } else {
      out['@odata.deltaLink'] = `${base}?$deltatoken=${b64url(JSON.stringify({ g: this.deltaGeneration, f: f.id, since: until }))}`;
    }
    send(200, out);
  }
}

/**
 * The test's "browser": loads the authorize URL (trusting the fake server's certificate)
 * and submits its form_post answer to MSAL's loopback listener, as a browser would.
 */
export async function simulateBrowser(authorizeUrl: string, ca: string): Promise<{ posted: Record<string, string> }> {
  const html = await new Promise<string>((resolve, reject) => {
    https
      .get(authorizeUrl, { ca }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
        res.on('error', reject);
      })
      .on('error', reject);
  });
  const action = /<form method="post" action="([^"]+)"/.exec(html)?.[1];
  if (!action) throw new Error(`the authorize page has no form: ${html.slice(0, 200)}`);
  const posted: Record<string, string> = {};
  for (const m of html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) posted[m[1]] = m[2].replace(/&quot;/g, '"').replace(/&amp;/g, '&');
  const r = await fetch(action, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(posted).toString() });
  await r.text();
  return { posted };
}
