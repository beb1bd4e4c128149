/**
 * Compose in the editor, as mu4e and neomutt users expect: the message is a real text document
 * (Markdown, with the editor's own keys, spell-check extensions and inline completions) holding a
 * header block and the body (draftDocument.ts), with VS Code's Markdown preview beside it.
 * Ctrl+S saves the draft (`compose/save`), "Send" (title bar button, Ctrl+Enter) sends it with
 * `mail/send`, and a sent message closes its document. The webview composer (composePanel.ts)
 * stays; the setting `maildesk.compose.editor` says which one New Message, Reply, Reply All,
 * Forward and Open Draft use.
 *
 * Why a FileSystemProvider (`maildesk-draft:`) and not an untitled document: Ctrl+S on an
 * untitled document asks where to save a file on disk, and its content can only be read back by
 * us; with a provider, Save is our `writeFile`, so saving IS saving the draft, the save's error
 * is shown by VS Code as "Failed to save" with our message, the dirty marker means "not in the
 * draft yet", closing a changed message asks Save / Don't Save like any file, and VS Code's hot
 * exit backs up unsaved changes. The documents live in this window's memory only; the draft
 * itself is in the engine (reopened with Open Draft), and its form is journaled (not pending)
 * after each save so a reopened draft keeps its quoted original.
 */
import * as crypto from 'node:crypto';
import * as vscode from 'vscode';
import { toMailError } from '../../core/errors';
import { newMessageId } from '../../core/send/addresses';
import { withSignature } from '../../core/send/signature';
import type { AttachmentWire, ComposeAccountInfo } from '../../shared/protocol/engineAreas/compose';
import type { EngineClient } from '../../engine/client';
import { fromWireError } from '../../engine/wire';
import { DisposableBase, toDisposable, type Disposable } from '../lifecycle';
import { parseAddresses } from '../../core/send/addresses';
import { attachmentList, type ComposeMeta, isUntouched, sendProblem, signatureOf, toDraft, prefilledMeta } from './model';
import { draftFileName, formatDraftDocument, keptAttachments, parseDraftDocument } from './draftDocument';
import { commandRunner } from '../notify';

export const DRAFT_SCHEME = 'maildesk-draft';
/** A save to the server's Drafts at most this often; saves in between stay on this computer. */
const REMOTE_SAVE_MS = 30_000;

export interface EditorComposeDeps {
  engine: EngineClient;
  log: vscode.LogOutputChannel;
}

/** Whether New Message, Reply, Forward and Open Draft write in a text editor (setting `maildesk.compose.editor`). */
export function composeInEditor(): boolean {
  return vscode.workspace.getConfiguration('maildesk').get<string>('compose.editor', 'panel') === 'textEditor';
}

interface MessageArgs {
  messageId: number;
  folderId: number;
}

const isArgs = (a: unknown): a is MessageArgs =>
  !!a && typeof a === 'object' && Number.isSafeInteger((a as MessageArgs).messageId) && Number.isSafeInteger((a as MessageArgs).folderId);

/** Registers the `maildesk-draft:` file system and the editor composer's commands. */
export function registerEditorCompose(deps: EditorComposeDeps): Disposable[] {
  const drafts = new EditorDrafts(deps);
  const run = commandRunner(deps.log);
  return [
    drafts,
    vscode.workspace.registerFileSystemProvider(DRAFT_SCHEME, drafts, { isCaseSensitive: true }),
    vscode.commands.registerCommand('maildesk.newMessageInEditor', (target?: { accountId?: string }) =>
      run(vscode.l10n.t('New Message'), () => drafts.newMessage(typeof target?.accountId === 'string' ? target.accountId : undefined)),
    ),
    vscode.commands.registerCommand('maildesk.replyInEditor', (a?: MessageArgs) => isArgs(a) && run(vscode.l10n.t('Reply'), () => drafts.reply(a, 'reply'))),
    vscode.commands.registerCommand('maildesk.replyAllInEditor', (a?: MessageArgs) => isArgs(a) && run(vscode.l10n.t('Reply all'), () => drafts.reply(a, 'replyAll'))),
    vscode.commands.registerCommand('maildesk.forwardInEditor', (a?: MessageArgs) => isArgs(a) && run(vscode.l10n.t('Forward'), () => drafts.reply(a, 'forward'))),
    vscode.commands.registerCommand('maildesk.openDraftInEditor', (a?: MessageArgs | { accountId: string; draftId: number }) =>
      run(vscode.l10n.t('Opening the draft'), async () => {
        if (a && 'draftId' in a && typeof a.accountId === 'string' && Number.isSafeInteger(a.draftId)) await drafts.openDraft(a.accountId, a.draftId);
        else if (isArgs(a)) {
          const d = await deps.engine.request('compose/draftForMessage', { messageId: a.messageId, folderId: a.folderId });
          await drafts.openDraft(d.accountId, d.draftId);
        }
      }),
    ),
    vscode.commands.registerCommand('maildesk.sendFromEditor', (uri?: vscode.Uri) => drafts.send(uri instanceof vscode.Uri ? uri : vscode.window.activeTextEditor?.document.uri)),
  ];
}

