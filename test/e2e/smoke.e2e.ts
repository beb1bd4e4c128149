import { strict as assert } from 'node:assert';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { startCodeServer, type CodeServer } from './lib/codeServer';
import { reportFailure, skipWithoutCodeServer, stopAll } from './lib/suite';
import { packageVsix } from './lib/vsix';
import {
  activityBarItem,
  clickActivityBarItem,
  clickNotificationButton,
  openWorkbench,
  quickInputAccept,
  quickInputState,
  quickInputType,
  quickPickSelect,
  runCommand,
  screenshot,
  treeItems,
  waitForNotification,
  webviewFrame,
  type Workbench,
} from './lib/workbench';
import { SMOKE, writeSmokeExtension } from './fixtures/smokeExtension';

// Proves the e2e harness on a throwaway extension: a real VS Code (code-server) starts with the
// .vsix installed, and a person's actions (activity bar, palette, input boxes, notifications,
// webviews) work through the helpers the MailDesk e2e tests use.
describe('e2e harness smoke (code-server + headless Chromium)', function () {
  let tmp = '';
  let server: CodeServer | undefined;
  let wb: Workbench | undefined;
  let pixel: http.Server | undefined;
  let pixelUrl = '';
  const pixelHits: string[] = [];

  before(async function () {
    skipWithoutCodeServer(this);
    tmp = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'maildesk-e2e-smoke-'));
    // Stands in for a remote image in an email: the webview must be seen loading it.
    pixel = http.createServer((req, res) => {
      pixelHits.push(req.url ?? '');
      res.writeHead(200, { 'content-type': 'image/gif', 'cache-control': 'no-store' });
      res.end(Buffer.from('R0lGODlhAQABAIAAAP///wAAACH5BAEAAAAALAAAAAABAAEAAAICRAEAOw==', 'base64'));
    });
    await new Promise<void>((resolve) => pixel!.listen(0, '127.0.0.1', resolve));
    const addr = pixel.address();
    pixelUrl = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}/pixel.gif`;

    const extDir = path.join(tmp, 'ext');
    await writeSmokeExtension(extDir);
    const vsixPath = await packageVsix(extDir, path.join(tmp, 'e2e-smoke.vsix'));
    const workspaceDir = path.join(tmp, 'workspace');
    await fs.promises.mkdir(workspaceDir, { recursive: true });
    await fs.promises.writeFile(path.join(workspaceDir, 'hello.txt'), 'hello\n');

    server = await startCodeServer({ vsixPath, workspaceDir, env: { [SMOKE.pixelUrlEnv]: pixelUrl } });
    wb = await openWorkbench(server.url);
  });

  afterEach(async function () {
    await reportFailure(this.currentTest, 'smoke-failed', wb, server);
  });

  after(async () => {
    await stopAll([
      ['closing the browser', wb && (() => wb!.close())],
      ['stopping code-server', server && (() => server!.stop())],
      ['stopping the pixel server', pixel && (() => new Promise<void>((resolve) => pixel!.close(() => resolve())))],
      ['removing the temporary folder', tmp ? () => fs.promises.rm(tmp, { recursive: true, force: true }) : undefined],
    ]);
  });

  it('shows the extension icon in the activity bar and its tree view when clicked', async () => {
    const page = wb!.page;
    const icon = activityBarItem(page, SMOKE.containerTitle);
    // Contributed containers appear once the extension host has registered the extension.
    await icon.waitFor({ state: 'visible', timeout: 30_000 });
    assert.ok(await icon.isVisible(), 'activity-bar icon is visible');
    await clickActivityBarItem(page, SMOKE.containerTitle);
    const rows = await treeItems(page, SMOKE.viewName);
    assert.deepEqual(
      rows.map((r) => ({ label: r.label, description: r.description })),
      SMOKE.treeItems.map((r) => ({ label: r.label, description: r.description })),
    );
  });

  it('runs a command from the palette and shows its notification with buttons', async () => {
    const page = wb!.page;
    await runCommand(page, SMOKE.helloCommand);
    const toast = await waitForNotification(page, SMOKE.helloMessage);
    assert.deepEqual(toast.buttons, ['Again', 'Close']);
    await screenshot(page, 'smoke-workbench');
    await clickNotificationButton(page, SMOKE.helloMessage, 'Again');
    await waitForNotification(page, 'Hello again');
  });

  it('drives an InputBox then a QuickPick', async () => {
    const page = wb!.page;
    await runCommand(page, SMOKE.askCommand);
    const box = await quickInputState(page);
    assert.equal(box.placeholder, 'Name');
    assert.match(box.message, /Your name/);
    await quickInputType(page, 'Ada');
    await quickInputAccept(page);
    await page.waitForFunction(() => {
      const input = document.querySelector<HTMLInputElement>('.quick-input-widget .quick-input-box input');
      return input?.placeholder === 'Favourite colour';
    });
    const pick = await quickInputState(page);
    assert.deepEqual(pick.items, ['Red', 'Green', 'Blue']);
    await quickPickSelect(page, 'Green');
    await waitForNotification(page, 'Hi Ada, you picked Green');
  });

  it('reaches into a webview, sees its remote image request, and gets its message back', async () => {
    const page = wb!.page;
    await runCommand(page, SMOKE.panelCommand);
    const frame = await webviewFrame(page, SMOKE.panelTitle);
    await frame.locator('#greeting').waitFor({ state: 'visible' });
    assert.equal(await frame.locator('#greeting').textContent(), 'Hello webview');
    await frame.locator('#pixel').waitFor({ state: 'attached' });
    const deadline = Date.now() + 10_000;
    while (!wb!.requests.some((r) => r.url === pixelUrl) && Date.now() < deadline) await page.waitForTimeout(100);
    const seen = wb!.requests.find((r) => r.url === pixelUrl);
    assert.ok(seen, `the browser recorded the webview's request for ${pixelUrl}`);
    assert.match(seen.frameUrl, /webview/, 'the request came from inside the webview');
    assert.ok(pixelHits.includes('/pixel.gif'), 'the pixel server was hit');
    await frame.locator('#ping').click();
    await waitForNotification(page, 'Pong from webview');
    await screenshot(page, 'smoke-webview');
  });

  it('writes the extension host log where extensionHostLog() finds it', async () => {
    const log = await server!.extensionHostLog();
    assert.match(log, /maildesk-test\.e2e-smoke/, 'the activation of the test extension is logged');
    assert.ok(wb!.consoleMessages.some((m) => m.includes('e2e-smoke activated')), 'extension console.log reaches the browser console');
  });
});
