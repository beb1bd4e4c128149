import { convert } from 'html-to-text';
import { flattenDeepNesting, MAX_HTML_CHARS, sanitizeHtml, type SanitizeResult } from './sanitize';
import { escapeHtml } from '../../shared/html';

/**
 * Plain text of an HTML body: the fallback for HTML-only mail (search, previews, quoting
 * as text). Images are left out so tracker URLs do not turn up in the text, and depth
 * and size are capped because html-to-text walks the tree recursively.
 */
export function htmlToPlainText(html: string): string {
  return convert(flattenDeepNesting(html.slice(0, MAX_HTML_CHARS)), {
    wordwrap: false,
    limits: { maxInputLength: 4 * 1024 * 1024, maxDepth: 100, maxChildNodes: 20000, ellipsis: '…' },
    selectors: [
      { selector: 'img', format: 'skip' },
      { selector: 'style', format: 'skip' },
      { selector: 'script', format: 'skip' },
      { selector: 'title', format: 'skip' },
      { selector: 'a', options: { hideLinkSameAsText: true, ignoreHref: false } },
    ],
  }).trim();
}


// http(s) URLs, www. hosts and mailto:/bare addresses, as people write them in text.
const LINK_RE = /\b(?:(?:https?:\/\/|www\.)[^\s<>"]+|mailto:[^\s<>"]+|[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)/gi;

/** Trailing punctuation is part of the sentence, not of the URL; a closing paren only if unbalanced. */
function trimUrl(u: string): string {
  let out = u;
  for (;;) {
    const last = out[out.length - 1];
    if (/[.,;:!?'*]/.test(last)) {
      out = out.slice(0, -1);
    } else if (last === ')' && (out.match(/\(/g) || []).length < (out.match(/\)/g) || []).length) {
      out = out.slice(0, -1);
    } else {
      return out;
    }
  }
}

/**
 * A text part as safe HTML: escaped, whitespace kept, and URLs turned into the same
 * inert anchors the HTML sanitiser makes (the result goes through it, so there is one
 * link rule for both).
 */
export function textToSafeHtml(text: string): SanitizeResult {
  let html = '';
  let last = 0;
  for (const m of text.matchAll(LINK_RE)) {
    const raw = trimUrl(m[0]);
    const start = m.index ?? 0;
    html += escapeHtml(text.slice(last, start));
    const target = /^www\./i.test(raw) ? `https://${raw}` : raw.includes(':') || !raw.includes('@') ? raw : `mailto:${raw}`;
    html += `<a href="${escapeHtml(target)}">${escapeHtml(raw)}</a>`;
    last = start + raw.length;
  }
  html += escapeHtml(text.slice(last));
  return sanitizeHtml(`<div style="white-space:pre-wrap;overflow-wrap:anywhere">${html}</div>`, { allowRemote: false });
}
