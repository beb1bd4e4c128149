import { strict as assert } from 'node:assert';
import type { Page } from 'playwright-core';
import { parseMessage } from '../../src/core/mime/parse';
import { rawMessage } from '../support/rawmail';
import { sandboxSuite } from './lib/suite';
import { openFromTree, runCommand, screenshot, waitForNotification, webviewFrame } from './lib/workbench';
import { addSandboxAccount, waitFor } from './lib/flow';
import { updateReadmeScreenshot } from './lib/readmeScreenshots';
import { THEMES, componentColour, setColorTheme, showsTheme, textContrast, themeScreenshot } from './lib/themes';

// Writing mail as a person does it, in a real VS Code (code-server + headless Chromium) against a
// private Dovecot and SMTP server: reply to a message from the thread view and send it; write a
// new message, close its tab, and continue it from Drafts.

const ME = { email: 'sam.rivera@example.test', name: 'Sam Rivera' };
const MAILBOXES = 'Mailboxes';
const TAG = Date.now().toString(36);
const ORIGINAL = {
  subject: `Quarterly plan ${TAG}`,
  messageId: `<plan-${TAG}@partner.example.test>`,
  references: `<kickoff-${TAG}@partner.example.test>`,
};
const TO_ARCHIVE = `Send and archive ${TAG}`;

