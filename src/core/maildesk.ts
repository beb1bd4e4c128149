/**
 * The core as the extension and the CLI see it: one object that owns the store, the
 * providers and the scheduler. Everything here runs in plain Node.
 */
import type { AccountConfig, BodySettings, CredentialSource, OAuthConfig, SecretStore } from './config';
import { MailError, toMailError } from './errors';
import { type Logger, RecentLog } from './log';
import { ImapProvider, type ImapProviderOptions } from './providers/imap/imapProvider';
import { GraphProvider, type GraphProviderOptions } from './providers/graph/graphProvider';
import { memorySecretStore, TokenStore } from './auth/tokens';
import { googleOAuthSettings } from './auth/oauthConfig';
import { createGmailProvider, type GmailProviderDeps } from './providers/gmail/gmailProvider';
import type { MailProvider, VerifyReport } from './providers/provider';
import { jobId, Scheduler } from './sync/scheduler';
import { takeTurn } from './turns';
import { indexInBackground } from './search/indexer';
import { indexBodiesInBackground } from './search/bodyIndexer';
import { type FolderRow, MailStore, type MessageRow, type StoreChange } from './store/store';
import { type DraftRef, DraftService, type DraftSummary, type OpenedDraft } from './drafts/drafts';
import type { Draft } from './send/compose';
import { type SendInput, type SendOptions, type SendResult, Sender } from './send/sender';
import { AgentMailbox, type AgentHostInfo, type AgentChangeResult, type AgentDraftInput, type AgentDraftResult, type AgentMailboxInfo, type AgentSearchInput, type AgentSearchResult, type AgentStatus, type AgentThread, type AgentUnreadFolder, type MarkAction } from './agent/mailbox';
import { type MessageKey, type TriageAction, type TriageOptions, type TriageResult, TriageService, type UndoResult } from './triage/triage';
import { leaveLabelFoldersIfBinned } from './triage/gmailLabels';

export interface MailDeskOptions {
  /** Folder for maildesk.db and blobs/ (undefined keeps everything in memory). */
  dataDir?: string;
  credentials: CredentialSource;
  logger?: Logger;
  syncIntervalMs?: number;
  backoffBaseMs?: number;
  /** Inbox IDLE on (default) or off. */
  idle?: boolean;
  /** Lets tests and future providers (Gmail, Graph) plug in without special cases. */
  providerFactory?: (account: AccountConfig, credentials: CredentialSource, logger: Logger) => MailProvider;
  imap?: Pick<ImapProviderOptions, 'firstPageSize' | 'pageSize' | 'maxConnections' | 'limits' | 'maxConsecutiveResets' | 'headerWorker'>;
  /** SMTP retries and the wait for a server-side Sent copy (tests shorten them). */
  send?: SendOptions;
  /** OAuth tokens (SecretStorage in VS Code; in memory, seeded from env, in the CLI). */
  secrets?: SecretStore;
  /** Where the user keeps settings, for messages (default: 'vscode' when `secrets` is given). The engine sets it. */
  surface?: 'vscode' | 'cli';
  /** OAuth clients (VS Code settings or the CLI config's `oauth`); read when a provider is created. */
  oauth?: OAuthConfig;
  /** Outlook / Graph tuning (tests: trusted CA, MSAL network client, retries). */
  graph?: Partial<Omit<GraphProviderOptions, 'oauth' | 'secrets'>>;
  /** Gmail tuning (tests: page sizes, quota, waits). */
  gmail?: GmailProviderDeps['options'];
  /** `maildesk.*` settings (VS Code configuration, or the CLI config's `settings`), read at each use: the AI switches the agent tools obey. */
  settings?: () => Record<string, unknown>;
  /** Offline bodies for accounts whose configuration has no `bodies` (VS Code: the maildesk.bodies.* settings). */
  bodies?: BodySettings;
}

