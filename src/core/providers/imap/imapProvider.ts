/**
 * Classic IMAP/SMTP accounts: imapflow for IMAP, nodemailer for SMTP.
 *
 * Rules this file keeps, learnt the hard way by other clients:
 * - never issue an IMAP command inside a running `fetch` loop (imapflow deadlocks):
 *   collect the page, leave the loop, then store it;
 * - never `fetchAll` a whole large folder: newest page first, then pages below a cursor;
 * - one connection per folder at a time, from a small pool.
 */
import { type FetchMessageObject, ImapFlow } from 'imapflow';
import { Readable } from 'node:stream';
import type { AccountConfig, CredentialSource } from '../../config';
import { MailError, toMailError } from '../../errors';
import { type Logger, noopLogger } from '../../log';
import type { FolderRole, FolderRow, IncomingMessage } from '../../store/store';
import { nextBackfillRange, newestPageSeqRange, planImapSync } from '../../sync/imapPlan';
import type {
  BodyRef,
  Disposable,
  FolderSyncResult,
  MessageRef,
  MailProvider,
  ProviderCapabilities,
  RemoteFolder,
  RemoteTask,
  SyncContext,
  SendEnvelope,
  SendReceipt,
  SyncMode,
  VerifyReport,
} from '../provider';
import { StepRunner, verifyTransport } from '../verify';
import type { ConnectionLimits } from '../../limits';
import { connectImap, createImapClient, faultOr, openImapClient } from './connect';
import { HeaderFetcher } from './headerFetcher';
import { HEADER_QUERY, toIncoming } from './headerRows';
import { ConnectionPool } from './pool';
import { storeInTurns } from './storeInTurns';
import { connectSmtp, describeSmtpAuth, smtpAuthError, smtpConnection, smtpLogin } from './smtp';

export interface ImapProviderOptions {
  logger?: Logger;
  maxConnections?: number;
  /** Size of the first page of a new folder: what makes the first screen usable. */
  firstPageSize?: number;
  /** Backfill and new-mail page size. */
  pageSize?: number;
  /** Overrides of the connection limits (src/core/limits.ts); tests use short ones. */
  limits?: Partial<ConnectionLimits>;
  /** UIDVALIDITY changes of one folder in a row before its sync stops with an error (default 5). */
  maxConsecutiveResets?: number;
  /**
   * Backfill pages parsed on a thread of their own (headerWorker.ts): 'auto' when pages hold
   * at least HEADER_WORKER_MIN_PAGE messages (the default size does), 'always', or 'off'.
   */
  headerWorker?: 'auto' | 'always' | 'off';
}

/** Below this page size the worker's second connection and thread cost more than they save. */
const HEADER_WORKER_MIN_PAGE = 200;

const ROLE_BY_SPECIAL_USE: Record<string, FolderRole> = {
  '\\Inbox': 'inbox',
  '\\Sent': 'sent',
  '\\Drafts': 'drafts',
  '\\Trash': 'trash',
  '\\Junk': 'junk',
  '\\Archive': 'archive',
  '\\All': 'all',
  '\\Flagged': 'flagged',
};

export class ImapProvider implements MailProvider {
  readonly kind = 'imap' as const;
  private pool: ConnectionPool | undefined;
  private headerWorker: HeaderFetcher | undefined;
  private caps: Set<string> | undefined;
  private readonly backfillHeld = new Map<number, number>();
  /** UIDVALIDITY changes per folder since a sync last found the server agreeing with itself. */
  private readonly resetsInARow = new Map<number, number>();
  /**
   * Courier-IMAP saves a folder's UIDs, and its UIDVALIDITY, only when a client opens the folder
   * read-write. What STATUS and EXAMINE report before that is made up again: a new UIDVALIDITY
   * a second later, and the UIDs of mail no read-write SELECT has seen go to the messages of
   * another client's COPY, under the same UIDVALIDITY. On such a server every sync opens its
   * folder read-write, so every UID MailDesk stores is one the server has saved. Known from the
   * greeting (Courier names itself there), or learnt when a folder's UIDVALIDITY changes.
   */
  private syncReadWrite = false;
  private readonly logger: Logger;
  private readonly firstPageSize: number;
  private readonly pageSize: number;

  constructor(
    private readonly account: AccountConfig,
    private readonly credentials: CredentialSource,
    private readonly opts: ImapProviderOptions = {},
  ) {
    if (!account.imap) throw new MailError('config.invalid', `account "${account.id}" has no imap server settings`);
    this.logger = opts.logger ?? noopLogger;
    this.firstPageSize = opts.firstPageSize ?? 100;
    this.pageSize = opts.pageSize ?? 500;
  }

  get accountId(): string {
    return this.account.id;
  }

  private async connect(qresync = true): Promise<ImapFlow> {
    const password = await this.credentials.password(this.account, 'imap');
    try {
      const c = await connectImap({ server: this.account.imap!, password, logger: this.logger, accountId: this.account.id, qresync, limits: this.opts.limits });
      if (!this.caps) this.caps = new Set([...c.capabilities.keys()].map((k) => k.toUpperCase()));
      if (!this.syncReadWrite && savesUidsOnlyReadWrite(c)) this.syncReadWrite = true;
      return c;
    } catch (e) {
      throw toMailError(e, `IMAP ${this.account.imap!.host}:${this.account.imap!.port}`);
    }
  }

