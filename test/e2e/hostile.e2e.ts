import { strict as assert } from 'node:assert';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Frame, FrameLocator, Page } from 'playwright-core';
import { describeBlocked } from '../../src/core/render/render';
import { sanitizeHtml } from '../../src/core/render/sanitize';
import { startDovecot, type Dovecot } from '../support/dovecot';
import { rawMessage } from '../support/rawmail';
import { loadHostileCorpus } from '../support/hostileCorpus';
import { startCodeServer, type CodeServer } from './lib/codeServer';
import { reportFailure, skipWithoutCodeServer, stopAll } from './lib/suite';
import { startTracker, type Tracker } from './lib/tracker';
import { REPO_ROOT, packageMailDesk } from './lib/vsix';
import {
  clickActivityBarItem,
  clickDialogButton,
  openFromTree,
  dialogState,
  openWorkbench,
  runCommand,
  screenshot,
  treeItems,
  waitForNotification,
  webviewFrame,
  type Workbench,
} from './lib/workbench';
import { updateReadmeScreenshot } from './lib/readmeScreenshots';
import { addImapAccount, escapeRegExp, waitFor } from './lib/flow';

// Hostile mail in the real thread view: every attack of the shared corpus (and a dozen more
// classes from test/unit/hostile.test.ts) as a message in Dovecot's INBOX, opened by clicking its
// row the way a person reads mail. Every remote URL in them points at a local tracker server, and
// every script payload, if it ever ran, would log a marker, fetch the tracker's /ran and call
// alert(). So "nothing left and nothing ran" is checked where it would show: the tracker's
// connection count, Playwright's request events, page dialogs and the console.

const ME = { email: 'sam.rivera@example.test', name: 'Sam Rivera' };
const SENDER = 'Mallory <mallory@attacker.example.test>';
const MARK = 'MDRAN';

interface Case {
  id: string;
  html: string;
}

const shared = loadHostileCorpus() as Case[];

// Classes of attack from test/unit/hostile.test.ts (kept there in full; here the ones that load
// something or carry a script a browser could run).
const extra: Case[] = [
  { id: 'entity-js', html: '<a href="&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)">x</a><a href="&#x6A;avascript&colon;alert(1)">y</a>' },
  { id: 'mixed-case-tab-nl', html: '<a href=" JaV\tA\nsCr\ripT:alert(1)">x</a><a href="\u0001javascript:alert(1)">y</a><img src="jav&#x09;ascript:alert(1)">' },
  { id: 'svg-feimage', html: '<svg><filter id="f"><feImage href="https://tracker.example/fe.png"/></filter><script>alert(1)</script></svg>' },
  { id: 'video-poster', html: '<video poster="https://tracker.example/poster.png" autoplay><source src="https://tracker.example/v.mp4"></video><audio src="https://tracker.example/a.mp3"></audio>' },
  { id: 'base-href', html: '<base href="https://tracker.example/"><img src="pixel.gif"><a href="page.html">rel</a>' },
  { id: 'image-set', html: '<div style="background-image: image-set(\'https://tracker.example/1x.png\' 1x, url(https://tracker.example/2x.png) 2x)">x</div><div style="background-image:-webkit-image-set(\'https://tracker.example/w.png\' 1x)">y</div>' },
  { id: 'font-face', html: '<style>@font-face { font-family: X; src: url(https://tracker.example/f.woff) format("woff"), local(Arial); } p { font-family: X }</style><p>x</p>' },
  { id: 'css-escapes', html: '<div style="background: u\\rl(https://tracker.example/e1.png)">a</div><div style="background: \\75 rl(https://tracker.example/e2.png)">b</div><div style="background: \\000075\\000072\\00006c(https://tracker.example/e3.png)">c</div>' },
  { id: 'table-background', html: '<table background="https://tracker.example/tb.png"><tr><td background="https://tracker.example/td.png" style="background-image:url(https://tracker.example/tds.png)">x</td></tr></table>' },
  { id: 'body-background', html: '<html><body background="https://tracker.example/body.png" onload="alert(1)"><p>x</p></body></html>' },
  { id: 'img-lowsrc-dynsrc', html: '<img lowsrc="https://tracker.example/low.png" dynsrc="https://tracker.example/dyn.avi" src="cid:missing"><img src="//tracker.example/protocol-relative.png">' },
  { id: 'noscript-mxss', html: '<noscript><p title="</noscript><img src=x onerror=alert(1)>"></noscript>' },
  { id: 'event-handlers', html: '<details open ontoggle=alert(1)><summary>s</summary></details><div onclick="alert(1)" onMouseOver="alert(2)">x</div><marquee onstart=alert(3)>m</marquee>' },
  { id: 'a-ping-download', html: '<a href="https://ok.example/" ping="https://tracker.example/ping2" download target="_blank">Read the full story</a>' },
];

