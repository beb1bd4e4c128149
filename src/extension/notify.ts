/**
 * Every MailDesk error notification names the problem and the fix, and offers
 * Troubleshoot and the log: the guide's "Where an administrator looks".
 */
import * as vscode from 'vscode';
import { toMailError } from '../core/errors';

export interface LogShower {
  show(): void;
}

/**
 * Shows `message` with the caller's own buttons first, then Troubleshoot and Show Log,
 * which are handled here. Resolves to the caller's button that was chosen, if any.
 */
export async function showMailError(message: string, log: LogShower, buttons: string[] = [], options: vscode.MessageOptions = {}): Promise<string | undefined> {
  const troubleshoot = vscode.l10n.t('Troubleshoot');
  const showLog = vscode.l10n.t('Show Log');
  const c = await vscode.window.showErrorMessage(message, options, ...buttons, troubleshoot, showLog);
  if (c === troubleshoot) await vscode.commands.executeCommand('maildesk.troubleshoot');
  else if (c === showLog) log.show();
  else return c;
  return undefined;
}

/**
 * Runs a command's work and, when it fails, logs and shows "<what> failed: <problem and fix>"
 * (commands never fail silently, nor with VS Code's bare "command failed"). `what` is in the
 * user's language (a `vscode.l10n.t` of the caller).
 */
export function commandRunner(log: vscode.LogOutputChannel): (what: string, fn: () => Promise<unknown>) => Promise<void> {
  return (what, fn) =>
    fn().then(
      () => undefined,
      (e) => {
        const err = toMailError(e, what);
        log.error(`${what}: ${err.describe()}`);
        void vscode.window.showErrorMessage(vscode.l10n.t('MailDesk: {0} failed: {1}', what, err.describe()));
      },
    );
}