/** One message being written in a document of this window. */
interface Entry {
  uri: vscode.Uri;
  meta: ComposeMeta;
  /** The draft's revision this document builds on: a save on an older one is refused (another window saved since). */
  revision: number;
  /** This document in `compose/draftSaved` and the revision's writer. */
  writer: string;
  /** Set when a save was refused because another window saved the draft: the next Ctrl+S replaces that version, on purpose. */
  stale?: number;
  attachments: AttachmentWire[];
  /** The document's text as last read or saved (what `readFile` returns). */
  text: Uint8Array;
  mtime: number;
  ctime: number;
  /** Sent or discarded: a save no longer reaches the engine. */
  finished: boolean;
  sending: boolean;
  /** The last send may have gone out: the next Send asks first. */
  maybeSent: boolean;
  lastRemote: number;
  remoteTimer?: NodeJS.Timeout;
  remoteDirty: boolean;
  /** Saves of this message, one at a time and in order. */
  saving: Promise<void>;
}

const staleText = (): string =>
  vscode.l10n.t(
    'this draft was changed in another window after you opened it here, so it was not saved. To keep that version, close this tab without saving and open the draft again; to replace it with this one, save again (Ctrl+S).',
  );

class EditorDrafts extends DisposableBase implements vscode.FileSystemProvider {
  private readonly entries = new Map<string, Entry>();
  private readonly changed = this._register(new vscode.EventEmitter<vscode.FileChangeEvent[]>());
  readonly onDidChangeFile = this.changed.event;
  private seq = 0;
  private readonly encoder = new TextEncoder();
  private readonly decoder = new TextDecoder();

  constructor(private readonly deps: EditorComposeDeps) {
    super();
    this._register(toDisposable(() => this.entries.forEach((e) => e.remoteTimer && clearTimeout(e.remoteTimer))));
    this._register(vscode.workspace.onDidCloseTextDocument((doc) => doc.uri.scheme === DRAFT_SCHEME && void this.closed(doc.uri)));
  }

  private get engine(): EngineClient {
    return this.deps.engine;
  }

  // ---- opening -------------------------------------------------------------------------

  private async accounts(): Promise<ComposeAccountInfo[]> {
    return this.engine.request('compose/accounts', {});
  }

  private signature(acc: ComposeAccountInfo): string {
    return signatureOf(acc, vscode.workspace.getConfiguration('maildesk').get<Record<string, unknown>>('signatures', {}));
  }

  async newMessage(accountId?: string): Promise<void> {
    const all = await this.accounts();
    const acc = (accountId ? all.find((a) => a.id === accountId) : undefined) ?? all[0];
    if (!acc) {
      void vscode.window.showInformationMessage(vscode.l10n.t('MailDesk: add a mail account first.'), vscode.l10n.t('Add IMAP Account')).then((c) => c && vscode.commands.executeCommand('maildesk.addImapAccount'));
      return;
    }
    const body = withSignature('', this.signature(acc));
    await this.open(
      {
        accountId: acc.id,
        messageId: newMessageId(acc.from.address),
        fields: { accountId: acc.id, to: '', cc: '', bcc: '', subject: '', body, format: 'markdown', includeQuote: false },
        kind: 'New Message',
        pending: false,
        initialBody: body,
      },
      [],
      acc,
      false,
      0,
    );
  }

