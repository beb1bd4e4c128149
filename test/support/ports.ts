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
