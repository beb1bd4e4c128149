/**
 * One error type leaves every provider: a stable `code`, whether retrying can help,
 * whether the cause is being offline, the provider's own words and the cause.
 * The scheduler decides back-off from `retryable`; Troubleshoot and the CLI print
 * `describeError(code)` so a user reads the problem and the fix, never a stack trace.
 */
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

const TABLE: Record<MailErrorCode, ErrorDescription> = {
  'config.invalid': {
    title: 'The configuration is not valid',
    remedy: 'Fix the named field in the configuration file and run the command again',
    section: 'Mailbox is disconnected',
  },
  'config.unknownAccount': {
    title: 'No such account',
    remedy: 'Use one of the account ids from the configuration file (`maildesk accounts`)',
    section: 'Mailbox is disconnected',
  },
  'config.missingPassword': {
    title: 'The password is not available',
    remedy: 'Set the environment variable named by passwordEnv, or enter the password again in VS Code',
    section: 'Mailbox is disconnected',
  },
  'oauth.notConfigured': {
    title: 'OAuth not configured',
    remedy: 'An administrator must set the provider client credentials, then start the sign-in again',
    section: 'OAuth and re-authorization',
  },
  'auth.failed': {
    title: 'Login failed',
    remedy: 'Check the user name and password (a recently changed password must be entered again), then use Test Incoming Server',
    section: 'Mailbox is disconnected',
  },
  'auth.expired': {
    title: 'Authorization expired',
    remedy: 'Sign in to the provider again; no synced mail is lost',
    section: 'OAuth and re-authorization',
  },
  'auth.reauthRequired': {
    title: 'Re-authorization required',
    remedy: 'Sign in to the provider again; no synced mail is lost',
    section: 'OAuth and re-authorization',
  },
  'auth.accessDenied': {
    title: 'Access denied',
    remedy: 'Accept the requested permissions during sign-in; on Microsoft 365 an administrator must grant tenant admin consent',
    section: 'OAuth and re-authorization',
  },
  'net.dns': {
    title: 'The server name could not be resolved',
    remedy: 'Check the host name in the account settings and that this machine can reach the internet',
    section: 'Mailbox is disconnected',
  },
  'net.refused': {
    title: 'The server refused the connection',
    remedy: 'Check the host, port and security setting; the server may be down or a firewall may block the port',
    section: 'Mailbox is disconnected',
  },
  'net.timeout': {
    title: 'The server did not answer in time',
    remedy: 'Check the network and firewall; MailDesk retries automatically',
    section: 'How synchronisation behaves under failure',
  },
  'net.reset': {
    title: 'The connection was dropped',
    remedy: 'MailDesk retries automatically; if it persists, check the network',
    section: 'How synchronisation behaves under failure',
  },
  'net.tls': {
    title: 'The secure connection failed',
    remedy: 'Check the security setting (TLS, STARTTLS or none) and the server certificate (valid, not expired, matching the host name)',
    section: 'Mailbox is disconnected',
  },
  'server.unavailable': {
    title: 'The server is temporarily unavailable',
    remedy: 'MailDesk retries automatically with a back-off; give it a sync cycle or two',
    section: 'How synchronisation behaves under failure',
  },
  'server.rateLimited': {
    title: 'The provider is rate-limiting this account',
    remedy: 'MailDesk waits and retries automatically; try again in a minute',
    section: 'Authorization succeeds but mail does not sync',
  },
  'server.protocol': {
    title: 'The server answered something unexpected',
    remedy: 'Run MailDesk: Troubleshoot and send the support report to support',
    section: 'When to contact support',
  },
  'folder.notFound': {
    title: 'The folder no longer exists on the server',
    remedy: 'Open Select Folders for Sync and pick the folders that exist',
    section: 'A folder shows "0 emails"',
  },
  'folder.reset': {
    title: 'The provider reset the folder',
    remedy: 'Nothing to do: MailDesk re-fetches the folder from scratch and keeps local drafts',
    section: 'How synchronisation behaves under failure',
  },
  'send.rejected': {
    title: 'The outgoing server refused the message',
    remedy: 'The message stays in Drafts; check the recipients and the outgoing server settings (Test Outgoing Server), then send again',
    section: 'If sending failed',
  },
  'send.tempFailure': {
    title: 'The outgoing server failed temporarily',
    remedy: 'The message stays in Drafts; MailDesk retries a few times, then you can send again',
    section: 'If sending failed',
  },
  'send.tooLarge': {
    title: 'The message is too large for the outgoing server',
    remedy: 'The message stays in Drafts; remove or shrink attachments and send again',
    section: 'If sending failed',
  },
  'store.corrupt': {
    title: 'The local mail store could not be read',
    remedy: 'Move the data folder aside and sync again; the mail is still on the server',
    section: 'When to contact support',
  },
  'store.saveFailed': {
    title: 'The local mail store could not be saved',
    remedy: 'Free space on the disk that holds the MailDesk data folder (or make the folder writable again), then run MailDesk: Troubleshoot; MailDesk saves again with the next change, and mail on the server is not affected',
    section: 'When to contact support',
  },
  'agent.refused': {
    title: 'The agent tools refused this request',
    remedy: 'The message says which switch or mailbox setting hides the mail from agents (MailDesk: Troubleshoot, check agent.tools, shows them all)',
    section: 'MailDesk AI',
  },
  internal: {
    title: 'Something went wrong inside MailDesk',
    remedy: 'Run MailDesk: Troubleshoot and send the support report to support',
    section: 'When to contact support',
  },
};

