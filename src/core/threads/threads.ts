/**
 * Threads as the store keeps them: `messages.thread_key` is the provider's thread id where
 * it has one, else assigned from the Message-ID graph (References / In-Reply-To) by the
 * indexer (src/core/search/indexer.ts). A thread spans folders, so a reply in Sent sits in
 * the same thread as the message in Inbox. These are what the views read; the statements
 * are the store's (store.threads, src/core/store/threadQueries.ts).
 */
import type { MailStore, MessageRow } from '../store/store';
import { catchUpIndex } from '../search/indexer';

export interface ThreadRow {
  /** Stable key for `threadMessages`; `#<id>` for a message with no Message-ID at all. */
  threadKey: string;
  accountId: string;
  /** The newest message of the thread in the listed folder (what the row shows). */
  newest: MessageRow;
  /** Messages in the whole thread, every folder but Trash and Junk, each Message-ID once. */
  count: number;
  /** How many of those are unread (0: the row is shown as read). */
  unread: number;
  /** Distinct senders of the thread, oldest first (display names where known). */
  senders: string[];
  hasAttachments: boolean;
  flagged: boolean;
}

export interface ThreadMessage extends MessageRow {
  /** Every folder holding this message (a message sent to oneself is in Inbox and Sent). */
  folderIds: number[];
}

/** Folders whose messages do not count in a thread shown elsewhere (deleted and spam mail). */
const HIDDEN_ROLES = ['trash', 'junk'];

/** One row per thread with mail in the folder, newest activity first. */
export function listThreads(store: MailStore, folderId: number, opts: { limit?: number; offset?: number } = {}): ThreadRow[] {
  catchUpIndex(store);
  const folder = store.getFolderById(folderId);
  if (!folder) return [];
  const page = store.threads.page(folderId, opts.limit ?? 100, opts.offset ?? 0);
  const out: ThreadRow[] = [];
  for (const p of page) {
    const newest = store.getMessage(p.newestId, folderId);
    if (!newest) continue;
    const msgs = threadMessages(store, folder.accountId, p.threadKey, { keepFolderId: folderId });
    const senders: string[] = [];
    for (const m of msgs) {
      const s = m.fromName || m.fromAddr;
      if (s && !senders.includes(s)) senders.push(s);
    }
    out.push({
      threadKey: p.threadKey,
      accountId: folder.accountId,
      newest,
      count: Math.max(1, msgs.length),
      unread: msgs.filter((m) => !isSeen(m)).length,
      senders,
      hasAttachments: msgs.some((m) => m.hasAttachments),
      flagged: msgs.some((m) => m.flags.some((f) => f.toLowerCase() === '\\flagged')),
    });
  }
  return out;
}

/** How many threads the folder has (for "Load more"). */
export function countThreads(store: MailStore, folderId: number): number {
  catchUpIndex(store);
  return store.threads.count(folderId);
}

export function isSeen(m: MessageRow): boolean {
  return m.flags.some((f) => f.toLowerCase() === '\\seen');
}

/** The thread key of a message, in the form `threadMessages` takes. */
export function threadKeyOf(store: MailStore, messageId: number): string | undefined {
  catchUpIndex(store);
  return store.messages.threadKeyOf(messageId);
}

/**
 * Every message of a thread, oldest first, each Message-ID once (the copy with a body or a
 * UID wins), in any folder of the account except Trash and Junk (unless `keepFolderId` is one
 * of those: a thread opened from Trash shows what is in Trash).
 */
export function threadMessages(store: MailStore, accountId: string, threadKey: string, opts: { keepFolderId?: number } = {}): ThreadMessage[] {
  catchUpIndex(store);
  const rows = store.threads.members(accountId, threadKey);
  // Group memberships by message, then messages by Message-ID.
  const byMessage = new Map<number, { folders: Array<{ id: number; uid: number | null; role: string | null }>; blob: string | null; mid: string | null }>();
  for (const r of rows) {
    const hidden = r.role !== null && HIDDEN_ROLES.includes(r.role) && r.folderId !== opts.keepFolderId;
    if (hidden) continue;
    let e = byMessage.get(r.id);
    if (!e) byMessage.set(r.id, (e = { folders: [], blob: r.blob, mid: r.mid }));
    e.folders.push({ id: r.folderId, uid: r.uid, role: r.role });
  }
  const chosen = new Map<string, { id: number; score: number; folderIds: number[] }>();
  for (const [id, e] of byMessage) {
    const key = e.mid || `#${id}`;
    const score = (e.blob ? 2 : 0) + (e.folders.some((f) => f.uid !== null) ? 1 : 0);
    const prev = chosen.get(key);
    const folderIds = e.folders.map((f) => f.id);
    if (!prev) chosen.set(key, { id, score, folderIds });
    else {
      const merged = [...new Set([...prev.folderIds, ...folderIds])];
      chosen.set(key, score > prev.score ? { id, score, folderIds: merged } : { ...prev, folderIds: merged });
    }
  }
  const out: ThreadMessage[] = [];
  for (const c of chosen.values()) {
    const e = byMessage.get(c.id)!;
    // The membership used to fetch the body: the kept folder, else one with a UID, else any.
    const pick = e.folders.find((f) => f.id === opts.keepFolderId) ?? e.folders.find((f) => f.uid !== null) ?? e.folders[0];
    const row = store.getMessage(c.id, pick.id);
    if (row) out.push({ ...row, folderIds: c.folderIds });
  }
  return out.sort((a, b) => a.date - b.date || a.id - b.id);
}
