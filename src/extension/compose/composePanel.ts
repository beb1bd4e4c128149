/**
 * Compose in VS Code: one webview panel per message being written (new, reply, reply all,
 * forward, or a draft continued). The panel only moves the form between the page and the
 * engine: drafts are saved by `compose/save` (locally 2 s after the last change, to the
 * server's Drafts every 30 s and on close), and Send is `mail/send`, whose failures stay
 * in the panel with the exact error while the draft is kept.
 *
 * Nothing typed is lost: the page sends the form on every change (debounced) and when it is
 * hidden or unloaded, and the host hands it to the engine's journal at once (`compose/journal`,
 * in order on this window's connection), so a window closed before the next draft save is
 * caught up by `compose/recover`.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { webviewPage } from '../webviewPage';
import { toMailError } from '../../core/errors';
import { newMessageId } from '../../core/send/addresses';
import { swapSignature, withSignature } from '../../core/send/signature';
import {
  type ComposeFields,
  type ComposeHandlers,
  type ComposeHostToWebview,
  type ComposeInit,
  dispatchCompose,
  parseComposeMessage,
} from '../../shared/protocol/compose';
import type { AttachmentWire, ComposeAccountInfo, ComposeDraft, ComposeDraftSaved } from '../../shared/protocol/engineAreas/compose';
import { DisposableBase, toDisposable, type Disposable } from '../lifecycle';
import { composeInEditor } from './editorCompose';
import { composePageBody } from './composePage';
import { composeStrings } from '../pageStrings';
import { attachmentList, completionItem, type ComposeMeta, isUntouched, sendProblem, signatureOf, toDraft, prefilledMeta } from './model';
import type { EngineClient } from '../../engine/client';
import { fromWireError } from '../../engine/wire';
import { commandRunner } from '../notify';

const VIEW_TYPE = 'maildesk.compose';
const LOCAL_SAVE_MS = 2_000;
const REMOTE_SAVE_MS = 30_000;

export interface ComposeDeps {
  /** This window's client of the engine: every read and action goes through it (src/shared/protocol/engine.ts). */
  engine: EngineClient;
  extensionUri: vscode.Uri;
  log: vscode.LogOutputChannel;
}

/** What reply / forward / open-draft commands take (the thread view and the message list pass it). */
export interface ComposeMessageArgs {
  messageId: number;
  folderId: number;
}

/** The signature for an account: setting `maildesk.signatures` (accountId → text), else the store's. */
export function signatureFor(account: ComposeAccountInfo): string {
  return signatureOf(account, vscode.workspace.getConfiguration('maildesk').get<Record<string, unknown>>('signatures', {}));
}

/** Registers the composer's commands and catches up drafts left unsaved by a closed window. */
export function registerCompose(deps: ComposeDeps): Disposable[] {
  const panels = new ComposePanels(deps);
  const run = commandRunner(deps.log);
  const isArgs = (a: unknown): a is ComposeMessageArgs =>
    !!a && typeof a === 'object' && Number.isSafeInteger((a as ComposeMessageArgs).messageId) && Number.isSafeInteger((a as ComposeMessageArgs).folderId);
  void panels.recover();
  return [
    panels,
    vscode.commands.registerCommand('maildesk.newMessage', (target?: { accountId?: string }) =>
      composeInEditor() ? vscode.commands.executeCommand('maildesk.newMessageInEditor', target) : run(vscode.l10n.t('New Message'), () => panels.newMessage(typeof target?.accountId === 'string' ? target.accountId : undefined)),
    ),
    vscode.commands.registerCommand('maildesk.reply', (a?: ComposeMessageArgs) => composeInEditor() ? vscode.commands.executeCommand('maildesk.replyInEditor', a) : isArgs(a) && run(vscode.l10n.t('Reply'), () => panels.reply(a, 'reply'))),
    vscode.commands.registerCommand('maildesk.replyAll', (a?: ComposeMessageArgs) => composeInEditor() ? vscode.commands.executeCommand('maildesk.replyAllInEditor', a) : isArgs(a) && run(vscode.l10n.t('Reply all'), () => panels.reply(a, 'replyAll'))),
    vscode.commands.registerCommand('maildesk.forward', (a?: ComposeMessageArgs) => composeInEditor() ? vscode.commands.executeCommand('maildesk.forwardInEditor', a) : isArgs(a) && run(vscode.l10n.t('Forward'), () => panels.reply(a, 'forward'))),
    vscode.commands.registerCommand('maildesk.openDraft', (a?: ComposeMessageArgs | { accountId: string; draftId: number }) =>
      // The picker (no argument) stays here; what is picked opens where the setting says.
      a && composeInEditor() ? vscode.commands.executeCommand('maildesk.openDraftInEditor', a) : run(vscode.l10n.t('Opening the draft'), async () => {
        if (a && 'draftId' in a && typeof a.accountId === 'string' && Number.isSafeInteger(a.draftId)) await panels.openDraft(a.accountId, a.draftId);
        else if (isArgs(a)) await panels.openDraftMessage(a);
        else await panels.pickDraft();
      }),
    ),
  ];
}

