/**
 * Building outgoing mail: RFC 5322 messages (nodemailer's MailComposer, the same code
 * nodemailer itself sends with) and the header rules of replies and forwards; addresses and
 * Message-IDs come from ./addresses.ts. Pure functions apart from reading attachment files.
 */
import MailComposer from 'nodemailer/lib/mail-composer';
import { type Address, bracketId, formatAddress, newMessageId, parseAddresses } from './addresses';
import type { ParsedMessage } from '../mime/parse';
import { sanitizeHtml } from '../render/sanitize';
import { textToSafeHtml } from '../render/text';
import { escapeHtml } from '../../shared/html';

// Addresses and Message-IDs live in ./addresses.ts, without MailComposer and the HTML
// sanitiser: VS Code's compose code needs them at activation (scripts/extensionBundles.mjs).
export { type Address, bracketId, formatAddress, newMessageId, parseAddresses };

/** An attachment as the user picked it: a file on disk, bytes, or bytes already in the blob store. */
export interface DraftAttachment {
  filename?: string;
  contentType?: string;
  path?: string;
  content?: Buffer;
  /** Hash in the blob store (what a saved draft keeps, so a moved file loses nothing). */
  blob?: string;
  size?: number;
}

/** What the user writes. Saved as it is; `messageId` is fixed on the first save. */
export interface Draft {
  /** Local draft id, set by the first save; pass it back to continue the same draft. */
  id?: number;
  messageId?: string;
  from?: Address;
  to?: Array<Address | string>;
  cc?: Array<Address | string>;
  bcc?: Array<Address | string>;
  subject?: string;
  text?: string;
  html?: string;
  attachments?: DraftAttachment[];
  inReplyTo?: string;
  references?: string[];
}

/** An attachment ready for MailComposer: a path or the bytes. */
export interface ResolvedAttachment {
  filename?: string;
  contentType?: string;
  path?: string;
  content?: Buffer;
}

export interface ComposedMessage {
  messageId: string;
  /** What goes over SMTP: no Bcc header. */
  raw: Buffer;
  /** What Drafts and Sent keep: with Bcc, so the sender still sees whom they copied. */
  rawWithBcc: Buffer;
  envelope: { from: string; to: string[] };
}

/**
 * Builds the message. `draft.messageId` must be set (the caller fixes it once per draft);
 * the same draft always gives the same Message-ID, only the Date moves.
 */
export async function composeMessage(
  draft: Draft & { messageId: string },
  from: Address,
  attachments: ResolvedAttachment[] = [],
  date = new Date(),
): Promise<ComposedMessage> {
  const to = parseAddresses(draft.to).addresses.map(formatAddress);
  const cc = parseAddresses(draft.cc).addresses.map(formatAddress);
  const bcc = parseAddresses(draft.bcc).addresses.map(formatAddress);
  const options = {
    from: formatAddress(from),
    to,
    cc,
    bcc,
    subject: draft.subject ?? '',
    text: draft.text ?? (draft.html ? undefined : ''),
    html: draft.html || undefined,
    attachments: attachments.map((a) => ({ filename: a.filename, contentType: a.contentType, path: a.path, content: a.content })),
    messageId: bracketId(draft.messageId),
    inReplyTo: draft.inReplyTo ? bracketId(draft.inReplyTo) : undefined,
    references: draft.references?.length ? draft.references.map(bracketId) : undefined,
    date,
    // Reading `path` is for files the user picked; never let a message body fetch URLs.
    disableUrlAccess: true,
  };
  const build = async (keepBcc: boolean): Promise<{ raw: Buffer; envelope: { from: string; to: string[] } }> => {
    const node = new MailComposer(options).compile();
    (node as unknown as { keepBcc: boolean }).keepBcc = keepBcc;
    const raw = await node.build();
    const env = node.getEnvelope() as { from: string | false; to: string[] };
    return { raw, envelope: { from: env.from || from.address, to: env.to } };
  };
  const plain = await build(false);
  const withBcc = bcc.length ? (await build(true)).raw : plain.raw;
  return { messageId: options.messageId, raw: plain.raw, rawWithBcc: withBcc, envelope: plain.envelope };
}

// ---- replies and forwards -----------------------------------------------------------

// "Re:", "RE[2]:", "Aw:", "Sv:" and friends: what other clients put in front of a reply.
const REPLY_PREFIX = /^\s*(?:re|aw|sv|antw|odp|vs)\s*(?:\[\d+\]|\(\d+\))?\s*:\s*/i;
const FORWARD_PREFIX = /^\s*(?:fwd?|wg|tr|rv|vs)\s*(?:\[\d+\])?\s*:\s*/i;

function stripAll(subject: string, re: RegExp): string {
  let s = subject;
  for (let i = 0; i < 20 && re.test(s); i++) s = s.replace(re, '');
  return s.trim();
}

/** "Re: x" for a reply; never "Re: Re: x". A forwarded subject keeps its "Fwd:" after "Re:". */
export function replySubject(subject: string | undefined): string {
  return `Re: ${stripAll(subject ?? '', REPLY_PREFIX)}`.trimEnd();
}

