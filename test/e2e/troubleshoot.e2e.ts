import { strict as assert } from 'node:assert';
import type { Page } from 'playwright-core';
import { sandboxSuite } from './lib/suite';
import {
  clickActivityBarItem,
  clickDialogButton,
  clickNotificationLink,
  dialogState,
  quickInputState,
  runCommand,
  treeItems,
  waitForNotification,
  webviewFrame,
} from './lib/workbench';
import { updateReadmeScreenshot } from './lib/readmeScreenshots';
import { addImapAccount, answer, escapeRegExp, waitFor } from './lib/flow';
import { THEMES, codiconFontLoaded, componentColour, setColorTheme, showsTheme, textContrast, themeScreenshot } from './lib/themes';

// "MailDesk: Troubleshoot" as a person meets it: one healthy account with a folder full of mail
// that is not selected for sync (a warning), one with a wrong password (a failure). The error
// notification offers Troubleshoot; the panel groups the results by account, each problem with
// its fix and a button that goes there.

const GOOD = { email: 'sam.rivera@example.test', name: 'Sam Rivera' };
const BAD = { email: 'bob@example.test', name: 'Bob Stone' };
const PANEL = 'MailDesk: Troubleshoot';

describe('MailDesk: Troubleshoot in VS Code (code-server + headless Chromium)', function () {
  const suite = sandboxSuite({ name: 'troubleshoot', messages: 40, viewport: { width: 1280, height: 1280 } });
  const page = (): Page => suite.page();

  it('offered by the error notification: shows the unselected folder as a warning and the wrong password as a failure, each with its fix', async () => {
    const m = suite.mail;
    await clickActivityBarItem(page(), 'MailDesk');

    // A healthy account without an outgoing server (Troubleshoot then skips the SMTP checks).
    await addImapAccount(page(), { ...GOOD, password: m.password, imap: { host: m.dovecot.host, port: m.dovecot.port, user: m.user } });
    await waitForNotification(page(), `${GOOD.email} added with`, 60_000);
    // Wait for the first sync, so the only finding on this account is Archive (mail, not selected).
    await waitFor(async () => {
      const rows = await treeItems(page(), 'Mailboxes', 5000);
      const inbox = rows.find((r) => r.label === 'Inbox');
      return inbox && /\d/.test(inbox.description) ? true : undefined;
    }, 'Inbox to show its count', 60_000);

    await addImapAccount(page(), { ...BAD, password: 'not-the-password', imap: { host: m.dovecot.host, port: m.dovecot.port, user: m.otherUser } });
    const dialog = await dialogState(page(), 60_000);
    assert.match(dialog.message, /failed/);
    await clickDialogButton(page(), 'Save Anyway');

    // The disconnected account's notification offers Troubleshoot.
    const toastRe = new RegExp(`MailDesk: ${escapeRegExp(BAD.name)}: `);
    const toast = await waitForNotification(page(), toastRe, 60_000);
    assert.ok(toast.links.includes('Troubleshoot'), `the notification offers Troubleshoot: ${toast.links}`);
    await clickNotificationLink(page(), toastRe, 'Troubleshoot');

    // The two optional questions.
    await answer(page(), /What did you expect/, 'New mail in both accounts');
    await answer(page(), /What happened instead/, 'Bob Stone shows disconnected since this morning');

    const frame = await webviewFrame(page(), PANEL, 30_000);
    await frame.locator('section.group').first().waitFor({ state: 'visible', timeout: 60_000 });
    // Each account's group, whether its address is masked (the default) or shown (the checkbox).
    const good = frame.locator('section.group', { hasText: /s\*\*\*@example\.test|sam\.rivera@example\.test/ });
    const bad = frame.locator('section.group', { hasText: /b\*\*\*@example\.test|bob@example\.test/ });
    assert.equal(await frame.locator('section.group', { hasText: GOOD.email }).count(), 0, 'addresses are masked by default');

    // Sam Rivera: a warning for Archive, with the folder picker as the fix; nothing failed.
    const archive = good.locator('li.check.problem.warn', { hasText: 'Archive' });
    await archive.waitFor({ state: 'visible', timeout: 10_000 });
    assert.match(await archive.innerText(), /not selected/i);
    assert.equal(await good.locator('li.check.problem.fail').count(), 0, `no failure for the healthy account:\n${await good.innerText()}`);
    assert.equal(await good.locator('h2 [role="img"]').first().getAttribute('aria-label'), 'Warning');

    // Bob Stone: the incoming server fails at login, with Enter Password as the fix.
    const login = bad.locator('li.check.problem.fail', { hasText: 'Enter Password' }).first();
    await login.waitFor({ state: 'visible', timeout: 10_000 });
    assert.match(await login.innerText(), /password|login|auth/i);
    // Since when: the first run that saw it fail, and that it never passed (the panel says what the report says).
    assert.match(await login.locator('dd.since').innerText(), /; last passed never seen passing$/);
    assert.ok(!Number.isNaN(Date.parse((await login.locator('dd.since time').first().getAttribute('datetime')) ?? '')), 'the time carries its ISO value');
    assert.equal(await bad.locator('h2 [role="img"]').first().getAttribute('aria-label'), 'Failed');
    assert.match(await frame.locator('#story').innerText(), /New mail in both accounts[\s\S]*Bob Stone shows disconnected/);

    await page().locator('.notifications-toasts .notification-toast').first().waitFor({ state: 'hidden', timeout: 15_000 }).catch(() => undefined);
    // VS Code's look in each theme, under a CSP without inline styles: the components' adopted
    // styles reach their shadow roots, and the status codicons' font loads from our own files.
    assert.equal(await codiconFontLoaded(frame), true, 'the codicon font of the status icons loaded');
    assert.equal(await good.locator('h2 [role="img"] .codicon-warning').count(), 1, 'the warning is drawn as its codicon');
    for (const theme of THEMES) {
      await setColorTheme(page(), frame, theme);
      const box = await componentColour(frame, '#addresses', '.icon', 'backgroundColor', '--vscode-settings-checkboxBackground');
      assert.equal(box.painted, box.expected, `${theme.label}: the address box is painted as VS Code's checkbox`);
      // High contrast themes leave button.background unset (buttons are outlined there).
      if (theme.kind !== 'vscode-high-contrast') {
        const copy = await componentColour(frame, '#copy', '.base', 'backgroundColor', '--vscode-button-background');
        assert.equal(copy.painted, copy.expected, `${theme.label}: Copy report is painted as VS Code's primary button`);
      }
      // Readable in every theme (WCAG AA): the check's id, a count badge, a fix.
      for (const sel of ['.check-id', '.group-counts vscode-badge', '.check-body .remedy']) {
        const c = await textContrast(frame, sel);
        assert.ok(c.ratio >= 4.5, `${theme.label}: ${sel} has contrast ${c.ratio.toFixed(2)}:1 (${c.fg} on ${c.bg}), below WCAG AA 4.5:1`);
      }
      // The account's toasts come and go; the screenshot shows the page.
      await runCommand(page(), 'Notifications: Clear All Notifications');
      const shot = await themeScreenshot(page(), `troubleshoot-${theme.slug}`, theme);
      assert.ok(await showsTheme(page(), frame, theme), `${theme.label} was still on when the screenshot was taken`);
      await updateReadmeScreenshot(shot, theme.kind === 'vscode-dark' ? 'troubleshoot.png' : `troubleshoot-${theme.slug}.png`);
    }

    // Copy report: the Markdown support staff get, with the user's story and no password.
    await frame.locator('#copy').click();
    await frame.locator('#notice', { hasText: 'Report copied' }).waitFor({ timeout: 10_000 });
    const md = await page().evaluate(() => navigator.clipboard.readText());
    assert.match(md, /^# MailDesk support report/);
    assert.match(md, /\*\*Expected:\*\* New mail in both accounts/);
    assert.match(md, /### Failing checks/);
    // The engine section: this window's extension host runs the engine, and the window is its client.
    assert.match(md, /## Engine\n\n- Hosted by a VS Code window \(extension host\), process \d+, in a worker thread;.*\n- Data folder: .*\n- Clients \(\d+\): .*vscode process \d+ \(the host\)/);
    assert.ok(!md.includes('not-the-password') && !md.includes(m.otherPassword), 'no password in the report');
    assert.ok(!md.includes(BAD.email), 'addresses masked in the report');

    // The address box rebuilds the panel (and the report) with the addresses.
    // A vscode-checkbox: clicked as a person does; its inner checkbox is what a screen reader hears.
    await frame.locator('#addresses').click();
    assert.equal(await frame.getByRole('checkbox', { name: 'Include email addresses in the report' }).isChecked(), true, 'the address box is ticked');
    await frame.locator('section.group', { hasText: BAD.email }).waitFor({ timeout: 10_000 });

    // The warning's button goes there: the folder picker of that account.
    await good.locator('li.check.problem.warn', { hasText: 'Archive' }).locator('vscode-button.action').click();
    const picker = await waitFor(async () => {
      const s = await quickInputState(page(), 2000).catch(() => undefined);
      return s && s.items.some((i) => /Archive/.test(i)) ? s : undefined;
    }, 'the folder picker', 15_000);
    assert.ok(picker.items.some((i) => /Archive/.test(i)), `picker items: ${picker.items}`);
    await page().keyboard.press('Escape');

    // A fix button for the failing account: Enter Password. The checks run again by themselves,
    // and once the account has reconnected the login failure (and "sync is paused") is gone.
    await bad.locator('li.check.problem.fail', { hasText: 'Enter Password' }).first().locator('vscode-button.action').click();
    await answer(page(), new RegExp(`^Password of ${m.otherUser} on`), m.otherPassword);
    await waitFor(
      async () =>
        (await bad.isVisible()) && (await bad.locator('li.check.problem.fail').count()) === 0 && (await bad.locator('li.check.problem', { hasText: /paused|password|login/i }).count()) === 0
          ? true
          : undefined,
      `the login failure of ${BAD.name} to turn to pass after Enter Password`,
      90_000,
    );
    assert.notEqual(await bad.locator('h2 [role="img"]').first().getAttribute('aria-label'), 'Failed');
  });
});


