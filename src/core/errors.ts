/**
 * One error type leaves every provider: a stable `code`, whether retrying can help,
 * whether the cause is being offline, the provider's own words and the cause.
 * The scheduler decides back-off from `retryable`; Troubleshoot and the CLI print
 * `describeError(code)` so a user reads the problem and the fix, never a stack trace.
 * Its words go through `l10n.t` (@vscode/l10n): English unless a bundle was configured.
 */
import * as l10n from '@vscode/l10n';

export type MailErrorCode =
  | 'config.invalid'
  | 'config.unknownAccount'
  | 'config.missingPassword'
  | 'oauth.notConfigured'
  | 'auth.failed'
  | 'auth.expired'
  | 'auth.reauthRequired'
  | 'auth.accessDenied'
  | 'net.dns'
  | 'net.refused'
  | 'net.timeout'
  | 'net.reset'
  | 'net.tls'
  | 'server.unavailable'
  | 'server.rateLimited'
  | 'server.protocol'
  | 'folder.notFound'
  | 'folder.reset'
  | 'send.rejected'
  | 'send.tempFailure'
  | 'send.tooLarge'
  | 'store.corrupt'
  | 'store.saveFailed'
  | 'agent.refused'
  | 'internal';

export interface MailErrorOptions {
  retryable?: boolean;
  offline?: boolean;
  providerMessage?: string;
  cause?: unknown;
  /** Seconds the provider asked us to wait (Retry-After). */
  retryAfter?: number;
  /** The fix, when it depends on where the error happened (e.g. the outgoing server's login). */
  remedy?: string;
}

/**
 * Marks a MailError of any copy of this module. VS Code's extension loads some code as bundles
 * of their own (scripts/extensionBundles.mjs), each with its own copy of this class, and an
 * error thrown in one is caught in another: `instanceof MailError` must still hold there.
 */
const MAIL_ERROR = Symbol.for('maildesk.MailError');

export class MailError extends Error {
  /** Any copy's MailError is a MailError; a subclass (OdooRpcError) keeps the usual check. */
  static [Symbol.hasInstance](v: unknown): boolean {
    if (this !== MailError) return Function.prototype[Symbol.hasInstance].call(this, v);
    return typeof v === 'object' && v !== null && (v as { [MAIL_ERROR]?: unknown })[MAIL_ERROR] === true;
  }

  readonly code: MailErrorCode;
  readonly retryable: boolean;
  readonly offline: boolean;
  readonly providerMessage?: string;
  readonly retryAfter?: number;
  readonly remedy: string;
  override readonly cause?: unknown;

  constructor(code: MailErrorCode, message: string, opts: MailErrorOptions = {}) {
    super(message);
    this.name = 'MailError';
    this.code = code;
    this.retryable = opts.retryable ?? DEFAULT_RETRYABLE.has(code);
    this.offline = opts.offline ?? code.startsWith('net.');
    this.providerMessage = opts.providerMessage;
    this.retryAfter = opts.retryAfter;
    this.remedy = opts.remedy ?? describeError(code).remedy;
    this.cause = opts.cause;
    Object.defineProperty(this, MAIL_ERROR, { value: true });
  }

  /** "problem. fix" in one line, for notifications and the CLI. */
  describe(): string {
    return `${this.message}. ${this.remedy}`;
  }
}

const DEFAULT_RETRYABLE = new Set<MailErrorCode>([
  'net.dns',
  'net.refused',
  'net.timeout',
  'net.reset',
  'server.unavailable',
  'server.rateLimited',
  'send.tempFailure',
]);

export interface ErrorDescription {
  title: string;
  remedy: string;
  /** Section of the troubleshooting guide that covers it. */
  section: string;
}

/**
 * Built on each lookup, not at load: the words are in the language of the l10n bundle, which
 * the engine's worker and the extension load after this module (English without one).
 */