/** "Fwd: x"; never "Fwd: Fwd: x". */
export function forwardSubject(subject: string | undefined): string {
  return `Fwd: ${stripAll(subject ?? '', FORWARD_PREFIX)}`.trimEnd();
}

// Some servers refuse very long header lines; keep the root and the newest ancestors.
const MAX_REFERENCES = 20;

/** References of a reply: the parent's References (or its In-Reply-To) plus the parent. */
export function replyReferences(parent: Pick<ParsedMessage, 'messageId' | 'inReplyTo' | 'references'>): string[] {
  let refs = parent.references.length ? parent.references.slice() : parent.inReplyTo ? [parent.inReplyTo] : [];
  if (parent.messageId) refs.push(parent.messageId);
  refs = refs.map(bracketId).filter((r, i, all) => all.indexOf(r) === i);
  if (refs.length > MAX_REFERENCES) refs = [refs[0], ...refs.slice(refs.length - (MAX_REFERENCES - 1))];
  return refs;
}

function attribution(m: ParsedMessage): string {
  const who = m.from ? formatAddress(m.from) : 'someone';
  return m.date ? `On ${m.date.toUTCString()}, ${who} wrote:` : `${who} wrote:`;
}

function quoteText(text: string): string {
  return text
    .replace(/\r\n/g, '\n')
    .replace(/\n+$/, '')
    .split('\n')
    .map((l) => (l.startsWith('>') ? `>${l}` : `> ${l}`))
    .join('\n');
}

/** The parent's HTML through the reader's sanitiser, remote content blocked. */
function quotedHtml(m: ParsedMessage): string {
  const body = m.htmlParts.length ? m.htmlParts.map((h) => sanitizeHtml(h, { allowRemote: false }).html).join('<hr>') : textToSafeHtml(m.text ?? '').html;
  return body;
}


function sameAddress(a: string, b: string): boolean {
  return a.trim().toLowerCase() === b.trim().toLowerCase();
}

/**
 * A reply (or reply-all) draft: recipients, subject, threading headers and the quoted
 * parent. `self` holds the user's own addresses, which reply-all leaves out.
 */
export function replyDraft(parent: ParsedMessage, opts: { all?: boolean; self: string[]; from?: Address }): Draft {
  const isSelf = (a: Address) => opts.self.some((s) => sameAddress(s, a.address));
  const primary = parent.replyTo.length ? parent.replyTo : parent.from ? [parent.from] : [];
  // Replying to one's own sent message goes to its recipients, as every client does.
  let to: Address[] = primary.every(isSelf) && parent.to.length ? parent.to.slice() : primary.slice();
  let cc: Address[] = [];
  if (opts.all) {
    const seen = new Set(to.map((a) => a.address.toLowerCase()));
    for (const a of [...parent.to, ...parent.cc]) {
      const k = a.address.toLowerCase();
      if (seen.has(k) || isSelf(a)) continue;
      seen.add(k);
      cc.push(a);
    }
    if (!to.length && cc.length) [to, cc] = [cc.slice(0, 1), cc.slice(1)];
  }
  const text = `\n\n${attribution(parent)}\n${quoteText(parent.text ?? '')}\n`;
  const html = `<p><br></p><div>${escapeHtml(attribution(parent))}</div><blockquote type="cite" style="margin:0 0 0 .8ex;border-left:1px solid #ccc;padding-left:1ex">${quotedHtml(parent)}</blockquote>`;
  return {
    from: opts.from,
    to: to.map((a) => ({ name: a.name || undefined, address: a.address })),
    cc: cc.map((a) => ({ name: a.name || undefined, address: a.address })),
    subject: replySubject(parent.subject),
    text,
    html,
    inReplyTo: parent.messageId ? bracketId(parent.messageId) : undefined,
    references: replyReferences(parent),
  };
}

/** A forward: "Fwd:" subject, the original's header block and body, and its attachments. */
export function forwardDraft(parent: ParsedMessage, opts: { from?: Address } = {}): Draft {
  const lines = [
    '---------- Forwarded message ----------',
    `From: ${parent.from ? formatAddress(parent.from) : ''}`,
    parent.date ? `Date: ${parent.date.toUTCString()}` : undefined,
    `Subject: ${parent.subject}`,
    parent.to.length ? `To: ${parent.to.map(formatAddress).join(', ')}` : undefined,
    parent.cc.length ? `Cc: ${parent.cc.map(formatAddress).join(', ')}` : undefined,
  ].filter((l): l is string => l !== undefined);
  const text = `\n\n${lines.join('\n')}\n\n${parent.text ?? ''}\n`;
  const html = `<p><br></p><div>${lines.map(escapeHtml).join('<br>')}</div><br>${quotedHtml(parent)}`;
  return {
    from: opts.from,
    subject: forwardSubject(parent.subject),
    text,
    html,
    // A forward starts a new conversation but says where it came from.
    references: parent.messageId ? [bracketId(parent.messageId)] : undefined,
    attachments: parent.attachments
      .filter((a) => !a.inline)
      .map((a) => ({ filename: a.filename, contentType: a.mimeType, content: Buffer.from(a.content), size: a.size })),
  };
}
