import { createHash } from 'node:crypto';

/**
 * Deterministic RFC 5322 messages for tests: the same input always gives the same bytes,
 * so fixtures, Message-IDs and sizes are stable across runs. CRLF line endings throughout.
 */

export interface RawAttachment {
  filename: string;
  contentType?: string;
  content: Buffer | string;
  /** Set to make it an inline part referenced as cid:… from the HTML. */
  contentId?: string;
}

export interface RawMessageInput {
  from: string;
  to: string | string[];
  cc?: string | string[];
  subject: string;
  /** Default 2024-01-15T09:30:00Z, so messages without a date stay deterministic. */
  date?: Date;
  /** With or without angle brackets; default derived from a hash of the other fields. */
  messageId?: string;
  inReplyTo?: string;
  references?: string | string[];
  text?: string;
  html?: string;
  attachments?: RawAttachment[];
  /** Extra headers, e.g. { 'List-Id': '<rust.lists.example>' }. */
  headers?: Record<string, string>;
}

const DEFAULT_DATE = new Date('2024-01-15T09:30:00Z');
const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** RFC 5322 date in UTC, e.g. "Mon, 15 Jan 2024 09:30:00 +0000". */
export function rfc5322Date(d: Date): string {
  const p = (n: number): string => String(n).padStart(2, '0');
  return (
    `${DAYS[d.getUTCDay()]}, ${p(d.getUTCDate())} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()} ` +
    `${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000`
  );
}

const isAscii = (s: string): boolean => /^[\x20-\x7e]*$/.test(s);

/** RFC 2047 encoded-word for non-ASCII header text. */
function encodeHeader(value: string): string {
  if (isAscii(value)) return value;
  return `=?UTF-8?B?${Buffer.from(value, 'utf8').toString('base64')}?=`;
}

/** Encode only the display name of `Name <addr>`; the address itself must stay ASCII. */
function encodeAddress(value: string): string {
  const m = /^\s*"?(.*?)"?\s*<([^>]+)>\s*$/.exec(value);
  if (!m) return value;
  const name = m[1];
  if (!name) return `<${m[2]}>`;
  if (!isAscii(name)) return `${encodeHeader(name)} <${m[2]}>`;
  // RFC 5322 specials in a display name need a quoted string.
  const shown = /[()<>@,;:\\".[\]]/.test(name) ? `"${name.replace(/(["\\])/g, '\\$1')}"` : name;
  return `${shown} <${m[2]}>`;
}

function bracket(id: string): string {
  const t = id.trim();
  return t.startsWith('<') ? t : `<${t}>`;
}

const list = (v: string | string[]): string[] => (Array.isArray(v) ? v : [v]);

function crlf(text: string): string {
  return text.replace(/\r?\n/g, '\r\n');
}

function base64Lines(data: Buffer): string {
  return (data.toString('base64').match(/.{1,76}/g) ?? []).join('\r\n');
}

function textPart(type: 'plain' | 'html', body: string): string {
  const ascii = /^[ -~\t\r\n]*$/.test(body);
  // Long or non-ASCII bodies go as base64 so no line exceeds the 998-octet limit.
  const longLine = body.split(/\r?\n/).some((l) => l.length > 900);
  if (ascii && !longLine) {
    return `Content-Type: text/${type}; charset=utf-8\r\nContent-Transfer-Encoding: 7bit\r\n\r\n${crlf(body)}`;
  }
  return (
    `Content-Type: text/${type}; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n` +
    base64Lines(Buffer.from(crlf(body), 'utf8'))
  );
}

function multipart(subtype: string, boundary: string, parts: string[]): string {
  return (
    `Content-Type: multipart/${subtype}; boundary="${boundary}"\r\n\r\n` +
    parts.map((p) => `--${boundary}\r\n${p}\r\n`).join('') +
    `--${boundary}--`
  );
}

function attachmentPart(a: RawAttachment): string {
  const data = typeof a.content === 'string' ? Buffer.from(a.content, 'utf8') : a.content;
  const name = encodeHeader(a.filename);
  const type = a.contentType ?? 'application/octet-stream';
  const disposition = a.contentId ? 'inline' : 'attachment';
  const cid = a.contentId ? `Content-ID: ${bracket(a.contentId)}\r\n` : '';
  return (
    `Content-Type: ${type}; name="${name}"\r\n` +
    `Content-Disposition: ${disposition}; filename="${name}"\r\n` +
    cid +
    `Content-Transfer-Encoding: base64\r\n\r\n` +
    base64Lines(data)
  );
}

/** Build a complete message (headers + MIME body) as a string with CRLF line endings. */
export function rawMessage(m: RawMessageInput): string {
  const date = m.date ?? DEFAULT_DATE;
  const seed = JSON.stringify([m.from, m.to, m.cc, m.subject, date.toISOString(), m.inReplyTo, m.text, m.html]);
  const hash = createHash('sha256').update(seed).digest('hex');
  const messageId = bracket(m.messageId ?? `${hash.slice(0, 24)}@maildesk.test`);
  const boundary = (n: number): string => `----=_maildesk_${hash.slice(0, 12)}_${n}`;

  const headers: string[] = [
    `From: ${encodeAddress(m.from)}`,
    `To: ${list(m.to).map(encodeAddress).join(', ')}`,
  ];
  if (m.cc !== undefined) headers.push(`Cc: ${list(m.cc).map(encodeAddress).join(', ')}`);
  headers.push(`Subject: ${encodeHeader(m.subject)}`, `Date: ${rfc5322Date(date)}`, `Message-ID: ${messageId}`);
  if (m.inReplyTo) headers.push(`In-Reply-To: ${bracket(m.inReplyTo)}`);
  if (m.references !== undefined) headers.push(`References: ${list(m.references).map(bracket).join(' ')}`);
  for (const [k, v] of Object.entries(m.headers ?? {})) headers.push(`${k}: ${v}`);
  headers.push('MIME-Version: 1.0');

  const text = m.text ?? (m.html === undefined ? '' : undefined);
  let body: string;
  if (text !== undefined && m.html !== undefined) {
    body = multipart('alternative', boundary(1), [textPart('plain', text), textPart('html', m.html)]);
  } else if (m.html !== undefined) {
    body = textPart('html', m.html);
  } else {
    body = textPart('plain', text ?? '');
  }
  if (m.attachments?.length) {
    body = multipart('mixed', boundary(0), [body, ...m.attachments.map(attachmentPart)]);
  }
  return headers.join('\r\n') + '\r\n' + body + '\r\n';
}
