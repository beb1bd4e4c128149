import { strict as assert } from 'node:assert';
import { loadHostileCorpus } from '../support/hostileCorpus';
import { parseDocument } from 'htmlparser2';
import type { ChildNode, Element } from 'domhandler';
import * as parse5 from 'parse5';
import { sanitizeHtml, type SanitizeOptions } from '../../src/core/render/sanitize';

interface Case {
  id: string;
  source?: string;
  html: string;
  /** Remote URLs that must show up in `blocked` (defaults to every tracker.example URL in the input). */
  blocked?: string[];
}

const shared = { cases: loadHostileCorpus() as Case[] };

// Our own cases: the classes of attack, not just the CVE list.
const extra: Case[] = [
  { id: 'entity-js', html: '<a href="&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)">x</a><a href="&#x6A;avascript&colon;alert(1)">y</a>' },
  { id: 'mixed-case-tab-nl', html: '<a href=" JaV\tA\nsCr\ripT:alert(1)">x</a><a href="\u0001javascript:alert(1)">y</a><img src="jav&#x09;ascript:alert(1)">' },
  { id: 'vbscript-data-links', html: '<a href="VBScript:msgbox(1)">a</a><a href="data:text/html,<script>alert(1)</script>">b</a><a href="ms-msdt:/id">c</a><a href="vscode://x">d</a>' },
  { id: 'svg-image-href', html: '<svg><image href="https://tracker.example/svg.png"/><image xlink:href="https://tracker.example/svg2.png"/></svg>' },
  { id: 'svg-feimage', html: '<svg><filter id="f"><feImage href="https://tracker.example/fe.png"/></filter><script>alert(1)</script></svg>' },
  { id: 'svg-foreignobject', html: '<svg><foreignObject><iframe src="https://tracker.example/fo"></iframe></foreignObject><a xlink:href="javascript:alert(1)"><text>x</text></a></svg>' },
  { id: 'video-poster', html: '<video poster="https://tracker.example/poster.png" autoplay><source src="https://tracker.example/v.mp4"></video><audio src="https://tracker.example/a.mp3"></audio>' },
  { id: 'input-image', html: '<input type="image" src="https://tracker.example/in.png" formaction="javascript:alert(1)">' },
  { id: 'object-data', html: '<object data="https://tracker.example/o.swf"><param name="movie" value="https://tracker.example/o.swf"></object>' },
  { id: 'link-stylesheet', html: '<link rel="stylesheet" href="https://tracker.example/l.css"><link rel="preload" as="font" href="https://tracker.example/f.woff2"><p>x</p>' },
  { id: 'base-href', html: '<base href="https://tracker.example/"><img src="pixel.gif"><a href="page.html">rel</a>', blocked: ['https://tracker.example/'] },
  { id: 'css-expression', html: '<div style="width: expression(alert(1)); color: red">x</div><div style="w\\idth: ex\\pression(alert(2))">y</div>', blocked: [] },
  { id: 'moz-binding', html: '<div style="-moz-binding: url(https://tracker.example/x.xml#xss)">x</div><div style="behavior: url(https://tracker.example/x.htc)">y</div>' },
  { id: 'image-set', html: '<div style="background-image: image-set(\'https://tracker.example/1x.png\' 1x, url(https://tracker.example/2x.png) 2x)">x</div><div style="background-image:-webkit-image-set(\'https://tracker.example/w.png\' 1x)">y</div>' },
  { id: 'font-face', html: '<style>@font-face { font-family: X; src: url(https://tracker.example/f.woff) format("woff"), local(Arial); } p { font-family: X }</style><p>x</p>' },
  { id: 'css-escapes', html: '<div style="background: u\\rl(https://tracker.example/e1.png)">a</div><div style="background: \\75 rl(https://tracker.example/e2.png)">b</div><div style="background: \\000075\\000072\\00006c(https://tracker.example/e3.png)">c</div>' },
  { id: 'css-comments', html: '<div style="background: url(/**/https://tracker.example/c1.png)">a</div><div style="background/**/:/**/url(\'https://tracker.example/c2.png\')">b</div><style>p{background:/*x*/url(https://tracker.example/c3.png)/*y*/}</style>' },
  { id: 'css-breakout', html: '<style>p{color:red}</style><style>a{content:"</style><script>alert(1)</script>"}</style><div style="color:red;}@import url(https://tracker.example/bo.css);x{">x</div>' },
  { id: 'import-variants', html: '<style>@import "https://tracker.example/i1.css"; @import url("https://tracker.example/i2.css") screen; @IMPORT \'//tracker.example/i3.css\';</style><p>x</p>', blocked: ['https://tracker.example/i1.css', 'https://tracker.example/i2.css', 'https://tracker.example/i3.css'] },
  { id: 'css-var-smuggle', html: '<div style="--u: url(https://tracker.example/var.png); background: var(--u)">x</div>' },
  { id: 'table-background', html: '<table background="https://tracker.example/tb.png"><tr><td background="https://tracker.example/td.png" style="background-image:url(https://tracker.example/tds.png)">x</td></tr></table>' },
  { id: 'body-background', html: '<html><body background="https://tracker.example/body.png" onload="alert(1)"><p>x</p></body></html>' },
  { id: 'img-lowsrc-dynsrc', html: '<img lowsrc="https://tracker.example/low.png" dynsrc="https://tracker.example/dyn.avi" src="cid:missing"><img src="//tracker.example/protocol-relative.png">' },
  { id: 'behavior-style', html: '<p style="behavior:url(#default#time2)">x</p><p style="BEHAVIOR: url(https://tracker.example/b.htc)">y</p>' },
  { id: 'math-mxss', html: '<math><mtext><table><mglyph><style><img src=x onerror=alert(1)></style></mglyph></table></mtext></math>' },
  { id: 'math-href', html: '<math href="javascript:alert(1)"><mi>x</mi></math><math><maction actiontype="statusline" xlink:href="javascript:alert(1)">y</maction></math>', blocked: [] },
  { id: 'svg-p-mxss', html: '<svg></p><style><a id="</style><img src=1 onerror=alert(1)>">' },
  { id: 'noscript-mxss', html: '<noscript><p title="</noscript><img src=x onerror=alert(1)>"></noscript>' },
  { id: 'noembed-xmp-mxss', html: '<noembed><img title="</noembed><img src onerror=alert(1)>"></noembed><xmp><p title="</xmp><img src=x onerror=alert(2)>"></xmp>' },
  { id: 'textarea-title-mxss', html: '<textarea><img src=x onerror=alert(1)></textarea><title><img src=x onerror=alert(2)></title><p>ok</p>' },
  { id: 'template-mxss', html: '<template><img src=x onerror=alert(1)></template><form><math><mtext></form><form><mglyph><style></math><img src onerror=alert(1)>' },
  { id: 'comment-tricks', html: '<!--><img src=x onerror=alert(1)>--><!-- --!><img src=x onerror=alert(2)> --><p>x</p>' },
  { id: 'attr-quote-tricks', html: '<img src="x" alt="``onerror=alert(1)"><img/src="x"/onerror=alert(2)><div style="color:red" onmouseover  =alert(3)>x</div>' },
  { id: 'meta-variants', html: '<META HTTP-EQUIV="refresh" CONTENT="0; URL=javascript:alert(1)"><meta http-equiv="Set-Cookie" content="a=b">x' },
  { id: 'event-handlers', html: '<details open ontoggle=alert(1)><summary>s</summary></details><div onclick="alert(1)" onMouseOver="alert(2)">x</div><marquee onstart=alert(3)>m</marquee>' },
  { id: 'nested-anchors', html: '<a href="https://ok.example/1"><div><a href="https://ok.example/2">inner</a></div></a>', blocked: [] },
  { id: 'nested-anchors-svg', html: '<a href="https://ok.example/1"><svg><a>s</a></svg><a href="https://ok.example/2">inner</a><b><a href="https://ok.example/3">deeper</a></b></a>', blocked: [] },
  { id: 'area-map', html: '<map name="m"><area shape="rect" href="https://evil.example/a" ping="https://tracker.example/ping"></map>', blocked: [] },
  { id: 'a-ping-download', html: '<a href="https://ok.example/" ping="https://tracker.example/ping2" download target="_blank">x</a>', blocked: [] },
  { id: 'srcset-mixed', html: '<img srcset="https://tracker.example/a.png 1x, javascript:alert(1) 2x, data:image/svg+xml,<svg onload=alert(1)> 3x">' },
  { id: 'data-img-from-message', html: '<img src="data:image/png;base64,iVBORw0KGgo="><img src="data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+">' },
  { id: 'spoof-data-attrs', html: '<a href="#" data-maildesk-href="command:workbench.action.terminal.new">c</a><span data-maildesk-href="javascript:alert(1)">s</span><img data-maildesk-cid="logo" src="https://tracker.example/spoof.png">', blocked: [] },
  { id: 'deep-nesting', html: '<div>'.repeat(5000) + '<img src="https://tracker.example/deep.png">' + '</div>'.repeat(5000), blocked: [] },
  { id: 'deep-unclosed', html: '<b><i>'.repeat(30000) + 'x<script>alert(1)</script>', blocked: [] },
  { id: 'frameset', html: '<frameset><frame src="https://tracker.example/frame"></frameset><applet code="X" codebase="https://tracker.example/app"></applet>' },
  { id: 'position-fixed-spoof', html: '<div style="position:fixed;top:0;left:0;width:100%">Fake banner: click to allow</div><div class="maildesk-banner">x</div><style>.maildesk-banner{display:none}body{background:red}</style>', blocked: [] },
  { id: 'unicode-scheme', html: '<a href="java&#0;script:alert(1)">a</a><a href="jav&#x0D;ascript:alert(1)">b</a><a href="\u2028javascript:alert(1)">c</a><a href="https://ok.example/">ok</a>', blocked: [] },
  { id: 'cursor-list-style', html: '<ul style="list-style-image:url(https://tracker.example/li.png)"><li style="cursor:url(https://tracker.example/cur.cur),auto">x</li></ul><p style="content:url(https://tracker.example/content.png)">y</p>' },
];

