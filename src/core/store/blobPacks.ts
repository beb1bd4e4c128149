/**
 * Fetched bodies, appended to pack files instead of one file each.
 *
 * A file per body costs the kernel ~0.45 ms of CPU on this class of machine (create, allocate,
 * journal, rename, and an fdatasync each): at 10,000 bodies that was 4-5 s of CPU on libuv's
 * four pool threads, more than the engine's own thread used, and it kept the two cores busy
 * enough that the engine waited 30-50 ms for one. Appending to a pack costs a write per
 * megabyte and one fdatasync per batch of rows (the same bytes: 0.5 s of CPU instead of 3-4 s
 * for 6,000 bodies in a plain test).
 *
 * - A record is a header (`MDPK`, the length as u32, the body's SHA-256) and the body. A
 *   body's reference, kept in `messages.body_blob`, says where it is:
 *   `pk:<pack>:<offset of the body>:<length>`. Reads check the header and the hash, so a torn
 *   or overwritten record reads as missing (the body is fetched again), never as wrong bytes.
 * - Each writer (one engine per data folder) appends to packs of its own, named at random
 *   when it starts one: no two writers ever share a file or an offset.
 * - Durability: `flush()` resolves once every record appended before it is written and
 *   fdatasync'ed. Rows point to records only after that (src/core/sync/bodies.ts), so a kill
 *   or a power cut leaves at most unreferenced bytes at a pack's end, which nothing reads.
 * - A pack goes when no message points into it any more (the account removed, the folder
 *   reset, old mail expunged: bodies are fetched newest first, so they leave in runs); one
 *   mostly of deleted bodies is rewritten by the maintenance job (packCompaction.ts).
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { saveError } from './recovery';

const MAGIC = Buffer.from('MDPK');
export const HEADER_BYTES = 4 + 4 + 32;
/** A pack is closed and a new one begun past this size. */
export const PACK_BYTES = 64 * 1024 * 1024;
/** Appended records go out in one writev once this much is waiting (or at flush). */
const WRITE_BYTES = 1024 * 1024;
/** writev takes at most IOV_MAX (1024) buffers: two per record. */
const WRITE_RECORDS = 256;

// Looked up at each call (not bound at load), so a test can make the disk fail.
const writev = (fd: number, bufs: Buffer[], at: number): Promise<{ bytesWritten: number }> => promisify(fs.writev)(fd, bufs, at);
const write = (fd: number, buf: Buffer, off: number, len: number, at: number): Promise<{ bytesWritten: number }> => promisify(fs.write)(fd, buf, off, len, at);
const fdatasync = (fd: number): Promise<void> => promisify(fs.fdatasync)(fd);

export interface PackRef {
  pack: string;
  offset: number;
  length: number;
}

/** A pack's name (the file is `<name>.pack`): base-36 time and random hex, nothing else. */
const NAME = /^[0-9a-z]{1,40}$/;
const REF = /^pk:([0-9a-z]{1,40}):(\d{1,15}):(\d{1,10})$/;

export function isPackName(name: string): boolean {
  return NAME.test(name);
}

export function isPackRef(ref: string): boolean {
  return ref.startsWith('pk:');
}

export function parsePackRef(ref: string): PackRef | undefined {
  const m = REF.exec(ref);
  if (!m) return undefined;
  return { pack: m[1], offset: Number(m[2]), length: Number(m[3]) };
}

/** The prefix every reference into `pack` starts with (to find whether any is left). */
export function packPrefix(pack: string): string {
  return `pk:${pack}:`;
}

interface OpenPack {
  name: string;
  fd: number;
  /** Bytes reserved so far: the next record's offset. */
  size: number;
  /** Records reserved but not handed to a writev yet, and where the first one starts. */
  queued: Buffer[];
  queuedAt: number;
  queuedBytes: number;
  /** Writes in flight; the fd is closed only after the last one. */
  inFlight: Set<Promise<void>>;
  /** Writes issued, writes done, and done writes an fdatasync has covered. */
  issued: number;
  written: number;
  synced: number;
  syncing: Promise<void> | undefined;
  /** No more appends: closed once its writes are done and synced (or abandoned). */
  retired: boolean;
  abandoned: boolean;
}

export class PackWriter {
  private current: OpenPack | undefined;
  /** Packs with records not yet synced, or still open for appends. */
  private readonly open = new Set<OpenPack>();
  /**
   * Packs a write or a sync failed in, with the error: none of their records not yet flushed
   * is trusted (flush throws for them), and appends go to a new pack.
   */
  private readonly broken = new Map<string, Error>();

  constructor(
    private readonly dir: string,
    private readonly packBytes = PACK_BYTES,
  ) {}

  /** Packs this writer may still append to or sync: never removed from under it. */
  isOpen(pack: string): boolean {
    for (const p of this.open) if (p.name === pack) return true;
    return false;
  }

  /**
   * Reserves the record's place, queues its bytes, and returns its reference at once. The body
   * is on disk for good only once a flush() given the reference resolves.
   */
  append(data: Buffer): string {
    if (!this.current || (this.current.size > 0 && this.current.size + HEADER_BYTES + data.length > this.packBytes)) this.begin();
    const p = this.current!;
    const header = Buffer.allocUnsafe(HEADER_BYTES);
    MAGIC.copy(header, 0);
    header.writeUInt32LE(data.length, 4);
    crypto.createHash('sha256').update(data).digest().copy(header, 8);
    if (!p.queued.length) p.queuedAt = p.size;
    p.queued.push(header, data);
    p.queuedBytes += HEADER_BYTES + data.length;
    const offset = p.size + HEADER_BYTES;
    p.size += HEADER_BYTES + data.length;
    if (p.queuedBytes >= WRITE_BYTES || p.queued.length >= 2 * WRITE_RECORDS) this.write(p);
    return `pk:${p.name}:${offset}:${data.length}`;
  }

