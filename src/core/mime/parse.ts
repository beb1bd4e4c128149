import PostalMime = require('postal-mime');
import { htmlToPlainText } from '../render/text';

/**
 * Limits that keep a hostile message from hanging or exhausting the host. They are
 * enforced by a cheap scan of the raw bytes before the MIME parser sees the message,
 * because the parser itself works in one synchronous run that cannot be interrupted.
 */
export interface ParseLimits {
  /** Bytes of raw message that are parsed at all; the rest is dropped. Default 25 MB. */
  maxBytes: number;
  /** MIME parts (boundaries crossed) before the message is cut. Default 500. */
  maxParts: number;
  /** Multipart / message/rfc822 nesting before the message is cut. Default 20. */
  maxDepth: number;
  /** Bytes of one header block (top level or part). Default 256 KiB. */
  maxHeaderBytes?: number;
}

export interface Address {
  name: string;
  address: string;
}

export interface ParsedAttachment {
  /** Stable within the message: the same bytes always give the same ids. */
  id: string;
  filename: string;
  mimeType: string;
  size: number;
  /** Without angle brackets, as `cid:` URLs spell it. */
  contentId?: string;
  inline: boolean;
  content: Uint8Array;
}

/** One displayable body part, in message order. */
export interface BodyPart {
  kind: 'html' | 'text';
  content: string;
}

export interface ParsedMessage {
  messageId?: string;
  inReplyTo?: string;
  references: string[];
  subject: string;
  from?: Address;
  to: Address[];
  cc: Address[];
  bcc: Address[];
  replyTo: Address[];
  date?: Date;
  /** The text parts (the text alternative where there is one; HTML-only parts converted with html-to-text). */
  text?: string;
  /** Each HTML part on its own: parts are never joined into one document. */
  htmlParts: string[];
  /** Text and HTML parts in message order, for the reader. */
  bodyParts: BodyPart[];
  attachments: ParsedAttachment[];
  headers: Array<{ key: string; value: string }>;
  /** True when a limit was hit and part of the message was not parsed. */
  truncated: boolean;
  warnings: string[];
}

export const DEFAULT_PARSE_LIMITS: Required<ParseLimits> = {
  maxBytes: 25 * 1024 * 1024,
  maxParts: 500,
  maxDepth: 20,
  maxHeaderBytes: 256 * 1024,
};

// A single header field longer than this is dropped on its own (the rest of the header
// block is kept), so one 5 MB Subject cannot cost the sender and date.
const MAX_HEADER_FIELD = 64 * 1024;

const CR = 0x0d;
const LF = 0x0a;
const DASH = 0x2d;

interface ScanResult {
  /** The bytes handed to the parser: possibly rebuilt headers and a cut body. */
  bytes: Uint8Array;
  truncated: boolean;
  warnings: string[];
}

interface HeaderBlock {
  /** Offset just past the blank line that ends the block (or end of input). */
  end: number;
  fields: Uint8Array[];
  dropped: number;
  overBudget: boolean;
  ended: boolean;
}

/** End of the line starting at `pos` (index of its LF, or `buf.length`). */
function lineEnd(buf: Uint8Array, pos: number): number {
  const i = buf.indexOf(LF, pos);
  return i < 0 ? buf.length : i;
}

/** Length of a line without its CR/LF terminator. */
function trimmedLength(buf: Uint8Array, start: number, end: number): number {
  let e = end;
  while (e > start && (buf[e - 1] === CR || buf[e - 1] === LF)) e--;
  return e - start;
}

/**
 * Reads one header block starting at `pos`, grouping folded lines into fields. Fields
 * over MAX_HEADER_FIELD or past the block budget are dropped, never kept in part.
 */
function readHeaderBlock(buf: Uint8Array, pos: number, budget: number): HeaderBlock {
  const fields: Uint8Array[] = [];
  let dropped = 0;
  let used = 0;
  let overBudget = false;
  let fieldStart = -1;
  let fieldEnd = -1;
  const flush = (): void => {
    if (fieldStart < 0) return;
    const len = fieldEnd - fieldStart;
    if (len > MAX_HEADER_FIELD || used + len > budget) {
      dropped++;
      if (used + len > budget) overBudget = true;
    } else {
      used += len;
      fields.push(buf.subarray(fieldStart, fieldEnd));
    }
    fieldStart = -1;
  };
  let p = pos;
  while (p < buf.length) {
    const le = lineEnd(buf, p);
    const next = le < buf.length ? le + 1 : le;
    if (trimmedLength(buf, p, next) === 0) {
      flush();
      return { end: next, fields, dropped, overBudget, ended: true };
    }
    const c = buf[p];
    if ((c === 0x20 || c === 0x09) && fieldStart >= 0) {
      fieldEnd = next;
    } else {
      flush();
      fieldStart = p;
      fieldEnd = next;
    }
    p = next;
  }
  flush();
  return { end: buf.length, fields, dropped, overBudget, ended: false };
}

