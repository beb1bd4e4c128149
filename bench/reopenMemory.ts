/**
 * `node esbuild.mjs && node dist/reopenMemory.js DB [--sqljs-way]`: the peak RSS of opening a stored
 * database as a start does (MailStore.open of a folder holding a copy of DB), and the same
 * with sql.js's own way of loading a file (read, copy into MEMFS, then keepRoom's bigger copy),
 * to compare. Prints one JSON object. Each way runs in its own process (peak RSS is per process).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadSqlJs } from '../src/core/store/sqlite';
import { MailStore } from '../src/core/store/store';

async function main(): Promise<void> {
  const src = process.argv[2];
  const sqljsWay = process.argv.includes('--sqljs-way');
  if (!src || !fs.existsSync(src)) throw new Error('usage: node dist/reopenMemory.js path/to/maildesk.db [--sqljs-way]');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'maildesk-reopen-'));
  try {
    fs.copyFileSync(src, path.join(dir, 'maildesk.db'));
    const SQL = await loadSqlJs();
    const rssBefore = process.memoryUsage.rss();
    const t0 = performance.now();
    let messages: number;
    if (sqljsWay) {
      const bytes = await fs.promises.readFile(path.join(dir, 'maildesk.db'));
      const db = new SQL.Database(bytes);
      const mem = SQL.memFile!((db as unknown as { filename: string }).filename);
      mem.reserve(Math.max(512 * 1024 * 1024, bytes.length * 2));
      messages = Number(db.exec('SELECT COUNT(*) FROM messages')[0].values[0][0]);
      db.close();
    } else {
      const store = await MailStore.open({ dir, saveDelayMs: 60_000 });
      messages = store.stats().messages;
      store.close();
    }
    const ms = performance.now() - t0;
    process.stdout.write(
      JSON.stringify({
        way: sqljsWay ? 'sql.js (read, copy, reserve)' : 'MailStore.open (in place)',
        dbMb: Math.round(fs.statSync(src).size / 1048576),
        messages,
        openMs: Math.round(ms),
        rssBeforeMb: Math.round(rssBefore / 1048576),
        peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
      }) + '\n',
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack}\n`);
  process.exit(1);
});