  /** The header worker, when this provider's pages are worth one (see ImapProviderOptions.headerWorker). */
  private headers(): HeaderFetcher | undefined {
    const mode = this.opts.headerWorker ?? 'auto';
    if (mode === 'off' || (mode === 'auto' && this.pageSize < HEADER_WORKER_MIN_PAGE)) return undefined;
    this.headerWorker ??= new HeaderFetcher(
      async () => ({
        connect: { server: this.account.imap!, password: await this.credentials.password(this.account, 'imap'), accountId: this.account.id, limits: this.opts.limits },
      }),
      this.logger,
      { account: this.account.id },
    );
    return this.headerWorker;
  }

  /**
   * A folder's first sync has begun: its backfill will follow, so the header worker starts now.
   * Most folders number their mail without gaps (UIDNEXT is one past the count): then the fill's
   * page, and so the first backfill page below it, are known from STATUS alone, and the worker
   * fetches that page while this connection fetches the fill's.
   */
  private startBackfillAhead(folder: FolderRow, st: { messages?: number; uidNext?: number; uidValidity?: bigint | number }): void {
    const h = this.headers();
    if (!h) return;
    const dense = st.messages !== undefined && st.uidNext !== undefined && st.uidNext - 1 === st.messages;
    const first = dense && st.messages! > this.firstPageSize ? nextBackfillRange(st.uidNext! - this.firstPageSize, this.pageSize) : null;
    if (first && st.uidValidity !== undefined) {
      h.prefetch({ path: folder.path, folderId: folder.id, uidValidity: String(st.uidValidity), readOnly: !this.syncReadWrite, prefetch: first.range });
    } else {
      h.warm();
    }
  }

  /** Pages the header worker served (of them prefetched) and left to this thread. */
  get headerWorkerStats(): { pages: number; prefetched: number; declined: number } | undefined {
    return this.headerWorker?.stats;
  }

  private getPool(): ConnectionPool {
    if (!this.pool) this.pool = new ConnectionPool(() => this.connect(), this.opts.maxConnections ?? 3);
    return this.pool;
  }

  private async withConnection<T>(fn: (c: ImapFlow) => Promise<T>, context: string): Promise<T> {
    try {
      // A command on a connection that a limit or a server fault closed fails with imapflow's
      // generic "Connection not available": the fault says what really happened.
      return await this.getPool().use(async (c) => {
        try {
          return await fn(c);
        } catch (e) {
          throw faultOr(c, e);
        }
      });
    } catch (e) {
      throw toMailError(e, context);
    }
  }

  async capabilities(): Promise<ProviderCapabilities> {
    if (!this.caps) await this.withConnection(async () => undefined, 'IMAP capabilities');
    const raw = [...(this.caps ?? [])].sort();
    return {
      push: raw.includes('IDLE'),
      labels: raw.includes('X-GM-EXT-1'),
      savesSentCopy: raw.includes('X-GM-EXT-1') ? 'yes' : 'unknown',
      maxConnections: this.opts.maxConnections ?? 3,
      raw,
    };
  }

  async listFolders(): Promise<RemoteFolder[]> {
    return this.withConnection(async (c) => {
      // A pooled connection may still have a folder open (a body fetch, a sync): servers such
      // as Dovecot answer STATUS for it from this session's view, without mail delivered since.
      // NOOP brings that view up to date, so the counts are the server's now.
      if (c.mailbox) await c.noop();
      const list = await c.list({ statusQuery: { messages: true, unseen: true } });
      return list.map((f) => {
        const flags = [...(f.flags ?? [])];
        const role = f.specialUse ? ROLE_BY_SPECIAL_USE[f.specialUse] ?? null : null;
        return {
          path: f.path,
          // The protocol name of the inbox is "INBOX"; people call it Inbox.
          name: f.path.toUpperCase() === 'INBOX' ? 'Inbox' : f.name,
          delimiter: f.delimiter,
          role: f.path.toUpperCase() === 'INBOX' ? 'inbox' : role,
          // Only what the server itself declared counts as special-use; a name guess does not.
          specialUse: f.specialUseSource === 'extension' || f.path.toUpperCase() === 'INBOX' ? f.specialUse ?? null : null,
          total: f.status?.messages,
          unread: f.status?.unseen,
          noSelect: flags.some((x) => x.toLowerCase() === '\\noselect' || x.toLowerCase() === '\\nonexistent'),
        } satisfies RemoteFolder;
      });
    }, 'IMAP folder list');
  }

  /** Collects a fetch into an array first: no command may run inside the loop. */
  private async fetchAll(c: ImapFlow, range: string, byUid: boolean, query: Record<string, unknown>, changedSince?: bigint): Promise<FetchMessageObject[]> {
    const out: FetchMessageObject[] = [];
    for await (const m of c.fetch(range, query, { uid: byUid, changedSince })) out.push(m);
    return out;
  }

  async syncFolder(mode: SyncMode, ctx: SyncContext): Promise<FolderSyncResult> {
    const { folder } = ctx;
    const run = (c: ImapFlow): Promise<FolderSyncResult> => this.syncOn(c, mode, ctx);
    const where = `IMAP ${folder.path}`;
    const first = await this.withConnection(async (c) => {
      const m = c.mailbox && typeof c.mailbox === 'object' ? c.mailbox : undefined;
      if (m && m.path === folder.path) {
        // STATUS on the folder this pooled connection still has selected answers from the
        // session's old view (Dovecot): new mail and moved-in messages were missed and marked
        // gone. NOOP brings the view up to date first.
        await c.noop();
        if (!c.usable) return undefined;
      }
      return run(c);
    }, where);
    if (first) return first;
    // The server ended the session on that NOOP (Dovecot does when the selected folder was
    // deleted): once more on a fresh connection, where STATUS gives the real answer.
    return this.withConnection(run, where);
  }

