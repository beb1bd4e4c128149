/**
 * Offline bodies, three ways against the same Dovecot, each in its own process:
 * - MailDesk: a fresh store, the account with bodies for all mail, `syncOnce` of INBOX until
 *   headers and bodies are stored and the database is on disk; then the time to open a
 *   stored message (core → rendered text) and the background body indexing;
 * - mbsync (isync): a full pull of INBOX into an empty Maildir;
 * - bare imapflow: one `fetch('1:*', { source: true })` of INBOX, bytes counted, dropped.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loopDelay } from './loopDelay';
import { MailDesk } from '../src/core/maildesk';
import { indexBodiesInBackground } from '../src/core/search/bodyIndexer';
import { indexInBackground } from '../src/core/search/indexer';
import { bodyCounts, bodyPage, KEY_BOTTOM, KEY_TOP } from '../src/core/store/bodies';
import { syncOnce } from '../src/core/sync/once';
import { openMessage } from '../src/core/threads/reading';
import { imapAccount, mapCredentials } from '../test/support/core';
import { bareClient } from './baseline';
import { instrument } from './maildeskRun';
import { StallTracer, type StallInfo } from './stallTracer';
import { mainThreadTimes } from './threadTimes';
import { MemoryProbe, type MemorySample } from './memoryProbe';
import { median, type ChildConfig } from './options';

export interface MailDeskBodiesResult {
  kind: 'maildesk-bodies';
  /** MailDesk.open → headers and bodies of INBOX stored and the database saved (login included). */
  totalMs: number;
  /** Of it, syncOnce alone. */
  syncMs: number;
  /** The closing save (store.flush) after it. */
  saveMs: number;
  messages: number;
  bodies: number;
  bodyBytes: number;
  /** Open a stored message: core messageSource + parse + sanitise → text, over OPEN_SAMPLES messages. */
  openP50Ms: number;
  openMaxMs: number;
  /** Threads + header index, then body text into the search index, in background batches. */
  indexMs: number;
  bodyIndexMs: number;
  bodyIndexed: number;
  indexStallMs: number;
  peakRssMb: number;
  /** Where the memory was at the highest RSS, and at each phase's own highest (memoryProbe.ts). */
  memoryAtPeak: MemorySample | undefined;
  memoryByPhase: MemorySample[];
  /** One sample a second, for a plot of where it grows. */
  memorySeries: MemorySample[];
  /** The main thread's own CPU time over the sync (schedstat; NaN where there is none). */
  syncCpuMs: number;
  /** monitorEventLoopDelay max over the sync (headers + bodies). */
  maxStallMs: number;
  /** The most main-thread CPU time inside one gap of the sync (StallInfo.mainCpuMs): its own work. */
  maxOwnStallMs: number;
  /** The longest gaps of a 5 ms timer, with the process's CPU time in each (low: it waited for a core). */
  stalls: StallInfo[];
}

export interface MbsyncResult {
  kind: 'mbsync';
  totalMs: number;
  files: number;
  bytes: number;
}

export interface FullFetchResult {
  kind: 'fullfetch';
  totalMs: number;
  messages: number;
  bytes: number;
}

const OPEN_SAMPLES = 51;
const BODY_INDEX_BOX_MS = 20_000;

