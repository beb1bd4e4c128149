import sanitize = require('sanitize-html');
import { parse as parseCss, type ChildNode as CssNode, type Declaration } from 'postcss';
import { Parser } from 'htmlparser2';
import { scopeSelectorList } from './cssScope';
import { boundCssCost } from './cssCost';
import { countElement, generatedBoxes, MAX_GENERATED_BOXES, MAX_QUOTE_ELEMENTS, newElementCounts, type ElementCounts } from './generatedContent';
import { readCssValue } from './cssValue';

/**
 * Mail HTML is hostile. This module turns it into a fragment that can be shown in the
 * thread view (and quoted in replies) with no script, no form, no navigation and, unless
 * the user allowed it, no network request.
 *
 * Layers, outermost first:
 *  1. sanitize-html with a short tag/attribute allowlist (everything else is dropped);
 *  2. a transform on every tag that rewrites each URL-bearing attribute through one URL
 *     classifier (links become inert anchors carrying the real target, remote loads are
 *     removed and reported, `cid:` goes through the host's hook);
 *  3. a CSS sanitiser for `style` attributes and `<style>` blocks: CSS escapes and comments
 *     are resolved first, then every `url()` is classified like any other URL, and only a
 *     short list of CSS functions survives (sanitize-html itself passes `<style>` through raw);
 *     every selector is checked and scoped to the message's own box (cssScope.ts), and what
 *     each declaration may cost the renderer is bounded (cssCost.ts: no freezing the view).
 * Every rewritten element keeps its origin in a `data-maildesk-*` attribute that is
 * re-validated on input, so sanitising the output again gives the same output.
 */

export type RemoteKind = 'image' | 'css' | 'font' | 'media' | 'other';

export interface SanitizeOptions {
  /** Keep remote http(s) images (still never any other scheme). */
  allowRemote: boolean;
  /**
   * Maps a `cid:` reference to a URL the host serves (a webview URI or a small data URL).
   * Only `https:` and `data:image/{png,jpeg,gif,webp,bmp,avif};base64,` results are used.
   */
  cidUrl?: (cid: string) => string | undefined;
  /**
   * How much of the input may be rendered (default MAX_HTML_CHARS). A message's parts
   * share one budget: renderMessage passes each part what the parts before it left.
   */
  maxChars?: number;
}

export interface SanitizeResult {
  html: string;
  blocked: Array<{ kind: RemoteKind; url: string }>;
  links: Array<{ text: string; href: string }>;
  /** Set when the input was longer than its budget and only its start was rendered. */
  truncated?: boolean;
  /** How many `<style>` blocks were dropped whole (too large or unreadable); the page says so. */
  stylesDropped?: number;
  /** The remote URLs left in the output (only with allowRemote): the page's CSP allows their origins and no others. */
  loaded?: string[];
}

/** Bigger HTML than this is not rendered whole: sanitising is linear but the webview is not. */
export const MAX_HTML_CHARS = 4 * 1024 * 1024;
const MAX_CSS_CHARS = 512 * 1024;
// Chromium flattens DOM depth past 512 anyway; real mail nests tables a few dozen deep.
const NESTING_LIMIT = 100;

const ALLOWED_TAGS = [
  'a', 'abbr', 'acronym', 'address', 'article', 'aside', 'b', 'bdi', 'bdo', 'big', 'blockquote', 'br',
  'caption', 'center', 'cite', 'code', 'col', 'colgroup', 'dd', 'del', 'dfn', 'div', 'dl', 'dt', 'em',
  'figcaption', 'figure', 'font', 'footer', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'header', 'hgroup', 'hr',
  'i', 'img', 'ins', 'kbd', 'li', 'main', 'mark', 'nav', 'ol', 'p', 'pre', 'q', 'rp', 'rt', 'ruby', 's',
  'samp', 'section', 'small', 'span', 'strike', 'strong', 'sub', 'sup', 'table', 'tbody', 'td', 'tfoot',
  'th', 'thead', 'time', 'tr', 'tt', 'u', 'ul', 'var', 'wbr',
];

// Dropped with their content: raw-text or foreign-content elements whose parsing differs
// between htmlparser2 and a browser (the root of mXSS), and ones that only hold code.
const NON_TEXT_TAGS = [
  'script', 'style', 'textarea', 'option', 'select', 'noscript', 'noembed', 'noframes', 'title', 'template',
  'svg', 'math', 'object', 'iframe', 'frame', 'frameset', 'applet', 'xmp', 'plaintext', 'datalist', 'head',
];

