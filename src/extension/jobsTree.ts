/**
 * The "Sync Jobs" view: the guide's "Scheduled Actions" screen. Each job shows its
 * status, last and next run, and its error in the tooltip, so the user sees whether
 * synchronisation is progressing. Relative times are repainted while the view is visible.
 */
import * as vscode from 'vscode';
import type { JobRow } from '../core/store/store';
import type { EngineClient } from '../engine/client';
import type { MailboxesSnapshot } from '../shared/protocol/engineAreas/window';
import { accountLabel, ago, compareJobs, folderLabel, jobDescription, jobLabel, until } from './format';
import { DisposableBase } from './lifecycle';
import { MailboxesModel } from './mailboxesModel';

export type JobsNode = { kind: 'account'; accountId: string } | { kind: 'job'; jobId: string; accountId: string };

const STATUS_ICONS: Record<JobRow['status'], [string, string?]> = {
  pending: ['clock'],
  running: ['sync~spin'],
  ok: ['pass', 'testing.iconPassed'],
  error: ['error', 'errorForeground'],
  paused: ['debug-pause', 'editorWarning.foreground'],
  done: ['check'],
};

export class JobsTreeProvider extends DisposableBase implements vscode.TreeDataProvider<JobsNode> {
  private readonly _onDidChangeTreeData = this._register(new vscode.EventEmitter<JobsNode | undefined>());
  readonly onDidChangeTreeData = this._onDidChangeTreeData.event;
  private timer: NodeJS.Timeout | undefined;
  private readonly model: MailboxesModel;
  /** The snapshot of the current repaint (read by getChildren of the root). */
  private view: MailboxesSnapshot | undefined;

  constructor(engine: EngineClient) {
    super();
    this.model = MailboxesModel.of(engine);
    this._register(this.model.onDidChange((c) => (c.all || c.jobs || c.accounts.length) && this.refreshSoon()));
    this._register({ dispose: () => this.timer && clearTimeout(this.timer) });
  }

  /** Repaints "2 min ago" every `ms` while `isVisible()` says the view is on screen. */
  tickWhileVisible(isVisible: () => boolean, ms = 30_000): void {
    const t = setInterval(() => isVisible() && this.refresh(), ms);
    this._register({ dispose: () => clearInterval(t) });
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

  async getChildren(node?: JobsNode): Promise<JobsNode[]> {
    // The root starts a repaint: it reads the snapshot its items and children are drawn from.
    if (!node || !this.view) this.view = await this.model.snapshot();
    const view = this.view;
    if (!node) {
      const accounts = view.accounts;
      // One account needs no grouping level.
      if (accounts.length === 1) return this.jobsOf(view, accounts[0].id);
      return accounts.map((a) => ({ kind: 'account', accountId: a.id }));
    }
    return node.kind === 'account' ? this.jobsOf(view, node.accountId) : [];
  }

  private jobsOf(view: MailboxesSnapshot, accountId: string): JobsNode[] {
    return view.jobs
      .filter((j) => j.accountId === accountId)
      .map((j) => ({ j, kind: j.kind, folder: folderOf(view, j) }))
      .sort(compareJobs)
      .map(({ j }) => ({ kind: 'job', jobId: j.id, accountId }));
  }

  getTreeItem(node: JobsNode): vscode.TreeItem {
    const view = this.view;
    if (node.kind === 'account') {
      const a = view?.accounts.find((x) => x.id === node.accountId);
      const item = new vscode.TreeItem(a ? accountLabel(a) : node.accountId, vscode.TreeItemCollapsibleState.Expanded);
      item.id = `jobs-account:${node.accountId}`;
      item.iconPath = new vscode.ThemeIcon('account');
      item.contextValue = 'jobsAccount';
      return item;
    }
    const j = view?.jobs.find((x) => x.id === node.jobId);
    if (!j || !view) return new vscode.TreeItem(node.jobId);
    const folder = folderOf(view, j);
    const item = new vscode.TreeItem(jobLabel(j, folder && folderLabel(folder)));
    item.id = `job:${j.id}`;
    item.description = jobDescription(j);
    const [icon, color] = STATUS_ICONS[j.status] ?? ['circle-large-outline'];
    item.iconPath = new vscode.ThemeIcon(icon, color ? new vscode.ThemeColor(color) : undefined);
    item.tooltip = jobTooltip(j, folder?.path);
    item.contextValue = j.kind === 'sync' || j.kind === 'backfill' || j.kind === 'fill' ? 'job.folder' : 'job';
    return item;
  }
}

function folderOf(view: MailboxesSnapshot, j: JobRow): MailboxesSnapshot['folders'][number] | undefined {
  return j.folderId !== null ? view.folders.find((f) => f.id === j.folderId) : undefined;
}

function jobTooltip(j: JobRow, folderPath: string | undefined): string {
  const when = (t: number | null) => (t ? vscode.l10n.t('{0} ({1})', new Date(t).toLocaleString(), ago(t)) : vscode.l10n.t('never'));
  const lines = [`${folderPath ?? vscode.l10n.t('Account')}: ${j.kind}`, vscode.l10n.t('Status: {0}', j.status)];
  lines.push(vscode.l10n.t('Last run: {0}', when(j.lastRun)));
  lines.push(vscode.l10n.t('Last success: {0}', when(j.lastSuccess)));
  if (j.nextRun) lines.push(vscode.l10n.t('Next run: {0} ({1})', new Date(j.nextRun).toLocaleString(), until(j.nextRun)));
  if (j.attempts) lines.push(vscode.l10n.t('Attempts since last success: {0}', j.attempts));
  if (j.errorCode || j.errorMessage) lines.push('', j.errorCode ? vscode.l10n.t('Error [{0}]: {1}', j.errorCode, j.errorMessage ?? '') : vscode.l10n.t('Error: {0}', j.errorMessage ?? ''));
  return lines.join('\n');
}
