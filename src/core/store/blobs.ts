/**
 * Bodies and attachments live as files beside the database, named by their SHA-256,
 * so saving the database (a full export with sql.js) stays cheap as mail grows and
 * the same attachment is stored once.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

export class BlobStore {
  private readonly memory = new Map<string, Buffer>();
  /** Sub-folders known to exist (putAsync creates each once). */
  private readonly made = new Set<string>();
  private seq = 0;
  constructor(private readonly dir: string | undefined) {}

  private file(hash: string): string {
    return path.join(this.dir!, hash.slice(0, 2), hash);
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
   * Like put, with the writing (and its fdatasync) done off the thread (libuv's pool), so a
   * stream of bodies is written while the next ones are parsed. Only the hash is computed on the thread. The
   * temporary file and rename keep a half-written blob from ever carrying the hash's name.
   */
  async putAsync(data: Buffer): Promise<string> {
    const hash = crypto.createHash('sha256').update(data).digest('hex');
    if (!this.dir) {
      this.memory.set(hash, data);
      return hash;
    }
    const f = this.file(hash);
    const d = path.dirname(f);
    if (!this.made.has(d)) {
      await fs.promises.mkdir(d, { recursive: true });
      this.made.add(d);
    }
    const tmp = `${f}.${process.pid}.${++this.seq}.tmp`;
    try {
      const fh = await fs.promises.open(tmp, 'w');
      try {
        await fh.writeFile(data);
        // On disk before its row is committed (a power cut must not leave a row pointing at an
        // empty file), and off the thread: written back as it goes, bodies arriving by the GB
        // never pile up in the page cache for the store's own fsyncs to wait behind.
        await fh.datasync();
      } finally {
        await fh.close();
      }
      // Over an existing blob of the same hash this replaces identical bytes.
      await fs.promises.rename(tmp, f);
    } catch (e) {
      await fs.promises.rm(tmp, { force: true });
      throw e;
    }
    return hash;
  }

  /** Whether the blob is stored (without reading it). */
  has(hash: string): boolean {
    if (!/^[0-9a-f]{64}$/.test(hash)) return false;
    if (!this.dir) return this.memory.has(hash);
    return fs.existsSync(this.file(hash));
  }

  get(hash: string): Buffer | undefined {
    if (!/^[0-9a-f]{64}$/.test(hash)) return undefined;
    if (!this.dir) return this.memory.get(hash);
    try {
      return fs.readFileSync(this.file(hash));
    } catch {
      return undefined;
    }
  }

  delete(hash: string): void {
    if (!/^[0-9a-f]{64}$/.test(hash)) return;
    if (!this.dir) {
      this.memory.delete(hash);
      return;
    }
    fs.rmSync(this.file(hash), { force: true });
  }
}
