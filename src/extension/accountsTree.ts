/**
 * The "Mailboxes" view: account → folders (nested by the server's hierarchy), with
 * counts, connection state and the reason when something is wrong. Nodes are ids
 * only; every render reads the store, so the tree can never show stale rows.
 */
import * as vscode from 'vscode';
import { describeError, type MailErrorCode } from '../core/errors';
import type { MailDesk } from '../core/maildesk';
import type { AccountRow, FolderRow } from '../core/store/store';
import { accountLabel, accountStateShort, accountStateText, ago, compareFolders, folderCountsTooltip, folderDescription, folderLabel } from './format';
import { DisposableBase } from './lifecycle';

export type AccountNode = { kind: 'account'; accountId: string };
export type FolderNode = { kind: 'folder'; accountId: string; folderId: number; path: string };
export type MailboxNode = AccountNode | FolderNode;

const ROLE_ICONS: Record<string, string> = {
  inbox: 'inbox',
  sent: 'send',
  drafts: 'edit',
  trash: 'trash',
  junk: 'warning',
  archive: 'archive',
  all: 'mail',
  flagged: 'star-empty',
  important: 'star-empty',
};

function parentPath(f: FolderRow): string | null {
  if (!f.delimiter) return null;
  const i = f.path.lastIndexOf(f.delimiter);
  return i > 0 ? f.path.slice(0, i) : null;
}

export class AccountsTreeProvider extends DisposableBase implements vscode.TreeDataProvider<MailboxNode> {
  private readonly _onDidChangeTreeData = this._register(new vscode.EventEmitter<MailboxNode | undefined>());
  readonly onDidChangeTreeData = this._onDidChangeTreeData.event;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly mail: MailDesk) {
    super();
    // Coalesce a sync's burst of commits into one repaint.
    this._register(mail.onDidChange((c) => (c.accounts.size || c.folders.size || c.messages || c.jobs) && this.refreshSoon()));
    this._register({ dispose: () => this.timer && clearTimeout(this.timer) });
  }

  refresh(): void {
    this._onDidChangeTreeData.fire(undefined);
  }

  private refreshSoon(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.refresh();
    }, 150);
  }

  getChildren(node?: MailboxNode): MailboxNode[] {
    const store = this.mail.store;
    if (!node) return store.listAccounts().map((a) => ({ kind: 'account', accountId: a.id }));
    if (node.kind === 'account') return this.folderChildren(node.accountId, null);
    return this.folderChildren(node.accountId, node.path);
  }

  private folderChildren(accountId: string, parent: string | null): FolderNode[] {
    const folders = this.mail.store.listFolders(accountId);
    const paths = new Set(folders.map((f) => f.path));
    return folders
      .filter((f) => {
        const p = parentPath(f);
        // A folder whose parent is not listed (e.g. \Noselect) is shown at the top.
        return parent === null ? p === null || !paths.has(p) : p === parent;
      })
      .sort(compareFolders)
      .map((f) => ({ kind: 'folder', accountId, folderId: f.id, path: f.path }));
  }

  getParent(node: MailboxNode): MailboxNode | undefined {
    if (node.kind === 'account') return undefined;
    const f = this.mail.store.getFolderById(node.folderId);
    const p = f && parentPath(f);
    const parent = p ? this.mail.store.getFolder(node.accountId, p) : undefined;
    return parent ? { kind: 'folder', accountId: node.accountId, folderId: parent.id, path: parent.path } : { kind: 'account', accountId: node.accountId };
  }

  getTreeItem(node: MailboxNode): vscode.TreeItem {
    return node.kind === 'account' ? this.accountItem(node) : this.folderItem(node);
  }

  private accountItem(node: AccountNode): vscode.TreeItem {
    const a = this.mail.store.getAccount(node.accountId);
    const item = new vscode.TreeItem(a ? accountLabel(a) : node.accountId, vscode.TreeItemCollapsibleState.Expanded);
    item.id = `account:${node.accountId}`;
    if (!a) return item;
    const syncing = this.mail.store.listJobs(a.id).some((j) => j.status === 'running');
    item.description = a.state === 'connected' || a.state === 'unknown' ? (a.name ? a.email : undefined) : accountStateShort(a, errorTitle);
    item.iconPath = accountIcon(a, syncing);
    item.tooltip = accountTooltip(a, syncing);
    item.contextValue = a.state === 'disconnected' || a.state === 'reauth' ? 'account.troubled' : 'account';
    return item;
  }

  private folderItem(node: FolderNode): vscode.TreeItem {
    const store = this.mail.store;
    const f = store.getFolderById(node.folderId);
    if (!f) return new vscode.TreeItem(node.path);
    const hasChildren = store.listFolders(f.accountId).some((c) => c.id !== f.id && parentPath(c) === f.path);
    const item = new vscode.TreeItem(folderLabel(f), hasChildren ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None);
    item.id = `folder:${f.id}`;
    const local = store.localCounts(f.id);
    item.description = folderDescription(f, local);
    item.tooltip = folderCountsTooltip(f, local);
    const icon = (f.role && ROLE_ICONS[f.role]) || 'folder';
    // Unselected folders are drawn in the disabled colour so the synced ones stand out.
    item.iconPath = f.selected ? new vscode.ThemeIcon(icon) : new vscode.ThemeIcon(icon, new vscode.ThemeColor('disabledForeground'));
    item.contextValue = f.selected ? 'folder.selected' : 'folder.unselected';
    item.command = { command: 'maildesk.openFolder', title: 'Open Folder', arguments: [node] };
    return item;
  }
}

const errorTitle = (code: string): string | undefined => describeError(code as MailErrorCode)?.title;

function accountIcon(a: AccountRow, syncing: boolean): vscode.ThemeIcon {
  switch (a.state) {
    case 'disconnected':
      return new vscode.ThemeIcon('error', new vscode.ThemeColor('errorForeground'));
    case 'reauth':
      return new vscode.ThemeIcon('warning', new vscode.ThemeColor('editorWarning.foreground'));
    case 'connected':
      return syncing ? new vscode.ThemeIcon('sync~spin') : new vscode.ThemeIcon('pass', new vscode.ThemeColor('testing.iconPassed'));
    default:
      return syncing ? new vscode.ThemeIcon('sync~spin') : new vscode.ThemeIcon('circle-large-outline');
  }
}

function accountTooltip(a: AccountRow, syncing: boolean): string {
  const lines = [a.email];
  const imap = a.config.imap;
  if (imap) lines.push(`Incoming: ${imap.host}:${imap.port} (${imap.security}), user ${imap.user}`);
  const smtp = a.config.smtp;
  if (smtp) lines.push(`Outgoing: ${smtp.host}:${smtp.port} (${smtp.security}), ${smtp.user ? `user ${smtp.user}` : 'no login (relay)'}`);
  lines.push('', `State: ${accountStateText(a)}${a.stateAt ? ` (${ago(a.stateAt)})` : ''}`);
  if (a.stateCode) lines.push(`Code: ${a.stateCode}`);
  if (syncing) lines.push('Syncing now');
  return lines.join('\n');
}