interface Seeded {
  id: string;
  subject: string;
  html: string;
  /** Every absolute URL in the message (what must never show up in the browser's requests). */
  urls: string[];
  /** What the banner must say: describeBlocked() of what the sanitiser removes, '' for no banner. */
  banner: string;
}

/**
 * The case with every remote host pointed at the tracker (https, http, protocol-relative and a
 * host name under .localhost, in turn) and every alert(…) turned into a payload that would be
 * seen: a console marker, a fetch of /ran, then the alert. The payload has no quotes, commas or
 * spaces, so it survives in unquoted attributes, javascript: URLs and base64 SVG alike.
 */
function rewrite(c: Case, i: number, t: Tracker): string {
  const base =
    c.id === 'tracking-img'
      ? t.httpsUrl('') // the pixel as real trackers send it
      : c.id === 'body-background'
        ? t.httpUrl('') // one plain-http load to allow later
        : [t.httpsUrl(''), t.httpUrl(''), t.namedUrl('tracker', '')][i % 3];
  const payload = (): string => `console.log(\`${MARK}:${c.id}\`);fetch(\`${t.httpUrl(`/ran?case=${c.id}`)}\`);alert(\`${MARK}:${c.id}\`)`;
  const scripts = (s: string): string => s.replace(/alert\((?:[^()]|\([^()]*\))*\)/g, payload);
  let html = c.html
    .replace(/https:\/\/tracker\.example\//g, `${base}/t/${c.id}/`)
    .replace(/\/\/tracker\.example\//g, `//127.0.0.1:${t.port}/t/${c.id}/`)
    .replace(/https:\/\/evil\.example\//g, `${t.namedUrl('evil', '')}/t/${c.id}/evil/`)
    .replace(/https:\/\/ok\.example\//g, `${t.namedUrl('ok', '')}/t/${c.id}/ok/`)
    .replace(/smb:\/\/evil\.example\//g, `smb://127.0.0.1:${t.port}/t/${c.id}/smb/`);
  // Payloads inside base64 data: URLs (SVG documents) too.
  html = html.replace(/base64,([A-Za-z0-9+/=]+)/g, (m, b64: string) => {
    const text = Buffer.from(b64, 'base64').toString('latin1');
    return text.includes('alert(') ? `base64,${Buffer.from(scripts(text), 'latin1').toString('base64')}` : m;
  });
  html = scripts(html);
  assert.doesNotMatch(html, /\.example\b|alert\(1\)/, `${c.id}: rewritten case still has an original host or payload`);
  return html;
}

describe('Hostile mail in the thread view (code-server + headless Chromium)', function () {
  let tmp = '';
  let dovecot: Dovecot | undefined;
  let tracker: Tracker | undefined;
  let server: CodeServer | undefined;
  let wb: Workbench | undefined;
  const dialogs: string[] = [];
  const seeded: Seeded[] = [];
  const page = (): Page => wb!.page;
  const t = (): Tracker => tracker!;

  before(async function () {
    skipWithoutCodeServer(this);
    tmp = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'maildesk-e2e-hostile-'));
    const workspaceDir = path.join(tmp, 'workspace');
    await fs.promises.mkdir(workspaceDir, { recursive: true });
    tracker = await startTracker();
    const [vsixPath, dc] = await Promise.all([packageMailDesk(), startDovecot({ users: { alice: 'secret' } })]);
    dovecot = dc;

    // One message per case, a minute apart, so the list order is fixed and each is its own thread.
    const start = Date.parse('2025-03-01T08:00:00Z');
    [...shared, ...extra].forEach((c, i) => {
      const html = rewrite(c, i, t());
      const blocked = sanitizeHtml(html, { allowRemote: false }).blocked;
      const urls = [...new Set([...html.matchAll(/(?:https?:)?\/\/[^\s"'()<>,`\\]+/g)].map((m) => m[0]))];
      seeded.push({ id: c.id, subject: `Hostile: ${c.id}`, html, urls, banner: blocked.length ? `${describeBlocked(blocked)} blocked to protect your privacy.` : '' });
    });
    dovecot.seedMaildir(
      'alice',
      'INBOX',
      seeded.map((s, i) => ({
        raw: rawMessage({ from: SENDER, to: ME.email, subject: s.subject, date: new Date(start + i * 60_000), html: s.html }),
        date: new Date(start + i * 60_000),
      })),
    );

    server = await startCodeServer({ vsixPath, workspaceDir });
    wb = await openWorkbench(server.url, { viewport: { width: 1400, height: 900 } });
    // The tracker's certificate is self-signed; without this Chromium would stop at the TLS
    // handshake and an allowed https image would never become a request the tracker can show.
    const cdp = await wb.browser.newBrowserCDPSession();
    await cdp.send('Security.setIgnoreCertificateErrors', { ignore: true });
    // A script that ran and called alert()/confirm() in any frame would show up here.
    wb.page.on('dialog', (d) => {
      dialogs.push(`${d.type()}: ${d.message()}`);
      void d.dismiss().catch(() => undefined);
    });
  });

  afterEach(async function () {
    await reportFailure(this.currentTest, 'failed-hostile', wb, server, [
      () => (tracker ? `  tracker: ${tracker.connections()} connection(s) ${JSON.stringify(tracker.hits)}` : ''),
      () => (tracker && wb ? `  console: ${JSON.stringify(wb.consoleMessages.filter((l) => l.includes(String(tracker!.port)) || l.includes(MARK)).slice(-10))}` : ''),
    ]);
  });

  after(async () => {
    await stopAll([
      ['closing the browser', wb && (() => wb!.close())],
      ['stopping code-server', server && (() => server!.stop())],
      ['stopping Dovecot', dovecot && (() => dovecot!.dispose())],
      ['stopping the tracker', tracker && (() => tracker!.stop())],
      ['removing the temporary folder', tmp ? () => fs.promises.rm(tmp, { recursive: true, force: true }) : undefined],
    ]);
  });

  it('opens every hostile message: nothing reaches the tracker, no script runs, and the banner says what was blocked', async function () {
    this.timeout(240_000);
    await clickActivityBarItem(page(), 'MailDesk');
    await addImapAccount(page(), { ...ME, password: 'secret', imap: { host: dovecot!.host, port: dovecot!.port, user: 'alice' } });
    await waitForNotification(page(), `${ME.email} added with`, 60_000);
    await runCommand(page(), 'Notifications: Clear All Notifications');

    // Wait until Inbox is synced (the tree stops re-rendering its rows), then open it. A click on a
    // row that a refresh replaced in the same instant is lost, so click again if nothing opened.
    const inboxRow = `${seeded.length} unread · ${seeded.length}`;
    await waitFor(async () => ((await treeItems(page(), 'Mailboxes')).some((r) => r.label === 'Inbox' && r.description === inboxRow) ? true : undefined), `Inbox: ${inboxRow}`, 60_000);
    const list = await openFromTree(page(), 'Mailboxes', 'Inbox', 'MailDesk: Inbox');
    await waitFor(async () => ((await list.locator('#list li.msg').count()) === seeded.length ? true : undefined), `${seeded.length} messages in the list`, 60_000);

    // As a person reading a lot of mail would: the list stays put on the left (its group locked,
    // so each conversation opens beside it) instead of being reloaded after every message.
    await runCommand(page(), 'View: Lock Editor Group');

    const requestsBefore = wb!.requests.length;
    const consoleBefore = wb!.consoleMessages.length;
    const seen: Record<string, string> = {};
    let consoleChecked = false;
    for (const s of seeded) {
      const frame = await openThread(page(), s.subject);
      const body = frame.locator('.md-body .md-part');
      await body.first().waitFor({ state: 'attached', timeout: 15_000 });
      const banner = frame.locator('.md-banner');
      seen[s.id] = (await banner.count()) ? (await banner.locator('span').first().innerText()).trim() : '';
      if (!consoleChecked) {
        // The detector itself: a console line from inside the thread's frame does reach Playwright.
        const f = await contentFrame(frame);
        await f.evaluate((m) => console.log(m), `${MARK}-control`);
        await waitFor(async () => (wb!.consoleMessages.some((l) => l.includes(`${MARK}-control`)) ? true : undefined), 'the control console line', 5000);
        consoleChecked = true;
      }
      if (s.id === 'tracking-img' || s.id === 'style-import') {
        // Off the list, so no row shows as hovered in the picture.
        await frame.locator('.md-subject').hover();
        await screenshot(page(), `hostile-${s.id}`);
      }
      if (s.id === 'link-schemes') await checkInertLinks(frame);
      if (s.id === 'a-ping-download') await checkLinkShowsTarget(frame, s);
      // Left open: the next conversation covers it, and a hidden thread view is torn down anyway.
    }
    // Late loads (fonts, lazy images, a ping) get a moment to show up.
    await page().waitForTimeout(1500);
    // The conversations' group, not the list's: its last tab first, then all of them.
    await page().locator('.tabs-container .tab').filter({ hasText: seeded[seeded.length - 1].subject }).first().click();
    await runCommand(page(), 'View: Close All Editors in Group');
    await page().locator('.tabs-container .tab').filter({ hasText: 'Hostile: ' }).first().waitFor({ state: 'detached', timeout: 10_000 });

    for (const s of seeded) assert.equal(seen[s.id], s.banner, `${s.id}: the banner says what was blocked`);
    assert.match(seen['tracking-img'], /^1 image blocked/);
    assert.match(seen['style-import'], /stylesheet/);
    assert.match(seen['font-face'], /font/);

    assert.equal(t().connections(), 0, `the tracker saw connections: ${JSON.stringify(t().hits)}`);
    const made = wb!.requests.slice(requestsBefore);
    const csOrigin = new URL(server!.url).host;
    // Webview resources use a made-up https host that the webview's service worker answers from
    // the extension folder: they never reach a network.
    const local = (u: URL): boolean => u.host === csOrigin || (u.hostname.endsWith('.vscode-resource.vscode-cdn.net') && u.pathname.startsWith(server!.extensionsDir));
    const outside = made.filter((r) => !/^(data|blob|about):/.test(r.url) && !local(new URL(r.url)));
    assert.deepEqual(outside, [], 'every request the browser made went to code-server itself');
    const allUrls = seeded.flatMap((s) => s.urls);
    assert.deepEqual(
      made.filter((r) => r.url.includes(`:${t().port}`) || allUrls.some((u) => r.url.includes(u.replace(/^(https?:)?\/\//, '')))),
      [],
      'no request for any URL in the messages',
    );
    assert.deepEqual(dialogs, [], 'no dialog opened');
    const consoleNow = wb!.consoleMessages.slice(consoleBefore);
    assert.deepEqual(consoleNow.filter((l) => l.includes(`${MARK}:`) || /Ignored call to '(alert|confirm|prompt)/.test(l)), [], 'no payload logged to the console, no alert() tried');
    // Not even an attempt the CSP had to stop: the sanitiser removed every load and script first.
    assert.deepEqual(consoleNow.filter((l) => l.includes(String(t().port)) || /Content.Security.Policy/i.test(l)), [], 'no blocked attempt in the console');
  });

  it('"Load for this message" loads the tracking pixel (the tracker sees it), and a script beside a remote image still does not run', async function () {
    this.timeout(120_000);
    const requestsBefore = wb!.requests.length;
    const consoleBefore = wb!.consoleMessages.length;

    const pixel = await openThread(page(), 'Hostile: tracking-img');
    await pixel.locator('.md-banner button[data-md-action="loadRemote"]').click();
    const hit = await t().waitForHit((h) => h.url.startsWith('/t/tracking-img/p.gif'), 15_000);
    assert.equal(hit.scheme, 'https');
    await pixel.locator('.md-banner').waitFor({ state: 'detached', timeout: 10_000 });
    // The image is really there now: loaded, 1×1, from the tracker.
    await waitFor(
      async () => ((await pixel.locator('.md-body img').evaluateAll((els) => els.some((e) => (e as HTMLImageElement).complete && (e as HTMLImageElement).naturalWidth === 1))) ? true : undefined),
      'the pixel to be loaded',
      10_000,
    );
    assert.ok(
      wb!.requests.slice(requestsBefore).some((r) => r.url === t().httpsUrl('/t/tracking-img/p.gif?u=alice')),
      'Playwright saw the request for the pixel (so it would have seen any other)',
    );
    await screenshot(page(), 'hostile-tracking-img-loaded');
    await closeEditor(page(), 'Hostile: tracking-img');

    // A plain-http background with an onload payload on the same element: the image loads, the script does not.
    const bg = await openThread(page(), 'Hostile: body-background');
    await bg.locator('.md-banner button[data-md-action="loadRemote"]').click();
    await t().waitForHit((h) => h.url.startsWith('/t/body-background/body.png'), 15_000);
    await closeEditor(page(), 'Hostile: body-background');
    await page().waitForTimeout(1000);

    assert.deepEqual(
      t().hits.map((h) => h.url.split('?')[0]),
      ['/t/tracking-img/p.gif', '/t/body-background/body.png'],
      'the tracker saw the two allowed images and nothing else',
    );
    assert.equal(t().hits.filter((h) => h.url.startsWith('/ran')).length, 0, 'no payload reached the tracker');
    assert.deepEqual(dialogs, [], 'no dialog opened');
    assert.deepEqual(wb!.consoleMessages.slice(consoleBefore).filter((l) => l.includes(`${MARK}:`)), [], 'no payload logged to the console');

    await updateReadmeScreenshot(path.join(REPO_ROOT, 'test', 'e2e', 'artifacts', 'hostile-tracking-img.png'), 'remote-content-blocked.png');
  });

  // ---- the link checks, run on their messages while they are open ------------------------------

  /** link-schemes: javascript:, file:, command: and smb: links are plain text; clicking one does nothing. */
  async function checkInertLinks(frame: FrameLocator): Promise<void> {
    const f = await contentFrame(frame);
    const url = f.url();
    const pages = wb!.context.pages().length;
    const body = frame.locator('.md-body');
    assert.equal(await body.locator('a').count(), 0, 'no live link among javascript:/file:/command:/smb:');
    for (const text of ['a', 'b', 'c', 'd']) await body.locator('span', { hasText: new RegExp(`^${text}$`) }).click();
    await page().waitForTimeout(500);
    assert.equal(f.url(), url, 'the thread view did not navigate');
    assert.equal(await frame.locator('.md-thread').count(), 1, 'the thread is still shown');
    assert.equal(wb!.context.pages().length, pages, 'no window opened');
    assert.equal(await page().locator('.monaco-dialog-box').count(), 0, 'no VS Code dialog');
    assert.deepEqual(dialogs, [], 'no browser dialog');
  }

  /** a-ping-download: a web link shows its real target on hover and in a modal first; cancelling opens nothing. */
  async function checkLinkShowsTarget(frame: FrameLocator, s: Seeded): Promise<void> {
    const pages = wb!.context.pages().length;
    const link = frame.locator('.md-body a', { hasText: 'Read the full story' });
    const target = t().namedUrl('ok', `/t/${s.id}/ok/`);
    // The target is not in a title (message CSS could read one): our own hint shows it on hover.
    assert.equal(await link.getAttribute('title'), null, 'no link target copied into title');
    await link.hover();
    const hint = frame.locator('#md-linkhint');
    await hint.waitFor({ state: 'visible', timeout: 5000 });
    assert.equal(await hint.innerText(), target, 'hovering shows the real target');
    await link.click();
    const dialog = await dialogState(page(), 10_000);
    assert.equal(dialog.message, `Open ${target}?`);
    assert.ok(dialog.buttons.includes('Open') && dialog.buttons.includes('Cancel'), `buttons: ${dialog.buttons}`);
    await screenshot(page(), 'hostile-link-target');
    await clickDialogButton(page(), 'Cancel');
    await page().waitForTimeout(500);
    assert.equal(wb!.context.pages().length, pages, 'no window opened');
    assert.equal(t().connections(), 0, 'no request for the link (nor its ping)');
  }
});

// ---- helpers ---------------------------------------------------------------------------

/** Clicks the message's row in the Inbox list and returns its thread view once the body is in. */
async function openThread(page: Page, subject: string): Promise<FrameLocator> {
  const list = await webviewFrame(page, 'MailDesk: Inbox', 30_000);
  const row = list.locator('#list li.msg').filter({ has: list.locator(`.subject[title="${subject}"]`) });
  await row.click({ timeout: 15_000 });
  let frame: FrameLocator;
  try {
    frame = await webviewFrame(page, subject, 15_000);
  } catch {
    // On a loaded machine a click can land while the list is drawn again (a sync's counts came
    // in) and open nothing: a person clicks once more, and so does the test, once.
    await row.click({ timeout: 15_000 });
    frame = await webviewFrame(page, subject, 20_000);
  }
  // The reading pane is one webview whose page is replaced as the user moves on: wait for
  // this conversation's page, not the one it replaces.
  await frame.locator('.md-subject').filter({ hasText: new RegExp(`^${escapeRegExp(subject)}$`) }).first().waitFor({ state: 'attached', timeout: 15_000 });
  return frame;
}

/** Closes the editor tab titled `title` (the Inbox list comes back to the front). */
async function closeEditor(page: Page, title: string): Promise<void> {
  const tab = page.locator('.tabs-container .tab').filter({ has: page.locator('.label-name', { hasText: new RegExp(`^${escapeRegExp(title)}$`) }) });
  await tab.first().hover();
  await tab.first().locator('.tab-actions .action-label').first().click();
  await tab.first().waitFor({ state: 'detached', timeout: 10_000 });
}

/** The Playwright Frame behind a FrameLocator (for its URL and for the console control). */
async function contentFrame(frame: FrameLocator): Promise<Frame> {
  const handle = await frame.owner().elementHandle();
  const f = await handle?.contentFrame();
  if (!f) throw new Error('the thread view has no frame');
  return f;
}


