/**
 * Every bound MailDesk puts on a server's time and bytes, in one place: how long a connection
 * may take to open, greet and log in, how long a running command may go without a single byte,
 * and how much one line, one literal or one response may hold. The defaults are far beyond what
 * a working server needs (a user never meets them); a server that is silent, stalls, streams
 * without end or sends garbage meets them within seconds and gets a clear error instead of
 * holding a job, memory or the log for minutes. Tests pass small values through the options.
 */
export interface ConnectionLimits {
  /** TCP (and implicit TLS) connection set up. */
  connectMs: number;
  /** The server's first line after the connection is up. */
  greetingMs: number;
  /** From the greeting to a logged-in session (CAPABILITY, STARTTLS, LOGIN, ID, ENABLE): imapflow has no bound there. */
  loginMs: number;
  /** A command in flight that receives no byte for this long: the server is stuck or gone. */
  progressMs: number;
  /** Longest line (a response without a literal). A big SEARCH answer of 1M UIDs is ~8 MB. */
  maxLineBytes: number;
  /** Largest literal: above the largest message MailDesk parses, far below a GiB. */
  maxLiteralBytes: number;
  /** Largest single response (its lines and literals together). */
  maxResponseBytes: number;
  /** Lines that are not IMAP, on one connection, before the server is called broken. */
  maxUnparsedLines: number;
  /** SMTP: no byte for this long while a command is in flight. */
  smtpSocketMs: number;
  /** HTTP APIs (Graph): a whole request, headers to last byte. */
  httpRequestMs: number;
  /** HTTP APIs: a whole upload of a big message (Gmail's upload URI: up to 35 MB on a slow uplink). */
  httpUploadMs: number;
  /** HTTP APIs: the largest response body read into memory. */
  httpMaxResponseBytes: number;
}

const MiB = 1024 * 1024;

/**
 * Four times what the MIME parser reads of one message (DEFAULT_PARSE_LIMITS.maxBytes, 25 MiB;
 * a unit test keeps the two in step): a big message with base64 attachments still fits.
 */
const MAX_LITERAL = 100 * MiB;

export const DEFAULT_LIMITS: Readonly<ConnectionLimits> = Object.freeze({
  connectMs: 15_000,
  greetingMs: 15_000,
  loginMs: 30_000,
  progressMs: 120_000,
  maxLineBytes: 32 * MiB,
  maxLiteralBytes: MAX_LITERAL,
  maxResponseBytes: 2 * MAX_LITERAL + 32 * MiB,
  maxUnparsedLines: 100,
  smtpSocketMs: 120_000,
  httpRequestMs: 120_000,
  httpUploadMs: 30 * 60_000,
  httpMaxResponseBytes: MAX_LITERAL,
});

export function resolveLimits(over?: Partial<ConnectionLimits>): ConnectionLimits {
  const out: ConnectionLimits = { ...DEFAULT_LIMITS };
  for (const [k, v] of Object.entries(over ?? {}) as Array<[keyof ConnectionLimits, number | undefined]>) {
    if (typeof v === 'number' && Number.isFinite(v) && v > 0) out[k] = v;
  }
  return out;
}

/** "64 MiB", "512 KiB", "300 bytes": for error messages. */
export function formatBytes(n: number): string {
  if (n >= MiB && n % MiB === 0) return `${n / MiB} MiB`;
  if (n >= MiB) return `${(n / MiB).toFixed(1)} MiB`;
  if (n >= 1024) return `${Math.round(n / 1024)} KiB`;
  return `${n} bytes`;
}

export function formatSeconds(ms: number): string {
  return `${(ms / 1000).toFixed(ms % 1000 ? 1 : 0)} s`;
}