interface PartType {
  multipartBoundary?: Uint8Array;
  rfc822: boolean;
  base64?: boolean;
}

const latin1 = new TextDecoder('latin1');

/** Content-Type and Content-Transfer-Encoding of a header block, read loosely. */
function partType(fields: Uint8Array[]): PartType {
  let ctype = '';
  let cte = '';
  for (const f of fields) {
    // Only the first few hundred bytes of a field can hold what we look for here.
    const s = latin1.decode(f.subarray(0, 4096));
    const m = /^([^:\s]+)\s*:([\s\S]*)$/.exec(s);
    if (!m) continue;
    const key = m[1].toLowerCase();
    if (key === 'content-type' && !ctype) ctype = m[2].replace(/\r?\n[ \t]/g, ' ');
    else if (key === 'content-transfer-encoding' && !cte) cte = m[2].trim().toLowerCase();
  }
  const value = ctype.split(';')[0].trim().toLowerCase();
  const out: PartType = { rfc822: false, base64: cte === 'base64' };
  if (value.startsWith('multipart/')) {
    const b = /;\s*boundary\s*=\s*(?:"([^"]*)"|([^;\s]+))/i.exec(ctype);
    const boundary = b ? (b[1] ?? b[2]) : '';
    if (boundary) out.multipartBoundary = Buffer.from(boundary, 'latin1');
  } else if (value === 'message/rfc822' && cte !== 'base64' && cte !== 'quoted-printable') {
    // An encoded message/rfc822 is opaque to the scan; postal-mime's own rfc822 depth
    // limit (set below) bounds it instead.
    out.rfc822 = true;
  }
  return out;
}

/** Index into `stack` of the boundary this line is a delimiter for, and whether it closes. */
function matchBoundary(buf: Uint8Array, start: number, len: number, stack: Array<{ boundary: Uint8Array }>): { index: number; close: boolean } | undefined {
  if (len < 3 || buf[start] !== DASH || buf[start + 1] !== DASH) return undefined;
  for (let i = stack.length - 1; i >= 0; i--) {
    const b = stack[i].boundary;
    if (len < b.length + 2) continue;
    let ok = true;
    for (let j = 0; j < b.length; j++) {
      if (buf[start + 2 + j] !== b[j]) {
        ok = false;
        break;
      }
    }
    if (!ok) continue;
    let end = b.length + 2;
    let close = false;
    if (len >= end + 2 && buf[start + end] === DASH && buf[start + end + 1] === DASH) {
      close = true;
      end += 2;
    }
    let trailingOk = true;
    for (let j = end; j < len; j++) {
      const c = buf[start + j];
      if (c !== 0x20 && c !== 0x09) {
        trailingOk = false;
        break;
      }
    }
    if (trailingOk) return { index: i, close };
  }
  return undefined;
}

