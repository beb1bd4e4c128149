/**
 * Reading in VS Code: the thread view (one webview panel per conversation), "View source"
 * as a read-only document and "MailDesk: Search Mail" (bodies of recent mail are fetched
 * ahead by the engine's "bodies" sync job). Parsing, sanitising and the page itself are the
 * engine's (`reading/thread`, src/engine/areas/reading.ts); this file only moves them into
 * VS Code. Message HTML is sanitised there and put into the page before it reaches the
 * webview; the webview's script only reports clicks on our own controls.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { showMailError } from './notify';
import { toMailError } from '../core/errors';
import type { SearchHit } from '../core/search/search';
import { escapeHtml } from '../shared/html';
import type { ThreadRowWire } from '../shared/protocol/engineAreas/reading';
import { dispatchThread, isOpenableLink, parseThreadMessage, type ThreadHandlers } from '../shared/protocol/thread';
import { DisposableBase, toDisposable, type Disposable } from './lifecycle';
import { type ThreadProContext, threadProHooks } from './pro/threadHooks';
import { type ListSurface, mailFocus, type ThreadSurface, type TriageTarget } from './mailFocus';
import { THREAD_TOOLBAR_COMMANDS } from '../core/threads/toolbar';
import type { MessageKey } from '../core/triage/triage';
import type { EngineClient } from '../engine/client';

const VIEW_TYPE = 'maildesk.thread';
const SOURCE_SCHEME = 'maildesk-source';

export interface ReadingDeps {
  /** This window's client of the engine: every read and action goes through it (src/shared/protocol/engine.ts). */
  engine: EngineClient;
  extensionUri: vscode.Uri;
  log: vscode.LogOutputChannel;
}

/** What `maildesk.openThread` takes (the message list and search pass it). */
export interface OpenThreadArgs {
  messageId: number;
  folderId: number;
  /** From the message list: shown in the one reading pane beside it, replaced as the user moves on. */
  preview?: boolean;
}

function readingSettings(): { markRead: boolean } {
  const c = vscode.workspace.getConfiguration('maildesk');
  return { markRead: c.get<boolean>('reading.markReadOnOpen', true) };
}

/** Registers the thread view, View source and Search Mail (bodies are fetched ahead by the engine's "bodies" job). */
export function registerReading(deps: ReadingDeps): Disposable[] {
  const panels = new ThreadPanels(deps);
  const out: Disposable[] = [panels];
  out.push(
    vscode.workspace.registerTextDocumentContentProvider(SOURCE_SCHEME, {
      // A content provider's documents are read-only: the source cannot be edited by mistake.
      provideTextDocumentContent: async (uri) => {
        const q = new URLSearchParams(uri.query);
        return deps.engine.request('reading/source', { messageId: Number(q.get('m')), folderId: Number(q.get('f')) });
      },
    }),
  );
  out.push(
    vscode.commands.registerCommand('maildesk.openThread', async (arg?: OpenThreadArgs) => {
      // From the palette (no message given) the way to a conversation is search.
      if (!arg || !Number.isSafeInteger(arg.messageId) || !Number.isSafeInteger(arg.folderId)) await vscode.commands.executeCommand('maildesk.searchMail');
      else await panels.show(arg.messageId, arg.folderId, { preview: arg.preview === true });
    }),
    vscode.commands.registerCommand('maildesk.searchMail', () => searchMail(deps, panels)),
  );
  return out;
}

export async function viewSource(messageId: number, folderId: number, subject: string): Promise<void> {
  const name = (subject || 'message').replace(/[^\p{L}\p{N} ._-]+/gu, '_').slice(0, 60).trim() || 'message';
  const uri = vscode.Uri.from({ scheme: SOURCE_SCHEME, path: `/${name}.eml`, query: `m=${messageId}&f=${folderId}` });
  const doc = await vscode.workspace.openTextDocument(uri);
  await vscode.window.showTextDocument(doc, { preview: true, viewColumn: vscode.ViewColumn.Beside });
}

// ---- thread panels --------------------------------------------------------------

