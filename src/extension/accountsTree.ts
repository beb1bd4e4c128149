/**
 * The "Mailboxes" view: account → folders (nested by the server's hierarchy), with
 * counts, connection state and the reason when something is wrong. Nodes are ids
 * only; every repaint reads one snapshot from the engine (MailboxesModel) and draws the
 * nodes of that repaint from it, so the tree never mixes rows of two moments.
 */
import * as vscode from 'vscode';
import { describeError, type MailErrorCode } from '../core/errors';
import type { AccountRow, FolderRow } from '../core/store/store';
import type { EngineClient } from '../engine/client';
import type { MailboxesSnapshot } from '../shared/protocol/engineAreas/window';
import { accountLabel, accountStateShort, accountStateText, ago, compareFolders, folderCountsTooltip, folderDescription, folderLabel } from './format';
import { DisposableBase } from './lifecycle';
import { MailboxesModel } from './mailboxesModel';

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
  private readonly model: MailboxesModel;
  /** The snapshot of the current repaint (read by getChildren of the root). */
  private view: MailboxesSnapshot | undefined;

  constructor(engine: EngineClient) {
    super();
    this.model = MailboxesModel.of(engine);
    // Coalesce a sync's burst of commits into one repaint.
    this._register(this.model.onDidChange((c) => (c.all || c.accounts.length || c.folders.length || c.messages || c.jobs) && this.refreshSoon()));
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

  async getChildren(node?: MailboxNode): Promise<MailboxNode[]> {
    // The root starts a repaint: it reads the snapshot its items and children are drawn from.
    if (!node || !this.view) this.view = await this.model.snapshot({ counts: true });
    const view = this.view;
    if (!node) return view.accounts.map((a) => ({ kind: 'account', accountId: a.id }));
    if (node.kind === 'account') return this.folderChildren(view, node.accountId, null);
    return this.folderChildren(view, node.accountId, node.path);
  }

  private folderChildren(view: MailboxesSnapshot, accountId: string, parent: string | null): FolderNode[] {
    const folders = foldersOf(view, accountId);
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

  async getParent(node: MailboxNode): Promise<MailboxNode | undefined> {
    if (node.kind === 'account') return undefined;
    const view = this.view ?? (this.view = await this.model.snapshot({ counts: true }));
    const f = view.folders.find((x) => x.id === node.folderId);
    const p = f && parentPath(f);
    const parent = p ? view.folders.find((x) => x.accountId === node.accountId && x.path === p) : undefined;
    return parent ? { kind: 'folder', accountId: node.accountId, folderId: parent.id, path: parent.path } : { kind: 'account', accountId: node.accountId };
  }

  getTreeItem(node: MailboxNode): vscode.TreeItem {
    return node.kind === 'account' ? this.accountItem(node) : this.folderItem(node);
  }

  private accountItem(node: AccountNode): vscode.TreeItem {
    const a = this.view?.accounts.find((x) => x.id === node.accountId);
    const item = new vscode.TreeItem(a ? accountLabel(a) : node.accountId, vscode.TreeItemCollapsibleState.Expanded);
    item.id = `account:${node.accountId}`;
    if (!a) return item;
    const syncing = !!this.view?.jobs.some((j) => j.accountId === a.id && j.status === 'running');
    item.description = a.state === 'connected' || a.state === 'unknown' ? (a.name ? a.email : undefined) : accountStateShort(a, errorTitle);
    item.iconPath = accountIcon(a, syncing);
    item.tooltip = accountTooltip(a, syncing);
    item.contextValue = a.state === 'disconnected' || a.state === 'reauth' ? 'account.troubled' : 'account';
    return item;
  }

  private folderItem(node: FolderNode): vscode.TreeItem {
    const f = this.view?.folders.find((x) => x.id === node.folderId);
    if (!f || !this.view) return new vscode.TreeItem(node.path);
    const hasChildren = foldersOf(this.view, f.accountId).some((c) => c.id !== f.id && parentPath(c) === f.path);
    const item = new vscode.TreeItem(folderLabel(f), hasChildren ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None);
    item.id = `folder:${f.id}`;
    const local = { total: f.local ?? 0, unread: f.localUnread ?? 0 };
    item.description = folderDescription(f, local);
    item.tooltip = folderCountsTooltip(f, local);
    const icon = (f.role && ROLE_ICONS[f.role]) || 'folder';
    // Unselected folders are drawn in the disabled colour so the synced ones stand out.
    item.iconPath = f.selected ? new vscode.ThemeIcon(icon) : new vscode.ThemeIcon(icon, new vscode.ThemeColor('disabledForeground'));
    item.contextValue = f.selected ? 'folder.selected' : 'folder.unselected';
    item.command = { command: 'maildesk.openFolder', title: vscode.l10n.t('Open Folder'), arguments: [node] };
    return item;
  }
}

function foldersOf(view: MailboxesSnapshot, accountId: string): MailboxesSnapshot['folders'] {
  return view.folders.filter((f) => f.accountId === accountId);
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
  if (imap) lines.push(vscode.l10n.t('Incoming: {0}:{1} ({2}), user {3}', imap.host, imap.port, imap.security, imap.user));
  const smtp = a.config.smtp;
  if (smtp) {
    lines.push(
      smtp.user
        ? vscode.l10n.t('Outgoing: {0}:{1} ({2}), user {3}', smtp.host, smtp.port, smtp.security, smtp.user)
        : vscode.l10n.t('Outgoing: {0}:{1} ({2}), no login (relay)', smtp.host, smtp.port, smtp.security),
    );
  }
  lines.push('', a.stateAt ? vscode.l10n.t('State: {0} ({1})', accountStateText(a), ago(a.stateAt)) : vscode.l10n.t('State: {0}', accountStateText(a)));
  if (a.stateCode) lines.push(vscode.l10n.t('Code: {0}', a.stateCode));
  if (syncing) lines.push(vscode.l10n.t('Syncing now'));
  return lines.join('\n');
}