// `id` and `name` are left out on purpose: they would let the message clobber globals of
// the webview's own script (DOM clobbering).
const COMMON_ATTRS = ['style', 'class', 'title', 'dir', 'lang', 'align', 'valign', 'width', 'height', 'bgcolor', 'color', 'border'];
const TAG_ATTRS: Record<string, string[]> = {
  a: ['href', 'data-maildesk-href'],
  img: ['src', 'srcset', 'alt', 'data-maildesk-cid', 'data-maildesk-blocked', 'hspace', 'vspace'],
  table: ['cellpadding', 'cellspacing', 'background', 'summary', 'frame', 'rules'],
  td: ['colspan', 'rowspan', 'nowrap', 'background', 'scope', 'headers', 'abbr'],
  th: ['colspan', 'rowspan', 'nowrap', 'background', 'scope', 'headers', 'abbr'],
  tr: ['background'],
  tbody: ['background'],
  thead: ['background'],
  tfoot: ['background'],
  div: ['background'],
  col: ['span'],
  colgroup: ['span'],
  font: ['face', 'size'],
  ol: ['start', 'type', 'reversed'],
  ul: ['type'],
  li: ['type'],
  hr: ['size', 'noshade'],
  br: ['clear'],
  time: ['datetime'],
  bdo: ['dir'],
  span: ['data-maildesk-href'],
};
const ALLOWED_ATTRIBUTES: Record<string, string[]> = { '*': COMMON_ATTRS };
for (const [tag, attrs] of Object.entries(TAG_ATTRS)) ALLOWED_ATTRIBUTES[tag] = attrs;
delete ALLOWED_ATTRIBUTES.span; // span only carries common attributes

// Attributes through which an element loads something. Any remote URL in one of these
// that does not survive into the output is reported as blocked.
const RESOURCE_ATTRS = new Set([
  'src', 'lowsrc', 'dynsrc', 'srcset', 'imagesrcset', 'background', 'poster', 'data', 'codebase', 'archive',
  'code', 'xlink:href', 'icon', 'manifest', 'profile',
]);

type UrlClass =
  | { kind: 'remote'; href: string }
  | { kind: 'mailto'; href: string }
  | { kind: 'cid'; cid: string }
  | { kind: 'data' }
  | { kind: 'relative' }
  | { kind: 'other' };

/** What a browser does to a URL attribute before reading its scheme. */
function normalizeUrlText(raw: string): string {
  // eslint-disable-next-line no-control-regex
  return raw.replace(/[\t\n\r]/g, '').replace(/^[\u0000-\u0020]+|[\u0000-\u0020]+$/g, '');
}

/** The one place a URL's fate is decided: every attribute and every CSS url() comes here. */
export function classifyUrl(raw: string): UrlClass {
  const s = normalizeUrlText(raw);
  if (s === '') return { kind: 'relative' };
  // `//host` and `\\host` are network references relative to the page's scheme.
  if (/^[\\/]{2}/.test(s)) {
    try {
      const u = new URL(s.replace(/\\/g, '/'), 'https://invalid.invalid/');
      return { kind: 'remote', href: u.href };
    } catch {
      return { kind: 'other' };
    }
  }
  const m = /^([a-zA-Z][a-zA-Z0-9+.-]*):/.exec(s);
  if (!m) return { kind: 'relative' };
  const scheme = m[1].toLowerCase();
  if (scheme === 'http' || scheme === 'https') {
    try {
      const u = new URL(s);
      if ((u.protocol === 'http:' || u.protocol === 'https:') && u.hostname) return { kind: 'remote', href: u.href };
    } catch {
      /* falls through: an unparsable URL is inert */
    }
    return { kind: 'other' };
  }
  if (scheme === 'mailto') {
    try {
      const u = new URL(s);
      return { kind: 'mailto', href: u.href };
    } catch {
      return { kind: 'other' };
    }
  }
  if (scheme === 'cid') {
    let cid = s.slice(4);
    try {
      cid = decodeURIComponent(cid);
    } catch {
      /* keep it encoded */
    }
    cid = cid.trim().replace(/^<|>$/g, '');
    return cid ? { kind: 'cid', cid } : { kind: 'other' };
  }
  if (scheme === 'data') return { kind: 'data' };
  return { kind: 'other' };
}

const SAFE_DATA_IMAGE = /^data:image\/(?:png|jpeg|jpg|gif|webp|bmp|avif);base64,[A-Za-z0-9+/]+={0,2}$/i;

/** A URL from the host's cid hook, if it is one we let through. */
function hostUrl(u: string | undefined): string | undefined {
  if (!u) return undefined;
  if (SAFE_DATA_IMAGE.test(u)) return u;
  try {
    const x = new URL(u);
    if (x.protocol === 'https:') return x.href;
  } catch {
    /* not a URL */
  }
  return undefined;
}

