/**
 * Where the engine of a data folder listens, and why that address is also the lock that makes
 * it the only one.
 *
 * The listening socket itself is the lock: binding fails with EADDRINUSE while another engine
 * holds it, and the operating system releases it when that process dies, kill -9 included, so
 * there is no lock file to go stale and nothing to clean up.
 * - Linux: an abstract-namespace unix socket ("\0maildesk-<hash>"). It has no file, so there is
 *   no stale socket file and no race between two starters that both unlink one.
 * - Windows: a named pipe (\\.\pipe\maildesk-<hash>); Node creates the first instance with
 *   FILE_FLAG_FIRST_PIPE_INSTANCE, so a second server fails, and the pipe dies with its process.
 * - macOS (and other unixes): abstract sockets do not exist, so a socket file in the temp folder.
 *   A file outlives a killed process; `listenExclusive` recovers it without the unlink race:
 *   it binds a private name and publishes it with link(2), which fails when the name exists, and
 *   removes a stale name only after renaming it aside and checking that it was the dead one.
 * The hash is of the data folder's real path, so two spellings of one folder meet.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

export type EndpointKind = 'abstract' | 'pipe' | 'file';

export interface Endpoint {
  kind: EndpointKind;
  /** What net.connect / server.listen take. */
  address: string;
}

function folderHash(dataDir: string): string {
  let real = path.resolve(dataDir);
  try {
    real = fs.realpathSync.native(real);
  } catch {
    // not created yet: its resolved path is what every starter computes too
  }
  if (process.platform === 'win32' || process.platform === 'darwin') real = real.toLowerCase();
  return crypto.createHash('sha256').update(real).digest('hex').slice(0, 24);
}

export function engineEndpoint(dataDir: string, platform: NodeJS.Platform = process.platform): Endpoint {
  const name = `maildesk-${folderHash(dataDir)}`;
  if (platform === 'linux') return { kind: 'abstract', address: `\0${name}` };
  if (platform === 'win32') return { kind: 'pipe', address: `\\\\.\\pipe\\${name}` };
  // sun_path is ~104 bytes on macOS: the temp folder plus a short name fits.
  return { kind: 'file', address: path.join(os.tmpdir(), `${name}.sock`) };
}

/** True when something answers at the endpoint. */
export function probe(ep: Endpoint, timeoutMs = 2000): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(ep.address);
    const done = (v: boolean): void => {
      clearTimeout(t);
      s.destroy();
      resolve(v);
    };
    const t = setTimeout(() => done(false), timeoutMs);
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}

function listen(server: net.Server, address: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (e: Error): void => {
      server.off('listening', onListening);
      reject(e);
    };
    const onListening = (): void => {
      server.off('error', onError);
      resolve();
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(address);
  });
}

/**
 * Starts listening at the endpoint, or rejects with code EADDRINUSE when a live engine holds it.
 */
export async function listenExclusive(server: net.Server, ep: Endpoint): Promise<() => void> {
  if (ep.kind !== 'file') {
    await listen(server, ep.address);
    return () => undefined;
  }
  // File socket: bind a private name, then publish it atomically under the shared one.
  const mine = `${ep.address}.${process.pid}.${crypto.randomBytes(4).toString('hex')}`;
  await listen(server, mine);
  try {
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        fs.linkSync(mine, ep.address);
        const ino = statIno(ep.address);
        // On stop: remove the published name only while it is still this engine's socket.
        return () => {
          if (ino !== undefined && statIno(ep.address) === ino) fs.rmSync(ep.address, { force: true });
        };
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      }
      const before = statIno(ep.address);
      if (before === undefined) continue;
      if (await probe(ep)) throw Object.assign(new Error('another engine listens there'), { code: 'EADDRINUSE' });
      // Stale: move it aside under a private name, and remove it only if it is the inode we
      // probed; a live socket published meanwhile by another starter is put back.
      const aside = `${ep.address}.stale.${process.pid}.${crypto.randomBytes(4).toString('hex')}`;
      try {
        fs.renameSync(ep.address, aside);
      } catch {
        continue;
      }
      if (statIno(aside) === before) fs.rmSync(aside, { force: true });
      else {
        try {
          fs.linkSync(aside, ep.address);
        } catch {
          // someone published again; the probe on the next round decides
        }
        fs.rmSync(aside, { force: true });
      }
    }
    throw Object.assign(new Error('could not publish the engine socket'), { code: 'EADDRINUSE' });
  } finally {
    // The published link keeps the socket reachable; the private name is not needed.
    fs.rmSync(mine, { force: true });
  }
}

function statIno(p: string): number | undefined {
  try {
    return fs.statSync(p).ino;
  } catch {
    return undefined;
  }
}
