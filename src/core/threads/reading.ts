/**
 * Reading mail: a body is fetched when a message is opened (and kept beside the database by
 * `messageSource`), parsed and sanitised in the host, and its text added to the search
 * index. Recent mail is fetched ahead in the background (`prefetchBodies`), so opening it
 * later works offline. No `vscode` here: the thread view and the CLI share all of it.
 */
import { toMailError } from '../errors';
import type { Logger } from '../log';
import { renderMessage, type RenderedMessage } from '../render/render';
import type { MailStore } from '../store/store';
import { indexBody, isBodyIndexed } from '../search/search';
import { isSeen, type ThreadMessage } from './threads';

/** What reading needs of the core (MailDesk satisfies it). */
export interface ReadingCore {
  readonly store: MailStore;
  messageSource(messageId: number, folderId: number): Promise<Buffer>;
  setFlags(messageId: number, folderId: number, add: string[], remove: string[]): void;
}

export interface OpenedMessage {
  raw: Buffer;
  rendered: RenderedMessage;
}

/**
 * The message as the reader shows it: raw source (fetched once, then from the blob store),
 * parsed with the MIME limits, every body part sanitised on its own. Remote content is
 * loaded only when `allowRemote` is set.
 */
export async function openMessage(core: ReadingCore, messageId: number, folderId: number, opts: { allowRemote: boolean }): Promise<OpenedMessage> {
  const raw = await core.messageSource(messageId, folderId);
  const rendered = await renderMessage(raw, { allowRemote: opts.allowRemote });
  if (!isBodyIndexed(core.store, messageId)) indexBody(core.store, messageId, rendered.parsed.text ?? '');
  return { raw, rendered };
}

/** Marks a message read (local at once, the server through the tasks job) unless it is already. */
export function markRead(core: ReadingCore, m: Pick<ThreadMessage, 'id' | 'folderId' | 'flags'>): boolean {
  if (isSeen({ flags: m.flags } as ThreadMessage)) return false;
  core.setFlags(m.id, m.folderId, ['\\Seen'], []);
  return true;
}

export interface PrefetchResult {
  fetched: number;
  indexed: number;
  failed: number;
  /** A whole batch was taken: more may be waiting for the next run. */
  more: boolean;
  /** Set when the run stopped early (offline, auth): the rest waits for the next run. */
  stoppedBy?: string;
}

/**
 * Fetches and indexes bodies of the account's mail from the last `days` days that has none
 * yet, newest first, at most `limit` per run (the scheduler calls it after a sync, so a big
 * mailbox fills over several runs without holding a connection for long). Bodies already
 * fetched but not yet in the search index are indexed too. One message failing does not
 * stop the rest; being offline or losing authorisation does.
 */
export async function prefetchBodies(core: ReadingCore, accountId: string, days: number, limit = 200, logger?: Logger): Promise<PrefetchResult> {
  const r: PrefetchResult = { fetched: 0, indexed: 0, failed: 0, more: false };
  if (days <= 0 || limit <= 0) return r;
  const since = Date.now() - days * 86_400_000;
  const rows = core.store.all<{ id: number; folder_id: number; blob: string | null }>(
    `SELECT m.id, m.body_blob AS blob,
            (SELECT ms.folder_id FROM memberships ms WHERE ms.message_id = m.id AND ms.uid IS NOT NULL AND ms.missing_since IS NULL LIMIT 1) AS folder_id
     FROM messages m LEFT JOIN message_fts f ON f.docid = m.id
     WHERE m.account_id = ? AND m.date >= ? AND (m.body_blob IS NULL OR f.body IS NULL)
       AND (m.body_blob IS NOT NULL OR EXISTS (SELECT 1 FROM memberships x WHERE x.message_id = m.id AND x.uid IS NOT NULL AND x.missing_since IS NULL))
     ORDER BY m.date DESC LIMIT ?`,
    [accountId, since, limit],
  );
  r.more = rows.length >= limit;
  for (const row of rows) {
    if (row.folder_id === null && !row.blob) continue; // local entry with no server copy yet
    try {
      const hadBody = row.blob !== null && core.store.blobs.get(row.blob) !== undefined;
      const raw = row.folder_id !== null ? await core.messageSource(row.id, row.folder_id) : core.store.blobs.get(row.blob!);
      if (!raw) continue;
      if (!hadBody) r.fetched++;
      if (!isBodyIndexed(core.store, row.id)) {
        const { parsed } = await renderMessage(raw, { allowRemote: false });
        indexBody(core.store, row.id, parsed.text ?? '');
        r.indexed++;
      }
    } catch (e) {
      const err = toMailError(e, 'prefetch');
      r.failed++;
      logger?.log('warn', `prefetching message ${row.id} of ${accountId} failed: ${err.describe()}`);
      if (err.offline || err.code.startsWith('auth.')) {
        r.stoppedBy = err.code;
        break;
      }
    }
  }
  return r;
}

// ---- remote content allowed per sender --------------------------------------------

const SENDERS_KEY = 'reading.remoteContentSenders';

/** Senders whose mail may load remote images ("Always for sender"), lower-cased. */
export function remoteAllowedSenders(store: MailStore): string[] {
  try {
    const v = JSON.parse(store.getSetting(SENDERS_KEY) ?? '[]') as unknown;
    return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
  } catch {
    return [];
  }
}

export function senderAllowsRemote(store: MailStore, address: string | undefined): boolean {
  return !!address && remoteAllowedSenders(store).includes(address.toLowerCase());
}

export function setSenderAllowsRemote(store: MailStore, address: string, allowed: boolean): void {
  const a = address.trim().toLowerCase();
  if (!a) return;
  const list = remoteAllowedSenders(store).filter((x) => x !== a);
  if (allowed) list.push(a);
  store.setSetting(SENDERS_KEY, JSON.stringify(list.sort()));
}
