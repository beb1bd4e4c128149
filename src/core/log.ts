/**
 * Core takes a logger instead of printing: the CLI writes to stderr, the extension
 * to a LogOutputChannel, and both keep a recent buffer for the support report.
 */
export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error';

export interface LogFields {
  account?: string;
  folder?: string;
  conn?: string;
  [k: string]: unknown;
}

export interface Logger {
  log(level: LogLevel, msg: string, fields?: LogFields): void;
}

export const noopLogger: Logger = { log() {} };

export interface LogLine {
  time: string;
  level: LogLevel;
  msg: string;
  fields?: LogFields;
}

/**
 * Keeps the last N lines for Troubleshoot, forwarding each to an inner logger. A line
 * identical to the one before it (same level, text and fields) is counted, not repeated:
 * the count is written when a different line comes, and at 10, 100, 1000… repeats, so a
 * server failing the same way in a loop costs a few lines of log, not megabytes.
 */
export class RecentLog implements Logger {
  private readonly lines: LogLine[] = [];
  private last: { key: string; level: LogLevel; msg: string; fields?: LogFields } | undefined;
  private repeats = 0;
  constructor(private readonly inner: Logger = noopLogger, private readonly max = 500) {}
  log(level: LogLevel, msg: string, fields?: LogFields): void {
    const key = repeatKey(level, msg, fields);
    if (this.last && this.last.key === key) {
      this.repeats++;
      if (isPowerOfTen(this.repeats)) this.write(level, `(the line above repeated ${this.repeats} times so far) ${msg}`, fields);
      return;
    }
    this.flushRepeats();
    this.last = { key, level, msg, fields };
    this.write(level, msg, fields);
  }
  private flushRepeats(): void {
    if (this.last && this.repeats && !isPowerOfTen(this.repeats)) {
      this.write(this.last.level, `(the line above repeated ${this.repeats} times in all) ${this.last.msg}`, this.last.fields);
    }
    this.repeats = 0;
  }
  private write(level: LogLevel, msg: string, fields?: LogFields): void {
    this.lines.push({ time: new Date().toISOString(), level, msg, fields });
    if (this.lines.length > this.max) this.lines.splice(0, this.lines.length - this.max);
    this.inner.log(level, msg, fields);
  }
  recent(): LogLine[] {
    return this.lines.slice();
  }
}

function repeatKey(level: LogLevel, msg: string, fields?: LogFields): string {
  if (!fields) return `${level} ${msg}`;
  // The connection id differs per connection; the same failure on each is still a repeat.
  const { cid: _cid, ...rest } = fields;
  return `${level} ${msg} ${JSON.stringify(rest)}`;
}

function isPowerOfTen(n: number): boolean {
  return n >= 10 && /^10+$/.test(String(n));
}

const ORDER: Record<LogLevel, number> = { trace: 0, debug: 1, info: 2, warn: 3, error: 4 };

export function formatLogLine(level: LogLevel, msg: string, fields?: LogFields): string {
  const tags = fields
    ? Object.entries(fields)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
        .join(' ')
    : '';
  return `${new Date().toISOString()} ${level.toUpperCase()} ${msg}${tags ? ' ' + tags : ''}`;
}

export function streamLogger(write: (line: string) => void, min: LogLevel = 'info'): Logger {
  return {
    log(level, msg, fields) {
      if (ORDER[level] >= ORDER[min]) write(formatLogLine(level, msg, fields) + '\n');
    },
  };
}

/** Adapts imapflow's pino-style logger calls onto ours, tagged per connection. */
export function imapflowLogger(
  logger: Logger,
  fields: LogFields,
  hooks: { onUnparsed?: (bytes: number, sample: string) => boolean } = {},
): Record<string, (o: unknown) => void> {
  const mk = (level: LogLevel) => (o: unknown) => {
    const obj = (o ?? {}) as Record<string, unknown>;
    const msg = typeof obj.msg === 'string' ? obj.msg : '';
    if (obj.src === 's' && obj.err) {
      // A server line imapflow could not parse: its `msg` is the raw line. Only its size and a
      // short, printable start are kept, and the connection counts it (see connect.ts); once
      // it has given up on the server, the lines still in flight are not logged.
      const bytes = typeof obj.payloadBytes === 'number' ? obj.payloadBytes : msg.length;
      const sample = msg.slice(0, 40).replace(/[^\x20-\x7e]/g, '?');
      if (hooks.onUnparsed && !hooks.onUnparsed(bytes, sample)) return;
      logger.log('warn', `unparseable line from the server (${bytes} bytes): "${sample}"`, { ...fields, cid: obj.cid as string | undefined });
      return;
    }
    // Never forward raw protocol lines: they can hold credentials.
    if (msg && obj.src !== 's' && obj.src !== 'c') logger.log(level, msg, { ...fields, cid: obj.cid as string | undefined });
  };
  return { debug: () => {}, info: mk('debug'), warn: mk('warn'), error: mk('error') };
}