export class MailDesk {
  readonly scheduler: Scheduler;
  private readonly providers = new Map<string, MailProvider>();
  private readonly watchers = new Map<string, { dispose(): void | Promise<void> }>();
  private started = false;
  private indexing: Promise<void> | undefined;
  private settleListener: { dispose(): void } | undefined;
  private draftService: DraftService | undefined;
  private sender: Sender | undefined;
  private fallbackSecrets: SecretStore | undefined;
  private agentMailbox: AgentMailbox | undefined;
  private triageService: TriageService | undefined;

  private constructor(
    readonly store: MailStore,
    readonly log: RecentLog,
    private readonly o: MailDeskOptions,
  ) {
    this.scheduler = new Scheduler({
      store,
      logger: log,
      provider: (id) => this.provider(id),
      syncIntervalMs: o.syncIntervalMs,
      backoffBaseMs: o.backoffBaseMs,
      bodies: o.bodies,
    });
  }

  static async open(o: MailDeskOptions): Promise<MailDesk> {
    const log = new RecentLog(o.logger);
    const store = await MailStore.open({ dir: o.dataDir, logger: log });
    // Nothing runs yet in this process, so a job marked running was cut off by a killed one;
    // left so, `sync --once` skipped it and reported "in step" with the backfill unfinished.
    store.tx(() => {
      for (const j of store.listJobs()) if (j.status === 'running') store.updateJob(j.id, { status: 'pending', nextRun: Date.now() });
    });
    return new MailDesk(store, log, o);
  }

  private get surface(): 'vscode' | 'cli' {
    return this.o.surface ?? (this.o.secrets ? 'vscode' : 'cli');
  }

  /** Where OAuth providers keep tokens; an in-memory store when none was given. */
  get secretStore(): SecretStore {
    return this.o.secrets ?? (this.fallbackSecrets ??= memorySecretStore());
  }

  onDidChange(listener: (c: StoreChange) => void): { dispose(): void } {
    return this.store.onDidChange(listener);
  }

  /** The provider for an account (created on first use, kept for its connections). */
  provider(accountId: string): MailProvider {
    let p = this.providers.get(accountId);
    if (p) return p;
    const acc = this.store.getAccount(accountId);
    if (!acc) throw new MailError('config.unknownAccount', `no account "${accountId}"`);
    p = this.createProvider(acc.config);
    this.providers.set(accountId, p);
    return p;
  }

  private createProvider(cfg: AccountConfig): MailProvider {
    if (this.o.providerFactory) return this.o.providerFactory(cfg, this.o.credentials, this.log);
    if (cfg.provider === 'imap') return new ImapProvider(cfg, this.o.credentials, { logger: this.log, ...this.o.imap });
    if (cfg.provider === 'gmail') {
      const secrets = this.secretStore;
      // The CLI's refresh token comes from the variable named by tokenEnv; a stored (rotated) one wins.
      const tokens = new TokenStore(secrets, () => (cfg.tokenEnv ? process.env[cfg.tokenEnv] : undefined));
      const settings = () => googleOAuthSettings({ oauth: this.o.oauth, secrets, surface: this.surface });
      const lockoutKey = `gmail.lockedUntil.${cfg.id}`;
      const lockout = {
        read: () => Number(this.store.getSetting(lockoutKey) ?? 0) || 0,
        write: (until: number) => this.store.setSetting(lockoutKey, String(until)),
      };
      return createGmailProvider(cfg, { settings, tokens, logger: this.log, threadOf: (ids) => this.store.providerThreadOf(cfg.id, ids), lockout, options: this.o.gmail });
    }
    if (cfg.provider === 'outlook') return new GraphProvider(cfg, { oauth: this.o.oauth?.microsoft, secrets: this.secretStore, logger: this.log, where: this.surface === 'vscode' ? 'settings' : 'config', ...this.o.graph });
    throw new MailError('oauth.notConfigured', `${cfg.provider} accounts are not supported by this version of MailDesk yet`);
  }