  private async syncOn(c: ImapFlow, mode: SyncMode, ctx: SyncContext): Promise<FolderSyncResult> {
    const { store, folder } = ctx;
    {
      const condstore = this.caps?.has('CONDSTORE') ?? false;
      // Courier-IMAP gives a folder whose UID database no client has saved yet a new UIDVALIDITY
      // on every STATUS and EXAMINE; a read-write SELECT saves it, and the values hold from then on.
      if (this.syncReadWrite) (await c.getMailboxLock(folder.path, { readOnly: false })).release();
      const st = await c.status(folder.path, { messages: true, uidNext: true, uidValidity: true, unseen: true, highestModseq: condstore });
      if (!st) throw await this.statusFailed(c, folder.path);
      const result: FolderSyncResult = { newMessages: 0, flagChanges: 0, removed: 0, reset: false, complete: false, remoteTotal: st.messages, remoteUnread: st.unseen };
      store.setRemoteCounts(folder.id, st.messages ?? null, st.unseen ?? null);
      const state = store.getSyncState(folder.id);
      if (!state.fillDone) this.startBackfillAhead(folder, st);
      // A backfill step on a folder already filled under this UIDVALIDITY needs no plan:
      // going straight to the next page spares a look at the folder's UIDs per page.
      if (mode === 'backfill' && state.fillDone && state.uidValidity === String(st.uidValidity ?? '')) {
        const r = await this.backfillStep(c, ctx, state.uidValidity);
        return { ...result, ...r };
      }
      const bounds = store.uidBounds(folder.id);
      const remote = {
        uidValidity: String(st.uidValidity ?? ''),
        uidNext: st.uidNext ?? 1,
        messages: st.messages ?? 0,
        highestModseq: st.highestModseq !== undefined ? String(st.highestModseq) : null,
        condstore,
        qresync: this.caps?.has('QRESYNC') ?? false,
      };
      const local = {
        uidValidity: state.uidValidity,
        uidNext: state.uidNext,
        highestModseq: state.highestModseq,
        minUid: state.backfillCursor !== null ? Math.min(Number(state.backfillCursor), bounds.min ?? Infinity) : bounds.min,
        maxUid: bounds.max,
        count: bounds.count,
        fillDone: state.fillDone,
        backfillDone: state.backfillDone,
      };
      const plan = planImapSync(local, remote);
      const cycleStart = Date.now();

      if (plan.kind === 'sync' && plan.reset) {
        this.countReset(folder, state.uidValidity, remote.uidValidity);
        // A server that renumbers its folders may be one that keeps numbers only for folders
        // opened read-write (Courier behind a proxy that hides its greeting): from now on they are.
        this.syncReadWrite = true;
        this.logger.log('warn', `UIDVALIDITY changed (${state.uidValidity} → ${remote.uidValidity}): the folder was reset on the server; fetching it anew`, {
          account: this.account.id,
          folder: folder.path,
        });
        store.resetFolder(folder.id);
        this.backfillHeld.delete(folder.id);
        result.reset = true;
      }

      if (mode === 'backfill' && !(plan.kind === 'sync' && (plan.reset || plan.fillFirstPage))) {
        const r = await this.backfillStep(c, ctx, remote.uidValidity);
        return { ...result, ...r };
      }
      if (plan.kind === 'noop') {
        this.resetsInARow.delete(folder.id);
        store.saveSyncState(folder.id, { lastSyncAt: cycleStart });
        store.purgeMissing(folder.id, state.lastSyncAt ?? 0);
        return result;
      }

      const lock = await c.getMailboxLock(folder.path, { readOnly: !this.syncReadWrite });
      try {
        const mbox = c.mailbox && typeof c.mailbox === 'object' ? c.mailbox : undefined;
        // One UIDVALIDITY per sync: the one the plan was made with. UIDs fetched from a mailbox
        // that reports another belong to another numbering, so none is stored under either.
        if (mbox?.uidValidity !== undefined && String(mbox.uidValidity) !== remote.uidValidity) {
          this.syncReadWrite = true;
          this.countReset(folder, remote.uidValidity, String(mbox.uidValidity));
          throw new MailError(
            'folder.reset',
            `the server reported UIDVALIDITY ${remote.uidValidity} for "${folder.path}" and then ${mbox.uidValidity} when it was opened; the folder will be selected read-write and synced again`,
            { retryable: true },
          );
        }
        const uidValidity = remote.uidValidity;
        // The server agreed with itself within this sync: the run of resets (if any) is over.
        this.resetsInARow.delete(folder.id);
        const uidNext = mbox?.uidNext ?? remote.uidNext;
        const modseq = mbox?.highestModseq !== undefined ? String(mbox.highestModseq) : remote.highestModseq;
        const exists = mbox?.exists ?? remote.messages;

        if (plan.fillFirstPage || result.reset) {
          const range = newestPageSeqRange(exists, this.firstPageSize);
          const msgs = range ? await this.fetchAll(c, range, false, HEADER_QUERY) : [];
          const incoming = msgs.map((m) => toIncoming(folder.id, uidValidity, m));
          const low = incoming.reduce((a, m) => Math.min(a, m.uid!), Number.POSITIVE_INFINITY);
          // The sync state moves with the last of the rows: a crash before it fetches the page again.
          await storeInTurns(store, folder.id, incoming, () =>
            store.saveSyncState(folder.id, {
              uidValidity,
              uidNext,
              highestModseq: modseq,
              backfillCursor: Number.isFinite(low) ? String(low) : null,
              fillDone: true,
              backfillDone: msgs.length >= exists,
              lastSyncAt: cycleStart,
            }),
          );
          result.newMessages = incoming.length;
          result.complete = msgs.length >= exists;
          // Backfill follows. Unless the header worker is on its first page already (see
          // startBackfillAhead), that page is fetched on this connection while the worker fetches
          // the second; from then on, the worker fetches each page while the one before is stored.
          const first = Number.isFinite(low) ? nextBackfillRange(low, this.pageSize) : null;
          const second = first ? nextBackfillRange(first.low, this.pageSize)?.range : undefined;
          const h = this.headers();
          if (h && first && !result.complete && !h.isAhead(folder.id, first.range) && second) {
            h.prefetch({ path: folder.path, folderId: folder.id, uidValidity, readOnly: !this.syncReadWrite, prefetch: second });
          }
          ctx.progress({ fetched: incoming.length, total: exists, phase: 'fill' });
          return result;
        }

        if (plan.newRange) {
          const lastKnown = Number(plan.newRange.split(':')[0]) - 1;
          // "N:*" always returns the last message even when its UID is below N.
          const msgs = (await this.fetchAll(c, plan.newRange, true, HEADER_QUERY)).filter((m) => m.uid > lastKnown);
          const movedFrom = await storeInTurns(store, folder.id, msgs.map((m) => toIncoming(folder.id, uidValidity, m)));
          result.newMessages = msgs.length;
          if (movedFrom.length) {
            const r = await this.followRenumbering(c, ctx, uidValidity, cycleStart, movedFrom);
            result.newMessages += r.fetched;
            result.removed += r.missing;
          }
        }

        const known = plan.flags.kind === 'scan' || plan.checkExpunged ? store.knownUids(folder.id) : undefined;
        if (plan.flags.kind === 'changedSince') {
          const changed = await this.fetchAll(c, '1:*', true, { uid: true, flags: true }, BigInt(plan.flags.modseq));
          result.flagChanges = store.updateFlags(
            folder.id,
            changed.map((m) => ({ uid: m.uid, flags: [...(m.flags ?? [])], modseq: m.modseq !== undefined ? String(m.modseq) : undefined })),
          );
        } else if (plan.flags.kind === 'scan') {
          const seen = await this.fetchAll(c, plan.flags.range, true, { uid: true, flags: true });
          const changes: Array<{ uid: number; flags: string[] }> = [];
          const present = new Set<number>();
          for (const m of seen) {
            present.add(m.uid);
            const mine = known!.get(m.uid);
            const theirs = [...(m.flags ?? [])].filter((f) => f.toLowerCase() !== '\\recent');
            if (mine && !sameFlags(mine, theirs)) changes.push({ uid: m.uid, flags: theirs });
          }
          result.flagChanges = store.updateFlags(folder.id, changes);
          const [lo, hi] = plan.flags.range.split(':').map(Number);
          const gone = [...known!.keys()].filter((u) => u >= lo && u <= hi && !present.has(u));
          result.removed = store.markMissing(folder.id, gone, cycleStart);
        }
        if (plan.checkExpunged && plan.flags.kind !== 'scan' && local.minUid !== null) {
          const uids = new Set((await c.search({ uid: `${local.minUid}:*` }, { uid: true })) || []);
          const gone = [...known!.keys()].filter((u) => !uids.has(u));
          result.removed = store.markMissing(folder.id, gone, cycleStart);
        }
        store.saveSyncState(folder.id, { uidValidity, uidNext, highestModseq: modseq, lastSyncAt: cycleStart });
        // Delete only what was already missing before the previous cycle began.
        store.purgeMissing(folder.id, state.lastSyncAt ?? 0);
        ctx.progress({ fetched: result.newMessages, phase: 'sync' });
        return result;
      } finally {
        lock.release();
      }
    }
  }

