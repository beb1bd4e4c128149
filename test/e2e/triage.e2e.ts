import { strict as assert } from 'node:assert';
import type { FrameLocator, Page } from 'playwright-core';
import { rawMessage } from '../support/rawmail';
import { sandboxSuite } from './lib/suite';
import { clickActivityBarItem, activityBarItem, openFromTree, quickInputState, quickInputType, quickInputAccept, runCommand, screenshot, quickPickSelect, treeItems, waitForNotification, webviewFrame } from './lib/workbench';
import { addImapAccount, answer, pick, waitFor } from './lib/flow';
import { updateReadmeScreenshot } from './lib/readmeScreenshots';

// Triage as a person does it in a real VS Code (code-server + headless Chromium) against a private
// Dovecot: keys only (j, j, e, #, z), Move through the quick pick, Shift+click and Delete, the
// reading pane beside the list, and quoted text readable in dark, light and high-contrast themes.
// Every action is checked afterwards on the server, over IMAP, as another mail client sees it.

const ME = { email: 'sam.rivera@example.test', name: 'Sam Rivera' };
const MAILBOXES = 'Mailboxes';
const TAG = Date.now().toString(36);
const T = (i: number): string => `Triage ${TAG} ${i}`;
const QUOTED = `Quoted reply ${TAG}`;
const EDIT_MENU = 'Review the account; pick a setting to change it';

