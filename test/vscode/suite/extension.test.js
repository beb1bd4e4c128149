// MailDesk inside a real VS Code: it activates when its views are shown, registers every command
// it contributes, and runs the ones that need no account without an error.
'use strict';
// CommonJS on purpose: the extension host require()s this file as it is, with no build step.
/* eslint-disable @typescript-eslint/no-require-imports */
/* global describe, before, it */
const assert = require('node:assert/strict');
const vscode = require('vscode');

const EXTENSION_ID = 'maildesk.maildesk';

describe('MailDesk in VS Code', function () {
  /** @type {vscode.Extension<any>} */
  let ext;

  before(async function () {
    const found = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(found, `${EXTENSION_ID} is installed in the test instance`);
    ext = found;
  });

  it('activates when the Mailboxes view is opened', async function () {
    // What a person does: click the activity-bar icon, which shows the Mailboxes view.
    await vscode.commands.executeCommand('workbench.view.extension.maildesk');
    await vscode.commands.executeCommand('maildesk.mailboxes.focus');
    const deadline = Date.now() + 30_000;
    while (!ext.isActive && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    if (!ext.isActive) await ext.activate();
    assert.equal(ext.isActive, true, 'the extension is active');
    const api = ext.exports;
    assert.ok(api && api.core, 'activate() returns the API with the core');
    assert.deepEqual(api.core.store.listAccounts(), [], 'a fresh profile has no account');
  });

  it('registers every command it contributes', async function () {
    await ext.activate();
    const contributed = (ext.packageJSON.contributes.commands || []).map((c) => c.command);
    assert.ok(contributed.includes('maildesk.addImapAccount'), 'Add IMAP Account is contributed');
    const registered = new Set(await vscode.commands.getCommands(true));
    const missing = contributed.filter((c) => !registered.has(c));
    assert.deepEqual(missing, [], 'every contributed command has a handler');
  });

  it('runs Refresh and Show Log with no account without an error', async function () {
    await ext.activate();
    // Both resolve: the commands catch their own errors and show them instead of throwing.
    await vscode.commands.executeCommand('maildesk.refresh');
    await vscode.commands.executeCommand('maildesk.showLog');
  });
});
