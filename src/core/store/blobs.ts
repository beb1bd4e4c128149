/**
 * Bodies and attachments live as files beside the database, named by their SHA-256,
 * so saving the database (a full export with sql.js) stays cheap as mail grows and
 * the same attachment is stored once. Bodies fetched in bulk go into packs instead
 * (blobPacks.ts); their references say so (`pk:`), and get/has/delete take both.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isPackName, isPackRef, PackWriter, packHolds, packPrefix, parsePackRef, readPacked, removePack } from './blobPacks';

export class BlobStore {
  private readonly memory = new Map<string, Buffer>();
  /** Bodies fetched in bulk (append): packs of them, not a file each. */
  private packs: PackWriter | undefined;
  /**
   * `referenced(prefix)`: whether any message still points to a reference starting with it;
   * a pack goes once none does.
   */
  constructor(
    private readonly dir: string | undefined,
    private readonly referenced?: (prefix: string) => boolean,
  ) {
    this.packsDir = dir && path.join(dir, 'packs');
  }

  /** Where append() writes its packs (undefined: in memory). */
  private readonly packsDir: string | undefined;

  /** Packs a deleted record was in: each goes if nothing points into it any more. */
  private readonly emptied = new Set<string>();

  private file(hash: string): string {
    return path.join(this.dir!, hash.slice(0, 2), hash);
  }

  private dropEmptied(): void {
    for (const pack of this.emptied) {
      try {
        this.dropPack(pack);
      } catch {
        // the store closed: the next deletion into this pack, or compaction, checks again
      }
    }
    this.emptied.clear();
  }

  /** Deletes the pack if this store is not writing it and no message points into it. */
  dropPack(pack: string): boolean {
    if (!this.packsDir || !this.referenced || this.packs?.isOpen(pack) || this.referenced(packPrefix(pack))) return false;
    removePack(this.packsDir, pack);
    return true;
  }

  /** The packs on disk this store is not writing, with their sizes (packCompaction.ts). */
  closedPacks(): Array<{ name: string; size: number }> {
    const dir = this.packsDir;
    if (!dir) return [];
    let names: string[];
    try {
      names = fs.readdirSync(dir);
    } catch {
      return [];
    }
    const out: Array<{ name: string; size: number }> = [];
    for (const f of names) {
      const name = f.endsWith('.pack') ? f.slice(0, -5) : undefined;
      if (!name || !isPackName(name) || this.packs?.isOpen(name)) continue;
      try {
        out.push({ name, size: fs.statSync(path.join(dir, f)).size });
      } catch {
        // gone meanwhile
      }
    }
    return out;
  }

  put(data: Buffer | Uint8Array): string {
    const buf = Buffer.isBuffer(data) ? data : Buffer.from(data);
    const hash = crypto.createHash('sha256').update(buf).digest('hex');
    if (!this.dir) {
      this.memory.set(hash, buf);
      return hash;
    }
    const f = this.file(hash);
    if (!fs.existsSync(f)) {
      fs.mkdirSync(path.dirname(f), { recursive: true });
      const tmp = `${f}.${process.pid}.tmp`;
      fs.writeFileSync(tmp, buf);
      fs.renameSync(tmp, f);
    }
    return hash;
  }

  /**
   * For a stream of fetched bodies: appended to a pack (blobPacks.ts) instead of a file each,
   * the writing off the thread. The reference is returned at once; the bytes are on disk for
   * good only once flush() given it resolves, and nothing may point to it before.
   */
  append(data: Buffer): string {
    if (!this.packsDir) return this.put(data);
    this.packs ??= new PackWriter(this.packsDir);
    return this.packs.append(data);
  }

  /** Every reference append() returned before the call on disk for good (rejects if any of `refs` failed). */
  async flush(refs: readonly string[]): Promise<void> {
    await this.packs?.flush(refs);
  }

  /** Closes the pack being written (the store closes). */
  close(): void {
    this.packs?.close();
    this.packs = undefined;
  }

  /** Whether the blob is stored (without reading it). */
  has(hash: string): boolean {
    if (isPackRef(hash)) {
      const ref = parsePackRef(hash);
      return !!ref && !!this.packsDir && packHolds(this.packsDir, ref);
    }
    if (!/^[0-9a-f]{64}$/.test(hash)) return false;
    if (!this.dir) return this.memory.has(hash);
    return fs.existsSync(this.file(hash));
  }

  get(hash: string): Buffer | undefined {
    if (isPackRef(hash)) {
      const ref = parsePackRef(hash);
      return ref && this.packsDir ? readPacked(this.packsDir, ref) : undefined;
    }
    if (!/^[0-9a-f]{64}$/.test(hash)) return undefined;
    if (!this.dir) return this.memory.get(hash);
    try {
      return fs.readFileSync(this.file(hash));
    } catch {
      return undefined;
    }
  }

  /**
   * A file goes at once. A pack record cannot: its pack goes once no message points into it,
   * checked a turn later, after the transaction that dropped the last reference committed (a
   * rolled back one still points there, and the pack stays).
   */
  delete(hash: string): void {
    if (isPackRef(hash)) {
      const pack = parsePackRef(hash)?.pack;
      if (pack && this.packsDir && this.referenced) {
        if (!this.emptied.size) setImmediate(() => this.dropEmptied());
        this.emptied.add(pack);
      }
      return;
    }
    if (!/^[0-9a-f]{64}$/.test(hash)) return;
    if (!this.dir) {
      this.memory.delete(hash);
      return;
    }
    fs.rmSync(this.file(hash), { force: true });
  }
}
