/**
 * Gmail's Archive button takes the INBOX label off, from whichever view it is used in, and
 * leaves every other label on (the message stays under Work, Starred...; in All Mail).
 * Removing the label of the current view is another button ("Remove label", or Move to).
 * So an Archive on a Gmail account moves the message out of Inbox into All Mail, never out of
 * the label folder it was used in (issue 17: Archive in MailDesk does what Gmail's does).
 */
import type { FolderRow, MailStore } from '../store/store';

/**
 * The folder an Archive takes the message out of: for Gmail the Inbox (undefined when the
 * message is not in it, so there is nothing to archive), for every other account the folder
 * it is listed in.
 */
export function archiveSource(store: MailStore, messageId: number, listedIn: FolderRow): FolderRow | undefined {
  if (store.getAccount(listedIn.accountId)?.provider !== 'gmail' || listedIn.role === 'inbox') return listedIn;
  const inbox = store.folderByRole(listedIn.accountId, 'inbox');
  return inbox && store.getMessage(messageId, inbox.id) ? inbox : undefined;
}