class ComposePanels extends DisposableBase {
  private readonly panels = new Map<string, ComposePanel>();
  /** The accounts as the engine last listed them; dropped when an account changes. */
  private accountList: Promise<ComposeAccountInfo[]> | undefined;

  constructor(readonly deps: ComposeDeps) {
    super();
    const { engine } = deps;
    this._register(toDisposable(() => [...this.panels.values()].forEach((p) => p.dispose())));
    this._register(engine.on('store/changed', (c) => void this.accountsChanged(c.accounts)));
    // Another window (or another composer) saved a draft open here: it reloads, or says so.
    this._register(engine.on('compose/draftSaved', (e) => this.panels.get(`${e.accountId}\n${e.messageId}`)?.savedElsewhere(e)));
    this._register(
      engine.onDidReconnect(() => {
        // Another engine (after a takeover) learns which drafts are being written here, so its
        // recovery leaves them alone; and it may know other accounts.
        for (const p of this.panels.values()) p.rejournal();
        void this.accountsChanged([...new Set([...this.panels.values()].map((p) => p.accountId))]);
      }),
    );
  }

  get engine(): EngineClient {
    return this.deps.engine;
  }

  accounts(): Promise<ComposeAccountInfo[]> {
    const list = (this.accountList ??= this.engine.request('compose/accounts', {}));
    // A failed read is not kept: the next call asks again.
    list.catch(() => this.accountList === list && (this.accountList = undefined));
    return list;
  }

  /** The account with that id; without one, the first (the default From). */
  async account(accountId?: string): Promise<ComposeAccountInfo | undefined> {
    const all = await this.accounts();
    return (accountId ? all.find((a) => a.id === accountId) : undefined) ?? all[0];
  }

  /** Exactly that account, or undefined when it was removed. */
  async accountById(accountId: string): Promise<ComposeAccountInfo | undefined> {
    return (await this.accounts()).find((a) => a.id === accountId);
  }

  /** A removed account closes its compose tabs. */
  private async accountsChanged(ids: string[]): Promise<void> {
    if (!ids.length) return;
    this.accountList = undefined;
    const open = [...this.panels.values()].filter((p) => ids.includes(p.accountId));
    if (!open.length) return;
    try {
      const now = new Set((await this.accounts()).map((a) => a.id));
      for (const p of open) if (!now.has(p.accountId)) p.dispose();
    } catch (e) {
      this.deps.log.warn(`compose: reading the accounts failed: ${toMailError(e).describe()}`);
    }
  }

  private open(meta: ComposeMeta, attachments: AttachmentWire[], replyingTo?: ComposeMessageArgs, revision = 0): ComposePanel {
    const key = `${meta.accountId}\n${meta.messageId}`;
    const existing = this.panels.get(key);
    if (existing) {
      existing.reveal();
      return existing;
    }
    const panel = new ComposePanel(this, meta, attachments, (k) => this.panels.delete(k), replyingTo, revision);
    this.panels.set(key, panel);
    return panel;
  }

  /** Re-keys a panel whose account changed (From). */
  rekey(oldKey: string, panel: ComposePanel): void {
    this.panels.delete(oldKey);
    this.panels.set(panel.key, panel);
  }

  async newMessage(accountId?: string): Promise<void> {
    const acc = await this.account(accountId);
    if (!acc) {
      void vscode.window.showInformationMessage(vscode.l10n.t('MailDesk: add a mail account first.'), vscode.l10n.t('Add IMAP Account')).then((c) => c && vscode.commands.executeCommand('maildesk.addImapAccount'));
      return;
    }
    const body = withSignature('', signatureFor(acc));
    const meta: ComposeMeta = {
      accountId: acc.id,
      messageId: newMessageId(acc.from.address),
      fields: { accountId: acc.id, to: '', cc: '', bcc: '', subject: '', body, format: 'markdown', includeQuote: false },
      kind: 'New Message',
      pending: true,
      initialBody: body,
    };
    await this.open(meta, []).saveLocal();
  }

