/**
 * The message-list webview: one panel per folder, newest first, 100 per page.
 * It repaints itself when the store commits a change to its folder, so new mail
 * shows without a manual refresh. The webview is untrusted: strict CSP, no command
 * URIs, message text rendered with textContent only (see src/webview/messages/main.ts).
 */
import * as vscode from 'vscode';
import { webviewPage } from './webviewPage';
import type { MailDesk } from '../core/maildesk';
import { resolveDraftsFolder } from '../core/send/rules';
import type { FolderRow, MessageRow } from '../core/store/store';
import { listThreads } from '../core/threads/threads';
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
import { DisposableBase } from './lifecycle';

const VIEW_TYPE = 'maildesk.messages';

/** Owns the open panels, so the root can dispose them and Remove Account can close its own. */
export class MessageListPanels extends DisposableBase {
  private readonly panels = new Map<number, MessageListPanel>();

  constructor(private readonly mail: MailDesk, private readonly extensionUri: vscode.Uri) {
    super();
    this._register({ dispose: () => [...this.panels.values()].forEach((p) => p.dispose()) });
  }

  show(folderId: number): void {
    const existing = this.panels.get(folderId);
    if (existing) {
      existing.reveal();
      return;
    }
    const folder = this.mail.store.getFolderById(folderId);
    if (!folder) return;
    const panel = new MessageListPanel(this.mail, this.extensionUri, folder, () => this.panels.delete(folderId));
    this.panels.set(folderId, panel);
  }

  closeAccount(accountId: string): void {
    for (const p of [...this.panels.values()]) if (p.accountId === accountId) p.dispose();
  }
}

export class MessageListPanel extends DisposableBase {
  private readonly panel: vscode.WebviewPanel;
  private ready = false;
  private pages = 1;
  private timer: NodeJS.Timeout | undefined;
  readonly accountId: string;
  private readonly folderId: number;

  constructor(
    private readonly mail: MailDesk,
    extensionUri: vscode.Uri,
    folder: FolderRow,
    onDispose: () => void,
  ) {
    super();
    this.accountId = folder.accountId;
    this.folderId = folder.id;
    this.panel = this._register(
      vscode.window.createWebviewPanel(VIEW_TYPE, `MailDesk: ${folderLabel(folder)}`, vscode.ViewColumn.Active, {
        enableScripts: true,
        enableCommandUris: false,
        localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'dist'), vscode.Uri.joinPath(extensionUri, 'media')],
      }),
    );
    this.panel.iconPath = vscode.Uri.joinPath(extensionUri, 'media', 'maildesk.svg');
    this._register({ dispose: onDispose });
    this._register({ dispose: () => this.timer && clearTimeout(this.timer) });
    this._register(this.panel.onDidDispose(() => this.dispose()));
    // Without retainContextWhenHidden a hidden webview is torn down and sends `ready` again when shown.
    this._register(this.panel.onDidChangeViewState((e) => !e.webviewPanel.visible && (this.ready = false)));
    this._register(this.panel.webview.onDidReceiveMessage((raw) => this.onMessage(raw)));
    this._register(
      mail.onDidChange((c) => {
        if (c.folders.has(this.folderId) || c.accounts.has(this.accountId)) this.postSoon();
      }),
    );
    // One row per conversation or per message (maildesk.list.groupByThread): repaint on change.
    this._register(vscode.workspace.onDidChangeConfiguration((e) => e.affectsConfiguration('maildesk.list.groupByThread') && this.post()));
    this.panel.webview.html = this.html(extensionUri, folder);
  }

  reveal(): void {
    this.panel.reveal();
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
    // The thread view lives in threadView.ts; the command keeps this list independent of it.
    // A draft opens in the composer to be continued (src/extension/compose); other mail in the thread view.
    open: (m) =>
      void vscode.commands.executeCommand(resolveDraftsFolder(this.mail.store.listFolders(this.accountId))?.id === this.folderId ? 'maildesk.openDraft' : 'maildesk.openThread', {
        messageId: m.messageId,
        folderId: this.folderId,
      }),
  };

  private onMessage(raw: unknown): void {
    const msg = parseWebviewMessage(raw);
    if (msg) dispatch(this.handlers, msg);
  }

  private toggle(messageId: number, flag: string): void {
    const m = this.mail.store.getMessage(messageId, this.folderId);
    if (!m) return;
    const has = m.flags.some((f) => f.toLowerCase() === flag.toLowerCase());
    try {
      // Local at once (the store change repaints this list), server afterwards as a task.
      this.mail.setFlags(messageId, this.folderId, has ? [] : [flag], has ? [flag] : []);
    } catch (e) {
      this.send({ type: 'error', message: `Could not change the message: ${(e as Error).message}` });
    }
  }

  private postSoon(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.post();
    }, 100);
  }

  private post(): void {
    if (!this.ready || this.isDisposed) return;
    const store = this.mail.store;
    const folder = store.getFolderById(this.folderId);
    if (!folder) {
      // The account or folder was removed while the panel was open.
      this.dispose();
      return;
    }
    const account = store.getAccount(folder.accountId);
    const limit = this.pages * MESSAGE_PAGE_SIZE;
    // One row more than shown tells whether "Load more" has anything to load.
    const grouped = vscode.workspace.getConfiguration('maildesk.list').get<boolean>('groupByThread', true);
    const items = grouped
      ? listThreads(store, folder.id, { limit: limit + 1, offset: 0 }).map((t) => ({ ...toItem(t.newest), unread: t.unread > 0, flagged: t.flagged, hasAttachments: t.hasAttachments, threadCount: t.count }))
      : store.listMessages(folder.id, { limit: limit + 1, offset: 0 }).map(toItem);
    const info: FolderInfo = {
      id: folder.id,
      accountId: folder.accountId,
      accountLabel: account ? accountLabel(account) : folder.accountId,
      name: folderLabel(folder),
      path: folder.path,
      selected: folder.selected,
    };
    this.send({ type: 'messages', folder: info, items: items.slice(0, limit), hasMore: items.length > limit });
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
      title: `MailDesk: ${folderLabel(folder)}`,
      body: `<header class="header"><h1 id="title"></h1><span id="subtitle" class="subtitle"></span></header>
<div id="error" class="error" role="alert" hidden></div>
<div id="empty" class="empty" hidden></div>
<ul id="list" class="list" aria-label="Messages"></ul>
<div class="footer"><button id="more" type="button" hidden>Load more</button></div>`,
    });
  }
}

function toItem(m: MessageRow): MessageListItem {
  const lower = m.flags.map((f) => f.toLowerCase());
  return {
    id: m.id,
    from: m.fromName || m.fromAddr || '(unknown sender)',
    fromAddr: m.fromAddr,
    subject: m.subject || '(no subject)',
    date: m.date,
    unread: !lower.includes('\\seen'),
    flagged: lower.includes('\\flagged'),
    hasAttachments: m.hasAttachments,
  };
}

