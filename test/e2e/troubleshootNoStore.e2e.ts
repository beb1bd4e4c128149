import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Page } from 'playwright-core';
import { sandboxSuite } from './lib/suite';
import { clickActivityBarItem, clickNotificationButton, runCommand, waitForNotification, waitForWorkbench, webviewFrame } from './lib/workbench';
import { answer, waitFor } from './lib/flow';

// The mail store cannot be opened at all (its file's place is taken by a folder): MailDesk says
// so, and "MailDesk: Troubleshoot" is still there and reports the store as a failing check with
// its fix, instead of "command not found".

const PANEL = 'MailDesk: Troubleshoot';

describe('MailDesk: Troubleshoot without a store (code-server + headless Chromium)', function () {
  const suite = sandboxSuite({ name: 'nostore', messages: 1 });
  const page = (): Page => suite.page();

  it('when the store cannot be opened, the error offers Troubleshoot and the panel shows store.health failing with its fix', async () => {
    await clickActivityBarItem(page(), 'MailDesk');
    const storage = path.join(suite.server.userDataDir, 'User', 'globalStorage', 'maildesk.maildesk');
    const db = path.join(storage, 'maildesk.db');
    await waitFor(async () => (fs.existsSync(db) ? true : undefined), 'the store to be created', 30_000);
    // The old window's engine writes to the file it has open until it closes; the next one finds a folder.
    fs.rmSync(db, { force: true });
    fs.mkdirSync(db);
    fs.writeFileSync(path.join(db, 'in-the-way'), '');
    await runCommand(page(), 'Developer: Reload Window');
    await page().waitForTimeout(2000);
    await waitForWorkbench(page());
    const re = /MailDesk: the mail store .*could not be opened/;
    // The MailDesk view reopens with the window and activates the extension; click it only if not.
    const toast = await waitForNotification(page(), re, 20_000).catch(async () => {
      await clickActivityBarItem(page(), 'MailDesk');
      return waitForNotification(page(), re, 60_000);
    });
    assert.ok(toast.buttons.includes('Troubleshoot'), `the notification offers Troubleshoot: ${toast.buttons}`);
    await clickNotificationButton(page(), re, 'Troubleshoot');
    await answer(page(), /What did you expect/, 'MailDesk to open');
    await answer(page(), /What happened instead/, 'an error about the store');
    const frame = await webviewFrame(page(), PANEL, 30_000);
    const store = frame.locator('li.check.problem.fail', { hasText: 'Local mail store' });
    await store.waitFor({ state: 'visible', timeout: 60_000 });
    const text = await store.innerText();
    assert.match(text, /could not be opened/);
    assert.match(text, /Troubleshoot ran without it/);
    assert.match(text, /writable/);
  });
});