describe('Triage in VS Code (code-server + headless Chromium)', function () {
  const suite = sandboxSuite({
    name: 'triage',
    messages: 60,
    // One row per message: each key acts on exactly one message the test can find on the server.
    settings: { 'maildesk.list.groupByThread': false, 'maildesk.sync.intervalSeconds': 15 },
    viewport: { width: 1400, height: 760 },
    seed: async (mail) => {
      // A server without SPECIAL-USE folders: plain Trash and Junk beside the sandbox's Archive.
      await mail.dovecot.createFolder(mail.user, 'Trash');
      await mail.dovecot.createFolder(mail.user, 'Junk');
      // A folder the person makes their Archive in Edit Account (Folder roles).
      await mail.dovecot.createFolder(mail.user, 'Kept');
      const now = Date.now();
      for (let i = 0; i < 6; i++) {
        const date = new Date(now - i * 60_000);
        await mail.dovecot.append(mail.user, 'INBOX', rawMessage({ from: 'Ann Lee <ann@partner.example.test>', to: ME.email, subject: T(i), date, text: `Message ${i}` }), [], date);
      }
      await mail.dovecot.append(
        mail.user,
        'INBOX',
        rawMessage({
          from: 'Bob Stone <bob@partner.example.test>',
          to: ME.email,
          subject: QUOTED,
          date: new Date(now - 30 * 60_000),
          html: '<p>Sounds good, see below.</p><blockquote type="cite"><p>On Monday Sam wrote:</p><p>Shall we move the review to Thursday afternoon?</p></blockquote>',
        }),
        [],
        new Date(now - 30 * 60_000),
      );
    },
  });
  const page = (): Page => suite.page();
  let list: FrameLocator;

  /** Subjects in a server folder, as another IMAP client sees them. */
  async function onServer(folder: string): Promise<string[]> {
    const c = await suite.mail.dovecot.connect(suite.mail.user);
    try {
      const lock = await c.getMailboxLock(folder, { readOnly: true });
      try {
        const out: string[] = [];
        const exists = c.mailbox && typeof c.mailbox === 'object' ? c.mailbox.exists : 0;
        if (exists) for await (const m of c.fetch('1:*', { envelope: true })) out.push(m.envelope?.subject ?? '');
        return out;
      } finally {
        lock.release();
      }
    } finally {
      await c.logout().catch(() => c.close());
    }
  }
  const serverHas = (folder: string, subject: string, want: boolean) =>
    waitFor(async () => ((await onServer(folder)).includes(subject) === want ? true : undefined), `${subject} ${want ? 'in' : 'not in'} ${folder} on the server`, 30_000);

  /** The palette, once more if a busy machine swallowed the first key press. */
  async function command(title: string): Promise<void> {
    try {
      await runCommand(page(), title, 10_000);
    } catch {
      await page().keyboard.press('Escape');
      await runCommand(page(), title);
    }
  }

  const row = (subject: string) => list.locator('#list li.msg', { hasText: subject });
  const activeSubject = async (): Promise<string> => (await list.locator('#list li.msg.active .subject').getAttribute('title').catch(() => null)) ?? '';
  const waitActive = (subject: string) => waitFor(async () => ((await activeSubject()) === subject ? true : undefined), `the cursor on "${subject}"`, 10_000);
  const selectedSubjects = async (): Promise<string[]> => list.locator('#list li.msg[aria-selected="true"] .subject').evaluateAll((els) => els.map((e) => e.getAttribute('title') ?? ''));

  it('adds the account and opens Inbox as a listbox with one tab stop', async () => {
    const m = suite.mail;
    await activityBarItem(page(), 'MailDesk').waitFor({ state: 'visible', timeout: 30_000 });
    await clickActivityBarItem(page(), 'MailDesk');
    await addImapAccount(page(), { ...ME, password: m.password, imap: { host: m.dovecot.host, port: m.dovecot.port, user: m.user } });
    await waitForNotification(page(), `${ME.email} added with`, 60_000);
    await runCommand(page(), 'Notifications: Clear All Notifications');
    list = await openFromTree(page(), MAILBOXES, 'Inbox', 'MailDesk: Inbox');
    await row(T(5)).waitFor({ state: 'visible', timeout: 60_000 });
    const tabStops = await list.locator('#list').evaluate((ul) => ({
      list: (ul as HTMLElement).tabIndex,
      role: ul.getAttribute('role'),
      inRows: ul.querySelectorAll('li [tabindex="0"], li a[href], li button:not([tabindex="-1"])').length,
    }));
    assert.deepEqual(tabStops, { list: 0, role: 'listbox', inRows: 0 }, 'one tab stop for the whole list; rows are options');

    // The row icons are VS Code's codicons, loaded through the webview's CSP.
    const font = await list.locator('.flag-toggle .codicon').first().evaluate(async (el) => {
      await document.fonts.ready;
      let loaded = false;
      document.fonts.forEach((f) => {
        if (f.family.replace(/"/g, '') === 'codicon' && f.status === 'loaded') loaded = true;
      });
      return { family: getComputedStyle(el, '::before').fontFamily.replace(/"/g, ''), loaded };
    });
    assert.deepEqual(font, { family: 'codicon', loaded: true });

    // The unread count of Inbox is on the MailDesk icon.
    const inboxUnread = await waitFor(async () => {
      const r = (await treeItems(page(), MAILBOXES)).find((x) => x.label === 'Inbox');
      return /^(\d+) unread/.exec(r?.description ?? '')?.[1];
    }, 'the Inbox unread count in the tree');
    await waitFor(
      async () => ((await activityBarItem(page(), 'MailDesk').locator('.badge-content').innerText().catch(() => '')).trim() === inboxUnread ? true : undefined),
      `the badge on the MailDesk icon to show ${inboxUnread}`,
      15_000,
    );
  });

  it('triage by keyboard only: j, j, e, #, z; the server folders follow', async () => {
    await list.locator('#list').focus();
    await page().keyboard.press('j');
    await waitActive(T(0));
    await page().keyboard.press('j');
    await waitActive(T(1));
    const label = await list.locator('#list li.msg.active').getAttribute('aria-label');
    assert.match(label ?? '', new RegExp(`Ann Lee, ${T(1)}`), 'the row has a screen-reader label');
    assert.equal(await list.locator('#list').getAttribute('aria-activedescendant'), await list.locator('#list li.msg.active').getAttribute('id'));

    await page().keyboard.press('e');
    const archived = await waitForNotification(page(), 'Archived 1 message', 15_000);
    assert.ok(archived.buttons.includes('Undo'), 'the notification offers Undo');
    await row(T(1)).waitFor({ state: 'detached', timeout: 10_000 });
    await waitActive(T(2));

    await page().keyboard.press('Shift+Digit3'); // #
    await waitForNotification(page(), 'Moved to Trash 1 message', 15_000);
    await row(T(2)).waitFor({ state: 'detached', timeout: 10_000 });
    await waitActive(T(3));

    await page().keyboard.press('z');
    await row(T(2)).waitFor({ state: 'visible', timeout: 10_000 });

    await serverHas('Archive', T(1), true);
    await serverHas('INBOX', T(1), false);
    await serverHas('INBOX', T(2), true);
    await serverHas('Trash', T(2), false);
    await screenshot(page(), 'triage-keyboard');
    await runCommand(page(), 'Notifications: Clear All Notifications');
  });

  it('moves a message through the quick pick (type-ahead), and the folder is offered first next time', async () => {
    await list.locator('#list').focus();
    await waitActive(T(3)).catch(async () => {
      await row(T(3)).click();
      await waitActive(T(3));
    });
    await page().keyboard.press('v');
    const pick = await quickInputState(page());
    assert.equal(pick.placeholder, 'Type a folder name');
    assert.ok(pick.items.some((i) => /Junk/.test(i)), `Junk is offered: ${pick.items.join(', ')}`);
    // Typed key by key over the list: the list's single-letter keys stay out of the quick pick.
    await page().keyboard.type('Jun');
    await waitFor(async () => ((await quickInputState(page())).items.join(',').match(/^[^,]*Junk/) ? true : undefined), 'the pick filtered to Junk');
    await quickInputAccept(page());
    await waitForNotification(page(), 'Moved 1 message', 15_000);
    await serverHas('Junk', T(3), true);
    await serverHas('INBOX', T(3), false);

    await list.locator('#list').focus();
    await page().keyboard.press('v');
    const again = await quickInputState(page());
    assert.match(again.items[0] ?? '', /Junk/, `recent folders first: ${again.items.join(', ')}`);
    await page().keyboard.press('Escape');
    await runCommand(page(), 'Notifications: Clear All Notifications');
  });

  it('multi-select: click, Shift+click, Delete moves both to Trash', async () => {
    await row(T(4)).click();
    await row(T(5)).click({ modifiers: ['Shift'] });
    await waitFor(async () => ((await selectedSubjects()).length === 2 ? true : undefined), 'two rows selected');
    assert.deepEqual((await selectedSubjects()).sort(), [T(4), T(5)]);
    await page().keyboard.press('Delete');
    await waitForNotification(page(), 'Moved to Trash 2 messages', 15_000);
    await serverHas('Trash', T(4), true);
    await serverHas('Trash', T(5), true);
    await serverHas('INBOX', T(4), false);
    await runCommand(page(), 'Notifications: Clear All Notifications');
  });

  it('row hover actions: Archive, Report spam and Delete show on hover and on the keyboard\'s row, and act on that row', async () => {
    const r = row(T(0));
    await r.hover();
    const actions = r.locator('.row-actions button');
    await actions.first().waitFor({ state: 'visible', timeout: 10_000 });
    const shown = await actions.evaluateAll((els) => els.map((e) => ({ title: e.getAttribute('title'), label: e.getAttribute('aria-label'), tab: (e as HTMLElement).tabIndex })));
    assert.deepEqual(shown, [
      { title: 'Archive (e)', label: 'Archive', tab: -1 },
      { title: 'Report spam (!)', label: 'Report spam', tab: -1 },
      { title: 'Delete (#)', label: 'Delete', tab: -1 },
    ], 'codicon buttons with the key in the tooltip, no tab stops');
    const iconFont = await actions.first().locator('.codicon').evaluate((el) => getComputedStyle(el, '::before').fontFamily.replace(/"/g, ''));
    assert.equal(iconFont, 'codicon');
    // Hidden on the other rows (the mouse is on this one, the list not focused).
    assert.equal(await r.locator('.row-actions').isVisible(), true);
    assert.equal(await list.locator('#list li.msg:not(:hover) .row-actions:visible').count(), 0, 'only the hovered row shows its actions');

    await r.locator('.row-actions button[aria-label="Report spam"]').click();
    const spam = await waitForNotification(page(), 'Reported as spam 1 message', 15_000);
    assert.ok(spam.buttons.includes('Undo'), 'the notification offers Undo');
    await r.waitFor({ state: 'detached', timeout: 10_000 });
    await serverHas('Junk', T(0), true);
    await serverHas('INBOX', T(0), false);
    await runCommand(page(), 'Notifications: Clear All Notifications');

    // On the keyboard's row, with the list focused, the actions show without the mouse.
    await page().mouse.move(0, 0);
    await list.locator('#list').focus();
    await list.locator('#list li.msg.active .row-actions').waitFor({ state: 'visible', timeout: 10_000 });
    assert.equal(await list.locator('#list li.msg .row-actions:visible').count(), 1, 'one row (the active one) shows its actions');
  });

  it('reading pane: opens beside the list and is replaced as one moves on; the list keeps scroll and selection', async () => {
    await list.locator('#list').focus();
    // Each key waits for the cursor to move, as a person sees it move before pressing again.
    let target = await activeSubject();
    for (let i = 0; i < 25; i++) {
      const was = await list.locator('#list li.msg.active').getAttribute('id');
      await page().keyboard.press('j');
      await waitFor(async () => ((await list.locator('#list li.msg.active').getAttribute('id')) !== was ? true : undefined), 'the cursor to move down');
      target = await activeSubject();
    }
    const before = await list.locator('body').evaluate(() => ({ y: window.scrollY, rows: document.querySelectorAll('#list li.msg').length }));
    assert.ok(before.y > 0, 'the list scrolled to keep the cursor in view');

    // The pane's tab is titled by the conversation (its first subject, without "Re:").
    const tabs = () => page().locator('.tabs-container .tab').allInnerTexts().then((t) => t.map((x) => x.trim()));
    const bare = (x: string): string => x.replace(/^(re|fwd?):\s*/i, '');
    const tabsBefore = (await tabs()).length;
    await page().keyboard.press('Enter');
    await waitFor(async () => ((await tabs()).some((t) => t === bare(target)) ? true : undefined), `a tab for "${target}"`, 30_000);
    assert.equal((await tabs()).length, tabsBefore + 1, 'the conversation opens in one reading pane');
    let next = target;
    // Up to the previous conversation with another subject (a reply may sit right above its thread).
    for (let i = 0; i < 6 && bare(next) === bare(target); i++) {
      await page().keyboard.press('k');
      next = await waitFor(async () => {
        const s = await activeSubject();
        return s !== next ? s : undefined;
      }, 'the cursor to move up');
    }
    await page().keyboard.press('Enter');
    await waitFor(async () => ((await tabs()).some((t) => t === bare(next)) ? true : undefined), `a tab for "${next}"`, 30_000);
    const now = await tabs();
    assert.equal(now.length, tabsBefore + 1, `the reading pane was replaced, not a new tab per message: ${now.join(' | ')}`);
    assert.ok(!now.includes(bare(target)), 'the conversation shown before made way');

    const shown = await webviewFrame(page(), bare(next), 10_000);
    await shown.locator('.md-content:not([hidden]) .md-body').first().waitFor({ state: 'visible', timeout: 10_000 });

    // Away from the list and back: it is there at once, where it was.
    await list.locator('#list').focus();
    await command('File: New Untitled Text File');
    await waitFor(async () => ((await tabs()).some((t) => /^Untitled/.test(t)) ? true : undefined), 'an untitled editor over the list');
    await command('View: Revert and Close Editor');
    await waitFor(async () => (!(await tabs()).some((t) => /^Untitled/.test(t)) ? true : undefined), 'the untitled editor to close');
    const after = await list.locator('body').evaluate(() => ({ y: window.scrollY, rows: document.querySelectorAll('#list li.msg').length }));
    assert.equal(after.rows, before.rows, 'no blank list on return');
    assert.equal(after.y, before.y, 'same scroll position');
    assert.equal(await activeSubject(), next, 'same selection');
    // The reading pane still shows its conversation.
    const pane = await webviewFrame(page(), bare(next), 10_000);
    await pane.locator('.md-content:not([hidden]) .md-body').first().waitFor({ state: 'visible', timeout: 10_000 });
    await updateReadmeScreenshot(await screenshot(page(), 'triage-reading-pane'), 'reading-pane.png');
  });

  it('quoted text is readable in dark, light and high-contrast themes (WCAG AA, computed from the page)', async () => {
    list = await openFromTree(page(), MAILBOXES, 'Inbox', 'MailDesk: Inbox');
    await row(QUOTED).click();
    const thread = await webviewFrame(page(), QUOTED, 30_000);
    const quote = thread.locator('.md-body blockquote').first();
    await quote.waitFor({ state: 'visible', timeout: 30_000 });
    const toolbar = await thread.locator('.md-toolbar button').allInnerTexts();
    for (const b of ['Reply', 'Reply all', 'Forward', 'Archive', 'Delete', 'Move…', 'Spam']) assert.ok(toolbar.includes(b), `the action bar has ${b}: ${toolbar.join(', ')}`);
    // Each button has its codicon, and the font loads under the page's CSP (font-src: the webview's own resources).
    const icons = await thread.locator('.md-toolbar button').evaluateAll(async (els) => {
      await document.fonts.ready;
      let loaded = false;
      document.fonts.forEach((f) => {
        if (f.family.replace(/"/g, '') === 'codicon' && f.status === 'loaded') loaded = true;
      });
      return { withIcon: els.filter((e) => e.querySelector('.codicon') && getComputedStyle(e.querySelector('.codicon')!, '::before').fontFamily.replace(/"/g, '') === 'codicon').length, all: els.length, loaded };
    });
    assert.deepEqual(icons, { withIcon: icons.all, all: icons.all, loaded: true }, 'every action has a codicon and the icon font loaded');

    for (const [theme, kind] of [
      ['Dark Modern', 'vscode-dark'],
      ['Light Modern', 'vscode-light'],
      ['Dark High Contrast', 'vscode-high-contrast'],
    ] as const) {
      await command('Preferences: Color Theme');
      await quickInputType(page(), theme);
      await quickPickSelect(page(), theme);
      await waitFor(async () => ((await thread.locator('body').getAttribute('class'))?.includes(kind) ? true : undefined), `the ${theme} theme in the webview`, 15_000);
      const ratio = contrast(await quote.evaluate(paintedColours));
      const shot = await screenshot(page(), `triage-quote-${kind}`);
      if (kind === 'vscode-dark') await updateReadmeScreenshot(shot, 'quoted-reply-dark.png');
      assert.ok(ratio >= 4.5, `quoted text contrast in ${theme} is ${ratio.toFixed(2)}:1, below WCAG AA 4.5:1`);
    }

    // The action bar acts on the conversation: Archive closes it and the server has it in Archive.
    assert.equal(await thread.locator('.md-toolbar button', { hasText: 'Archive' }).getAttribute('title'), 'Archive (e)', 'the tooltip names the key');
    await thread.locator('.md-toolbar button', { hasText: 'Archive' }).click();
    await waitForNotification(page(), 'Archived 1 message', 15_000);
    await serverHas('Archive', QUOTED, true);
    await serverHas('INBOX', QUOTED, false);
  });

  it('Edit Account: every current value is shown for review; a change (name, outgoing server) is saved and tested', async () => {
    const m = suite.mail;
    const input = page().locator('.quick-input-widget .quick-input-box input');
    /** The step shows `current` already filled in; the person types `next` (or keeps it). */
    const review = async (prompt: RegExp, current: string, next = current): Promise<void> => {
      await waitFor(async () => ((await page().locator('.quick-input-widget .quick-input-message').innerText().catch(() => '')).match(prompt) ? true : undefined), `the step ${prompt}`);
      assert.equal(await input.inputValue(), current, `${prompt} is prefilled`);
      await answer(page(), prompt, next);
    };
    await command('MailDesk: Edit Account…');
    // The account's values first, for review, and what can be changed.
    const menu = await waitFor(async () => {
      const st = await quickInputState(page(), 2000).catch(() => undefined);
      return st?.placeholder === EDIT_MENU && st.items.includes('Folder roles…') ? st : undefined;
    }, 'the Edit Account menu');
    for (const item of ['Email address', 'Provider', 'Connection', 'Name and servers…', 'Folder roles…']) assert.ok(menu.items.includes(item), `Edit Account shows ${item}: ${menu.items.join(', ')}`);
    await pick(page(), EDIT_MENU, 'Name and servers…');
    await review(/^Email address/, ME.email);
    await review(/^Display name/, ME.name, 'Sam R.');
    await review(/^Incoming \(IMAP\) server host/, m.dovecot.host);
    await pick(page(), 'Incoming server security', 'None');
    await review(/^Incoming server port/, String(m.dovecot.port));
    await review(/^Incoming server user name/, m.user);
    await review(/^Password for/, m.password);
    await review(/^Outgoing \(SMTP\) server host/, '', m.smtp.host);
    await pick(page(), 'Outgoing server security', 'None');
    await answer(page(), /^Outgoing server port/, String(m.smtp.port));
    await review(/^Outgoing server user name/, m.user);
    await waitFor(async () => ((await treeItems(page(), MAILBOXES)).some((r) => r.label === 'Sam R.' && r.level === 1) ? true : undefined), 'the account to show its new name', 60_000);
    assert.equal(await page().locator('.monaco-dialog-box').count(), 0, 'both server tests passed');
    await serverHas('Archive', QUOTED, true); // its mail is untouched
  });

  it('Edit Account, Folder roles: Archive set to another folder; archiving then moves mail there on the server', async () => {
    const ROLES = 'Pick a role to choose its folder';
    const quickRow = (label: string) =>
      page().locator('.quick-input-widget .quick-input-list .monaco-list-row').filter({ has: page().locator('.label-name', { hasText: new RegExp(`^${label}$`) }) });
    await command('MailDesk: Edit Account…');
    await pick(page(), EDIT_MENU, 'Folder roles…');
    const roles = await waitFor(async () => {
      const st = await quickInputState(page(), 2000).catch(() => undefined);
      return st?.placeholder === ROLES && st.items.includes('Archive') ? st : undefined;
    }, 'the folder roles');
    // (Each row's detail line is a label too: keep the role names.)
    const names = ['Sent', 'Drafts', 'Trash', 'Junk (spam)', 'Archive'];
    assert.deepEqual(roles.items.filter((i) => names.includes(i)), names);
    assert.match(await quickRow('Archive').locator('.label-description').innerText(), /^Archive$/, 'Archive is the folder the server marks');
    await pick(page(), ROLES, 'Archive');

    // The account's folders, the current one marked.
    await waitFor(async () => ((await quickInputState(page(), 2000).catch(() => undefined))?.placeholder === 'Archive folder' ? true : undefined), 'the folder pick');
    assert.match(await quickRow('Archive').locator('.label-description').innerText(), /current/);
    await pick(page(), 'Archive folder', 'Kept');
    // Back in the roles, Archive now names the folder chosen.
    await waitFor(async () => ((await quickRow('Archive').locator('.label-description').innerText().catch(() => '')) === 'Kept' ? true : undefined), 'Archive to be Kept');
    // Escape goes back to the Edit Account menu, a second Escape closes it.
    await page().keyboard.press('Escape');
    await waitFor(async () => ((await quickInputState(page(), 2000).catch(() => undefined))?.placeholder === EDIT_MENU ? true : undefined), 'the Edit Account menu again');
    await page().keyboard.press('Escape');
    await page().locator('.quick-input-widget').waitFor({ state: 'hidden', timeout: 10_000 });

    list = await openFromTree(page(), MAILBOXES, 'Inbox', 'MailDesk: Inbox');
    await row(T(2)).click();
    await waitActive(T(2));
    await page().keyboard.press('e');
    await waitForNotification(page(), 'Archived 1 message', 15_000);
    await serverHas('Kept', T(2), true);
    await serverHas('INBOX', T(2), false);
    assert.equal((await onServer('Archive')).includes(T(2)), false, 'not in the folder the server marks \\Archive');
    await runCommand(page(), 'Notifications: Clear All Notifications');
  });
});

/** The text colour of an element and the background colours under it, nearest first (runs in the page). */
const paintedColours = (el: Element): { fg: string; bgs: string[] } => {
  const bgs: string[] = [];
  for (let e: Element | null = el; e; e = e.parentElement) bgs.push(getComputedStyle(e).backgroundColor);
  return { fg: getComputedStyle(el).color, bgs };
};

type Rgba = [number, number, number, number];

function parseColour(c: string): Rgba {
  const m = /rgba?\(([^)]+)\)/.exec(c);
  if (!m) throw new Error(`not a computed colour: ${c}`);
  const p = m[1].split(/[ ,/]+/).filter(Boolean).map(Number);
  return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
}

function luminance(rgb: number[]): number {
  const lin = rgb.map((v) => v / 255).map((s) => (s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4));
  return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2];
}

/** WCAG contrast of the text over the background actually painted under it (layers composited over white). */
function contrast(c: { fg: string; bgs: string[] }): number {
  const layers: Rgba[] = [];
  for (const bg of c.bgs.map(parseColour)) {
    if (bg[3] > 0) layers.push(bg);
    if (bg[3] >= 1) break;
  }
  let base = [255, 255, 255];
  for (const [r, g, b, a] of layers.reverse()) base = [r * a + base[0] * (1 - a), g * a + base[1] * (1 - a), b * a + base[2] * (1 - a)];
  const fg = parseColour(c.fg);
  const text = [0, 1, 2].map((i) => fg[i] * fg[3] + base[i] * (1 - fg[3]));
  const [hi, lo] = [luminance(text), luminance(base)].sort((a, b) => b - a);
  return (hi + 0.05) / (lo + 0.05);
}
