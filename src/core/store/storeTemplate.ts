/**
 * A new store on disk starts as a copy of an empty store migrated at build time
 * (scripts/storeTemplate.ts, run by esbuild.mjs into dist/), instead of running its migrations.
 *
 * Why: a new store's migrations are the heaviest SQL a process runs in its first second. Forty
 * CREATE statements, ALTER TABLEs that make SQLite parse the whole schema again each time, and
 * a full-text table make sql.js's parser and code generator hot, and V8 then compiles ~30 of
 * sql.js's largest functions with TurboFan on its helper threads: ~0.8 s of compile time in
 * the first second and a half (`node --trace-wasm-compilation-times`), against ~0.25 s when an
 * existing store opens. That ran while the new account's first sync began, and on two cores the
 * engine's thread waited for a core (#13, docs/offline-bodies.md).
 *
 * The template's name carries a hash of the migrations: a bundle uses only the one its own
 * migrations made. Where there is none (tests from sources, a damaged install), a new store
 * runs its migrations as before.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { MIGRATIONS } from './schema';

/** `store-template-<hash of the migrations>.db.gz` */
export function storeTemplateName(): string {
  const hash = crypto.createHash('sha256').update(JSON.stringify(MIGRATIONS)).digest('hex').slice(0, 16);
  return `store-template-${hash}.db.gz`;
}

const SQLITE_MAGIC = Buffer.from('SQLite format 3\0', 'latin1');

/**
 * The template beside the bundle (`dir`), unpacked; undefined where there is none for these
 * migrations or it does not unpack to a SQLite file.
 */
export function shippedStoreTemplate(dir = __dirname): Uint8Array | undefined {
  let packed: Buffer;
  try {
    packed = fs.readFileSync(path.join(dir, storeTemplateName()));
  } catch {
    return undefined;
  }
  try {
    const bytes = zlib.gunzipSync(packed);
    return bytes.subarray(0, SQLITE_MAGIC.length).equals(SQLITE_MAGIC) ? bytes : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Writes a new store's file from the template: whole and on disk before it takes the store's
 * name, so a crash leaves either no store (the next open starts again) or the template, never a
 * part of it. A temporary file left by a crash is removed by the next open (persistence.ts).
 */
export function writeFromTemplate(file: string, template: Uint8Array): void {
  const tmp = `${file}.new.tmp`;
  try {
    const fd = fs.openSync(tmp, 'w', 0o600);
    try {
      fs.writeFileSync(fd, template);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
}
