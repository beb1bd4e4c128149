import { strict as assert } from 'node:assert';
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import * as tls from 'node:tls';
import { doctorCommand } from '../../src/cli/commands/doctor';
import type { AccountConfig } from '../../src/core/config';
import type { CheckOutcome } from '../../src/core/diagnostics/check';
import { runChecks, type RunOptions } from '../../src/core/diagnostics/runner';
import { CHECKS, INSTALLATION_CHECKS } from '../../src/core/diagnostics/registry';
import type { SupportReport } from '../../src/core/diagnostics/report';
import type { MailDesk } from '../../src/core/maildesk';
import { jobId } from '../../src/core/sync/scheduler';
import { syncOnce } from '../../src/core/sync/once';
import { imapAccount, openCore, tempDir } from '../support/core';
import { requireDovecot, startDovecot, type Dovecot } from '../support/dovecot';
import { closedPort } from '../support/ports';
import { rawMessage } from '../support/rawmail';
import { startSmtp, type SmtpServer } from '../support/smtp';
import { rawSql } from '../support/rawStoreSql';

/**
 * The Troubleshoot fault matrix: each fault, made real against Dovecot, an SMTP server and
 * TLS front ends started here, must turn exactly its check to warn or fail (with a remedy)
 * and leave every other check pass or skip.
 */

const ROOT = path.resolve(__dirname, '../..');
/** Checks an IMAP account always skips: their parts do not apply or do not exist yet. */
// disk.space skips too: these tests keep their stores in memory.
const IMAP_SKIPS = ['disk.space', 'gmail.labels', 'oauth.configured', 'network.provider', 'ai.provider', 'licence', 'bridges'];
const USERS = ['healthy', 'wrongpw', 'closed', 'selfsigned', 'expired', 'wronghost', 'smtptls', 'unselected', 'stale', 'sendfail', 'aioff', 'sentcfg', 'cli', 'cliwrong', 'notspecial', 'nosent'];
const password = (user: string): string => `Pw-${user}-9f3Kq`;

function msg(i: number, subject = `Message ${i}`): string {
  return rawMessage({ from: 'Carol <carol@example.test>', to: 'someone@example.test', subject, date: new Date(Date.UTC(2024, 0, 1) + i * 60_000), text: `Body of message ${i}\n` });
}

function statuses(outcomes: CheckOutcome[]): Record<string, string> {
  return Object.fromEntries(outcomes.map((o) => [o.id, o.status]));
}

/** The one expected check is warn/fail with a remedy; every other is pass, or skip where allowed. */
function expectOnly(outcomes: CheckOutcome[], id: string, status: 'warn' | 'fail', opts: { alsoSkip?: string[]; detail?: RegExp; remedy?: RegExp } = {}): CheckOutcome {
  const skips = new Set([...IMAP_SKIPS, ...(opts.alsoSkip ?? [])]);
  const hit = outcomes.find((o) => o.id === id);
  assert.ok(hit, `no outcome for ${id}`);
  assert.equal(hit.status, status, `${id}: ${hit.detail}`);
  assert.ok(hit.remedy.length > 20, `${id} has a remedy: "${hit.remedy}"`);
  if (opts.detail) assert.match(hit.detail, opts.detail);
  if (opts.remedy) assert.match(hit.remedy, opts.remedy);
  for (const o of outcomes) {
    if (o.id === id) continue;
    // disk.space passes where a test has a data folder, and skips where the store is in memory.
    const allowed = o.id === 'disk.space' ? ['pass', 'skip'] : skips.has(o.id) ? ['skip'] : ['pass'];
    assert.ok(allowed.includes(o.status), `${o.id} should be ${allowed.join('/')} but is ${o.status}: ${o.detail}`);
  }
  return hit;
}

interface Certs {
  dir: string;
  ca: string;
  self: { key: string; cert: string };
  expired: { key: string; cert: string };
  wrongHost: { key: string; cert: string };
}

