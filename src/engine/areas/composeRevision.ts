/**
 * What the composer needs beside a draft row and is not the form: the draft's revision (how
 * many times a composer saved it, kept in the store's settings so a takeover engine knows it
 * too) and, for a reply, the stored message it answers.
 *
 * The revision lets two windows write one draft without either one overwriting the other
 * silently: a save names the revision it builds on, and one built on an older revision than
 * the draft's is refused (src/engine/areas/compose.ts, `compose/save`).
 */
import type { MailStore } from '../../core/store/store';

const REV_PREFIX = 'compose.rev.';

function revKey(accountId: string, messageId: string): string {
  return `${REV_PREFIX}${accountId}\n${messageId}`;
}

export interface Revision {
  /** 0 for a draft no composer saved yet. */
  n: number;
  /** The composer that saved it last ('' when unknown: the engine's own catch-up, an older save). */
  writer: string;
}

export function readRevision(store: MailStore, accountId: string, messageId: string): Revision {
  const [n, writer = ''] = (store.getSetting(revKey(accountId, messageId)) ?? '').split(' ');
  const v = Number(n);
  return Number.isSafeInteger(v) && v > 0 ? { n: v, writer } : { n: 0, writer: '' };
}

export function setRevision(store: MailStore, accountId: string, messageId: string, r: Revision): void {
  if (r.n <= 0) store.settings.delete(revKey(accountId, messageId));
  else store.setSetting(revKey(accountId, messageId), r.writer ? `${r.n} ${r.writer}` : String(r.n));
}

export function deleteRevision(store: MailStore, accountId: string, messageId: string): void {
  store.settings.delete(revKey(accountId, messageId));
}

/**
 * The stored message a reply answers (its In-Reply-To), where archiving it makes sense: in the
 * Inbox when it is there, else in a folder that is not Archive, Sent, Drafts, Trash or Junk.
 */
export function replyTarget(store: MailStore, accountId: string, inReplyTo: string): { messageId: number; folderId: number } | undefined {
  const held = store.membershipsByMessageId(accountId, inReplyTo);
  if (!held.length) return undefined;
  const roles = new Map(store.listFolders(accountId).map((f) => [f.id, f.role]));
  const inbox = held.find((h) => roles.get(h.folderId) === 'inbox');
  if (inbox) return inbox;
  const skip = new Set(['archive', 'sent', 'drafts', 'trash', 'junk', 'all']);
  return held.find((h) => !skip.has(roles.get(h.folderId) ?? '')) ?? undefined;
}
