/**
 * Bridge links kept locally (schema migration 5): an e-mail, by Message-ID, linked to a
 * record. The thread view lists a thread's records with how many e-mails link to each.
 */
import type { MailStore } from '../store/store';
import { threadMessages } from '../threads/threads';
import type { BridgeRecord } from './bridge';

export interface LinkSummary extends BridgeRecord {
  bridge: string;
  state: 'ok' | 'gone';
  /** E-mails of this account linked to the record (the record's "smart button" count). */
  emails: number;
  /** Of those, how many are in this thread. */
  inThread: number;
}

export function normMessageId(id: string | null | undefined, rowId: number): string {
  const v = (id ?? '').trim().replace(/^<|>$/g, '').toLowerCase();
  return v || `#${rowId}`;
}

export function addLinks(store: MailStore, accountId: string, messageId: string, bridge: string, records: BridgeRecord[], now = Date.now()): void {
  store.bridgeLinks.add(accountId, messageId, bridge, records, now);
}

function threadIds(store: MailStore, accountId: string, threadKey: string): string[] {
  return [...new Set(threadMessages(store, accountId, threadKey).map((m) => normMessageId(m.messageId, m.id)))];
}

/** The records this thread is linked to, with counts; newest link first. */
export function threadLinks(store: MailStore, accountId: string, threadKey: string): LinkSummary[] {
  return store.bridgeLinks.recordsOf(accountId, threadIds(store, accountId, threadKey)).map((r) => ({
    bridge: r.bridge,
    model: r.model,
    id: r.recordId,
    name: r.recordName ?? undefined,
    url: r.url ?? undefined,
    state: r.state === 'gone' ? 'gone' : 'ok',
    emails: r.emails,
    inThread: r.inThread,
  }));
}

/** Applies what the other system says now about linked records (names, deleted ones). */
export function updateLinkedRecords(store: MailStore, accountId: string, records: Array<BridgeRecord & { gone?: boolean }>, now = Date.now()): void {
  store.bridgeLinks.updateRecords(accountId, records, now);
}
