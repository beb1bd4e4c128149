/**
 * The message-list webview: one panel per folder, newest first, 100 per page.
 * It repaints itself when the store commits a change to its folder, so new mail
 * shows without a manual refresh. Rows come from the engine (`reading/listPage`), one
 * request per paint. The webview is untrusted: strict CSP, no command URIs, message text
 * rendered with textContent only (see src/webview/messages/main.ts).
 */
import * as vscode from 'vscode';
import { webviewPage } from './webviewPage';
import { toMailError } from '../core/errors';
import type { FolderRow } from '../core/store/store';
import type { EngineClient } from '../engine/client';
import {
  dispatch,
  MESSAGE_PAGE_SIZE,
  parseWebviewMessage,
  type FolderInfo,
  type HostToWebview,
  type MessageHandlers,
  type MessageListItem,
  type WebviewToHost,
} from '../shared/protocol/messageList';
import { accountLabel, folderLabel } from './format';
import { escapeHtml } from '../shared/html';
import { pageStringsHtml } from '../shared/protocol/pageStrings';
import { messageListStrings } from './pageStrings';
import { DisposableBase } from './lifecycle';
import { type CursorMove, type ListSurface, mailFocus, type TriageTarget } from './mailFocus';
import type { MessageKey } from '../core/triage/triage';

const VIEW_TYPE = 'maildesk.messages';

/** Owns the open panels, so the root can dispose them and Remove Account can close its own. */
export class MessageListPanels extends DisposableBase {
  private readonly panels = new Map<number, MessageListPanel>();
  /** Folders being looked up to open: a second click meanwhile does not open a second panel. */
  private readonly opening = new Set<number>();

  constructor(private readonly engine: EngineClient, private readonly extensionUri: vscode.Uri) {
    super();
    this._register({ dispose: () => [...this.panels.values()].forEach((p) => p.dispose()) });
  }

  show(folderId: number): void {
    const existing = this.panels.get(folderId);
    if (existing) {
      existing.reveal();
      return;
    }
    if (this.opening.has(folderId)) return;
    this.opening.add(folderId);
    void this.engine
      .request('reading/folder', { folderId })
      .then((folder) => {
        if (!folder || this.isDisposed || this.panels.has(folderId)) return;
        const panel = new MessageListPanel(this.engine, this.extensionUri, folder, () => this.panels.delete(folderId));
        this.panels.set(folderId, panel);
      })
      .catch((e: unknown) => void vscode.window.showErrorMessage(vscode.l10n.t('MailDesk: could not open the folder: {0}', toMailError(e, vscode.l10n.t('opening the folder')).describe())))
      .finally(() => this.opening.delete(folderId));
  }

  closeAccount(accountId: string): void {
    for (const p of [...this.panels.values()]) if (p.accountId === accountId) p.dispose();
  }
}

export class MessageListPanel extends DisposableBase implements ListSurface {
  readonly kind = 'list';
  private readonly panel: vscode.WebviewPanel;
  private ready = false;
  private pages = 1;
  private timer: NodeJS.Timeout | undefined;
  readonly accountId: string;
  readonly folderId: number;
  /** The rows as last sent, and the cursor: the host owns it, so a key never races a repaint. */
  private items: MessageListItem[] = [];
  private active: number | undefined;
  private activeIndex = 0;
  private selected = new Set<number>();
  private anchor: number | undefined;
  private grouped = true;
  /** This folder is the account's Drafts: rows open in the composer. */
  private drafts = false;
  /** Paints in flight: only the newest one's rows are shown. */
  private seq = 0;