function concat(parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

// postal-mime spends about 10 µs per line, so lines, not bytes, are what make a message
// slow: 25 MB of base64 in 76-byte lines takes seconds, 10 MB of empty lines exhausts the
// heap. Base64 bodies are therefore handed over as one line (its decoder does not care),
// and other text is capped at this many lines in all.
const MAX_TEXT_LINES = 100_000;
const NL_DASH_DASH = Buffer.from('\n--');

interface Frame {
  boundary: Uint8Array;
  rfc822Depth: number;
}

/**
 * Walks the raw bytes once, following boundaries, and rebuilds what the parser will see:
 * cut where a limit is hit, base64 bodies joined into single lines, overlong text parts
 * shortened. Linear in the input: only lines starting with `--` are compared with the
 * open boundaries, of which there are at most `maxDepth`.
 */
function prescan(raw: Uint8Array, limits: Required<ParseLimits>): ScanResult {
  const warnings: string[] = [];
  let truncated = false;
  let buf = raw;
  if (buf.length > limits.maxBytes) {
    buf = buf.subarray(0, limits.maxBytes);
    truncated = true;
    warnings.push(`Message is ${raw.length} bytes; only the first ${limits.maxBytes} were read.`);
  }
  const warnOnce = (w: string): void => {
    truncated = true;
    if (!warnings.includes(w)) warnings.push(w);
  };

  const out: Uint8Array[] = [];
  const top = readHeaderBlock(buf, 0, limits.maxHeaderBytes);
  if (top.dropped > 0) {
    warnOnce(`${top.dropped} header field(s) over the size limit were dropped.`);
    out.push(...top.fields, Buffer.from('\r\n'));
  } else {
    out.push(buf.subarray(0, top.end));
  }
  if (!top.ended) return { bytes: concat(out), truncated, warnings };

  const stack: Frame[] = [];
  let rfc822Depth = 0;
  let linesLeft = MAX_TEXT_LINES;
  let parts = 1;

  /** Start of the next line at or after `from` that is a delimiter of an open boundary. */
  const nextBoundary = (from: number): number => {
    if (stack.length === 0) return buf.length;
    let lineStart = from;
    for (;;) {
      if (buf[lineStart] === DASH && buf[lineStart + 1] === DASH) {
        const le = lineEnd(buf, lineStart);
        if (matchBoundary(buf, lineStart, trimmedLength(buf, lineStart, le < buf.length ? le + 1 : le), stack)) return lineStart;
      }
      const i = Buffer.prototype.indexOf.call(buf, NL_DASH_DASH, lineStart) as number;
      if (i < 0) return buf.length;
      lineStart = i + 1;
    }
  };

  /** Hands over the body bytes [start, end) of a leaf (or a preamble/epilogue). */
  const leafBody = (start: number, end: number, base64: boolean): void => {
    if (base64) {
      const joined = new Uint8Array(end - start + 2);
      let n = 0;
      for (let i = start; i < end; i++) {
        const c = buf[i];
        if (c !== CR && c !== LF) joined[n++] = c;
      }
      joined[n++] = CR;
      joined[n++] = LF;
      out.push(joined.subarray(0, n));
      return;
    }
    let p = start;
    while (p < end) {
      if (linesLeft-- <= 0) {
        warnOnce(`The message has more than ${MAX_TEXT_LINES} lines of text; the rest of the text was not read.`);
        out.push(buf.subarray(start, p), Buffer.from('\r\n'));
        return;
      }
      const le = buf.indexOf(LF, p);
      p = le < 0 || le >= end ? end : le + 1;
    }
    out.push(buf.subarray(start, end));
  };

  // The top level's own body: a leaf, or the preamble of a multipart.
  let type = partType(top.fields);
  let pos = top.end;
  if (type.multipartBoundary) stack.push({ boundary: type.multipartBoundary, rfc822Depth: 0 });
  else if (type.rfc822) rfc822Depth = 1;

  while (pos < buf.length) {
    // Unencoded message/rfc822: its header block follows at once.
    if (type.rfc822) {
      const h = readHeaderBlock(buf, pos, limits.maxHeaderBytes);
      if (h.dropped > 0 || !h.ended) {
        warnOnce(`A nested message header is over ${limits.maxHeaderBytes} bytes; the rest of the message was not read.`);
        break;
      }
      out.push(buf.subarray(pos, h.end));
      pos = h.end;
      type = partType(h.fields);
      if (stack.length + rfc822Depth + (type.multipartBoundary || type.rfc822 ? 1 : 0) > limits.maxDepth) {
        warnOnce(`MIME nesting deeper than ${limits.maxDepth} levels; the rest of the message was not read.`);
        break;
      }
      if (type.multipartBoundary) stack.push({ boundary: type.multipartBoundary, rfc822Depth });
      else if (type.rfc822) rfc822Depth++;
      continue;
    }
    const end = nextBoundary(pos);
    leafBody(pos, end, type.base64 === true);
    if (end >= buf.length) break;
    pos = end;
    const le = lineEnd(buf, pos);
    const next = le < buf.length ? le + 1 : le;
    const m = matchBoundary(buf, pos, trimmedLength(buf, pos, next), stack);
    if (!m) break; // cannot happen: nextBoundary only stops on a delimiter
    rfc822Depth = stack[m.index].rfc822Depth;
    stack.length = m.close ? m.index : m.index + 1;
    if (m.close) {
      out.push(buf.subarray(pos, next));
      pos = next;
      type = { rfc822: false }; // the epilogue
      continue;
    }
    if (++parts > limits.maxParts) {
      warnOnce(`Message has more than ${limits.maxParts} MIME parts; the rest was not read.`);
      break;
    }
    const h = readHeaderBlock(buf, next, limits.maxHeaderBytes);
    if (h.dropped > 0) {
      warnOnce(`A MIME part header is over ${limits.maxHeaderBytes} bytes; the rest of the message was not read.`);
      break;
    }
    type = partType(h.fields);
    if (stack.length + rfc822Depth + (type.multipartBoundary || type.rfc822 ? 1 : 0) > limits.maxDepth) {
      warnOnce(`MIME nesting deeper than ${limits.maxDepth} levels; the rest of the message was not read.`);
      break;
    }
    out.push(buf.subarray(pos, h.end));
    pos = h.end;
    if (type.multipartBoundary) stack.push({ boundary: type.multipartBoundary, rfc822Depth });
    else if (type.rfc822) rfc822Depth++;
  }
  return { bytes: concat(out), truncated, warnings };
}

function flatten(list: PostalMime.Address[] | PostalMime.Address | undefined): Address[] {
  if (!list) return [];
  const arr = Array.isArray(list) ? list : [list];
  const out: Address[] = [];
  for (const a of arr) {
    if (a.group) {
      for (const m of a.group) out.push({ name: m.name || '', address: m.address || '' });
    } else {
      out.push({ name: a.name || '', address: a.address || '' });
    }
  }
  return out;
}

interface TextEntryItem {
  type: 'text' | 'subMessage';
  value: unknown;
}

/** A nested message in the body: its headers, shown the way forwards usually are. */
function forwardedHeaderBlock(sub: PostalMime.Email): string {
  const fmt = (a: Address[]): string => a.map((x) => (x.name ? `${x.name} <${x.address}>` : x.address)).join(', ');
  const lines = ['---------- Forwarded message ----------'];
  const from = flatten(sub.from);
  if (from.length) lines.push(`From: ${fmt(from)}`);
  if (sub.date) lines.push(`Date: ${sub.date}`);
  if (sub.subject) lines.push(`Subject: ${sub.subject}`);
  const to = flatten(sub.to);
  if (to.length) lines.push(`To: ${fmt(to)}`);
  return lines.join('\n');
}

/**
 * postal-mime joins every HTML part into one string; the reader must show each part
 * on its own so that one part's markup cannot reach into another. The parser keeps
 * the parts apart internally (`textMap`, one entry per alternative or leaf, in message
 * order), so they are read from there; if a later version drops it, fall back to the
 * joined body with a warning.
 */
function bodyPartsOf(parser: PostalMime, email: PostalMime.Email, warnings: string[]): { parts: BodyPart[]; text: string[] } {
  const textMap = (parser as unknown as { textMap?: Map<unknown, { html?: TextEntryItem[]; plain?: TextEntryItem[] }> }).textMap;
  if (!(textMap instanceof Map)) {
    warnings.push('HTML parts could not be kept apart by this MIME library version.');
    const parts: BodyPart[] = [];
    if (email.html) parts.push({ kind: 'html', content: email.html });
    else if (email.text) parts.push({ kind: 'text', content: email.text });
    return { parts, text: email.text ? [email.text] : [] };
  }
  const parts: BodyPart[] = [];
  const text: string[] = [];
  const render = (item: TextEntryItem, kind: BodyPart['kind']): BodyPart | undefined => {
    if (item.type === 'text' && typeof item.value === 'string') return { kind, content: item.value };
    if (item.type === 'subMessage' && item.value && typeof item.value === 'object') {
      return { kind: 'text', content: forwardedHeaderBlock(item.value as PostalMime.Email) };
    }
    return undefined;
  };
  for (const entry of textMap.values()) {
    const html = entry.html && entry.html.length ? entry.html : undefined;
    const plain = entry.plain && entry.plain.length ? entry.plain : undefined;
    // The reader shows the HTML alternative; the plain text prefers the text alternative.
    for (const item of html ?? plain ?? []) {
      const p = render(item, html ? 'html' : 'text');
      if (p) parts.push(p);
    }
    for (const item of plain ?? html ?? []) {
      const p = render(item, plain ? 'text' : 'html');
      if (p) text.push(p.kind === 'html' ? htmlToPlainText(p.content) : p.content);
    }
  }
  return { parts, text };
}

function toBytes(content: ArrayBuffer | Uint8Array | string): Uint8Array {
  if (typeof content === 'string') return Buffer.from(content, 'utf8');
  return content instanceof Uint8Array ? content : new Uint8Array(content);
}

/**
 * Parses a raw RFC 5322 message. Never throws for bad input and never runs unbounded:
 * over-limit messages come back with their headers, what fitted of the body,
 * `truncated: true` and a warning per limit hit.
 */
export async function parseMessage(raw: Buffer | Uint8Array, limits?: Partial<ParseLimits>): Promise<ParsedMessage> {
  const lim: Required<ParseLimits> = { ...DEFAULT_PARSE_LIMITS };
  for (const k of Object.keys(DEFAULT_PARSE_LIMITS) as Array<keyof ParseLimits>) {
    const v = limits?.[k];
    // A NaN or negative limit would silently switch the check off.
    if (typeof v === 'number' && Number.isFinite(v) && v >= 0) lim[k] = Math.floor(v);
  }
  const scan = prescan(raw, lim);
  const warnings = [...scan.warnings];
  let truncated = scan.truncated;

  const options: PostalMime.PostalMimeOptions = {
    attachmentEncoding: 'arraybuffer',
    // Backstops: the scan above already keeps the message inside these.
    maxNestingDepth: lim.maxDepth + 2,
    maxHeadersSize: Math.max(lim.maxHeaderBytes * 4, 1024 * 1024),
    maxRfc822NestingDepth: Math.min(3, lim.maxDepth),
  };
  let parser = new PostalMime(options);
  let email: PostalMime.Email;
  try {
    email = await parser.parse(scan.bytes);
  } catch (e) {
    // The body defeated the parser (or a backstop limit); keep what the headers say.
    truncated = true;
    warnings.push(`The message body could not be parsed: ${e instanceof Error ? e.message : String(e)}`);
    const headerOnly = readHeaderBlock(scan.bytes, 0, lim.maxHeaderBytes);
    parser = new PostalMime(options);
    try {
      email = await parser.parse(concat([...headerOnly.fields, Buffer.from('\r\n')]));
    } catch {
      email = { headers: [], headerLines: [], attachments: [] };
    }
  }

  const body = bodyPartsOf(parser, email, warnings);
  let bodyParts = body.parts;
  if (bodyParts.length > lim.maxParts) {
    bodyParts = bodyParts.slice(0, lim.maxParts);
    truncated = true;
    warnings.push(`Only the first ${lim.maxParts} body parts are shown.`);
  }
  let atts = email.attachments;
  if (atts.length > lim.maxParts) {
    atts = atts.slice(0, lim.maxParts);
    truncated = true;
    warnings.push(`Only the first ${lim.maxParts} attachments are listed.`);
  }
  const attachments: ParsedAttachment[] = atts.map((a, i) => {
    const content = toBytes(a.content);
    const cid = a.contentId ? a.contentId.trim().replace(/^<|>$/g, '') : undefined;
    return {
      id: `part-${i + 1}`,
      filename: a.filename || `attachment-${i + 1}`,
      mimeType: a.mimeType || 'application/octet-stream',
      size: content.length,
      ...(cid ? { contentId: cid } : {}),
      inline: a.disposition === 'inline' || a.related === true,
      content,
    };
  });

  const htmlParts = bodyParts.filter((b) => b.kind === 'html').map((b) => b.content);
  const textPieces = body.text.slice(0, lim.maxParts).filter((t) => t.trim() !== '');
  const text: string | undefined = textPieces.length ? textPieces.join('\n\n') : undefined;

  const dateValue = email.date ? new Date(email.date) : undefined;
  const references = (email.references || '').match(/<[^<>\s]+>/g) || [];
  return {
    ...(email.messageId ? { messageId: email.messageId.trim() } : {}),
    ...(email.inReplyTo ? { inReplyTo: email.inReplyTo.trim() } : {}),
    references,
    subject: email.subject || '',
    ...(email.from ? { from: flatten(email.from)[0] } : {}),
    to: flatten(email.to),
    cc: flatten(email.cc),
    bcc: flatten(email.bcc),
    replyTo: flatten(email.replyTo),
    ...(dateValue && !Number.isNaN(dateValue.getTime()) ? { date: dateValue } : {}),
    ...(text !== undefined ? { text } : {}),
    htmlParts,
    bodyParts,
    attachments,
    headers: email.headers.map((h) => ({ key: h.key, value: h.value })),
    truncated,
    warnings,
  };
}