const table = (): Record<MailErrorCode, ErrorDescription> => ({
  'config.invalid': {
    title: l10n.t('The configuration is not valid'),
    remedy: l10n.t('Fix the named field in the configuration file and run the command again'),
    section: 'Mailbox is disconnected',
  },
  'config.unknownAccount': {
    title: l10n.t('No such account'),
    remedy: l10n.t('Use one of the account ids from the configuration file (`maildesk accounts`)'),
    section: 'Mailbox is disconnected',
  },
  'config.missingPassword': {
    title: l10n.t('The password is not available'),
    remedy: l10n.t('Set the environment variable named by passwordEnv, or enter the password again in VS Code'),
    section: 'Mailbox is disconnected',
  },
  'oauth.notConfigured': {
    title: l10n.t('OAuth not configured'),
    remedy: l10n.t('An administrator must set the provider client credentials, then start the sign-in again'),
    section: 'OAuth and re-authorization',
  },
  'auth.failed': {
    title: l10n.t('Login failed'),
    remedy: l10n.t('Check the user name and password (a recently changed password must be entered again), then use Test Incoming Server'),
    section: 'Mailbox is disconnected',
  },
  'auth.expired': {
    title: l10n.t('Authorization expired'),
    remedy: l10n.t('Sign in to the provider again; no synced mail is lost'),
    section: 'OAuth and re-authorization',
  },
  'auth.reauthRequired': {
    title: l10n.t('Re-authorization required'),
    remedy: l10n.t('Sign in to the provider again; no synced mail is lost'),
    section: 'OAuth and re-authorization',
  },
  'auth.accessDenied': {
    title: l10n.t('Access denied'),
    remedy: l10n.t('Accept the requested permissions during sign-in; on Microsoft 365 an administrator must grant tenant admin consent'),
    section: 'OAuth and re-authorization',
  },
  'net.dns': {
    title: l10n.t('The server name could not be resolved'),
    remedy: l10n.t('Check the host name in the account settings and that this machine can reach the internet'),
    section: 'Mailbox is disconnected',
  },
  'net.refused': {
    title: l10n.t('The server refused the connection'),
    remedy: l10n.t('Check the host, port and security setting; the server may be down or a firewall may block the port'),
    section: 'Mailbox is disconnected',
  },
  'net.timeout': {
    title: l10n.t('The server did not answer in time'),
    remedy: l10n.t('Check the network and firewall; MailDesk retries automatically'),
    section: 'How synchronisation behaves under failure',
  },
  'net.reset': {
    title: l10n.t('The connection was dropped'),
    remedy: l10n.t('MailDesk retries automatically; if it persists, check the network'),
    section: 'How synchronisation behaves under failure',
  },
  'net.tls': {
    title: l10n.t('The secure connection failed'),
    remedy: l10n.t('Check the security setting (TLS, STARTTLS or none) and the server certificate (valid, not expired, matching the host name)'),
    section: 'Mailbox is disconnected',
  },
  'server.unavailable': {
    title: l10n.t('The server is temporarily unavailable'),
    remedy: l10n.t('MailDesk retries automatically with a back-off; give it a sync cycle or two'),
    section: 'How synchronisation behaves under failure',
  },
  'server.rateLimited': {
    title: l10n.t('The provider is rate-limiting this account'),
    remedy: l10n.t('MailDesk waits and retries automatically; try again in a minute'),
    section: 'Authorization succeeds but mail does not sync',
  },
  'server.protocol': {
    title: l10n.t('The server answered something unexpected'),
    remedy: l10n.t('Run MailDesk: Troubleshoot and send the support report to support'),
    section: 'When to contact support',
  },
  'folder.notFound': {
    title: l10n.t('The folder no longer exists on the server'),
    remedy: l10n.t('Open Select Folders for Sync and pick the folders that exist'),
    section: 'A folder shows "0 emails"',
  },
  'folder.reset': {
    title: l10n.t('The provider reset the folder'),
    remedy: l10n.t('Nothing to do: MailDesk re-fetches the folder from scratch and keeps local drafts'),
    section: 'How synchronisation behaves under failure',
  },
  'send.rejected': {
    title: l10n.t('The outgoing server refused the message'),
    remedy: l10n.t('The message stays in Drafts; check the recipients and the outgoing server settings (Test Outgoing Server), then send again'),
    section: 'If sending failed',
  },
  'send.tempFailure': {
    title: l10n.t('The outgoing server failed temporarily'),
    remedy: l10n.t('The message stays in Drafts; MailDesk retries a few times, then you can send again'),
    section: 'If sending failed',
  },
  'send.tooLarge': {
    title: l10n.t('The message is too large for the outgoing server'),
    remedy: l10n.t('The message stays in Drafts; the error names the limit: remove or shrink attachments (or shorten a very long text) and send again'),
    section: 'If sending failed',
  },
  'store.corrupt': {
    title: l10n.t('The local mail store could not be read'),
    remedy: l10n.t('Move the data folder aside and sync again; the mail is still on the server'),
    section: 'When to contact support',
  },
  'store.saveFailed': {
    title: l10n.t('The local mail store could not be written'),
    remedy: l10n.t('Free space on the disk that holds the MailDesk data folder (or make the folder writable again), then run MailDesk: Troubleshoot; MailDesk writes again with the next change, and mail on the server is not affected'),
    section: 'When to contact support',
  },
  'agent.refused': {
    title: l10n.t('The agent tools refused this request'),
    remedy: l10n.t('The message says which switch or mailbox setting hides the mail from agents (MailDesk: Troubleshoot, check agent.tools, shows them all)'),
    section: 'MailDesk AI',
  },
  internal: {
    title: l10n.t('Something went wrong inside MailDesk'),
    remedy: l10n.t('Run MailDesk: Troubleshoot and send the support report to support'),
    section: 'When to contact support',
  },
});

