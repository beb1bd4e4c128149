import * as net from 'node:net';

/**
 * A proxy in front of the test Dovecot with two faults of real servers, switched on and off
 * while it runs (Troubleshoot's symptom tests cause them, then read the checks):
 *
 * - omitUids: FETCH answers leave out these UIDs, as a server does that cannot read some of
 *   its messages for a while (the command still ends OK): a fill then completes without them;
 * - dropOn: the connection is dropped whenever the client sends this command (e.g. STATUS),
 *   so logins and folder lists work while every sync of a folder fails;
 * - dropAfterFetches: a connection is dropped once it has passed this many FETCH responses,
 *   as a server does that dies in the middle of a page;
 * - silenceAfterFetches: the same, but the connection stays open and nothing more comes, as
 *   from a server that hangs in the middle of a page;
 * - faultyConnection: those two only for the connection accepted as this one (1 = the first),
 *   as from a server that ends or starves a second session while the first works.
 *
 * Server responses are framed into whole responses (a line with the literals it announces and
 * the lines after them), so message data passes through untouched.
 */
export interface FaultyImapProxy {
  host: '127.0.0.1';
  port: number;
  omitUids: Set<number>;
  dropOn: RegExp | undefined;
  dropAfterFetches: number | undefined;
  silenceAfterFetches: number | undefined;
  faultyConnection: number | undefined;
  /** FETCH responses left out so far. */
  omitted(): number;
  /** Client connections open now. */
  open(): number;
  /** Client connections accepted so far. */
  accepted(): number;
  stop(): Promise<void>;
}

/** Collects one server response at a time: lines, and the literals a line ends by announcing. */
class ResponseFramer {
  private buf = Buffer.alloc(0);
  private parts: Buffer[] = [];
  private literal = 0;
  constructor(private readonly onResponse: (r: Buffer) => void) {}
  push(chunk: Buffer): void {
    this.buf = Buffer.concat([this.buf, chunk]);
    for (;;) {
      if (this.literal > 0) {
        if (this.buf.length < this.literal) return;
        this.parts.push(this.buf.subarray(0, this.literal));
        this.buf = this.buf.subarray(this.literal);
        this.literal = 0;
        continue;
      }
      const nl = this.buf.indexOf('\r\n');
      if (nl < 0) return;
      const line = this.buf.subarray(0, nl + 2);
      this.buf = this.buf.subarray(nl + 2);
      this.parts.push(line);
      const m = /\{(\d+)\+?\}\r\n$/.exec(line.toString('latin1'));
      if (m) {
        this.literal = Number(m[1]);
        continue;
      }
      this.onResponse(Buffer.concat(this.parts));
      this.parts = [];
    }
  }
}

export async function startFaultyImapProxy(upstreamPort: number): Promise<FaultyImapProxy> {
  const sockets = new Set<net.Socket>();
  const clients = new Set<net.Socket>();
  let accepted = 0;
  let omitted = 0;
  const proxy: FaultyImapProxy = {
    host: '127.0.0.1',
    port: 0,
    omitUids: new Set(),
    dropOn: undefined,
    dropAfterFetches: undefined,
    silenceAfterFetches: undefined,
    faultyConnection: undefined,
    omitted: () => omitted,
    open: () => clients.size,
    accepted: () => accepted,
    stop: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
  const server = net.createServer((client) => {
    const up = net.connect(upstreamPort, '127.0.0.1');
    sockets.add(client).add(up);
    clients.add(client);
    client.on('close', () => clients.delete(client));
    let fetches = 0;
    let silent = false;
    const ordinal = ++accepted;
    const drop = (): void => {
      client.destroy();
      up.destroy();
    };
    client.on('error', drop).on('close', drop);
    up.on('error', drop).on('close', drop);
    let pending = '';
    client.on('data', (d: Buffer) => {
      // Commands are short lines here (no literals are sent by the syncs these faults target).
      pending = (pending + d.toString('latin1')).slice(-4096);
      const lines = pending.split('\r\n');
      pending = lines.pop() ?? '';
      if (proxy.dropOn && lines.some((l) => proxy.dropOn!.test(l))) return drop();
      up.write(d);
    });
    const framer = new ResponseFramer((r) => {
      const head = r.subarray(0, Math.min(r.length, 200)).toString('latin1');
      const m = /^\* \d+ FETCH \(.*?\bUID (\d+)/.exec(head);
      if (m && proxy.omitUids.has(Number(m[1]))) {
        omitted++;
        return;
      }
      if (silent) return;
      if (/^\* \d+ FETCH /.test(head) && (proxy.faultyConnection === undefined || proxy.faultyConnection === ordinal)) {
        fetches++;
        if (proxy.dropAfterFetches !== undefined && fetches > proxy.dropAfterFetches) return drop();
        if (proxy.silenceAfterFetches !== undefined && fetches > proxy.silenceAfterFetches) {
          silent = true;
          return;
        }
      }
      client.write(r);
    });
    up.on('data', (d: Buffer) => framer.push(d));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  proxy.port = (server.address() as net.AddressInfo).port;
  return proxy;
}
