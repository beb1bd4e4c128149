/**
 * The composer's journal, kept in the store's settings beside the draft rows: what a draft
 * row cannot hold (the Markdown source, the format, the quoted original kept apart from the
 * user's text), keyed by account and Message-ID. A window writes it on every change
 * (`compose/journal`), so a window closed or a host killed between two draft saves is caught
 * up later (`pending`, see `compose/recover`).
 */
import type { ComposeMeta } from '../../core/send/composeForm';
import type { MailStore } from '../../core/store/store';

const META_PREFIX = 'compose.meta.';

export function metaKey(accountId: string, messageId: string): string {
  return `${META_PREFIX}${accountId}\n${messageId}`;
}

export function readMeta(store: MailStore, accountId: string, messageId: string): ComposeMeta | undefined {
  const v = store.getSetting(metaKey(accountId, messageId));
  if (!v) return undefined;
  try {
    return JSON.parse(v) as ComposeMeta;
  } catch {
    return undefined;
  }
}

export function writeMeta(store: MailStore, meta: ComposeMeta): void {
  store.setSetting(metaKey(meta.accountId, meta.messageId), JSON.stringify(meta));
}

export function deleteMeta(store: MailStore, accountId: string, messageId: string): void {
  store.settings.delete(metaKey(accountId, messageId));
}

/** Journals with changes that never reached their draft (the window closed, the host died). */
export function pendingMetas(store: MailStore): ComposeMeta[] {
  return store
    .settings.withPrefix(META_PREFIX)
    .map((r) => {
      try {
        return JSON.parse(r.value) as ComposeMeta;
      } catch {
        return undefined;
      }
    })
    .filter((m): m is ComposeMeta => !!m && m.pending);
}
