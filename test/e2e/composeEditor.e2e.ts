import { strict as assert } from 'node:assert';
import type { Page } from 'playwright-core';
import { parseMessage } from '../../src/core/mime/parse';
import { rawMessage } from '../support/rawmail';
import type { MailSandbox } from './lib/mailServers';
import { sandboxSuite } from './lib/suite';
import { openFromTree, runCommand, screenshot, waitForNotification, webviewFrame } from './lib/workbench';
import { addSandboxAccount, waitFor } from './lib/flow';

// Writing mail in a real VS Code text editor (setting maildesk.compose.editor: "textEditor"), in
// code-server + headless Chromium against a private Dovecot and SMTP server: the message is a
// Markdown document with a header block and the preview beside it; Send goes out once with the
// Markdown rendered, the document closes, and Sent shows the message.

const ME = { email: 'sam.rivera@example.test', name: 'Sam Rivera' };
const MAILBOXES = 'Mailboxes';
const TAG = Date.now().toString(36);
const ORIGINAL = {
  subject: `Quarterly plan ${TAG}`,
  messageId: `<plan-${TAG}@partner.example.test>`,
};

describe('Compose in the editor (code-server + headless Chromium)', function () {
  const suite = sandboxSuite({
    name: 'compose-editor',
    messages: 5,
    settings: {
      'maildesk.sync.intervalSeconds': 15,
      'maildesk.list.groupByThread': false,
      'maildesk.signatures': {},
      'maildesk.compose.editor': 'textEditor',
      // The test reads the editor's rendered lines: no soft wrapping in a narrow group.
      '[markdown]': { 'editor.wordWrap': 'off' },
    },
    seed: async (mail) => {
      await mail.dovecot.append(
        mail.user,
        'INBOX',
        rawMessage({
          from: 'Ann Lee <ann@partner.example.test>',
          to: [ME.email],
          subject: ORIGINAL.subject,
          date: new Date(),
          messageId: ORIGINAL.messageId,
          text: 'Could you send me the numbers by Friday?',
        }),
      );
    },
  });
  const page = (): Page => suite.page();

  it('writes a new message in a Markdown editor with the preview beside it, refuses it without a recipient, saves with Ctrl+S and sends it once', async () => {
    const m = suite.mail;
    await addSandboxAccount(page(), m, ME);
    const subject = `Numbers from the editor ${TAG}`;

    // The setting sends the ordinary New Message to the text editor.
    await runCommand(page(), 'MailDesk: New Message');
    const tab = page().locator('.tabs-container .tab', { hasText: /^New Message\.md/ });
    await tab.first().waitFor({ state: 'visible', timeout: 30_000 });
    const preview = page().locator('.tabs-container .tab', { hasText: 'Preview New Message.md' });
    await preview.first().waitFor({ state: 'visible', timeout: 30_000 });
    const editor = page().locator('.editor-instance .monaco-editor[data-uri^="maildesk-draft:"]');
    await editor.first().waitFor({ state: 'visible', timeout: 15_000 });
    assert.match(await editorText(page()), /^---\s*From: Sam Rivera <sam\.rivera@example\.test>\s*To:\s*Cc:\s*Bcc:\s*Subject:\s*---/);

    // The cursor starts at the empty To line; first the subject and body only.
    await editor.first().locator('.view-lines').click();
    await page().keyboard.press('Control+Home');
    for (let i = 0; i < 5; i++) await page().keyboard.press('ArrowDown');
    await page().keyboard.press('End');
    await page().keyboard.type(` ${subject}`, { delay: 5 });
    await page().keyboard.press('Control+End');
    await page().keyboard.type('Hello Bob,\n\nHere are the **numbers** for the quarter.', { delay: 5 });
    await page().keyboard.press('Control+Enter');
    await waitForNotification(page(), 'not sent. Add at least one recipient in To, Cc or Bcc.', 15_000);
    assert.equal(m.smtp.received.length, 0, 'nothing went out without a recipient');

    // A bad address is named, with the fix.
    await page().keyboard.press('Control+Home');
    await page().keyboard.press('ArrowDown');
    await page().keyboard.press('ArrowDown');
    await page().keyboard.press('End');
    await page().keyboard.type(' bob-at-partner', { delay: 5 });
    await page().keyboard.press('Control+Enter');
    await waitForNotification(page(), /not sent\. This is not an e-mail address: "bob-at-partner"\. Correct it in the To, Cc or Bcc line/, 15_000);

    for (let i = 0; i < 'bob-at-partner'.length; i++) await page().keyboard.press('Backspace');
    await page().keyboard.type('bob@partner.example.test', { delay: 5 });
    // Ctrl+S saves the draft: the tab is no longer dirty, and the draft is in Drafts.
    await page().keyboard.press('Control+s');
    await waitFor(async () => ((await tab.first().getAttribute('class'))?.includes('dirty') ? undefined : true), 'the saved tab to lose its dirty mark', 15_000);
    // The first save goes to the server's Drafts too.
    await waitFor(async () => ((await inDrafts(m, subject)) === 1 ? true : undefined), "the draft in the server's Drafts", 30_000);

    // The preview renders the body; the header block is front matter, which it hides.
    const shown = await webviewFrame(page(), 'Preview New Message.md', 15_000);
    await shown.locator('strong', { hasText: 'numbers' }).waitFor({ state: 'visible', timeout: 15_000 });
    assert.doesNotMatch(await shown.locator('body').innerText(), /Subject:/);
    await screenshot(page(), 'compose-editor');

    // Send from the editor's title bar.
    const send = page().locator('.editor-actions .action-label[aria-label^="Send"]');
    await send.first().click();
    await waitForNotification(page(), `Sent "${subject}"`, 30_000);
    assert.equal(m.smtp.received.length, 1, 'the SMTP server received exactly one message');
    const sent = await parseMessage(m.smtp.received[0].raw);
    assert.equal(sent.subject, subject);
    assert.deepEqual(m.smtp.received[0].to, ['bob@partner.example.test']);
    assert.match(sent.text ?? '', /^Hello Bob,\n\nHere are the \*\*numbers\*\* for the quarter\./);
    assert.match(sent.htmlParts[0] ?? '', /<p>Hello Bob,<\/p>[\s\S]*<strong>numbers<\/strong>/);
    assert.doesNotMatch(sent.text ?? '', /Subject:|^---/m, 'the header block is not in the body');

    // Sending removed the draft from the server.
    await waitFor(async () => ((await inDrafts(m, subject)) === 0 ? true : undefined), "the draft gone from the server's Drafts", 30_000);

    // The sent message's document and preview are closed.
    await waitFor(async () => ((await tab.count()) === 0 && (await preview.count()) === 0 ? true : undefined), 'the editor and preview to close', 15_000);

    const sentList = await openFromTree(page(), MAILBOXES, 'Sent', 'MailDesk: Sent');
    const rows = sentList.locator('#list li.msg', { hasText: subject });
    await rows.first().waitFor({ state: 'visible', timeout: 30_000 });
    assert.equal(m.smtp.received.length, 1, 'still one message sent');
  });

  it('replies from the thread view in the editor, keeps the draft when its tab closes, continues it from Drafts and sends it quoted', async () => {
    const m = suite.mail;
    const reply = `Re: ${ORIGINAL.subject}`;
    const list = await openFromTree(page(), MAILBOXES, 'Inbox', 'MailDesk: Inbox');
    const row = list.locator('#list li.msg', { hasText: ORIGINAL.subject });
    await row.waitFor({ state: 'visible', timeout: 30_000 });
    await row.click();
    const thread = await webviewFrame(page(), ORIGINAL.subject, 30_000);
    await thread.locator('article.md-msg').last().locator('button[data-md-mode="reply"]').click();

    // The thread view's Reply opens the editor (the setting), filled in from the original.
    // Anchored: the preview's tab is "Preview Re- ….md".
    const tab = page().locator('.tabs-container .tab', { hasText: new RegExp(`^Re- ${ORIGINAL.subject}\\.md`) });
    await tab.first().waitFor({ state: 'visible', timeout: 30_000 });
    const text = await waitFor(async () => {
      const t = await editorText(page());
      return /Quote: yes/.test(t) ? t : undefined;
    }, 'the reply to be filled in');
    assert.match(text, /\nTo: Ann Lee <ann@partner\.example\.test>\n/);
    assert.match(text, new RegExp(`\\nSubject: ${reply}\\n`));
    const editor = page().locator('.editor-instance .monaco-editor[data-uri^="maildesk-draft:"] .view-lines').first();
    await editor.click();
    await page().keyboard.press('Control+End');
    await page().keyboard.type('Here are the **numbers**.', { delay: 5 });
    await page().keyboard.press('Control+s');
    // Saved where a draft is kept: the server's Drafts has the reply with the new text (once).
    await waitFor(async () => ((await inDrafts(m, reply, 'numbers')) === 1 ? true : undefined), "the reply's text in the server's Drafts", 30_000);
    assert.equal(await inDrafts(m, reply), 1, 'one copy of the draft on the server');
    // "Close Editor" closes the active editor. The Markdown preview opens beside the reply and
    // may take the focus after the click into the reply on a slow host, so the reply's own tab
    // is made the active one first.
    await tab.first().click();
    await runCommand(page(), 'View: Close Editor');
    await waitFor(async () => {
      if ((await tab.count()) === 0) return true;
      throw new Error(`tabs open: ${(await page().locator('.tabs-container .tab').allInnerTexts()).join(' | ')}`);
    }, 'the reply tab to close');

    // Continued from the Drafts folder: it opens in the editor again, as it was saved.
    const drafts = await openFromTree(page(), MAILBOXES, 'Drafts', 'MailDesk: Drafts');
    const draftRow = drafts.locator('#list li.msg', { hasText: reply });
    await draftRow.waitFor({ state: 'visible', timeout: 30_000 });
    await draftRow.click();
    await tab.first().waitFor({ state: 'visible', timeout: 30_000 });
    const again = await waitFor(async () => {
      const t = await editorText(page());
      return /numbers/.test(t) ? t : undefined;
    }, 'the draft to open in the editor');
    assert.match(again, /Quote: yes[\s\S]*Here are the \*\*numbers\*\*\./);
    await editor.click();
    await page().keyboard.press('Control+Enter');

    await waitForNotification(page(), `Sent "${reply}"`, 30_000);
    assert.equal(m.smtp.received.length, 2, 'one more message went out (the first test sent one)');
    const sent = await parseMessage(m.smtp.received[1].raw);
    assert.equal(sent.subject, reply);
    assert.equal(sent.inReplyTo, ORIGINAL.messageId);
    assert.match(sent.text ?? '', /^Here are the \*\*numbers\*\*\.[\s\S]*> Could you send me the numbers by Friday\?/);
    assert.match(sent.htmlParts[0] ?? '', /<strong>numbers<\/strong>[\s\S]*<blockquote/);
    await waitFor(async () => ((await inDrafts(m, reply)) === 0 ? true : undefined), "the draft gone from the server's Drafts", 30_000);
  });
});

// ---- helpers ---------------------------------------------------------------------------

/** The text of the focused or only draft editor, line by line as Monaco renders it. */
async function editorText(page: Page): Promise<string> {
  const lines = page.locator('.editor-instance .monaco-editor[data-uri^="maildesk-draft:"] .view-lines .view-line');
  return waitFor(async () => {
    const all = await lines.evaluateAll((els) =>
      els
        .map((el) => ({ top: parseFloat((el as HTMLElement).style.top) || 0, text: (el.textContent ?? '').replace(/\u00a0/g, ' ') }))
        .sort((a, b) => a.top - b.top)
        .map((l) => l.text),
    );
    return all.length ? all.join('\n') : undefined;
  }, 'the draft editor to show its text');
}

/** How many messages with that subject (and that text in the body) the server's Drafts folder holds. */
async function inDrafts(m: MailSandbox, subject: string, body?: string): Promise<number> {
  const c = await m.dovecot.connect(m.user);
  try {
    await c.mailboxOpen('Drafts');
    return ((await c.search({ subject, ...(body ? { body } : {}) }, { uid: true })) || []).length;
  } finally {
    await c.logout();
  }
}