  /**
   * Messages the store held under lower UIDs came back as new ones under the same UIDVALIDITY:
   * the server renumbered the folder (Courier-IMAP does when another client COPYs into a folder
   * whose latest mail no read-write SELECT has saved: the copies take those UIDs). Then the UIDs
   * the store knows may name other messages, and the messages that took them are below the
   * range a sync fetches. Every UID of the folder is read again with its Message-ID, the store
   * follows the server's numbering, and what it lacks is fetched.
   */
  private async followRenumbering(
    c: ImapFlow,
    ctx: SyncContext,
    uidValidity: string,
    now: number,
    movedFrom: Array<{ uid: number; messageId: string }>,
  ): Promise<{ fetched: number; missing: number }> {
    const { store, folder } = ctx;
    // A second copy of a message arriving (a list post that was also sent to you) looks the same,
    // but there the old UIDs still hold what they held: both copies are kept, and the folder
    // needs no second look.
    const before = await this.fetchAll(c, movedFrom.map((m) => m.uid).join(','), true, { uid: true, envelope: true });
    const held = new Map(before.map((m) => [m.uid, m.envelope?.messageId]));
    if (movedFrom.every((m) => held.get(m.uid) === m.messageId)) {
      const copies = await this.fetchAll(c, movedFrom.map((m) => m.uid).join(','), true, HEADER_QUERY);
      await storeInTurns(store, folder.id, copies.map((m) => toIncoming(folder.id, uidValidity, m)), undefined, { adoptFromLowerUid: false });
      return { fetched: copies.length, missing: 0 };
    }
    const all = await this.fetchAll(c, '1:*', true, { uid: true, envelope: true });
    const r = store.renumberFolder(
      folder.id,
      uidValidity,
      all.map((m) => ({ uid: m.uid, messageId: m.envelope?.messageId || undefined })),
      now,
    );
    const msgs = r.toFetch.length ? await this.fetchAll(c, r.toFetch.join(','), true, HEADER_QUERY) : [];
    // These are messages the store does not hold under any UID of the folder: a second copy of a
    // Message-ID is a second message here, not the first one moving.
    await storeInTurns(store, folder.id, msgs.map((m) => toIncoming(folder.id, uidValidity, m)), undefined, { adoptFromLowerUid: false });
    this.logger.log('warn', `the server renumbered "${folder.path}" under the same UIDVALIDITY ${uidValidity}: ${r.moved} message(s) took new UIDs, ${msgs.length} fetched, ${r.missing} gone; MailDesk follows its numbering`, {
      account: this.account.id,
      folder: folder.path,
    });
    return { fetched: msgs.length, missing: r.missing };
  }