const ALLOWED_OUTPUT_TAGS = new Set([
  'a', 'abbr', 'acronym', 'address', 'article', 'aside', 'b', 'bdi', 'bdo', 'big', 'blockquote', 'br', 'caption', 'center', 'cite', 'code', 'col', 'colgroup', 'dd', 'del', 'dfn', 'div', 'dl', 'dt', 'em',
  'figcaption', 'figure', 'font', 'footer', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'header', 'hgroup', 'hr', 'i', 'img', 'ins', 'kbd', 'li', 'main', 'mark', 'nav', 'ol', 'p', 'pre', 'q', 'rp', 'rt', 'ruby', 's',
  'samp', 'section', 'small', 'span', 'strike', 'strong', 'sub', 'sup', 'table', 'tbody', 'td', 'tfoot', 'th', 'thead', 'time', 'tr', 'tt', 'u', 'ul', 'var', 'wbr', 'style',
]);
const FORBIDDEN_TAGS = ['script', 'form', 'iframe', 'embed', 'object', 'meta', 'base', 'link', 'svg', 'math', 'input', 'button', 'frame', 'noscript', 'template', 'textarea', 'select', 'area', 'video', 'audio'];
const DATA_IMAGE = 'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAA=';
const opts = (allowRemote: boolean): SanitizeOptions => ({ allowRemote, cidUrl: (cid) => (cid === 'logo' ? DATA_IMAGE : undefined) });

