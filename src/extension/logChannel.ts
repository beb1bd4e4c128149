/**
 * Core's Logger onto a LogOutputChannel, so the user can raise the level with
 * "Developer: Set Log Level…" and core lines carry their account/connection tags.
 */
import * as vscode from 'vscode';
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

/** The level the channel shows now (the engine sends lines at or above it). */
export function channelLevel(channel: vscode.LogOutputChannel): LogLevel {
  switch (channel.logLevel) {
    case vscode.LogLevel.Trace:
      return 'trace';
    case vscode.LogLevel.Debug:
      return 'debug';
    case vscode.LogLevel.Warning:
      return 'warn';
    case vscode.LogLevel.Error:
    case vscode.LogLevel.Off:
      return 'error';
    default:
      return 'info';
  }
}

/** An engine log line onto the channel, which adds its own time and level. */
export function engineLogLine(channel: vscode.LogOutputChannel): (line: string, level: LogLevel) => void {
  const logger = channelLogger(channel);
  // formatLogLine's "<ISO time> <LEVEL> " prefix: the channel writes both itself.
  return (line, level) => logger.log(level, line.replace(/^\S+ [A-Z]+ /, ''));
}
