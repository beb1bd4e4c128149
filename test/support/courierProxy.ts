import * as net from 'node:net';
import { freePort } from './ports';

/**
 * A proxy in front of the test Dovecot that behaves like Courier-IMAP where Courier differs, on
 * demand and every time. Real Courier runs in test/integration/courier.test.ts
 * (test/support/courier.ts); this proxy stays for what a real server shows only by chance or
 * never: a new UIDVALIDITY on every single STATUS (Courier's changes once a second), one that
 * never sticks, a refused APPEND, a connection dropped at a chosen command:
 *
 * - readOnlyAppend: APPEND while the connection has a mailbox EXAMINEd (read-only) is refused
 *   with `NO Current box is selected READ-ONLY`, until CLOSE, UNSELECT or a SELECT;
 * - unstableUidValidity: STATUS and EXAMINE report a new UIDVALIDITY every time for a folder
 *   that no connection has SELECTed read-write yet (Courier's UID database is saved by that);
 *   with `neverSaves`, even a SELECT does not make it stick;
 * - refuseAppend: every APPEND is refused (a Sent folder that takes no new messages);
 * - dropOnce: the connection is dropped at the first such command (a server restarted then);
 * - loseAnswerOnce: the first such command reaches the server and takes effect, but the
 *   connection drops before its answer comes back (the client cannot know it worked).
 *
 * Commands and responses are split into lines with their literals, so message data passes
 * through untouched.
 */
export interface CourierProxyOptions {
  readOnlyAppend?: boolean;
  unstableUidValidity?: boolean;
  neverSaves?: boolean;
  refuseAppend?: boolean;
  /** Not Courier: drop the connection the first time a client sends this command (e.g. STATUS). */
  dropOnce?: string;
  /** Not Courier: the first time a client sends this command (e.g. APPEND) the server runs it, and the connection drops before its answer. */
  loseAnswerOnce?: string;
}

export interface CourierProxy {
  host: '127.0.0.1';
  port: number;
  /** UIDVALIDITY values made up so far. */
  madeUp(): number;
  /** APPENDs refused so far. */
  refusedAppends(): number;
  /** Answers lost so far (loseAnswerOnce). */
  lostAnswers(): number;
  stop(): Promise<void>;
}

/** Splits a byte stream into IMAP lines, each with the literals announced at its end. */
class Framer {
  private buf = Buffer.alloc(0);
  private literal = 0;
  /** Dropping the rest of a refused command: its literal and the line that ends it. */
  private dropping = false;
  constructor(private readonly onLine: (line: Buffer) => void, private readonly onLiteral: (data: Buffer) => void) {}
  push(chunk: Buffer): void {
    this.buf = Buffer.concat([this.buf, chunk]);
    for (;;) {
      if (this.literal > 0) {
        if (!this.buf.length) return;
        const n = Math.min(this.literal, this.buf.length);
        if (!this.dropping) this.onLiteral(this.buf.subarray(0, n));
        this.buf = this.buf.subarray(n);
        this.literal -= n;
        continue;
      }
      const nl = this.buf.indexOf(0x0a);
      if (nl < 0) return;
      const line = this.buf.subarray(0, nl + 1);
      this.buf = this.buf.subarray(nl + 1);
      const m = /\{(\d+)\+?\}\r?\n$/.exec(line.toString('latin1'));
      this.literal = m ? Number(m[1]) : 0;
      if (this.dropping) {
        // The line that ends the refused command (after its literal) goes too.
        if (!m) this.dropping = false;
        continue;
      }
      this.onLine(line);
    }
  }
  /** Called from onLine: the command of that line was refused; its LITERAL+ data is dropped. */
  drop(): void {
    this.dropping = true;
  }
}

function folderOf(args: string): string {
  const m = /^"((?:[^"\\]|\\.)*)"|^(\S+)/.exec(args.trim());
  return m ? (m[1] ?? m[2]).replace(/\\(.)/g, '$1') : '';
}

export async function startCourierProxy(upstreamPort: number, o: CourierProxyOptions): Promise<CourierProxy> {
  const port = await freePort();
  const saved = new Set<string>();
  let madeUp = 0;
  let refused = 0;
  let dropped = false;
  let lost = 0;
  /** The tag whose answer is to be lost. */
  let losing: string | undefined;
  let nextUv = Math.floor(Date.now() / 1000);
  const sockets = new Set<net.Socket>();

  const server = net.createServer((client) => {
    const up = net.connect(upstreamPort, '127.0.0.1');
    sockets.add(client);
    sockets.add(up);
    const end = () => {
      client.destroy();
      up.destroy();
    };
    client.on('error', end);
    up.on('error', end);
    client.on('close', end);
    up.on('close', end);

    let readOnly = false;
    /** The folder and verb of the command in flight, for the UIDVALIDITY its answer reports. */
    let current: { verb: string; folder: string } = { verb: '', folder: '' };

    const fromClient: Framer = new Framer(
      (line) => {
        const text = line.toString('latin1');
        const m = /^(\S+) (?:UID )?(\S+)\s?(.*)$/i.exec(text.replace(/\r?\n$/, ''));
        const tag = m?.[1] ?? '';
        const verb = (m?.[2] ?? '').toUpperCase();
        const args = m?.[3] ?? '';
        if (o.dropOnce && !dropped && verb === o.dropOnce.toUpperCase()) {
          dropped = true;
          end();
          return;
        }
        if (o.loseAnswerOnce && !lost && losing === undefined && verb === o.loseAnswerOnce.toUpperCase()) losing = tag;
        if (verb === 'APPEND' && (o.refuseAppend || (o.readOnlyAppend && readOnly))) {
          refused++;
          client.write(`${tag} NO ${o.refuseAppend ? 'Permission denied' : 'Current box is selected READ-ONLY'}\r\n`);
          // With LITERAL+ the data follows at once and is dropped; a synchronizing literal is
          // never sent, as the client waits for "+".
          if (/\{\d+\+\}\r?\n$/.test(text)) fromClient.drop();
          return;
        }
        if (verb === 'SELECT') {
          readOnly = false;
          if (!o.neverSaves) saved.add(folderOf(args));
        } else if (verb === 'EXAMINE') readOnly = true;
        else if (verb === 'CLOSE' || verb === 'UNSELECT') readOnly = false;
        if (['STATUS', 'EXAMINE', 'SELECT'].includes(verb)) current = { verb, folder: folderOf(args) };
        else if (verb) current = { verb, folder: '' };
        up.write(line);
      },
      (data) => up.write(data),
    );
    client.on('data', (d: Buffer) => fromClient.push(d));

    const fromServer = new Framer(
      (line) => {
        if (losing !== undefined && line.toString('latin1').startsWith(`${losing} `)) {
          losing = undefined;
          lost++;
          end();
          return;
        }
        if (o.unstableUidValidity && current.folder && !saved.has(current.folder) && /UIDVALIDITY \d+/.test(line.toString('latin1'))) {
          madeUp++;
          line = Buffer.from(line.toString('latin1').replace(/UIDVALIDITY \d+/, `UIDVALIDITY ${++nextUv}`), 'latin1');
        }
        client.write(line);
      },
      (data) => client.write(data),
    );
    up.on('data', (d: Buffer) => fromServer.push(d));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return {
    host: '127.0.0.1',
    port,
    madeUp: () => madeUp,
    refusedAppends: () => refused,
    lostAnswers: () => lost,
    stop: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