class ThreadPanels extends DisposableBase {
  private readonly panels = new Map<string, ThreadPanel>();
  /** The reading pane: the one panel beside the list that shows what the list opened last. */
  private preview: ThreadPanel | undefined;

  constructor(private readonly deps: ReadingDeps) {
    super();
    this._register(toDisposable(() => [...this.panels.values()].forEach((p) => p.dispose())));
    // An account removed while its threads are open: close them.
    this._register(
      deps.engine.on('store/changed', (c) => {
        const touched = new Set([...this.panels.values()].map((p) => p.accountId).filter((a) => c.accounts.includes(a)));
        for (const accountId of touched) {
          void deps.engine.request('accounts/get', { accountId }).then((a) => {
            if (!a) for (const p of [...this.panels.values()]) if (p.accountId === accountId) p.dispose();
          }, () => undefined);
        }
      }),
    );
    // Archived or deleted from the list: the reading pane does not keep showing it.
    this._register(mailFocus.onMoved((ids) => this.preview?.shows(ids) && this.preview.dispose()));
  }

  async show(messageId: number, folderId: number, opts: { preview?: boolean } = {}): Promise<void> {
    let m;
    try {
      m = await this.deps.engine.request('reading/locate', { messageId, folderId });
    } catch (e) {
      const err = toMailError(e, vscode.l10n.t('opening the conversation'));
      this.deps.log.error(`thread view: ${err.describe()}`);
      void showMailError(vscode.l10n.t('MailDesk: could not open the conversation: {0}', err.describe()), this.deps.log);
      return;
    }
    if (!m) {
      void vscode.window.showWarningMessage(vscode.l10n.t('MailDesk: that message is no longer in the store (it was moved or deleted).'));
      return;
    }
    const { threadKey } = m;
    const key = `${m.accountId}\n${threadKey}`;
    const existing = this.panels.get(key);
    if (existing) {
      existing.reveal(messageId, opts.preview);
      return;
    }
    const list = opts.preview ? mailFocus.list : undefined;
    // The reading pane shows the next conversation in the same webview (no new tab, no new
    // frame to load): only its page changes.
    const pane = opts.preview ? this.preview : undefined;
    if (pane) {
      for (const [k, p] of this.panels) if (p === pane) this.panels.delete(k);
      this.panels.set(key, pane);
      await pane.retarget(m.accountId, threadKey, m.folderId, messageId);
      return;
    }
    const column = vscode.ViewColumn.Beside;
    const panel = new ThreadPanel(this.deps, m.accountId, threadKey, m.folderId, messageId, () => {
      for (const [k, p] of this.panels) if (p === panel) this.panels.delete(k);
      if (this.preview === panel) this.preview = undefined;
    }, opts.preview ? { column, preserveFocus: true, list } : undefined);
    this.panels.set(key, panel);
    if (opts.preview) this.preview = panel;
    await panel.render();
  }
}

