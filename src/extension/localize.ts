/**
 * One language for every word MailDesk shows in this window. Code here uses `vscode.l10n.t`;
 * modules that also run without VS Code (src/core, and the vscode-free halves of src/extension
 * such as format.ts) use `l10n.t` from @vscode/l10n, which is handed the same bundle here; the
 * engine's worker thread loads it from the file VS Code chose (`engineL10nBundle`). Without a
 * bundle (English, or a language nobody translated yet) both give the English words unchanged.
 */
import * as l10n from '@vscode/l10n';
import * as vscode from 'vscode';

/** Before anything is shown: @vscode/l10n in this extension host gets VS Code's bundle. */
export function configureL10n(): void {
  if (vscode.l10n.bundle) l10n.config({ contents: vscode.l10n.bundle });
}

/** The bundle file for an engine this window hosts in a worker thread (undefined: English). */
export function engineL10nBundle(): string | undefined {
  const uri = vscode.l10n.uri;
  return uri?.scheme === 'file' ? uri.fsPath : undefined;
}
