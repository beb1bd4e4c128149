import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import { HEADER_BYTES, PackWriter, parsePackRef } from '../../src/core/store/blobPacks';
import { BlobStore } from '../../src/core/store/blobs';

const body = (i: number, size = 3000): Buffer => Buffer.concat([Buffer.from(`From: n${i}@example.test\r\nSubject: ${i}\r\n\r\n`), Buffer.alloc(size, 97 + (i % 26))]);
const packsIn = (dir: string): string[] => (fs.existsSync(path.join(dir, 'packs')) ? fs.readdirSync(path.join(dir, 'packs')).sort() : []);

/** node:fs itself (an `import *` namespace has getters only), for the source's calls to be replaced. */
const nodeFs = createRequire(__filename)('node:fs') as { writev: typeof fs.writev; fdatasync: typeof fs.fdatasync; openSync: typeof fs.openSync };

/** Runs `fn` with fs.writev and fs.fdatasync recorded (and `fail` deciding whether a call fails, with ENOSPC). */
async function withDisk<T>(fail: (call: 'writev' | 'fdatasync') => boolean, events: string[], fn: () => Promise<T>): Promise<T> {
  const writev = nodeFs.writev;
  const fdatasync = nodeFs.fdatasync;
  const enospc = (): NodeJS.ErrnoException => Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
  (nodeFs as { writev: unknown }).writev = (fd: number, bufs: Buffer[], pos: number, cb: (e: Error | null, n?: number, b?: Buffer[]) => void) => {
    events.push('writev');
    if (fail('writev')) return process.nextTick(() => cb(enospc()));
    return writev(fd, bufs, pos, cb);
  };
  (nodeFs as { fdatasync: unknown }).fdatasync = (fd: number, cb: (e: Error | null) => void) => {
    events.push('fdatasync');
    if (fail('fdatasync')) return process.nextTick(() => cb(enospc()));
    return fdatasync(fd, cb);
  };
  try {
    return await fn();
  } finally {
    nodeFs.writev = writev;
    nodeFs.fdatasync = fdatasync;
  }
}

