/**
 * Deterministic generator of realistic mail for the demo sandbox, tests and the benchmark.
 *
 * Everything comes from one seeded PRNG, so a seed always gives byte-identical messages:
 * tests can name a message by index and the benchmark is repeatable. Filler text is a fixed
 * corpus of sentences combined by the PRNG and attachment bytes are slices of one shared
 * pseudo-random block, because 10,000 bench messages must build in a few seconds.
 *
 * Output is plain RFC 5322 with CRLF line ends and only 7-bit bytes (UTF-8 text goes in
 * quoted-printable bodies and RFC 2047 encoded words), which every IMAP server accepts.
 */
import { deflateSync } from 'zlib';
import { escapeHtml } from '../shared/html';

export interface GeneratedMessage {
  raw: Buffer;
  /** The Message-ID header value, angle brackets included (as IMAP ENVELOPE returns it). */
  messageId: string;
  /** Decoded subject, Unicode as the user sees it. */
  subject: string;
  /** Bare address of the sender. */
  from: string;
  date: Date;
  /** INBOX | Sent | Drafts | Archive | Projects/Website | any folder named in options. */
  folder: string;
  flags: string[];
  /** Message-ID of the first message of the thread (the message itself when it starts one). */
  threadKey: string;
}

export interface MailgenOptions {
  seed?: number;
  count: number;
  now?: Date;
  /** Share of messages per folder; need not sum to 1. */
  folders?: Record<string, number>;
  sizeProfile?: 'bench' | 'demo';
  me?: { name: string; address: string };
}

export interface Person {
  name: string;
  address: string;
}

export interface AttachmentSpec {
  kind: 'pdf' | 'png' | 'csv';
  filename: string;
  /** Decoded size in bytes (approximate for PDF, exact for CSV, within a few hundred bytes for PNG). */
  size: number;
}

/** What renderMessage needs; generateStream fills it, callers can build their own. */
export interface MessageSpec {
  from: Person;
  to: Person[];
  cc?: Person[];
  subject: string;
  date: Date;
  /** Minutes east of UTC shown in the Date header. */
  tzOffset?: number;
  messageId: string;
  inReplyTo?: string;
  references?: string[];
  /** Paragraphs of the text body; the HTML body is derived from them. */
  paragraphs: string[];
  /** Quoted earlier message, shown below the reply. */
  quote?: { who: string; when: Date; text: string };
  html?: { table?: string[][]; links?: { text: string; href: string }[]; remoteImage?: string; newsletter?: boolean };
  inlineImage?: boolean;
  attachments?: AttachmentSpec[];
  extraHeaders?: [string, string][];
}

export const DEFAULT_ME: Person = { name: 'Sam Rivera', address: 'sam.rivera@example.test' };

/** Image the demo newsletter loads from the network, so remote-content blocking shows. */
export const REMOTE_BANNER_URL = 'https://newsletter.example/banner.png';

const DEFAULT_FOLDERS: Record<string, number> = {
  INBOX: 0.55,
  Sent: 0.2,
  Archive: 0.16,
  'Projects/Website': 0.08,
  Drafts: 0.01,
};

// ---------------------------------------------------------------------------------------
// PRNG

/** mulberry32: tiny, fast and good enough for test data. */
export class Rng {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }
  pick<T>(list: readonly T[]): T {
    return list[Math.floor(this.next() * list.length)];
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  /** Log-uniform: sizes of real mail spread over orders of magnitude, not evenly. */
  logUniform(min: number, max: number): number {
    return Math.round(Math.exp(Math.log(min) + this.next() * (Math.log(max) - Math.log(min))));
  }
  hex(len: number): string {
    let s = '';
    while (s.length < len) s += Math.floor(this.next() * 0x100000000).toString(16).padStart(8, '0');
    return s.slice(0, len);
  }
}

// ---------------------------------------------------------------------------------------
// Corpus

interface Contact extends Person {
  tz: number;
}

const FIRST = ['Olivia', 'Liam', 'Priya', 'Mateo', 'Chen', 'Amara', 'Noah', 'Fatima', 'Lukas', 'Hannah', 'Kenji', 'Isabel', 'Omar', 'Grace', 'Tomás', 'Ingrid', 'Daniel', 'Aisha', 'Viktor', 'Mei'];
const LAST = ['Johnson', 'Patel', 'García', 'Nakamura', 'Okafor', 'Schmidt', 'Kowalski', 'Larsen', 'Haddad', 'Brown', 'Nguyen', 'Rossi', 'Fischer', 'Silva', 'Dubois', 'Müller'];
// A few names whose display form needs RFC 2047, as real address books do.
const UNICODE_PEOPLE: [string, string][] = [
  ['Zoë Lefèvre', 'zoe.lefevre'],
  ['Søren Åberg', 'soren.aberg'],
  ['José Núñez', 'jose.nunez'],
  ['李伟 (Li Wei)', 'li.wei'],
  ['Ayşe Yılmaz', 'ayse.yilmaz'],
];
const ORGS = ['acme.example.test', 'northwind.example.test', 'globex.example.test', 'initech.example.test', 'example.test'];
const TZS = [-480, -300, -240, 0, 60, 120, 330, 540];

