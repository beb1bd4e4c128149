/**
 * What a header sync fetches of each message, and the store row it becomes. Shared by the
 * provider (in the engine's thread) and the header worker (headerWorker.ts), which parses big
 * pages on a thread of its own.
 */
import type { FetchMessageObject, MessageStructureObject } from 'imapflow';
import type { IncomingMessage } from '../../store/store';

/** What a header sync fetches per message (also the benchmark baseline's query). */
export const HEADER_QUERY = {
  uid: true,
  flags: true,
  envelope: true,
  internalDate: true,
  size: true,
  bodyStructure: true,
  headers: ['references'],
} as const;

function hasAttachment(node: MessageStructureObject | undefined, depth = 0): boolean {
  if (!node || depth > 30) return false;
  if (node.childNodes?.length) return node.childNodes.some((c) => hasAttachment(c, depth + 1));
  if (node.disposition === 'attachment') return true;
  const type = (node.type ?? '').toLowerCase();
  return node.disposition !== 'inline' && !type.startsWith('text/') && !type.startsWith('multipart/');
}

function parseReferences(headers: Buffer | undefined): string[] | undefined {
  if (!headers?.length) return undefined;
  const text = headers.toString('utf8').replace(/\r?\n[ \t]+/g, ' ');
  const m = /^references:\s*(.*)$/im.exec(text);
  if (!m) return undefined;
  const ids = m[1].match(/<[^<>\s]+>/g);
  return ids ?? undefined;
}

export function toIncoming(folderId: number, uidValidity: string, msg: FetchMessageObject): IncomingMessage {
  const env = msg.envelope;
  const from = env?.from?.[0];
  const internal = msg.internalDate ? new Date(msg.internalDate).getTime() : NaN;
  const headerDate = env?.date ? new Date(env.date).getTime() : NaN;
  return {
    providerId: `${folderId}:${uidValidity}:${msg.uid}`,
    uid: msg.uid,
    modseq: msg.modseq !== undefined ? String(msg.modseq) : undefined,
    messageId: env?.messageId || undefined,
    inReplyTo: env?.inReplyTo || undefined,
    references: parseReferences(msg.headers),
    subject: env?.subject ?? '',
    from: from ? { name: from.name ?? '', address: from.address ?? '' } : undefined,
    to: (env?.to ?? []).map((a) => ({ name: a.name, address: a.address })),
    cc: (env?.cc ?? []).map((a) => ({ name: a.name, address: a.address })),
    date: Number.isFinite(internal) ? internal : Number.isFinite(headerDate) ? headerDate : 0,
    size: msg.size,
    flags: [...(msg.flags ?? [])],
    hasAttachments: hasAttachment(msg.bodyStructure),
  };
}