  /**
   * Counts a UIDVALIDITY change of a folder; too many in a row means the server hands out a
   * new one whatever we do, and syncing it again would only download the folder again.
   */
  private countReset(folder: FolderRow, from: string | null, to: string): void {
    const n = (this.resetsInARow.get(folder.id) ?? 0) + 1;
    this.resetsInARow.set(folder.id, n);
    const max = this.opts.maxConsecutiveResets ?? 5;
    if (n <= max) return;
    throw new MailError(
      'server.protocol',
      `the server gave the folder "${folder.path}" a new UIDVALIDITY ${n} times in a row (last ${from ?? 'none'} → ${to}), even after a read-write SELECT: it does not keep the folder's message numbers (Courier-IMAP does this with a folder that no client has opened read-write), so MailDesk stopped syncing the folder rather than fetching it again and again`,
      { retryable: false },
    );
  }

  /**
   * STATUS answered NO (imapflow gives false). On a dead connection that is a dropped
   * connection; otherwise the folder is missing only when LIST agrees.
   */
  private async statusFailed(c: ImapFlow, path: string): Promise<MailError> {
    if (!c.usable) return new MailError('net.reset', `the connection was lost while reading the state of "${path}"`);
    const listed = await c.list().then(
      (l) => l.some((f) => f.path === path),
      () => undefined,
    );
    if (listed === undefined || !c.usable) return new MailError('net.reset', `the connection was lost while reading the state of "${path}"`);
    if (listed) return new MailError('server.unavailable', `the server refused STATUS on "${path}" although it lists the folder`, { retryable: true });
    return new MailError('folder.notFound', `the folder "${path}" does not exist on the server`);
  }

  /** One page of older history below the saved cursor, or a deep reconciliation pass. */
  private async backfillStep(c: ImapFlow, ctx: SyncContext, uidValidity: string): Promise<Partial<FolderSyncResult>> {
    const { store, folder } = ctx;
    const state = store.getSyncState(folder.id);
    if (state.backfillDone && !state.deepBackfill) return { complete: true };
    const lock = await c.getMailboxLock(folder.path, { readOnly: !this.syncReadWrite });
    try {
      if (state.deepBackfill) {
        // "Trigger Backfill": compare every UID on the server with what we hold and
        // fetch whatever is missing, whatever the cursor says.
        const all = (await c.search({ all: true }, { uid: true })) || [];
        const known = store.knownUids(folder.id);
        const missing = all.filter((u) => !known.has(u)).sort((a, b) => b - a);
        const page = missing.slice(0, this.pageSize);
        if (page.length) {
          const msgs = await this.fetchAll(c, page.join(','), true, HEADER_QUERY);
          await storeInTurns(store, folder.id, msgs.map((m) => toIncoming(folder.id, uidValidity, m)));
        }
        const done = missing.length <= this.pageSize;
        const low = all.length ? all.reduce((a, b) => Math.min(a, b)) : null;
        store.saveSyncState(folder.id, done ? { deepBackfill: false, backfillDone: true, backfillCursor: low !== null ? String(low) : state.backfillCursor } : {});
        ctx.progress({ fetched: known.size + page.length, total: all.length, phase: 'deep backfill' });
        return { newMessages: page.length, complete: done };
      }
      // Counted once per folder and process, then kept up to date page by page (for progress).
      let held = this.backfillHeld.get(folder.id);
      const bounds = held === undefined || state.backfillCursor === null ? store.uidBounds(folder.id) : undefined;
      if (held === undefined) held = bounds!.count;
      const cursor = state.backfillCursor !== null ? Number(state.backfillCursor) : bounds!.min;
      let next = nextBackfillRange(cursor, this.pageSize);
      if (!next) {
        store.saveSyncState(folder.id, { backfillDone: true });
        return { complete: true };
      }
      // The worker parses this page (most often already fetched, as the last step's prefetch)
      // and fetches the one below while this thread stores it.
      const below = nextBackfillRange(next.low, this.pageSize)?.range;
      let incoming =
        (await this.headers()?.fetch({ path: folder.path, folderId: folder.id, uidValidity, readOnly: !this.syncReadWrite, range: next.range, prefetch: below })) ??
        (await this.fetchAll(c, next.range, true, HEADER_QUERY)).map((m) => toIncoming(folder.id, uidValidity, m));
      if (!incoming.length) {
        // A gap in the UIDs: find the next ones below the cursor instead of walking it.
        const uids = ((await c.search({ uid: `1:${cursor! - 1}` }, { uid: true })) || []).sort((a, b) => b - a).slice(0, this.pageSize);
        if (uids.length) {
          incoming = (await this.fetchAll(c, uids.join(','), true, HEADER_QUERY)).map((m) => toIncoming(folder.id, uidValidity, m));
          next = { range: uids.join(','), low: Math.min(...uids) };
        } else {
          next = { range: '', low: 1 };
        }
      }
      const done = next.low <= 1;
      // The cursor moves in the same transaction as the last messages it covers.
      await storeInTurns(store, folder.id, incoming, () => store.saveSyncState(folder.id, { backfillCursor: String(next!.low), backfillDone: done }));
      const total = c.mailbox && typeof c.mailbox === 'object' ? c.mailbox.exists : undefined;
      this.backfillHeld.set(folder.id, held + incoming.length);
      ctx.progress({ fetched: held + incoming.length, total, phase: 'backfill' });
      return { newMessages: incoming.length, complete: done };
    } finally {
      lock.release();
    }
  }