  async reply(a: MessageArgs, mode: 'reply' | 'replyAll' | 'forward'): Promise<void> {
    const d = await this.engine.request('compose/prefill', { messageId: a.messageId, folderId: a.folderId, mode });
    const acc = (await this.accounts()).find((x) => x.id === d.accountId);
    if (!acc) throw new Error(vscode.l10n.t('no account "{0}"', d.accountId));
    const body = withSignature('', this.signature(acc));
    const meta = prefilledMeta(d, acc.id, body, false);
    // Saved at once, as the composer does: the draft row holds the forwarded attachments.
    await this.open(meta, d.attachments, acc, true, 0);
  }

  async openDraft(accountId: string, draftId: number): Promise<void> {
    const d = await this.engine.request('compose/openDraft', { accountId, draftId });
    const acc = (await this.accounts()).find((x) => x.id === accountId);
    if (!acc) throw new Error(vscode.l10n.t('no account "{0}"', accountId));
    const meta: ComposeMeta = d.meta
      ? { ...d.meta, draftId: d.id, pending: false }
      : {
          accountId,
          messageId: d.messageId,
          draftId: d.id,
          fields: { accountId, to: d.to, cc: d.cc, bcc: d.bcc, subject: d.subject, body: d.text.replace(/\n+$/, ''), format: 'markdown', includeQuote: false },
          inReplyTo: d.inReplyTo,
          references: d.references,
          kind: 'Draft',
          pending: false,
          initialBody: '',
        };
    await this.open(meta, d.attachments, acc, false, d.revision);
    if (d.status === 'failed' && d.error) {
      const entry = this.find(accountId, meta.messageId);
      if (entry) entry.maybeSent = d.maybeSent;
      void vscode.window.showWarningMessage(vscode.l10n.t('MailDesk: this draft was not sent: {0} Send it again with the Send button when it is ready.', d.error.message));
    }
  }

  private find(accountId: string, messageId: string): Entry | undefined {
    return [...this.entries.values()].find((e) => !e.finished && e.meta.accountId === accountId && e.meta.messageId === messageId);
  }

  private async open(meta: ComposeMeta, attachments: AttachmentWire[], acc: ComposeAccountInfo, saveNow: boolean, revision: number): Promise<void> {
    const existing = this.find(meta.accountId, meta.messageId);
    if (existing) {
      await vscode.window.showTextDocument(existing.uri, { preview: false });
      return;
    }
    const text = formatDraftDocument({
      headers: {
        from: acc.label,
        to: meta.fields.to,
        cc: meta.fields.cc,
        bcc: meta.fields.bcc,
        subject: meta.fields.subject,
        ...(meta.quote ? { quote: meta.fields.includeQuote } : {}),
        ...(attachments.length ? { attachments: attachmentList(attachments).map((a) => a.name) } : {}),
      },
      body: meta.fields.body,
    });
    // A folder per message keeps two messages with the same subject apart; the file's name is the tab's.
    const uri = vscode.Uri.from({ scheme: DRAFT_SCHEME, path: `/${++this.seq}/${draftFileName(meta.fields.subject, meta.kind)}` });
    const now = Date.now();
    const entry: Entry = { uri, meta, revision, writer: crypto.randomUUID(), attachments, text: this.encoder.encode(text), mtime: now, ctime: now, finished: false, sending: false, maybeSent: false, lastRemote: 0, remoteDirty: false, saving: Promise.resolve() };
    this.entries.set(uri.toString(), entry);
    if (saveNow) await this.queue(entry, () => this.save(entry, false));
    const doc = await vscode.workspace.openTextDocument(uri);
    if (doc.languageId !== 'markdown') await vscode.languages.setTextDocumentLanguage(doc, 'markdown');
    const editor = await vscode.window.showTextDocument(doc, { preview: false });
    // The cursor where writing starts: an empty To, else the first line of the body.
    const lines = text.split('\n');
    const toLine = lines.findIndex((l) => l.startsWith('To:'));
    const bodyLine = lines.indexOf('---', 1) + 2;
    const at = !meta.fields.to.trim() && toLine > 0 ? new vscode.Position(toLine, lines[toLine].length) : new vscode.Position(Math.min(bodyLine, doc.lineCount - 1), 0);
    editor.selection = new vscode.Selection(at, at);
    if (vscode.workspace.getConfiguration('maildesk').get<boolean>('compose.editorPreview', true)) {
      await vscode.commands.executeCommand('markdown.showPreviewToSide', uri);
      // The preview beside it; the writing stays in the editor.
      await vscode.window.showTextDocument(doc, { viewColumn: editor.viewColumn, preview: false });
    }
  }

