/**
 * Message CSS in the real thread page, end to end without VS Code around it (issue 16): the
 * messages are in Dovecot, the engine syncs them and builds the conversation's page
 * (`reading/thread`, sanitised in the engine, each part in its own shadow root, the CSP with
 * the allowed message's origins), and headless Chromium shows that page with the thread
 * view's own CSS and script (media/thread.css, dist/webview-thread.js) and its CSP.
 *
 * One conversation holds a bank's message (a reset link, a blocked image, so a banner) and
 * replies carrying the generated attacks of test/support/cssAttacks.ts: selectors reaching
 * for the reader, declarations breaking out, overlays, a dropped style block, and the
 * exfiltration attacks in the one reply whose remote content is allowed. A second
 * conversation has the same shape with harmless bodies: the yardstick. From the page:
 *  - every control of the reader keeps its text, look, size and place and is the element
 *    found at its own centre (elementFromPoint), the banners and the notices are shown;
 *  - every rule left in a part's shadow root starts at that part's box (the CSSOM, not a parser of ours);
 *  - the link hint shows where the bank's link goes;
 *  - after hovering, focusing, selecting and resizing, the only requests that went out are
 *    the allowed reply's own images, and the CSP refused nothing (nothing else was even tried).
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { EngineClient } from '../../src/engine/client';
import type { ThreadPageParams } from '../../src/shared/protocol/engineAreas/reading';
import { startTracker, type Tracker } from '../e2e/lib/tracker';
import { type ControlsSeen, readControlsInPage } from '../support/controlView';
import { exfilAttacks, overlayAttacks, selectorAttacks, valueBreakouts, type CssAttack } from '../support/cssAttacks';
import { imapAccount, tempDir } from '../support/core';
import { type EngineHere, startEngineHere, stopEngineHere } from '../support/engineHere';
import { requireDovecot, startDovecot, type Dovecot } from '../support/dovecot';
import { rawMessage } from '../support/rawmail';

const ROOT = path.resolve(__dirname, '..', '..');
const CHROMIUM = '/usr/bin/chromium';
const NONCE = 'aXNvbGF0aW9u';
const ME = 'reader@example.test';
const BANK = 'Bank <security@bank.example.test>';
const MALLORY = 'Mallory <mallory@attacker.example.test>';

/** Every n-th of a list, so a representative share of a class goes into the browser. */
const sample = <T>(list: T[], n: number): T[] => list.filter((_, i) => i % n === 0);

interface Reply {
  name: string;
  html: string;
  /** The user pressed "Load for this message" on it. */
  remote?: boolean;
  /** More HTML parts after `html`, each its own body part. */
  parts?: string[];
}

const PAGE_CONTROLS = ['.md-subject', '.md-count', '.md-toolbar'];
const MESSAGE_CONTROLS = [
  '.md-toggle',
  '.md-toggle .md-from',
  '.md-toggle .md-date',
  '.md-meta',
  '.md-banner',
  '.md-banner > span',
  '.md-banner [data-md-action="loadRemote"]',
  '.md-banner [data-md-action="allowSender"]',
  '.md-warn',
  '.md-actions [data-md-mode="reply"]',
  '.md-actions [data-md-mode="replyAll"]',
  '.md-actions [data-md-mode="forward"]',
  '.md-actions [data-md-action="viewSource"]',
];

function readControls(page: Page): Promise<ControlsSeen> {
  return page.locator('body').evaluate(readControlsInPage, { page: PAGE_CONTROLS, message: MESSAGE_CONTROLS });
}

