// `npm test`: type check, lint, unit tests, integration tests against a real Dovecot
// and SMTP server, and the end-to-end suite in code-server, with one closing line:
// "N passed, N failed, N skipped". Missing system packages are said loudly.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
process.chdir(root);
const tmp = path.join(root, '.test-tmp');
mkdirSync(tmp, { recursive: true });
const totals = { passed: 0, failed: 0, skipped: 0 };
const notes = [];
const only = process.argv.slice(2);
const want = (name) => only.length === 0 || only.includes(name);

function banner(text) {
  const line = '!'.repeat(78);
  console.log(`\n${line}\n${text.split('\n').map((l) => `!! ${l}`).join('\n')}\n${line}\n`);
}

function step(name, cmd, args, env = {}) {
  console.log(`\n=== ${name}: ${[cmd, ...args].join(' ')}`);
  const r = spawnSync(cmd, args, { stdio: 'inherit', env: { ...process.env, ...env } });
  return r.status === 0;
}

function mocha(name, config, env = {}) {
  const file = path.join(tmp, `totals-${name}.json`);
  rmSync(file, { force: true });
  const ok = step(name, 'npx', ['mocha', '--config', config, '--reporter', path.join(root, 'test/support/totals-reporter.cjs')], { ...env, MAILDESK_TOTALS_FILE: file });
  if (existsSync(file)) {
    const t = JSON.parse(readFileSync(file, 'utf8'));
    totals.passed += t.passed;
    totals.failed += t.failed;
    totals.skipped += t.skipped;
    if (!ok && t.failed === 0) totals.failed++; // crashed outside a test
  } else {
    totals.failed++;
    notes.push(`${name}: mocha did not finish`);
  }
}

function check(name, cmd, args) {
  if (step(name, cmd, args)) totals.passed++;
  else {
    totals.failed++;
    notes.push(`${name} failed`);
  }
}

const dovecot = ['/usr/sbin/dovecot', '/usr/local/sbin/dovecot'].find((p) => existsSync(p));
const requireDovecot = process.env.MAILDESK_REQUIRE_DOVECOT === '1';
const requireE2E = process.env.MAILDESK_REQUIRE_E2E === '1';

if (want('build')) check('build', 'node', ['esbuild.mjs']);
if (want('typecheck')) check('typecheck', 'npx', ['tsc', '--noEmit', '-p', '.']);
if (want('lint')) check('lint', 'npx', ['eslint', 'src', 'test']);
if (want('unit')) mocha('unit', 'test/.mocharc.unit.json');
if (want('integration')) {
  if (!dovecot) {
    banner(
      'Dovecot is not installed: the IMAP integration tests cannot run.\n' +
        'Install the Debian package dovecot-imapd (as root: apt-get install -y dovecot-imapd),\n' +
        'then run npm test again. .ci/run installs it by itself.',
    );
    if (requireDovecot) {
      totals.failed++;
      notes.push('integration: dovecot-imapd missing');
    } else {
      mocha('integration', 'test/.mocharc.integration.json', { MAILDESK_SKIP_DOVECOT: '1' });
    }
  } else {
    mocha('integration', 'test/.mocharc.integration.json');
  }
}
if (want('e2e') && existsSync(path.join(root, 'test/e2e/run.mjs'))) {
  const install = spawnSync('node', ['test/e2e/install.mjs', '--check'], { stdio: 'inherit' });
  if (install.status !== 0) {
    banner(
      'The end-to-end suite (code-server in headless Chromium) cannot run here:\n' +
        'code-server or Chromium is missing and could not be installed (see the reason above).\n' +
        'Install them with: sudo bash .ci/install-e2e.sh   then run npm test again.',
    );
    if (requireE2E) {
      totals.failed++;
      notes.push('e2e: prerequisites missing');
    }
  } else {
    const file = path.join(tmp, 'totals-e2e.json');
    rmSync(file, { force: true });
    const ok = step('e2e', 'node', ['test/e2e/run.mjs'], { MAILDESK_TOTALS_FILE: file });
    if (existsSync(file)) {
      const t = JSON.parse(readFileSync(file, 'utf8'));
      totals.passed += t.passed;
      totals.failed += t.failed;
      totals.skipped += t.skipped;
      if (!ok && t.failed === 0) totals.failed++;
    } else {
      totals.failed++;
      notes.push('e2e: did not finish');
    }
  }
}

for (const n of notes) console.log(`note: ${n}`);
const line = `${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`;
writeFileSync(path.join(tmp, 'totals.txt'), line + '\n');
console.log(`\n${line}`);
process.exit(totals.failed ? 1 : 0);