  /** Saves the account, discovers its folders and schedules its jobs. */
  async addAccount(cfg: AccountConfig): Promise<FolderRow[]> {
    const existing = this.store.getAccount(cfg.id);
    if (existing && JSON.stringify(existing.config) !== JSON.stringify(cfg)) await this.dropProvider(cfg.id);
    this.store.upsertAccount(cfg);
    // On a new store this is the process's first write of a row: its SQL runs for the first time.
    // Connecting (the provider's code, the socket) waits for the next turn if that took the budget.
    await takeTurn();
    let folders: FolderRow[];
    try {
      folders = await this.refreshFolders(cfg.id);
    } catch (e) {
      // The account is saved; say why it is not connected so the tree and Troubleshoot show it.
      const err = toMailError(e, 'folder list');
      this.store.setAccountState(cfg.id, 'disconnected', err.code, err.describe());
      this.scheduler.ensureJobs(cfg.id);
      throw err;
    }
    await takeTurn();
    this.store.setAccountState(cfg.id, 'connected');
    if (this.started) {
      this.scheduler.triggerAccount(cfg.id);
      void this.watchInbox(cfg.id);
    }
    return folders;
  }

  /** Updates an account's settings without touching its mail (e.g. from a config file). */
  ensureAccount(cfg: AccountConfig): void {
    const existing = this.store.getAccount(cfg.id);
    if (existing && JSON.stringify(existing.config) === JSON.stringify(cfg)) return;
    if (existing) void this.dropProvider(cfg.id);
    this.store.upsertAccount(cfg);
  }

  private async dropProvider(id: string): Promise<void> {
    await this.watchers.get(id)?.dispose();
    this.watchers.delete(id);
    const p = this.providers.get(id);
    this.providers.delete(id);
    await p?.close();
  }

  async removeAccount(id: string): Promise<void> {
    await this.dropProvider(id);
    this.store.removeAccount(id);
    await this.store.flush();
  }

  async refreshFolders(accountId: string): Promise<FolderRow[]> {
    return this.scheduler.refreshFolders(accountId, this.provider(accountId));
  }

  async setFolderSelected(accountId: string, path: string, selected: boolean): Promise<void> {
    const f = this.store.getFolder(accountId, path);
    if (!f) throw new MailError('folder.notFound', `account "${accountId}" has no folder "${path}"`);
    this.store.setFolderSelected(f.id, selected);
    this.scheduler.ensureJobs(accountId);
    if (selected && this.started) {
      this.scheduler.trigger(jobId(accountId, 'sync', path));
      this.scheduler.trigger(jobId(accountId, 'backfill', path));
    }
  }

  /** Triggers sync jobs now; does not wait for them. */
  async syncNow(accountId?: string, folderPath?: string): Promise<void> {
    const accounts = accountId ? [accountId] : this.store.listAccounts().map((a) => a.id);
    for (const id of accounts) {
      if (folderPath) this.scheduler.trigger(jobId(id, 'sync', folderPath));
      else {
        this.scheduler.trigger(jobId(id, 'maintenance'));
        this.scheduler.triggerAccount(id, 'sync');
        this.scheduler.trigger(jobId(id, 'tasks'));
      }
    }
  }

  /** "Trigger Backfill": a deep fetch of the folder's whole history. */
  triggerBackfill(accountId: string, folderPath: string): void {
    const f = this.store.getFolder(accountId, folderPath);
    if (!f) throw new MailError('folder.notFound', `account "${accountId}" has no folder "${folderPath}"`);
    if (!f.selected) this.store.setFolderSelected(f.id, true);
    this.store.saveSyncState(f.id, { deepBackfill: true, backfillDone: false });
    this.scheduler.ensureJobs(accountId);
    const id = jobId(accountId, 'backfill', folderPath);
    this.store.updateJob(id, { status: 'pending', nextRun: Date.now(), attempts: 0 });
    this.scheduler.trigger(id);
  }

