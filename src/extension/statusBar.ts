/**
 * One status-bar item for the whole of MailDesk: syncing, all well, or how many
 * accounts are disconnected. Clicking it goes where the user can act: the Mailboxes
 * view (with the reason on the account) when something is wrong, else the log.
 */
import * as vscode from 'vscode';
import type { AccountRow, JobRow } from '../core/store/store';
import type { EngineClient } from '../engine/client';
import { bodiesProgressText } from '../core/sync/bodiesProgress';
import { accountLabel, accountStateText, statusText } from './format';
import { DisposableBase } from './lifecycle';
import { MailboxesModel } from './mailboxesModel';

export class MailStatusBar extends DisposableBase {
  private readonly item = this._register(vscode.window.createStatusBarItem('maildesk.status', vscode.StatusBarAlignment.Left, 10));
  private timer: NodeJS.Timeout | undefined;
  private readonly model: MailboxesModel;
  /** Repaints one at a time, in order: a slow read never paints over a newer one. */
  private painting: Promise<void> = Promise.resolve();

  constructor(engine: EngineClient) {
    super();
    this.item.name = 'MailDesk';
    this.model = MailboxesModel.of(engine);
    this._register(this.model.onDidChange((c) => (c.all || c.jobs || c.accounts.length) && this.updateSoon()));
    this._register({ dispose: () => this.timer && clearTimeout(this.timer) });
    void this.update();
  }

  private updateSoon(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.update();
    }, 200);
  }

  /** Reads the accounts and jobs once and repaints; a failed read (the engine stopping or being replaced) keeps the last picture until the next change repaints. */
  update(): Promise<void> {
    this.painting = this.painting.then(async () => {
      const snap = await this.model.snapshot().catch(() => undefined);
      if (snap && !this.isDisposed) this.paint(snap.accounts, snap.jobs);
    });
    return this.painting;
  }

  private paint(accounts: AccountRow[], jobs: JobRow[]): void {
    if (!accounts.length) {
      this.item.hide();
      return;
    }
    const syncing = new Set(jobs.filter((j) => j.status === 'running' && j.folderId !== null).map((j) => j.folderId));
    const troubled = accounts.filter((a) => a.state === 'disconnected' || a.state === 'reauth');
    const s = statusText(syncing.size, troubled.length);
    // Bodies being fetched ahead: all folders together, "bodies: 1,234 of 10,000 (45.6 MB)".
    const bodyJobs = jobs.filter((j) => j.kind === 'bodies' && j.progress?.phase === 'bodies');
    const fetching = bodyJobs.some((j) => j.status === 'running' || j.status === 'pending');
    const sum = (k: string): number => bodyJobs.reduce((n, j) => n + (typeof j.progress?.[k] === 'number' ? (j.progress[k] as number) : 0), 0);
    const bodies = bodiesProgressText({ phase: 'bodies', fetched: sum('fetched'), total: sum('total'), bytes: sum('bytes'), overCap: sum('overCap') });
    this.item.text = s.kind === 'syncing' && fetching && bodies ? `${s.text} · ${bodies.replace(/ \(.*$/, '')}` : s.text;
    this.item.tooltip = [...accounts.map((a) => `${accountLabel(a)}: ${accountStateText(a)}`), ...(bodyJobs.length && bodies ? [vscode.l10n.t('Offline {0}', bodies)] : [])].join('\n');
    this.item.backgroundColor = s.kind === 'error' ? new vscode.ThemeColor('statusBarItem.errorBackground') : undefined;
    this.item.command = s.kind === 'error' ? { command: 'maildesk.mailboxes.focus', title: vscode.l10n.t('Show Mailboxes') } : { command: 'maildesk.showLog', title: vscode.l10n.t('Show Log') };
    this.item.show();
  }
}
