/**
 * One notification when an account becomes disconnected (or needs re-authorization),
 * with the fix as links. The scheduler retries with back-off and rewrites the same
 * state on every attempt; the user hears about it once per change, not per retry.
 *
 * The notification goes away by itself once the account is connected again (or removed):
 * VS Code's API cannot close a shown showErrorMessage, but it closes a `withProgress`
 * notification when its task ends, so the alert is such a notification whose task lasts
 * while the account is down. Its message carries the fixes as command links, which VS Code
 * (and code-server) render in notifications; Cancel dismisses it by hand.
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
  /** The alert on screen per account: calling it withdraws the notification. */
  private readonly shown = new Map<string, () => void>();

  private readonly model: MailboxesModel;
  /** Looks one at a time, in order, so a state is told once. */
  private looking: Promise<void> = Promise.resolve();

  constructor(engine: EngineClient) {
    super();
    this.model = MailboxesModel.of(engine);
    // Accounts already disconnected from the last session are reported once too.
    this.look(undefined);
    this._register(this.model.onDidChange((c) => (c.all || c.accounts.length) && this.look(c)));
    this._register({ dispose: () => [...this.shown.keys()].forEach((id) => this.withdraw(id)) });
  }

  /** Closes the account's alert, if one is on screen. */
  private withdraw(accountId: string): void {
    const close = this.shown.get(accountId);
    this.shown.delete(accountId);
    close?.();
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
          else {
            this.known.delete(id);
            this.withdraw(id);
          }
        }
      })
      .catch(() => undefined);
  }

  private check(a: AccountRow): void {
    const key = `${a.state}|${a.stateCode ?? ''}`;
    if (this.known.get(a.id) === key) return;
    this.known.set(a.id, key);
    // A new state replaces the alert about the old one; connected again withdraws it.
    this.withdraw(a.id);
    if (a.state === 'disconnected' || a.state === 'reauth') this.notify(a);
  }

  private notify(a: AccountRow): void {
    const reason = a.stateReason || (a.stateCode ? describeError(a.stateCode as MailErrorCode)?.title : undefined) || vscode.l10n.t('disconnected');
    const node = { kind: 'account', accountId: a.id };
    // Offer the password only when it is the fix; a refused connection needs the server test instead.
    const fixes: Array<[string, string, unknown[]]> =
      a.provider !== 'imap'
        ? [[vscode.l10n.t('Sign in again'), a.provider === 'gmail' ? 'maildesk.signInGoogleAgain' : 'maildesk.connectMicrosoftGraph', [node]]]
        : needsPassword(a.stateCode)
          ? [
              [vscode.l10n.t('Enter Password'), 'maildesk.enterPassword', [node]],
              [vscode.l10n.t('Test Incoming Server'), 'maildesk.testIncoming', [node]],
            ]
          : [[vscode.l10n.t('Test Incoming Server'), 'maildesk.testIncoming', [node]]];
    // Every alert offers Troubleshoot: it finds the cause and builds the report support asks for.
    fixes.push([vscode.l10n.t('Troubleshoot'), 'maildesk.troubleshoot', []], [vscode.l10n.t('Show Log'), 'maildesk.showLog', []]);
    const links = fixes.map(([label, command, args]) => `[${label}](${commandUri(command, args)})`).join(' · ');
    let close!: () => void;
    const closed = new Promise<void>((resolve) => (close = resolve));
    this.shown.set(a.id, close);
    void vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('MailDesk: {0}: {1}. {2}', accountLabel(a), reason.replace(/[.\s]+$/, ''), links), cancellable: true },
      (_progress, token) =>
        new Promise<void>((resolve) => {
          token.onCancellationRequested(() => resolve());
          void closed.then(resolve);
        }),
    );
  }
}

/** A `command:` link for a notification message; VS Code passes the JSON array as the arguments. */
function commandUri(command: string, args: unknown[]): string {
  return `command:${command}${args.length ? `?${encodeURIComponent(JSON.stringify(args))}` : ''}`;
}