  async reply(a: ComposeMessageArgs, mode: 'reply' | 'replyAll' | 'forward'): Promise<void> {
    // Built in the engine from the stored message (fetched from the server when not kept here).
    const d = await this.engine.request('compose/prefill', { messageId: a.messageId, folderId: a.folderId, mode });
    const acc = await this.accountById(d.accountId);
    if (!acc) throw new Error(vscode.l10n.t('no account "{0}"', d.accountId));
    const body = withSignature('', signatureFor(acc));
    const meta = prefilledMeta(d, acc.id, body, true);
    // Saved at once: the draft row holds the forwarded attachments (already in the blob store).
    // A reply offers "Send + Archive" for the conversation of the message answered (not a forward).
    const replyingTo = mode === 'forward' ? undefined : { messageId: a.messageId, folderId: a.folderId };
    await this.open(meta, d.attachments, replyingTo).saveLocal();
  }

  /** Continues a saved draft: its own form when MailDesk wrote it, else the message as plain text. */
  async openDraft(accountId: string, draftId: number): Promise<void> {
    const d = await this.engine.request('compose/openDraft', { accountId, draftId });
    // A reopened reply offers "Send + Archive" too, for the stored message it answers. Not
    // pending: what the journal holds beyond the row was typed elsewhere, not in this form.
    const panel = this.open({ ...draftMeta(d), pending: false }, d.attachments, d.replyingTo, d.revision);
    if (d.status === 'failed' && d.error) panel.showError({ message: d.error.message, code: d.error.code, maybeSent: d.maybeSent });
  }

  /** A click in the Drafts folder's list: the draft row behind it, or the server's message made one. */
  async openDraftMessage(a: ComposeMessageArgs): Promise<void> {
    const d = await this.engine.request('compose/draftForMessage', { messageId: a.messageId, folderId: a.folderId });
    return this.openDraft(d.accountId, d.draftId);
  }

  async pickDraft(): Promise<void> {
    const all = await this.engine.request('compose/listDrafts', {});
    const items = all.flatMap((acc) =>
      acc.drafts.map((d) => ({
        label: `${d.status === 'failed' ? '$(error) ' : ''}${d.subject || vscode.l10n.t('(no subject)')}`,
        description: d.to.length ? vscode.l10n.t('to {0}', d.to.join(', ')) : vscode.l10n.t('(no recipients)'),
        detail: d.error
          ? vscode.l10n.t('{0} · {1} · not sent: {2}', acc.accountLabel, new Date(d.updatedAt).toLocaleString(), d.error.message)
          : `${acc.accountLabel} · ${new Date(d.updatedAt).toLocaleString()}`,
        accountId: acc.accountId,
        draftId: d.id,
      })),
    );
    if (!items.length) {
      void vscode.window.showInformationMessage(vscode.l10n.t('MailDesk: there are no drafts.'));
      return;
    }
    const pick = await vscode.window.showQuickPick(items, { title: vscode.l10n.t('MailDesk: Open Draft'), placeHolder: vscode.l10n.t('Continue writing a draft'), matchOnDescription: true, matchOnDetail: true });
    // Through the command, so it opens where `maildesk.compose.editor` says.
    if (pick) await vscode.commands.executeCommand('maildesk.openDraft', { accountId: pick.accountId, draftId: pick.draftId });
  }

  /** Drafts whose last changes never reached their row (window closed, host killed): saved now, by the engine. */
  async recover(): Promise<void> {
    const { engine, log } = this.deps;
    try {
      const r = await engine.request('compose/recover', {});
      for (const d of r.recovered) log.info(`compose: recovered the unsaved changes of draft ${d.draftId} (${d.messageId})`);
      for (const f of r.failed) log.warn(`compose: recovering draft ${f.messageId} failed: ${f.error}`);
    } catch (e) {
      log.warn(`compose: recovering unsaved drafts failed: ${toMailError(e).describe()}`);
    }
  }
}

/** The form of a saved draft: its own journal when MailDesk wrote it, else the message as plain text. */
function draftMeta(d: ComposeDraft): ComposeMeta {
  return d.meta
    ? { ...d.meta, draftId: d.id }
    : {
        accountId: d.accountId,
        messageId: d.messageId,
        draftId: d.id,
        fields: { accountId: d.accountId, to: d.to, cc: d.cc, bcc: d.bcc, subject: d.subject, body: d.text.replace(/\n+$/, ''), format: 'plain', includeQuote: false },
        inReplyTo: d.inReplyTo,
        references: d.references,
        kind: 'Draft',
        pending: false,
        initialBody: '',
      };
}

