import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Duplex } from 'node:stream';

/**
 * A stand-in for the tracking and attack hosts of hostile mail: one port on 127.0.0.1 that
 * answers plain HTTP and HTTPS (a self-signed certificate for 127.0.0.1 and *.localhost, which
 * Chromium resolves to loopback without DNS), so the URLs in test messages can look like the
 * real ones (https://…, http://…, //…, a host name) and all still land here.
 *
 * Every TCP connection is counted before any byte is parsed: a browser that refuses the
 * certificate still shows up as a connection, so "zero connections" means nothing left at all.
 */

export interface TrackerHit {
  /** 'http' or 'https' once a request was parsed. */
  scheme: 'http' | 'https';
  method: string;
  /** Path and query, e.g. /p.gif?case=tracking-img */
  url: string;
  host: string;
  at: number;
}

export interface Tracker {
  host: '127.0.0.1';
  port: number;
  /** Parsed HTTP(S) requests, in order. */
  hits: TrackerHit[];
  /** TCP connections accepted (a TLS handshake that failed still counts). */
  connections(): number;
  /** http://127.0.0.1:PORT + path */
  httpUrl(p: string): string;
  /** https://127.0.0.1:PORT + path */
  httpsUrl(p: string): string;
  /** http://NAME.localhost:PORT + path: a host name that is not an IP and still resolves here. */
  namedUrl(name: string, p: string): string;
  /** Waits until a hit matches, and returns it; fails after `timeoutMs`. */
  waitForHit(match: (h: TrackerHit) => boolean, timeoutMs?: number): Promise<TrackerHit>;
  /** Closes the port and every open connection, and removes the certificate. Safe to call twice. */
  stop(): Promise<void>;
}

// The smallest transparent GIF: what a tracking pixel answers.
const GIF = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64');

function selfSignedCert(dir: string): { key: Buffer; cert: Buffer } {
  const key = path.join(dir, 'key.pem');
  const cert = path.join(dir, 'cert.pem');
  execFileSync(
    'openssl',
    [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2',
      '-keyout', key, '-out', cert, '-subj', '/CN=127.0.0.1',
      '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:*.localhost',
    ],
    { stdio: 'ignore', timeout: 20_000 },
  );
  return { key: fs.readFileSync(key), cert: fs.readFileSync(cert) };
}

export async function startTracker(): Promise<Tracker> {
  const dir = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'maildesk-tracker-'));
  const { key, cert } = selfSignedCert(dir);
  const hits: TrackerHit[] = [];
  let connections = 0;
  const sockets = new Set<net.Socket>();

  const handler = (scheme: 'http' | 'https') => (req: http.IncomingMessage, res: http.ServerResponse) => {
    hits.push({ scheme, method: req.method ?? '', url: req.url ?? '', host: req.headers.host ?? '', at: Date.now() });
    const p = (req.url ?? '').split('?')[0];
    const type = /\.css$/.test(p) ? 'text/css' : /\.(woff2?|ttf)$/.test(p) ? 'font/woff2' : 'image/gif';
    res.writeHead(200, { 'content-type': type, 'access-control-allow-origin': '*', 'cache-control': 'no-store' });
    res.end(type === 'image/gif' ? GIF : '');
  };
  const httpServer = http.createServer(handler('http'));
  const httpsServer = https.createServer({ key, cert }, handler('https'));

  // One port for both: the first byte of a TLS connection is 0x16 (handshake record).
  const front = net.createServer((socket) => {
    connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    socket.once('data', (chunk) => {
      socket.pause();
      if (chunk[0] !== 0x16) {
        socket.unshift(chunk);
        httpServer.emit('connection', socket);
        socket.resume();
        return;
      }
      // TLS reads straight from a net.Socket's handle, past anything unshifted; a plain
      // Duplex in between makes it read the stream, first chunk included.
      const wrapped: Duplex = new Duplex({
        read: () => void socket.resume(),
        write: (data: Buffer, _enc, cb) => void socket.write(data, cb),
        final: (cb) => {
          socket.end();
          cb();
        },
        destroy: (err, cb) => {
          socket.destroy();
          cb(err);
        },
      });
      socket.on('data', (d) => {
        if (!wrapped.push(d)) socket.pause();
      });
      socket.on('end', () => wrapped.push(null));
      socket.on('close', () => wrapped.destroy());
      wrapped.on('error', () => undefined);
      wrapped.push(chunk);
      httpsServer.emit('connection', wrapped);
    });
  });
  await new Promise<void>((resolve, reject) => {
    front.once('error', reject);
    front.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (front.address() as net.AddressInfo).port;

  let stopped = false;
  return {
    host: '127.0.0.1',
    port,
    hits,
    connections: () => connections,
    httpUrl: (p) => `http://127.0.0.1:${port}${p}`,
    httpsUrl: (p) => `https://127.0.0.1:${port}${p}`,
    namedUrl: (name, p) => `http://${name}.localhost:${port}${p}`,
    waitForHit: async (match, timeoutMs = 15_000) => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const h = hits.find(match);
        if (h) return h;
        if (Date.now() > deadline) {
          throw new Error(`the tracker saw no matching request within ${timeoutMs} ms; it saw ${connections} connection(s): ${JSON.stringify(hits)}`);
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    stop: async () => {
      if (stopped) return;
      stopped = true;
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => front.close(() => resolve()));
      httpServer.close();
      httpsServer.close();
      await fs.promises.rm(dir, { recursive: true, force: true });
    },
  };
}