export function describeError(code: MailErrorCode): ErrorDescription {
  return table()[code];
}

export function isMailError(e: unknown): e is MailError {
  return e instanceof MailError;
}

/**
 * Turns whatever a socket, imapflow or nodemailer threw into a MailError,
 * keeping the original as `cause` and its text as `providerMessage`.
 */
export function toMailError(e: unknown, context = ''): MailError {
  if (e instanceof MailError) return e;
  const err = (e ?? {}) as Record<string, unknown>;
  const code = typeof err.code === 'string' ? err.code : '';
  const msg = e instanceof Error ? e.message : String(e);
  const where = context ? `${context}: ` : '';
  const pm = [msg, err.response, err.responseText].filter((x) => typeof x === 'string' && x).join(' | ');
  const opts = { cause: e, providerMessage: pm || undefined };
  // A server that says it cannot serve now (RFC 5530's UNAVAILABLE and INUSE, or in words), before
  // the login check: a refused login is not always the password. Dovecot answers NO [UNAVAILABLE]
  // "Temporary authentication failure" while its auth process starts or its user database is down,
  // and imapflow marks every refused LOGIN authenticationFailed.
  const responseCode = typeof err.serverResponseCode === 'string' ? err.serverResponseCode.toUpperCase() : '';
  if (responseCode === 'UNAVAILABLE' || responseCode === 'INUSE' || /\[UNAVAILABLE\]|\[INUSE\]|temporary authentication failure|try again later/i.test(pm)) {
    return new MailError('server.unavailable', l10n.t('{0}server temporarily unavailable', where), opts);
  }
  if (err.authenticationFailed === true || code === 'EAUTH' || /AUTHENTICATIONFAILED|authentication failed|invalid credentials|535/i.test(msg + ' ' + String(err.responseText ?? '') + String(err.response ?? ''))) {
    return new MailError('auth.failed', l10n.t('{0}the server rejected the user name or password', where), opts);
  }
  // imapflow: no TCP connection, no greeting, or no byte during a command in time.
  // Its greeting-timeout text guesses at TLS ("Maybe should use TLS?"): silence says nothing about TLS.
  if (code === 'GREETING_TIMEOUT') return new MailError('net.timeout', l10n.t('{0}the server accepted the connection but sent no greeting in time', where), { cause: e });
  if (code === 'CONNECT_TIMEOUT' || code === 'ETIMEOUT') return new MailError('net.timeout', l10n.t('{0}timed out ({1})', where, msg), opts);
  // imapflow: the server closed the connection before the session began.
  if (code === 'ClosedAfterConnectText' || code === 'ClosedAfterConnectTLS') return new MailError('net.reset', l10n.t('{0}the server closed the connection', where), opts);
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EDNS') return new MailError('net.dns', l10n.t('{0}cannot resolve the host name', where), opts);
  if (code === 'ECONNREFUSED') return new MailError('net.refused', l10n.t('{0}connection refused', where), opts);
  if (code === 'ETIMEDOUT' || code === 'ETIMEOUT' || code === 'NoConnection' && /timeout/i.test(msg) || /timed? ?out/i.test(msg)) {
    return new MailError('net.timeout', l10n.t('{0}timed out', where), opts);
  }
  if (code === 'ECONNRESET' || code === 'EPIPE' || code === 'NoConnection' || code === 'ECONNECTION' || /connection (closed|not available)|socket closed/i.test(msg)) {
    return new MailError('net.reset', l10n.t('{0}connection lost', where), opts);
  }
  if (code === 'ETLS' || /certificate|self[- ]signed|ssl|tls|wrong version number|altnames/i.test(msg) || code.startsWith('ERR_TLS') || code.startsWith('CERT_') || code === 'DEPTH_ZERO_SELF_SIGNED_CERT' || code === 'SELF_SIGNED_CERT_IN_CHAIN' || code === 'UNABLE_TO_VERIFY_LEAF_SIGNATURE') {
    return new MailError('net.tls', l10n.t('{0}secure connection failed ({1})', where, msg), opts);
  }
  if (/\[NONEXISTENT\]|mailbox doesn't exist|Mailbox does not exist|no such mailbox/i.test(msg + String(err.responseText ?? ''))) {
    return new MailError('folder.notFound', l10n.t('{0}folder does not exist on the server', where), opts);
  }
  return new MailError('internal', `${where}${msg}`, { ...opts, retryable: false });
}
