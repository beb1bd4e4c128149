#!/usr/bin/env node
// `npm run test:vscode`: runs test/vscode/suite (mocha inside a real VS Code) with @vscode/test-electron.
// It downloads VS Code on first use, so it needs a machine that can reach update.code.visualstudio.com;
// machines that reach only the npm registry use the code-server suite instead (`npm run test:e2e`).
//
// MAILDESK_VSCODE_VERSION picks the VS Code version (default: the one engines.vscode names, 1.100.3,
// the same workbench code-server 4.100.3 ships). MAILDESK_VSCODE_EXECUTABLE uses an installed VS Code.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runTests } from '@vscode/test-electron';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..', '..');

async function main() {
  if (!fs.existsSync(path.join(root, 'dist', 'extension.js'))) {
    console.error('dist/extension.js is missing: run `node esbuild.mjs` first (npm run test:vscode does).');
    process.exit(1);
  }
  // A fresh profile and an empty workspace, so no state from an earlier run or a developer's own
  // VS Code leaks in.
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'maildesk-vscode-'));
  const workspace = path.join(tmp, 'workspace');
  const userData = path.join(tmp, 'user-data');
  fs.mkdirSync(path.join(userData, 'User'), { recursive: true });
  fs.mkdirSync(workspace, { recursive: true });
  fs.writeFileSync(
    path.join(userData, 'User', 'settings.json'),
    JSON.stringify({ 'security.workspace.trust.enabled': false, 'workbench.startupEditor': 'none', 'telemetry.telemetryLevel': 'off' }, null, 2),
  );
  try {
    await runTests({
      version: process.env.MAILDESK_VSCODE_VERSION || '1.100.3',
      vscodeExecutablePath: process.env.MAILDESK_VSCODE_EXECUTABLE || undefined,
      extensionDevelopmentPath: root,
      extensionTestsPath: path.join(here, 'suite', 'index.js'),
      launchArgs: [
        workspace,
        '--user-data-dir', userData,
        '--extensions-dir', path.join(tmp, 'extensions'),
        // Only MailDesk: another installed extension must not change what is tested.
        '--disable-extensions',
        '--disable-workspace-trust',
        '--skip-welcome',
        '--skip-release-notes',
      ],
      extensionTestsEnv: { MAILDESK_VSCODE_TEST: '1' },
    });
  } catch (err) {
    console.error(`VS Code tests failed: ${err instanceof Error ? err.message : err}`);
    process.exitCode = 1;
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

await main();
