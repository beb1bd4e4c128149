/**
 * The thread view's action bar, at the top of the conversation: Reply, Reply all, Forward
 * and the triage actions, each naming its key in its tooltip. The buttons only report a
 * command name to the host (src/extension/threadView.ts), which runs the MailDesk command
 * of that name on this conversation, so the toolbar, the keys and the palette do the same.
 */
import * as l10n from '@vscode/l10n';
import { escapeHtml } from '../../shared/html';

/** The commands a toolbar button may ask for (the host runs `maildesk.<name>`). */
export const THREAD_TOOLBAR_COMMANDS: readonly string[] = [
  'replyToSelected',
  'replyAllToSelected',
  'forwardSelected',
  'archive',
  'delete',
  'moveTo',
  'toggleFlag',
  'markUnread',
  'markRead',
  'reportSpam',
];

/**
 * A codicon (VS Code's icon font, dist/codicons, loaded by the page when the window gives its
 * stylesheet) before the label: the label stays visible, so the button's name, its tooltip and
 * what a screen reader says do not depend on the font having loaded.
 */
function button(command: string, label: string, key: string, icon: string, extra = ''): string {
  const title = l10n.t('{0} ({1})', label, key);
  return (
    `<button type="button" class="md-btn md-tool" data-md-action="triage" data-md-id="0" data-md-cmd="${escapeHtml(command)}" title="${escapeHtml(title)}" aria-keyshortcuts="${escapeHtml(key)}"${extra}>` +
    `<span class="codicon codicon-${escapeHtml(icon)}" aria-hidden="true"></span><span class="md-tool-label">${escapeHtml(label)}</span></button>`
  );
}

export function threadToolbarHtml(state: { unread: boolean; flagged: boolean }): string {
  return (
    `<div class="md-toolbar" role="toolbar" aria-label="${escapeHtml(l10n.t('Conversation actions'))}">` +
    button('replyToSelected', l10n.t('Reply'), 'r', 'reply') +
    button('replyAllToSelected', l10n.t('Reply all'), 'a', 'reply') +
    button('forwardSelected', l10n.t('Forward'), 'f', 'forward') +
    `<span class="md-tool-sep" aria-hidden="true"></span>` +
    button('archive', l10n.t('Archive'), 'e', 'archive') +
    button('delete', l10n.t('Delete'), '#', 'trash') +
    button('moveTo', l10n.t('Move…'), 'v', 'folder-opened') +
    button('toggleFlag', state.flagged ? l10n.t('Unflag') : l10n.t('Flag'), 's', 'flag', ` aria-pressed="${state.flagged}"`) +
    (state.unread ? button('markRead', l10n.t('Mark read'), 'Shift+I', 'mail-read') : button('markUnread', l10n.t('Mark unread'), 'Shift+U', 'mail')) +
    button('reportSpam', l10n.t('Spam'), '!', 'report') +
    `</div>`
  );
}
