import * as net from 'node:net';
import { freePort } from './ports';

/**
 * A fake IMAP server on 127.0.0.1 that misbehaves the way broken or hostile servers do, for the
 * tests of the connection limits (src/core/limits.ts). Until the misbehaviour starts it speaks
 * just enough IMAP for imapflow to log in (CAPABILITY, LOGIN, ID, ENABLE, NOOP, LOGOUT).
 *
 * - silent: accepts the connection and never says a word (not even a greeting);
 * - greetThenSilent: greets, then never answers anything;
 * - stall: logs in, then never answers the first command after the login;
 * - garbage: logs in, then answers the next command with lines that are not IMAP, without end;
 * - noLineEnd: logs in, then answers with bytes that never end a line, without end;
 * - endlessLiteral: logs in, then announces a literal of ~1 GB and streams it, without end;
 * - closeAfterLogin: logs in, then drops the connection on the next command.
 */
export type HostileMode = 'silent' | 'greetThenSilent' | 'stall' | 'garbage' | 'noLineEnd' | 'endlessLiteral' | 'closeAfterLogin';

export interface HostileImap {
  host: '127.0.0.1';
  port: number;
  /** Bytes written to clients so far (what the server managed to push). */
  bytesSent(): number;
  stop(): Promise<void>;
}

const CAPS = 'IMAP4rev1 ID ENABLE LITERAL+ AUTH=PLAIN';

export async function startHostileImap(mode: HostileMode): Promise<HostileImap> {
  const port = await freePort();
  const sockets = new Set<net.Socket>();
  let sent = 0;
  let stopped = false;

  /**
   * Writes `chunk()` for as long as the client reads, one chunk per turn of the event loop:
   * the client runs in this process too and must get its turns to read.
   */
  const flood = (sock: net.Socket, chunk: () => Buffer): void => {
    const pump = (): void => {
      if (stopped || sock.destroyed) return;
      const b = chunk();
      sent += b.length;
      if (sock.write(b)) setImmediate(pump);
      else sock.once('drain', pump);
    };
    pump();
  };

  const server = net.createServer((sock) => {
    sockets.add(sock);
    sock.on('close', () => sockets.delete(sock));
    sock.on('error', () => undefined);
    if (mode === 'silent') return;
    const write = (s: string): void => {
      sent += s.length;
      sock.write(s);
    };
    write(`* OK [CAPABILITY ${CAPS}] hostile test server ready\r\n`);
    if (mode === 'greetThenSilent') return;
    let loggedIn = false;
    let misbehaving = false;
    let buf = '';
    sock.on('data', (d: Buffer) => {
      if (misbehaving) return;
      buf += d.toString('latin1');
      let nl: number;
      while (!misbehaving && (nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl).replace(/\r$/, '');
        buf = buf.slice(nl + 1);
        const [tag, cmdRaw] = line.split(' ');
        const cmd = (cmdRaw ?? '').toUpperCase();
        if (cmd === 'CAPABILITY') write(`* CAPABILITY ${CAPS}\r\n${tag} OK done\r\n`);
        else if (cmd === 'ID') write(`* ID ("name" "Hostile" "version" "0.1")\r\n${tag} OK done\r\n`);
        else if (cmd === 'ENABLE' || cmd === 'NOOP') write(`${tag} OK done\r\n`);
        else if (cmd === 'LOGOUT') {
          write(`* BYE bye\r\n${tag} OK done\r\n`);
          sock.end();
        } else if (cmd === 'LOGIN' || cmd === 'AUTHENTICATE') {
          loggedIn = true;
          write(`${tag} OK [CAPABILITY ${CAPS}] logged in\r\n`);
        } else if (!loggedIn) write(`${tag} BAD log in first\r\n`);
        else {
          misbehaving = true;
          startMisbehaving(sock, tag);
        }
      }
    });
  });

  const startMisbehaving = (sock: net.Socket, tag: string): void => {
    if (mode === 'stall') return;
    if (mode === 'closeAfterLogin') {
      sock.destroy();
      return;
    }
    if (mode === 'garbage') {
      let n = 0;
      const lines = (): Buffer => Buffer.from(Array.from({ length: 500 }, () => `%%%% this is not IMAP ${n++} ((("\r\n`).join(''), 'latin1');
      flood(sock, lines);
      return;
    }
    if (mode === 'noLineEnd') {
      const block = Buffer.alloc(64 * 1024, 'x');
      flood(sock, () => block);
      return;
    }
    if (mode === 'endlessLiteral') {
      sent += 40;
      sock.write(`* LIST () "/" {999999999}\r\n`);
      const block = Buffer.alloc(64 * 1024, 'y');
      flood(sock, () => block);
      return;
    }
    void tag;
  };

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return {
    host: '127.0.0.1',
    port,
    bytesSent: () => sent,
    stop: () =>
      new Promise<void>((resolve) => {
        stopped = true;
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