  async searchRemote(folder: FolderRow, query: string, limit: number): Promise<IncomingMessage[]> {
    const q = query.trim();
    if (!q) return [];
    return this.withConnection(async (c) => {
      const lock = await c.getMailboxLock(folder.path, { readOnly: true });
      try {
        const uidValidity = String(c.mailbox && typeof c.mailbox === 'object' ? c.mailbox.uidValidity : '');
        const found = (await c.search({ or: [{ from: q }, { to: q }, { cc: q }, { subject: q }, { body: q }] }, { uid: true })) || [];
        const newest = found.sort((a, b) => b - a).slice(0, limit);
        if (!newest.length) return [];
        const msgs = await this.fetchAll(c, newest.join(','), true, HEADER_QUERY);
        return msgs.map((m) => toIncoming(folder.id, uidValidity, m));
      } finally {
        lock.release();
      }
    }, `IMAP search in ${folder.path}`);
  }

  async fetchRaw(folderPath: string, ref: MessageRef): Promise<Buffer> {
    const uid = ref.uid;
    if (uid === undefined) throw new MailError('folder.notFound', `the message has no UID in ${folderPath} yet`);
    return this.withConnection(async (c) => {
      const lock = await c.getMailboxLock(folderPath, { readOnly: true });
      try {
        const m = await c.fetchOne(String(uid), { source: true }, { uid: true });
        if (!m || !m.source) throw new MailError('folder.notFound', `message ${uid} is no longer in ${folderPath}`);
        return m.source;
      } finally {
        lock.release();
      }
    }, `IMAP ${folderPath}`);
  }

  /**
   * Bodies of many messages in one UID FETCH, streamed: each source is handed on as imapflow
   * parses it, so one message at a time is held, not the batch (the rule of no command inside
   * the loop holds: `onBody` only writes). UIDs are checked against the folder's UIDVALIDITY
   * first, since after a reset they name other messages; the next sync re-fetches the folder.
   */
  async fetchBodies(folder: FolderRow, refs: BodyRef[], onBody: (ref: BodyRef, raw: Buffer) => void): Promise<void> {
    const byUid = new Map<number, BodyRef>();
    for (const r of refs) if (r.uid !== undefined) byUid.set(r.uid, r);
    if (!byUid.size) return;
    await this.withConnection(async (c) => {
      const lock = await c.getMailboxLock(folder.path, { readOnly: true });
      try {
        const uv = String(c.mailbox && typeof c.mailbox === 'object' ? c.mailbox.uidValidity : '');
        const uids = [...byUid.values()].filter((r) => !r.uidValidity || r.uidValidity === uv).map((r) => r.uid!);
        if (!uids.length) return;
        for await (const m of c.fetch(uidSet(uids), { uid: true, source: true }, { uid: true })) {
          const ref = byUid.get(m.uid);
          if (ref && m.source) onBody(ref, m.source);
        }
      } finally {
        lock.release();
      }
    }, `IMAP ${folder.path}`);
  }

  async applyTask(task: RemoteTask): Promise<{ newUid?: number } | void> {
    // A message moved here a moment ago has no UID until the next sync learns it: found by Message-ID then.
    if (!task.uid && !task.messageId) throw new MailError('folder.notFound', `the server copy in ${task.folderPath} is not known yet`, { retryable: false });
    return this.withConnection(async (c) => {
      const lock = await c.getMailboxLock(task.folderPath);
      try {
        let found = task.uid;
        if (!found) {
          const uids = (await c.search({ header: { 'message-id': task.messageId! } }, { uid: true })) || [];
          found = uids.length ? Math.max(...uids) : 0;
          if (!found) throw new MailError('folder.notFound', `the message ${task.messageId} is not in ${task.folderPath} on the server`, { retryable: false });
        }
        const uid = String(found);
        if (task.kind === 'flags') {
          if (task.add.length) await c.messageFlagsAdd(uid, task.add, { uid: true });
          if (task.remove.length) await c.messageFlagsRemove(uid, task.remove, { uid: true });
          return;
        }
        if (task.kind === 'move') {
          const r = await c.messageMove(uid, task.toPath, { uid: true });
          const newUid = r && typeof r === 'object' ? r.uidMap?.get(found) : undefined;
          return { newUid };
        }
        if (task.trashPath && task.trashPath !== task.folderPath) {
          await c.messageMove(uid, task.trashPath, { uid: true });
        } else {
          await c.messageDelete(uid, { uid: true });
        }
        return;
      } finally {
        lock.release();
      }
    }, `IMAP ${task.folderPath}`);
  }