  constructor(
    private readonly engine: EngineClient,
    extensionUri: vscode.Uri,
    folder: FolderRow,
    onDispose: () => void,
  ) {
    super();
    this.accountId = folder.accountId;
    this.folderId = folder.id;
    this.panel = this._register(
      vscode.window.createWebviewPanel(VIEW_TYPE, vscode.l10n.t('MailDesk: {0}', folderLabel(folder)), vscode.ViewColumn.Active, {
        enableScripts: true,
        enableCommandUris: false,
        // Coming back to the list (from the reading pane or another tab) shows it as it was:
        // same scroll, same selection, no blank page while it reloads.
        retainContextWhenHidden: true,
        localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'dist'), vscode.Uri.joinPath(extensionUri, 'media')],
      }),
    );
    this.panel.iconPath = vscode.Uri.joinPath(extensionUri, 'media', 'maildesk.svg');
    this._register({ dispose: onDispose });
    this._register({ dispose: () => this.timer && clearTimeout(this.timer) });
    this._register(this.panel.onDidDispose(() => this.dispose()));
    this._register(this.panel.onDidChangeViewState((e) => e.webviewPanel.active && mailFocus.activated(this)));
    this._register({ dispose: () => mailFocus.gone(this) });
    mailFocus.activated(this);
    this._register(this.panel.webview.onDidReceiveMessage((raw) => this.onMessage(raw)));
    this._register(
      engine.on('store/changed', (c) => {
        if (c.folders.includes(this.folderId) || c.accounts.includes(this.accountId)) this.postSoon();
      }),
    );
    // Another engine took over (the hosting window closed): its rows may be newer.
    this._register(engine.onDidReconnect(() => this.post()));
    // One row per conversation or per message (maildesk.list.groupByThread): repaint on change.
    this._register(vscode.workspace.onDidChangeConfiguration((e) => e.affectsConfiguration('maildesk.list.groupByThread') && this.post()));
    this.panel.webview.html = this.html(extensionUri, folder);
  }

  reveal(): void {
    this.panel.reveal(undefined, false);
  }

  // ---- selection and cursor (ListSurface) ------------------------------------------

  target(hint?: MessageKey): TriageTarget | undefined {
    const ids = hint && hint.folderId === this.folderId && !this.selected.has(hint.messageId) ? [hint.messageId] : [...this.selected];
    if (!ids.length && this.active !== undefined) ids.push(this.active);
    if (!ids.length) return undefined;
    return { keys: ids.map((messageId) => ({ messageId, folderId: this.folderId })), wholeThread: this.grouped, accountId: this.accountId, folderId: this.folderId };
  }

  cursor(move: CursorMove): void {
    if (!this.items.length) return;
    const i = this.indexOfActive();
    const at = (n: number): number => this.items[Math.max(0, Math.min(this.items.length - 1, n))].id;
    switch (move) {
      case 'next':
      case 'previous':
        this.setActive(at(i < 0 ? 0 : i + (move === 'next' ? 1 : -1)), 'single');
        break;
      case 'extendNext':
      case 'extendPrevious':
        this.setActive(at(i < 0 ? 0 : i + (move === 'extendNext' ? 1 : -1)), 'range');
        break;
      case 'toggle':
        if (this.active === undefined) this.setActive(at(0), 'single');
        else if (this.selected.has(this.active)) this.selected.delete(this.active);
        else this.selected.add(this.active);
        this.anchor = this.active;
        break;
      case 'open':
        this.openActive();
        return;
    }
    this.sendSelection();
  }

  openActive(step?: 'next' | 'previous'): void {
    if (step) this.cursor(step);
    if (this.active === undefined && this.items.length) this.setActive(this.items[0].id, 'single');
    if (this.active !== undefined) this.open(this.active);
  }

  private indexOfActive(): number {
    return this.active === undefined ? -1 : this.items.findIndex((m) => m.id === this.active);
  }

  private setActive(id: number, how: 'single' | 'toggle' | 'range' | 'keep'): void {
    this.active = id;
    if (how === 'single') {
      this.selected = new Set([id]);
      this.anchor = id;
    } else if (how === 'toggle') {
      if (this.selected.has(id)) this.selected.delete(id);
      else this.selected.add(id);
      this.anchor = id;
    } else if (how === 'range') {
      const a = this.items.findIndex((m) => m.id === (this.anchor ?? id));
      const b = this.items.findIndex((m) => m.id === id);
      const [lo, hi] = a < b ? [a, b] : [b, a];
      this.selected = new Set(this.items.slice(Math.max(0, lo), hi + 1).map((m) => m.id));
    }
    this.activeIndex = Math.max(0, this.indexOfActive());
  }

  private sendSelection(): void {
    this.send({ type: 'selection', active: this.active ?? null, selected: [...this.selected] });
  }

  private open(messageId: number): void {
    // The thread view lives in threadView.ts; the command keeps this list independent of it.
    // A draft opens in the composer to be continued (src/extension/compose); other mail in the reading pane beside the list.
    const drafts = this.drafts;
    void vscode.commands.executeCommand(drafts ? 'maildesk.openDraft' : 'maildesk.openThread', { messageId, folderId: this.folderId, ...(drafts ? {} : { preview: true }) });
  }

  private readonly handlers: MessageHandlers<WebviewToHost> = {
    ready: () => {
      this.ready = true;
      this.post();
    },
    loadMore: () => {
      this.pages++;
      this.post();
    },
    toggleRead: (m) => this.toggle(m.messageId, '\\Seen'),
    toggleFlag: (m) => this.toggle(m.messageId, '\\Flagged'),
    open: (m) => {
      this.setActive(m.messageId, 'single');
      this.sendSelection();
      this.open(m.messageId);
    },
    click: (m) => {
      this.setActive(m.messageId, m.shift ? 'range' : m.ctrl ? 'toggle' : 'single');
      this.sendSelection();
      if (!m.shift && !m.ctrl) this.open(m.messageId);
    },
    // Through the triage command with the row as its argument (as the context menu passes it):
    // same request, same notification with Undo, same cursor move as the key.
    rowAction: (m) => void vscode.commands.executeCommand(`maildesk.${m.action}`, { messageId: m.messageId, folderId: this.folderId }),
    contextRow: (m) => {
      if (!this.selected.has(m.messageId)) this.setActive(m.messageId, 'single');
      this.sendSelection();
    },
  };

  private onMessage(raw: unknown): void {
    const msg = parseWebviewMessage(raw);
    if (msg) dispatch(this.handlers, msg);
  }

  private toggle(messageId: number, flag: '\\Seen' | '\\Flagged'): void {
    // Local at once (the store change repaints this list), server afterwards as a task.
    this.engine
      .request('reading/toggleFlag', { messageId, folderId: this.folderId, flag })
      .catch((e: unknown) => this.send({ type: 'error', message: vscode.l10n.t('Could not change the message: {0}', (e as Error).message) }));
  }

  private postSoon(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.post();
    }, 100);
  }

  private post(): void {
    void this.paint().catch((e: unknown) => {
      if (!this.isDisposed) this.send({ type: 'error', message: vscode.l10n.t('Could not list the messages: {0}', toMailError(e, vscode.l10n.t('listing the messages')).describe()) });
    });
  }

  private async paint(): Promise<void> {
    if (!this.ready || this.isDisposed) return;
    const seq = ++this.seq;
    const limit = this.pages * MESSAGE_PAGE_SIZE;
    const grouped = vscode.workspace.getConfiguration('maildesk.list').get<boolean>('groupByThread', true);
    const page = await this.engine.request('reading/listPage', { folderId: this.folderId, limit, grouped });
    if (seq !== this.seq || this.isDisposed) return;
    if (!page) {
      // The account or folder was removed while the panel was open.
      this.dispose();
      return;
    }
    const { folder, account } = page;
    this.grouped = grouped;
    this.drafts = page.drafts;
    this.items = page.items;
    // Rows that left (archived, deleted) leave the selection; the cursor stays at the same place in the list.
    const present = new Set(this.items.map((m) => m.id));
    this.selected = new Set([...this.selected].filter((id) => present.has(id)));
    if (this.active !== undefined && !present.has(this.active)) {
      const next = this.items[Math.min(this.activeIndex, this.items.length - 1)];
      this.active = next?.id;
      if (next && !this.selected.size) this.selected.add(next.id);
      this.anchor = this.active;
    }
    this.activeIndex = Math.max(0, this.indexOfActive());
    const info: FolderInfo = {
      id: folder.id,
      accountId: folder.accountId,
      accountLabel: account ? accountLabel(account) : folder.accountId,
      name: folderLabel(folder),
      path: folder.path,
      selected: folder.selected,
      showRecipients: folder.role === 'sent' || folder.role === 'drafts',
    };
    this.send({ type: 'messages', folder: info, items: this.items, hasMore: page.hasMore });
    this.sendSelection();
  }

  private send(msg: HostToWebview): void {
    void this.panel.webview.postMessage(msg);
  }

  private html(extensionUri: vscode.Uri, folder: FolderRow): string {
    return webviewPage({
      webview: this.panel.webview,
      extensionUri,
      script: 'webview-messages.js',
      stylesheet: 'messages.css',
      codicons: true,
      title: vscode.l10n.t('MailDesk: {0}', folderLabel(folder)),
      body: `${pageStringsHtml(messageListStrings())}
<header class="header"><h1 id="title"></h1><span id="subtitle" class="subtitle"></span><span id="count" class="subtitle" role="status" aria-live="polite"></span></header>
<div id="error" class="error" role="alert" hidden></div>
<div id="empty" class="empty" hidden></div>
<ul id="list" class="list" role="listbox" aria-multiselectable="true" tabindex="0" aria-label="${escapeHtml(vscode.l10n.t('Messages. j and k move, Enter opens, x selects, e archives, # deletes'))}"></ul>
<div class="footer"><button id="more" type="button" hidden>${escapeHtml(vscode.l10n.t('Load more'))}</button></div>`,
    });
  }
}
