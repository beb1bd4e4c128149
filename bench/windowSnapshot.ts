/**
 * `npx tsx bench/windowSnapshot.ts [--messages N]`: what one repaint of the Mailboxes view, the
 * Sync Jobs view and the status bar costs now that they read through the engine: the time of
 * one `window/mailboxes` request (every account, every folder with its local counts, every job;
 * and without the counts, as the status bar and Sync Jobs view read it)
 * and of one `window/inboxNews` (the unread badge), each from a client process while the engine
 * runs in a worker thread, and the size of the snapshot as JSON. INBOX holds N messages and three
 * more synced folders share them (hard links, bench/seed.ts). Prints one JSON object.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startDovecot } from '../test/support/dovecot';
import { EngineClient } from '../src/engine/client';
import { seedBench } from './seed';

const USER = 'alice';
const PASSWORD = 'secret';
const RUNS = 30;

function stats(ms: number[]): { medianMs: number; maxMs: number } {
  const s = [...ms].sort((a, b) => a - b);
  return { medianMs: +s[Math.floor(s.length / 2)].toFixed(2), maxMs: +s[s.length - 1].toFixed(2) };
}

async function timed(fn: () => Promise<unknown>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t = performance.now();
    await fn();
    out.push(performance.now() - t);
  }
  return out;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const i = argv.indexOf('--messages');
  const messages = i >= 0 ? Number(argv[i + 1]) : 10_000;
  const others = ['Archive', 'Lists', 'Projects'];
  const dv = await startDovecot({ users: { [USER]: PASSWORD } });
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'maildesk-window-bench-'));
  try {
    process.stderr.write(`[window-bench] seeding ${messages} messages in INBOX and ${others.join(', ')}\n`);
    seedBench(dv, USER, messages, others);
    const client = await EngineClient.connect({
      dataDir,
      kind: 'cli',
      secrets: { password: async () => ({ password: PASSWORD }), get: async () => undefined, set: async () => undefined, delete: async () => undefined },
      engine: { idle: false },
    });
    if (!client.hosting) throw new Error('another engine runs on the bench folder');
    await client.request('accounts/add', { account: { id: 'bench', provider: 'imap', email: 'alice@example.test', imap: { host: '127.0.0.1', port: dv.port, security: 'none', user: USER }, folders: ['INBOX', ...others] } });
    process.stderr.write('[window-bench] syncing\n');
    const r = await client.request('sync/once', { accountIds: ['bench'] });
    if (!r.ok) throw new Error(`sync failed: ${r.failed.map((j) => j.errorMessage).join('; ')}`);
    const snap = await client.request('window/mailboxes', { counts: true });
    const mailboxes = stats(await timed(() => client.request('window/mailboxes', { counts: true })));
    const plain = stats(await timed(() => client.request('window/mailboxes', {})));
    const news = stats(await timed(() => client.request('window/inboxNews', { seen: [] })));
    await client.close();
    const out = {
      messages,
      folders: snap.folders.length,
      localMessages: snap.folders.reduce((n, f) => n + (f.local ?? 0), 0),
      jobs: snap.jobs.length,
      snapshotJsonBytes: JSON.stringify(snap).length,
      windowMailboxes: mailboxes,
      windowMailboxesWithoutCounts: plain,
      windowInboxNews: news,
      runs: RUNS,
    };
    process.stdout.write(JSON.stringify(out, null, 2) + '\n');
  } finally {
    await dv.dispose();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    process.stderr.write(`${e instanceof Error ? e.stack : String(e)}\n`);
    process.exit(1);
  },
);
