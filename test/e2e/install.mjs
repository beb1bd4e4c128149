#!/usr/bin/env node
// Installs what the end-to-end tests need: Debian's chromium and build headers (apt),
// a ripgrep cache for @vscode/ripgrep, and code-server into test/e2e/host/node_modules.
//
// Idempotent and fast when everything is already there (a stamp file records the lock's hash).
// Exit codes: 0 installed/ready, 3 cannot install (reason printed loudly), so the test runner
// can say why it skipped e2e instead of failing obscurely.
//
// Usage: node test/e2e/install.mjs [--force] [--check]
//   --check  only report whether everything is ready (exit 0 or 3), install nothing.
//   --force  reinstall code-server even if the stamp says it is up to date.

import { spawnSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const hostDir = path.join(here, 'host');
const codeServerDir = path.join(hostDir, 'node_modules', 'code-server');
const stampFile = path.join(hostDir, 'node_modules', '.maildesk-e2e-stamp');
const args = new Set(process.argv.slice(2));
const checkOnly = args.has('--check');
const force = args.has('--force');

const APT_PACKAGES = ['libkrb5-dev', 'libxkbfile-dev', 'libsecret-1-dev', 'libx11-dev', 'pkg-config', 'ripgrep', 'chromium'];
const CHROMIUM = '/usr/bin/chromium';
// What @vscode/ripgrep 1.15.11 (pulled in by VS Code 1.100 inside code-server 4.100.3) downloads
// from GitHub; it skips the download when this file is already in its cache folder.
const RIPGREP_CACHE_DIR = path.join(os.tmpdir(), 'vscode-ripgrep-cache-1.15.11');
const RIPGREP_TARGETS = { x64: 'x86_64-unknown-linux-musl', arm64: 'aarch64-unknown-linux-musl' };
const RIPGREP_ASSET = `ripgrep-v13.0.0-10-${RIPGREP_TARGETS[process.arch] ?? 'x86_64-unknown-linux-musl'}.tar.gz`;

const started = Date.now();
const log = (msg) => console.log(`[e2e-install] ${msg}`);

function fail(reason, detail) {
  const bar = '!'.repeat(78);
  console.error(`\n${bar}\n!! E2E PREREQUISITES NOT INSTALLED: ${reason}\n${bar}`);
  if (detail) {
    // npm's stack traces and config warnings bury the one line that says what went wrong.
    const lines = detail.trim().split('\n').filter((l) => !/npm warn Unknown|^\s*(npm error\s+)?at /.test(l));
    console.error(lines.map((l) => `!!   ${l}`).join('\n'));
  }
  console.error(`!! End-to-end tests (a real VS Code via code-server + headless Chromium) cannot run.`);
  console.error(`!! As root, with access to the npm registry and Debian apt, run: sh .ci/install-e2e.sh\n${bar}\n`);
  process.exit(3);
}

function run(cmd, cmdArgs, opts = {}) {
  return spawnSync(cmd, cmdArgs, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, ...opts });
}

function which(cmd) {
  const r = run('sh', ['-c', `command -v ${cmd}`]);
  return r.status === 0 ? r.stdout.trim() : '';
}