describe('message CSS in the real thread page (engine + headless Chromium, generated attacks)', function () {
  this.timeout(180_000);
  let dv: Dovecot;
  let dir: string;
  let here: EngineHere | undefined;
  let client: EngineClient;
  let tracker: Tracker;
  let browser: Browser;
  let inboxId: number;
  /** The webview's own origin: a loopback server of ours (a public origin may not load from loopback hosts at all). */
  let site: http.Server;
  let ORIGIN = '';
  let pageHtml = '';
  const webview = (): ThreadPageParams['webview'] => ({ cspSource: ORIGIN, nonce: NONCE, scriptSrc: `${ORIGIN}/thread.js`, cssHref: `${ORIGIN}/thread.css` });
  const evil = (): string => `https://127.0.0.1:${tracker.port}`;

  /** The conversation's replies; `plain` gives the yardstick's harmless bodies of the same shape. */
  function replies(plain: boolean): Reply[] {
    const img = (name: string): string => `<img src="${tracker.namedUrl('other', `/t/${name}.png`)}" width="1" height="1">`;
    const join = (list: CssAttack[]): string => list.map((a) => a.html.replace(/<p class="inside"/g, '<p class="inside"')).join('\n');
    const body = (html: string, name: string): string => (plain ? `<p class="inside">Hello</p>${img(name)}` : `${html}${img(name)}`);
    const bigStyle = `<style>.x{color:red}${' '.repeat(600 * 1024)}</style><style>.md-warn,[role=note],:host{display:none!important}</style>`;
    return [
      { name: 'selectors', html: body(join(sample(selectorAttacks(), 3)), 'selectors') },
      // One HTML part each (a shadow root each), so one open comment or string cannot hide the rest.
      { name: 'breakouts', html: body('', 'breakouts'), parts: plain ? undefined : sample(valueBreakouts(), 6).map((x) => x.html) },
      // Every overlay, blurs and giant scales together: bounded by cssCost.ts, they no longer
      // hold the renderer (renderCostChromium.test.ts measures that).
      { name: 'overlays', html: body(join(overlayAttacks()), 'overlays') },
      // Its notice ("a style block could not be used") must show, whatever its other style says.
      { name: 'dropped-style', html: plain ? `<p class="inside">Hello</p>${bigStyle}${img('dropped')}` : `${bigStyle}${join(overlayAttacks().filter((x) => /blur/.test(x.html)))}${img('dropped')}` },
      // Remote content allowed: its own unconditional images load, nothing else.
      { name: 'exfil', html: plain ? `<p class="inside">Hello</p><img src="${evil()}/own/plain.png" width="1" height="1">` : join(exfilAttacks(evil())), remote: true },
    ];
  }

  before(async function () {
    requireDovecot(this);
    if (!fs.existsSync(CHROMIUM)) this.skip();
    for (const f of ['dist/webview-thread.js', 'media/thread.css']) assert.ok(fs.existsSync(path.join(ROOT, f)), `${f} is missing: run node esbuild.mjs`);
    tracker = await startTracker();
    dv = await startDovecot({ users: { reader: 'secret' } });
    const seeded: Array<{ raw: string }> = [];
    for (const [k, plain] of [false, true].entries()) {
      // The yardstick's conversation is a month older: told apart by date, alike in everything shown.
      const start = Date.parse(plain ? '2025-03-01T08:00:00Z' : '2025-04-01T08:00:00Z');
      const rootId = `reset-${k}@bank.example.test`;
      const reset = tracker.namedUrl('bank', '/reset?token=7f3a');
      seeded.push({
        raw: rawMessage({
          from: BANK,
          to: ME,
          subject: 'Account notice',
          messageId: rootId,
          date: new Date(start),
          html: `<p>Reset your password: <a href="${reset}" title="Reset">reset it here</a>.</p><img src="${tracker.namedUrl('bank', '/logo.png')}" width="1" height="1">`,
        }),
      });
      for (const [i, r] of replies(plain).entries()) {
        const raw = rawMessage({ from: MALLORY, to: ME, subject: 'Re: Account notice', inReplyTo: rootId, references: rootId, messageId: `${r.name}-${k}@attacker.example.test`, date: new Date(start + (i + 1) * 60_000), html: r.html });
        seeded.push({ raw: r.parts ? withHtmlParts(raw, [r.html, ...r.parts]) : raw });
      }
    }
    dv.seedMaildir('reader', 'INBOX', seeded);
    dir = tempDir('maildesk-isolation-chromium-');
    here = await startEngineHere(dir, { reader: 'secret' });
    client = here.client;
    await client.request('accounts/add', { account: imapAccount('reader', dv.port) });
    const r = await client.request('sync/once', { accountIds: ['reader'] });
    assert.ok(r.ok, `sync failed: ${r.failed.map((j) => j.errorMessage).join('; ')}`);
    inboxId = r.accounts[0].folders.find((f) => f.path === 'INBOX')!.id;
    site = http.createServer((req, res) => {
      const files: Record<string, [string, () => string | Buffer]> = {
        '/thread.html': ['text/html', () => pageHtml],
        '/thread.js': ['text/javascript', () => fs.readFileSync(path.join(ROOT, 'dist', 'webview-thread.js'))],
        '/thread.css': ['text/css', () => fs.readFileSync(path.join(ROOT, 'media', 'thread.css'))],
      };
      const f = files[req.url ?? ''];
      res.writeHead(f ? 200 : 404, { 'content-type': f ? f[0] : 'text/plain' });
      res.end(f ? f[1]() : '');
    });
    await new Promise<void>((resolve) => site.listen(0, '127.0.0.1', resolve));
    ORIGIN = `http://127.0.0.1:${(site.address() as AddressInfo).port}`;
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  });

  after(async () => {
    await browser?.close().catch(() => undefined);
    await stopEngineHere(here);
    await dv?.dispose();
    await tracker?.stop();
    await new Promise((resolve) => (site ? site.close(resolve) : resolve(undefined)));
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  /** The conversation's page as the engine builds it for a window, and the ids of its messages. */
  async function threadPage(plain: boolean): Promise<{ html: string; ids: number[] }> {
    const list = await client.request('reading/listPage', { folderId: inboxId, limit: 100, grouped: false });
    const day = plain ? '2025-03-01' : '2025-04-01';
    const root = list!.items.find((i) => i.subject === 'Account notice' && new Date(i.date).toISOString().startsWith(day))!;
    const loc = await client.request('reading/locate', { messageId: root.id, folderId: inboxId });
    assert.ok(loc);
    const first = await client.request('reading/thread', { accountId: loc.accountId, threadKey: loc.threadKey, keepFolderId: loc.folderId, remoteAllowed: [], markRead: false, webview: webview() });
    const ids = first.rows.map((x) => x.id);
    assert.equal(ids.length, 1 + replies(plain).length, 'the whole conversation');
    // "Load for this message" on the exfiltration reply, every message expanded.
    const allowed = replies(plain).flatMap((x, i) => (x.remote ? [ids[i + 1]] : []));
    const p = await client.request('reading/thread', { accountId: loc.accountId, threadKey: loc.threadKey, keepFolderId: loc.folderId, remoteAllowed: allowed, expanded: ids, markRead: false, webview: webview() });
    return { html: p.html, ids };
  }

  /** Shows the page in Chromium as the webview would: our origin serves the page, its CSS and script. */
  async function show(html: string): Promise<{ page: Page; posted: unknown[]; violations: () => Promise<string[]> }> {
    // The page is a secure context, as a webview is: Chromium upgrades http images to https, and the tracker's certificate is its own.
    const context = await browser.newContext({ viewport: { width: 1200, height: 800 }, ignoreHTTPSErrors: true });
    const page = await context.newPage();
    const posted: unknown[] = [];
    await page.exposeFunction('__mdPost', (m: unknown) => void posted.push(m));
    await page.addInitScript(() => {
      const w = window as unknown as { acquireVsCodeApi: () => unknown; __mdPost: (m: unknown) => void; __mdViolations: string[] };
      // tsx names functions with a helper the page does not have: the evaluated code calls it.
      (window as unknown as { __name: (f: unknown) => unknown }).__name = (f: unknown) => f;
      w.__mdViolations = [];
      document.addEventListener('securitypolicyviolation', (e) => w.__mdViolations.push(`${e.violatedDirective} ${e.blockedURI}`));
      w.acquireVsCodeApi = () => ({ postMessage: (m: unknown) => w.__mdPost(m) });
    });
    pageHtml = html;
    await page.goto(`${ORIGIN}/thread.html`);
    await page.locator('.md-part').first().waitFor({ state: 'attached' });
    return { page, posted, violations: () => page.evaluate(() => (window as unknown as { __mdViolations: string[] }).__mdViolations) };
  }

  it('keeps every control of the reader as it is, starts every rule at its part, and loads nothing but the allowed reply\'s own images', async () => {
    const base = await threadPage(true);
    const attacked = await threadPage(false);
    assert.ok(attacked.html.length > base.html.length + 20_000, `the attacks are in the page: ${attacked.html.length} vs ${base.html.length}`);
    // The CSP the engine wrote: the allowed reply's origin, and nothing for the others.
    const csp = /Content-Security-Policy" content="([^"]*)"/.exec(attacked.html)![1].replace(/&#39;/g, "'");
    assert.match(csp, new RegExp(`img-src ${ORIGIN} data: ${evil().replace(/[.]/g, '\\.')};`));

    const b = await show(base.html);
    const yard = await readControls(b.page);
    for (const c of yard.controls) if (!c.sel.endsWith('.md-warn') && !(c.sel.startsWith(`#5 .md-banner`))) assert.ok(!c.missing && c.visible && c.hitOk, `yardstick: ${JSON.stringify(c)}`);
    await b.page.context().close();
    const hitsBefore = tracker.hits.length;

    const a = await show(attacked.html);
    const page = a.page;
    const seen = await readControls(page);
    const problems: string[] = [];
    if (seen.look !== yard.look) problems.push(`the page's own look changed: ${seen.look} (was ${yard.look})`);
    for (const [i, c] of seen.controls.entries()) {
      const y = yard.controls[i];
      assert.equal(c.sel, y.sel);
      if (y.missing) {
        if (!c.missing && !c.sel.endsWith('.md-warn')) problems.push(`${c.sel} appeared`);
        if (c.missing) continue;
      }
      if (c.missing) {
        problems.push(`${c.sel} is gone`);
        continue;
      }
      if (!c.visible) problems.push(`${c.sel} is not visible`);
      if (!c.hitOk) problems.push(`${c.sel} is covered by ${c.hitWhat}`);
      if (c.sel.endsWith('.md-warn')) continue;
      if (!/md-toggle$|md-date|md-meta|md-count/.test(c.sel) && c.text !== y.text) problems.push(`${c.sel} reads "${c.text}", not "${y.text}"`);
      if (c.look !== y.look) problems.push(`${c.sel} looks different: ${c.look} (was ${y.look})`);
      // The dates differ by a month (the yardstick is older): their width with them.
      if (c.sel.endsWith('.md-date') ? c.height !== y.height : c.left !== y.left || c.width !== y.width || c.height !== y.height) problems.push(`${c.sel} moved or changed size: ${c.left}/${c.width}/${c.height} (was ${y.left}/${y.width}/${y.height})`);
    }
    assert.deepEqual(problems, [], 'every control of the reader is as it was');

    // The notices: the dropped style block is said, on top of what tried to hide it.
    const warn = seen.controls.find((c) => c.sel === '#4 .md-warn');
    assert.ok(warn && !warn.missing && warn.visible && warn.hitOk, JSON.stringify(warn));
    assert.match(warn.text ?? '', /A style block of this message could not be used/);
    // The banners: the bank's and each blocked reply's, not the allowed one's.
    assert.deepEqual(await page.locator('.md-msg').evaluateAll((ms) => ms.map((m) => !!m.querySelector('.md-banner'))), [true, true, true, true, true, false]);

    // The browser's own view of the rules: every message rule starts at its part's box.
    const rules = await page.evaluate(() => {
      const out: string[] = [];
      const walk = (list: CSSRuleList, where: string): void => {
        for (const r of Array.from(list)) {
          if (r instanceof CSSStyleRule) out.push(`${where}${r.selectorText}`);
          else if (r instanceof CSSMediaRule) walk(r.cssRules, `${where}@media ${r.conditionText} `);
          else out.push(`${where}${r.cssText.slice(0, 80)}`);
          if ('cssRules' in r && !(r instanceof CSSMediaRule) && (r as CSSGroupingRule).cssRules.length) out.push(`${where}nested in ${r.cssText.slice(0, 40)}`);
        }
      };
      document.querySelectorAll('.md-part').forEach((host) => {
        host.shadowRoot?.querySelectorAll('.md-mail style').forEach((s) => walk((s as HTMLStyleElement).sheet!.cssRules, ''));
      });
      return { rules: out, pageSheets: document.styleSheets.length, parts: document.querySelectorAll('.md-part').length, roots: Array.from(document.querySelectorAll('.md-part')).filter((h) => h.shadowRoot).length };
    });
    assert.equal(rules.roots, rules.parts, 'every part has its shadow root');
    assert.ok(rules.parts > 100, `${rules.parts} parts`);
    // Every part's box is as the page made it: shown, contained, in place, and its message inside.
    const hosts = await page.evaluate(() =>
      Array.from(document.querySelectorAll<HTMLElement>('.md-part')).map((h) => {
        const cs = getComputedStyle(h);
        const r = h.getBoundingClientRect();
        const inside = h.shadowRoot?.querySelector('.md-mail');
        return [cs.display, cs.position, cs.contain, cs.overflow, cs.isolation, cs.zoom, cs.transform, cs.filter, cs.opacity, cs.visibility, r.width > 0 && r.height > 0, !!inside].join('|');
      }),
    );
    const want = 'block|relative|layout paint|auto|isolate|1|none|none|1|visible|true|true';
    assert.deepEqual(hosts.map((h, i) => [i, h]).filter(([, h]) => h !== want), [], 'every part box is shown and contained');
    assert.equal(rules.pageSheets, 1, 'the page itself has only the thread view\'s stylesheet');
    assert.ok(rules.rules.length > 50, `only ${rules.rules.length} message rules reached the page`);
    const outside = rules.rules.filter((r) => {
      const sel = r.replace(/^(?:@media [^]*? )?/, '');
      return topLevelSelectors(sel).some((s) => !/^\.md-mail(?: |$)/.test(s)) || /:host|::part|::slotted|md-(?!mail)|&/.test(sel);
    });
    assert.deepEqual(outside, []);

    // The link hint says where the bank's link goes, outside every message.
    const link = page.locator('.md-msg').first().locator('a[data-maildesk-href]');
    await link.hover();
    const hint = page.locator('#md-linkhint');
    await hint.waitFor({ state: 'visible' });
    assert.equal(await hint.textContent(), `http://bank.localhost:${tracker.port}/reset?token=7f3a`);
    await link.click();
    assert.deepEqual(a.posted.at(-1), { type: 'openLink', href: `http://bank.localhost:${tracker.port}/reset?token=7f3a` });

    // Read it as a person would: hover and focus everything, select the text, resize the window.
    for (const p of await page.locator('.md-mail p, .md-mail a, .md-mail div').all().then((l) => l.slice(0, 60))) await p.hover({ force: true, timeout: 2000 }).catch(() => undefined);
    await page.keyboard.press('Tab');
    for (let i = 0; i < 30; i++) await page.keyboard.press('Tab');
    await page.evaluate(() => document.querySelectorAll('.md-part').forEach((h) => h.shadowRoot && document.getSelection()?.selectAllChildren(h.shadowRoot.querySelector('.md-mail')!)));
    await page.setViewportSize({ width: 500, height: 700 });
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.emulateMedia({ media: 'print' });
    await page.waitForTimeout(1500);
    const hits = tracker.hits.slice(hitsBefore).map((h) => `${h.host}${h.url}`);
    assert.ok(hits.includes(`127.0.0.1:${tracker.port}/own/bg.png`), `the allowed reply's own background loads: ${JSON.stringify(hits)}`);
    assert.deepEqual(hits.filter((h) => !h.startsWith(`127.0.0.1:${tracker.port}/own/`)), [], 'no load but the allowed reply\'s own images');
    assert.deepEqual(await a.violations(), [], 'the CSP had nothing to refuse: the page tried no other load');
    await page.context().close();
  });
});

/** A selector list's selectors, split at its top-level commas (not those inside :is() and the like). */
function topLevelSelectors(list: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const c of list) {
    if (c === '(') depth++;
    else if (c === ')') depth--;
    if (c === ',' && depth === 0) {
      out.push(cur.trim());
      cur = '';
    } else cur += c;
  }
  out.push(cur.trim());
  return out;
}

/** The message with its body replaced by a multipart/mixed of these HTML parts. */
function withHtmlParts(raw: string, parts: string[]): string {
  const head = raw.slice(0, raw.indexOf('MIME-Version: 1.0\r\n') + 'MIME-Version: 1.0\r\n'.length);
  const body = parts.map((p) => `--part\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n${Buffer.from(p).toString('base64').replace(/.{76}/g, '$&\r\n')}\r\n`).join('');
  return `${head}Content-Type: multipart/mixed; boundary="part"\r\n\r\n${body}--part--\r\n`;
}