class ThreadPanel extends DisposableBase implements ThreadSurface {
  readonly kind = 'thread';
  private readonly panel: vscode.WebviewPanel;
  private readonly remoteAllowed = new Set<number>();
  private expanded: Set<number> | undefined;
  /** The messages shown, as the engine last sent them (bodies stay in the engine). */
  private view: { rows: ThreadRowWire[] } | undefined;
  private seq = 0;
  private knownIds = '';
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly deps: ReadingDeps,
    public accountId: string,
    private threadKey: string,
    private folderId: number,
    private clicked: number | undefined,
    onDispose: () => void,
    private readonly pane?: { column: vscode.ViewColumn; preserveFocus: boolean; list: ListSurface | undefined },
  ) {
    super();
    const { extensionUri } = deps;
    this.panel = this._register(
      vscode.window.createWebviewPanel(VIEW_TYPE, vscode.l10n.t('MailDesk: loading…'), pane ? { viewColumn: pane.column, preserveFocus: pane.preserveFocus } : vscode.ViewColumn.Active, {
        enableScripts: true,
        enableCommandUris: false,
        enableForms: false,
        localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'dist'), vscode.Uri.joinPath(extensionUri, 'media')],
      }),
    );
    this.panel.iconPath = vscode.Uri.joinPath(extensionUri, 'media', 'maildesk.svg');
    this._register(toDisposable(onDispose));
    this._register(toDisposable(() => this.timer && clearTimeout(this.timer)));
    this._register(toDisposable(() => threadProHooks()?.closed(this.accountId, this.threadKey)));
    this._register(this.panel.onDidDispose(() => this.dispose()));
    this._register(this.panel.webview.onDidReceiveMessage((raw) => this.onMessage(raw)));
    this._register(this.panel.onDidChangeViewState((e) => e.webviewPanel.active && mailFocus.activated(this)));
    this._register(toDisposable(() => mailFocus.gone(this)));
    if (!pane?.preserveFocus) mailFocus.activated(this);
    // A new reply (or a message moved away) changes the thread: show it without a reload by hand.
    this._register(
      deps.engine.on('store/changed', (c) => {
        if (!c.messages || this.isDisposed || this.timer) return;
        this.timer = setTimeout(() => {
          this.timer = undefined;
          void this.idsNow().then(
            (ids) => {
              if (ids !== this.knownIds && !this.isDisposed) void this.render();
            },
            () => undefined,
          );
        }, 300);
      }),
    );
    this.panel.webview.html = this.loadingHtml();
  }

  /** The reading pane moves on to another conversation: same panel, fresh state. */
  async retarget(accountId: string, threadKey: string, folderId: number, messageId: number): Promise<void> {
    threadProHooks()?.closed(this.accountId, this.threadKey);
    this.accountId = accountId;
    this.threadKey = threadKey;
    this.folderId = folderId;
    this.clicked = messageId;
    this.expanded = undefined;
    this.view = undefined;
    this.knownIds = '';
    this.remoteAllowed.clear();
    await this.render();
  }

  get list(): ListSurface | undefined {
    return this.pane?.list;
  }

  close(): void {
    this.dispose();
  }

  /** Whether any of these messages is shown here. */
  shows(ids: Set<number>): boolean {
    return !!this.view?.rows.some((r) => ids.has(r.id));
  }

  /** The conversation in the folder it was opened from (actions apply to all of it there). */
  target(): TriageTarget | undefined {
    const rows = this.view?.rows ?? [];
    const inFolder = [...rows].reverse().find((r) => r.folderIds.includes(this.folderId));
    const pick = inFolder ?? rows[rows.length - 1];
    if (!pick) return undefined;
    const folderId = inFolder ? this.folderId : pick.folderId;
    return { keys: [{ messageId: pick.id, folderId }], wholeThread: true, accountId: this.accountId, folderId };
  }

  current(): MessageKey | undefined {
    const rows = this.view?.rows ?? [];
    const open = [...rows].reverse().find((r) => this.expanded?.has(r.id)) ?? rows[rows.length - 1];
    return open ? { messageId: open.id, folderId: open.folderId } : undefined;
  }

  reveal(messageId: number, preserveFocus = false): void {
    this.panel.reveal(undefined, preserveFocus);
    if (this.expanded && !this.expanded.has(messageId)) {
      this.expanded.add(messageId);
      void this.render();
    }
  }

  private async idsNow(): Promise<string> {
    const ids = await this.deps.engine.request('reading/threadIds', { accountId: this.accountId, threadKey: this.threadKey, keepFolderId: this.folderId });
    return ids.join(',');
  }

  /**
   * Asks the engine for the page (bodies parsed and sanitised there, expanded messages marked
   * read there when the setting says so) and hands it to the webview whole.
   */
  async render(): Promise<void> {
    const seq = ++this.seq;
    const { engine, extensionUri } = this.deps;
    const webview = this.panel.webview;
    const nonce = randomBytes(16).toString('base64');
    const script = webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'dist', 'webview-thread.js'));
    const css = webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'media', 'thread.css'));
    const codicons = webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'dist', 'codicons', 'codicon.css'));
    // Pro's AI and bridge buttons (absent in Basic); a failure there never blocks reading.
    const pro = await threadProHooks()?.page(this.accountId, this.threadKey).catch(() => undefined);
    if (seq !== this.seq || this.isDisposed) return;
    const clicked = this.clicked;
    let page;
    try {
      page = await engine.request('reading/thread', {
        accountId: this.accountId,
        threadKey: this.threadKey,
        keepFolderId: this.folderId,
        expanded: this.expanded ? [...this.expanded] : undefined,
        clicked,
        remoteAllowed: [...this.remoteAllowed],
        markRead: readingSettings().markRead,
        webview: { cspSource: webview.cspSource, nonce, scriptSrc: script.toString(), cssHref: css.toString(), codiconCssHref: codicons.toString() },
        pro,
      });
    } catch (e) {
      const err = toMailError(e, vscode.l10n.t('opening the conversation'));
      this.deps.log.error(`thread view: ${err.describe()}`);
      if (seq === this.seq && !this.isDisposed) this.panel.webview.html = this.loadingHtml(vscode.l10n.t('Could not open the conversation: {0}', err.describe()));
      return;
    }
    for (const w of page.warnings) this.deps.log.warn(w);
    if (seq !== this.seq || this.isDisposed) return;
    if (!page.rows.length) {
      this.dispose();
      return;
    }
    if (!this.expanded) {
      this.expanded = new Set(page.expanded);
      if (this.clicked === clicked) this.clicked = undefined;
    }
    this.view = { rows: page.rows };
    this.knownIds = page.rows.map((r) => r.id).join(',');
    this.panel.title = page.subject || vscode.l10n.t('(no subject)');
    webview.html = page.html;
  }

  private markRead(messageId: number): void {
    const row = this.view?.rows.find((r) => r.id === messageId);
    if (!row || row.flags.some((f) => f.toLowerCase() === '\\seen')) return;
    this.deps.engine.request('reading/markRead', { messageId: row.id, folderId: row.folderId }).catch((e: unknown) => {
      this.deps.log.warn(`marking message ${messageId} read failed: ${toMailError(e).describe()}`);
    });
  }

  private loadingHtml(message = vscode.l10n.t('Loading the conversation…')): string {
    const csp = `default-src 'none'; style-src ${this.panel.webview.cspSource} 'unsafe-inline'`;
    return `<!DOCTYPE html><html lang="${escapeHtml(vscode.env.language)}"><head><meta charset="utf-8"><meta http-equiv="Content-Security-Policy" content="${csp}"></head>
<body style="font-family:var(--vscode-font-family);color:var(--vscode-foreground);padding:16px"><p role="status">${escapeHtml(message)}</p></body></html>`;
  }

  private readonly handlers: ThreadHandlers = {
    toggle: (m) => {
      if (!this.expanded) return;
      if (m.expanded) {
        this.expanded.add(m.messageId);
        if (readingSettings().markRead) this.markRead(m.messageId);
      } else this.expanded.delete(m.messageId);
    },
    openLink: (m) => void this.openLink(m.href),
    loadRemote: (m) => {
      this.remoteAllowed.add(m.messageId);
      this.expanded?.add(m.messageId);
      void this.render();
    },
    allowSender: (m) => {
      const addr = this.view?.rows.find((r) => r.id === m.messageId)?.fromAddr;
      if (!addr) return;
      this.expanded?.add(m.messageId);
      void this.deps.engine.request('reading/allowSender', { address: addr }).then(
        () => {
          void this.render();
          vscode.window.setStatusBarMessage(vscode.l10n.t('MailDesk: remote content is now loaded for mail from {0}', addr), 5000);
        },
        (e: unknown) => this.fail(vscode.l10n.t('Allowing remote content'), e),
      );
    },
    saveAttachment: (m) => void this.saveAttachment(m.messageId, m.attachmentId),
    openAttachment: (m) => void this.openAttachment(m.messageId, m.attachmentId),
    viewSource: (m) => {
      const row = this.view?.rows.find((r) => r.id === m.messageId);
      if (row) void viewSource(row.id, row.folderId, row.subject).catch((e) => this.fail(vscode.l10n.t('View source'), e));
    },
    reply: (m) => {
      const row = this.view?.rows.find((r) => r.id === m.messageId);
      // The composer lives in src/extension/compose; the command keeps this view independent of it.
      if (row) void vscode.commands.executeCommand(`maildesk.${m.mode}`, { messageId: row.id, folderId: row.folderId });
    },
    triage: (m) => {
      // The toolbar acts on this conversation: make it the one the commands see, then run the command.
      mailFocus.activated(this);
      if (THREAD_TOOLBAR_COMMANDS.includes(m.command)) void vscode.commands.executeCommand(`maildesk.${m.command}`);
    },
    pro: (m) => threadProHooks()?.handle(m.action, this.proContext()),
  };

  private proContext(): ThreadProContext {
    return {
      accountId: this.accountId,
      threadKey: this.threadKey,
      post: (msg) => void this.panel.webview.postMessage(msg),
      rerender: () => void this.render(),
    };
  }

  /** A Pro action from the palette ("Summarize current"); false without MailDesk Pro. */
  runPro(action: string): boolean {
    const hooks = threadProHooks();
    if (!hooks) return false;
    this.panel.reveal(undefined, true);
    hooks.handle(action, this.proContext());
    return true;
  }

  private onMessage(raw: unknown): void {
    const msg = parseThreadMessage(raw);
    if (msg) dispatchThread(this.handlers, msg);
  }

  private fail(what: string, e: unknown): void {
    const err = toMailError(e, what);
    this.deps.log.error(`${what}: ${err.describe()}`);
    void showMailError(vscode.l10n.t('MailDesk: {0} failed: {1}', what, err.describe()), this.deps.log);
  }

  /** Shows the real target first; only the web and mailto: are ever opened, in the system's apps. */
  private async openLink(href: string): Promise<void> {
    if (!isOpenableLink(href)) {
      void vscode.window.showWarningMessage(vscode.l10n.t('MailDesk does not open this kind of link: {0}', href.slice(0, 200)));
      return;
    }
    const open = vscode.l10n.t('Open');
    const choice = await vscode.window.showInformationMessage(
      vscode.l10n.t('Open {0}?', href.length > 300 ? `${href.slice(0, 300)}…` : href),
      { modal: true, detail: vscode.l10n.t('The link in the message goes to this address. It opens in your browser (or mail app).') },
      open,
    );
    if (choice === open) await vscode.env.openExternal(vscode.Uri.parse(href, true));
  }

  /** The attachment's name and bytes, from the engine (which keeps the message it parsed). */
  private async attachment(messageId: number, attachmentId: string): Promise<{ filename: string; content: Uint8Array } | undefined> {
    const row = this.view?.rows.find((r) => r.id === messageId);
    if (!row) return undefined;
    const a = await this.deps.engine.request('reading/attachment', { messageId, folderId: row.folderId, attachmentId });
    return a ? { filename: a.filename, content: Buffer.from(a.contentBase64, 'base64') } : undefined;
  }

  private async saveAttachment(messageId: number, attachmentId: string): Promise<void> {
    let a;
    try {
      a = await this.attachment(messageId, attachmentId);
    } catch (e) {
      this.fail(vscode.l10n.t('Saving the attachment'), e);
      return;
    }
    if (!a) return;
    const dir = vscode.workspace.workspaceFolders?.[0]?.uri ?? vscode.Uri.file(path.join(os.homedir(), 'Downloads'));
    const target = await vscode.window.showSaveDialog({ defaultUri: vscode.Uri.joinPath(dir, safeFileName(a.filename)), saveLabel: vscode.l10n.t('Save Attachment') });
    if (!target) return;
    try {
      await vscode.workspace.fs.writeFile(target, a.content);
      vscode.window.setStatusBarMessage(vscode.l10n.t('MailDesk: saved {0}', path.basename(target.fsPath)), 4000);
    } catch (e) {
      this.fail(vscode.l10n.t('Saving the attachment'), e);
    }
  }

  /** Saved to a private temporary folder, then opened in VS Code (which previews images, PDFs and text). */
  private async openAttachment(messageId: number, attachmentId: string): Promise<void> {
    try {
      const a = await this.attachment(messageId, attachmentId);
      if (!a) return;
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'maildesk-att-'));
      const file = path.join(dir, safeFileName(a.filename));
      fs.writeFileSync(file, a.content, { mode: 0o600 });
      await vscode.commands.executeCommand('vscode.open', vscode.Uri.file(file));
    } catch (e) {
      this.fail(vscode.l10n.t('Opening the attachment'), e);
    }
  }
}