function isRoot() {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

// --- 0. platform ---------------------------------------------------------------------------
if (process.platform !== 'linux') fail(`unsupported platform ${process.platform}; this harness targets Debian/Ubuntu Linux`);
const nodeMajor = Number(process.versions.node.split('.')[0]);
// code-server 4.100.3's postinstall refuses any Node other than 20 (newer code-server needs Node 22,
// and would need a newer engines.vscode than the extension declares).
if (nodeMajor !== 20) fail(`Node ${process.versions.node} found; code-server 4.100.3 requires Node 20`);

// --- 1. apt packages -------------------------------------------------------------------------
function missingAptPackages() {
  if (!which('dpkg-query')) return APT_PACKAGES.filter((p) => (p === 'chromium' ? !fs.existsSync(CHROMIUM) : p === 'ripgrep' ? !which('rg') : false));
  return APT_PACKAGES.filter((p) => {
    const r = run('dpkg-query', ['-W', '-f=${Status}', p]);
    return r.status !== 0 || !r.stdout.includes('install ok installed');
  });
}

// node-gyp builds code-server's native modules; a toolchain that is already on PATH (pyenv,
// a compiler from elsewhere) is fine, so these are checked as commands, not as packages.
const TOOLS = { make: 'build-essential', 'g++': 'build-essential', python3: 'python3' };
function missingToolPackages() {
  return [...new Set(Object.entries(TOOLS).filter(([cmd]) => !which(cmd)).map(([, pkg]) => pkg))];
}

let missing = [...missingAptPackages(), ...missingToolPackages()];
if (missing.length > 0) {
  if (checkOnly) fail(`missing apt packages: ${missing.join(' ')}`);
  if (!isRoot()) fail(`missing apt packages: ${missing.join(' ')} (not root, so cannot apt-get install them)`, `sudo apt-get install -y ${missing.join(' ')}`);
  log(`apt-get install ${missing.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const upd = run('apt-get', ['update'], { env, stdio: 'inherit' });
  if (upd.status !== 0) fail('apt-get update failed (no network to the Debian mirror?)');
  const inst = run('apt-get', ['install', '-y', '--no-install-recommends', ...missing], { env, stdio: 'inherit' });
  if (inst.status !== 0) fail(`apt-get install ${missing.join(' ')} failed`);
  missing = [...missingAptPackages(), ...missingToolPackages()];
  if (missing.length > 0) fail(`apt packages still missing after install: ${missing.join(' ')}`);
}
if (!fs.existsSync(CHROMIUM)) fail(`${CHROMIUM} not found (apt package "chromium")`);

// --- 2. ripgrep cache --------------------------------------------------------------------------
// Without it, @vscode/ripgrep's postinstall (run by code-server's postinstall) tries GitHub and the
// whole code-server install fails on a machine that only reaches the npm registry.
function ensureRipgrepCache() {
  const target = path.join(RIPGREP_CACHE_DIR, RIPGREP_ASSET);
  if (fs.existsSync(target) && fs.statSync(target).size > 0) return;
  const rg = which('rg');
  if (!rg) fail('ripgrep (rg) not found; it is needed to fill the @vscode/ripgrep download cache');
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'maildesk-rg-'));
  try {
    fs.copyFileSync(rg, path.join(tmp, 'rg'));
    fs.chmodSync(path.join(tmp, 'rg'), 0o755);
    fs.mkdirSync(RIPGREP_CACHE_DIR, { recursive: true });
    const r = run('tar', ['czf', target, '-C', tmp, 'rg']);
    if (r.status !== 0) fail('could not write the ripgrep cache tarball', r.stderr);
    log(`filled ripgrep cache ${target} from ${rg}`);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}
if (!checkOnly) ensureRipgrepCache();

// --- 3. code-server ------------------------------------------------------------------------------
const lockFile = path.join(hostDir, 'package-lock.json');
const hostPackageJson = path.join(hostDir, 'package.json');

function installFingerprint() {
  const h = createHash('sha256');
  h.update(fs.readFileSync(hostPackageJson));
  if (fs.existsSync(lockFile)) h.update(fs.readFileSync(lockFile));
  h.update(process.versions.node.split('.')[0]);
  return h.digest('hex');
}

// The postinstall builds VS Code's own node_modules (native modules, ripgrep); these are the
// files that show it really ran rather than being skipped by npm's install-script policy.
function postinstallProblems() {
  const vs = path.join(codeServerDir, 'lib', 'vscode');
  const need = [
    ['node_modules/@vscode/ripgrep/bin/rg', 'ripgrep binary'],
    ['node_modules/node-pty/build/Release/pty.node', 'node-pty native module'],
    ['node_modules/@vscode/spdlog/build/Release/spdlog.node', 'spdlog native module'],
    ['node_modules.asar', 'node_modules.asar link'],
    ['extensions/node_modules', 'built-in extensions dependencies'],
  ];
  return need.filter(([p]) => !fs.existsSync(path.join(vs, p))).map(([p, what]) => `${what} (lib/vscode/${p})`);
}

function codeServerWorks() {
  const bin = path.join(hostDir, 'node_modules', '.bin', 'code-server');
  if (!fs.existsSync(bin)) return false;
  // A throwaway config home: --version would otherwise write ~/.config/code-server/config.yaml.
  const cfg = fs.mkdtempSync(path.join(os.tmpdir(), 'maildesk-e2e-check-'));
  try {
    const r = run(bin, ['--version'], { env: { ...process.env, XDG_CONFIG_HOME: cfg, XDG_DATA_HOME: cfg }, timeout: 60_000 });
    return r.status === 0 && /4\.100\.3/.test(r.stdout);
  } finally {
    fs.rmSync(cfg, { recursive: true, force: true });
  }
}

function isReady() {
  try {
    return fs.readFileSync(stampFile, 'utf8').trim() === installFingerprint() && postinstallProblems().length === 0 && codeServerWorks();
  } catch {
    return false;
  }
}

if (!force && isReady()) {
  log(`ready: code-server 4.100.3 in ${path.relative(process.cwd(), hostDir) || hostDir}, ${CHROMIUM} (${Date.now() - started} ms)`);
  process.exit(0);
}
if (checkOnly) fail('code-server is not installed in test/e2e/host (or is out of date)');

// Tees a child's output to ours and keeps the tail for the failure message.
function runTee(cmd, cmdArgs, opts) {
  return new Promise((resolve) => {
    const child = spawn(cmd, cmdArgs, { ...opts, stdio: ['ignore', 'pipe', 'pipe'] });
    let tail = '';
    const onData = (stream) => (chunk) => {
      stream.write(chunk);
      tail = (tail + chunk.toString()).slice(-8000);
    };
    child.stdout.on('data', onData(process.stdout));
    child.stderr.on('data', onData(process.stderr));
    child.on('error', (err) => resolve({ status: -1, tail: String(err) }));
    child.on('close', (status) => resolve({ status, tail }));
  });
}

const npmEnv = {
  ...process.env,
  // node-pty's build step calls npx, which would otherwise stop to ask.
  npm_config_yes: 'true',
  // code-server's postinstall refuses to run as root without it.
  npm_config_unsafe_perm: 'true',
  // A user-level strict-allow-scripts would turn unreviewed nested scripts into errors; the
  // allowScripts field in host/package.json lists the ones we expect (code-server, argon2).
  npm_config_strict_allow_scripts: 'false',
  npm_config_ignore_scripts: 'false',
  npm_config_audit: 'false',
  npm_config_fund: 'false',
  npm_config_update_notifier: 'false',
};

const networkHint = /E(NOTFOUND|CONNREFUSED|CONNRESET|TIMEDOUT|AI_AGAIN|NETUNREACH)|network|socket hang up|getaddrinfo/i;
const useCi = fs.existsSync(lockFile);
log(`${useCi ? 'npm ci' : 'npm install'} in ${hostDir} (code-server 4.100.3 and its postinstall: about a minute)`);
const t0 = Date.now();
const res = await runTee('npm', useCi ? ['ci'] : ['install'], { cwd: hostDir, env: npmEnv });
if (res.status !== 0) {
  const why = networkHint.test(res.tail) ? 'npm could not reach the registry (no network?)' : `npm ${useCi ? 'ci' : 'install'} failed with exit code ${res.status}`;
  fail(why, res.tail.split('\n').slice(-25).join('\n'));
}

// npm may skip the postinstall (an install-script policy, --ignore-scripts in someone's npmrc);
// run it by hand then, with the same variables npm would give it.
let problems = postinstallProblems();
if (problems.length > 0) {
  log(`code-server's postinstall did not complete (${problems.join(', ')}); running it by hand`);
  const npmVersion = run('npm', ['--version']).stdout.trim();
  const ua = `npm/${npmVersion} node/v${process.versions.node} ${process.platform} ${process.arch} workspaces/false`;
  const post = await runTee('sh', ['./postinstall.sh'], { cwd: codeServerDir, env: { ...npmEnv, npm_config_user_agent: ua } });
  problems = postinstallProblems();
  if (post.status !== 0 || problems.length > 0) {
    const why = networkHint.test(post.tail) ? 'code-server postinstall could not reach the network' : "code-server's postinstall failed";
    fail(why, `${problems.join('\n')}\n${post.tail.split('\n').slice(-25).join('\n')}`);
  }
}
if (!codeServerWorks()) fail('code-server was installed but `code-server --version` does not report 4.100.3');

fs.writeFileSync(stampFile, installFingerprint() + '\n');
log(`installed code-server 4.100.3 in ${((Date.now() - t0) / 1000).toFixed(1)} s (total ${((Date.now() - started) / 1000).toFixed(1)} s)`);
