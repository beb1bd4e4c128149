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

/** Keeps the last N lines for Troubleshoot, forwarding each to an inner logger. */
export class RecentLog implements Logger {
  private readonly lines: LogLine[] = [];
  constructor(private readonly inner: Logger = noopLogger, private readonly max = 500) {}
  log(level: LogLevel, msg: string, fields?: LogFields): void {
    this.lines.push({ time: new Date().toISOString(), level, msg, fields });
    if (this.lines.length > this.max) this.lines.splice(0, this.lines.length - this.max);
    this.inner.log(level, msg, fields);
  }
  recent(): LogLine[] {
    return this.lines.slice();
  }
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
export function imapflowLogger(logger: Logger, fields: LogFields): Record<string, (o: unknown) => void> {
  const mk = (level: LogLevel) => (o: unknown) => {
    const obj = (o ?? {}) as Record<string, unknown>;
    // Never forward raw protocol lines: they can hold credentials.
    const msg = typeof obj.msg === 'string' ? obj.msg : '';
    if (msg) logger.log(level, msg, { ...fields, cid: obj.cid as string | undefined });
  };
  return { debug: () => {}, info: mk('debug'), warn: mk('warn'), error: mk('error') };
}
