#!/usr/bin/env node
// `npm run test:e2e`: makes sure code-server and Chromium are there (installing them when it can),
// then runs test/e2e/**/*.e2e.ts with mocha. Extra arguments go to mocha (e.g. --grep smoke).
//
// Exit code 3 means "could not install the prerequisites": the reason is printed above it, and
// test/run-all.mjs can report e2e as skipped rather than failed.
// MAILDESK_E2E_NO_INSTALL=1 only checks, never installs.

import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..', '..');

const installArgs = [path.join(here, 'install.mjs')];
if (process.env.MAILDESK_E2E_NO_INSTALL === '1') installArgs.push('--check');
const install = spawnSync(process.execPath, installArgs, { stdio: 'inherit', cwd: root });
if (install.status !== 0) {
  console.error(`[e2e] SKIPPED: prerequisites missing (install.mjs exit ${install.status}); see the message above.`);
  process.exit(install.status === 3 ? 3 : 1);
}

const mocha = path.join(root, 'node_modules', 'mocha', 'bin', 'mocha.js');
// Under test/run-all.mjs the totals go to a file so `npm test` can add them up.
const reporter = process.env.MAILDESK_TOTALS_FILE ? ['--reporter', path.join(root, 'test', 'support', 'totals-reporter.cjs')] : [];
const res = spawnSync(process.execPath, [mocha, '--config', path.join(here, '.mocharc.e2e.json'), ...reporter, ...process.argv.slice(2)], {
  stdio: 'inherit',
  cwd: root,
});
process.exit(res.status ?? 1);
