/**
 * Builds the empty, migrated store a new data folder starts from (src/core/store/storeTemplate.ts):
 * a store opened in a temporary folder runs every migration, is closed (the file alone then
 * holds everything, in the rollback format), and is written gzipped under its hash-named file.
 * esbuild.mjs runs it into dist/: `node -r tsx/cjs scripts/storeTemplate.ts dist`.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { MailStore } from '../src/core/store/store';
import { storeTemplateName } from '../src/core/store/storeTemplate';

/** Writes the template into `outDir` (replacing any other one there) and returns its path. */
export async function writeStoreTemplate(outDir: string): Promise<string> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'maildesk-store-template-'));
  try {
    // From sources there is no template beside the store's module: this store runs its migrations.
    const store = await MailStore.open({ dir: tmp });
    store.close();
    const bytes = fs.readFileSync(path.join(tmp, 'maildesk.db'));
    fs.mkdirSync(outDir, { recursive: true });
    for (const f of fs.readdirSync(outDir)) if (/^store-template-.*\.db\.gz$/.test(f)) fs.rmSync(path.join(outDir, f));
    const out = path.join(outDir, storeTemplateName());
    fs.writeFileSync(out, zlib.gzipSync(bytes, { level: 9 }));
    return out;
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

if (require.main === module) {
  writeStoreTemplate(process.argv[2] ?? 'dist').catch((e: unknown) => {
    console.error(`building the store template failed: ${(e as Error).stack ?? String(e)}`);
    process.exit(1);
  });
}
