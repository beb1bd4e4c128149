/**
 * `npx tsx bench/openThroughEngine.ts [N] [OPENS]`: how long a VS Code window waits to open a
 * message whose body is stored, through the engine (what src/extension/threadView.ts does:
 * `reading/locate`, then `reading/thread`: thread query, raw from the blob store, MIME parse,
 * sanitise, page HTML, mark read, and the JSON-RPC round trips over the MessagePort).
 * Seeds a private Dovecot with N messages (default 10,000), syncs them through a real engine
 * and client, stores the bodies of OPENS Inbox messages (default 50), then opens each once
 * (so the engine's parsed-message cache never holds it) and prints median / p95 / max.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { MessageChannel } from 'node:worker_threads';
import { memorySecretStore } from '../src/core/auth/tokens';
import { passwordSecretKey, secretCredentials } from '../src/core/config';
import { EngineClient } from '../src/engine/client';
import { Engine } from '../src/engine/engine';
import { secretAnswers } from '../src/engine/secretAnswers';
import { generateMailbox } from '../src/sandbox/mailgen';
import { startDovecot } from '../test/support/dovecot';
import { imapAccount } from '../test/support/core';

const WEBVIEW = { cspSource: 'vscode-webview://bench', nonce: 'bm9uY2U=', scriptSrc: 'vscode-webview://bench/thread.js', cssHref: 'vscode-webview://bench/thread.css' };

const step = (s: string): boolean => process.stderr.write(`[openThroughEngine] ${s}\n`);

async function main(): Promise<void> {
  const n = Number(process.argv[2] ?? 10_000);
  const opens = Number(process.argv[3] ?? 50);
  step('starting Dovecot');
  const dv = await startDovecot({ users: { alice: 'secret' } });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'maildesk-bench-open-'));
  const { port1, port2 } = new MessageChannel();
  const started = await Engine.start({ dataDir: dir, host: 'headless', idle: false }, port2, () => undefined);
  if (started.kind !== 'ready') throw new Error('another engine owns the bench folder');
  const secrets = memorySecretStore({ [passwordSecretKey('alice', 'imap')]: 'secret' });
  const client = await EngineClient.overPort(port1, { dataDir: dir, kind: 'vscode', secrets: secretAnswers(secretCredentials(secrets), secrets) });
  try {
    step(`generating ${n} messages`);
    const mail = generateMailbox({ sizeProfile: 'demo', count: n, seed: 11, folders: { INBOX: 1 } });
    dv.seedMaildir('alice', 'INBOX', mail.map((m) => ({ raw: m.raw, flags: m.flags, date: m.date })));
    // No offline bodies job: only the messages opened below have their bodies stored.
    await client.request('accounts/add', { account: { ...imapAccount('alice', dv.port, { folders: ['INBOX'] }), bodies: { days: 0 } } });
    step('syncing');
    const syncStart = performance.now();
    const r = await client.request('sync/once', { accountIds: ['alice'] });
    if (!r.ok) throw new Error(`sync failed: ${r.failed.map((j) => j.errorMessage).join('; ')}`);
    const inbox = r.accounts[0].folders.find((f) => f.path === 'INBOX')!;
    const syncMs = performance.now() - syncStart;
    const page = await client.request('reading/listPage', { folderId: inbox.id, limit: opens, grouped: false });
    const ids = page!.items.map((i) => i.id);
    // Bodies stored first: this measures opening stored mail, not the network.
    for (const id of ids) await client.request('reading/source', { messageId: id, folderId: inbox.id });
    // Right after a sync of N headers the thread/search index is still catching up (the
    // scheduler's background indexer does that; here every read indexes for up to 50 ms).
    // Measure the steady state: wait until a thread read no longer has indexing to do.
    step('waiting for the index to catch up');
    const catchUp = performance.now();
    for (;;) {
      const t = performance.now();
      await client.request('reading/threadIds', { accountId: 'alice', threadKey: `#${ids[0]}`, keepFolderId: inbox.id });
      if (performance.now() - t < 10) break;
    }
    const indexMs = performance.now() - catchUp;
    step(`opening ${ids.length} messages`);
    const ms: number[] = [];
    const locateMs: number[] = [];
    for (const id of ids) {
      const start = performance.now();
      const loc = await client.request('reading/locate', { messageId: id, folderId: inbox.id });
      if (!loc) throw new Error(`message ${id} not found`);
      locateMs.push(performance.now() - start);
      await client.request('reading/thread', { accountId: loc.accountId, threadKey: loc.threadKey, keepFolderId: loc.folderId, clicked: id, remoteAllowed: [], markRead: true, webview: WEBVIEW });
      ms.push(performance.now() - start);
    }
    // The protocol's own cost: a request that does next to nothing in the engine.
    const rpcMs: number[] = [];
    for (let i = 0; i < 50; i++) {
      const t = performance.now();
      await client.request('reading/folder', { folderId: inbox.id });
      rpcMs.push(performance.now() - t);
    }
    const median = (xs: number[]): number => +[...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)].toFixed(2);
    ms.sort((a, b) => a - b);
    const at = (q: number): number => ms[Math.min(ms.length - 1, Math.floor(q * ms.length))];
    process.stdout.write(
      JSON.stringify({ messages: inbox.local, opens: ms.length, syncMs: Math.round(syncMs), indexCatchUpMs: Math.round(indexMs), medianMs: +at(0.5).toFixed(1), p95Ms: +at(0.95).toFixed(1), maxMs: +ms[ms.length - 1].toFixed(1), locateMedianMs: median(locateMs), emptyRequestMedianMs: median(rpcMs) }) + '\n',
    );
  } finally {
    await client.close().catch(() => undefined);
    await started.engine.stop('bench done').catch(() => undefined);
    await dv.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack}\n`);
  process.exit(1);
});
