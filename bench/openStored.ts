/**
 * `npx tsx bench/openStored.ts [N]`: how long opening a conversation takes when its bodies
 * are already stored, in the core: the thread view's whole host-side work (thread query,
 * raw from the blob store, MIME parse, sanitise, page HTML), as the reading pane runs it.
 * Seeds a private Dovecot with N realistic messages (default 300), syncs, stores every body,
 * then opens every Inbox conversation once cold (fresh cache) and prints median / p95 / max.
 */
import { performance } from 'node:perf_hooks';
import { generateMailbox } from '../src/sandbox/mailgen';
import { syncOnce } from '../src/core/sync/once';
import { listThreads } from '../src/core/threads/threads';
import { loadThreadView } from '../src/core/threads/view';
import { threadPageHtml } from '../src/core/threads/page';
import { startDovecot } from '../test/support/dovecot';
import { imapAccount, openCore } from '../test/support/core';

async function main(): Promise<void> {
  const n = Number(process.argv[2] ?? 300);
  const dv = await startDovecot({ users: { alice: 'secret' } });
  const core = await openCore(undefined, { alice: 'secret' });
  try {
    const mail = generateMailbox({ sizeProfile: 'demo', count: n, seed: 11, folders: { INBOX: 1 } });
    dv.seedMaildir('alice', 'INBOX', mail.map((m) => ({ raw: m.raw, flags: m.flags, date: m.date })));
    await core.addAccount(imapAccount('alice', dv.port, { folders: ['INBOX'] }));
    const r = await syncOnce(core, ['alice']);
    if (!r.ok) throw new Error(`sync failed: ${r.failed.map((j) => j.errorMessage).join('; ')}`);
    const inbox = core.store.getFolder('alice', 'INBOX')!;
    const threads = listThreads(core.store, inbox.id, { limit: 10_000 });
    // Every body stored first: this measures opening stored mail, not the network.
    for (const t of threads) for (const m of core.store.listMessages(inbox.id, { limit: 10_000 })) if (m.threadKey === t.threadKey || `#${m.id}` === t.threadKey) await core.messageSource(m.id, inbox.id);
    const ms: number[] = [];
    for (const t of threads) {
      const start = performance.now();
      const view = await loadThreadView(core, 'alice', t.threadKey, { keepFolderId: inbox.id, remoteAllowed: new Set() });
      threadPageHtml(view.subject, view.messages, { csp: '', interactive: true });
      ms.push(performance.now() - start);
    }
    ms.sort((a, b) => a - b);
    const at = (q: number): number => ms[Math.min(ms.length - 1, Math.floor(q * ms.length))];
    process.stdout.write(
      JSON.stringify({ conversations: ms.length, messages: n, medianMs: +at(0.5).toFixed(1), p95Ms: +at(0.95).toFixed(1), maxMs: +ms[ms.length - 1].toFixed(1) }) + '\n',
    );
  } finally {
    await core.close();
    await dv.dispose();
  }
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack}\n`);
  process.exit(1);
});
