import { strict as assert } from 'node:assert';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { sandboxSuite } from './lib/suite';
import { clickActivityBarItem, clickDialogButton, dialogState, runCommand, treeItems, waitForNotification } from './lib/workbench';
import { addImapAccount, waitFor } from './lib/flow';
import { packageVsix } from './lib/vsix';
import { PROBE, writeAgentProbeExtension } from './fixtures/agentProbeExtension';

// MailDesk's tools as another extension or an agent meets them: vscode.lm.invokeTool finds
// search_mail and draft_reply, VS Code asks before the draft is saved, the draft lands in
// the server's Drafts, and nothing is sent.

const ME = { email: 'alice@example.test', name: 'Alice Agent' };

describe('MailDesk agent tools in VS Code (code-server + headless Chromium)', function () {
  const suite = sandboxSuite({
    name: 'agent',
    messages: 30,
    extraExtensions: async (dir) => {
      const probe = path.join(dir, 'agent-probe');
      await writeAgentProbeExtension(probe);
      return [await packageVsix(probe)];
    },
  });
  const page = (): Page => suite.page();

  async function serverDrafts(): Promise<Array<{ subject: string; text: string }>> {
    const c = await suite.mail.dovecot.connect(suite.mail.user);
    try {
      const lock = await c.getMailboxLock('Drafts');
      try {
        const out: Array<{ subject: string; text: string }> = [];
        for await (const m of c.fetch('1:*', { envelope: true, source: true })) out.push({ subject: m.envelope?.subject ?? '', text: m.source?.toString('utf8') ?? '' });
        return out;
      } finally {
        lock.release();
      }
    } finally {
      await c.logout();
    }
  }

  it('invokeTool runs search_mail, asks before draft_reply, and the reply lands in Drafts without being sent', async () => {
    const m = suite.mail;
    await clickActivityBarItem(page(), 'MailDesk');
    await addImapAccount(page(), {
      ...ME,
      password: m.password,
      imap: { host: m.dovecot.host, port: m.dovecot.port, user: m.user },
      smtp: { host: m.smtp.host, port: m.smtp.port, user: m.user },
    });
    await waitForNotification(page(), `${ME.email} added with`, 60_000);
    await waitFor(async () => {
      const inbox = (await treeItems(page(), 'Mailboxes', 5000)).find((r) => r.label === 'Inbox');
      return inbox && /\d/.test(inbox.description) ? true : undefined;
    }, 'Inbox to show its count', 60_000);
    const before = (await serverDrafts()).length;

    await runCommand(page(), PROBE.command);
    const dialog = await dialogState(page(), 60_000);
    assert.equal(dialog.message, 'Save a reply draft?');
    assert.match(dialog.detail, /Nothing is sent/);
    assert.match(dialog.detail, /we pay on Friday/);
    const yes = dialog.buttons.find((b) => /^(Yes|OK|Continue|Allow)$/i.test(b.replace(/&/g, '')));
    assert.ok(yes, `a button to confirm: ${dialog.buttons.join(', ')}`);
    await clickDialogButton(page(), yes);

    const done = await waitForNotification(page(), PROBE.notification, 60_000);
    assert.match(done.message, /8 tools \| Draft \d+ saved in Drafts \(here and on the server\)\. It was NOT sent/);
    const subject = `Re: ${m.folders.INBOX.newestSubject.replace(/^(re|aw|fwd?):\s*/i, '')}`;
    await waitFor(async () => ((await serverDrafts()).length === before + 1 ? true : undefined), 'the draft on the server', 30_000);
    const mine = (await serverDrafts()).filter((d) => d.text.includes('we pay on Friday'));
    assert.equal(mine.length, 1);
    assert.equal(mine[0].subject, subject);
    assert.equal(m.smtp.received.length, 0, 'nothing was sent');
  });
});
