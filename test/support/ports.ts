import * as fs from 'node:fs';
import * as net from 'node:net';

const HOST = '127.0.0.1';

/** A port on 127.0.0.1 that was free a moment ago (the OS picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, HOST, () => {
      const address = server.address();
      if (!address || typeof address === 'string') {
        server.close();
        reject(new Error('could not read the port of a listening socket'));
        return;
      }
      server.close(() => resolve(address.port));
    });
  });
}

/** The first port of the range the kernel hands out to `listen(0)` (Linux; elsewhere 32768, below their own). */
export function ephemeralPortLow(): number {
  try {
    return Number(fs.readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]) || 32768;
  } catch {
    return 32768; // not Linux: their default range starts higher still (49152)
  }
}

/**
 * A port on 127.0.0.1 that nothing listens on and no test server will take: below the kernel's
 * range for ports it hands out (`listen(0)`, as freePort and every test server use), so it
 * stays closed for the whole run. A port from freePort() is only free until the next server
 * is given it: a test's "closed" port once answered as another test's IMAP server.
 */
export async function closedPort(): Promise<number> {
  const low = ephemeralPortLow();
  const lowest = Math.min(10_000, low - 1_000);
  for (let i = 0; i < 50; i++) {
    const port = lowest + Math.floor(Math.random() * (low - lowest));
    if (!(await isPortOpen(port))) return port;
  }
  throw new Error(`no closed port found below ${low}`);
}

/** True when something accepts a TCP connection on 127.0.0.1:port right now. */
export function isPortOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: HOST, port });
    const done = (open: boolean): void => {
      socket.removeAllListeners();
      socket.destroy();
      resolve(open);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function waitFor(port: number, wantOpen: boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if ((await isPortOpen(port)) === wantOpen) return;
    if (Date.now() >= deadline) {
      throw new Error(`port ${HOST}:${port} still ${wantOpen ? 'closed' : 'open'} after ${timeoutMs} ms`);
    }
    await sleep(50);
  }
}

/** Resolves once 127.0.0.1:port accepts connections; rejects after timeoutMs. */
export function waitForPortOpen(port: number, timeoutMs = 10_000): Promise<void> {
  return waitFor(port, true, timeoutMs);
}

/** Resolves once 127.0.0.1:port refuses connections; rejects after timeoutMs. */
export function waitForPortClosed(port: number, timeoutMs = 10_000): Promise<void> {
  return waitFor(port, false, timeoutMs);
}
