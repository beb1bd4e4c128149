/**
 * The composer's form as plain data (`ComposeMeta`) and how it becomes a core `Draft`.
 * Pure: the extension (src/extension/compose) builds drafts with it for Send and Check with
 * AI, and the engine (src/engine/areas/compose.ts) for saving and for catching up drafts
 * whose last changes never reached their row.
 */
import type { ComposeFields } from '../../shared/protocol/compose';
import { type Address, formatAddress, parseAddresses } from './addresses';
import type { Draft, DraftAttachment } from './compose';
import { buildBodies, type Quote } from './markdown';

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