describe('Compose in VS Code (code-server + headless Chromium)', function () {
  const suite = sandboxSuite({
    name: 'compose',
    messages: 20,
    // One row per message, so a duplicate in Sent would show as a second row.
    settings: { 'maildesk.sync.intervalSeconds': 15, 'maildesk.list.groupByThread': false, 'maildesk.signatures': {} },
    seed: async (mail) => {
      // The message replied to: the newest in Inbox, part of a thread (References) with a unique subject.
      await mail.dovecot.append(
        mail.user,
        'INBOX',
        rawMessage({
          from: 'Ann Lee <ann@partner.example.test>',
          to: [ME.email, 'bob@partner.example.test'],
          subject: ORIGINAL.subject,
          date: new Date(),
          messageId: ORIGINAL.messageId,
          references: [ORIGINAL.references],
          text: 'Could you send me the numbers by Friday?',
        }),
      );
      await mail.dovecot.append(
        mail.user,
        'INBOX',
        rawMessage({ from: 'Bob Stone <bob@partner.example.test>', to: ME.email, subject: TO_ARCHIVE, date: new Date(Date.now() - 60_000), text: 'Done on my side; reply when you have it.' }),
      );
    },
  });
  const page = (): Page => suite.page();

  it('replies from the thread view: one message goes out with In-Reply-To, References and "Re:", and Sent shows it once', async () => {
    const m = suite.mail;
    await addSandboxAccount(page(), m, ME);
    const list = await openFromTree(page(), MAILBOXES, 'Inbox', 'MailDesk: Inbox');
    const row = list.locator('#list li.msg', { hasText: ORIGINAL.subject });
    await row.waitFor({ state: 'visible', timeout: 30_000 });
    await row.click();

    const thread = await webviewFrame(page(), ORIGINAL.subject, 30_000);
    const article = thread.locator('article.md-msg').last();
    await article.locator('button[data-md-mode="reply"]').click();

    const reply = `Re: ${ORIGINAL.subject}`;
    const compose = await webviewFrame(page(), reply, 30_000);
    await waitFor(async () => ((await compose.locator('#to').inputValue()) ? true : undefined), 'the reply to be filled in');
    assert.equal(await compose.locator('#to').inputValue(), 'Ann Lee <ann@partner.example.test>');
    // Subject is a vscode-textfield: its value is in the input inside the component.
    assert.equal(await compose.locator('#subject input').inputValue(), reply);
    assert.match(await compose.locator('#quote').innerText(), /Could you send me the numbers by Friday\?/, 'the original is quoted');
    const body = compose.locator('#body');
    await body.focus();
    await body.press('Control+Home');
    await body.pressSequentially('Here are the **numbers**.', { delay: 5 });
    await screenshot(page(), 'compose-reply');
    // VS Code's look in each theme: the components' styles reach their shadow roots under the
    // page's CSP, and the native address fields are drawn like the component fields beside them.
    for (const theme of THEMES) {
      await setColorTheme(page(), compose, theme);
      const field = await componentColour(compose, '#subject', '.root', 'backgroundColor', '--vscode-settings-textInputBackground');
      assert.equal(field.painted, field.expected, `${theme.label}: Subject is painted in the theme's input colour`);
      const to = await compose.locator('#to').evaluate((e) => getComputedStyle(e).backgroundColor);
      assert.equal(to, field.painted, `${theme.label}: To looks like Subject`);
      const text = await componentColour(compose, '#body', 'textarea', 'color', '--vscode-editor-foreground');
      assert.equal(text.painted, text.expected, `${theme.label}: the message text is in the editor's colour`);
      // High contrast themes leave button.background unset (buttons are outlined there).
      if (theme.kind !== 'vscode-high-contrast') {
        const send = await componentColour(compose, '#send', '.base', 'backgroundColor', '--vscode-button-background');
        assert.equal(send.painted, send.expected, `${theme.label}: Send is painted as VS Code's primary button`);
      }
      for (const sel of ['#to', '.hint', '.row > label']) {
        const c = await textContrast(compose, sel);
        assert.ok(c.ratio >= 4.5, `${theme.label}: ${sel} has contrast ${c.ratio.toFixed(2)}:1 (${c.fg} on ${c.bg}), below WCAG AA 4.5:1`);
      }
      // The account's toasts come and go; the screenshot shows the page.
      await runCommand(page(), 'Notifications: Clear All Notifications');
      const shot = await themeScreenshot(page(), `compose-reply-${theme.slug}`, theme);
      // A screenshot shows the theme only if the theme was still there once it was taken.
      assert.ok(await showsTheme(page(), compose, theme), `${theme.label} was still on when the screenshot was taken`);
      await updateReadmeScreenshot(shot, `compose-${theme.slug}.png`);
    }
    await body.press('Control+Enter');

    await waitForNotification(page(), `Sent "${reply}"`, 30_000);
    assert.equal(m.smtp.received.length, 1, 'the SMTP server received exactly one message');
    const sent = await parseMessage(m.smtp.received[0].raw);
    assert.equal(sent.subject, reply);
    assert.equal(sent.inReplyTo, ORIGINAL.messageId);
    assert.deepEqual(sent.references, [ORIGINAL.references, ORIGINAL.messageId]);
    assert.match(sent.text ?? '', /^Here are the \*\*numbers\*\*\.[\s\S]*> Could you send me the numbers by Friday\?/);
    assert.match(sent.htmlParts[0] ?? '', /<strong>numbers<\/strong>[\s\S]*<blockquote/);
    assert.deepEqual(m.smtp.received[0].to.sort(), ['ann@partner.example.test']);

    // Sent: the local entry at once, then the server's copy in its place after a sync, never two.
    const sentList = await openFromTree(page(), MAILBOXES, 'Sent', 'MailDesk: Sent');
    const rows = sentList.locator('#list li.msg', { hasText: reply });
    await rows.first().waitFor({ state: 'visible', timeout: 15_000 });
    const onServer = async (): Promise<number> => {
      const c = await m.dovecot.connect(m.user);
      try {
        await c.mailboxOpen('Sent');
        return ((await c.search({ header: { 'message-id': sent.messageId! } }, { uid: true })) || []).length;
      } finally {
        await c.logout();
      }
    };
    await waitFor(async () => ((await onServer()) === 1 ? true : undefined), 'the copy in the server\'s Sent folder', 30_000);
    await runCommand(page(), 'MailDesk: Refresh');
    // Two sync rounds later the list still has the message once.
    await page().waitForTimeout(4000);
    assert.equal(await rows.count(), 1, 'the reply shows once in Sent');
    assert.equal(await onServer(), 1, 'one copy in the server\'s Sent folder');
  });

  it('Send + Archive on a reply: a failed send archives nothing; once it goes out the conversation is archived, with Undo', async () => {
    const m = suite.mail;
    const inFolder = async (folder: string): Promise<boolean> => (await m.dovecot.flagsBySubject(m.user, folder)).has(TO_ARCHIVE);
    // The Sent list of the test before would sit over the reading pane in the side group.
    await runCommand(page(), 'View: Close All Editors');
    const list = await openFromTree(page(), MAILBOXES, 'Inbox', 'MailDesk: Inbox');
    const row = list.locator('#list li.msg', { hasText: TO_ARCHIVE });
    await row.waitFor({ state: 'visible', timeout: 30_000 });
    await row.click();
    const thread = await webviewFrame(page(), TO_ARCHIVE, 30_000);
    await thread.locator('article.md-msg').last().locator('button[data-md-mode="reply"]').click();

    const reply = `Re: ${TO_ARCHIVE}`;
    const compose = await webviewFrame(page(), reply, 30_000);
    await waitFor(async () => ((await compose.locator('#to').inputValue()) ? true : undefined), 'the reply to be filled in');
    const both = compose.locator('#send-archive');
    assert.equal(await both.innerText(), 'Send + Archive');
    assert.match((await both.getAttribute('title')) ?? '', /Ctrl\+Shift\+Enter/, 'the tooltip names the key');
    await compose.locator('#body textarea').fill('Thanks, all received.');

    // The server refuses the message: it stays in Drafts with the error, and Inbox keeps the conversation.
    const before = m.smtp.received.length;
    m.smtp.setFault({ kind: 'rejectData', code: 550, message: 'Requested action not taken: policy' });
    await both.click();
    await compose.locator('#error').waitFor({ state: 'visible', timeout: 30_000 });
    assert.equal(m.smtp.received.length, before, 'nothing was accepted');
    await page().waitForTimeout(3000);
    assert.equal(await inFolder('INBOX'), true, 'a failed send archives nothing (server Inbox)');
    assert.equal(await inFolder('Archive'), false, 'a failed send archives nothing (server Archive)');
    assert.equal(await row.count(), 1, 'the row is still in the list');

    // "Send again" repeats the choice: sent, then archived, with Undo in the notification.
    m.smtp.setFault({ kind: 'none' });
    await compose.locator('#send-again').click();
    await waitForNotification(page(), `Sent "${reply}"`, 30_000);
    const archived = await waitForNotification(page(), 'Archived 1 message', 30_000);
    assert.ok(archived.buttons.includes('Undo'), 'the archive offers Undo');
    assert.equal(m.smtp.received.length, before + 1, 'one message went out');
    await waitFor(async () => ((await inFolder('Archive')) && !(await inFolder('INBOX')) ? true : undefined), 'the conversation in Archive on the server', 30_000);
    await screenshot(page(), 'compose-send-archive');
    await runCommand(page(), 'Notifications: Clear All Notifications');
  });

  it('a new message survives closing its tab and is continued from Drafts', async () => {
    await runCommand(page(), 'MailDesk: New Message');
    const compose = await webviewFrame(page(), 'New Message', 30_000);
    const subject = `Draft that survives ${TAG}`;
    await compose.locator('#to').fill('bob@partner.example.test');
    await compose.locator('#body textarea').fill('Dear Bob,\nthe first paragraph.');
    // Plain text, chosen by keyboard in the Format select (a vscode-single-select): Escape
    // closes its open list, not the composer; Space opens it, ArrowDown and Enter choose.
    const format = compose.locator('#format');
    const isOpen = (): Promise<boolean> => format.evaluate((e) => (e as HTMLElement & { open: boolean }).open);
    await format.press('Space');
    await waitFor(async () => ((await isOpen()) ? true : undefined), 'the Format list to open', 5000);
    await format.press('Escape');
    await waitFor(async () => ((await isOpen()) ? undefined : true), 'the Format list to close', 5000);
    await page().waitForTimeout(500);
    assert.equal(await format.count(), 1, 'Escape on the open list left the composer open');
    await format.press('Space');
    await format.press('ArrowDown');
    await format.press('Enter');
    assert.equal(await format.evaluate((e) => (e as HTMLElement & { value: string }).value), 'plain');
    assert.equal(await compose.locator('#body textarea').getAttribute('aria-label'), 'Message text (plain text)', 'the text area says what it holds');
    // Last: the tab takes the subject as its title, and this frame locator goes by the title.
    await compose.locator('#subject input').fill(subject);
    // Closed right away, before the 2-second autosave: the last edit still reaches the host.
    await runCommand(page(), 'View: Close Editor');
    await webviewFrame(page(), subject, 2000).then(
      () => assert.fail('the compose tab is still open'),
      () => undefined,
    );

    const drafts = await openFromTree(page(), MAILBOXES, 'Drafts', 'MailDesk: Drafts');
    const row = drafts.locator('#list li.msg', { hasText: subject });
    await row.waitFor({ state: 'visible', timeout: 30_000 });
    assert.equal(await row.count(), 1, 'the draft is listed once');
    await row.click();
    const again = await webviewFrame(page(), subject, 30_000);
    await waitFor(async () => ((await again.locator('#subject input').inputValue()) === subject ? true : undefined), 'the draft to load');
    assert.equal(await again.locator('#body textarea').inputValue(), 'Dear Bob,\nthe first paragraph.');
    assert.equal(await again.locator('#to').inputValue(), 'bob@partner.example.test');
    assert.equal(await again.locator('#format').evaluate((e) => (e as HTMLElement & { value: string }).value), 'plain', 'the draft kept its format');
    await screenshot(page(), 'compose-draft-reopened');
  });
});

// ---- helpers ---------------------------------------------------------------------------


