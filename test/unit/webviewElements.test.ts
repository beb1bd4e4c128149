import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { COMPOSE_ELEMENTS, composePageBody } from '../../src/extension/compose/composePage';
import { composeStrings } from '../../src/extension/pageStrings';
import { TROUBLESHOOT_ELEMENTS, troubleshootPageBody } from '../../src/extension/troubleshoot/troubleshootPage';

// The composer and Troubleshoot pages are built on the host and driven by a browser script:
// the two must agree on ids, and every @vscode-elements component the page (or the script)
// puts on screen must be imported by that script, alone (an element never defined draws
// nothing and is silently empty; the whole library would bloat the bundle).

const ROOT = path.join(__dirname, '..', '..');
const script = (name: string): string => fs.readFileSync(path.join(ROOT, 'src', 'webview', name, 'main.ts'), 'utf8');

/** Ids the script requires (`$('x')`, `$<T>('x')`) and those it treats as optional (`getElementById('x')`). */
function idsUsed(src: string): { required: string[]; optional: string[] } {
  const required = [...src.matchAll(/\$(?:<[^>]+>)?\('([\w-]+)'\)/g)].map((m) => m[1]);
  const optional = [...src.matchAll(/getElementById\('([\w-]+)'\)/g)].map((m) => m[1]);
  return { required, optional };
}

const idsIn = (html: string): Set<string> => new Set([...html.matchAll(/\sid="([\w-]+)"/g)].map((m) => m[1]));
const tagsIn = (html: string): Set<string> => new Set([...html.matchAll(/<(vscode-[\w-]+)/g)].map((m) => m[1]));
const createdBy = (src: string): Set<string> => new Set([...src.matchAll(/createElement\('(vscode-[\w-]+)'\)/g)].map((m) => m[1]));
const importedBy = (src: string): string[] => [...src.matchAll(/^import '@vscode-elements\/elements\/dist\/(vscode-[\w-]+)\/index\.js';$/gm)].map((m) => m[1]);

function checkElements(src: string, pages: string[], declared: readonly string[]): void {
  const used = new Set([...pages.flatMap((p) => [...tagsIn(p)]), ...createdBy(src)]);
  const imported = importedBy(src);
  assert.ok(used.size > 0, 'the page uses components');
  assert.deepEqual([...used].sort(), [...declared].sort(), 'the page module lists the components it and its script use');
  assert.deepEqual([...imported].sort(), [...declared].sort(), 'the script imports exactly those components');
  assert.doesNotMatch(src, /from '@vscode-elements\/elements'|import '@vscode-elements\/elements(\/dist\/(main|bundled)\.js)?'/, 'never the whole library');
}

describe('webview pages built with @vscode-elements', () => {
  const quoteHtml = '<blockquote><p>Could you send the numbers?</p></blockquote>';

  it('composer: every id the script reads is in the page (a reply with a quote, and a new message)', () => {
    const src = script('compose');
    const { required, optional } = idsUsed(src);
    assert.ok(required.includes('to') && required.includes('body') && required.includes('send'), `ids found in the script: ${required.join(', ')}`);
    const full = idsIn(composePageBody({ kind: 'Reply', replyingTo: true, quoteHtml }, composeStrings()));
    for (const id of [...required, ...optional]) assert.ok(full.has(id), `#${id} is in the reply's page`);
    const bare = idsIn(composePageBody({ kind: 'New Message', replyingTo: false, quoteHtml: '' }, composeStrings()));
    for (const id of required) assert.ok(bare.has(id), `#${id} is in a new message's page`);
    for (const id of ['send-archive', 'include-quote', 'quote']) assert.ok(!bare.has(id), `a new message has no #${id}`);
  });

  it('composer: the components used are imported one by one; To, Cc and Bcc stay native comboboxes over the suggestion list', () => {
    const src = script('compose');
    const page = composePageBody({ kind: 'Reply', replyingTo: true, quoteHtml }, composeStrings());
    checkElements(src, [page], COMPOSE_ELEMENTS);
    for (const id of ['to', 'cc', 'bcc']) assert.match(page, new RegExp(`<input id="${id}"[^>]*role="combobox"[^>]*aria-controls="suggest"`), `#${id} is a native combobox`);
    assert.match(page, /<vscode-button id="send"[^>]*aria-keyshortcuts="Control\+Enter"/);
    assert.match(page, /<vscode-button id="send-archive"[^>]*title="[^"]*Ctrl\+Shift\+Enter/);
  });

  it('composer: the page has no script and no inline style of its own (the CSP allows neither)', () => {
    const page = composePageBody({ kind: 'New <Message>', replyingTo: false, quoteHtml: '' }, composeStrings());
    assert.doesNotMatch(page, /<script|\sstyle=|\son\w+=/i);
    assert.match(page, /aria-label="New &lt;Message&gt;"/, 'the kind is escaped');
  });

  it('Troubleshoot: ids, components and no inline script or style', () => {
    const src = script('troubleshoot');
    const page = troubleshootPageBody();
    const ids = idsIn(page);
    const { required, optional } = idsUsed(src);
    assert.ok(required.includes('copy') && required.includes('addresses'), `ids found in the script: ${required.join(', ')}`);
    for (const id of [...required, ...optional]) assert.ok(ids.has(id), `#${id} is in the page`);
    checkElements(src, [page], TROUBLESHOOT_ELEMENTS);
    assert.doesNotMatch(page, /<script|\sstyle=|\son\w+=/i);
  });
});
