/**
 * One notification when an account becomes disconnected (or needs re-authorization),
 * with the fix as buttons. The scheduler retries with back-off and rewrites the same
 * state on every attempt; the user hears about it once per change, not per retry.
 */
import * as vscode from 'vscode';
import { describeError, type MailErrorCode } from '../core/errors';
import type { AccountRow } from '../core/store/store';
import type { EngineClient } from '../engine/client';
import { accountLabel, needsPassword } from './format';
import { DisposableBase } from './lifecycle';
import { MailboxesModel, type MailboxesChange } from './mailboxesModel';

export class AccountAlerts extends DisposableBase {
  /** Last state we told the user about (or saw), per account: "state|code". */
  private readonly known = new Map<string, string>();

  private readonly model: MailboxesModel;
  /** Looks one at a time, in order, so a state is told once. */
  private looking: Promise<void> = Promise.resolve();

  constructor(engine: EngineClient) {
    super();
    this.model = MailboxesModel.of(engine);
    // Accounts already disconnected from the last session are reported once too.
    this.look(undefined);
    this._register(this.model.onDidChange((c) => (c.all || c.accounts.length) && this.look(c)));
  }

  /** Checks the accounts a change names (every account at start and after a reconnect). */
  private look(c: MailboxesChange | undefined): void {
    this.looking = this.looking
      .then(async () => {
        const snap = await this.model.snapshot();
        if (this.isDisposed) return;
        const ids = !c || c.all ? [...new Set([...snap.accounts.map((a) => a.id), ...this.known.keys()])] : c.accounts;
        for (const id of ids) {
          const a = snap.accounts.find((x) => x.id === id);
          if (a) this.check(a);
          else this.known.delete(id);
        }
      })
      .catch(() => undefined);
  }

  private check(a: AccountRow): void {
    const key = `${a.state}|${a.stateCode ?? ''}`;
    if (this.known.get(a.id) === key) return;
    this.known.set(a.id, key);
    if (a.state === 'disconnected' || a.state === 'reauth') void this.notify(a);
  }

  private async notify(a: AccountRow): Promise<void> {
    const reason = a.stateReason || (a.stateCode ? describeError(a.stateCode as MailErrorCode)?.title : undefined) || 'disconnected';
    // Offer the password only when it is the fix; a refused connection needs the server test instead.
    const buttons = a.provider !== 'imap' ? ['Show Log'] : needsPassword(a.stateCode) ? ['Enter Password', 'Test Incoming Server', 'Show Log'] : ['Test Incoming Server', 'Show Log'];
    // Every error offers Troubleshoot: it finds the cause and builds the report support asks for.
    const choice = await vscode.window.showErrorMessage(`MailDesk: ${accountLabel(a)}: ${reason}`, ...buttons, 'Troubleshoot');
    const node = { kind: 'account', accountId: a.id };
    if (choice === 'Enter Password') await vscode.commands.executeCommand('maildesk.enterPassword', node);
    else if (choice === 'Test Incoming Server') await vscode.commands.executeCommand('maildesk.testIncoming', node);
    else if (choice === 'Show Log') await vscode.commands.executeCommand('maildesk.showLog');
    else if (choice === 'Troubleshoot') await vscode.commands.executeCommand('maildesk.troubleshoot');
  }
}