const WORK_SUBJECTS = [
  'Q{q} budget review',
  'Agenda for Thursday’s planning meeting',
  'Contract renewal with {org}',
  'Hiring plan for the platform team',
  'Onboarding checklist for {first}',
  'Customer escalation: {org} login issues',
  'Quarterly OKR draft',
  'Offsite logistics — hotel and travel',
  'Release 2.{n} go/no-go',
  'Invoice #{inv} overdue',
  'Security review findings',
  'Vendor comparison for the new CRM',
  'Draft press release for review',
  'Team lunch on Friday?',
  'Performance review schedule',
  'Update on the data migration',
  'Café meeting notes ☕',
  'Überblick: Roadmap {year}',
  'Question about your expense report',
  'Holiday coverage rota',
  'Incident postmortem: API latency on {day}',
  'Proposal for the {org} pilot',
  'Board deck — final numbers',
  'Feedback on the design doc',
];
const WEBSITE_SUBJECTS = [
  '[Website] Homepage redesign mockups',
  '[Website] Broken links on the pricing page',
  '[Website] Copy review for the About page',
  '[Website] SEO audit results',
  '[Website] Launch checklist ✅',
  '[Website] Cookie banner wording',
];
const NEWSLETTERS = [
  { name: 'The Weekly Byte', from: 'digest@newsletter.example.test', subject: 'The Weekly Byte #{n}: what changed in web tooling' },
  { name: 'Design Matters', from: 'hello@design.example.test', subject: 'Design Matters — {n} ideas for better forms' },
  { name: 'Cloud Ops Digest', from: 'news@cloudops.example.test', subject: 'Cloud Ops Digest: cost tips for {month}' },
];
const NOTIFICATIONS = [
  { name: 'CI Bot', from: 'ci@build.example.test', subject: '[CI] Build #{n} passed on main' },
  { name: 'CI Bot', from: 'ci@build.example.test', subject: '[CI] Build #{n} failed on release/2.{m}' },
  { name: 'Calendar', from: 'calendar@example.test', subject: 'Invitation: Sprint review @ {day} 15:00' },
  { name: 'Expenses', from: 'expenses@finance.example.test', subject: 'Your expense report #{n} was approved' },
];
const SENTENCES = [
  'Thanks for sending this over so quickly.',
  'I had a look at the numbers and they mostly line up with what we discussed last week.',
  'Could you double-check the figures in the second section before we share it more widely?',
  'The vendor confirmed the timeline, but they need the signed order form by Friday.',
  'Let me know if you have any questions or if anything is unclear.',
  'I think we should move the review to next Tuesday so that finance can join.',
  'Attached is the latest version with the comments from legal incorporated.',
  'We are still waiting on the final quote from procurement.',
  'The staging environment is back up and the smoke tests are green.',
  'Please add your availability to the shared calendar by end of day.',
  'I spoke with the customer this morning and they are happy with the proposed fix.',
  'One open question is whether we keep the legacy export or retire it this quarter.',
  'The draft looks good to me overall; I left a few small suggestions inline.',
  'Can we sync for fifteen minutes tomorrow to go through the open items?',
  'The new hire starts on Monday, so the laptop and accounts need to be ready.',
  'Budget for the offsite is approved, within the limits we agreed on.',
  'I have shared the folder with everyone on the thread.',
  'Our conversion rate went up slightly after the last change to the checkout flow.',
  'The root cause was a misconfigured connection pool on one of the API nodes.',
  'Going forward we will add an alert for that metric so it does not happen again.',
  'Happy to take this one if nobody else has capacity.',
  'The contract renewal includes a small price increase, which seems fair given the usage.',
  'Let us keep the scope small for the first release and iterate from there.',
  'I will be out of office on Thursday afternoon, but reachable by phone.',
  'Here is a quick summary of where things stand.',
  'Everyone agreed on the plan during the call, so we can proceed.',
  'The slides still need the updated chart from the analytics team.',
  'Please treat this as confidential until the announcement next week.',
  'We could also consider a phased rollout starting with the internal users.',
  'Thanks again for all the help on this — it made a real difference.',
  'Merci pour ton retour, on en reparle à la réunion de lundi.',
  'Die Präsentation ist fertig; ich schicke sie morgen früh herum.',
  'The numbers for São Paulo and Zürich are in the appendix.',
  'Reminder: the deadline for submissions is the end of the month.',
  'If we slip again, the launch moves into the holiday freeze, which nobody wants.',
];
const GREETINGS = ['Hi {first},', 'Hello {first},', 'Hey {first},', 'Dear {first},', '{first},', 'Hi all,'];
const SIGNOFFS = ['Best,', 'Thanks,', 'Cheers,', 'Kind regards,', 'Best regards,', 'Talk soon,'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

function fill(template: string, rng: Rng, date: Date): string {
  return template
    .replace('{q}', String(rng.int(1, 4)))
    .replace('{org}', rng.pick(['Northwind', 'Globex', 'Initech', 'Umbrella', 'Hooli']))
    .replace('{first}', rng.pick(FIRST))
    .replace('{n}', String(rng.int(3, 250)))
    .replace('{m}', String(rng.int(1, 9)))
    .replace('{inv}', String(rng.int(10000, 99999)))
    .replace('{year}', String(date.getUTCFullYear() + 1))
    .replace('{day}', DAYS[rng.int(1, 5)])
    .replace('{month}', MONTHS[date.getUTCMonth()]);
}

function makeContacts(rng: Rng, me: Person): Contact[] {
  const out: Contact[] = [];
  const seen = new Set<string>([me.address.toLowerCase()]);
  for (let i = 0; i < 28; i++) {
    const first = rng.pick(FIRST);
    const last = rng.pick(LAST);
    const local = ascii(`${first}.${last}`).toLowerCase();
    const address = `${local}@${rng.pick(ORGS)}`;
    if (seen.has(address)) continue;
    seen.add(address);
    out.push({ name: `${first} ${last}`, address, tz: rng.pick(TZS) });
  }
  for (const [name, local] of UNICODE_PEOPLE) out.push({ name, address: `${local}@${rng.pick(ORGS)}`, tz: rng.pick(TZS) });
  return out;
}

function ascii(s: string): string {
  return s.normalize('NFD').replace(/[^\x20-\x7e]/g, '');
}

// ---------------------------------------------------------------------------------------
// Encoding helpers

const CRLF = '\r\n';

function isAscii(s: string): boolean {
  return /^[ -~\t\r\n]*$/.test(s);
}

/** RFC 2047 B-encoding, split on character boundaries so no word exceeds 75 characters. */
export function encodeWords(text: string): string {
  if (isAscii(text)) return text;
  const words: string[] = [];
  let chunk = '';
  let bytes = 0;
  for (const ch of text) {
    const n = Buffer.byteLength(ch);
    if (bytes + n > 45) {
      words.push(chunk);
      chunk = '';
      bytes = 0;
    }
    chunk += ch;
    bytes += n;
  }
  if (chunk) words.push(chunk);
  return words.map((w) => `=?UTF-8?B?${Buffer.from(w, 'utf8').toString('base64')}?=`).join(CRLF + ' ');
}

function formatAddress(p: Person): string {
  if (!isAscii(p.name)) return `${encodeWords(p.name)} <${p.address}>`;
  if (/[^\w !#$%&'*+\-/=?^`{|}~]/.test(p.name)) return `"${p.name.replace(/(["\\])/g, '\\$1')}" <${p.address}>`;
  return `${p.name} <${p.address}>`;
}

function formatAddressList(list: Person[]): string {
  return list.map(formatAddress).join(',' + CRLF + ' ');
}

/** RFC 5322 date in the sender's own zone, as their mail client would write it. */
export function formatDate(date: Date, tzOffset = 0): string {
  const d = new Date(date.getTime() + tzOffset * 60000);
  const sign = tzOffset < 0 ? '-' : '+';
  const abs = Math.abs(tzOffset);
  const pad = (n: number) => String(n).padStart(2, '0');
  return (
    `${DAYS[d.getUTCDay()]}, ${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()} ` +
    `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} ${sign}${pad(Math.floor(abs / 60))}${pad(abs % 60)}`
  );
}

function wrap(text: string, width = 76): string[] {
  if (text.length <= width) return [text];
  const lines: string[] = [];
  let start = 0;
  while (text.length - start > width) {
    let cut = text.lastIndexOf(' ', start + width);
    if (cut <= start) cut = text.indexOf(' ', start + width);
    if (cut < 0) break;
    lines.push(text.slice(start, cut));
    start = cut + 1;
  }
  lines.push(text.slice(start));
  return lines;
}

/** Quoted-printable of UTF-8 text whose lines are already short; soft breaks keep lines <= 76. */
function encodeQP(text: string): string {
  const out: string[] = [];
  for (const line of text.split(CRLF)) {
    // Regex replace instead of a byte loop: this runs over every body of the benchmark.
    let enc = line.replace(/[=\u0080-\uffff]/g, (ch) => {
      let hex = '';
      for (const b of Buffer.from(ch, 'utf8')) hex += '=' + (b < 16 ? '0' : '') + b.toString(16).toUpperCase();
      return hex;
    });
    if (/[ \t]$/.test(enc)) enc = enc.slice(0, -1) + '=' + enc.charCodeAt(enc.length - 1).toString(16).toUpperCase().padStart(2, '0');
    while (enc.length > 76) {
      let cut = 75;
      // never split an =XX escape
      if (enc[cut - 1] === '=') cut -= 1;
      else if (enc[cut - 2] === '=') cut -= 2;
      out.push(enc.slice(0, cut) + '=');
      enc = enc.slice(cut);
    }
    out.push(enc);
  }
  return out.join(CRLF);
}

function textPart(type: 'plain' | 'html', body: string): string {
  if (isAscii(body)) {
    return `Content-Type: text/${type}; charset="utf-8"${CRLF}Content-Transfer-Encoding: 7bit${CRLF}${CRLF}${body}`;
  }
  return `Content-Type: text/${type}; charset="utf-8"${CRLF}Content-Transfer-Encoding: quoted-printable${CRLF}${CRLF}${encodeQP(body)}`;
}

function base64Lines(buf: Buffer): string {
  const b64 = buf.toString('base64');
  const parts: string[] = [];
  for (let i = 0; i < b64.length; i += 76) parts.push(b64.slice(i, i + 76));
  return parts.join(CRLF);
}

function multipart(type: string, boundary: string, parts: string[]): string {
  return (
    `Content-Type: multipart/${type};${CRLF} boundary="${boundary}"${CRLF}${CRLF}` +
    parts.map((p) => `--${boundary}${CRLF}${p}${CRLF}`).join('') +
    `--${boundary}--`
  );
}


// ---------------------------------------------------------------------------------------
// Binary attachments

let randomBlock: Buffer | undefined;
/** One shared block of noise: attachments are slices of it, so large ones cost no PRNG time. */
function noise(): Buffer {
  if (!randomBlock) {
    const rng = new Rng(0x5eed);
    randomBlock = Buffer.allocUnsafe(2 * 1024 * 1024 + 4096);
    for (let i = 0; i + 4 <= randomBlock.length; i += 4) randomBlock.writeUInt32LE(Math.floor(rng.next() * 0x100000000), i);
  }
  return randomBlock;
}

function noiseSlice(size: number, offset: number): Buffer {
  const block = noise();
  if (size <= block.length - (offset % 4096)) return block.subarray(offset % 4096, (offset % 4096) + size);
  const out = Buffer.allocUnsafe(size);
  for (let pos = 0; pos < size; pos += block.length) block.copy(out, pos, 0, Math.min(block.length, size - pos));
  return out;
}

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

function crc32(buf: Buffer): number {
  let c = 0xffffffff;
  for (let i = 0; i < buf.length; i++) c = CRC_TABLE[(c ^ buf[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function pngChunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, crc]);
}

/** A valid RGB PNG; pixels either a little logo (small) or stored noise (to reach a size). */
export function makePng(size: number): Buffer {
  let width: number;
  let height: number;
  let raw: Buffer;
  let level: number;
  if (size <= 20000) {
    width = 120;
    height = 40;
    raw = Buffer.alloc(height * (width * 3 + 1));
    for (let y = 0; y < height; y++) {
      const row = y * (width * 3 + 1);
      for (let x = 0; x < width; x++) {
        const inside = (x - 20) ** 2 + (y - 20) ** 2 < 225;
        raw[row + 1 + x * 3] = inside ? 0xf5 : 20 + x;
        raw[row + 2 + x * 3] = inside ? 0xa6 : 90 + y;
        raw[row + 3 + x * 3] = inside ? 0x23 : 180;
      }
    }
    level = 9;
  } else {
    width = 512;
    height = Math.max(1, Math.round(size / (width * 3 + 1)));
    raw = Buffer.from(noiseSlice(height * (width * 3 + 1), size));
    for (let y = 0; y < height; y++) raw[y * (width * 3 + 1)] = 0; // filter byte: none
    level = 0; // stored: noise would not compress anyway, and this keeps the size predictable
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // truecolour
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', deflateSync(raw, { level })),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

/** A small but well-formed PDF with text lines, padded with an unreferenced binary stream. */
export function makePdf(lines: string[], size: number): Buffer {
  const text = lines.map((l, i) => `BT /F1 14 Tf 72 ${720 - i * 22} Td (${ascii(l).replace(/([()\\])/g, '\\$1')}) Tj ET`).join('\n');
  const objects: Buffer[] = [
    Buffer.from('<< /Type /Catalog /Pages 2 0 R >>'),
    Buffer.from('<< /Type /Pages /Kids [3 0 R] /Count 1 >>'),
    Buffer.from('<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>'),
    Buffer.from(`<< /Length ${Buffer.byteLength(text)} >>\nstream\n${text}\nendstream`),
    Buffer.from('<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>'),
  ];
  const pad = Math.max(0, size - 900 - Buffer.byteLength(text));
  if (pad > 0) objects.push(Buffer.concat([Buffer.from(`<< /Length ${pad} >>\nstream\n`), noiseSlice(pad, size), Buffer.from('\nendstream')]));
  const chunks: Buffer[] = [Buffer.from('%PDF-1.4\n%\xe2\xe3\xcf\xd3\n', 'latin1')];
  let offset = chunks[0].length;
  const offsets: number[] = [];
  objects.forEach((body, i) => {
    offsets.push(offset);
    const obj = Buffer.concat([Buffer.from(`${i + 1} 0 obj\n`), body, Buffer.from('\nendobj\n')]);
    chunks.push(obj);
    offset += obj.length;
  });
  const xref =
    `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n` +
    offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('') +
    `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${offset}\n%%EOF\n`;
  chunks.push(Buffer.from(xref));
  return Buffer.concat(chunks);
}

function makeCsv(size: number, rng: Rng): Buffer {
  const rows = ['date,account,description,amount,currency'];
  let len = rows[0].length + 2;
  const descs = ['Cloud hosting', 'Office supplies', 'Travel', 'Software licence', 'Consulting', 'Café Léon catering'];
  while (len < size) {
    const row = `2025-${String(rng.int(1, 12)).padStart(2, '0')}-${String(rng.int(1, 28)).padStart(2, '0')},${rng.int(4000, 4999)},${rng.pick(descs)},${rng.int(5, 9999)}.${rng.int(10, 99)},EUR`;
    rows.push(row);
    len += Buffer.byteLength(row) + 2;
  }
  return Buffer.from(rows.join(CRLF) + CRLF, 'utf8').subarray(0, Math.max(size, 50));
}

function attachmentPart(a: AttachmentSpec, rng: Rng): string {
  let body: Buffer;
  let type: string;
  if (a.kind === 'pdf') {
    body = makePdf(['Invoice ' + a.filename.replace(/\.pdf$/, ''), 'Amount due: EUR 1,240.00', 'Due date: 30 days from issue', 'Thank you for your business.'], a.size);
    type = 'application/pdf';
  } else if (a.kind === 'png') {
    body = makePng(a.size);
    type = 'image/png';
  } else {
    body = makeCsv(a.size, rng);
    type = 'text/csv';
  }
  const name = isAscii(a.filename) ? `"${a.filename}"` : `"${encodeWords(a.filename)}"`;
  return (
    `Content-Type: ${type}; name=${name}${CRLF}Content-Disposition: attachment; filename=${name}${CRLF}` +
    `Content-Transfer-Encoding: base64${CRLF}${CRLF}${base64Lines(body)}`
  );
}

// ---------------------------------------------------------------------------------------
// Rendering

/** Renders one message as RFC 5322 bytes with CRLF line ends. */
export function renderMessage(spec: MessageSpec, rng: Rng = new Rng(1)): Buffer {
  const domain = spec.from.address.split('@')[1] || 'example.test';
  const h: string[] = [];
  for (const [k, v] of spec.extraHeaders || []) h.push(`${k}: ${v}`);
  h.push(`From: ${formatAddress(spec.from)}`);
  if (spec.to.length) h.push(`To: ${formatAddressList(spec.to)}`);
  if (spec.cc && spec.cc.length) h.push(`Cc: ${formatAddressList(spec.cc)}`);
  h.push(`Subject: ${encodeWords(spec.subject)}`);
  h.push(`Date: ${formatDate(spec.date, spec.tzOffset)}`);
  h.push(`Message-ID: ${spec.messageId}`);
  if (spec.inReplyTo) h.push(`In-Reply-To: ${spec.inReplyTo}`);
  if (spec.references && spec.references.length) h.push(`References: ${spec.references.join(CRLF + ' ')}`);
  h.push('MIME-Version: 1.0');

  const text = spec.paragraphs.map((p) => wrap(p).join(CRLF)).join(CRLF + CRLF) + quoteText(spec);
  const html = renderHtml(spec);
  const boundary = (n: string) => `----=_Part_${n}_${spec.messageId.slice(1, 13).replace(/[^\w.]/g, '')}`;

  let body = multipart('alternative', boundary('alt'), [textPart('plain', text), textPart('html', html)]);
  if (spec.inlineImage) {
    const png = makePng(4000);
    body = multipart('related', boundary('rel'), [
      body,
      `Content-Type: image/png; name="logo.png"${CRLF}Content-Disposition: inline; filename="logo.png"${CRLF}` +
        `Content-ID: <logo@${domain}>${CRLF}Content-Transfer-Encoding: base64${CRLF}${CRLF}${base64Lines(png)}`,
    ]);
  }
  if (spec.attachments && spec.attachments.length) {
    body = multipart('mixed', boundary('mix'), [body, ...spec.attachments.map((a) => attachmentPart(a, rng))]);
  }
  return Buffer.from(h.join(CRLF) + CRLF + body + CRLF, 'utf8');
}

function quoteText(spec: MessageSpec): string {
  if (!spec.quote) return '';
  const lines = wrap(spec.quote.text, 72).map((l) => '> ' + l);
  return `${CRLF}${CRLF}On ${formatDate(spec.quote.when)}, ${spec.quote.who} wrote:${CRLF}${lines.join(CRLF)}`;
}

function renderHtml(spec: MessageSpec): string {
  const o = spec.html || {};
  const out: string[] = [];
  if (o.newsletter) {
    out.push('<!DOCTYPE html>', '<html><head><meta charset="utf-8"><title>' + escapeHtml(spec.subject) + '</title></head>');
    out.push('<body style="margin:0;background:#f4f4f7;font-family:Arial,sans-serif">');
    out.push('<table role="presentation" width="100%" cellpadding="0" cellspacing="0"><tr><td align="center">');
    out.push('<table role="presentation" width="600" cellpadding="16" cellspacing="0" style="background:#ffffff">');
    if (o.remoteImage) out.push(`<tr><td><img src="${o.remoteImage}" width="568" height="120" alt="${escapeHtml(spec.from.name)}"></td></tr>`);
    out.push(`<tr><td><h1 style="font-size:22px">${escapeHtml(spec.subject)}</h1></td></tr>`);
    for (const p of spec.paragraphs) out.push(...wrap(`<tr><td style="font-size:15px;line-height:1.5">${escapeHtml(p)}</td></tr>`));
  } else {
    out.push('<html><body>', '<div dir="ltr" style="font-family:Calibri,Arial,sans-serif;font-size:14px">');
    if (spec.inlineImage) out.push(`<p><img src="cid:logo@${spec.from.address.split('@')[1]}" alt="Team logo" width="120" height="40"></p>`);
    for (const p of spec.paragraphs) out.push(...wrap(`<p>${escapeHtml(p)}</p>`));
  }
  if (o.table && o.table.length) {
    out.push('<table border="1" cellpadding="4" cellspacing="0" style="border-collapse:collapse">');
    o.table.forEach((row, i) => out.push('<tr>' + row.map((c) => (i === 0 ? `<th>${escapeHtml(c)}</th>` : `<td>${escapeHtml(c)}</td>`)).join('') + '</tr>'));
    out.push('</table>');
  }
  if (o.links && o.links.length) {
    out.push('<ul>');
    for (const l of o.links) out.push(`<li><a href="${escapeHtml(l.href)}">${escapeHtml(l.text)}</a></li>`);
    out.push('</ul>');
  }
  if (spec.quote) {
    out.push(`<div>On ${escapeHtml(formatDate(spec.quote.when))}, ${escapeHtml(spec.quote.who)} wrote:</div>`);
    out.push('<blockquote style="margin:0 0 0 .8ex;border-left:1px solid #ccc;padding-left:1ex">', ...wrap(escapeHtml(spec.quote.text)), '</blockquote>');
  }
  if (o.newsletter) {
    out.push('<tr><td style="font-size:12px;color:#888">You receive this because you subscribed. <a href="https://newsletter.example/unsubscribe?u=42">Unsubscribe</a></td></tr>');
    out.push('</table></td></tr></table></body></html>');
  } else {
    out.push('</div></body></html>');
  }
  return out.join(CRLF);
}

// ---------------------------------------------------------------------------------------
// The mailbox

interface ThreadState {
  key: string;
  subject: string;
  /** Everyone but me. */
  people: Contact[];
  ids: string[];
  last: { from: Person; date: Date; text: string; id: string };
  maxLen: number;
  website: boolean;
}

interface Plan {
  folder: string;
  special?: 'newsletter' | 'pdf' | 'inline' | 'draft';
}

/** Builds the whole mailbox in memory (demo and tests), and marks answered messages. */
export function generateMailbox(opts: MailgenOptions): GeneratedMessage[] {
  const all = [...generateStream(opts)];
  // \Answered can only be known once the reply exists, which a stream cannot go back for.
  const byId = new Map(all.map((m) => [m.messageId, m]));
  for (const m of all) {
    if (m.folder !== 'Sent') continue;
    const parent = /^In-Reply-To: (<[^>]+>)/m.exec(m.raw.subarray(0, 4096).toString('latin1'));
    const target = parent && byId.get(parent[1]);
    if (target && target.folder !== 'Sent' && !target.flags.includes('\\Answered')) target.flags.push('\\Answered');
  }
  return all;
}

/** Yields messages oldest first, holding only a few open threads in memory. */
export function* generateStream(opts: MailgenOptions): Generator<GeneratedMessage> {
  const rng = new Rng(opts.seed ?? 42);
  const me: Person = opts.me ?? DEFAULT_ME;
  const profile = opts.sizeProfile ?? 'bench';
  const demo = profile === 'demo';
  const count = Math.max(0, Math.floor(opts.count));
  const now = opts.now ?? new Date();
  const contacts = makeContacts(rng, me);

  const shares = { ...(opts.folders ?? DEFAULT_FOLDERS) };
  // The demo has exactly one draft, placed below; random drafts would crowd it.
  if (demo && !opts.folders) delete shares.Drafts;
  const folderNames = Object.keys(shares).filter((f) => shares[f] > 0);
  const total = folderNames.reduce((s, f) => s + shares[f], 0);
  const incomingFolder = folderNames.find((f) => f !== 'Sent' && f !== 'Drafts') ?? 'INBOX';
  const pickFolder = (): string => {
    let r = rng.next() * total;
    for (const f of folderNames) {
      r -= shares[f];
      if (r < 0) return f;
    }
    return folderNames[folderNames.length - 1] ?? 'INBOX';
  };

  const specials = new Map<number, Plan>();
  if (demo && count >= 12) {
    specials.set(count - 12, { folder: 'INBOX', special: 'inline' });
    specials.set(count - 7, { folder: 'INBOX', special: 'pdf' });
    specials.set(count - 3, { folder: 'Drafts', special: 'draft' });
    specials.set(count - 2, { folder: 'INBOX', special: 'newsletter' });
  }

  const spanMs = (demo ? 120 : 365) * 86400000;
  const start = now.getTime() - spanMs;
  const step = spanMs / Math.max(1, count);
  const open: ThreadState[] = [];

  for (let i = 0; i < count; i++) {
    // Spread evenly with jitter so dates ascend and the newest is shortly before `now`.
    const date = new Date(Math.floor(start + (i + 0.1 + rng.next() * 0.8) * step));
    const plan = specials.get(i) ?? { folder: pickFolder() };
    const recent = i >= count * 0.9;
    const fromMe = plan.folder === 'Sent' || plan.folder === 'Drafts';
    let flags: string[] = [];
    let spec: MessageSpec;
    let threadKey: string;

    const kindRoll = rng.next();
    if (plan.special === 'newsletter' || (!fromMe && !plan.special && kindRoll < 0.1)) {
      const nl = rng.pick(NEWSLETTERS);
      const sender: Person = { name: nl.name, address: nl.from };
      const remote = plan.special === 'newsletter' || rng.chance(0.5);
      spec = baseSpec(rng, sender, [me], fill(nl.subject, rng, date), date, 0);
      spec.paragraphs = fillerParagraphs(rng, 4, 6);
      spec.html = {
        newsletter: true,
        remoteImage: remote ? REMOTE_BANNER_URL : undefined,
        links: [
          { text: 'Read the full story', href: `https://newsletter.example/issues/${rng.int(100, 999)}` },
          { text: 'Events this month', href: 'https://newsletter.example/events' },
        ],
      };
      spec.extraHeaders = [
        ['List-Id', `${nl.name} <${nl.from.replace('@', '.')}>`],
        ['List-Unsubscribe', '<https://newsletter.example/unsubscribe?u=42>'],
      ];
      threadKey = spec.messageId;
    } else if (!fromMe && !plan.special && kindRoll < 0.16) {
      const n = rng.pick(NOTIFICATIONS);
      spec = baseSpec(rng, { name: n.name, address: n.from }, [me], fill(n.subject, rng, date), date, 0);
      spec.paragraphs = [rng.pick(SENTENCES), `Details: https://build.example.test/runs/${rng.int(1000, 9999)}`];
      spec.extraHeaders = [['Auto-Submitted', 'auto-generated']];
      threadKey = spec.messageId;
    } else {
      const website = plan.folder === 'Projects/Website';
      const candidates = open.filter((t) => t.website === website);
      const reply = candidates.length > 0 && plan.special !== 'inline' && (plan.special === 'draft' || rng.chance(demo ? 0.45 : 0.35));
      let thread: ThreadState;
      let sender: Contact | Person;
      let to: Person[];
      let cc: Person[] | undefined;
      if (reply) {
        // Recent threads get most replies, as in a real inbox.
        thread = candidates[candidates.length - 1 - Math.floor(rng.next() * rng.next() * candidates.length)];
        if (fromMe) {
          sender = me;
          to = [thread.last.from.address === me.address ? thread.people[0] : thread.last.from];
          cc = thread.people.filter((p) => p.address !== to[0].address);
        } else {
          const others = thread.people.filter((p) => p.address !== thread.last.from.address);
          sender = others.length ? rng.pick(others) : thread.people[0];
          to = [me, ...thread.people.filter((p) => p.address !== sender.address)];
        }
      } else {
        const people = pickPeople(rng, contacts, rng.int(1, 3));
        const subject = plan.special === 'inline' ? 'New team logo — what do you think?' : fill(rng.pick(website ? WEBSITE_SUBJECTS : WORK_SUBJECTS), rng, date);
        thread = { key: '', subject, people, ids: [], last: { from: me, date, text: '', id: '' }, maxLen: rng.int(2, demo ? 6 : 8), website };
        sender = fromMe ? me : people[0];
        to = fromMe ? [people[0]] : [me];
        cc = people.slice(1);
        if (!fromMe && cc.length === 0 && rng.chance(0.2)) cc = undefined;
        open.push(thread);
        if (open.length > 14) open.shift();
      }
      const subject = reply ? 'Re: ' + thread.subject : thread.subject;
      const tz = 'tz' in sender ? sender.tz : 60;
      spec = baseSpec(rng, sender, to, subject, date, tz);
      if (cc && cc.length) spec.cc = cc;
      const first = (sender.address === me.address ? to[0] : me).name.split(' ')[0];
      spec.paragraphs = [rng.pick(GREETINGS).replace('{first}', first), ...fillerParagraphs(rng, 1, 3), rng.pick(SIGNOFFS) + CRLF + sender.name.split(' ')[0]];
      if (reply) {
        spec.inReplyTo = thread.last.id;
        spec.references = thread.ids.slice(-10);
        spec.quote = { who: `${thread.last.from.name} <${thread.last.from.address}>`, when: thread.last.date, text: thread.last.text };
      }
      if (rng.chance(0.15)) spec.html = { table: makeTable(rng) };
      if (rng.chance(0.3)) spec.html = { ...spec.html, links: [{ text: 'Shared folder', href: `https://drive.example.test/folders/${rng.hex(10)}` }] };
      thread.ids.push(spec.messageId);
      if (!thread.key) thread.key = spec.messageId;
      thread.last = { from: sender, date, text: spec.paragraphs[1] ?? '', id: spec.messageId };
      if (thread.ids.length >= thread.maxLen) open.splice(open.indexOf(thread), 1);
      threadKey = thread.key;
    }

    // Attachments and sizes.
    if (plan.special === 'pdf') {
      spec.subject = spec.subject.startsWith('Re: ') ? spec.subject : `Invoice ${rng.int(10000, 99999)} for ${MONTHS[date.getUTCMonth()]}`;
      spec.attachments = [{ kind: 'pdf', filename: `invoice-${rng.int(1000, 9999)}.pdf`, size: 24000 }];
      flags.push('\\Flagged');
    } else if (plan.special === 'inline') {
      spec.inlineImage = true;
    } else if (rng.chance(0.02)) {
      const kind = rng.pick(['pdf', 'pdf', 'png', 'csv'] as const);
      const size = demo ? rng.logUniform(8000, 80000) : rng.logUniform(100 * 1024, 2 * 1024 * 1024);
      const ext = kind;
      const names = { pdf: ['report', 'contract', 'slides', 'proposal'], png: ['screenshot', 'diagram', 'photo'], csv: ['export', 'expenses', 'users'] }[kind];
      spec.attachments = [{ kind, filename: `${rng.pick(names)}-${rng.int(1, 99)}.${ext}`, size }];
    }
    let target = 0;
    if (!spec.attachments) {
      target = demo ? rng.logUniform(1500, 6000) : rng.logUniform(2200, 30 * 1024 - 300);
      padToSize(spec, target, rng);
    }

    if (fromMe) flags.push('\\Seen');
    else if (plan.special === 'newsletter' || (plan.folder !== 'Archive' && ((recent && rng.chance(0.5)) || rng.chance(0.03)))) {
      // unread
    } else flags.push('\\Seen');
    if (plan.folder === 'Drafts') flags.push('\\Draft');
    if (!plan.special && !fromMe && rng.chance(0.03)) flags.push('\\Flagged');
    flags = [...new Set(flags)];

    const folder = plan.folder === 'INBOX' && !folderNames.includes('INBOX') ? incomingFolder : plan.folder;
    if (plan.folder !== 'Sent' && plan.folder !== 'Drafts' && !fromMe) {
      spec.extraHeaders = [
        ...(spec.extraHeaders || []),
        ['Received', `from mail.${spec.from.address.split('@')[1]} (mail.${spec.from.address.split('@')[1]} [192.0.2.${rng.int(2, 250)}])${CRLF}\tby mx.example.test with ESMTPS id ${rng.hex(12)};${CRLF}\t${formatDate(date)}`],
      ];
    }
    if (plan.folder === 'Drafts') spec.extraHeaders = [...(spec.extraHeaders || []), ['X-Mozilla-Draft-Info', 'internal/draft; vcard=0; receipt=0']];
    let raw = renderMessage(spec, rng);
    // The estimate runs high for short messages; top up once so sizes keep to the profile.
    if (target && raw.length < target - 100) {
      padToSize(spec, target + (renderedSizeEstimate(spec) - raw.length), rng);
      raw = renderMessage(spec, rng);
    }
    yield { raw, messageId: spec.messageId, subject: spec.subject, from: spec.from.address, date, folder, flags, threadKey };
  }
}

function baseSpec(rng: Rng, from: Person, to: Person[], subject: string, date: Date, tz: number): MessageSpec {
  const domain = from.address.split('@')[1] || 'example.test';
  return { from, to, subject, date, tzOffset: tz, messageId: `<${date.getTime().toString(36)}.${rng.hex(12)}@${domain}>`, paragraphs: [] };
}

function pickPeople(rng: Rng, contacts: Contact[], n: number): Contact[] {
  const out: Contact[] = [];
  while (out.length < n) {
    const c = rng.pick(contacts);
    if (!out.includes(c)) out.push(c);
  }
  return out;
}

function fillerParagraphs(rng: Rng, min: number, max: number): string[] {
  const out: string[] = [];
  const n = rng.int(min, max);
  for (let i = 0; i < n; i++) {
    const s: string[] = [];
    const k = rng.int(2, 5);
    for (let j = 0; j < k; j++) s.push(sentence(rng, s[s.length - 1]));
    out.push(s.join(' '));
  }
  return out;
}

/** A corpus sentence, never the same one twice in a row. */
function sentence(rng: Rng, previous?: string): string {
  const s = rng.pick(SENTENCES);
  return s === previous ? SENTENCES[(SENTENCES.indexOf(s) + 1) % SENTENCES.length] : s;
}

function makeTable(rng: Rng): string[][] {
  const rows = [['Item', 'Owner', 'Due', 'Status']];
  const items = ['Budget sign-off', 'Vendor shortlist', 'Security review', 'Launch email', 'Training plan', 'Data export'];
  const n = rng.int(3, 6);
  for (let i = 0; i < n; i++) rows.push([rng.pick(items), rng.pick(FIRST), `${rng.int(1, 28)} ${rng.pick(MONTHS)}`, rng.pick(['Done', 'In progress', 'Blocked', 'Not started'])]);
  return rows;
}

/**
 * Adds filler until the rendered message is about `target` bytes. Text goes in twice (plain
 * and HTML), so each added sentence costs about twice its length.
 */
function padToSize(spec: MessageSpec, target: number, rng: Rng): void {
  const size = () => renderedSizeEstimate(spec);
  let current = size();
  if (current >= target) return;
  // Insert before the sign-off so the message still reads like mail.
  const at = Math.max(1, spec.paragraphs.length - 1);
  const extra: string[] = [];
  let para: string[] = [];
  while (current < target) {
    const s = sentence(rng, para[para.length - 1]);
    const cost = Buffer.byteLength(s) * 2 + 24;
    if (current + cost > target + 64) break;
    para.push(s);
    current += cost;
    if (para.length >= 5) {
      extra.push(para.join(' '));
      para = [];
      current += 16;
    }
  }
  if (para.length) extra.push(para.join(' '));
  spec.paragraphs.splice(at, 0, ...extra);
}

function renderedSizeEstimate(spec: MessageSpec): number {
  // Cheap stand-in for a full render: headers, both bodies, MIME scaffolding.
  let n = 900 + (spec.extraHeaders || []).reduce((s, [k, v]) => s + k.length + v.length + 4, 0);
  for (const p of spec.paragraphs) n += Buffer.byteLength(p) * 2 + 24;
  if (spec.quote) n += Buffer.byteLength(spec.quote.text) * 2 + 200;
  if (spec.references) n += spec.references.length * 40;
  if (spec.html?.table) n += spec.html.table.length * 80;
  if (spec.html?.newsletter) n += 900;
  return n;
}