/** A test CA plus three server certificates: self-signed, expired (CA-signed), for another host (CA-signed). */
function makeCerts(): Certs {
  const dir = tempDir('maildesk-certs-');
  const run = (args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  run(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '30', '-subj', '/CN=MailDesk Test CA']);
  run(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'self.key', '-out', 'self.pem', '-days', '30', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1']);
  run(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'leaf.key', '-out', 'leaf.csr', '-subj', '/CN=127.0.0.1']);
  fs.mkdirSync(path.join(dir, 'db'));
  fs.writeFileSync(path.join(dir, 'db/index.txt'), '');
  fs.writeFileSync(path.join(dir, 'db/serial'), '1000\n');
  fs.writeFileSync(
    path.join(dir, 'ca.cnf'),
    [
      '[ ca ]',
      'default_ca = CA_default',
      '[ CA_default ]',
      'database = ./db/index.txt',
      'serial = ./db/serial',
      'new_certs_dir = ./db',
      'default_md = sha256',
      'policy = policy_any',
      'unique_subject = no',
      '[ policy_any ]',
      'commonName = supplied',
      '[ ext_ip ]',
      'subjectAltName = IP:127.0.0.1',
      '[ ext_wrong ]',
      'subjectAltName = DNS:mail.wrong-host.test',
      '',
    ].join('\n'),
  );
  // OpenSSL 3.0 has no -not_after; `openssl ca` takes explicit start and end dates.
  run(['ca', '-batch', '-config', 'ca.cnf', '-cert', 'ca.pem', '-keyfile', 'ca.key', '-in', 'leaf.csr', '-out', 'expired.pem', '-startdate', '20200101000000Z', '-enddate', '20200201000000Z', '-extensions', 'ext_ip']);
  run(['ca', '-batch', '-config', 'ca.cnf', '-cert', 'ca.pem', '-keyfile', 'ca.key', '-in', 'leaf.csr', '-out', 'wrong.pem', '-days', '30', '-extensions', 'ext_wrong']);
  const read = (f: string) => fs.readFileSync(path.join(dir, f), 'utf8');
  return {
    dir,
    ca: path.join(dir, 'ca.pem'),
    self: { key: read('self.key'), cert: read('self.pem') },
    expired: { key: read('leaf.key'), cert: read('expired.pem') },
    wrongHost: { key: read('leaf.key'), cert: read('wrong.pem') },
  };
}

interface Listener {
  port: number;
  close(): Promise<void>;
}

