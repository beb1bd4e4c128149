/**
 * Message CSS that makes rendering cost explode (issue 16, denial of service by mail): the
 * thread page with hostile messages, each nesting one costly class of CSS many levels deep
 * (scale and zoom that multiply down the tree, blurs and shadows over what they magnify,
 * font sizes in em, reflections that double at every level, huge lengths, layers, counters,
 * animations), sanitised by the real renderer and shown in headless Chromium with the thread
 * view's CSS and CSP. From the page: a script roundtrip and an animation frame each complete
 * within a bound, before and after scrolling through every message; and the page still
 * answers to a click. On the code before the cost bounds, the scale+blur message alone held
 * the renderer for tens of seconds per frame. Each message alone in the page also loads and
 * draws within the bound: 20,000 <q> alone held it 2.2 s while the browser drew their marks.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { renderMessage } from '../../src/core/render/render';
import { STANDALONE_CSS, threadPageHtml, type PageMessage } from '../../src/core/threads/page';
import { costAttacks } from '../support/cssCostAttacks';
import { rawMessage } from '../support/rawmail';

const CHROMIUM = '/usr/bin/chromium';
const ROOT = path.resolve(__dirname, '..', '..');
/** A frame or a roundtrip slower than this means the page no longer responds (generous for a loaded 2-core machine). */
const BOUND_MS = 3000;
/**
 * The page of every attack together: ~2 MB and ~150,000 elements, whose load is the sum of
 * the messages' own (1.8-2.2 s here, idle). Each message's own load has BOUND_MS.
 */
const LOAD_ALL_MS = 15_000;
const CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; script-src 'unsafe-inline'";

/** Resolves with the time `work` took, or rejects when it takes longer than `bound` ms. */
async function within<T>(what: string, work: () => Promise<T>, bound = BOUND_MS): Promise<number> {
  const t0 = Date.now();
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${bound} ms (the renderer is stuck)`)), bound);
  });
  try {
    await Promise.race([work(), late]);
  } finally {
    clearTimeout(timer);
  }
  return Date.now() - t0;
}

/** One script roundtrip and one animation frame (which waits for style, layout and paint of the frame before it). */
const frame = (page: Page): Promise<unknown> => page.evaluate(() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(() => done(1)))));

describe('message CSS cannot freeze the thread page (real Chromium, costly CSS nested deep)', function () {
  this.timeout(60_000);
  let browser: Browser;
  let html = '';
  let names: string[] = [];
  let alone: string[] = [];

  before(async function () {
    if (!fs.existsSync(CHROMIUM)) this.skip();
    const attacks = costAttacks();
    names = attacks.map((a) => a.id);
    const msgs: PageMessage[] = [];
    for (const [i, a] of attacks.entries()) {
      const raw = Buffer.from(rawMessage({ from: `Mallory <m${i}@attacker.example.test>`, to: 'me@example.org', subject: 'Hi', html: a.html, text: 'Hi' }));
      const rendered = await renderMessage(raw, { allowRemote: false });
      msgs.push({ id: i + 1, from: rendered.parsed.from, to: rendered.parsed.to, cc: [], date: Date.UTC(2025, 0, 1, 0, i), unread: false, expanded: true, folderNames: [], rendered, remoteAllowed: false });
    }
    const css = STANDALONE_CSS + fs.readFileSync(path.join(ROOT, 'media', 'thread.css'), 'utf8');
    const page = (list: PageMessage[]): string => threadPageHtml('Hi', list, { csp: CSP, interactive: true, inlineCss: css });
    html = page(msgs).replace('</body>', `<button id="probe" onclick="this.dataset.clicked='yes'" style="position:fixed;top:0;right:0;z-index:9">probe</button></body>`);
    alone = msgs.map((m) => page([m]));
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
  });

  after(async () => {
    await browser?.close().catch(() => undefined);
  });

  it('answers a script roundtrip and draws a frame within 3 s, at the top and at every message, and takes a click', async () => {
    assert.ok(names.length >= 10, `${names.length} attack messages`);
    const page = await browser.newPage({ viewport: { width: 1200, height: 800 } });
    const timings: string[] = [];
    // The renderer process starts with the first document; that start is not the page's cost.
    await page.setContent('<!doctype html><p>ready</p>');
    timings.push(`load ${await within('loading the page', () => page.setContent(html, { waitUntil: 'domcontentloaded' }), LOAD_ALL_MS)} ms`);
    let parts = 0;
    await within('counting the parts', async () => (parts = await page.evaluate(() => document.querySelectorAll('.md-part').length)));
    assert.equal(parts, names.length, 'every attack is in the page, in its own part');
    // <q> keeps its marks, as fixed text (isolate.ts): none of them counts quote depth.
    const marks = await page.evaluate(() => {
      const out = new Set<string>();
      for (const host of Array.from(document.querySelectorAll('.md-part'))) {
        for (const q of Array.from(host.shadowRoot?.querySelectorAll('q') ?? [])) out.add(`${getComputedStyle(q, '::before').content} ${getComputedStyle(q, '::after').content}`);
      }
      return [...out];
    });
    assert.deepEqual(marks, ['"\u201c" "\u201d"']);
    timings.push(`top ${await within('the first frame', () => frame(page))} ms`);
    // Every message in view in turn: its own part has to be painted.
    for (let i = 0; i < names.length; i++) {
      const ms = await within(`a frame with ${names[i]} in view`, async () => {
        await page.evaluate((k) => document.querySelectorAll('.md-msg')[k].scrollIntoView({ block: 'start' }), i);
        await frame(page);
      });
      timings.push(`${names[i]} ${ms} ms`);
    }
    await within('a click', () => page.click('#probe', { timeout: BOUND_MS }));
    let clicked: string | undefined;
    await within('reading the click', async () => (clicked = await page.evaluate(() => document.getElementById('probe')!.dataset.clicked)));
    assert.equal(clicked, 'yes');
    await page.close();
    console.log(`      frames: ${timings.join(', ')}`);
  });

  it('each message alone in the thread page loads within 3 s', async () => {
    const page = await browser.newPage({ viewport: { width: 1200, height: 800 } });
    const took: Array<[string, number]> = [];
    for (const [i, one] of alone.entries()) {
      // From a blank page each time: loading over the last message would count its teardown.
      await page.goto('about:blank');
      took.push([names[i], await within(`${names[i]} alone: loading the page`, () => page.setContent(one, { waitUntil: 'domcontentloaded' }))]);
    }
    await page.close();
    took.sort((a, b) => b[1] - a[1]);
    console.log(`      slowest alone: ${took.slice(0, 5).map(([n, ms]) => `${n} ${ms} ms`).join(', ')}`);
  });
});