class ComposePanel extends DisposableBase {
  private readonly panel: vscode.WebviewPanel;
  private localTimer: NodeJS.Timeout | undefined;
  private remoteTimer: NodeJS.Timeout | undefined;
  private remoteDirty = false;
  private sending = false;
  /** Sent or discarded: nothing more is saved. */
  private finished = false;
  private saving: Promise<void> = Promise.resolve();
  /** This composer, in the engine's `compose/draftSaved` (so it does not react to its own saves). */
  private readonly writer = crypto.randomUUID();
  /**
   * Set when another window saved this draft while this form had changes of its own: nothing
   * is saved from here (that would overwrite the other window's text) until the user chooses
   * Reload or Keep mine; `revision` is the draft's now.
   */
  private stale: { revision: number; draftId?: number } | undefined;
  /** How many times another window's version was put into the page (`replace`); the page's changes say which they follow. */
  private gen = 0;
  /** A saved draft opened again (not a new message, reply or forward). */
  private readonly reopened: boolean;

  constructor(
    private readonly owner: ComposePanels,
    private meta: ComposeMeta,
    /** Files on this computer or blobs of the data folder; replaced (never changed in place) on every change. */
    private attachments: AttachmentWire[],
    private readonly onGone: (key: string) => void,
    /** The message a reply answers: "Send + Archive" archives its conversation after sending. */
    private readonly replyingTo?: ComposeMessageArgs,
    /** The draft's revision this form builds on (`compose/save` refuses to save over a newer one). */
    private revision = 0,
  ) {
    super();
    this.reopened = meta.draftId !== undefined;
    const { extensionUri } = owner.deps;
    this.panel = this._register(
      vscode.window.createWebviewPanel(
        VIEW_TYPE,
        this.title(),
        vscode.ViewColumn.Active,
        {
          enableScripts: true,
          enableCommandUris: false,
          enableForms: false,
          // The form lives in the page while the tab is in the background (the host has a copy too).
          retainContextWhenHidden: true,
          localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'dist'), vscode.Uri.joinPath(extensionUri, 'media')],
        },
      ),
    );
    this.panel.iconPath = vscode.Uri.joinPath(extensionUri, 'media', 'maildesk.svg');
    this._register(toDisposable(() => this.onGone(this.key)));
    this._register(toDisposable(() => this.clearTimers()));
    this._register(this.panel.onDidDispose(() => this.closed()));
    this._register(this.panel.webview.onDidReceiveMessage((raw) => this.onMessage(raw)));
    this.panel.webview.html = this.html();
  }

  get key(): string {
    return `${this.meta.accountId}\n${this.meta.messageId}`;
  }

  get accountId(): string {
    return this.meta.accountId;
  }

  private get engine(): EngineClient {
    return this.owner.engine;
  }

  private title(): string {
    const s = this.meta.fields.subject.trim();
    return s || this.meta.kind;
  }

  reveal(): void {
    this.panel.reveal();
  }

  private post(msg: ComposeHostToWebview): void {
    if (!this.isDisposed) void this.panel.webview.postMessage(msg);
  }

  showError(error: { message: string; code: string; maybeSent: boolean }): void {
    this.pendingError = error;
    this.post({ type: 'error', error });
  }

  private pendingError: { message: string; code: string; maybeSent: boolean } | undefined;

  private async sendInit(): Promise<void> {
    let accounts: ComposeAccountInfo[] = [];
    try {
      accounts = await this.owner.accounts();
    } catch (e) {
      this.owner.deps.log.warn(`compose: reading the accounts for From failed: ${toMailError(e).describe()}`);
    }
    const init: ComposeInit = {
      fields: this.meta.fields,
      accounts: accounts.map((a) => ({ id: a.id, label: a.label })),
      attachments: attachmentList(this.attachments),
      kind: this.meta.kind,
      error: this.pendingError,
      hasQuote: !!this.meta.quote,
      sendArchive: this.replyingTo !== undefined,
    };
    this.post({ type: 'init', init });
  }

  // ---- saving ---------------------------------------------------------------------

  /** The form as it is now goes to the engine's journal; `flush` puts it on disk before the answer. */
  private journal(flush = false): Promise<void> {
    // A form out of date with the draft never replaces the journal of the window that saved it.
    if (this.stale) return Promise.resolve();
    return this.engine.request('compose/journal', { meta: this.meta, flush, revision: this.revision, writer: this.writer }).then(
      (r) => {
        // (An engine of the build before answers null: it checks nothing.)
        if (r?.stale) this.conflict(r.revision);
      },
      (e) => this.owner.deps.log.warn(`compose: keeping the unsaved changes of ${this.meta.messageId} failed: ${toMailError(e).describe()}`),
    );
  }

  /** Whether this form holds changes the draft row does not have yet. */
  private get unsaved(): boolean {
    return this.meta.pending || this.localTimer !== undefined;
  }

  /**
   * Another composer (another window, mostly) saved this draft. With nothing unsaved here the
   * form shows that version at once; with changes of its own, the user is asked what to keep.
   */
  savedElsewhere(e: ComposeDraftSaved): void {
    if (this.finished || e.writer === this.writer || e.revision <= this.revision || (this.stale && e.revision <= this.stale.revision)) return;
    if (this.unsaved || this.stale) this.conflict(e.revision, e.draftId);
    else void this.queue(() => this.reload(false, e.draftId));
  }

  /** Stops saving from here and shows "This draft was changed in another window" with Reload and Keep mine. */
  private conflict(revision: number, draftId?: number): void {
    if (this.finished) return;
    this.stale = { revision, draftId: draftId ?? this.stale?.draftId };
    if (this.localTimer) clearTimeout(this.localTimer);
    this.localTimer = undefined;
    this.owner.deps.log.info(`compose: draft ${this.meta.messageId} was saved by another window (revision ${revision}, this form had ${this.revision}): waiting for Reload or Keep mine`);
    this.post({ type: 'conflict', on: true });
    this.post({ type: 'status', message: 'Not saved: this draft was changed in another window' });
  }

  /** The draft as saved now (by another window) replaces the form; `force`: the user chose Reload. */
  private async reload(force: boolean, draftId = this.stale?.draftId ?? this.meta.draftId): Promise<void> {
    if (this.finished || draftId === undefined) return;
    try {
      const d = await this.engine.request('compose/openDraft', { accountId: this.meta.accountId, draftId });
      if (this.finished) return;
      if (!force && (this.unsaved || this.stale)) {
        // A change from the page arrived while the other version was read: the user chooses.
        this.conflict(d.revision, draftId);
        return;
      }
      this.meta = { ...draftMeta(d), pending: false };
      this.attachments = d.attachments;
      this.revision = d.revision;
      this.stale = undefined;
      this.remoteDirty = false;
      this.panel.title = this.title();
      this.post({ type: 'replace', fields: this.meta.fields, attachments: attachmentList(this.attachments), force, gen: ++this.gen });
      this.post({ type: 'status', message: 'Updated with the changes saved in another window' });
    } catch (e) {
      const err = toMailError(e, 'reloading the draft');
      this.owner.deps.log.warn(`compose: ${err.describe()}`);
      this.post({ type: 'status', message: `The draft could not be reloaded: ${err.describe()}` });
    }
  }

  /**
   * Closed while the draft was changed in another window (neither Reload nor Keep mine chosen):
   * this form's text becomes a draft of its own (a new Message-ID), so neither version is lost.
   */
  private async keepAsCopy(): Promise<void> {
    const { engine } = this;
    const { log } = this.owner.deps;
    try {
      const acc = await this.owner.accountById(this.meta.accountId);
      if (!acc) return;
      const copy: ComposeMeta = { ...this.meta, messageId: newMessageId(acc.from.address), draftId: undefined, pending: true };
      // The journal first (on disk before the answer): a window closing with VS Code still leaves it to recover.
      await engine.request('compose/journal', { meta: copy, flush: true });
      const r = await engine.request('compose/save', { meta: copy, attachments: this.attachments, remote: true, revision: 0, writer: this.writer });
      if (!r || 'stale' in r) return;
      await engine.request('compose/journal', { meta: { ...copy, draftId: r.draftId, pending: false } });
      log.info(`compose: ${this.meta.messageId} was changed in another window; this window's version is kept as draft ${r.draftId} (${copy.messageId})`);
      const subject = this.meta.fields.subject || vscode.l10n.t('(no subject)');
      void vscode.window.showInformationMessage(vscode.l10n.t('MailDesk: "{0}" was changed in another window, so what you wrote here is kept as a separate draft in Drafts.', subject));
    } catch (e) {
      log.error(`compose: keeping this window's version of ${this.meta.messageId} as a separate draft failed: ${toMailError(e).describe()}`);
    }
  }

  /** "Keep mine": this form is saved over the other window's version, on purpose. */
  private keepMine(): void {
    if (!this.stale) return;
    this.revision = this.stale.revision;
    this.stale = undefined;
    this.post({ type: 'conflict', on: false });
    this.meta = { ...this.meta, pending: true };
    this.remoteDirty = true;
    void this.journal();
    void this.saveLocal();
  }

  /** Tells the engine (again) that this draft is being written here: after a reconnect. */
  rejournal(): void {
    if (!this.finished) void this.journal();
  }

  /** The form as it is now goes into the journal at once, the draft a little later. */
  private update(fields: ComposeFields): void {
    if (this.finished) return;
    const accountChanged = fields.accountId !== this.meta.accountId;
    if (accountChanged) {
      void this.changeAccount(fields);
      return;
    }
    this.meta = { ...this.meta, fields, pending: true };
    void this.journal();
    this.panel.title = this.title();
    this.remoteDirty = true;
    if (this.localTimer) clearTimeout(this.localTimer);
    this.localTimer = setTimeout(() => void this.saveLocal(), LOCAL_SAVE_MS);
    this.remoteTimer ??= setTimeout(() => {
      this.remoteTimer = undefined;
      void this.saveRemote();
    }, REMOTE_SAVE_MS);
  }

  /** From changed: the draft moves to the other account (same Message-ID), signature swapped. */
  private async changeAccount(fields: ComposeFields): Promise<void> {
    const { engine } = this;
    const [from, to] = await Promise.all([this.owner.accountById(this.meta.accountId), this.owner.accountById(fields.accountId)]);
    if (!to) return;
    const oldKey = this.key;
    const old = { accountId: this.meta.accountId, draftId: this.meta.draftId, messageId: this.meta.messageId };
    await this.saving;
    const body = from ? swapSignature(fields.body, signatureFor(from), signatureFor(to)) : fields.body;
    // The old draft's attachments are in the blob store, which every account shares.
    if (old.draftId !== undefined) {
      this.attachments = await engine.request('compose/openDraft', { accountId: old.accountId, draftId: old.draftId }).then(
        (d) => d.attachments,
        () => this.attachments,
      );
    }
    this.meta = { ...this.meta, accountId: to.id, draftId: undefined, fields: { ...fields, body }, pending: true };
    void this.journal();
    void engine.request('compose/discard', { accountId: old.accountId, messageId: old.messageId }).catch(() => undefined);
    this.owner.rekey(oldKey, this);
    if (body !== fields.body) this.post({ type: 'body', body });
    await this.saveLocal();
    if (old.draftId !== undefined) {
      await engine
        .request('compose/discard', { accountId: old.accountId, messageId: old.messageId, draftId: old.draftId })
        .catch((e) => this.owner.deps.log.warn(`compose: removing the old draft failed: ${toMailError(e).describe()}`));
    }
  }

  private clearTimers(): void {
    if (this.localTimer) clearTimeout(this.localTimer);
    if (this.remoteTimer) clearTimeout(this.remoteTimer);
    this.localTimer = this.remoteTimer = undefined;
  }

  /** One save at a time, in order: a later save never loses to an earlier one. */
  private queue(fn: () => Promise<void>): Promise<void> {
    this.saving = this.saving.then(fn, fn);
    return this.saving;
  }

  saveLocal(): Promise<void> {
    if (this.localTimer) clearTimeout(this.localTimer);
    this.localTimer = undefined;
    return this.queue(() => this.save(false));
  }

  private saveRemote(): Promise<void> {
    if (!this.remoteDirty) return Promise.resolve();
    this.remoteDirty = false;
    return this.queue(() => this.save(true));
  }

  private async save(remote: boolean): Promise<void> {
    if (this.finished || this.sending || this.stale) return;
    const saved = this.meta;
    const attachments = this.attachments;
    try {
      const r = await this.engine.request('compose/save', { meta: saved, attachments, remote, revision: this.revision, writer: this.writer });
      // null: the account is gone (its tabs close).
      if (!r || this.finished) return;
      if ('stale' in r) {
        this.conflict(r.stale.revision);
        return;
      }
      this.revision = r.revision;
      // Attachments added or removed during the save are kept; the next save stores them.
      if (this.attachments === attachments) this.attachments = r.attachments;
      // A change typed during the save is not in the row yet: it stays pending until the next one.
      this.meta = { ...this.meta, draftId: r.draftId, pending: this.meta !== saved };
      void this.journal();
      const at = new Date().toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
      const message = !remote
        ? vscode.l10n.t('Draft saved on this computer at {0}', at)
        : r.server === 'saved'
          ? vscode.l10n.t("Draft saved here and in the server's Drafts at {0}", at)
          : vscode.l10n.t('Draft saved on this computer (server: {0}) at {1}', r.serverError ?? vscode.l10n.t('not saved'), at);
      this.post({ type: 'status', message });
    } catch (e) {
      const err = toMailError(e, vscode.l10n.t('saving the draft'));
      this.owner.deps.log.error(`compose: ${err.describe()}`);
      this.post({ type: 'status', message: vscode.l10n.t('The draft could not be saved: {0}', err.describe()) });
    }
  }

  /** The tab is going away (closed by the user, or VS Code is shutting down). */
  private closed(): void {
    this.clearTimers();
    if (!this.finished) {
      if (this.stale) {
        // Saving it would overwrite what the other window saved: both are kept, this one apart.
        this.finished = true;
        void this.keepAsCopy();
      } else if (this.reopened && !this.unsaved && !this.remoteDirty) {
        // A draft opened and closed without a change here: nothing to write (and no save to
        // race with a window that goes on writing it).
        this.finished = true;
      } else if (isUntouched(this.meta, this.attachments.length)) {
        this.finished = true;
        void this.engine.request('compose/discard', { accountId: this.meta.accountId, messageId: this.meta.messageId, draftId: this.meta.draftId }).catch(() => undefined);
      } else {
        // Sent before anything else (requests arrive in order), and on disk before the engine answers.
        void this.journal(true);
        void this.queue(() => this.save(true)).then(() => (this.finished = true));
      }
    }
    this.dispose();
  }

  // ---- the page's messages ----------------------------------------------------------

  private readonly handlers: ComposeHandlers = {
    ready: () => void this.sendInit(),
    changed: (m) => {
      if ((m.gen ?? 0) >= this.gen) return this.update(m.fields);
      // Typed before the page put in the other window's version (the two messages crossed): the
      // page shows this text again, and the user chooses between the two.
      this.meta = { ...this.meta, fields: m.fields, pending: true };
      this.post({ type: 'replace', fields: m.fields, attachments: attachmentList(this.attachments), force: true, gen: this.gen });
      this.conflict(this.revision);
    },
    complete: (m) => void this.complete(m.query, m.requestId),
    addAttachments: () => void this.addAttachments(),
    checkAi: (m) => void this.checkAi(m.fields),
    removeAttachment: (m) => {
      if (m.index >= this.attachments.length) return;
      this.attachments = this.attachments.filter((_, i) => i !== m.index);
      this.post({ type: 'attachments', items: attachmentList(this.attachments) });
      this.remoteDirty = true;
      void this.saveLocal();
    },
    send: (m) => this.sendAgain(m.fields, m.archive === true),
    reload: () => void this.queue(() => this.reload(true)),
    // The page had changes on the way when the other window's version came: they are this
    // form's, made on the version before, so the user chooses (Reload or Keep mine).
    replaceRefused: (m) => {
      this.meta = { ...this.meta, fields: m.fields, pending: true };
      this.conflict(this.revision);
    },
    keepMine: () => this.keepMine(),
    close: (m) => {
      this.update(m.fields);
      this.panel.dispose();
    },
    discard: () => void this.discard(),
  };

  private onMessage(raw: unknown): void {
    const msg = parseComposeMessage(raw);
    if (msg) dispatchCompose(this.handlers, msg);
  }

  /** Address suggestions from the stored mail (the engine's index), without those already in the form. */
  private async complete(query: string, requestId: number): Promise<void> {
    const exclude = [this.meta.fields.to, this.meta.fields.cc, this.meta.fields.bcc].join(',').split(/[,;]/).map((s) => /<([^>]+)>/.exec(s)?.[1] ?? s.trim());
    try {
      const found = await this.engine.request('compose/complete', { query, exclude, limit: 8 });
      this.post({ type: 'completions', requestId, items: found.map(completionItem) });
    } catch (e) {
      this.owner.deps.log.warn(`compose: address suggestions failed: ${toMailError(e).describe()}`);
      this.post({ type: 'completions', requestId, items: [] });
    }
  }

  private async checkAi(fields: ComposeFields): Promise<void> {
    this.update(fields);
    // Pro's command says why when AI is unavailable (no licence, a switch off, no provider),
    // and runs the local checks (attachment mentioned but missing, odd recipients) regardless.
    const acc = await this.owner.accountById(this.meta.accountId).catch(() => undefined);
    if (!acc) return;
    const draft = toDraft(this.meta, acc.from, this.attachments);
    void vscode.commands.executeCommand('maildesk.ai.checkDraft', { accountId: this.meta.accountId, draft });
  }

  private async addAttachments(): Promise<void> {
    const uris = await vscode.window.showOpenDialog({ canSelectMany: true, canSelectFiles: true, canSelectFolders: false, openLabel: vscode.l10n.t('Attach') });
    if (!uris?.length) return;
    const added: AttachmentWire[] = [];
    for (const u of uris) {
      try {
        const size = fs.statSync(u.fsPath).size;
        added.push({ path: u.fsPath, filename: path.basename(u.fsPath), size });
      } catch (e) {
        void vscode.window.showErrorMessage(vscode.l10n.t('MailDesk: cannot attach {0}: {1}', u.fsPath, (e as Error).message));
      }
    }
    this.attachments = [...this.attachments, ...added];
    this.post({ type: 'attachments', items: attachmentList(this.attachments) });
    this.remoteDirty = true;
    // Saved now: the file's bytes go into the blob store, so a later move of the file loses nothing.
    await this.saveLocal();
  }

  private async discard(): Promise<void> {
    const discard = vscode.l10n.t('Discard');
    const c = await vscode.window.showWarningMessage(vscode.l10n.t('Discard this message?'), { modal: true, detail: vscode.l10n.t("The draft is deleted here and in the server's Drafts folder.") }, discard);
    if (c !== discard) return;
    this.finished = true;
    this.clearTimers();
    await this.saving;
    await this.engine.request('compose/discard', { accountId: this.meta.accountId, messageId: this.meta.messageId, draftId: this.meta.draftId }).catch(() => undefined);
    this.panel.dispose();
  }

  private async send(fields: ComposeFields, confirmResend: boolean, archive = false): Promise<void> {
    if (this.sending || this.finished) return;
    if (this.stale) {
      // Sending this form would drop what the other window wrote, unseen.
      this.showError({ message: 'This draft was changed in another window. Choose Reload (their version) or Keep mine, then send.', code: 'compose.conflict', maybeSent: false });
      return;
    }
    if (fields.accountId !== this.meta.accountId) await this.changeAccount(fields);
    else this.update(fields);
    const problem = sendProblem(this.meta.fields);
    if (problem) {
      this.showError({ message: problem, code: 'compose.invalid', maybeSent: false });
      return;
    }
    this.clearTimers();
    await this.saving;
    this.sending = true;
    this.pendingError = undefined;
    this.post({ type: 'sending', on: true });
    this.post({ type: 'status', message: vscode.l10n.t('Sending…') });
    try {
      const acc = await this.owner.accountById(this.meta.accountId);
      if (!acc) return;
      const { engine } = this;
      const r = await engine.request('mail/send', { accountId: this.meta.accountId, input: { draft: toDraft(this.meta, acc.from, this.attachments) }, confirmResend });
      if (r.ok) {
        this.finished = true;
        void engine.request('compose/discard', { accountId: this.meta.accountId, messageId: this.meta.messageId }).catch(() => undefined);
        const subject = this.meta.fields.subject || vscode.l10n.t('(no subject)');
        this.panel.dispose();
        const n = r.accepted.length;
        const sent = n === 1 ? vscode.l10n.t('MailDesk: Sent "{0}" to 1 recipient.', subject) : vscode.l10n.t('MailDesk: Sent "{0}" to {1} recipients.', subject, n);
        void vscode.window.showInformationMessage(r.warning ? `${sent} ${r.warning}` : sent);
        // Only once the message went out (a failed send returns above with nothing archived):
        // the same Archive command as the key, on that conversation, with its own Undo.
        if (archive && this.replyingTo) void vscode.commands.executeCommand('maildesk.archive', { ...this.replyingTo, conversation: true });
        return;
      }
      this.meta = { ...this.meta, draftId: r.draftId, pending: false };
      void this.journal();
      const err = r.error ? fromWireError(r.error) : toMailError(new Error(vscode.l10n.t('the message was not sent')));
      const error = { message: err.describe(), code: err.code, maybeSent: !!r.maybeSent };
      this.showError(error);
      this.post({ type: 'status', message: vscode.l10n.t('Not sent: the message is kept in Drafts.') });
    } catch (e) {
      const err = toMailError(e, vscode.l10n.t('sending'));
      this.showError({ message: err.describe(), code: err.code, maybeSent: false });
    } finally {
      this.sending = false;
      this.post({ type: 'sending', on: false });
    }
  }

  /** "May have been sent": the user decides whether it goes out again, never a retry. */
  private async askResend(message: string, archive: boolean): Promise<void> {
    const sendAgain = vscode.l10n.t('Send Again');
    const c = await vscode.window.showWarningMessage(
      vscode.l10n.t('This message may already have been sent.'),
      { modal: true, detail: vscode.l10n.t('{0}\n\nSend it again anyway? Recipients may get it twice.', message) },
      sendAgain,
    );
    if (c === sendAgain) await this.send(this.meta.fields, true, archive);
  }

  /** Send (and "Send again"): after a "may have been sent" the user is asked first. */
  private sendAgain(fields: ComposeFields, archive: boolean): void {
    if (this.sending || this.finished) return;
    if (!this.pendingError?.maybeSent) {
      void this.send(fields, false, archive);
      return;
    }
    if (fields.accountId === this.meta.accountId) this.update(fields);
    void this.askResend(this.pendingError.message, archive);
  }

  // ---- the page ----------------------------------------------------------------------

  private html(): string {
    // The quoted original is the reader's sanitised HTML, put into the page here (never by script).
    const quote = this.meta.quote?.html ?? '';
    // Images only from our media and data: (quoted cid images); no remote content at all.
    return webviewPage({
      webview: this.panel.webview,
      extensionUri: this.owner.deps.extensionUri,
      script: 'webview-compose.js',
      stylesheet: 'compose.css',
      title: this.title(),
      allowDataImages: true,
      allowInlineStyles: true,
      body: composePageBody({ kind: this.meta.kind, replyingTo: !!this.replyingTo, quoteHtml: quote }, composeStrings()),
    });
  }
}