  async testIncoming(account: AccountConfig | string): Promise<VerifyReport> {
    return this.withProvider(account, (p) => p.verifyIncoming());
  }

  async testOutgoing(account: AccountConfig | string): Promise<VerifyReport> {
    return this.withProvider(account, (p) => p.verifyOutgoing());
  }

  private async withProvider<T>(account: AccountConfig | string, fn: (p: MailProvider) => Promise<T>): Promise<T> {
    if (typeof account === 'string') return fn(this.provider(account));
    const p = this.createProvider(account);
    try {
      return await fn(p);
    } finally {
      await p.close();
    }
  }

  /** Mark read/unread, flag: applied to the store at once, to the server by the tasks job. */
  setFlags(messageId: number, folderId: number, add: string[], remove: string[]): void {
    const m = this.store.getMessage(messageId, folderId);
    const folder = this.store.getFolderById(folderId);
    if (!m || !folder) throw new MailError('folder.notFound', `message ${messageId} is not in that folder`);
    const lower = remove.map((f) => f.toLowerCase());
    const flags = [...new Set([...m.flags.filter((f) => !lower.includes(f.toLowerCase())), ...add])];
    this.store.tx(() => {
      this.store.setLocalFlags(messageId, flags);
      if (onServer(m)) this.store.enqueueTask(folder.accountId, 'flags', { task: { kind: 'flags', folderPath: folder.path, ...ref(m), add, remove } });
    });
    this.scheduler.trigger(jobId(folder.accountId, 'tasks'));
  }

  /** Move to another folder: shown there at once, never twice, never lost on the way. */
  moveMessage(messageId: number, fromFolderId: number, toPath: string): void {
    const m = this.store.getMessage(messageId, fromFolderId);
    const from = this.store.getFolderById(fromFolderId);
    if (!m || !from) throw new MailError('folder.notFound', `message ${messageId} is not in that folder`);
    const to = this.store.getFolder(from.accountId, toPath);
    if (!to) throw new MailError('folder.notFound', `account "${from.accountId}" has no folder "${toPath}"`);
    this.store.tx(() => {
      this.store.moveLocal(messageId, from.id, to.id);
      leaveLabelFoldersIfBinned(this.store, messageId, to);
      if (onServer(m)) {
        this.store.enqueueTask(from.accountId, 'move', {
          task: { kind: 'move', folderPath: from.path, ...ref(m), toPath, messageId: m.messageId ?? undefined },
          toFolderId: to.id,
          messageId,
        });
      }
    });
    this.scheduler.trigger(jobId(from.accountId, 'tasks'));
  }

  /** Delete: to Trash when there is one, else (or with `permanent`) expunged. */
  deleteMessage(messageId: number, folderId: number, opts: { permanent?: boolean } = {}): void {
    const m = this.store.getMessage(messageId, folderId);
    const folder = this.store.getFolderById(folderId);
    if (!m || !folder) throw new MailError('folder.notFound', `message ${messageId} is not in that folder`);
    const trash = this.store.folderByRole(folder.accountId, 'trash');
    if (!opts.permanent && trash && trash.id !== folder.id) return this.moveMessage(messageId, folderId, trash.path);
    this.store.tx(() => {
      this.store.removeLocal(messageId, folderId);
      if (onServer(m)) this.store.enqueueTask(folder.accountId, 'delete', { task: { kind: 'delete', folderPath: folder.path, ...ref(m) } });
    });
    this.scheduler.trigger(jobId(folder.accountId, 'tasks'));
  }

  /** Triage (archive, delete, move, junk, read, flag, mark all read) with Undo; see src/core/triage. */
  get triage(): TriageService {
    return (this.triageService ??= new TriageService(this));
  }

