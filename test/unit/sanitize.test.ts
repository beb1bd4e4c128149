import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sanitizeHtml } from '../../src/core/render/sanitize';
import { htmlToPlainText, textToSafeHtml } from '../../src/core/render/text';
import { renderMessage, renderToStandaloneHtml, describeBlocked } from '../../src/core/render/render';

const fixture = (name: string): Buffer => readFileSync(join(__dirname, '..', 'fixtures', 'mail', name));
const PNG = 'data:image/png;base64,iVBORw0KGgo=';

describe('sanitizeHtml', () => {
  it('turns web and mailto links into inert anchors that carry the real target', () => {
    const r = sanitizeHtml('<a href="https://Example.com/a b?x=1&y=2" target=_blank>Pay <b>now</b></a> <a href="MAILTO:bob@example.org">mail</a>', { allowRemote: false });
    assert.equal(
      r.html,
      '<a data-maildesk-href="https://example.com/a%20b?x=1&amp;y=2" href="#">Pay <b>now</b></a> <a data-maildesk-href="mailto:bob@example.org" href="#">mail</a>',
    );
    assert.deepEqual(r.links, [
      { text: 'Pay now', href: 'https://example.com/a%20b?x=1&y=2' },
      { text: 'mail', href: 'mailto:bob@example.org' },
    ]);
  });

  it('shows the real target even when the text names another site', () => {
    const r = sanitizeHtml('<a href="https://evil.example/login">https://bank.example/</a>', { allowRemote: false });
    assert.equal(r.links[0].href, 'https://evil.example/login');
    assert.match(r.html, /data-maildesk-href="https:\/\/evil\.example\/login"/);
  });

  it('makes every other scheme plain text', () => {
    for (const href of ['javascript:alert(1)', 'file:///etc/passwd', 'command:workbench.action.terminal.new', 'smb://h/s', 'data:text/html,x', 'vbscript:x', 'ftp://h/', 'tel:123', 'relative/page.html', '#top', 'unknown-scheme:x']) {
      const r = sanitizeHtml(`<a href="${href}">t</a>`, { allowRemote: false });
      assert.equal(r.html, '<span>t</span>', href);
      assert.equal(r.links.length, 0);
    }
  });

  it('blocks remote images by default, leaving a placeholder and a report', () => {
    const r = sanitizeHtml('<img src="https://cdn.example/a.png" alt="Logo" width="100"><p style="background-image:url(https://cdn.example/bg.png);color:#333">x</p>', { allowRemote: false });
    assert.equal(r.html, '<img alt="Logo" data-maildesk-blocked="image" width="100" /><p style="color:#333">x</p>');
    assert.deepEqual(r.blocked, [
      { kind: 'image', url: 'https://cdn.example/bg.png' },
      { kind: 'image', url: 'https://cdn.example/a.png' },
    ]);
  });

  it('loads remote images once allowed, but still never other schemes, fonts or stylesheets', () => {
    const r = sanitizeHtml(
      '<img src="https://cdn.example/a.png" srcset="https://cdn.example/a2.png 2x, javascript:x 3x"><img src="ftp://h/x.png"><p style="background:url(https://cdn.example/bg.png)">x</p><style>@import url(https://cdn.example/s.css);</style>',
      { allowRemote: true },
    );
    // The srcset is not kept: which candidate loads would tell the sender the reader's screen.
    assert.match(r.html, /<img src="https:\/\/cdn\.example\/a\.png" \/>/);
    assert.match(r.html, /<img \/>/);
    assert.match(r.html, /background:url\(&quot;https:\/\/cdn\.example\/bg\.png&quot;\)/);
    assert.deepEqual(r.blocked, [
      { kind: 'css', url: 'https://cdn.example/s.css' },
      { kind: 'image', url: 'https://cdn.example/a2.png' },
    ]);
  });

  it('maps cid: images through the host hook and accepts only raster data: URLs from it', () => {
    const hook = (cid: string): string | undefined => ({ logo: PNG, svg: 'data:image/svg+xml;base64,PHN2Zz4=', web: 'https://file+.vscode-resource.vscode-cdn.net/x.png', js: 'javascript:alert(1)' })[cid];
    const r = sanitizeHtml('<img src="cid:logo"><img src="CID:svg"><img src="cid:web"><img src="cid:js"><img src="cid:none">', { allowRemote: false, cidUrl: hook });
    assert.equal(
      r.html,
      `<img data-maildesk-cid="logo" src="${PNG}" /><img data-maildesk-cid="svg" /><img data-maildesk-cid="web" src="https://file+.vscode-resource.vscode-cdn.net/x.png" /><img data-maildesk-cid="js" /><img data-maildesk-cid="none" />`,
    );
    // The message's own data: URLs never pass, whatever their type.
    assert.equal(sanitizeHtml(`<img src="${PNG}">`, { allowRemote: true, cidUrl: hook }).html, '<img />');
  });

  it('keeps the message styles that are safe, from style blocks and attributes', () => {
    const r = sanitizeHtml(
      '<html><head><title>T</title><style>.btn{color:#fff;background:linear-gradient(#f00,#00f);padding:4px} @media (max-width: 600px){.btn{display:block}} .x{position:fixed;top:0}</style></head><body bgcolor="#eee"><p class="btn maildesk-banner" id="a" style="font-weight:bold; margin: 0 auto">Go</p></body></html>',
      { allowRemote: false },
    );
    assert.equal(
      r.html,
      '<style>.md-mail .btn{color:#fff;background:linear-gradient(#f00,#00f);padding:4px}@media (max-width: 600px){.md-mail .btn{display:block}}.md-mail .x{top:0}</style><div bgcolor="#eee"><p class="btn" style="font-weight:bold;margin:0 auto">Go</p></div>',
    );
  });

  it('gives the same output when run on its own output', () => {
    for (const name of ['alternative.eml', 'phishing.eml']) {
      const html = readFileSync(join(__dirname, '..', 'fixtures', 'mail', name), 'latin1');
      for (const allowRemote of [false, true]) {
        const once = sanitizeHtml(html, { allowRemote, cidUrl: () => PNG }).html;
        assert.equal(sanitizeHtml(once, { allowRemote, cidUrl: () => PNG }).html, once);
      }
    }
  });
});