  // ---- from the document to the form ------------------------------------------------------

  /** The form as the document says it, or the problem with it (named with its fix). */
  private async read(entry: Entry, text: string): Promise<{ meta: ComposeMeta; attachments: AttachmentWire[]; from: ComposeAccountInfo } | { problem: string }> {
    const p = parseDraftDocument(text);
    if (!p.ok) return { problem: p.problem };
    const h = p.doc.headers;
    const all = await this.accounts();
    const wanted = parseAddresses(h.from).addresses[0]?.address.toLowerCase();
    const from = all.find((a) => a.label === h.from.trim()) ?? (wanted ? all.find((a) => a.from.address.toLowerCase() === wanted) : undefined);
    if (!from) {
      return { problem: vscode.l10n.t('From: "{0}" is none of your accounts. Write one of: {1}.', h.from, all.map((a) => a.label).join('; ') || vscode.l10n.t('(no accounts: add one first)')) };
    }
    if (from.id !== entry.meta.accountId) {
      return {
        problem: vscode.l10n.t(
          'From: the message was started in another account ({0}); to send from {1}, start a new message from that account (or put the From line back).',
          all.find((a) => a.id === entry.meta.accountId)?.label ?? entry.meta.accountId,
          from.label,
        ),
      };
    }
    const kept = keptAttachments(entry.attachments, (a) => attachmentList([a])[0].name, h.attachments);
    if (!kept.ok) return { problem: kept.problem };
    const m = entry.meta;
    return {
      from,
      attachments: kept.kept,
      meta: {
        ...m,
        fields: { ...m.fields, to: h.to, cc: h.cc, bcc: h.bcc, subject: h.subject, body: p.doc.body, format: 'markdown', includeQuote: m.quote ? (h.quote ?? m.fields.includeQuote) : false },
      },
    };
  }

  private queue(entry: Entry, fn: () => Promise<void>): Promise<void> {
    const next = entry.saving.then(fn);
    // A failed save does not stop the next one; the caller still sees its error.
    entry.saving = next.catch(() => undefined);
    return next;
  }

  /** The draft as the entry holds it, here and (every 30 s at most) in the server's Drafts. */
  private async save(entry: Entry, remote: boolean): Promise<void> {
    if (entry.finished) return;
    if (entry.stale !== undefined) throw new Error(staleText());
    const r = await this.engine.request('compose/save', { meta: entry.meta, attachments: entry.attachments, remote, revision: entry.revision, writer: entry.writer });
    if (!r) throw new Error(vscode.l10n.t('the account of this message was removed. Copy the text into a new message from another account'));
    if ('stale' in r) {
      // Nothing was written, and nothing more is until the user saves again (that replaces the other version).
      entry.stale = r.stale.revision;
      entry.remoteDirty = false;
      if (entry.remoteTimer) clearTimeout(entry.remoteTimer);
      entry.remoteTimer = undefined;
      throw new Error(staleText());
    }
    entry.revision = r.revision;
    if (remote) entry.lastRemote = Date.now();
    entry.remoteDirty = !remote;
    entry.attachments = r.attachments;
    entry.meta = { ...entry.meta, draftId: r.draftId, pending: false };
    // Not pending: only so a reopened draft gets its form back (quote, references, kind).
    await this.engine.request('compose/journal', { meta: entry.meta, revision: entry.revision, writer: entry.writer });
    vscode.window.setStatusBarMessage(
      !remote
        ? vscode.l10n.t('MailDesk: draft saved on this computer')
        : r.server === 'saved'
          ? vscode.l10n.t("MailDesk: draft saved here and in the server's Drafts")
          : vscode.l10n.t('MailDesk: draft saved on this computer (server: {0})', r.serverError ?? vscode.l10n.t('not saved')),
      5000,
    );
    if (!remote) this.scheduleRemote(entry);
  }