export function describeError(code: MailErrorCode): ErrorDescription {
  return TABLE[code];
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
  if (err.authenticationFailed === true || code === 'EAUTH' || /AUTHENTICATIONFAILED|authentication failed|invalid credentials|535/i.test(msg + ' ' + String(err.responseText ?? '') + String(err.response ?? ''))) {
    return new MailError('auth.failed', `${where}the server rejected the user name or password`, opts);
  }
  // imapflow: no TCP connection, no greeting, or no byte during a command in time.
  // Its greeting-timeout text guesses at TLS ("Maybe should use TLS?"): silence says nothing about TLS.
  if (code === 'GREETING_TIMEOUT') return new MailError('net.timeout', `${where}the server accepted the connection but sent no greeting in time`, { cause: e });
  if (code === 'CONNECT_TIMEOUT' || code === 'ETIMEOUT') return new MailError('net.timeout', `${where}timed out (${msg})`, opts);
  // imapflow: the server closed the connection before the session began.
  if (code === 'ClosedAfterConnectText' || code === 'ClosedAfterConnectTLS') return new MailError('net.reset', `${where}the server closed the connection`, opts);
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EDNS') return new MailError('net.dns', `${where}cannot resolve the host name`, opts);
  if (code === 'ECONNREFUSED') return new MailError('net.refused', `${where}connection refused`, opts);
  if (code === 'ETIMEDOUT' || code === 'ETIMEOUT' || code === 'NoConnection' && /timeout/i.test(msg) || /timed? ?out/i.test(msg)) {
    return new MailError('net.timeout', `${where}timed out`, opts);
  }
  if (code === 'ECONNRESET' || code === 'EPIPE' || code === 'NoConnection' || code === 'ECONNECTION' || /connection (closed|not available)|socket closed/i.test(msg)) {
    return new MailError('net.reset', `${where}connection lost`, opts);
  }
  if (code === 'ETLS' || /certificate|self[- ]signed|ssl|tls|wrong version number|altnames/i.test(msg) || code.startsWith('ERR_TLS') || code.startsWith('CERT_') || code === 'DEPTH_ZERO_SELF_SIGNED_CERT' || code === 'SELF_SIGNED_CERT_IN_CHAIN' || code === 'UNABLE_TO_VERIFY_LEAF_SIGNATURE') {
    return new MailError('net.tls', `${where}secure connection failed (${msg})`, opts);
  }
  if (/\[UNAVAILABLE\]|\[INUSE\]|try again later/i.test(msg + String(err.responseText ?? ''))) {
    return new MailError('server.unavailable', `${where}server temporarily unavailable`, opts);
  }
  if (/\[NONEXISTENT\]|mailbox doesn't exist|Mailbox does not exist|no such mailbox/i.test(msg + String(err.responseText ?? ''))) {
    return new MailError('folder.notFound', `${where}folder does not exist on the server`, opts);
  }
  return new MailError('internal', `${where}${msg}`, { ...opts, retryable: false });
}