export async function runMailDeskBodies(cfg: ChildConfig): Promise<MailDeskBodiesResult> {
  fs.rmSync(cfg.dataDir, { recursive: true, force: true });
  const h = loopDelay();
  const t0 = performance.now();
  const tracer = new StallTracer(t0);
  tracer.phase = 'headers + bodies';
  tracer.start();
  const mem = new MemoryProbe();
  await mem.start();
  h.enable();
  const core = await MailDesk.open({
    dataDir: cfg.dataDir,
    credentials: mapCredentials({ [cfg.user]: cfg.password }),
    idle: false,
    imap: { firstPageSize: cfg.firstPageSize, pageSize: cfg.pageSize, maxConnections: cfg.maxConnections, headerWorker: cfg.headerWorker },
  });
  const { store } = core;
  mem.attach(store);
  // Store calls are timed so a stall names those inside it.
  instrument(store, tracer);
  try {
    await core.addAccount({ ...imapAccount(cfg.user, cfg.port, { folders: [cfg.inbox] }), bodies: { days: 'all' } });
    const tSync = performance.now();
    const cpuSync = mainThreadTimes();
    mem.phase = 'headers + bodies';
    const r = await syncOnce(core, [cfg.user], {
      onProgress: (j) => {
        if (j.kind === 'backfill' && j.status === 'done') mem.phase = 'bodies';
      },
    });
    const syncMs = performance.now() - tSync;
    const syncCpuMs = (mainThreadTimes()?.runMs ?? NaN) - (cpuSync?.runMs ?? NaN);
    mem.phase = 'final save';
    if (!r.ok) throw new Error(`sync failed: ${r.failed.map((j) => `${j.id}: ${j.errorMessage}`).join('; ')}`);
    const tSave = performance.now();
    await store.flush();
    const saveMs = performance.now() - tSave;
    const totalMs = performance.now() - t0;
    h.disable();
    tracer.phase = 'open + index';
    mem.phase = 'open';

    const inbox = store.getFolder(cfg.user, cfg.inbox)!;
    // Every message of the folder, no size cap (bodies: N of M as the job counts them).
    const counted = await bodyCounts(store, inbox.id, 'uid', 0, Number.MAX_SAFE_INTEGER);
    const counts = { n: counted.total, b: counted.stored, bytes: counted.bytes };

    // Opening: evenly spread over the folder, from the store (the server is not asked).
    // Ids only, a page at a time: 100,000 rows read in one go would count the bench's own
    // bookkeeping in the engine's peak memory (and hold the thread ~1 s).
    const ids: number[] = [];
    for (let next = KEY_TOP; ; ) {
      const page = bodyPage(store, inbox.id, 'uid', next, KEY_BOTTOM, 2000);
      if (!page.length) break;
      for (const x of page) ids.push(x.id);
      next = page[page.length - 1].key;
      await new Promise((r) => setImmediate(r));
    }
    ids.reverse();
    const open: number[] = [];
    for (let i = 0; i < OPEN_SAMPLES; i++) {
      const id = ids[Math.floor((i * (ids.length - 1)) / (OPEN_SAMPLES - 1))];
      // Each open is a request of its own (from a window or the CLI), so the loop gives the
      // event loop a turn between them; back to back in one chain of promises, 51 opens held
      // it 300–400 ms and counted as one stall.
      await new Promise((r) => setImmediate(r));
      const t = performance.now();
      const m = await openMessage(core, id, inbox.id, { allowRemote: false });
      open.push(performance.now() - t);
      if (m.rendered.parsed.text === undefined && !m.rendered.bodies.length) throw new Error(`message ${id} rendered nothing`);
    }

    const hIdx = loopDelay();
    hIdx.enable();
    const tIdx = performance.now();
    mem.phase = 'thread + header index';
    await indexInBackground(store, { batch: 100 });
    const indexMs = performance.now() - tIdx;
    // Time-boxed: at 10,000 messages and more, the rate is what matters, not waiting for all.
    const tBody = performance.now();
    mem.phase = 'body index';
    const bodyIndexed = await indexBodiesInBackground(store, { stop: () => performance.now() - tBody > BODY_INDEX_BOX_MS });
    const bodyIndexMs = performance.now() - tBody;
    hIdx.disable();

    return {
      kind: 'maildesk-bodies',
      totalMs,
      syncMs,
      saveMs,
      messages: counts.n,
      bodies: counts.b,
      bodyBytes: counts.bytes,
      openP50Ms: median(open),
      openMaxMs: Math.max(...open),
      indexMs,
      bodyIndexMs,
      bodyIndexed,
      indexStallMs: hIdx.max / 1e6,
      peakRssMb: process.resourceUsage().maxRSS / 1024,
      memoryAtPeak: mem.peak(),
      memoryByPhase: [...mem.peaks.values()],
      memorySeries: mem.series,
      syncCpuMs,
      maxStallMs: h.max / 1e6,
      maxOwnStallMs: tracer.maxOwnMs('headers + bodies'),
      // The three longest of each phase (syncing, and opening + indexing after it), and the
      // three of the sync with the most work of the main thread's own in them.
      stalls: ((all, own) => {
        const sync = all.filter((x) => x.phase === 'headers + bodies').slice(0, 3);
        const more = own.filter((x) => x.phase === 'headers + bodies' && !sync.some((y) => y.at === x.at)).slice(0, 3);
        return [...sync, ...more, ...all.filter((x) => x.phase !== 'headers + bodies').slice(0, 3)];
      })(tracer.top(1000), tracer.top(1000, 'own')),
    };
  } finally {
    tracer.stop();
    mem.stop();
    await core.close();
  }
}