  /** Applies a triage action to messages (or, with `wholeThread`, their conversations in that folder). */
  async applyAction(keys: MessageKey[], action: TriageAction, opts?: TriageOptions): Promise<TriageResult> {
    return this.triage.apply(keys, action, opts);
  }

  async markAllRead(folderId: number): Promise<TriageResult> {
    return this.triage.markAllRead(folderId);
  }

  /** Undoes an action by its `undoId` (the last one without). */
  async undo(undoId?: string): Promise<UndoResult> {
    return this.triage.undo(undoId);
  }

  async moveTargets(accountId: string, excludeFolderId?: number): Promise<ReturnType<TriageService['moveTargets']>> {
    return this.triage.moveTargets(accountId, excludeFolderId);
  }

  /**
   * Carries the account's waiting local actions to the server now (the CLI, which does not
   * stay running for the scheduler to do it) and says how the ones after `sinceTaskId` went.
   */
  async pushActions(accountId: string, sinceTaskId = 0): Promise<{ done: number; pending: number; failed: Array<{ kind: string; error: string }> }> {
    this.scheduler.ensureJobs(accountId);
    const job = this.store.getJob(jobId(accountId, 'tasks'));
    if (job && job.status !== 'running') await this.scheduler.runJob(job);
    const rows = this.store.taskOutcomesSince(accountId, sinceTaskId);
    const after = this.store.getJob(jobId(accountId, 'tasks'));
    const jobError = after?.status === 'error' ? after.errorMessage ?? 'the server could not be reached' : undefined;
    return {
      done: rows.filter((r) => r.status === 'done').length,
      pending: rows.filter((r) => r.status === 'pending').length,
      failed: [
        ...rows.filter((r) => r.status === 'failed').map((r) => ({ kind: r.kind, error: r.error ?? 'failed' })),
        ...(jobError && rows.some((r) => r.status === 'pending') ? [{ kind: 'tasks', error: jobError }] : []),
      ],
    };
  }

  /** The newest task id (so `pushActions` can report on what came after it). */
  lastTaskId(): number {
    return this.store.lastTaskId();
  }

  /**
   * The messages a command names, as triage keys: UIDs in a folder, or a Message-ID (in one
   * folder, or every folder of the account that holds it). Names the fix when none is here.
   */
  async findMessageKeys(accountId: string, q: { folderPath?: string; uids?: number[]; messageId?: string }): Promise<MessageKey[]> {
    const folder = q.folderPath !== undefined ? this.store.getFolder(accountId, q.folderPath) : undefined;
    if (q.folderPath !== undefined && !folder) throw new MailError('folder.notFound', `account "${accountId}" has no synced folder "${q.folderPath}" (run \`maildesk folders --account ${accountId}\`)`);
    if (q.uids) {
      if (!folder) throw new MailError('config.invalid', 'UIDs need the folder they belong to (--folder PATH)');
      return q.uids.map((uid) => {
        const m = this.store.getMessageByUid(folder.id, uid);
        if (!m) throw new MailError('folder.notFound', `no message with UID ${uid} in ${folder.path} on this computer (run \`maildesk sync --once\`, or \`maildesk list\` for UIDs)`);
        return { messageId: m.id, folderId: folder.id };
      });
    }
    if (q.messageId) {
      const keys = this.store.membershipsByMessageId(accountId, q.messageId, folder?.id);
      if (!keys.length) throw new MailError('folder.notFound', `no message with Message-ID <${q.messageId.trim().replace(/^<|>$/g, '')}> in account "${accountId}"${folder ? ` (folder ${folder.path})` : ''} on this computer (run \`maildesk sync --once\` first)`);
      return keys;
    }
    throw new MailError('config.invalid', 'name the message: a folder and UIDs, or a Message-ID');
  }

