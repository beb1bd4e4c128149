/**
 * Core's Logger onto a LogOutputChannel, so the user can raise the level with
 * "Developer: Set Log Level…" and core lines carry their account/connection tags.
 */
import type * as vscode from 'vscode';
import type { LogFields, Logger, LogLevel } from '../core/log';

function tags(fields?: LogFields): string {
  if (!fields) return '';
  const parts = Object.entries(fields)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`);
  return parts.length ? ' ' + parts.join(' ') : '';
}

export function channelLogger(channel: vscode.LogOutputChannel): Logger {
  const write: Record<LogLevel, (line: string) => void> = {
    trace: (l) => channel.trace(l),
    debug: (l) => channel.debug(l),
    info: (l) => channel.info(l),
    warn: (l) => channel.warn(l),
    error: (l) => channel.error(l),
  };
  return {
    log(level, msg, fields) {
      write[level](msg + tags(fields));
    },
  };
}