  /**
   * Resolves once every record appended before the call is written and fdatasync'ed; rejects,
   * naming the disk's error, when one of `refs` is in a pack a write or sync failed in.
   */
  async flush(refs: readonly string[]): Promise<void> {
    const packs = [...this.open];
    for (const p of packs) this.write(p);
    const targets = packs.map((p) => p.issued);
    for (const p of packs) await Promise.allSettled([...p.inFlight]);
    for (let i = 0; i < packs.length; i++) await this.sync(packs[i], targets[i]);
    for (const ref of refs) {
      const e = this.broken.get(parsePackRef(ref)?.pack ?? '');
      if (e) throw e;
    }
  }

  /** Waits until an fdatasync begun after `target` writes were done has returned. */
  private async sync(p: OpenPack, target: number): Promise<void> {
    while (p.synced < target && !this.broken.has(p.name)) {
      if (!p.syncing) {
        const upTo = p.written;
        p.syncing = fdatasync(p.fd)
          .then(
            () => {
              p.synced = Math.max(p.synced, upTo);
            },
            (e) => this.fail(p, e),
          )
          .finally(() => {
            p.syncing = undefined;
            this.release(p);
          });
      }
      await p.syncing;
    }
  }

  /** Closes the files once their writes are done (what was not flushed is not promised). */
  close(): void {
    this.current = undefined;
    for (const p of this.open) {
      this.write(p);
      p.retired = true;
      p.abandoned = true;
      this.release(p);
    }
  }

  private begin(): void {
    if (this.current) {
      this.write(this.current);
      this.current.retired = true;
      this.release(this.current);
    }
    const name = `${Date.now().toString(36)}${crypto.randomBytes(6).toString('hex')}`;
    let fd: number;
    try {
      fs.mkdirSync(this.dir, { recursive: true });
      fd = fs.openSync(path.join(this.dir, `${name}.pack`), 'wx');
    } catch (e) {
      throw saveError(e, path.join(this.dir, `${name}.pack`));
    }
    this.current = { name, fd, size: 0, queued: [], queuedAt: 0, queuedBytes: 0, inFlight: new Set(), issued: 0, written: 0, synced: 0, syncing: undefined, retired: false, abandoned: false };
    this.open.add(this.current);
  }

  private write(p: OpenPack): void {
    if (!p.queued.length) return;
    const bufs = p.queued;
    const at = p.queuedAt;
    const want = p.queuedBytes;
    p.queued = [];
    p.queuedBytes = 0;
    p.issued++;
    const done: Promise<void> = this.writeAll(p.fd, bufs, at, want)
      .then(
        () => {
          p.written++;
        },
        (e) => this.fail(p, e),
      )
      .finally(() => {
        p.inFlight.delete(done);
        this.release(p);
      });
    p.inFlight.add(done);
  }

  /** One writev; a short one (a disk filling up part way) is finished or fails. */
  private async writeAll(fd: number, bufs: Buffer[], at: number, want: number): Promise<void> {
    const written = (await writev(fd, bufs, at)).bytesWritten;
    if (written >= want) return;
    const rest = Buffer.concat(bufs).subarray(written);
    let off = 0;
    while (off < rest.length) {
      const n = (await write(fd, rest, off, rest.length - off, at + written + off)).bytesWritten;
      if (!n) throw Object.assign(new Error('the disk took no more bytes'), { code: 'EIO' });
      off += n;
    }
  }

  private fail(p: OpenPack, e: unknown): void {
    // The store's own words: which folder, and what to do there (a full disk, a read-only folder).
    if (!this.broken.has(p.name)) this.broken.set(p.name, saveError(e, path.join(this.dir, `${p.name}.pack`)));
    // Nothing more goes into it: the next append begins a new pack.
    if (this.current === p) this.current = undefined;
    p.retired = true;
    p.abandoned = true;
  }

  private release(p: OpenPack): void {
    if (!p.retired || p.inFlight.size || p.queued.length || p.syncing || (p.synced < p.written && !p.abandoned)) return;
    this.open.delete(p);
    if (p.fd < 0) return;
    try {
      fs.closeSync(p.fd);
    } catch {
      // already closed
    }
    p.fd = -1;
  }
}

/** Reads a record's body, or undefined when the pack, the header or the hash does not match. */
export function readPacked(dir: string, ref: PackRef): Buffer | undefined {
  let fd: number;
  try {
    fd = fs.openSync(path.join(dir, `${ref.pack}.pack`), 'r');
  } catch {
    return undefined;
  }
  try {
    const buf = Buffer.allocUnsafe(HEADER_BYTES + ref.length);
    const n = fs.readSync(fd, buf, 0, buf.length, ref.offset - HEADER_BYTES);
    if (n < buf.length) return undefined;
    if (!buf.subarray(0, 4).equals(MAGIC) || buf.readUInt32LE(4) !== ref.length) return undefined;
    const body = buf.subarray(HEADER_BYTES);
    if (!crypto.createHash('sha256').update(body).digest().equals(buf.subarray(8, HEADER_BYTES))) return undefined;
    return body;
  } catch {
    return undefined;
  } finally {
    fs.closeSync(fd);
  }
}

/** Whether the pack holds the record's bytes (its size; the content is checked on read). */
export function packHolds(dir: string, ref: PackRef): boolean {
  try {
    return fs.statSync(path.join(dir, `${ref.pack}.pack`)).size >= ref.offset + ref.length;
  } catch {
    return false;
  }
}

export function removePack(dir: string, pack: string): void {
  fs.rmSync(path.join(dir, `${pack}.pack`), { force: true });
}