  /**
   * IDLE on one folder over its own connection (not from the pool), reconnecting
   * with a growing delay. The periodic sync stays as the fallback.
   */
  async watch(folderPath: string, onChange: () => void): Promise<Disposable> {
    let stopped = false;
    let client: ImapFlow | undefined;
    let delay = 2_000;
    const loop = async (): Promise<void> => {
      while (!stopped) {
        try {
          const password = await this.credentials.password(this.account, 'imap');
          // Static imports: a dynamic import('./connect') fails when run from sources (tsx, tests).
          // This connection runs no other command, so IDLE may start at once: imapflow's
          // default waits 15 s of quiet first, and mail arriving meanwhile was not pushed.
          const o = { server: this.account.imap!, password, logger: this.logger, accountId: this.account.id, limits: this.opts.limits };
          // IDLE is quiet by design: a NOOP probes the server after this long without a byte.
          client = createImapClient(o, { disableAutoIdle: false, autoIdleDelay: 100, socketTimeout: 5 * 60_000 });
          await openImapClient(client, o);
          await client.mailboxOpen(folderPath, { readOnly: true });
          delay = 2_000;
          client.on('exists', () => onChange());
          client.on('expunge', () => onChange());
          client.on('flags', () => onChange());
          await new Promise<void>((resolve) => client!.once('close', () => resolve()));
        } catch (e) {
          this.logger.log('debug', `IDLE on ${folderPath} stopped: ${(e as Error).message}`, { account: this.account.id });
          client?.close();
        }
        if (stopped) break;
        await new Promise((r) => setTimeout(r, delay).unref?.());
        delay = Math.min(delay * 2, 5 * 60_000);
      }
    };
    void loop();
    return {
      dispose: () => {
        stopped = true;
        client?.close();
      },
    };
  }

  async appendMessage(folderPath: string, raw: Buffer, flags: string[]): Promise<{ uid?: number }> {
    return this.withConnection(async (c) => {
      // Courier refuses APPEND while the connection has a mailbox EXAMINEd ("NO Current box is
      // selected READ-ONLY"); a pooled connection usually has. CLOSE on a read-only mailbox
      // removes nothing (RFC 3501 6.4.2).
      if (c.mailbox && typeof c.mailbox === 'object' && c.mailbox.readOnly) await c.mailboxClose();
      const r = await c.append(folderPath, raw, flags);
      if (!r) throw new MailError('server.protocol', `the server did not accept the message into ${folderPath}`);
      return { uid: r.uid };
    }, `IMAP APPEND ${folderPath}`);
  }

  async findByMessageId(folderPath: string, messageId: string): Promise<number[]> {
    return this.withConnection(async (c) => {
      const lock = await c.getMailboxLock(folderPath, { readOnly: true });
      try {
        // A pooled connection may hold the folder selected from before; NOOP shows new arrivals.
        await c.noop();
        const found = await c.search({ header: { 'message-id': messageId } }, { uid: true });
        // imapflow answers false when the search failed (a dropped connection among others):
        // "not found" would make the sender append a second copy.
        if (found === false) throw new MailError(c.usable ? 'server.unavailable' : 'net.reset', `the search for ${messageId} in ${folderPath} failed`, { retryable: true });
        return found ?? [];
      } finally {
        lock.release();
      }
    }, `IMAP SEARCH ${folderPath}`);
  }

  /**
   * One SMTP session per message, with nodemailer's SMTPConnection rather than a transport:
   * the message stream is only read after the server said 354, so its 'end' tells us the
   * data was handed over, which is what makes a lost reply "maybe sent" instead of "not sent".
   */
  async sendMessage(raw: Buffer, envelope: SendEnvelope): Promise<SendReceipt> {
    const s = this.account.smtp;
    if (!s) throw new MailError('config.invalid', `account "${this.account.id}" has no outgoing (SMTP) server; add "smtp" to its configuration`);
    // Asked for before connecting, and only when a login can happen (an SMTP user is set).
    const password = s.user ? await this.credentials.password(this.account, 'smtp') : '';
    const conn = smtpConnection(s, this.opts.limits);
    let dataSent = false;
    return new Promise<SendReceipt>((resolve, reject) => {
      let done = false;
      const fail = (e: unknown): void => {
        if (done) return;
        done = true;
        conn.close();
        reject(Object.assign(e instanceof Error ? e : new Error(String(e)), { dataSent }));
      };
      conn.once('error', fail);
      conn.once('end', () => fail(Object.assign(new Error('Connection closed unexpectedly'), { code: 'ECONNECTION' })));
      conn.connect(() => {
        // AUTH only when there is a user and the server offers it: a relay refuses the command.
        smtpLogin(conn, s, async () => password).then((how) => {
          if (how === 'notOffered') this.logger.log('debug', `SMTP ${s.host}: ${describeSmtpAuth(how, s)}`, { account: this.account.id });
          const body = Readable.from([raw]);
          body.once('end', () => {
            dataSent = true;
          });
          conn.send(envelope, body, (e2, info) => {
            if (e2) return fail(e2);
            if (done) return;
            done = true;
            conn.quit();
            resolve({ accepted: (info?.accepted ?? []).map(String), rejected: (info?.rejected ?? []).map(String), response: String(info?.response ?? '') });
          });
        }, fail);
      });
    });
  }

