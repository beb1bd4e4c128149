/**
 * What the Mailboxes and Sync Jobs views, the status bar, account alerts and the commands'
 * pickers show, read from the engine in ONE request (`window/mailboxes`) and kept until the
 * engine says the store changed. Readers in one burst of repaints share one read; a repaint
 * after a change reads again. Nothing here writes: actions are requests of their own.
 */
import type { EngineClient } from '../engine/client';
import type { EngineNotifications } from '../shared/protocol/engine';
import type { MailboxesSnapshot, MailboxFolder } from '../shared/protocol/engineAreas/window';
import type { Disposable } from './lifecycle';

/** A store change as the engine reports it; `all` after a reconnect (another engine: anything may differ). */
export type MailboxesChange = EngineNotifications['store/changed'] & { all?: boolean };

export class MailboxesModel {
  private static readonly shared = new WeakMap<EngineClient, MailboxesModel>();

  /** The one model of this window's engine client (the views and commands share its reads). */
  static of(engine: EngineClient): MailboxesModel {
    let m = MailboxesModel.shared.get(engine);
    if (!m) MailboxesModel.shared.set(engine, (m = new MailboxesModel(engine)));
    return m;
  }

  /** Bumped by every change the engine reports: a snapshot read before it is stale. */
  private version = 0;
  /** Per kind of read (with local counts or without): the last one and the one in flight. */
  private readonly reads = { counts: new Read(), plain: new Read() };
  private readonly listeners = new Set<(c: MailboxesChange) => void>();

  private constructor(private readonly engine: EngineClient) {
    engine.on('store/changed', (c) => {
      // Drafts, outbox, settings and the like are not in the snapshot: nothing to read again.
      if (c.accounts.length || c.folders.length || c.messages || c.jobs) this.changed(c);
    });
    engine.onDidReconnect(() => this.changed({ accounts: [], folders: [], messages: 0, jobs: true, local: [], all: true }));
  }

  private changed(c: MailboxesChange): void {
    this.version++;
    for (const l of [...this.listeners]) l(c);
  }

  onDidChange(listener: (c: MailboxesChange) => void): Disposable {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  /** The last snapshot read with counts, if any (for synchronous readers between repaints). */
  get latest(): MailboxesSnapshot | undefined {
    return this.reads.counts.cached?.snap;
  }

  /**
   * The current snapshot: the cached one when nothing changed since, else one read shared by
   * concurrent callers. `counts` adds every folder's local counts (a count per folder in the
   * engine); a reader without it is also served by a read with them.
   */
  snapshot(o: { counts?: boolean } = {}): Promise<MailboxesSnapshot> {
    const v = this.version;
    const hit = this.reads.counts.at(v) ?? (o.counts ? undefined : this.reads.plain.at(v));
    if (hit) return hit;
    const read = o.counts ? this.reads.counts : this.reads.plain;
    return read.start(v, this.engine.request('window/mailboxes', { counts: !!o.counts }));
  }

  /** A folder by id; read again once when the snapshot does not have it (it may be newer than the last change). */
  async folder(folderId: number): Promise<MailboxFolder | undefined> {
    const hit = (await this.snapshot({ counts: true })).folders.find((f) => f.id === folderId);
    if (hit) return hit;
    this.version++;
    return (await this.snapshot({ counts: true })).folders.find((f) => f.id === folderId);
  }
}

/** One kind of read: its last result (with the version it was read at) and the one in flight. */
class Read {
  cached: { version: number; snap: MailboxesSnapshot } | undefined;
  private inflight: { version: number; p: Promise<MailboxesSnapshot> } | undefined;

  /** The snapshot of version `v`, read or being read; undefined when there is none yet. */
  at(v: number): Promise<MailboxesSnapshot> | undefined {
    if (this.cached?.version === v) return Promise.resolve(this.cached.snap);
    if (this.inflight?.version === v) return this.inflight.p;
    return undefined;
  }

  start(v: number, request: Promise<MailboxesSnapshot>): Promise<MailboxesSnapshot> {
    const p = request.then((snap) => {
      if (!this.cached || this.cached.version <= v) this.cached = { version: v, snap };
      return snap;
    });
    this.inflight = { version: v, p };
    void p.finally(() => this.inflight?.p === p && (this.inflight = undefined)).catch(() => undefined);
    return p;
  }
}
