/**
 * Every MailDesk error notification names the problem and the fix, and offers
 * Troubleshoot and the log: the guide's "Where an administrator looks".
 */
import * as vscode from 'vscode';

export interface LogShower {
  show(): void;
}

/**
 * Shows `message` with the caller's own buttons first, then Troubleshoot and Show Log,
 * which are handled here. Resolves to the caller's button that was chosen, if any.
 */
export async function showMailError(message: string, log: LogShower, buttons: string[] = [], options: vscode.MessageOptions = {}): Promise<string | undefined> {
  const c = await vscode.window.showErrorMessage(message, options, ...buttons, 'Troubleshoot', 'Show Log');
  if (c === 'Troubleshoot') await vscode.commands.executeCommand('maildesk.troubleshoot');
  else if (c === 'Show Log') log.show();
  else return c;
  return undefined;
}
