import * as l10n from '@vscode/l10n';
import { parseMessage, type Address, type ParsedAttachment, type ParsedMessage, type ParseLimits } from '../mime/parse';
import { MAX_HTML_CHARS, sanitizeHtml, type RemoteKind, type SanitizeOptions, type SanitizeResult } from './sanitize';
import { isolatedPartHtml } from './isolate';
import { textToSafeHtml } from './text';

export interface RenderedMessage {
  parsed: ParsedMessage;
  /** One per body part in message order: each HTML part sanitised on its own, text parts escaped. */
  bodies: SanitizeResult[];
  blockedCount: number;
  /** Whether remote images were let through; the standalone page's CSP follows it. */
  allowRemote: boolean;
}

// Inline images bigger than this are not inlined as data: URLs (the host should serve
// them through a webview URI instead).
const MAX_DATA_URL_BYTES = 1024 * 1024;
const DATA_URL_TYPES = new Set(['image/png', 'image/jpeg', 'image/jpg', 'image/gif', 'image/webp', 'image/bmp', 'image/avif']);

/**
 * A `cid:` resolver that inlines the message's own small raster images as data: URLs.
 * SVG is never inlined: it is a document that can carry script.
 */
export function cidDataUrlResolver(attachments: ParsedAttachment[], maxBytes = MAX_DATA_URL_BYTES): (cid: string) => string | undefined {
  const byCid = new Map<string, ParsedAttachment>();
  for (const a of attachments) if (a.contentId && !byCid.has(a.contentId)) byCid.set(a.contentId, a);
  return (cid) => {
    const a = byCid.get(cid);
    if (!a || !DATA_URL_TYPES.has(a.mimeType.toLowerCase()) || a.size > maxBytes) return undefined;
    return `data:${a.mimeType.toLowerCase()};base64,${Buffer.from(a.content).toString('base64')}`;
  };
}

/**
 * Parses and sanitises a raw message for the reader. Without a `cidUrl` hook, the
 * message's small inline images are inlined as data: URLs.
 */
export async function renderMessage(raw: Buffer, opts: SanitizeOptions, limits?: Partial<ParseLimits>): Promise<RenderedMessage> {
  const parsed = await parseMessage(raw, limits);
  const sopts: SanitizeOptions = { allowRemote: opts.allowRemote, cidUrl: opts.cidUrl ?? cidDataUrlResolver(parsed.attachments) };
  // One budget for the whole message: five 4 MB parts are 20 MB in one view, not five views.
  let budget = MAX_HTML_CHARS;
  const bodies: SanitizeResult[] = [];
  for (const p of parsed.bodyParts) {
    if (budget <= 0) {
      if (p.content) bodies.push({ html: '', blocked: [], links: [], truncated: true });
      continue;
    }
    const r = p.kind === 'html' ? sanitizeHtml(p.content, { ...sopts, maxChars: budget }) : textToSafeHtml(p.content.slice(0, budget));
    if (p.kind !== 'html' && p.content.length > budget) r.truncated = true;
    budget -= Math.min(p.content.length, budget);
    bodies.push(r);
  }
  if (bodies.length === 0) bodies.push(textToSafeHtml((parsed.text ?? '').slice(0, MAX_HTML_CHARS)));
  const blockedCount = bodies.reduce((n, b) => n + b.blocked.length, 0);
  return { parsed, bodies, blockedCount, allowRemote: opts.allowRemote };
}