interface Ctx {
  opts: SanitizeOptions;
  blocked: Array<{ kind: RemoteKind; url: string }>;
  /** Remote URLs that made it into the output (allowRemote); every other one seen is blocked. */
  kept: Set<string>;
  anchorDepth: number;
  /**
   * Set while sanitising a rule whose matching depends on something outside the message's
   * own content (a media query, hover, focus, visited): its remote url()s are dropped even
   * when remote content is allowed, so no load tells the sender what the reader does.
   */
  conditional: boolean;
  stylesDropped: number;
  /** The message's elements by type, class and id (generatedContent.ts). */
  elements: ElementCounts;
  /** Boxes of generated content the rules kept so far may still add. */
  generatedLeft: number;
  /** `<q>` elements seen so far. */
  quotes: number;
}

function block(ctx: Ctx, kind: RemoteKind, url: string): void {
  ctx.blocked.push({ kind, url });
}

// ---------------------------------------------------------------------------------------
// CSS

// Functions that can neither load nor run anything. `url()` is handled on its own;
// `image()`, `image-set()`, `element()`, `paint()`, `expression()`, `var()`, `attr()`
// and the rest are dropped with their declaration.
const SAFE_CSS_FUNCS = new Set([
  '', 'rgb', 'rgba', 'hsl', 'hsla', 'hwb', 'lab', 'lch', 'oklab', 'oklch', 'color', 'calc', 'min', 'max', 'clamp',
  'linear-gradient', 'radial-gradient', 'conic-gradient', 'repeating-linear-gradient', 'repeating-radial-gradient',
  'repeating-conic-gradient', 'translate', 'translatex', 'translatey', 'translate3d', 'scale', 'scalex', 'scaley',
  'rotate', 'skew', 'skewx', 'skewy', 'matrix', 'cubic-bezier', 'steps', 'rect', 'inset', 'circle', 'ellipse',
  'polygon', 'counter', 'counters', 'blur', 'brightness', 'contrast', 'grayscale', 'opacity', 'saturate', 'sepia',
  'drop-shadow', 'hue-rotate', 'invert', 'minmax', 'repeat', 'fit-content',
]);
// The properties whose remote url() may load when remote content is allowed: images drawn as
// they are, whatever the reader does. A cursor loads when the pointer is over it (the sender
// would learn where the reader points), and filter, mask, clip-path or shape-outside load
// documents or need CORS: their remote url()s are blocked like any other.
const REMOTE_IMAGE_PROPS = new Set(['background', 'background-image', 'list-style', 'list-style-image', 'border-image', 'border-image-source', 'content']);
const BANNED_PROPS = new Set(['behavior', '-ms-behavior', '-moz-binding', 'binding', '-webkit-binding']);

/** Resolves CSS escapes (`\75 rl(` is `url(`) so checks see what the browser will see. */
function decodeCssEscapes(s: string): string {
  return s.replace(/\\(?:([0-9a-fA-F]{1,6})[ \t\r\n\f]?|(\r\n|[\n\r\f])|([\s\S]))/g, (_m, hex: string | undefined, nl: string | undefined, ch: string | undefined) => {
    if (hex) {
      const cp = parseInt(hex, 16);
      return cp === 0 || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) ? '\ufffd' : String.fromCodePoint(cp);
    }
    if (nl) return '';
    return ch ?? '';
  });
}