describe('blob store: fetched bodies go into packs, on disk for good before their rows may point to them', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'maildesk-blobs-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('appends a batch of bodies with one writev and one fdatasync before flush resolves, and each reference reads its own bytes back', async () => {
    const events: string[] = [];
    const blobs = new BlobStore(dir);
    const bodies = Array.from({ length: 50 }, (_, i) => body(i));
    const refs = await withDisk(
      () => false,
      events,
      async () => {
        const refs = bodies.map((b) => blobs.append(b));
        events.push('appended');
        await blobs.flush(refs);
        events.push('flushed');
        return refs;
      },
    );
    assert.deepEqual(events, ['appended', 'writev', 'fdatasync', 'flushed'], 'written and synced once, before flush resolves');
    refs.forEach((r, i) => {
      assert.match(r, /^pk:/);
      assert.ok(blobs.has(r));
      assert.deepEqual(blobs.get(r), bodies[i]);
    });
    assert.equal(packsIn(dir).length, 1, 'one pack file, not a file per body');
    assert.equal(fs.readdirSync(dir).length, 1, 'nothing but the packs folder');
    blobs.close();
  });

  it('reads a damaged or cut record as missing, never as wrong bytes', async () => {
    const blobs = new BlobStore(dir);
    const refs = [blobs.append(body(1)), blobs.append(body(2)), blobs.append(body(3))];
    await blobs.flush(refs);
    blobs.close();
    const file = path.join(dir, 'packs', packsIn(dir)[0]);
    const second = parsePackRef(refs[1])!;
    const fd = fs.openSync(file, 'r+');
    fs.writeSync(fd, Buffer.from('X'), 0, 1, second.offset + 10);
    fs.closeSync(fd);
    const reopened = new BlobStore(dir);
    assert.deepEqual(reopened.get(refs[0]), body(1));
    assert.equal(reopened.get(refs[1]), undefined, 'a changed byte fails the hash');
    fs.truncateSync(file, parsePackRef(refs[2])!.offset + 100);
    assert.equal(reopened.get(refs[2]), undefined, 'a record cut short is missing');
    assert.equal(reopened.has(refs[2]), false);
    assert.equal(reopened.get('pk:nosuchpack:40:10'), undefined);
    assert.equal(reopened.get('pk:../../etc:40:10'), undefined, 'a reference is a name in the packs folder, nothing else');
  });

  it('a failed write fails the flush of its references with the disk error, and later bodies go to a new pack', async () => {
    const blobs = new BlobStore(dir);
    let failing = true;
    const events: string[] = [];
    const first = [blobs.append(body(1)), blobs.append(body(2))];
    await withDisk(
      (call) => call === 'writev' && failing,
      events,
      async () => {
        await assert.rejects(blobs.flush(first), (e: Error) => {
          // Named as the store names a failed save: the folder, the cause, the fix.
          assert.match(e.message, /could not be written in .*packs: the disk is full \(ENOSPC\); free space on /);
          return true;
        });
      },
    );
    failing = false;
    const next = [blobs.append(body(3))];
    await blobs.flush(next);
    assert.deepEqual(blobs.get(next[0]), body(3));
    assert.notEqual(parsePackRef(next[0])!.pack, parsePackRef(first[0])!.pack, 'no more appends to the pack a write failed in');
    await assert.rejects(blobs.flush(first), /ENOSPC/, 'the failed references stay failed');
    blobs.close();
  });

  it('a failed fdatasync fails the flush too', async () => {
    const blobs = new BlobStore(dir);
    const refs = [blobs.append(body(1))];
    await withDisk(
      (call) => call === 'fdatasync',
      [],
      async () => {
        await assert.rejects(blobs.flush(refs), /ENOSPC/);
      },
    );
    blobs.close();
  });

  it('begins a new pack past its size, and a flush syncs every pack its records went to', async () => {
    const packs = new PackWriter(path.join(dir, 'packs'), 20_000);
    const bodies = Array.from({ length: 12 }, (_, i) => body(i, 4000));
    const events: string[] = [];
    const refs = await withDisk(
      () => false,
      events,
      async () => {
        const refs = bodies.map((b) => packs.append(b));
        await packs.flush(refs);
        return refs;
      },
    );
    const used = new Set(refs.map((r) => parsePackRef(r)!.pack));
    assert.ok(used.size >= 3, `${used.size} packs`);
    assert.equal(events.filter((e) => e === 'fdatasync').length, used.size, 'one sync per pack written');
    for (const f of packsIn(dir)) assert.ok(fs.statSync(path.join(dir, 'packs', f)).size <= 20_000 + HEADER_BYTES + 4100);
    const reader = new BlobStore(dir);
    refs.forEach((r, i) => assert.deepEqual(reader.get(r), bodies[i]));
    packs.close();
  });

  it('a pack goes once nothing points into it, after the deleting turn, and not while it is still written to', async () => {
    const live = new Set<string>();
    const blobs = new BlobStore(dir, (prefix) => [...live].some((r) => r.startsWith(prefix)));
    const a = [blobs.append(body(1)), blobs.append(body(2))];
    await blobs.flush(a);
    for (const r of a) live.add(r);
    live.delete(a[0]);
    blobs.delete(a[0]);
    await new Promise((r) => setImmediate(r));
    assert.equal(packsIn(dir).length, 1, 'one record still points into it');
    live.delete(a[1]);
    blobs.delete(a[1]);
    await new Promise((r) => setImmediate(r));
    assert.equal(packsIn(dir).length, 1, 'the pack still being appended to stays');
    blobs.close();

    const again = new BlobStore(dir, (prefix) => [...live].some((r) => r.startsWith(prefix)));
    again.delete(a[1]);
    assert.equal(packsIn(dir).length, 1, 'not inside the deleting turn (its transaction may still roll back)');
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(packsIn(dir), [], 'gone once nothing points into it');
  });

  it('a packs folder that cannot be written fails the append with the folder and the fix', () => {
    // As a read-only folder answers (chmod would not stop root, who runs CI).
    const openSync = nodeFs.openSync;
    nodeFs.openSync = ((file: fs.PathLike, ...rest: unknown[]) => {
      if (String(file).endsWith('.pack')) throw Object.assign(new Error(`EACCES: permission denied, open '${String(file)}'`), { code: 'EACCES' });
      return (openSync as (...a: unknown[]) => number)(file, ...rest);
    }) as typeof fs.openSync;
    try {
      const blobs = new BlobStore(dir);
      assert.throws(() => blobs.append(body(1)), /could not be written in .*packs: the folder is not writable \(EACCES\); make .* writable/);
    } finally {
      nodeFs.openSync = openSync;
    }
  });

  it('put keeps single blobs (drafts, attachments, a body fetched on open) as files named by their hash', () => {
    const blobs = new BlobStore(dir);
    const hash = blobs.put(body(7));
    assert.match(hash, /^[0-9a-f]{64}$/);
    assert.deepEqual(fs.readdirSync(path.join(dir, hash.slice(0, 2))), [hash]);
    assert.deepEqual(blobs.get(hash), body(7));
    blobs.delete(hash);
    assert.equal(blobs.has(hash), false);
  });
});