  async verifyIncoming(): Promise<VerifyReport> {
    const s = this.account.imap!;
    const label = `IMAP ${s.host}:${s.port}`;
    const r = new StepRunner();
    await verifyTransport(r, s, label);
    let caps: string[] | undefined;
    const client = await r.step(
      'login',
      async () => {
        const cl = await this.connect();
        return { value: { cl }, detail: `logged in as ${s.user}${s.security === 'starttls' ? ' after STARTTLS' : ''}` };
      },
      label,
    );
    if (client) {
      await r.step(
        'greeting',
        async () => ({ value: true, detail: serverIdentity(client.cl) }),
        label,
      );
      await r.step(
        'capabilities',
        async () => {
          caps = [...client.cl.capabilities.keys()].sort();
          const want = ['IDLE', 'CONDSTORE', 'QRESYNC', 'SPECIAL-USE', 'UIDPLUS', 'MOVE'];
          const missing = want.filter((w) => !caps!.includes(w));
          return { value: caps, detail: missing.length ? `missing ${missing.join(', ')} (MailDesk falls back to slower methods)` : `${want.join(', ')} offered` };
        },
        label,
      );
      await r.step(
        'folders',
        async () => {
          const list = await client.cl.list();
          return { value: list.length, detail: `${list.length} folders` };
        },
        label,
      );
      try {
        await client.cl.logout();
      } catch {
        client.cl.close();
      }
    }
    return r.report(label, caps);
  }

  async verifyOutgoing(): Promise<VerifyReport> {
    const s = this.account.smtp;
    const r = new StepRunner();
    if (!s) {
      await r.step('config', async () => Promise.reject(new MailError('config.invalid', `account "${this.account.id}" has no outgoing (SMTP) server`)), 'SMTP');
      return r.report('SMTP (not configured)');
    }
    const label = `SMTP ${s.host}:${s.port}`;
    await verifyTransport(r, s, label);
    await r.step(
      'login',
      async () => {
        const conn = smtpConnection(s, this.opts.limits);
        // An 'error' after the outcome is known (a late socket error) must not go unheard.
        conn.on('error', () => undefined);
        try {
          await connectSmtp(conn);
          const how = await smtpLogin(conn, s, () => this.credentials.password(this.account, 'smtp')).catch((e: unknown) => {
            const m = toMailError(e, label);
            throw m.code === 'auth.failed' ? smtpAuthError(m.message, { cause: e, providerMessage: m.providerMessage }) : m;
          });
          return { value: how, detail: describeSmtpAuth(how, s) };
        } finally {
          conn.close();
        }
      },
      label,
    );
    return r.report(label);
  }

  async close(): Promise<void> {
    await Promise.all([this.pool?.close(), this.headerWorker?.close()]);
    this.pool = undefined;
    this.headerWorker = undefined;
  }
}

/**
 * A server that keeps a folder's UIDs only once a client has opened it read-write: Courier-IMAP,
 * which names itself in its greeting ("* OK [CAPABILITY ...] Courier-IMAP ready.") and does not
 * answer ID.
 */
export function savesUidsOnlyReadWrite(c: ImapFlow): boolean {
  const greeting = (c as unknown as { greeting?: unknown }).greeting;
  const info = (c as unknown as { serverInfo?: Record<string, unknown> | null }).serverInfo;
  return (typeof greeting === 'string' && /\bCourier-IMAP\b/i.test(greeting)) || (typeof info?.name === 'string' && /courier/i.test(info.name));
}

/**
 * Which server this is, for the support report: its greeting and what it said to ID (name,
 * version, vendor; nothing else, as other ID fields can carry paths or addresses).
 */
export function serverIdentity(c: ImapFlow): string {
  const clean = (v: unknown, max: number): string => String(v).replace(/[^\x20-\x7e]/g, '?').slice(0, max);
  const raw = (c as unknown as { greeting?: unknown }).greeting;
  const greeting = typeof raw === 'string' && raw.trim() ? `greeting "${clean(raw.trim(), 120)}"` : 'no greeting text';
  const info = (c as unknown as { serverInfo?: Record<string, unknown> | null }).serverInfo;
  const id = info
    ? ['name', 'version', 'vendor']
        .filter((k) => typeof info[k] === 'string' && info[k])
        .map((k) => `${k} ${clean(info[k], 60)}`)
        .join(', ')
    : '';
  return `${greeting}; ID: ${id || 'not answered'}`;
}

/** "7,9:12,20" for a set of UIDs: ranges keep a FETCH of hundreds of messages short. */
export function uidSet(uids: number[]): string {
  const sorted = [...new Set(uids)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j] + 1) j++;
    parts.push(i === j ? String(sorted[i]) : `${sorted[i]}:${sorted[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}

function sameFlags(a: string[], b: string[]): boolean {
  const norm = (x: string[]) => x.map((f) => f.toLowerCase()).filter((f) => f !== '\\recent').sort().join(' ');
  return norm(a) === norm(b);
}