/** What a browser does to an attribute before reading a scheme from it. */
function norm(v: string): string {
  // eslint-disable-next-line no-control-regex
  return v.replace(/[\u0000-\u0020\u2028\u2029]+/g, '').toLowerCase();
}

function decodeCss(s: string): string {
  return s.replace(/\\([0-9a-fA-F]{1,6})\s?/g, (_m, h: string) => String.fromCodePoint(Math.min(parseInt(h, 16), 0x10ffff) || 0xfffd)).replace(/\\(.)/g, '$1').replace(/\/\*[\s\S]*?\*\//g, '');
}

function checkCss(css: string, allowRemote: boolean, where: string): void {
  const d = decodeCss(css).toLowerCase();
  for (const bad of ['expression', '@import', '-moz-binding', 'behavior', 'javascript:', 'vbscript:', '@font-face', 'image-set', 'var(', '</style', '<']) {
    assert.ok(!d.includes(bad), `${where}: CSS contains ${bad}: ${css}`);
  }
  for (const m of d.matchAll(/url\(\s*["']?([^"')]*)/g)) {
    const u = m[1];
    assert.ok(u.startsWith('data:image/png;base64,') || (allowRemote && /^https?:\/\//.test(u)), `${where}: CSS url(${u})`);
  }
  if (!allowRemote) assert.ok(!/https?:\/\/|\/\//.test(d.replace(/url\("data:[^"]*"\)/g, '')), `${where}: remote URL in CSS: ${css}`);
}

interface ElementLike {
  name: string;
  attrs: Array<{ name: string; value: string }>;
}

function checkElement(el: ElementLike, allowRemote: boolean, where: string): void {
  assert.ok(!FORBIDDEN_TAGS.includes(el.name), `${where}: <${el.name}> in output`);
  assert.ok(ALLOWED_OUTPUT_TAGS.has(el.name), `${where}: unexpected <${el.name}>`);
  for (const { name, value } of el.attrs) {
    const n = name.toLowerCase();
    assert.ok(!n.startsWith('on'), `${where}: event handler ${name}`);
    assert.ok(!['id', 'name', 'formaction', 'action', 'ping', 'srcdoc', 'xlink:href', 'target', 'lowsrc', 'dynsrc', 'poster', 'data'].includes(n), `${where}: attribute ${name}`);
    const v = norm(value);
    if (n === 'style') {
      checkCss(value, allowRemote, where);
      continue;
    }
    if (n === 'title' || n === 'alt' || n === 'data-maildesk-href') {
      if (n === 'data-maildesk-href') assert.match(v, /^(https?:\/\/|mailto:)/, `${where}: link target ${value}`);
      continue;
    }
    for (const scheme of ['javascript:', 'vbscript:', 'file:', 'command:', 'smb:', 'ms-msdt:', 'vscode:']) {
      assert.ok(!v.includes(scheme), `${where}: ${name}="${value}" has ${scheme}`);
    }
    if (v.includes('data:')) {
      assert.ok(el.name === 'img' && n === 'src' && value === DATA_IMAGE, `${where}: data: URL in ${name}`);
    }
    if (!allowRemote) assert.ok(!/https?:|\/\//.test(v), `${where}: remote URL in ${name}="${value}"`);
    if (n === 'href') assert.equal(value, '#', `${where}: live href`);
    if (n === 'src' || n === 'background' || n === 'srcset') {
      assert.ok(value === DATA_IMAGE || (allowRemote && /^https?:\/\//.test(value)), `${where}: ${name}="${value}"`);
    }
  }
}

/** Every element and style text as htmlparser2 (what the sanitiser used) sees the output. */
function walkHtmlparser2(html: string, visit: (el: ElementLike) => void, visitStyle: (css: string) => void): number {
  const doc = parseDocument(html, { decodeEntities: true });
  const stack: ChildNode[] = [...doc.children];
  let count = 0;
  while (stack.length) {
    const n = stack.pop()!;
    if (n.type === 'tag' || n.type === 'script' || n.type === 'style') {
      const el = n as Element;
      count++;
      visit({ name: el.name, attrs: Object.entries(el.attribs).map(([name, value]) => ({ name, value })) });
      if (el.name === 'style') visitStyle(el.children.map((c) => ('data' in c ? String(c.data) : '')).join(''));
      stack.push(...el.children);
    }
  }
  return count;
}

type P5Node = { nodeName: string; tagName?: string; attrs?: Array<{ name: string; value: string }>; childNodes?: P5Node[]; content?: P5Node; value?: string };

/** The same, as Chromium's parser (the HTML standard's tree builder, here parse5) sees it. */
function walkParse5(html: string, visit: (el: ElementLike) => void, visitStyle: (css: string) => void): number {
  const frag = parse5.parseFragment(html) as unknown as P5Node;
  const stack: P5Node[] = [...(frag.childNodes ?? [])];
  let count = 0;
  while (stack.length) {
    const n = stack.pop()!;
    if (n.tagName) {
      count++;
      visit({ name: n.tagName, attrs: n.attrs ?? [] });
      if (n.tagName === 'style') visitStyle((n.childNodes ?? []).map((c) => c.value ?? '').join(''));
    }
    stack.push(...(n.childNodes ?? []));
    if (n.content) stack.push(n.content);
  }
  return count;
}

function expectedBlocked(c: Case): string[] {
  if (c.blocked) return c.blocked;
  return [...new Set([...c.html.matchAll(/https:\/\/tracker\.example\/[^\s"')<>,]+/g)].map((m) => m[0]))];
}

function assertSafe(c: Case, allowRemote: boolean): void {
  const where = `${c.id} (allowRemote=${allowRemote})`;
  const r = sanitizeHtml(c.html, opts(allowRemote));
  const html = r.html;
  assert.ok(!/<script/i.test(html), `${where}: <script in output`);

  const n2 = walkHtmlparser2(html, (el) => checkElement(el, allowRemote, `${where} [htmlparser2]`), (css) => checkCss(css, allowRemote, where));
  const n5 = walkParse5(html, (el) => checkElement(el, allowRemote, `${where} [parse5]`), (css) => checkCss(css, allowRemote, where));
  // The browser's tree builder only adds implied <tbody>: anything else means the two
  // parsers disagree about the output, which is where mutation XSS lives.
  const implied = (html.match(/<table/g) || []).length;
  assert.ok(n5 >= n2 && n5 <= n2 + implied, `${where}: htmlparser2 sees ${n2} elements, browser parser ${n5}`);

  // mXSS: serialising the browser's DOM and parsing it again must not create elements.
  const again = parse5.serialize(parse5.parseFragment(html));
  const n5b = walkParse5(again, (el) => checkElement(el, allowRemote, `${where} [reparse]`), (css) => checkCss(css, allowRemote, where));
  assert.equal(n5b, n5, `${where}: reparse changed element count`);

  // Idempotent: our output is a fixed point.
  assert.equal(sanitizeHtml(html, opts(allowRemote)).html, html, `${where}: sanitise twice differs`);

  const blockedUrls = new Set(r.blocked.map((b) => b.url));
  for (const u of expectedBlocked(c)) {
    const inAnchorOnly = new RegExp(`<a [^>]*href="${u.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}"`).test(c.html);
    if (inAnchorOnly) continue;
    if (allowRemote && r.html.includes(u)) continue; // kept on purpose
    assert.ok(blockedUrls.has(new URL(u).href), `${where}: ${u} not reported as blocked; got ${[...blockedUrls].join(' ')}`);
  }
}

describe('hostile HTML', function () {
  this.timeout(30000);
  for (const c of [...shared.cases, ...extra]) {
    it(`${c.id}${c.source ? ` (${c.source})` : ''}: no script, no form, no request`, () => {
      assertSafe(c, false);
      assertSafe(c, true);
    });
  }

  it('reports the tracker pixel, background and @import of the shared cases by kind', () => {
    const byId = new Map(shared.cases.map((c) => [c.id, c.html]));
    const kinds = (id: string): string[] => sanitizeHtml(byId.get(id)!, opts(false)).blocked.map((b) => `${b.kind} ${b.url}`);
    assert.deepEqual(kinds('tracking-img'), ['image https://tracker.example/p.gif?u=alice']);
    assert.deepEqual(kinds('css-background-url'), ['image https://tracker.example/bg.png']);
    assert.deepEqual(kinds('style-import'), ['css https://tracker.example/a.css']);
    assert.deepEqual(kinds('img-srcset'), ['image https://tracker.example/2x.png']);
  });

  it('leaves no live link for any non-web scheme and keeps the text', () => {
    const r = sanitizeHtml(shared.cases.find((c) => c.id === 'link-schemes')!.html, opts(false));
    assert.equal(r.links.length, 0);
    assert.equal(r.html, '<span>a</span><span>b</span><span>c</span><span>d</span>');
  });

  it('finishes a 4 MB run of unclosed tags in a few seconds', () => {
    const t = Date.now();
    const r = sanitizeHtml('<b>'.repeat(1_300_000) + '<img src="https://tracker.example/x.png">', opts(false));
    assert.ok(Date.now() - t < 8000, `took ${Date.now() - t} ms`);
    assert.ok(!r.html.includes('tracker.example'));
  });
});
