/**
 * The composer's body: what the user writes (Markdown or plain text) turned into the
 * message's HTML and plain-text parts (the signature rules are in ./signature.ts). Pure functions.
 *
 * Markdown is rendered with markdown-it: CommonMark-compliant, maintained, no runtime
 * dependencies of note, already in the dependency tree (vsce uses it), and with `html`
 * off every raw tag the user types is escaped rather than passed through, so a body
 * cannot carry script or remote content into the message by accident. Its link check
 * (`validateLink`) already refuses `javascript:`, `vbscript:`, `file:` and most `data:`;
 * images are switched off as well, because an image in a message must be an attachment,
 * never a URL the recipient's client fetches.
 */
import MarkdownIt from 'markdown-it';
import { escapeHtml } from '../../shared/html';

export type BodyFormat = 'markdown' | 'plain';

// The signature rules live in ./signature.ts, without markdown-it (VS Code's compose code
// needs them at activation: scripts/extensionBundles.mjs).
export { SIGNATURE_DELIMITER, signatureBlock, swapSignature, withSignature } from './signature';

const md = new MarkdownIt({ html: false, linkify: true, breaks: true, typographer: false });
md.disable(['image']);
// Links to the web and mail only; markdown-it's own check stays, this is the stricter one.
const defaultValidate = md.validateLink.bind(md);
md.validateLink = (url: string): boolean => defaultValidate(url) && /^(https?:|mailto:|#|[^:]*$)/i.test(url.trim());

/** Markdown to HTML for a message body (no raw HTML, no images, links to http(s)/mailto only). */
export function renderMarkdown(source: string): string {
  return md.render(source.replace(/\r\n?/g, '\n'));
}


/** Plain text as HTML that keeps its line breaks (used when plain text is sent with an HTML quote). */
export function plainToHtml(text: string): string {
  return `<div style="white-space:pre-wrap">${escapeHtml(text.replace(/\r\n?/g, '\n'))}</div>`;
}

/** The quoted original of a reply or forward, as the core's replyDraft/forwardDraft built it. */
export interface Quote {
  html: string;
  text: string;
}

export interface BodyParts {
  /** Absent for plain text with nothing quoted: the message is then text/plain only. */
  html?: string;
  text: string;
}

/**
 * The message's two parts. The plain-text part of a Markdown body is the Markdown itself
 * (it was designed to read as plain text); quoted text follows the user's own text in
 * both parts, the HTML quote being the reader's sanitised HTML.
 */
export function buildBodies(body: string, format: BodyFormat, quote?: Quote): BodyParts {
  const own = body.replace(/\r\n?/g, '\n').replace(/\s+$/, '');
  const quoteText = quote?.text.replace(/^\n+/, '').replace(/\n+$/, '') ?? '';
  const text = quoteText ? `${own}\n\n${quoteText}\n` : `${own}\n`;
  if (format === 'plain' && !quote) return { text };
  const ownHtml = format === 'markdown' ? renderMarkdown(own) : plainToHtml(own);
  return { html: quote ? `${ownHtml}${quote.html}` : ownHtml, text };
}
