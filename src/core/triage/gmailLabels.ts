/**
 * Gmail's buttons as label changes, applied to the local folders at once (issue 17: Delete and
 * Archive in MailDesk do what Gmail's do), the server's step following by the tasks job.
 *
 * - Archive takes the INBOX label off, from whichever view it is used in, and leaves every
 *   other label on (the message stays under Work, Starred...; in All Mail). Removing the
 *   label of the current view is another button ("Remove label", or Move to). So an Archive
 *   on a Gmail account moves the message out of Inbox into All Mail, never out of the label
 *   folder it was used in.
 * - Delete and Report spam keep the labels, but Gmail's label views leave Trash and Spam out
 *   (https://support.google.com/mail/answer/7401), so the message leaves every other folder,
 *   as the next sync would show.
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

/** After a local move into Trash or Spam on a Gmail account: out of every other label folder. */
export function leaveLabelFoldersIfBinned(store: MailStore, messageId: number, to: FolderRow): void {
  if ((to.role !== 'trash' && to.role !== 'junk') || store.getAccount(to.accountId)?.provider !== 'gmail') return;
  const m = store.getMessage(messageId, to.id);
  if (!m?.providerId) return;
  store.setMemberships(to.accountId, m.providerId, [to.id], store.listFolders(to.accountId).map((f) => f.id));
}
