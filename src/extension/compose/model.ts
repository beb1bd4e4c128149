/**
 * The composer's state as plain data, and how it becomes a core `Draft`. Free of `vscode`
 * so it is unit-tested in plain Node; composePanel.ts moves it in and out of VS Code.
 *
 * What the core's draft row cannot hold (the Markdown source, the format, the quoted
 * original kept apart from the user's text) is kept beside it in the store's settings,
 * keyed by account and Message-ID. The same entry is the composer's journal: written
 * synchronously on every change, so a window closed or a host killed between two draft
 * saves is caught up on the next start (`pending`).
 */
import type { AccountRow, MailStore } from '../../core/store/store';
import { type Address, type Draft, type DraftAttachment, formatAddress, parseAddresses } from '../../core/send/compose';
import { buildBodies, type Quote } from '../../core/send/markdown';
import type { ComposeFields } from '../../shared/protocol/compose';

export interface ComposeMeta {
  accountId: string;
  messageId: string;
  draftId?: number;
  fields: ComposeFields;
  quote?: Quote;
  inReplyTo?: string;
  references?: string[];
  /** "Reply", "Reply All", "Forward", "New Message". */
  kind: string;
  /** Changes not yet in the draft row (the journal part). */
  pending: boolean;
  /** The body as the composer started it (signature only): an untouched new message is not kept. */
  initialBody: string;
}

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
  store.tx(() => store.run('DELETE FROM settings WHERE key = ?', [metaKey(accountId, messageId)]));
}

/** Journals with changes that never reached their draft (the window closed, the host died). */
export function pendingMetas(store: MailStore): ComposeMeta[] {
  return store
    .all<{ value: string }>(`SELECT value FROM settings WHERE key LIKE ?`, [`${META_PREFIX}%`])
    .map((r) => {
      try {
        return JSON.parse(r.value) as ComposeMeta;
      } catch {
        return undefined;
      }
    })
    .filter((m): m is ComposeMeta => !!m && m.pending);
}

/** The From identity of an account: "Name <email>". */
export function identity(acc: AccountRow): Address {
  return { name: acc.config.name || undefined, address: acc.config.email };
}

export function accountLabelOf(acc: AccountRow): string {
  return formatAddress(identity(acc));
}

/** Address list as the form shows it: "Ann <a@x>, b@y". */
export function addressText(list: Array<Address | string> | undefined): string {
  return parseAddresses(list).addresses.map(formatAddress).join(', ');
}

/** The core draft for the form as it is now. */
export function toDraft(meta: ComposeMeta, from: Address, attachments: DraftAttachment[]): Draft {
  const f = meta.fields;
  const bodies = buildBodies(f.body, f.format, f.includeQuote ? meta.quote : undefined);
  return {
    id: meta.draftId,
    messageId: meta.messageId,
    from,
    to: f.to.trim() ? [f.to] : [],
    cc: f.cc.trim() ? [f.cc] : [],
    bcc: f.bcc.trim() ? [f.bcc] : [],
    subject: f.subject,
    text: bodies.text,
    html: bodies.html,
    attachments,
    inReplyTo: meta.inReplyTo,
    references: meta.references,
  };
}

/** What keeps Send from going out, in the user's words; undefined when it may be sent. */
export function sendProblem(f: ComposeFields): string | undefined {
  const all = [f.to, f.cc, f.bcc].map((v) => parseAddresses(v));
  const invalid = all.flatMap((r) => r.invalid);
  if (invalid.length) return `${invalid.length === 1 ? 'This is not an e-mail address' : 'These are not e-mail addresses'}: ${invalid.map((s) => `"${s}"`).join(', ')}`;
  if (!all.some((r) => r.addresses.length)) return 'Add at least one recipient in To, Cc or Bcc.';
  return undefined;
}

/** A new message closed without anything written in it is not worth a draft. */
export function isUntouched(meta: ComposeMeta, attachmentCount: number): boolean {
  const f = meta.fields;
  return meta.kind === 'New Message' && !f.to.trim() && !f.cc.trim() && !f.bcc.trim() && !f.subject.trim() && f.body.trim() === meta.initialBody.trim() && attachmentCount === 0;
}