  private scheduleRemote(entry: Entry): void {
    if (entry.remoteTimer) return;
    entry.remoteTimer = setTimeout(() => {
      entry.remoteTimer = undefined;
      if (entry.remoteDirty && !entry.finished && !entry.sending) {
        void this.queue(entry, () => this.save(entry, true)).catch((e) => {
          if ((e as Error).message === staleText()) void vscode.window.showWarningMessage(vscode.l10n.t('MailDesk: "{0}": {1}', entry.meta.fields.subject || vscode.l10n.t('(no subject)'), staleText()));
          else this.deps.log.warn(`compose: saving to the server's Drafts failed: ${toMailError(e).describe()}`);
        });
      }
    }, REMOTE_SAVE_MS);
  }

  // ---- Send --------------------------------------------------------------------------

  async send(uri: vscode.Uri | undefined): Promise<void> {
    const entry = uri && this.entries.get(uri.toString());
    if (!entry || entry.finished) {
      void vscode.window.showErrorMessage(vscode.l10n.t('MailDesk: Send works in a message opened with "MailDesk: New Message in Editor" (or Reply / Forward in the editor). Click into that message and try again.'));
      return;
    }
    if (entry.sending) return;
    if (entry.stale !== undefined) {
      // Sending this version would drop, unseen, what the other window saved.
      void vscode.window.showErrorMessage(vscode.l10n.t('MailDesk: not sent: {0}', staleText()));
      return;
    }
    if (entry.maybeSent) {
      const sendAgain = vscode.l10n.t('Send Again');
      const c = await vscode.window.showWarningMessage(
        vscode.l10n.t('This message may already have been sent.'),
        { modal: true, detail: vscode.l10n.t('The last attempt ended without a clear answer from the server. Send it again anyway? Recipients may get it twice.') },
        sendAgain,
      );
      if (c !== sendAgain) return;
    }
    const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === entry.uri.toString());
    const text = doc ? doc.getText() : this.decoder.decode(entry.text);
    const form = await this.read(entry, text);
    if ('problem' in form) {
      void vscode.window.showErrorMessage(vscode.l10n.t('MailDesk: not sent. {0}', form.problem));
      return;
    }
    const problem = sendProblem(form.meta.fields);
    if (problem) {
      // sendProblem names a bad address; the fix depends on where it is written, so it is said here.
      void vscode.window.showErrorMessage(
        /e-mail address/.test(problem)
          ? vscode.l10n.t('MailDesk: not sent. {0}. Correct it in the To, Cc or Bcc line, e.g. "Ann Lee <ann@example.com>", several separated by commas.', problem)
          : vscode.l10n.t('MailDesk: not sent. {0}', problem),
      );
      return;
    }
    entry.sending = true;
    try {
      await entry.saving;
      entry.meta = form.meta;
      entry.attachments = form.attachments;
      const r = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('MailDesk: sending…') }, () =>
        this.engine.request('mail/send', { accountId: entry.meta.accountId, input: { draft: toDraft(entry.meta, form.from.from, entry.attachments) }, confirmResend: entry.maybeSent }),
      );
      if (r.ok) {
        entry.finished = true;
        void this.engine.request('compose/discard', { accountId: entry.meta.accountId, messageId: entry.meta.messageId }).catch(() => undefined);
        await this.close(entry);
        const n = r.accepted.length;
        const subject = entry.meta.fields.subject || vscode.l10n.t('(no subject)');
        const sent = n === 1 ? vscode.l10n.t('MailDesk: Sent "{0}" to 1 recipient.', subject) : vscode.l10n.t('MailDesk: Sent "{0}" to {1} recipients.', subject, n);
        void vscode.window.showInformationMessage(r.warning ? `${sent} ${r.warning}` : sent);
        return;
      }
      entry.meta = { ...entry.meta, draftId: r.draftId };
      entry.maybeSent = !!r.maybeSent;
      const err = r.error ? fromWireError(r.error) : toMailError(new Error(vscode.l10n.t('the message was not sent')));
      void this.engine.request('compose/journal', { meta: entry.meta, revision: entry.revision, writer: entry.writer }).catch(() => undefined);
      void vscode.window.showErrorMessage(
        vscode.l10n.t('MailDesk: "{0}" was not sent: {1} It is kept in Drafts; Send tries again.', entry.meta.fields.subject || vscode.l10n.t('(no subject)'), err.describe()),
      );
    } catch (e) {
      void vscode.window.showErrorMessage(vscode.l10n.t('MailDesk: not sent: {0} It is kept in Drafts; Send tries again.', toMailError(e, vscode.l10n.t('sending')).describe()));
    } finally {
      entry.sending = false;
    }
  }

  /** Closes a sent message's editor and its preview without asking to save it. */
  private async close(entry: Entry): Promise<void> {
    if (entry.remoteTimer) clearTimeout(entry.remoteTimer);
    const key = entry.uri.toString();
    const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === key);
    // The provider ignores writes of a finished message: this only clears the dirty marker so closing asks nothing.
    if (doc?.isDirty) await doc.save();
    const name = entry.uri.path.split('/').pop() ?? '';
    const tabs = vscode.window.tabGroups.all.flatMap((g) => g.tabs).filter((t) => {
      if (t.input instanceof vscode.TabInputText) return t.input.uri.toString() === key;
      // The Markdown preview is a webview tab named after the document ("Preview x.md").
      return t.input instanceof vscode.TabInputWebview && /markdown\.preview/.test(t.input.viewType) && t.label === `Preview ${name}`;
    });
    if (tabs.length) await vscode.window.tabGroups.close(tabs);
  }

  /** The document is gone: a message never written in is dropped, others go to the server's Drafts now. */
  private async closed(uri: vscode.Uri): Promise<void> {
    const entry = this.entries.get(uri.toString());
    if (!entry) return;
    this.entries.delete(uri.toString());
    if (entry.remoteTimer) clearTimeout(entry.remoteTimer);
    if (entry.finished) return;
    if (isUntouched(entry.meta, entry.attachments.length) && entry.meta.draftId === undefined) return;
    if (!entry.remoteDirty) return;
    await this.queue(entry, () => this.save(entry, true)).catch((e) => this.deps.log.warn(`compose: saving to the server's Drafts failed: ${toMailError(e).describe()}`));
  }

  // ---- FileSystemProvider ----------------------------------------------------------------

  private entry(uri: vscode.Uri): Entry {
    const e = this.entries.get(uri.toString());
    if (!e) throw vscode.FileSystemError.FileNotFound(uri);
    return e;
  }

  watch(): vscode.Disposable {
    // Nothing changes these files behind the editor's back.
    return new vscode.Disposable(() => undefined);
  }

  stat(uri: vscode.Uri): vscode.FileStat {
    const e = this.entries.get(uri.toString());
    if (e) return { type: vscode.FileType.File, ctime: e.ctime, mtime: e.mtime, size: e.text.byteLength };
    // The folders of the paths (one per message).
    if ([...this.entries.keys()].some((k) => k.startsWith(`${uri.toString().replace(/\/$/, '')}/`))) return { type: vscode.FileType.Directory, ctime: 0, mtime: 0, size: 0 };
    throw vscode.FileSystemError.FileNotFound(uri);
  }

  readDirectory(): Array<[string, vscode.FileType]> {
    return [];
  }

  createDirectory(uri: vscode.Uri): void {
    throw vscode.FileSystemError.NoPermissions(uri);
  }

  readFile(uri: vscode.Uri): Uint8Array {
    return this.entry(uri).text;
  }

  /** Save (Ctrl+S, or auto save): the document becomes the draft, or the save fails with the problem and its fix. */
  async writeFile(uri: vscode.Uri, content: Uint8Array): Promise<void> {
    const entry = this.entry(uri);
    if (!entry.finished) {
      const form = await this.read(entry, this.decoder.decode(content));
      if ('problem' in form) throw new Error(vscode.l10n.t('The draft was not saved. {0}', form.problem));
      // Saved again after "changed in another window": this version replaces that one, as the message said.
      if (entry.stale !== undefined) {
        entry.revision = entry.stale;
        entry.stale = undefined;
      }
      entry.meta = form.meta;
      entry.attachments = form.attachments;
      entry.remoteDirty = true;
      const remote = Date.now() - entry.lastRemote >= REMOTE_SAVE_MS;
      await this.queue(entry, () => this.save(entry, remote));
    }
    entry.text = content;
    entry.mtime = Date.now();
    this.changed.fire([{ type: vscode.FileChangeType.Changed, uri }]);
  }

  delete(uri: vscode.Uri): void {
    throw vscode.FileSystemError.NoPermissions(uri);
  }

  rename(uri: vscode.Uri): void {
    throw vscode.FileSystemError.NoPermissions(uri);
  }
}