/** What the reader says about a message shown in part: cut at the budget, or styles dropped. */
export function bodyNotices(bodies: SanitizeResult[]): string[] {
  const out: string[] = [];
  if (bodies.some((b) => b.truncated)) out.push('Part of the HTML was too long and is not shown.');
  const styles = bodies.reduce((n, b) => n + (b.stylesDropped ?? 0), 0);
  if (styles) out.push(`${styles === 1 ? 'A style block' : `${styles} style blocks`} of this message could not be used (too large or unreadable), so it may look different from what the sender meant.`);
  return out;
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

function fmtAddresses(list: Address[]): string {
  return list.map((a) => (a.name ? `${a.name} <${a.address}>` : a.address)).join(', ');
}

/** Functions: the words are looked up when used, after the l10n bundle is configured. */
const KIND_WORDS: Record<RemoteKind, (n: number) => string> = {
  image: (n) => (n === 1 ? l10n.t('{0} image', n) : l10n.t('{0} images', n)),
  css: (n) => (n === 1 ? l10n.t('{0} stylesheet', n) : l10n.t('{0} stylesheets', n)),
  font: (n) => (n === 1 ? l10n.t('{0} font', n) : l10n.t('{0} fonts', n)),
  media: (n) => (n === 1 ? l10n.t('{0} media file', n) : l10n.t('{0} media files', n)),
  other: (n) => (n === 1 ? l10n.t('{0} other item', n) : l10n.t('{0} other items', n)),
};

/** "3 images, 1 stylesheet": what the banner says was blocked. */
export function describeBlocked(blocked: Array<{ kind: RemoteKind }>): string {
  const counts = new Map<RemoteKind, number>();
  for (const b of blocked) counts.set(b.kind, (counts.get(b.kind) ?? 0) + 1);
  return [...counts.entries()].map(([k, n]) => KIND_WORDS[k](n)).join(', ');
}

const PAGE_CSS = `
body{font:14px/1.5 system-ui,sans-serif;margin:0;color:#222;background:#fff}
.maildesk-head{padding:12px 16px;border-bottom:1px solid #ddd;background:#f6f6f6}
.maildesk-head dt{float:left;clear:left;width:5em;color:#666}
.maildesk-head dd{margin-left:5.5em}
.maildesk-banner{padding:8px 16px;background:#fff4ce;border-bottom:1px solid #e0c97f}
.maildesk-banner ul{margin:4px 0 0;padding-left:20px;font-size:12px;color:#555;word-break:break-all}
.maildesk-warn{padding:8px 16px;background:#fde7e9;border-bottom:1px solid #e8a3aa}
.maildesk-part{padding:16px;overflow:auto;contain:layout paint;position:relative;isolation:isolate}
.maildesk-part+.maildesk-part{border-top:1px dashed #ccc}
.md-part{display:block;position:relative;contain:layout paint;overflow:auto}
.maildesk-atts{padding:8px 16px;border-top:1px solid #ddd;color:#444}
img[data-maildesk-blocked]{display:inline-block;min-width:16px;min-height:16px;border:1px dashed #bbb;color:#888;font-size:11px}
a[data-maildesk-href]{color:#0b62d6}
`;

/**
 * The message as one self-contained page, as `maildesk render` prints it. The CSP lets
 * nothing load but inline styles and data: images (plus https: images when remote
 * content was allowed), so even a sanitiser bug cannot make a request or run a script.
 */
export function renderToStandaloneHtml(r: RenderedMessage): string {
  const p = r.parsed;
  const csp = `default-src 'none'; img-src data:${r.allowRemote ? ' https:' : ''}; style-src 'unsafe-inline'; form-action 'none'; base-uri 'none'`;
  const head: string[] = [];
  const row = (k: string, v: string): void => {
    if (v) head.push(`<dt>${esc(k)}</dt><dd>${esc(v)}</dd>`);
  };
  row('From', p.from ? fmtAddresses([p.from]) : '');
  row('To', fmtAddresses(p.to));
  row('Cc', fmtAddresses(p.cc));
  row('Date', p.date ? p.date.toUTCString() : '');
  row('Subject', p.subject);

  const blocked = r.bodies.flatMap((b) => b.blocked);
  let banner = '';
  if (blocked.length > 0) {
    const items = blocked.map((b) => `<li>${esc(b.kind)}: ${esc(b.url)}</li>`).join('');
    banner = `<div class="maildesk-banner" role="status"><strong>Remote content blocked:</strong> ${esc(describeBlocked(blocked))}.${
      r.allowRemote ? '' : ' Run with --allow-remote to load images.'
    }<ul>${items}</ul></div>`;
  }
  const warnings = [...p.warnings];
  warnings.push(...bodyNotices(r.bodies));
  const warn = warnings.length ? `<div class="maildesk-warn" role="alert">${warnings.map(esc).join('<br>')}</div>` : '';
  const parts = r.bodies.map((b) => `<section class="maildesk-part">${isolatedPartHtml(b.html)}</section>`).join('\n');
  const atts = p.attachments.filter((a) => !a.inline);
  const attList = atts.length
    ? `<div class="maildesk-atts">Attachments: ${atts.map((a) => `${esc(a.filename)} (${esc(a.mimeType)}, ${a.size} bytes)`).join('; ')}</div>`
    : '';
  return `<!DOCTYPE html>
<html><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${esc(csp)}">
<meta name="referrer" content="no-referrer">
<title>${esc(p.subject || '(no subject)')}</title>
<style>${PAGE_CSS}</style>
</head><body>
<dl class="maildesk-head">${head.join('')}</dl>
${banner}${warn}
${parts}
${attList}
</body></html>
`;
}