describe('text rendering', () => {
  it('escapes a text part and links its URLs with the same inert anchors', () => {
    const r = textToSafeHtml('Hi <script>alert(1)</script> & see https://example.com/a_(b). Or www.example.org, mail bob@example.org!\nbye');
    assert.ok(!r.html.includes('<script'));
    assert.match(r.html, /Hi &lt;script&gt;alert\(1\)&lt;\/script&gt; &amp; see /);
    assert.deepEqual(r.links.map((l) => l.href), ['https://example.com/a_(b)', 'https://www.example.org/', 'mailto:bob@example.org']);
    assert.deepEqual(r.links.map((l) => l.text), ['https://example.com/a_(b)', 'www.example.org', 'bob@example.org']);
    assert.match(r.html, /white-space:pre-wrap/);
  });

  it('does not link javascript: written in text', () => {
    const r = textToSafeHtml('javascript:alert(1) file:///etc/passwd');
    assert.equal(r.links.length, 0);
  });

  it('renders HTML-only mail as plain text without tracker images', () => {
    const t = htmlToPlainText('<style>p{color:red}</style><h1>Hello</h1><p>See <a href="https://x.example/">the site</a>.</p><img src="https://tracker.example/p.gif">');
    assert.match(t, /HELLO/);
    assert.match(t, /the site \[https:\/\/x\.example\/\]/);
    assert.ok(!t.includes('tracker'));
    assert.ok(!t.includes('color:red'));
  });
});

describe('renderMessage', () => {
  it('renders each part on its own and inlines the message\'s own cid images', async () => {
    const mixed = await renderMessage(fixture('mixed-two-html.eml'), { allowRemote: false });
    assert.equal(mixed.bodies.length, 3);
    assert.equal(mixed.bodies[0].html, '<div>First part <b>unclosed\n</b></div>', 'an unclosed tag stays inside its own part');
    const rel = await renderMessage(fixture('related-cid.eml'), { allowRemote: false });
    assert.match(rel.bodies[0].html, /<img alt="Shop logo" data-maildesk-cid="logo@shop" src="data:image\/png;base64,iVBORw0KGgo/);
  });

  it('prints a standalone page with a strict CSP and a banner naming what was blocked', async () => {
    const r = await renderMessage(fixture('phishing.eml'), { allowRemote: false });
    assert.ok(r.blockedCount >= 4);
    const page = renderToStandaloneHtml(r);
    assert.match(page, /<meta http-equiv="Content-Security-Policy" content="default-src &#39;none&#39;; img-src data:; style-src &#39;unsafe-inline&#39;; form-action &#39;none&#39;; base-uri &#39;none&#39;">/);
    assert.match(page, /Remote content blocked:<\/strong> [^<]*2 stylesheets/);
    assert.match(page, /<li>css: https:\/\/evil\.example\/s\.css<\/li>/);
    assert.ok(!/<script|<form|<iframe|onload=/i.test(page));
    const allowed = renderToStandaloneHtml(await renderMessage(fixture('alternative.eml'), { allowRemote: true }));
    assert.match(allowed, /img-src data: https:;/);
    assert.match(allowed, /<img height="1" src="https:\/\/tracker\.example\/open\.gif\?id=42" width="1" \/>/);
  });

  it('says it in words', () => {
    assert.equal(describeBlocked([{ kind: 'image' }, { kind: 'image' }, { kind: 'font' }]), '2 images, 1 font');
  });
});