/** mbsync's configuration for a plain pull of INBOX into `maildir`. */
export function mbsyncConfig(cfg: Pick<ChildConfig, 'port' | 'user' | 'password' | 'inbox'>, maildir: string): string {
  return [
    'IMAPAccount bench',
    'Host 127.0.0.1',
    `Port ${cfg.port}`,
    `User ${cfg.user}`,
    `Pass ${cfg.password}`,
    'SSLType None',
    'AuthMechs LOGIN PLAIN',
    '',
    'IMAPStore remote',
    'Account bench',
    '',
    'MaildirStore local',
    `Path ${maildir}/`,
    `Inbox ${maildir}/INBOX`,
    '',
    'Channel pull',
    'Far :remote:',
    'Near :local:',
    `Patterns ${cfg.inbox}`,
    'Sync Pull',
    'Create Near',
    'SyncState *',
    '',
  ].join('\n');
}

export async function runMbsync(cfg: ChildConfig): Promise<MbsyncResult> {
  const dir = cfg.dataDir;
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const maildir = path.join(dir, 'Maildir');
  fs.mkdirSync(maildir);
  const conf = path.join(dir, 'mbsyncrc');
  fs.writeFileSync(conf, mbsyncConfig(cfg, maildir), { mode: 0o600 });
  const t0 = performance.now();
  await new Promise<void>((resolve, reject) => {
    const p = spawn('mbsync', ['-c', conf, '-a', '-q'], { stdio: ['ignore', 'inherit', 'pipe'] });
    let err = '';
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    p.once('error', reject);
    p.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`mbsync exited with ${code}: ${err.slice(-500)}`))));
  });
  const totalMs = performance.now() - t0;
  let files = 0;
  let bytes = 0;
  for (const sub of ['cur', 'new']) {
    const d = path.join(maildir, 'INBOX', sub);
    if (!fs.existsSync(d)) continue;
    for (const f of fs.readdirSync(d)) {
      files++;
      bytes += fs.statSync(path.join(d, f)).size;
    }
  }
  fs.rmSync(dir, { recursive: true, force: true });
  return { kind: 'mbsync', totalMs, files, bytes };
}

export async function runFullFetch(cfg: ChildConfig): Promise<FullFetchResult> {
  const t0 = performance.now();
  const c = bareClient(cfg);
  c.on('error', () => undefined);
  await c.connect();
  let messages = 0;
  let bytes = 0;
  const lock = await c.getMailboxLock(cfg.inbox, { readOnly: true });
  try {
    for await (const m of c.fetch('1:*', { uid: true, source: true })) {
      messages++;
      bytes += m.source?.length ?? 0;
    }
  } finally {
    lock.release();
  }
  const totalMs = performance.now() - t0;
  await c.logout().catch(() => c.close());
  return { kind: 'fullfetch', totalMs, messages, bytes };
}

/** Whether mbsync is installed (the bench installs isync where it is missing and it can). */
export function hasMbsync(): boolean {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    try {
      fs.accessSync(path.join(dir, 'mbsync'), fs.constants.X_OK);
      return true;
    } catch {
      // next
    }
  }
  return false;
}