/** Implicit TLS in front of Dovecot's plain port, with the given certificate. */
async function tlsProxy(cred: { key: string; cert: string }, targetPort: number): Promise<Listener> {
  const sockets = new Set<net.Socket>();
  const server = tls.createServer(cred, (s) => {
    const up = net.connect(targetPort, '127.0.0.1');
    sockets.add(s);
    sockets.add(up);
    s.pipe(up).pipe(s);
    s.on('error', () => up.destroy());
    up.on('error', () => s.destroy());
  });
  server.on('tlsClientError', () => undefined);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

/** Accepts connections and never says a word: a server that hangs. */
async function blackhole(): Promise<Listener> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('error', () => undefined);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

describe('Troubleshoot / maildesk doctor: the fault matrix', function () {
  this.timeout(60_000);
  let dv: Dovecot;
  let smtp: SmtpServer;
  let certs: Certs;
  const cores: MailDesk[] = [];
  const listeners: Listener[] = [];

  before(async function () {
    requireDovecot(this);
    const users = Object.fromEntries(USERS.map((u) => [u, password(u)]));
    dv = await startDovecot({ users });
    smtp = await startSmtp({ users });
    certs = makeCerts();
  });

  after(async () => {
    for (const c of cores) await c.close().catch(() => undefined);
    for (const l of listeners) await l.close();
    await smtp?.stop();
    await dv?.dispose();
    if (certs) fs.rmSync(certs.dir, { recursive: true, force: true });
  });

  /** An account on `server` that has synced once, with a little mail in INBOX. */
  async function synced(user: string, server: Dovecot = dv, extra: Partial<AccountConfig> = {}, dataDir?: string): Promise<{ core: MailDesk; cfg: AccountConfig; passwords: Record<string, string> }> {
    const passwords = { [user]: password(user) };
    const core = await openCore(dataDir, passwords);
    cores.push(core);
    const cfg: AccountConfig = { ...imapAccount(user, server.port, { user, smtpPort: smtp.port }), ...extra };
    server.seedMaildir(user, 'INBOX', [0, 1, 2].map((i) => ({ raw: msg(i) })));
    await core.addAccount(cfg);
    const r = await syncOnce(core, [user]);
    assert.ok(r.ok, `initial sync: ${r.failed.map((j) => j.errorMessage).join('; ')}`);
    return { core, cfg, passwords };
  }

  const run = (core: MailDesk, id: string, o: Partial<RunOptions> = {}) => runChecks(core, { accounts: [id], timeoutMs: 5000, ...o });

  it('a healthy account passes every check that applies, in a few seconds', async () => {
    const { core } = await synced('healthy');
    const t0 = Date.now();
    const outcomes = await run(core, 'healthy');
    const ms = Date.now() - t0;
    assert.deepEqual(
      Object.keys(statuses(outcomes)),
      ['store.health', 'disk.space', 'auth.signIn', 'oauth.configured', 'auth.status', 'incoming.connect', 'outgoing.connect', 'network.provider', 'mail.missing', 'folders.selection', 'gmail.labels', 'sent.mapping', 'sent.swap', 'drafts.unsent', 'sync.progress', 'ai.switches', 'ai.provider', 'agent.tools', 'licence', 'bridges'],
    );
    for (const o of outcomes) assert.equal(o.status, IMAP_SKIPS.includes(o.id) ? 'skip' : 'pass', `${o.id}: ${o.detail}`);
    assert.match(outcomes.find((o) => o.id === 'incoming.connect')!.detail, /dns ok \d+ ms.*tcp ok \d+ ms.*login ok \d+ ms.*capabilities ok.*folders ok/);
    assert.match(outcomes.find((o) => o.id === 'sent.mapping')!.detail, /Sent folder "Sent" \(marked \\Sent by the server\)/);
    assert.equal(outcomes.find((o) => o.id === 'oauth.configured')!.detail, 'password account (IMAP): no OAuth sign-in is used');
    assert.ok(ms < 5000, `a healthy local run took ${ms} ms`);
  });

  it('wrong password: auth.status fails with both servers\' words; the connections themselves pass', async () => {
    const { core, passwords } = await synced('wrongpw');
    passwords.wrongpw = 'not-the-password';
    const outcomes = await run(core, 'wrongpw');
    const hit = expectOnly(outcomes, 'auth.status', 'fail', { alsoSkip: ['mail.missing'], detail: /Login failed: IMAP 127\.0\.0\.1:\d+: the server rejected the user name or password.*SMTP 127\.0\.0\.1:\d+: the server rejected the user name or password \[server said: .*535 5\.7\.8/, remedy: /password/ });
    assert.equal(hit.action?.command, 'maildesk.enterPassword');
    assert.match(outcomes.find((o) => o.id === 'incoming.connect')!.detail, /reached; the login was refused \(see auth\.status\)/);
  });

  it('closed port: incoming.connect fails at the "tcp" step; the rest is read from the last sync', async () => {
    const { core, cfg } = await synced('closed');
    const port = await closedPort();
    core.ensureAccount({ ...cfg, imap: { ...cfg.imap!, port } });
    const outcomes = await run(core, 'closed');
    const hit = expectOnly(outcomes, 'incoming.connect', 'fail', { alsoSkip: ['auth.status', 'mail.missing'], detail: new RegExp(`127\\.0\\.0\\.1:${port}: step "tcp" failed: .*connection refused`), remedy: /host, port and security/ });
    assert.equal(hit.action?.command, 'maildesk.testIncoming');
    assert.match(outcomes.find((o) => o.id === 'folders.selection')!.detail, /from the folder list of the last sync/);
  });

  it('TLS with a self-signed certificate: incoming.connect fails at "tls" and says so', async () => {
    const { core, cfg } = await synced('selfsigned');
    const proxy = await tlsProxy(certs.self, dv.port);
    listeners.push(proxy);
    core.ensureAccount({ ...cfg, imap: { ...cfg.imap!, port: proxy.port, security: 'tls' } });
    expectOnly(await run(core, 'selfsigned'), 'incoming.connect', 'fail', { alsoSkip: ['auth.status', 'mail.missing'], detail: /step "tls" failed: .*self-signed certificate/, remedy: /self-signed or not issued by a trusted authority/ });
  });

  it('TLS with an expired certificate: incoming.connect fails and names the expiry', async () => {
    const { core, cfg } = await synced('expired');
    const proxy = await tlsProxy(certs.expired, dv.port);
    listeners.push(proxy);
    core.ensureAccount({ ...cfg, imap: { ...cfg.imap!, port: proxy.port, security: 'tls' } });
    expectOnly(await run(core, 'expired'), 'incoming.connect', 'fail', { alsoSkip: ['auth.status', 'mail.missing'], detail: /step "tls" failed: .*certificate has expired/, remedy: /certificate has expired/ });
  });

  it('TLS with a trusted certificate for another host name: `maildesk doctor` (own process, test CA trusted) fails incoming.connect', async function () {
    const dataDir = tempDir('maildesk-doctor-data-');
    const out = tempDir('maildesk-doctor-out-');
    try {
      const { core, cfg } = await synced('wronghost', dv, {}, dataDir);
      await core.close();
      cores.splice(cores.indexOf(core), 1);
      const proxy = await tlsProxy(certs.wrongHost, dv.port);
      listeners.push(proxy);
      const configFile = path.join(out, 'maildesk.config.json');
      fs.writeFileSync(
        configFile,
        JSON.stringify({
          accounts: [{ ...cfg, imap: { ...cfg.imap!, port: proxy.port, security: 'tls', passwordEnv: 'MD_TEST_PW' }, smtp: { ...cfg.smtp!, passwordEnv: 'MD_TEST_PW' } }],
        }),
      );
      const script = path.join(out, 'child.ts');
      fs.writeFileSync(
        script,
        `import { doctorCommand } from ${JSON.stringify(path.join(ROOT, 'src/cli/commands/doctor'))};
doctorCommand({ config: process.argv[2], dataDir: process.argv[3], out: process.argv[4], json: false, timeoutMs: 5000 }, { out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(s) }).then((c) => process.exit(c));\n`,
      );
      // Node reads extra CAs only at start-up, hence a process of its own.
      const child = spawn(path.join(ROOT, 'node_modules/.bin/tsx'), [script, configFile, dataDir, out], {
        env: { ...process.env, NODE_EXTRA_CA_CERTS: certs.ca, MD_TEST_PW: password('wronghost') },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      const code = await new Promise<number | null>((r) => child.on('exit', r));
      assert.equal(code, 1, `exit code; stdout: ${stdout}\nstderr: ${stderr}`);
      assert.match(stdout, /^FAIL incoming\.connect +\[wronghost\] .*step "tls" failed/m);
      const report = JSON.parse(fs.readFileSync(path.join(out, 'maildesk-support-report.json'), 'utf8')) as SupportReport;
      const outcomes = report.checks.map((c) => ({ ...c, ms: 0 })) as CheckOutcome[];
      expectOnly(outcomes, 'incoming.connect', 'fail', { alsoSkip: ['auth.status', 'mail.missing'], detail: /does not match certificate's altnames/, remedy: /not issued for "127\.0\.0\.1"/ });
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
      fs.rmSync(out, { recursive: true, force: true });
    }
  });

  it('SMTP with a self-signed certificate: outgoing.connect fails at "tls"', async () => {
    const { core, cfg } = await synced('smtptls');
    const tlsSmtp = await startSmtp({ users: { smtptls: password('smtptls') }, tls: certs.self });
    listeners.push({ port: tlsSmtp.port, close: () => tlsSmtp.stop() });
    core.ensureAccount({ ...cfg, smtp: { ...cfg.smtp!, port: tlsSmtp.port, security: 'tls' } });
    const hit = expectOnly(await run(core, 'smtptls'), 'outgoing.connect', 'fail', { detail: /SMTP 127\.0\.0\.1:\d+: step "tls" failed: .*self-signed/, remedy: /Unsent messages stay in Drafts/ });
    assert.equal(hit.action?.command, 'maildesk.testOutgoing');
  });

  it('Sent folder that is not special-use: sent.mapping warns that it is found by name only', async () => {
    const other = await startDovecot({ users: { notspecial: password('notspecial') }, sentSpecialUse: false, sentName: 'Sent Items' });
    try {
      const { core } = await synced('notspecial', other);
      expectOnly(await run(core, 'notspecial'), 'sent.mapping', 'warn', { detail: /"Sent Items" is used as Sent by its name only/, remedy: /Sent Items/ });
    } finally {
      await other.dispose();
    }
  });

  it('no Sent folder at all: sent.mapping fails', async () => {
    const other = await startDovecot({ users: { nosent: password('nosent') }, sentSpecialUse: false, sentName: 'Outbox' });
    try {
      const { core } = await synced('nosent', other);
      expectOnly(await run(core, 'nosent'), 'sent.mapping', 'fail', { alsoSkip: ['sent.swap'], detail: /no Sent folder: the server marks no folder as \\Sent/, remedy: /where your provider stores sent mail/ });
    } finally {
      await other.dispose();
    }
  });

  it('a Sent folder set in the account that does not exist: sent.mapping fails', async () => {
    const { core, cfg } = await synced('sentcfg');
    core.ensureAccount({ ...cfg, sentFolder: 'Sent Archive' });
    expectOnly(await run(core, 'sentcfg'), 'sent.mapping', 'fail', { detail: /"Sent Archive", does not exist on the server/, remedy: /marks "Sent" as \\Sent/ });
  });

  it('a folder with mail that is not selected: folders.selection warns ("0 emails") and offers the folder picker', async () => {
    const { core } = await synced('unselected');
    await dv.append('unselected', 'Archive/2023', msg(10));
    await dv.append('unselected', 'Archive/2023', msg(11));
    const hit = expectOnly(await run(core, 'unselected'), 'folders.selection', 'warn', { detail: /"Archive\/2023" \(2 messages\)/, remedy: /Select Folders for Sync/ });
    assert.deepEqual(hit.action, { title: 'Select Folders for Sync', command: 'maildesk.selectFolders', args: [{ kind: 'account', accountId: 'unselected' }] });
  });

  it('a job that stopped progressing: sync.progress warns with its last success', async () => {
    const { core } = await synced('stale');
    const threeHoursAgo = Date.now() - 3 * 3_600_000;
    core.store.updateJob(jobId('stale', 'sync', 'INBOX'), { lastRun: threeHoursAgo, lastSuccess: threeHoursAgo, nextRun: threeHoursAgo + 120_000 });
    expectOnly(await run(core, 'stale'), 'sync.progress', 'warn', { detail: /stale:sync:INBOX has not progressed since .* \(3 h ago/, remedy: /Refresh the account/ });
  });

  it('a send that failed: drafts.unsent fails with the error and says the message is still in Drafts', async () => {
    const { core } = await synced('sendfail');
    rawSql(core.store).run(`INSERT INTO outbox(account_id, message_id, raw_blob, status, attempts, error_code, error_message, created_at) VALUES(?, ?, ?, 'failed', 3, 'send.rejected', ?, ?)`, [
      'sendfail',
      '<m1@example.test>',
      'blob',
      '550 5.1.1 <nobody@example.test>: Recipient address rejected',
      Date.now() - 60_000,
    ]);
    expectOnly(await run(core, 'sendfail'), 'drafts.unsent', 'fail', { detail: /1 message\(s\) could not be sent: .*send\.rejected: 550 5\.1\.1 .*Recipient address rejected/, remedy: /stays in Drafts/ });
  });

  it('an AI switch off: ai.switches warns and names the setting', async () => {
    const { core } = await synced('aioff');
    const hit = expectOnly(await run(core, 'aioff', { settings: { 'maildesk.ai.feature.summarize.enabled': false } }), 'ai.switches', 'warn', { detail: /maildesk\.ai\.feature\.summarize\.enabled is off: "Summarize current" is unavailable/, remedy: /maildesk\.ai\.feature\.summarize\.enabled/ });
    assert.deepEqual(hit.action?.args, ['maildesk.ai.feature.summarize.enabled']);
  });

  it('an unreachable host costs one timeout for the whole run, not one per check', async () => {
    const hole = await blackhole();
    listeners.push(hole);
    const core = await openCore(undefined, { hole: 'x-password-1' });
    cores.push(core);
    const cfg = imapAccount('hole', hole.port, { smtpPort: hole.port });
    core.ensureAccount(cfg);
    const timeoutMs = 1500;
    const t0 = Date.now();
    const outcomes = await runChecks(core, { accounts: ['hole'], timeoutMs });
    const ms = Date.now() - t0;
    const s = statuses(outcomes);
    assert.equal(s['incoming.connect'], 'fail');
    assert.equal(s['outgoing.connect'], 'fail');
    assert.match(outcomes.find((o) => o.id === 'incoming.connect')!.detail, /no answer within 1\.5 s/);
    assert.equal(s['auth.status'], 'skip');
    assert.equal(s['folders.selection'], 'skip');
    assert.ok(ms >= timeoutMs - 50 && ms < timeoutMs * 1.8, `the run took ${ms} ms for a ${timeoutMs} ms timeout`);
  });

  it('`maildesk doctor` writes both reports, prints a line per check, and exits 0 when healthy and 1 on a failure', async () => {
    const dataDir = tempDir('maildesk-doctor-data-');
    const out = tempDir('maildesk-doctor-out-');
    try {
      const cli = imapAccount('cli', dv.port, { user: 'cli', smtpPort: smtp.port });
      const wrong = imapAccount('cliwrong', dv.port, { user: 'cliwrong', smtpPort: smtp.port });
      for (const a of [cli, wrong]) {
        a.imap!.passwordEnv = 'MD_PW_' + a.id.toUpperCase();
        a.smtp!.passwordEnv = 'MD_PW_' + a.id.toUpperCase();
      }
      const config = { accounts: [cli, wrong] };
      const env = { MD_PW_CLI: password('cli'), MD_PW_CLIWRONG: 'Wrong-Pa55word-xyz' };
      // Sync `cli` first so its jobs exist, as they would after `maildesk sync`.
      const { core } = await synced('cli', dv, {}, dataDir);
      await core.close();
      cores.splice(cores.indexOf(core), 1);

      const lines: string[] = [];
      const io = { out: (s: string) => lines.push(s), err: () => undefined };
      const code = await doctorCommand({ config, dataDir, account: 'cli', out, json: false, env, timeoutMs: 5000, expected: 'mail from bob@example.test in INBOX', happened: 'nothing arrived' }, io);
      const text = lines.join('');
      assert.equal(code, 0, text);
      assert.equal(text.split('\n').filter((l) => /^(PASS|WARN|FAIL|SKIP) /.test(l)).length, INSTALLATION_CHECKS.length + CHECKS.length);
      assert.match(text, /^PASS incoming\.connect +\[cli\] IMAP 127\.0\.0\.1:\d+ passed/m);
      const json = JSON.parse(fs.readFileSync(path.join(out, 'maildesk-support-report.json'), 'utf8')) as SupportReport;
      assert.deepEqual(Object.keys(json), ['generatedAt', 'product', 'version', 'environment', 'engine', 'expected', 'happened', 'when', 'accounts', 'checks', 'jobs', 'log']);
      // The engine section: `doctor` found no engine running, so it hosted one in a worker thread of its own process.
      assert.equal(json.engine?.state, 'running');
      assert.equal(json.engine?.host, 'cli');
      assert.equal(json.engine?.pid, process.pid);
      assert.match(json.engine?.startedAt ?? '', /^\d{4}-\d\d-\d\dT/);
      assert.deepEqual(json.engine?.clients, [{ kind: 'cli', pid: process.pid, viaHost: true, answersSecrets: true }]);
      assert.deepEqual(Object.keys(json.checks[0]), ['id', 'account', 'title', 'status', 'detail', 'remedy', 'section', 'firstSeen', 'lastSuccess', 'action']);
      assert.equal(json.product, 'MailDesk');
      assert.equal(json.version, JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version);
      assert.equal(json.accounts[0].provider, 'IMAP');
      assert.equal(json.accounts[0].email, 'c***@example.test');
      assert.equal(json.expected, 'mail from b***@example.test in INBOX');
      assert.ok(json.jobs.some((j) => j.id === 'cli:sync:INBOX' && j.lastSuccess));
      const md = fs.readFileSync(path.join(out, 'maildesk-support-report.md'), 'utf8');
      assert.match(md, /^# MailDesk support report/);
      assert.match(md, /\*\*Provider:\*\* IMAP \(account `cli`/);
      assert.match(md, /\*\*Happened:\*\* nothing arrived/);
      assert.match(md, new RegExp(`## Engine\\n\\n- Hosted by a \`maildesk\` command, process ${process.pid}, in a worker thread; engine [0-9a-f]{16}, protocol \\d+, started \\S+\\n- Data folder: .*\\n- Clients \\(1\\): cli process ${process.pid} \\(the host\\), answers for secrets\\n`));
      for (const f of [md, JSON.stringify(json)]) assert.ok(!f.includes(password('cli')), 'the password never reaches a report');

      lines.length = 0;
      const code2 = await doctorCommand({ config, dataDir, account: 'cliwrong', out, json: false, env, timeoutMs: 5000 }, io);
      assert.equal(code2, 1, lines.join(''));
      assert.match(lines.join(''), /^FAIL auth\.status +\[cliwrong\] Login failed/m);
      // The same fix button as the panel, and since when it fails.
      assert.match(lines.join(''), /^FAIL auth\.status .*\n {5}fix: Enter Password \(maildesk\.enterPassword\)\n {5}since: (\S+); last passed: never seen passing$/m);
      const first = (JSON.parse(fs.readFileSync(path.join(out, 'maildesk-support-report.json'), 'utf8')) as SupportReport).checks.find((c) => c.id === 'auth.status')!;
      assert.deepEqual(first.action, { title: 'Enter Password', command: 'maildesk.enterPassword' });
      assert.ok(first.firstSeen);
      // A second run remembers when the failure was first seen (and that the check passed before, for `cli`).
      lines.length = 0;
      assert.equal(await doctorCommand({ config, dataDir, account: 'cliwrong', out, json: false, env, timeoutMs: 5000 }, io), 1);
      const again = (JSON.parse(fs.readFileSync(path.join(out, 'maildesk-support-report.json'), 'utf8')) as SupportReport).checks.find((c) => c.id === 'auth.status')!;
      assert.equal(again.firstSeen, first.firstSeen);
      assert.equal(again.lastSuccess, null);
      const md2 = fs.readFileSync(path.join(out, 'maildesk-support-report.md'), 'utf8');
      // The summary at the top names the failing check, its exact error and the remedy.
      const summary = md2.slice(0, md2.indexOf('## Checks'));
      assert.match(summary, /### Failing checks[\s\S]*\*\*auth\.status\*\* \(account `cliwrong`\)[\s\S]*Error: `Login failed: .*rejected the user name or password[\s\S]*Remedy: Check the user name and password/);
      assert.ok(!md2.includes('Wrong-Pa55word-xyz'));
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
      fs.rmSync(out, { recursive: true, force: true });
    }
  });
});