function stripCssComments(s: string): string {
  const out = s.replace(/\/\*[\s\S]*?\*\//g, ' ');
  const open = out.indexOf('/*');
  return open >= 0 ? out.slice(0, open) : out;
}

function reportUrlsIn(ctx: Ctx, text: string, kind: RemoteKind): void {
  for (const m of text.matchAll(/(?:https?:)?\/\/[^\s"'()<>\\]+/gi)) {
    const c = classifyUrl(m[0]);
    if (c.kind === 'remote') block(ctx, kind, c.href);
  }
}

function cssKindFor(prop: string): RemoteKind {
  if (prop === 'src' || prop.startsWith('font')) return 'font';
  return 'image';
}

/** A declaration's property name as the browser reads it: escapes and comments resolved. */
function propName(rawProp: string): string {
  return decodeCssEscapes(stripCssComments(rawProp)).trim().toLowerCase();
}

/**
 * One declaration, or undefined to drop it. The text returned is exactly what was
 * checked: decoded, comment-free, with every url() rebuilt from a classified URL.
 */
function sanitizeDeclaration(rawProp: string, rawValue: string, important: boolean, ctx: Ctx): string | undefined {
  const prop = propName(rawProp);
  if (!/^-?[a-z][a-z0-9-]*$/.test(prop) || BANNED_PROPS.has(prop)) {
    reportUrlsIn(ctx, decodeCssEscapes(rawValue), 'other');
    return undefined;
  }
  const kind = cssKindFor(prop);
  // Read as a browser tokenizes it (cssValue.ts): strings, escapes and url()s resolved, and a
  // text that cannot mean anything else once written into a <style> block or a style attribute.
  const read = readCssValue(rawValue);
  if (!read) {
    reportUrlsIn(ctx, decodeCssEscapes(rawValue), kind);
    return undefined;
  }
  let value = read.text.replace(/[\r\n\f]+/g, ' ').trim();
  const urlText = read.urls.join(' ');
  // eslint-disable-next-line no-control-regex
  if (/[\\<\u0000-\u0008\u000b\u000e-\u001f\u007f]/.test(value) || /expression|javascript:|vbscript:|@import|behavior/i.test(value)) {
    reportUrlsIn(ctx, `${value} ${urlText}`, kind);
    return undefined;
  }
  // Spoofing the reader's own banner or buttons needs an element pinned over them.
  if (prop === 'position' && /fixed|sticky/i.test(value)) return undefined;

  const urls: string[] = [];
  // Remote URLs only count as kept once the whole declaration is accepted.
  const remoteHere: string[] = [];
  const reject = (): undefined => {
    for (const u of remoteHere) block(ctx, kind, u);
    return undefined;
  };
  let failed = false;
  for (const raw of read.urls) {
    const c = classifyUrl(raw);
    let out: string | undefined;
    if (c.kind === 'cid') {
      out = hostUrl(ctx.opts.cidUrl?.(c.cid));
    } else if (c.kind === 'remote') {
      // Only images that show whatever the reader does: not a cursor (loaded when the pointer
      // is over it), nor SVG filters, masks or clip paths (documents, not images).
      if (ctx.opts.allowRemote && REMOTE_IMAGE_PROPS.has(prop) && !ctx.conditional) {
        out = c.href;
        remoteHere.push(c.href);
      } else {
        block(ctx, kind, c.href);
      }
    }
    if (out === undefined || /["\\\s]/.test(out)) failed = true;
    urls.push(out ?? '');
  }
  if (failed) return reject();
  // Any other function must be on the safe list.
  for (const m of value.toLowerCase().matchAll(/([a-z0-9_-]*)\s*\(/g)) {
    if (!SAFE_CSS_FUNCS.has(m[1])) {
      reportUrlsIn(ctx, `${value} ${urlText}`, kind);
      return reject();
    }
  }
  if (/(?:https?:)?\/\//i.test(value)) {
    // A URL outside url() only loads inside functions dropped above; keep nothing that looks like one.
    reportUrlsIn(ctx, value, kind);
    return reject();
  }
  // What it may cost the renderer: factors that only shrink, bounded lengths, blurs and
  // layers (cssCost.ts); a message must not be able to freeze the thread view.
  const bounded = boundCssCost(prop, value);
  if (bounded === undefined) return reject();
  value = bounded;
  for (const u of remoteHere) ctx.kept.add(u);
  value = value.replace(/\ue000(\d+)\ue001/g, (_m, i: string) => `url("${urls[Number(i)]}")`);
  return `${prop}:${value}${important ? ' !important' : ''}`;
}

/** Sanitises the value of a style="" attribute. */
function sanitizeStyleAttribute(style: string, ctx: Ctx): string {
  if (style.length > MAX_CSS_CHARS) return '';
  let root;
  try {
    root = parseCss(`x{${style}}`);
  } catch {
    reportUrlsIn(ctx, decodeCssEscapes(style), 'image');
    return '';
  }
  const first = root.nodes[0];
  const out: string[] = [];
  if (first && first.type === 'rule') {
    for (const n of first.nodes) {
      if (n.type !== 'decl') continue;
      const d = sanitizeDeclaration(n.prop, n.value, n.important === true, ctx);
      if (d) out.push(d);
    }
  }
  // Whatever followed a stray `}` would not apply to this element anyway; just report it.
  for (const n of root.nodes.slice(1)) reportUrlsIn(ctx, decodeCssEscapes(n.toString()), 'image');
  return out.join(';');
}

function sanitizeCssNodes(nodes: CssNode[], ctx: Ctx, depth: number): string {
  let out = '';
  for (const n of nodes) {
    if (n.type === 'rule') {
      // Escapes and comments resolved first, so `.m\\64-banner` is seen as `.md-banner`;
      // the selector written out is the one checked, scoped to the message's own box.
      const scoped = scopeSelectorList(decodeCssEscapes(stripCssComments(n.selector)));
      if (!scoped) {
        reportUrlsIn(ctx, decodeCssEscapes(n.toString()), 'image');
        continue;
      }
      const wasConditional = ctx.conditional;
      ctx.conditional = wasConditional || scoped.dynamic;
      // Its `content` makes a box on every element it matches: within the message's budget, or dropped.
      const boxes = generatedBoxes(scoped.subjects, ctx.elements);
      let generates = false;
      const decls: string[] = [];
      for (const d of n.nodes) {
        if (d.type !== 'decl') continue;
        const isContent = boxes > 0 && propName((d as Declaration).prop) === 'content';
        if (isContent && boxes > ctx.generatedLeft) continue;
        const s = sanitizeDeclaration((d as Declaration).prop, (d as Declaration).value, (d as Declaration).important === true, ctx);
        if (s) decls.push(s);
        if (s && isContent) generates = true;
      }
      if (generates) ctx.generatedLeft -= boxes;
      ctx.conditional = wasConditional;
      if (decls.length) out += `${scoped.selector}{${decls.join(';')}}`;
    } else if (n.type === 'atrule') {
      const name = n.name.toLowerCase();
      const params = decodeCssEscapes(stripCssComments(n.params)).replace(/\s+/g, ' ').trim();
      // A media query is names, numbers, ratios and comparisons: no string, escape or function
      // that could leave the prelude open or load something.
      if (name === 'media' && depth < 3 && n.nodes && /^[-a-z0-9 (),:.%/>=]*$/i.test(params) && !/url|\/\*/i.test(params)) {
        // A media query reads the reader's window and theme: no remote load may depend on it.
        const wasConditional = ctx.conditional;
        ctx.conditional = true;
        const inner = sanitizeCssNodes(n.nodes, ctx, depth + 1);
        ctx.conditional = wasConditional;
        if (inner) out += `@media ${params}{${inner}}`;
      } else {
        // @import, @font-face, @namespace and the rest: never kept, remote ones reported.
        const kind: RemoteKind = name === 'import' ? 'css' : name === 'font-face' ? 'font' : 'other';
        reportUrlsIn(ctx, decodeCssEscapes(stripCssComments(n.toString())), kind);
      }
    }
  }
  return out;
}

/** Sanitises the text of a <style> block. */
function sanitizeStyleSheet(css: string, ctx: Ctx): string {
  if (css.length > MAX_CSS_CHARS) {
    ctx.stylesDropped++;
    reportUrlsIn(ctx, decodeCssEscapes(stripCssComments(css)), 'css');
    return '';
  }
  let root;
  try {
    root = parseCss(css);
  } catch {
    ctx.stylesDropped++;
    reportUrlsIn(ctx, decodeCssEscapes(css), 'css');
    return '';
  }
  const out = sanitizeCssNodes(root.nodes, ctx, 0);
  // Belt and braces: a `<` in a <style> element is the one way out of it.
  return out.includes('<') ? '' : out;
}

// ---------------------------------------------------------------------------------------
// HTML

interface SrcsetCandidate {
  url: string;
  descriptor: string;
}

/** The HTML srcset grammar, loosely: URLs may contain commas, descriptors follow a space. */
function parseSrcset(v: string): SrcsetCandidate[] {
  const out: SrcsetCandidate[] = [];
  let i = 0;
  while (i < v.length) {
    while (i < v.length && /[\s,]/.test(v[i])) i++;
    if (i >= v.length) break;
    let j = i;
    while (j < v.length && !/\s/.test(v[j])) j++;
    let url = v.slice(i, j);
    i = j;
    let descriptor = '';
    if (/,+$/.test(url)) {
      url = url.replace(/,+$/, '');
    } else {
      let depth = 0;
      let k = i;
      while (k < v.length && !(v[k] === ',' && depth === 0)) {
        if (v[k] === '(') depth++;
        else if (v[k] === ')') depth = Math.max(0, depth - 1);
        k++;
      }
      descriptor = v.slice(i, k).trim();
      i = k + 1;
    }
    out.push({ url, descriptor });
  }
  return out;
}

function kindForResource(tag: string, attr: string, attribs: Record<string, string>): RemoteKind {
  if (tag === 'link') return /font/i.test(attribs.as ?? '') ? 'font' : /stylesheet/i.test(attribs.rel ?? '') ? 'css' : 'other';
  if (['video', 'audio', 'source', 'track', 'bgsound'].includes(tag)) return attr === 'poster' ? 'image' : 'media';
  if (['img', 'image', 'feimage', 'input', 'picture', 'body', 'table', 'td', 'th', 'tr', 'tbody', 'thead', 'tfoot', 'div'].includes(tag)) return 'image';
  if (attr === 'background' || attr === 'poster' || attr === 'lowsrc' || attr === 'dynsrc') return 'image';
  return 'other';
}

function transformTag(tagName: string, attribs: sanitize.Attributes, ctx: Ctx): sanitize.Tag {
  let tag = tagName.toLowerCase();
  if (tag === 'body') tag = 'div'; // keeps the message's background colour and padding
  // Quotation marks are generated content: two boxes per <q> (generatedContent.ts).
  if (tag === 'q' && ++ctx.quotes > MAX_QUOTE_ELEMENTS) tag = 'span';
  const out: Record<string, string> = {};
  const allowed = new Set([...COMMON_ATTRS, ...(TAG_ATTRS[tag] ?? [])]);
  for (const [k, v] of Object.entries(attribs)) {
    const a = k.toLowerCase();
    if (!allowed.has(a) || a === 'href' || a === 'src' || a === 'srcset' || a === 'background' || a.startsWith('data-')) continue;
    if (a === 'style') {
      const css = sanitizeStyleAttribute(v, ctx);
      if (css) out.style = css;
    } else if (a === 'class') {
      // Class names that style the reader itself (md-*, and the older maildesk-*) are not the message's to use.
      const cls = v.split(/\s+/).filter((c) => c && !/^(?:maildesk|md-)/i.test(c)).join(' ');
      if (cls) out.class = cls;
    } else {
      out[a] = v;
    }
  }
  const kept = ctx.kept;

  if (tag === 'a') {
    // Our own output carries the target in data-maildesk-href with href="#": read it back
    // (and check it again) so that sanitising twice changes nothing.
    const rawHref = attribs.href === '#' && attribs['data-maildesk-href'] !== undefined ? attribs['data-maildesk-href'] : attribs.href;
    const c = rawHref === undefined ? undefined : classifyUrl(rawHref);
    // A link inside a link is not a link: browsers split the outer one and clone it.
    if (c && (c.kind === 'remote' || c.kind === 'mailto') && ctx.anchorDepth === 1) {
      // The target is not copied into `title`: the reader shows it on hover itself, and a
      // value a selector could compare is one CSS could send out.
      return { tagName: 'a', attribs: canonical({ ...out, href: '#', 'data-maildesk-href': c.href }) };
    }
    return { tagName: 'span', attribs: canonical(out) };
  }

  if (tag === 'img') {
    const cidAttr = attribs['data-maildesk-cid'];
    const c: UrlClass = cidAttr ? { kind: 'cid', cid: cidAttr } : classifyUrl(attribs.src ?? '');
    if (c.kind === 'cid') {
      const u = hostUrl(ctx.opts.cidUrl?.(c.cid));
      if (u) out.src = u;
      out['data-maildesk-cid'] = c.cid;
    } else if (c.kind === 'remote') {
      if (ctx.opts.allowRemote) {
        out.src = c.href;
        kept.add(c.href);
      } else {
        out['data-maildesk-blocked'] = 'image';
        if (!out.alt) out.alt = 'Remote image blocked';
      }
    }
    if (attribs['data-maildesk-blocked'] !== undefined && !out.src) out['data-maildesk-blocked'] = 'image';
    // The browser picks a srcset candidate by the reader's screen density and window width:
    // a load that tells the sender those. The image loads as one fixed picture instead (the
    // `1x` or undescribed candidate, else the first), and only when it has no src of its own.
    if (attribs.srcset && ctx.opts.allowRemote && !out.src && c.kind !== 'cid') {
      const cands = parseSrcset(attribs.srcset).filter((cand) => {
        const cc = classifyUrl(cand.url);
        return cc.kind === 'remote' && !/[\s,"]/.test(cc.href);
      });
      const pick = cands.find((cand) => cand.descriptor === '' || /^1(?:\.0*)?x$/i.test(cand.descriptor)) ?? cands[0];
      const cc = pick && classifyUrl(pick.url);
      if (cc && cc.kind === 'remote') {
        out.src = cc.href;
        kept.add(cc.href);
        delete out['data-maildesk-blocked'];
      }
    }
  }

  if (allowed.has('background') && attribs.background !== undefined) {
    const c = classifyUrl(attribs.background);
    if (c.kind === 'remote' && ctx.opts.allowRemote) {
      out.background = c.href;
      kept.add(c.href);
    } else if (c.kind === 'cid') {
      const u = hostUrl(ctx.opts.cidUrl?.(c.cid));
      if (u && !u.startsWith('data:')) out.background = u;
    }
    // Browsers honour the attribute on body and tables only, and <body> became a <div> above:
    // as CSS the allowed background shows (and sanitising the output again keeps it as it is).
    if (tag === 'div' && out.background) {
      if (!/["\\\s()]/.test(out.background)) out.style = `${out.style ? `${out.style};` : ''}background-image:url("${out.background}")`;
      delete out.background;
    }
  }

  if (tag === 'li' && attribs.value !== undefined) {
    const n = listItemValue(attribs.value);
    if (n !== undefined) out.style = `counter-set:list-item ${n}${out.style ? `;${out.style}` : ''}`;
  }

  return { tagName: tag, attribs: canonical(out) };
}

/**
 * `<li value>` as the HTML standard renders it: `counter-set: list-item` (the message's own
 * style, after it, still wins). The attribute itself costs Chromium work for every element
 * after the item, each time: 2,000 items with a value before 10,000 plain ones held the page
 * 4.1 s, the same numbers as counter-set 0.4 s. Parsed as HTML parses integers: leading white
 * space, a sign, digits, whatever follows ignored; anything else means no value.
 */
function listItemValue(raw: string): number | undefined {
  const m = /^[\t\n\f\r ]*([+-]?\d+)/.exec(raw);
  if (!m) return undefined;
  const n = Number(m[1]);
  return Math.max(-2147483648, Math.min(2147483647, n));
}

/** Attributes in a fixed order, so that sanitising our own output gives it back unchanged. */
function canonical(attribs: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of Object.keys(attribs).sort()) out[k] = attribs[k];
  return out;
}

interface Prepass {
  styles: string[];
  elements: ElementCounts;
  /** Every remote URL an element would load, with its kind, wherever the element sits. */
  loads: Array<{ kind: RemoteKind; url: string }>;
}

/**
 * Reads the input once with the same tokenizer sanitize-html uses: collects the text of
 * every <style> element (sanitize-html would pass it through raw) and every remote load,
 * including those inside elements that are dropped whole (an <svg>, a <noscript>), so the
 * banner can say what was blocked.
 */
function prepass(html: string): Prepass {
  const styles: string[] = [];
  const loads: Prepass['loads'] = [];
  const elements = newElementCounts();
  let depth = 0;
  let cur = '';
  const p = new Parser(
    {
      onopentag(name, attribs) {
        countElement(elements, name, attribs);
        if (name === 'style') {
          depth++;
          cur = '';
        }
        for (const [k, v] of Object.entries(attribs)) {
          const a = k.toLowerCase();
          if (a === 'style') {
            for (const m of decodeCssEscapes(stripCssComments(v)).matchAll(/(?:https?:)?\/\/[^\s"'()<>\\]+/gi)) {
              const c = classifyUrl(m[0]);
              if (c.kind === 'remote') loads.push({ kind: 'image', url: c.href });
            }
            continue;
          }
          const isLoad = RESOURCE_ATTRS.has(a) || a.endsWith(':href') || (a === 'href' && name !== 'a' && name !== 'area');
          if (!isLoad) continue;
          const urls = a === 'srcset' || a === 'imagesrcset' ? parseSrcset(v).map((x) => x.url) : [v];
          for (const u of urls) {
            const c = classifyUrl(u);
            if (c.kind === 'remote') loads.push({ kind: kindForResource(name, a, attribs), url: c.href });
          }
        }
      },
      ontext(t) {
        if (depth > 0) cur += t;
      },
      onclosetag(name) {
        if (name === 'style' && depth > 0) {
          depth--;
          styles.push(cur);
          cur = '';
        }
      },
    },
    { decodeEntities: true, lowerCaseTags: true, lowerCaseAttributeNames: true },
  );
  p.write(html);
  p.end();
  return { styles, loads, elements };
}

const VOID_TAGS = new Set(['area', 'base', 'br', 'col', 'embed', 'hr', 'img', 'input', 'link', 'meta', 'param', 'source', 'track', 'wbr', 'keygen', 'frame', 'basefont', 'bgsound', 'isindex']);
const DEPTH_GUARD = 1000;

/**
 * htmlparser2 keeps its open-element stack with `unshift`, so parsing is quadratic in
 * nesting depth: 40,000 unclosed tags take a second, a 4 MB run of them minutes. This
 * linear scan drops start tags (and their end tags) past DEPTH_GUARD before any parser
 * runs. It is only a guard for time: it counts roughly, and its output is sanitised like
 * any input. Dropped tags become a space so the pieces around them cannot join into markup.
 */
export function flattenDeepNesting(html: string): string {
  const re = /<(\/?)([a-zA-Z][a-zA-Z0-9-]*)(?:[^>"']|"[^"]*"|'[^']*')*>/g;
  let depth = 0;
  let over = 0;
  let hit = false;
  for (const m of html.matchAll(re)) {
    const name = m[2].toLowerCase();
    if (VOID_TAGS.has(name) || m[0].endsWith('/>')) continue;
    if (m[1]) {
      if (depth > 0) depth--;
    } else if (++depth > DEPTH_GUARD) {
      hit = true;
      break;
    }
  }
  if (!hit) return html;
  depth = 0;
  return html.replace(re, (tag: string, close: string, rawName: string) => {
    const name = rawName.toLowerCase();
    if (VOID_TAGS.has(name) || tag.endsWith('/>')) return depth >= DEPTH_GUARD ? ' ' : tag;
    if (close) {
      if (over > 0) {
        over--;
        return ' ';
      }
      if (depth > 0) depth--;
      return tag;
    }
    if (depth >= DEPTH_GUARD) {
      over++;
      return ' ';
    }
    depth++;
    return tag;
  });
}

/** Links in our own output, for the reader's link list and for tests. */
function collectLinks(html: string): Array<{ text: string; href: string }> {
  const links: Array<{ text: string; href: string }> = [];
  let cur: { text: string; href: string } | undefined;
  const p = new Parser(
    {
      onopentag(name, attribs) {
        if (name === 'a' && attribs['data-maildesk-href']) cur = { text: '', href: attribs['data-maildesk-href'] };
      },
      ontext(t) {
        if (cur) cur.text += t;
      },
      onclosetag(name) {
        if (name === 'a' && cur) {
          links.push({ text: cur.text.replace(/\s+/g, ' ').trim(), href: cur.href });
          cur = undefined;
        }
      },
    },
    { decodeEntities: true },
  );
  p.write(html);
  p.end();
  return links;
}

/**
 * Sanitises one HTML body part (or quoted text) for display. The result holds no script,
 * event handler, form, frame, object, meta, base or link element; links are inert anchors
 * whose target is in `data-maildesk-href`; remote loads are gone unless `allowRemote`,
 * and each one removed is listed in `blocked`.
 */
export function sanitizeHtml(input: string, opts: SanitizeOptions): SanitizeResult {
  const ctx: Ctx = { opts, blocked: [], kept: new Set(), anchorDepth: 0, conditional: false, stylesDropped: 0, elements: newElementCounts(), generatedLeft: MAX_GENERATED_BOXES, quotes: 0 };
  let html = input;
  let truncated = false;
  const max = Math.max(0, Math.min(opts.maxChars ?? MAX_HTML_CHARS, MAX_HTML_CHARS));
  if (html.length > max) {
    html = html.slice(0, max);
    truncated = true;
  }
  html = flattenDeepNesting(html);

  const pre = prepass(html);
  ctx.elements = pre.elements;
  const css = pre.styles
    .map((s) => sanitizeStyleSheet(s, ctx))
    .filter(Boolean)
    .join('\n');

  const body = sanitize(html, {
    allowedTags: ALLOWED_TAGS,
    allowedAttributes: ALLOWED_ATTRIBUTES,
    nonTextTags: NON_TEXT_TAGS,
    disallowedTagsMode: 'discard',
    selfClosing: ['img', 'br', 'hr', 'col', 'wbr'],
    allowedSchemes: ['http', 'https', 'mailto'],
    allowedSchemesByTag: { img: ['http', 'https', 'data'] },
    allowedSchemesAppliedToAttributes: ['href', 'src', 'srcset', 'background', 'data-maildesk-href', 'cite'],
    allowProtocolRelative: false,
    parseStyleAttributes: false,
    nestingLimit: NESTING_LIMIT,
    enforceHtmlBoundary: false,
    parser: { decodeEntities: true, lowerCaseTags: true, lowerCaseAttributeNames: true },
    // Counted on every tag event, including inside dropped elements, so open and close pair up.
    onOpenTag: (name: string) => {
      if (name === 'a') ctx.anchorDepth++;
    },
    onCloseTag: (name: string) => {
      if (name === 'a' && ctx.anchorDepth > 0) ctx.anchorDepth--;
    },
    transformTags: { '*': (tagName: string, attribs: sanitize.Attributes) => transformTag(tagName, attribs, ctx) },
  });

  const out = (css ? `<style>${css}</style>` : '') + body;
  const seen = new Set<string>();
  const blocked = [...ctx.blocked, ...pre.loads].filter((b) => {
    if (seen.has(b.url) || ctx.kept.has(b.url)) return false;
    seen.add(b.url);
    return true;
  });
  return {
    html: out,
    blocked,
    links: collectLinks(body),
    ...(truncated ? { truncated } : {}),
    ...(ctx.stylesDropped ? { stylesDropped: ctx.stylesDropped } : {}),
    ...(ctx.kept.size ? { loaded: [...ctx.kept] } : {}),
  };
}
