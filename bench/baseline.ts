/**
 * The baseline: a bare imapflow client doing the same IMAP work as the provider, with no
 * store behind it. Same header fields (HEADER_QUERY of imapProvider.ts), same pages (the
 * newest FIRST_PAGE_SIZE by sequence, then UID ranges of PAGE_SIZE below the lowest UID),
 * results collected per page as the provider does, then dropped. It runs under the same stall
 * tracer (stallTracer.ts) as MailDesk's run.
 */
import { loopDelay } from './loopDelay';
import { ImapFlow, type FetchMessageObject, type FetchQueryObject } from 'imapflow';
import type { ChildConfig } from './options';
import { cpuSnapshot, cpuSplit, mainThreadTimes, type CpuSplit } from './threadTimes';
import { StallTracer } from './stallTracer';
import { HEADER_QUERY } from '../src/core/providers/imap/headerRows';

/** The provider's own header query, so the baseline fetches exactly the same data. */
export const BENCH_HEADER_QUERY = HEADER_QUERY as unknown as FetchQueryObject;

export interface BaselineResult {
  kind: 'baseline';
  /** connect + select + newest page fetched, from before connect. */
  newest100Ms: number;
  /** Whole folder, from select to the last page (login excluded, as for MailDesk). */
  syncMs: number;
  fetched: number;
  msgPerSec: number;
  /** The main thread's own CPU time over syncMs (as MailDesk's). */
  syncCpuMs: number;
  /** Where the CPU of the sync went (as MailDesk's): the main thread, V8's helper threads, Dovecot. */
  syncCpuSplit?: CpuSplit;
  /** STATUS of the ten folders on an open connection: the least a no-change sync must do. */
  noChangeMs: number;
  peakRssMb: number;
  maxStallMs: number;
  /** The most main-thread CPU time inside one gap of the sync (as MailDesk's maxOwnStallMs). */
  maxOwnStallMs: number;
}

export function bareClient(c: Pick<ChildConfig, 'port' | 'user' | 'password'>): ImapFlow {
  return new ImapFlow({
    host: '127.0.0.1',
    port: c.port,
    secure: false,
    doSTARTTLS: false,
    auth: { user: c.user, pass: c.password },
    logger: false,
    qresync: true,
    disableAutoIdle: true,
  });
}

async function collect(c: ImapFlow, range: string, byUid: boolean): Promise<FetchMessageObject[]> {
  const out: FetchMessageObject[] = [];
  for await (const m of c.fetch(range, BENCH_HEADER_QUERY, { uid: byUid })) out.push(m);
  return out;
}

/** Fetches the whole folder page by page; returns how many messages came back. */
export async function fetchFolder(c: ImapFlow, folder: string, firstPageSize: number, pageSize: number, onFirstPage?: () => void): Promise<number> {
  const lock = await c.getMailboxLock(folder, { readOnly: true });
  try {
    const exists = c.mailbox && typeof c.mailbox === 'object' ? c.mailbox.exists : 0;
    if (!exists) return 0;
    const first = await collect(c, `${Math.max(1, exists - firstPageSize + 1)}:${exists}`, false);
    onFirstPage?.();
    let fetched = first.length;
    let low = first.reduce((a, m) => Math.min(a, m.uid), Number.POSITIVE_INFINITY);
    while (Number.isFinite(low) && low > 1) {
      const high = low - 1;
      const from = Math.max(1, high - pageSize + 1);
      const page = await collect(c, `${from}:${high}`, true);
      fetched += page.length;
      // Seeded UIDs are dense, so a UID range never comes back empty before UID 1.
      low = from;
    }
    return fetched;
  } finally {
    lock.release();
  }
}

export async function runBaseline(cfg: ChildConfig): Promise<BaselineResult> {
  const h = loopDelay();
  h.enable();
  const t0 = performance.now();
  // The same instruments as MailDesk's run (maildeskRun.ts), so each side's time carries them.
  const tracer = new StallTracer(t0);
  tracer.phase = 'INBOX sync';
  tracer.start();
  const c = bareClient(cfg);
  c.on('error', () => undefined);
  await c.connect();
  let newest100Ms = NaN;
  // As MailDesk's run: the ~3 ms read of every process's CPU before the sync's time starts.
  const cpuBefore = cpuSnapshot(cfg.dovecotPid);
  await new Promise((r) => setImmediate(r));
  const tSync = performance.now();
  const cpuSync = mainThreadTimes();
  const fetched = await fetchFolder(c, cfg.inbox, cfg.firstPageSize, cfg.pageSize, () => {
    newest100Ms = performance.now() - t0;
  });
  const syncMs = performance.now() - tSync;
  const syncCpuSplit = cpuSplit(cpuBefore, cpuSnapshot(cfg.dovecotPid));
  const syncCpuMs = (mainThreadTimes()?.runMs ?? NaN) - (cpuSync?.runMs ?? NaN);
  h.disable();
  tracer.stop();

  const condstore = c.capabilities.has('CONDSTORE');
  const tStatus = performance.now();
  for (const f of [cfg.inbox, ...cfg.otherFolders]) {
    await c.status(f, { messages: true, uidNext: true, uidValidity: true, unseen: true, highestModseq: condstore });
  }
  const noChangeMs = performance.now() - tStatus;
  await c.logout().catch(() => c.close());
  return {
    kind: 'baseline',
    newest100Ms,
    syncMs,
    fetched,
    msgPerSec: fetched / (syncMs / 1000),
    syncCpuMs,
    syncCpuSplit,
    noChangeMs,
    peakRssMb: process.resourceUsage().maxRSS / 1024,
    maxStallMs: h.max / 1e6,
    maxOwnStallMs: tracer.maxOwnMs('INBOX sync'),
  };
}