  /** The raw message, from the blob store or fetched from the server and kept. */
  async messageSource(messageId: number, folderId: number): Promise<Buffer> {
    const m = this.store.getMessage(messageId, folderId);
    const folder = this.store.getFolderById(folderId);
    if (!m || !folder) throw new MailError('folder.notFound', `message ${messageId} is not in that folder`);
    if (m.bodyBlob) {
      const b = this.store.blobs.get(m.bodyBlob);
      if (b) return b;
    }
    if (m.uid === null && !m.providerId) throw new MailError('folder.notFound', `message ${messageId} has no copy on the server yet`);
    const raw = await this.provider(folder.accountId).fetchRaw(folder.path, { uid: m.uid ?? undefined, providerId: m.providerId ?? undefined });
    this.store.setBody(messageId, raw);
    return raw;
  }

  /** Drafts and sending (created on first use; marks sends cut off by a crash as "maybe sent"). */
  get drafts(): DraftService {
    if (!this.draftService) {
      this.draftService = new DraftService({
        store: this.store,
        provider: (id) => this.provider(id),
        folders: async (id) => (this.store.listFolders(id).length ? this.store.listFolders(id) : this.refreshFolders(id)),
        logger: this.log,
      });
    }
    return this.draftService;
  }

  /** Saves a draft locally at once (on disk before this returns), then to the server's Drafts unless `remote: false`. */
  saveDraft(accountId: string, draft: Draft, opts?: { remote?: boolean }): Promise<DraftRef> {
    return this.drafts.saveDraft(accountId, draft, opts);
  }

  listDrafts(accountId: string): DraftSummary[] {
    return this.drafts.listDrafts(accountId);
  }

  /** A saved draft as the composer needs it, to continue it (same id, same Message-ID). */
  openDraft(accountId: string, draftId: number): OpenedDraft {
    return this.drafts.openDraft(accountId, draftId);
  }

  deleteDraft(accountId: string, draftId: number): Promise<void> {
    return this.drafts.deleteDraft(accountId, draftId);
  }

  /**
   * Sends a draft (new or saved) or a whole message. Failures come back in the result,
   * with the message kept in Drafts; `confirmResend` is needed after a "may have been sent".
   */
  async send(accountId: string, input: SendInput, opts?: { confirmResend?: boolean }): Promise<SendResult> {
    if (!this.sender) {
      this.sender = new Sender({
        store: this.store,
        drafts: this.drafts,
        provider: (id) => this.provider(id),
        folders: async (id) => (this.store.listFolders(id).length ? this.store.listFolders(id) : this.refreshFolders(id)),
        selectFolder: (id, p) => this.setFolderSelected(id, p, true),
        logger: this.log,
        options: this.o.send,
      });
    }
    const r = await this.sender.send(accountId, input, opts);
    // The provider's copy replaces the local Sent entry on the next sync; make that soon.
    if (r.ok && r.sentFolder && this.started) this.scheduler.trigger(jobId(accountId, 'sync', r.sentFolder));
    return r;
  }

  // ---- agent tools (src/core/agent): only mailboxes whose AI switches allow it --------

  private get agent(): AgentMailbox {
    return (this.agentMailbox ??= new AgentMailbox(this, () => this.o.settings?.() ?? {}));
  }

  async agentStatus(): Promise<AgentStatus> {
    return this.agent.status();
  }

  agentSearch(input: AgentSearchInput): Promise<AgentSearchResult> {
    return this.agent.search(input);
  }

  agentReadThread(input: { id: string }): Promise<AgentThread> {
    return this.agent.readThread(input);
  }

  agentListUnread(input: { account?: string; folder?: string; limit?: number }): Promise<AgentUnreadFolder[]> {
    return this.agent.listUnread(input);
  }

  agentListFolders(input: { account?: string }): Promise<AgentMailboxInfo[]> {
    return this.agent.listFolders(input);
  }

  /** Saves a reply or a new message in Drafts (here and on the server); never sends. */
  agentSaveDraft(input: AgentDraftInput): Promise<AgentDraftResult> {
    return this.agent.saveDraft(input);
  }

