import { strict as assert } from 'node:assert';
import type { FrameLocator, Page } from 'playwright-core';
import { parseMessage } from '../../src/core/mime/parse';
import { rawMessage } from '../support/rawmail';
import { sandboxSuite } from './lib/suite';
import { activityBarItem, screenshot, waitForNotification, webviewFrame } from './lib/workbench';
import { waitFor } from './lib/flow';

// A whole session without the mouse, in a real VS Code (code-server + headless Chromium) against a
// private Dovecot and SMTP server: the account is added, MailDesk's view and Inbox opened, a message
// read, answered and sent, then archived and the archive undone, by keys and the command palette
// (opened by its key) only. Nothing here clicks: the shared helpers that click (runCommand,
// quickPickSelect, openFromTree) are not used. The server's folders are checked over IMAP.

const ME = { email: 'sam.rivera@example.test', name: 'Sam Rivera' };
const TAG = Date.now().toString(36);
const K = (i: number): string => `Keyboard ${TAG} ${i}`;

describe('Keyboard-only journey (code-server + headless Chromium)', function () {
  const suite = sandboxSuite({
    name: 'keyboard',
    messages: 20,
    // One row per message: each key acts on exactly one message the test can find on the server.
    settings: { 'maildesk.list.groupByThread': false, 'maildesk.sync.intervalSeconds': 15, 'maildesk.signatures': {} },
    seed: async (mail) => {
      const now = Date.now();
      for (let i = 0; i < 4; i++) {
        const date = new Date(now - i * 60_000);
        await mail.dovecot.append(mail.user, 'INBOX', rawMessage({ from: 'Ann Lee <ann@partner.example.test>', to: ME.email, subject: K(i), date, text: `Question ${i}: can you confirm?` }), [], date);
      }
    },
  });
  const page = (): Page => suite.page();
  const keys = () => page().keyboard;
  const widget = () => page().locator('.quick-input-widget');

  /** Moves the quick input's focus (arrow keys) to the row labelled exactly `label`. */
  async function focusQuickRow(label: string): Promise<void> {
    const rows = widget().locator('.quick-input-list .monaco-list-row .label-name');
    await waitFor(async () => ((await rows.allInnerTexts()).some((t) => t.trim() === label) ? true : undefined), `"${label}" in the quick input`, 15_000);
    for (let i = 0; i < 40; i++) {
      const focused = await widget()
        .locator('.quick-input-list .monaco-list-row.focused .label-name')
        .evaluateAll((els) => (els[0]?.textContent ?? '').trim());
      if (focused === label) return;
      await keys().press('ArrowDown');
    }
    throw new Error(`could not move the quick input's focus to "${label}"`);
  }

  /** Whether the palette is open with the keyboard in its input (typing goes there, not to a webview's keys). */
  const paletteHasKeys = () =>
    page().evaluate(() => {
      const a = document.activeElement as HTMLInputElement | null;
      return a?.closest('.quick-input-widget') && a.value.startsWith('>') ? true : undefined;
    });

  /** The command palette by its key (F1, else Ctrl+Shift+P), the command typed, Enter. */
  async function palette(title: string): Promise<void> {
    await widget().waitFor({ state: 'hidden', timeout: 15_000 }).catch(() => undefined);
    await keys().press('F1');
    await waitFor(paletteHasKeys, 'the palette (F1)', 3000).catch(async () => {
      await keys().press('Control+Shift+P');
      await waitFor(paletteHasKeys, 'the palette (Ctrl+Shift+P)', 10_000);
    });
    await keys().type(title);
    await focusQuickRow(title);
    await keys().press('Enter');
    await widget().waitFor({ state: 'hidden', timeout: 15_000 }).catch(() => undefined);
  }

  /** Answers an input box asking `prompt` by typing (what was there is selected and replaced). */
  async function answer(prompt: RegExp, value: string): Promise<void> {
    const message = widget().locator('.quick-input-message');
    await waitFor(async () => ((await widget().isVisible()) && prompt.test((await message.innerText()).trim()) ? true : undefined), `the input box asking ${prompt}`, 30_000);
    await keys().press('Control+A');
    if (value) await keys().type(value);
    else await keys().press('Backspace');
    await keys().press('Enter');
    await waitFor(async () => (!(await widget().isVisible()) || !prompt.test((await message.innerText()).trim()) ? true : undefined), `the input box to move on from ${prompt}`, 15_000);
  }

  /** Picks `label` in the quick pick showing `placeholder`, by arrow keys and Enter. */
  async function pick(placeholder: string, label: string): Promise<void> {
    const input = widget().locator('.quick-input-box input');
    await waitFor(async () => ((await input.isVisible()) && (await input.getAttribute('placeholder')) === placeholder ? true : undefined), `the pick "${placeholder}"`, 30_000);
    await focusQuickRow(label);
    await keys().press('Enter');
    await waitFor(async () => ((await input.getAttribute('placeholder').catch(() => null)) !== placeholder ? true : undefined), `the pick "${placeholder}" to close`, 15_000);
  }

  /** Subjects in a server folder, as another IMAP client sees them. */
  const onServer = async (folder: string): Promise<string[]> => [...(await suite.mail.dovecot.flagsBySubject(suite.mail.user, folder)).keys()];
  const serverHas = (folder: string, subject: string, want: boolean) =>
    waitFor(async () => ((await onServer(folder)).includes(subject) === want ? true : undefined), `${subject} ${want ? 'in' : 'not in'} ${folder} on the server`, 30_000);

  let list: FrameLocator;
  const activeSubject = async (): Promise<string> => (await list.locator('#list li.msg.active .subject').getAttribute('title').catch(() => null)) ?? '';
  const waitActive = (subject: string) => waitFor(async () => ((await activeSubject()) === subject ? true : undefined), `the cursor on "${subject}"`, 10_000);

  it('adds the account, opens MailDesk\'s view and Inbox, all by keys', async () => {
    const m = suite.mail;
    await activityBarItem(page(), 'MailDesk').waitFor({ state: 'visible', timeout: 30_000 });
    await palette('MailDesk: Add IMAP Account');
    await answer(/^Email address/, ME.email);
    await answer(/^Display name/, ME.name);
    await answer(/^Incoming \(IMAP\) server host/, m.dovecot.host);
    await pick('Incoming server security', 'None');
    await answer(/^Incoming server port/, String(m.dovecot.port));
    await answer(/^Incoming server user name/, m.user);
    await answer(/^Password for/, m.password);
    await answer(/^Outgoing \(SMTP\) server host/, m.smtp.host);
    await pick('Outgoing server security', 'None');
    await answer(/^Outgoing server port/, String(m.smtp.port));
    await answer(/^Outgoing server user name/, m.user);
    await waitForNotification(page(), `${ME.email} added with`, 60_000);
    await palette('Notifications: Clear All Notifications');

    // MailDesk's view by its palette command, then Inbox by "Open Folder" and its quick pick.
    await palette('MailDesk: Focus on Mailboxes View');
    const tree = page().locator('.part.sidebar .pane').filter({ has: page().locator('.pane-header h3.title', { hasText: /^\s*Mailboxes\s*$/ }) });
    await tree.locator('.monaco-list-row .label-name', { hasText: /^Inbox$/ }).first().waitFor({ state: 'visible', timeout: 30_000 });
    await palette('MailDesk: Open Folder');
    await widget().waitFor({ state: 'visible', timeout: 15_000 });
    await focusQuickRow('INBOX');
    await keys().press('Enter');
    list = await webviewFrame(page(), 'MailDesk: Inbox', 30_000);
    await list.locator('#list li.msg', { hasText: K(3) }).waitFor({ state: 'visible', timeout: 60_000 });

    // Into the list: the editor group by its command, then Tab reaches the list (one tab stop).
    await palette('View: Focus Active Editor Group');
    await waitFor(async () => {
      if (await list.locator('#list').evaluate((ul) => document.activeElement === ul)) return true;
      await keys().press('Tab');
      return undefined;
    }, 'the message list to take the keyboard focus', 10_000);
  });

  it('moves with j/k, opens with Enter, replies with r and sends with Ctrl+Enter', async () => {
    const m = suite.mail;
    await keys().press('j');
    await waitActive(K(0));
    await keys().press('j');
    await waitActive(K(1));
    await keys().press('j');
    await waitActive(K(2));
    await keys().press('k');
    await waitActive(K(1));

    await keys().press('Enter');
    const thread = await webviewFrame(page(), K(1), 30_000);
    await thread.locator('.md-content:not([hidden]) .md-body').first().waitFor({ state: 'visible', timeout: 30_000 });

    const messagesBefore = await thread.locator('.md-msg').count();
    await keys().press('r');
    const reply = `Re: ${K(1)}`;
    const compose = await webviewFrame(page(), reply, 30_000);
    await waitFor(async () => ((await compose.locator('#to').inputValue()) ? true : undefined), 'the reply to be filled in');
    // The composer puts the caret in the text of a reply: typing goes there.
    await waitFor(async () => ((await compose.locator('#body').evaluate((b) => document.activeElement === b)) ? true : undefined), 'the caret in the reply text', 10_000);
    await keys().type('Confirmed, thanks.');
    await screenshot(page(), 'keyboard-reply');
    const before = m.smtp.received.length;
    await keys().press('Control+Enter');
    await waitForNotification(page(), `Sent "${reply}"`, 30_000);
    assert.equal(m.smtp.received.length, before + 1, 'one message went out');
    const sent = await parseMessage(m.smtp.received[before].raw);
    assert.equal(sent.subject, reply);
    assert.match(sent.text ?? '', /^Confirmed, thanks\./);
    await serverHas('Sent', reply, true);
    // The composer's tab closes after the send, and VS Code moves the focus when it does: keys
    // typed before that land in the page that gets it (a "c" there composes a new message).
    await page().locator('.tabs-container .tab', { hasText: reply }).waitFor({ state: 'detached', timeout: 15_000 });
    // The conversation is drawn anew when the reply comes back from Sent, often while the palette
    // below is being typed into: the page must not take the keyboard then (it did: "c", "r" and
    // "f" of the typed command opened composers).
    await palette('Notifications: Clear All Notifications');
    await waitFor(async () => ((await thread.locator('.md-msg').count()) > messagesBefore ? true : undefined), 'the reply in the conversation', 60_000);
    assert.equal(await page().locator('.tabs-container .tab', { hasText: /^(Re|Fwd): |New Message/ }).count(), 0, 'no composer was opened by keys meant for the palette');
  });

  it('back to the list, archives with e and undoes with z; the server\'s folders follow', async () => {
    await palette('MailDesk: Back to the Message List');
    await waitFor(async () => ((await list.locator('#list').evaluate((ul) => document.hasFocus() && document.activeElement === ul).catch(() => false)) ? true : undefined), 'the list to have the keyboard again', 10_000).catch(async () => {
      // The list's page keeps its focus inside; if VS Code gave the focus to the page only, Tab takes it to the list.
      await keys().press('Tab');
      await waitFor(async () => ((await list.locator('#list').evaluate((ul) => document.activeElement === ul)) ? true : undefined), 'the list focused by Tab', 10_000);
    });
    await waitActive(K(1));

    await keys().press('e');
    const archived = await waitForNotification(page(), 'Archived 1 message', 15_000);
    assert.ok(archived.buttons.includes('Undo'), 'the notification offers Undo');
    await list.locator('#list li.msg', { hasText: K(1) }).waitFor({ state: 'detached', timeout: 10_000 });
    await serverHas('Archive', K(1), true);
    await serverHas('INBOX', K(1), false);

    await keys().press('z');
    await list.locator('#list li.msg', { hasText: K(1) }).waitFor({ state: 'visible', timeout: 10_000 });
    await serverHas('INBOX', K(1), true);
    await serverHas('Archive', K(1), false);
    // The others were never touched.
    for (const i of [0, 2, 3]) assert.ok((await onServer('INBOX')).includes(K(i)), `${K(i)} still in INBOX`);
    await screenshot(page(), 'keyboard-journey');
  });

  it('reaches the Mailboxes tree by its key, opens a folder with Enter and the row\'s menu with Shift+F10', async () => {
    const tree = page().locator('.part.sidebar .pane').filter({ has: page().locator('.pane-header h3.title', { hasText: /^\s*Mailboxes\s*$/ }) });
    const treeHasKeys = () => tree.evaluate((pane) => (pane.contains(document.activeElement) && !!document.activeElement?.closest('.monaco-list') ? true : undefined));
    const focusedRow = () => tree.locator('.monaco-list-row.focused .label-name').evaluateAll((els) => (els[0]?.textContent ?? '').trim());
    await palette('View: Focus Active Editor Group');
    // VS Code moves the focus into the list's page after the command returns; the chord is
    // pressed once the page has it, as a user presses it after seeing where the focus is.
    await waitFor(async () => ((await list.locator('#list').evaluate(() => document.hasFocus()).catch(() => false)) ? true : undefined), 'the Inbox list to have the keyboard', 10_000);
    await keys().press('Control+K');
    await keys().press('Control+Shift+M');
    await waitFor(treeHasKeys, 'the Mailboxes tree to take the keyboard (Ctrl+K Ctrl+Shift+M)', 10_000);

    // Arrows to Sent, Enter opens it in the message list.
    await keys().press('Home');
    for (let i = 0; i < 30 && (await focusedRow()) !== 'Sent'; i++) await keys().press('ArrowDown');
    assert.equal(await focusedRow(), 'Sent', 'the arrows reach the Sent folder');
    await keys().press('Enter');
    const sent = await webviewFrame(page(), 'MailDesk: Sent', 30_000);
    await sent.locator('#list li.msg', { hasText: `Re: ${K(1)}` }).waitFor({ state: 'visible', timeout: 60_000 });

    // Back in the tree (the same key), the row's menu by Shift+F10, its actions by arrows and Enter.
    await keys().press('Control+K');
    await keys().press('Control+Shift+M');
    await waitFor(treeHasKeys, 'the Mailboxes tree to take the keyboard again', 10_000);
    assert.equal(await focusedRow(), 'Sent', 'the tree keeps its row');
    await keys().press('Shift+F10');
    const menu = page().locator('.context-view .monaco-menu');
    await menu.waitFor({ state: 'visible', timeout: 10_000 });
    const actions = (await menu.locator('.action-label').allInnerTexts()).map((t) => t.trim()).filter(Boolean);
    for (const want of ['Open Folder', 'Mark All as Read']) assert.ok(actions.includes(want), `the menu offers ${want}: ${actions.join(', ')}`);
    await screenshot(page(), 'keyboard-mailboxes-menu');
    await keys().press('Escape');
    await menu.waitFor({ state: 'hidden', timeout: 10_000 });
  });
});
