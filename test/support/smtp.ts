import { SMTPServer, type SMTPServerOptions, type SMTPServerSession } from 'smtp-server';
import { ImapFlow } from 'imapflow';
import { freePort } from './ports';

/**
 * An in-process SMTP server (npm smtp-server) on 127.0.0.1 for tests of sending, with AUTH,
 * a size limit, scripted faults, and optionally a provider-style copy into the Sent folder.
 */

export type SmtpFault =
  | { kind: 'none' }
  | { kind: 'rejectRcpt'; code: number; message: string }
  /** Reply `code` to DATA; with `times`, fail that many DATA attempts and accept after. */
  | { kind: 'rejectData'; code: number; message: string; times?: number }
  /** Read the whole message, then destroy the socket without any reply. */
  | { kind: 'dropAfterData' }
  /** Refuse every login, even with the right password (535). */
  | { kind: 'rejectAuth' };

export interface SmtpOptions {
  /** user -> password; default { alice: 'secret', bob: 'secret' } */
  users?: Record<string, string>;
  /** Accept mail without AUTH (default false: AUTH is required, like a submission server). */
  authOptional?: boolean;
  /** A relay: no AUTH in EHLO, "500 command not recognized" to AUTH, mail accepted without it. */
  noAuth?: boolean;
  /** Advertised SIZE limit in bytes; bigger messages get 552. */
  size?: number;
  /** Act like Gmail/Outlook: APPEND every accepted message to the user's Sent folder in Dovecot. */
  saveToSent?: { imapPort: number; user: string; password: string; folder?: string };
  fault?: SmtpFault;
  /** Implicit TLS with this key and certificate (PEM). Plain text without it. */
  tls?: { key: string; cert: string };
}

export interface ReceivedMail {
  from: string;
  to: string[];
  raw: Buffer;
  messageId?: string;
  /** The AUTH user of the session, if any. */
  user?: string;
}

export interface SmtpServer {
  host: '127.0.0.1';
  port: number;
  /** Messages accepted (250 to DATA), in order. */
  received: ReceivedMail[];
  /** Number of DATA attempts, accepted or not. */
  attempts: number;
  setFault(f: SmtpFault): void;
  stop(): Promise<void>;
}

type CodedError = Error & { responseCode: number };

function smtpError(code: number, message: string): CodedError {
  return Object.assign(new Error(message), { responseCode: code });
}

function headerValue(raw: Buffer, name: string): string | undefined {
  const text = raw.subarray(0, Math.min(raw.length, 65_536)).toString('utf8');
  const end = text.search(/\r?\n\r?\n/);
  const head = (end >= 0 ? text.slice(0, end) : text).replace(/\r?\n[ \t]+/g, ' ');
  const m = new RegExp(`^${name}:[ \\t]*(.*)$`, 'im').exec(head);
  return m ? m[1].trim() : undefined;
}

// smtp-server keeps its connections in a Set of objects with the session id and socket.
interface ConnectionInternals {
  id: string;
  _socket?: { destroy(): void };
}

/** Start an SMTP server on a free 127.0.0.1 port. */
export async function startSmtp(opts: SmtpOptions = {}): Promise<SmtpServer> {
  const users = opts.users ?? { alice: 'secret', bob: 'secret' };
  let fault: SmtpFault = opts.fault ?? { kind: 'none' };
  let rejectedSoFar = 0;
  const port = await freePort();

  const state: SmtpServer = {
    host: '127.0.0.1',
    port,
    received: [],
    attempts: 0,
    setFault(f) {
      fault = f;
      rejectedSoFar = 0;
    },
    stop: () => Promise.resolve(),
  };

  const saveToSent = async (raw: Buffer): Promise<void> => {
    const s = opts.saveToSent;
    if (!s) return;
    const client = new ImapFlow({
      host: '127.0.0.1',
      port: s.imapPort,
      secure: false,
      doSTARTTLS: false,
      auth: { user: s.user, pass: s.password },
      logger: false,
    });
    await client.connect();
    try {
      await client.append(s.folder ?? 'Sent', raw, ['\\Seen']);
    } finally {
      await client.logout().catch(() => client.close());
    }
  };

  // Assigned once the options below exist; the closures read it later.
  // eslint-disable-next-line prefer-const
  let server: SMTPServer;
  const dropConnection = (session: SMTPServerSession): void => {
    for (const c of server.connections as Set<ConnectionInternals>) {
      if (c.id === session.id) c._socket?.destroy();
    }
  };

  const options: SMTPServerOptions = {
    secure: !!opts.tls,
    key: opts.tls?.key,
    cert: opts.tls?.cert,
    disabledCommands: [...(opts.tls ? [] : ['STARTTLS']), ...(opts.noAuth ? ['AUTH'] : [])],
    hideSTARTTLS: !opts.tls,
    allowInsecureAuth: true,
    authOptional: opts.noAuth || (opts.authOptional ?? false),
    authMethods: ['PLAIN', 'LOGIN'],
    size: opts.size,
    logger: false,
    // Tests stop servers with clients possibly still connected; do not wait 30 s for them.
    closeTimeout: 200,
    onAuth(auth, _session, callback) {
      if (fault.kind === 'rejectAuth' || users[auth.username ?? ''] !== auth.password || auth.password === undefined) {
        callback(smtpError(535, '5.7.8 Authentication credentials invalid'));
        return;
      }
      callback(null, { user: auth.username });
    },
    onRcptTo(_address, _session, callback) {
      if (fault.kind === 'rejectRcpt') {
        callback(smtpError(fault.code, fault.message));
        return;
      }
      callback();
    },
    onData(stream, session, callback) {
      state.attempts++;
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks);
        const f = fault;
        if (stream.sizeExceeded) {
          callback(smtpError(552, `5.3.4 Message exceeds the fixed size limit of ${opts.size} bytes`));
          return;
        }
        if (f.kind === 'dropAfterData') {
          dropConnection(session);
          return;
        }
        if (f.kind === 'rejectData' && (f.times === undefined || rejectedSoFar < f.times)) {
          rejectedSoFar++;
          callback(smtpError(f.code, f.message));
          return;
        }
        const mailFrom = session.envelope.mailFrom;
        const mail: ReceivedMail = {
          from: mailFrom ? mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          raw,
          messageId: headerValue(raw, 'Message-ID'),
          user: typeof session.user === 'string' ? session.user : undefined,
        };
        saveToSent(raw).then(
          () => {
            state.received.push(mail);
            callback(null, 'Ok: queued');
          },
          (e: unknown) => callback(smtpError(451, `4.3.0 could not save a copy to Sent: ${String(e)}`)),
        );
      });
    },
  };

  server = new SMTPServer(options);
  await new Promise<void>((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.server.removeListener('error', reject);
      resolve();
    });
  });
  // A socket error on one connection must not crash the test process.
  server.on('error', () => undefined);

  state.stop = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      for (const c of server.connections as Set<ConnectionInternals>) c._socket?.destroy();
    });
  return state;
}