  agentMark(input: { ids: string[]; action: MarkAction }): Promise<AgentChangeResult[]> {
    return this.agent.mark(input);
  }

  agentArchive(input: { ids: string[] }): Promise<AgentChangeResult[]> {
    return this.agent.archive(input);
  }

  /** Which client called which tool (for Troubleshoot), without input or answer. */
  async agentRecordCall(input: { client: string; tool: string; ok: boolean }): Promise<void> {
    this.agent.recordCall(input.client, input.tool, input.ok);
  }

  /** Where this host offers the tools (VS Code's tools, participant, MCP provider), for Troubleshoot. */
  async agentRegistered(info: Omit<AgentHostInfo, 'at'>): Promise<void> {
    this.agent.recordHost(info);
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    for (const a of this.store.listAccounts()) {
      this.scheduler.ensureJobs(a.id);
      void this.watchInbox(a.id);
    }
    this.scheduler.start();
    // Threads and the search index follow each sync step, in small background batches.
    this.settleListener ??= this.scheduler.onDidSettle(() => this.indexSoon());
    this.indexSoon();
  }

  private indexSoon(): void {
    if (this.indexing || !this.started) return;
    // Headers first (threads and the list need them), then the text of fetched bodies.
    this.indexing = indexInBackground(this.store, { stop: () => !this.started })
      .then(() => indexBodiesInBackground(this.store, { stop: () => !this.started }))
      .catch((e) => this.log.log('warn', `indexing for threads and search failed: ${(e as Error).message}`))
      .then(() => undefined)
      .finally(() => (this.indexing = undefined));
  }

  /** IDLE on Inbox: new mail triggers the Inbox sync at once. */
  private async watchInbox(accountId: string): Promise<void> {
    if (this.o.idle === false || this.watchers.has(accountId)) return;
    const inbox = this.store.folderByRole(accountId, 'inbox');
    if (!inbox) return;
    let p: MailProvider;
    try {
      p = this.provider(accountId);
    } catch {
      return;
    }
    if (!p.watch) return;
    let timer: NodeJS.Timeout | undefined;
    const w = await p.watch(inbox.path, () => {
      if (timer) return;
      timer = setTimeout(() => {
        timer = undefined;
        this.scheduler.trigger(jobId(accountId, 'sync', inbox.path));
      }, 300);
    });
    if (!this.started) await w.dispose();
    else this.watchers.set(accountId, w);
  }

  resume(accountId: string): void {
    void this.dropProvider(accountId).then(() => {
      this.scheduler.resume(accountId);
      if (this.started) void this.watchInbox(accountId);
    });
  }

  /** The CA the API providers were given (Troubleshoot's network.provider probes with it). */
  endpointCa(provider: 'gmail' | 'outlook'): string | Buffer | undefined {
    return provider === 'outlook' ? this.o.graph?.ca : undefined;
  }

  async stop(): Promise<void> {
    this.started = false;
    await this.scheduler.stop();
    await this.indexing;
    for (const w of this.watchers.values()) await w.dispose();
    this.watchers.clear();
    await Promise.all([...this.providers.values()].map((p) => p.close()));
    this.providers.clear();
    this.store.syncNow();
  }

  async close(): Promise<void> {
    await this.stop();
    this.store.close();
  }
}

/** A message has a server copy once it has a UID (IMAP) or a provider id from a sync. */
function onServer(m: MessageRow): boolean {
  return m.uid !== null || (m.origin === 'remote' && !!m.providerId);
}

/** The Message-ID finds a copy whose UID is not known yet (moved a moment ago, then acted on again). */
function ref(m: MessageRow): { uid: number; providerId?: string; messageId?: string } {
  return { uid: m.uid ?? 0, providerId: m.providerId ?? undefined, messageId: m.messageId ?? undefined };
}
