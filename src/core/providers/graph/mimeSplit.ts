/**
 * Takes attachments out of a MIME message so the rest fits in one Microsoft Graph request
 * (4 MB at most) and the attachments can follow one by one (a POST under 3 MB, an upload
 * session above: https://learn.microsoft.com/en-us/graph/outlook-large-attachments).
 *
 * Only the top-level multipart/mixed parts that are attachments are taken out; everything
 * else (headers, Message-ID, the body, inline images in their multipart/related) stays byte
 * for byte, so Outlook keeps the message MailDesk built.
 */

export interface TakenAttachment {
  name: string;
  contentType: string;
  content: Buffer;
  contentId?: string;
  isInline: boolean;
}

export interface SplitMessage {
  /** The message without the attachments taken out. */
  rest: Buffer;
  attachments: TakenAttachment[];
}

interface Part {
  /** The part's bytes (latin1), between its boundary lines. */
  text: string;
  attachment?: TakenAttachment;
}

function param(header: string, name: string): string | undefined {
  // RFC 2231: name*=charset''percent-encoded, possibly in numbered continuations.
  const pieces: Array<{ i: number; v: string; enc: boolean }> = [];
  for (const m of header.matchAll(new RegExp(`;\\s*${name}\\*(\\d+)?(\\*)?\\s*=\\s*("([^"]*)"|[^;\\s]*)`, 'gi'))) {
    pieces.push({ i: Number(m[1] ?? 0), v: m[4] ?? m[3], enc: !!m[2] || m[1] === undefined });
  }
  if (pieces.length) {
    pieces.sort((a, b) => a.i - b.i);
    const joined = pieces.map((p) => p.v).join('');
    const enc = /^([^']*)'[^']*'(.*)$/.exec(joined);
    try {
      return enc ? decodeURIComponent(enc[2]) : pieces[0].enc ? decodeURIComponent(joined) : joined;
    } catch {
      return enc ? enc[2] : joined;
    }
  }
  const m = new RegExp(`;\\s*${name}\\s*=\\s*("((?:[^"\\\\]|\\\\.)*)"|[^;\\s]+)`, 'i').exec(header);
  return m ? decodeWords((m[2] ?? m[1]).replace(/\\(.)/g, '$1')) : undefined;
}

/** RFC 2047 encoded words (=?utf-8?B?...?= / ?Q?) in a filename. */
function decodeWords(s: string): string {
  return s.replace(/=\?([^?]+)\?([BbQq])\?([^?]*)\?=\s*/g, (_all, _cs: string, enc: string, text: string) => {
    const bytes = enc.toUpperCase() === 'B' ? Buffer.from(text, 'base64') : Buffer.from(text.replace(/_/g, ' ').replace(/=([0-9A-Fa-f]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16))), 'latin1');
    return bytes.toString('utf8');
  });
}

function headerOf(text: string): { head: string; body: string } {
  const end = text.search(/\r?\n\r?\n/);
  if (end < 0) return { head: text, body: '' };
  const sep = text.slice(end).startsWith('\r\n\r\n') ? 4 : 2;
  return { head: text.slice(0, end).replace(/\r?\n[ \t]+/g, ' '), body: text.slice(end + sep) };
}

function field(head: string, name: string): string {
  return new RegExp(`^${name}:[ \\t]*(.*)$`, 'im').exec(head)?.[1]?.trim() ?? '';
}

function asAttachment(text: string): TakenAttachment | undefined {
  const { head, body } = headerOf(text);
  const type = field(head, 'Content-Type') || 'text/plain';
  if (/^multipart\//i.test(type)) return undefined;
  const disposition = field(head, 'Content-Disposition');
  const name = param(`;${disposition.replace(/^[^;]*/, '')}`, 'filename') ?? param(`;${type.replace(/^[^;]*/, '')}`, 'name');
  if (!/^attachment/i.test(disposition) && !(name && /^inline/i.test(disposition))) return undefined;
  const cte = field(head, 'Content-Transfer-Encoding').toLowerCase();
  let content: Buffer;
  // Node's base64 decoder skips the line breaks itself (a regex pass over 40 MB took ~0.5 s).
  if (cte === 'base64') content = Buffer.from(body, 'base64');
  else if (cte === '' || cte === '7bit' || cte === '8bit' || cte === 'binary') content = Buffer.from(body.replace(/\r?\n$/, ''), 'latin1');
  else return undefined; // quoted-printable text attachments are small: they stay in the MIME
  const cid = field(head, 'Content-ID').replace(/^<|>$/g, '') || undefined;
  return { name: name ?? 'attachment', contentType: type.split(';')[0].trim(), content, contentId: cid, isInline: /^inline/i.test(disposition) };
}

/**
 * Splits `raw` so the rest, base64-encoded, is at most `maxRestBase64` bytes: attachments
 * of `moveAtLeast` bytes or more always go, then the largest others until the rest fits.
 * Undefined when the message is not multipart/mixed or cannot be made small enough.
 */
export function splitAttachments(raw: Buffer, maxRestBase64: number, moveAtLeast: number): SplitMessage | undefined {
  const text = raw.toString('latin1');
  const { head } = headerOf(text);
  const type = field(head, 'Content-Type');
  const boundary = /^multipart\/mixed/i.test(type) ? param(`;${type.replace(/^[^;]*/, '')}`, 'boundary') : undefined;
  if (!boundary) return undefined;
  const delim = `--${boundary}`;
  const first = text.indexOf(delim);
  if (first < 0) return undefined;
  const prologue = text.slice(0, first);
  const parts: Part[] = [];
  let pos = first;
  let epilogue = '';
  for (;;) {
    const lineEnd = text.indexOf('\n', pos);
    if (text.startsWith(`${delim}--`, pos) || lineEnd < 0) {
      epilogue = text.slice(pos);
      break;
    }
    const next = text.indexOf(`\n${delim}`, lineEnd);
    if (next < 0) return undefined;
    const start = lineEnd + 1;
    const end = text[next - 1] === '\r' ? next - 1 : next;
    const partText = text.slice(start, end);
    parts.push({ text: partText, attachment: asAttachment(partText) });
    pos = next + 1;
  }
  const size = (ps: Part[]) => prologue.length + epilogue.length + ps.reduce((n, p) => n + p.text.length + delim.length + 4, 0);
  const b64 = (n: number) => Math.ceil(n / 3) * 4;
  const moved = new Set(parts.filter((p) => p.attachment && p.attachment.content.length >= moveAtLeast));
  const candidates = parts.filter((p) => p.attachment && !moved.has(p)).sort((a, b) => b.text.length - a.text.length);
  while (b64(size(parts.filter((p) => !moved.has(p)))) > maxRestBase64) {
    const next = candidates.shift();
    if (!next) return undefined;
    moved.add(next);
  }
  if (!moved.size) return undefined;
  const kept = parts.filter((p) => !moved.has(p));
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const body = kept.map((p) => `${delim}${eol}${p.text}${eol}`).join('');
  const rest = Buffer.from(`${prologue}${body}${epilogue}`, 'latin1');
  return { rest, attachments: parts.filter((p) => moved.has(p)).map((p) => p.attachment!) };
}

/**
 * Bytes of `raw` that must go in one request whatever is taken out: the message without
 * any of its separable attachments (headers, text, inline parts), or all of it when it has none.
 */
export function unsplittableSize(raw: Buffer): number {
  return splitAttachments(raw, Number.POSITIVE_INFINITY, 0)?.rest.length ?? raw.length;
}
