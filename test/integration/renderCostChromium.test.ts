/**
 * Message CSS that makes rendering cost explode (issue 16, denial of service by mail): the
 * thread page with hostile messages, each nesting one costly class of CSS many levels deep
 * (scale and zoom that multiply down the tree, blurs and shadows over what they magnify,
 * font sizes in em, reflections that double at every level, huge lengths, layers, counters,
 * animations), sanitised by the real renderer and shown in headless Chromium with the thread
 * view's CSS and CSP. From the page: a script roundtrip and an animation frame each complete
 * within a bound, before and after scrolling through every message; and the page still
 * answers to a click. On the code before the cost bounds, the scale+blur message alone held
 * the renderer for tens of seconds per frame.
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
const CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; script-src 'unsafe-inline'";

/** Resolves with the time `work` took, or rejects when it takes longer than BOUND_MS. */
async function within<T>(what: string, work: () => Promise<T>): Promise<number> {
  const t0 = Date.now();
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${BOUND_MS} ms (the renderer is stuck)`)), BOUND_MS);
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
    html = threadPageHtml('Hi', msgs, { csp: CSP, interactive: true, inlineCss: css }).replace('</body>', `<button id="probe" onclick="this.dataset.clicked='yes'" style="position:fixed;top:0;right:0;z-index:9">probe</button></body>`);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
  });

  after(async () => {
    await browser?.close().catch(() => undefined);
  });

  it('answers a script roundtrip and draws a frame within 3 s, at the top and at every message, and takes a click', async () => {
    assert.ok(names.length >= 10, `${names.length} attack messages`);
    const page = await browser.newPage({ viewport: { width: 1200, height: 800 } });
    const timings: string[] = [];
    await within('loading the page', () => page.setContent(html, { waitUntil: 'domcontentloaded' }));
    let parts = 0;
    await within('counting the parts', async () => (parts = await page.evaluate(() => document.querySelectorAll('.md-part').length)));
    assert.equal(parts, names.length, 'every attack is in the page, in its own part');
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
});
