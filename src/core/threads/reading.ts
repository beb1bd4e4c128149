/**
 * Reading mail: a body is fetched when a message is opened (and kept beside the database by
 * `messageSource`), parsed and sanitised in the host, and its text added to the search
 * index. Recent mail is fetched ahead by the "bodies" sync job (src/core/sync/bodies.ts), so
 * opening it later works offline. No `vscode` here: the thread view and the CLI share all of it.
 */
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