/** A name that stays inside the chosen folder and is valid on every platform. */
export function safeFileName(name: string): string {
  const base = path.basename(name.replace(/\\/g, '/'));
  const clean = [...base]
    .map((ch) => (ch.charCodeAt(0) < 0x20 || '<>:"/\\|?*'.includes(ch) ? '_' : ch))
    .join('')
    .replace(/^\.+/, '')
    .slice(0, 180)
    .trim();
  return clean || 'attachment';
}

// ---- search -----------------------------------------------------------------------

interface HitItem extends vscode.QuickPickItem {
  hit?: SearchHit;
  /** "Search on the server": for folders that are not synced, or not fully. */
  server?: boolean;
}

async function searchMail(deps: ReadingDeps, panels: ThreadPanels): Promise<void> {
  const qp = vscode.window.createQuickPick<HitItem>();
  qp.title = vscode.l10n.t('MailDesk: Search Mail');
  qp.placeholder = vscode.l10n.t('Words from the sender, recipients, subject or text (from:, to:, subject: limit a word)');
  qp.matchOnDescription = true;
  qp.matchOnDetail = true;
  const fmt = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium' });
  let timer: NodeJS.Timeout | undefined;
  let seq = 0;
  const update = async (value: string): Promise<void> => {
    const mine = ++seq;
    let hits: SearchHit[];
    try {
      hits = value.trim() ? await deps.engine.request('reading/search', { query: value, limit: 60 }) : [];
    } catch (e) {
      deps.log.warn(`search: ${toMailError(e).describe()}`);
      hits = [];
    }
    // A newer query's results may already be shown: do not replace them with older ones.
    if (mine !== seq) return;
    qp.items = hits.map((h) => ({
      label: `${h.unread ? '$(circle-filled) ' : ''}${h.subject || vscode.l10n.t('(no subject)')}`,
      description: `${h.from} · ${h.folderPath}`,
      detail: `${h.date ? fmt.format(new Date(h.date)) : ''}${h.snippet ? ` — ${h.snippet}` : ''}`,
      // Our own matching decided; the QuickPick must not filter our results again.
      alwaysShow: true,
      hit: h,
    }));
    if (value.trim() && !hits.length) qp.items = [{ label: vscode.l10n.t('No mail found on this computer'), detail: vscode.l10n.t('Only mail that has been synced is searched.'), alwaysShow: true }];
    if (value.trim()) {
      qp.items = [
        ...qp.items,
        {
          label: vscode.l10n.t('$(cloud) Search on the server for “{0}”', value.trim()),
          detail: vscode.l10n.t('Looks in folders that are not synced, or whose older history has not arrived yet.'),
          alwaysShow: true,
          server: true,
        },
      ];
    }
  };
  qp.onDidChangeValue((v) => {
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => void update(v), 120);
  });
  qp.onDidAccept(async () => {
    if (qp.selectedItems[0]?.server) {
      const q = qp.value;
      qp.busy = true;
      try {
        const { found, errors } = await deps.engine.request('reading/searchServer', { query: q });
        for (const r of errors) deps.log.warn(`server search in ${r.folderPath}: ${r.error}`);
        await update(q);
        qp.title = errors.length
          ? vscode.l10n.t('MailDesk: Search Mail — {0} found on the server, {1} folder(s) could not be searched (see the log)', found, errors.length)
          : vscode.l10n.t('MailDesk: Search Mail — {0} found on the server', found);
      } finally {
        qp.busy = false;
      }
      return;
    }
    const hit = qp.selectedItems[0]?.hit;
    if (!hit) return;
    qp.hide();
    void panels.show(hit.messageId, hit.folderId);
  });
  qp.onDidHide(() => {
    if (timer) clearTimeout(timer);
    qp.dispose();
  });
  qp.show();
}
