/**
 * The unread count on the MailDesk activity-bar icon (the Mailboxes view's badge) and, when
 * `maildesk.notifications.newMail` is on, a notification for mail that arrives in an Inbox.
 * Both follow the store's change events, a moment after a sync settles.
 */
import * as vscode from 'vscode';
import type { MailDesk } from '../core/maildesk';
import { DisposableBase, toDisposable } from './lifecycle';

export class UnreadBadge extends DisposableBase {
  private timer: NodeJS.Timeout | undefined;
  /** Per Inbox folder id: the newest message id already seen (announced or there at start). */
  private readonly seen = new Map<number, number>();

  constructor(
    private readonly mail: MailDesk,
    private readonly view: vscode.TreeView<unknown>,
  ) {
    super();
    this._register(toDisposable(() => this.timer && clearTimeout(this.timer)));
    this._register(mail.onDidChange(() => this.soon()));
    this.update(false);
  }

  private soon(): void {
    if (this.timer || this.isDisposed) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.update(true);
    }, 500);
  }

  private update(announce: boolean): void {
    const store = this.mail.store;
    let unread = 0;
    const fresh: Array<{ from: string; subject: string; folderId: number }> = [];
    for (const a of store.listAccounts()) {
      const inbox = store.folderByRole(a.id, 'inbox');
      if (!inbox) continue;
      unread += store.localCounts(inbox.id).unread;
      const newest = store.newestMessageId(inbox.id);
      const before = this.seen.get(inbox.id);
      this.seen.set(inbox.id, Math.max(before ?? 0, newest));
      // The first look at an Inbox (start, a new account's first sync) announces nothing.
      if (before === undefined || newest <= before) continue;
      for (const m of store.unreadArrivedAfter(inbox.id, before)) {
        fresh.push({ from: m.fromName || m.fromAddr, subject: m.subject || '(no subject)', folderId: inbox.id });
      }
    }
    this.view.badge = unread ? { value: unread, tooltip: unread === 1 ? '1 unread message in Inbox' : `${unread} unread messages in Inbox` } : undefined;
    if (!announce || !fresh.length || !vscode.workspace.getConfiguration('maildesk.notifications').get<boolean>('newMail', false)) return;
    const text = fresh.length === 1 ? `New mail from ${fresh[0].from}: ${fresh[0].subject}` : `${fresh.length} new messages, the newest from ${fresh[0].from}: ${fresh[0].subject}`;
    void vscode.window.showInformationMessage(`MailDesk: ${text}`, 'Open Inbox').then((c) => {
      if (c) void vscode.commands.executeCommand('maildesk.openFolder', { kind: 'folder', folderId: fresh[0].folderId });
    });
  }
}
