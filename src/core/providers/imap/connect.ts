/**
 * Builds imapflow clients from an account's settings. Timeouts are short enough that a
 * dead server costs one timeout, not a hung job.
 */
import { ImapFlow, type ImapFlowOptions } from 'imapflow';
import type { ServerConfig } from '../../config';
import { imapflowLogger, type Logger } from '../../log';
import { parseInSlices } from './parseSlices';

export interface ImapConnectOptions {
  server: ServerConfig;
  password: string;
  logger: Logger;
  accountId: string;
  /** Enable QRESYNC so a re-selected folder reports what vanished since our modseq. */
  qresync?: boolean;
  timeoutMs?: number;
}

export function imapOptions(o: ImapConnectOptions): ImapFlowOptions {
  const s = o.server;
  const t = o.timeoutMs ?? 20_000;
  return {
    host: s.host,
    port: s.port,
    secure: s.security === 'tls',
    // 'none' means none: never upgrade, even if offered. 'starttls' insists on it.
    doSTARTTLS: s.security === 'starttls' ? true : s.security === 'none' ? false : undefined,
    auth: { user: s.user, pass: o.password },
    tls: { rejectUnauthorized: !s.allowInvalidCertificate, servername: /^[\d.]+$/.test(s.host) ? undefined : s.host },
    logger: imapflowLogger(o.logger, { account: o.accountId }) as unknown as ImapFlowOptions['logger'],
    qresync: o.qresync ?? true,
    connectionTimeout: t,
    greetingTimeout: t,
    socketTimeout: 5 * 60_000,
    disableAutoIdle: true,
  };
}

export async function connectImap(o: ImapConnectOptions): Promise<ImapFlow> {
  const client = new ImapFlow(imapOptions(o));
  // Big fetches are parsed in slices, so the editor stays responsive (see parseSlices.ts).
  parseInSlices(client);
  // An 'error' event without a listener would crash the process.
  client.on('error', (e: Error) => o.logger.log('warn', `IMAP connection error: ${e.message}`, { account: o.accountId }));
  await client.connect();
  return client;
}
