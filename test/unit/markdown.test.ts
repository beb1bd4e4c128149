import * as assert from 'node:assert/strict';
import { parseMessage } from '../../src/core/mime/parse';
import { composeMessage } from '../../src/core/send/compose';
import { buildBodies, renderMarkdown, signatureBlock, swapSignature, withSignature } from '../../src/core/send/markdown';

describe('compose body: Markdown to HTML', () => {
  it('renders emphasis, lists, links and keeps single line breaks (mail is written line by line)', () => {
    const html = renderMarkdown('Hi **Ann**,\nthe *plan*:\n\n- one\n- two\n\nSee https://example.test/x and [docs](https://docs.example.test).');
    assert.match(html, /<strong>Ann<\/strong>,<br>\s*the <em>plan<\/em>:/);
    assert.match(html, /<ul>\s*<li>one<\/li>\s*<li>two<\/li>\s*<\/ul>/);
    assert.match(html, /<a href="https:\/\/example\.test\/x">https:\/\/example\.test\/x<\/a>/, 'bare URLs become links (linkify)');
    assert.match(html, /<a href="https:\/\/docs\.example\.test">docs<\/a>/);
  });

  it('never passes raw HTML, script or event handlers through: what the user types as tags is shown as text', () => {
    const html = renderMarkdown('<script>alert(1)</script>\n\n<img src=x onerror=alert(1)>\n\n<a href="javascript:alert(1)">x</a>');
    assert.doesNotMatch(html, /<script|<img|<a /i);
    assert.match(html, /&lt;script&gt;alert\(1\)&lt;\/script&gt;/);
  });

  it('refuses javascript:, file:, data: and command: links, and makes no image that would load a URL', () => {
    const html = renderMarkdown('[a](javascript:alert(1)) [b](file:///etc/passwd) [c](data:text/html,<b>x</b>) [d](command:workbench.action.quit) ![e](https://tracker.example.test/p.png)');
    assert.doesNotMatch(html, /href="(javascript|file|data|command):/i);
    assert.doesNotMatch(html, /<img/i, 'images must be attachments, never remote URLs');
    assert.match(html, /<a href="https:\/\/tracker\.example\.test\/p\.png">e<\/a>/, 'the image syntax degrades to a plain link');
  });
});

describe('compose body: text and HTML parts', () => {
  it('Markdown: the HTML part is rendered, the text part is the Markdown as written', () => {
    const b = buildBodies('Hello **there**\r\n', 'markdown');
    assert.equal(b.text, 'Hello **there**\n');
    assert.match(b.html ?? '', /<strong>there<\/strong>/);
  });

  it('plain text without a quote is sent as text/plain only', () => {
    assert.deepEqual(buildBodies('just <text>\n\n', 'plain'), { text: 'just <text>\n' });
  });

  it('a reply quotes the original below the user text in both parts', () => {
    const quote = { html: '<div>On Mon, Ann wrote:</div><blockquote type="cite"><p>Original</p></blockquote>', text: '\n\nOn Mon, Ann wrote:\n> Original\n' };
    const b = buildBodies('Thanks!', 'markdown', quote);
    assert.equal(b.text, 'Thanks!\n\nOn Mon, Ann wrote:\n> Original\n');
    assert.ok(b.html!.startsWith('<p>Thanks!</p>'));
    assert.ok(b.html!.endsWith(quote.html));
    const plain = buildBodies('a < b', 'plain', quote);
    assert.match(plain.html!, /^<div style="white-space:pre-wrap">a &lt; b<\/div><div>On Mon/);
  });

  it('the built message carries both parts (multipart/alternative) that a client shows', async () => {
    const b = buildBodies('Hello **bold**', 'markdown');
    const m = await composeMessage({ messageId: '<x@example.test>', to: ['a@example.test'], subject: 's', text: b.text, html: b.html }, { address: 'me@example.test' });
    const p = await parseMessage(m.raw);
    assert.match(m.raw.toString(), /multipart\/alternative/);
    assert.equal(p.text?.trim(), 'Hello **bold**');
    assert.match(p.htmlParts[0], /<strong>bold<\/strong>/);
  });
});

describe('compose body: signature', () => {
  it('is appended once after an RFC 3676 "-- " line, and not again on a reopened draft', () => {
    const once = withSignature('', 'Sam Rivera\nExample Ltd');
    assert.equal(once, '\n\n-- \nSam Rivera\nExample Ltd');
    assert.equal(withSignature(once, 'Sam Rivera\nExample Ltd'), once);
    assert.equal(withSignature('Hi Ann,\n\nsee you' + once + '\n', 'Sam Rivera\nExample Ltd'), 'Hi Ann,\n\nsee you' + once + '\n');
    assert.equal(withSignature('text', ''), 'text', 'no signature set: body unchanged');
    assert.equal(signatureBlock('  \n'), '');
  });

  it('is swapped when the From account changes, unless the user edited it', () => {
    const body = 'Hello' + signatureBlock('Sam (work)');
    assert.equal(swapSignature(body, 'Sam (work)', 'Sam (home)'), 'Hello' + signatureBlock('Sam (home)'));
    assert.equal(swapSignature(body, 'Sam (work)', ''), 'Hello');
    const edited = 'Hello\n\n-- \nSam, on holiday';
    assert.equal(swapSignature(edited, 'Sam (work)', 'Sam (home)'), edited);
    assert.equal(swapSignature('Hello', '', 'Sam (home)'), 'Hello' + signatureBlock('Sam (home)'));
  });
});
