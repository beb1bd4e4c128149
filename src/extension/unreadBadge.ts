/**
 * The unread count on the MailDesk activity-bar icon (the Mailboxes view's badge) and, when
 * `maildesk.notifications.newMail` is on, a notification for mail that arrives in an Inbox.
 * Both follow the store's change events, a moment after a sync settles.
 */
import * as vscode from 'vscode';
import type { EngineClient } from '../engine/client';
import { DisposableBase, toDisposable } from './lifecycle';

export class UnreadBadge extends DisposableBase {
  private timer: NodeJS.Timeout | undefined;
  /** Per Inbox folder id: the newest message id already seen (announced or there at start). */
  private readonly seen = new Map<number, number>();
  /** Updates one at a time, in order, so `seen` moves forward only. */
  private updating: Promise<void> = Promise.resolve();

  constructor(
    private readonly engine: EngineClient,
    private readonly view: vscode.TreeView<unknown>,
  ) {
    super();
    this._register(toDisposable(() => this.timer && clearTimeout(this.timer)));
    // Only mail changes the badge (not a draft saved, a setting written).
    this._register(engine.on('store/changed', (c) => (c.accounts.length || c.folders.length || c.messages) && this.soon()));
    this._register(engine.onDidReconnect(() => this.soon()));
    void this.update(false);
  }

  private soon(): void {
    if (this.timer || this.isDisposed) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.update(true);
    }, 500);
  }

  private update(announce: boolean): Promise<void> {
    this.updating = this.updating.then(() => this.read(announce)).catch(() => undefined);
    return this.updating;
  }

  /** One request: every Inbox's unread count, and the unread mail that arrived since the newest message seen there. */
  private async read(announce: boolean): Promise<void> {
    const news = await this.engine.request('window/inboxNews', { seen: [...this.seen].map(([folderId, newest]) => ({ folderId, newest })) });
    if (this.isDisposed) return;
    const unread = news.unread;
    const fresh: Array<{ from: string; subject: string; folderId: number }> = [];
    for (const inbox of news.inboxes) {
      const before = this.seen.get(inbox.folderId);
      this.seen.set(inbox.folderId, Math.max(before ?? 0, inbox.newest));
      // The first look at an Inbox (start, a new account's first sync) announces nothing.
      if (before === undefined || inbox.newest <= before) continue;
      for (const m of inbox.arrived) fresh.push({ ...m, folderId: inbox.folderId });
    }
    this.view.badge = unread ? { value: unread, tooltip: unread === 1 ? vscode.l10n.t('1 unread message in Inbox') : vscode.l10n.t('{0} unread messages in Inbox', unread) } : undefined;
    if (!announce || !fresh.length || !vscode.workspace.getConfiguration('maildesk.notifications').get<boolean>('newMail', false)) return;
    const text =
      fresh.length === 1
        ? vscode.l10n.t('MailDesk: New mail from {0}: {1}', fresh[0].from, fresh[0].subject)
        : vscode.l10n.t('MailDesk: {0} new messages, the newest from {1}: {2}', fresh.length, fresh[0].from, fresh[0].subject);
    void vscode.window.showInformationMessage(text, vscode.l10n.t('Open Inbox')).then((c) => {
      if (c) void vscode.commands.executeCommand('maildesk.openFolder', { kind: 'folder', folderId: fresh[0].folderId });
    });
  }
}
