/**
 * The `maildesk` CLI against Dovecot and an SMTP server: commands in-process through
 * main() with a captured io, bad input giving one line and a non-zero exit without
 * harming the store, and the built CLI killed mid-backfill resuming where it stopped.
 */
import { strict as assert } from 'node:assert';
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { main } from '../../src/cli/main';
import { loadSqlJs } from '../../src/core/store/sqlite';
import { MailStore } from '../../src/core/store/store';
import { requireDovecot, startDovecot, type Dovecot } from '../support/dovecot';
import { tempDir } from '../support/core';
import { closedPort as findClosedPort } from '../support/ports';
import { seedMessages } from '../support/seed';
import { startSmtp, type SmtpServer } from '../support/smtp';
import { rawSql } from '../support/rawStoreSql';

const ROOT = path.resolve(__dirname, '..', '..');
const PW_GOOD = 'MAILDESK_CLI_TEST_PW_GOOD';
const PW_BAD = 'MAILDESK_CLI_TEST_PW_BAD';
const PW_UNSET = 'MAILDESK_CLI_TEST_PW_UNSET';
const CLI_PEOPLE = { from: 'Bob Sender <bob@example.test>', to: 'alice@example.test' };

interface Run {
  code: number;
  out: string;
  err: string;
}

async function cli(args: string[]): Promise<Run> {
  let out = '';
  let err = '';
  const code = await main(args, { out: (s) => (out += s), err: (s) => (err += s) });
  return { code, out, err };
}

function assertOneLineError(r: Run, pattern: RegExp): void {
  assert.notEqual(r.code, 0, `exit code 0 for a failure; stderr: ${r.err}`);
  const lines = r.err.split('\n').filter(Boolean);
  assert.equal(lines.length, 1, `expected one line on stderr, got:\n${r.err}`);
  assert.match(lines[0], /^maildesk: /);
  assert.match(lines[0], pattern);
  assert.doesNotMatch(r.err + r.out, /\bat .+:\d+:\d+\)?$/m, 'a stack trace was printed');
}

describe('maildesk CLI', function () {
  let dv: Dovecot;
  let smtp: SmtpServer;
  let dir: string;
  let configFile: string;
  let dataDir: string;
  let closedPort: number;
  const account = (id: string, env: string, port: number, smtpPort: number) => ({
    id,
    email: 'alice@example.test',
    imap: { host: '127.0.0.1', port, security: 'none', user: 'alice', passwordEnv: env },
    smtp: { host: '127.0.0.1', port: smtpPort, security: 'none', user: 'alice', passwordEnv: env },
  });
  const base = (): string[] => ['--config', configFile, '--data', dataDir];

  before(async function () {
    requireDovecot(this);
    dv = await startDovecot({ specialFolders: ['Archive'] });
    smtp = await startSmtp();
    dir = tempDir('maildesk-cli-');
    dataDir = path.join(dir, 'data');
    configFile = path.join(dir, 'maildesk.config.json');
    closedPort = await findClosedPort();
    fs.writeFileSync(
      configFile,
      JSON.stringify({
        accounts: [
          account('alice', PW_GOOD, dv.port, smtp.port),
          account('badpw', PW_BAD, dv.port, smtp.port),
          account('nopw', PW_UNSET, dv.port, smtp.port),
          account('closed', PW_GOOD, closedPort, closedPort),
        ],
      }),
    );
    process.env[PW_GOOD] = 'secret';
    process.env[PW_BAD] = 'not-the-password';
    delete process.env[PW_UNSET];
    dv.seedMaildir('alice', 'INBOX', seedMessages(30, 'Msg', { ...CLI_PEOPLE, flags: (i) => (i % 3 === 0 ? ['\\Seen'] : i === 29 ? ['\\Flagged'] : []) }));
    dv.seedMaildir('alice', 'Archive', seedMessages(4, 'Old', CLI_PEOPLE));
  });
  after(async () => {
    delete process.env[PW_GOOD];
    delete process.env[PW_BAD];
    await smtp?.stop();
    await dv?.dispose();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  describe('commands', () => {
    it('sync --once --json: in step, with local and server counts per selected folder', async () => {
      const r = await cli([...base(), 'sync', '--once', '--json', '--account', 'alice']);
      assert.equal(r.code, 0, r.err);
      assert.equal(r.err, '');
      const j = JSON.parse(r.out);
      assert.equal(j.ok, true);
      assert.deepEqual(j.failed, []);
      const a = j.accounts.find((x: { account: string }) => x.account === 'alice');
      assert.equal(a.state, 'connected');
      const inbox = a.folders.find((f: { path: string }) => f.path === 'INBOX');
      // The seeded mail is from 2025, outside the default 90-day window of offline bodies.
      assert.deepEqual(inbox, { path: 'INBOX', role: 'inbox', local: 30, server: 30, backfillDone: true, bodies: { stored: 0, total: 0, bytes: 0, overCap: 0 } });
      assert.deepEqual(a.folders.map((f: { path: string }) => f.path).sort(), ['Drafts', 'INBOX', 'Sent']);
    });

    it('list --json: newest first, with uid, messageId, subject, from, ISO date and flags', async () => {
      const r = await cli([...base(), 'list', '--json', '--account', 'alice', '--folder', 'INBOX', '--limit', '5']);
      assert.equal(r.code, 0, r.err);
      const list = JSON.parse(r.out) as Array<Record<string, unknown>>;
      assert.equal(list.length, 5);
      assert.deepEqual(list.map((m) => m.subject), ['Msg 29', 'Msg 28', 'Msg 27', 'Msg 26', 'Msg 25']);
      const top = list[0];
      assert.equal(top.uid, 30);
      assert.match(String(top.messageId), /^<[^<>@]+@maildesk\.test>$/);
      assert.equal(top.from, 'Bob Sender <bob@example.test>');
      assert.equal(top.date, new Date(Date.UTC(2025, 0, 1) + 29 * 60_000).toISOString());
      assert.deepEqual(top.flags, ['\\Flagged']);
      assert.deepEqual(list[2].flags, ['\\Seen'], 'Msg 27 was seeded as read');
      const dates = list.map((m) => Date.parse(String(m.date)));
      assert.deepEqual(dates, [...dates].sort((x, y) => y - x));

      const text = await cli([...base(), 'list', '--account', 'alice', '--folder', 'INBOX', '--limit', '2']);
      assert.equal(text.code, 0);
      assert.match(text.out.split('\n')[0], /Bob Sender\s+Msg 29$/);
    });

    it('folders lists roles, selection and counts; folders select makes the next sync fetch that folder', async () => {
      let r = await cli([...base(), 'folders', '--json', '--account', 'alice']);
      assert.equal(r.code, 0, r.err);
      let rows = JSON.parse(r.out) as Array<{ path: string; role: string | null; selected: boolean; local: number; server: number }>;
      const archive = () => rows.find((f) => f.path === 'Archive')!;
      assert.deepEqual(rows.find((f) => f.path === 'INBOX'), { path: 'INBOX', role: 'inbox', selected: true, existsOnServer: true, local: 30, localUnread: 20, server: 30, serverUnread: 20 });
      assert.equal(archive().selected, false);
      assert.equal(archive().role, 'archive');
      assert.equal(archive().local, 0);
      assert.equal(archive().server, 4);

      const text = await cli([...base(), 'folders', '--account', 'alice']);
      assert.match(text.out, /^FOLDER\s+ROLE\s+SYNC\s+LOCAL\s+SERVER$/m);
      assert.match(text.out, /^INBOX\s+inbox\s+yes\s+30\s+30$/m);

      r = await cli([...base(), 'folders', 'select', '--account', 'alice', 'Archive']);
      assert.equal(r.code, 0, r.err);
      assert.match(r.out, /Selected Archive/);
      r = await cli([...base(), 'sync', '--once', '--account', 'alice']);
      assert.equal(r.code, 0, r.err);
      assert.match(r.out, /In step/);
      assert.match(r.out, /Archive\s+4 local \/\s+4 on server/);
      r = await cli([...base(), 'folders', '--json', '--account', 'alice']);
      rows = JSON.parse(r.out);
      assert.equal(archive().selected, true);
      assert.equal(archive().local, 4);

      r = await cli([...base(), 'folders', 'select', '--account', 'alice', 'NoSuchFolder']);
      assertOneLineError(r, /NoSuchFolder/);
    });

    it('jobs shows each job with its status, last run and next run', async () => {
      const r = await cli([...base(), 'jobs', '--json', '--account', 'alice']);
      assert.equal(r.code, 0, r.err);
      const jobs = JSON.parse(r.out) as Array<Record<string, unknown>>;
      const byId = new Map(jobs.map((j) => [j.id, j]));
      for (const id of ['alice:sync:INBOX', 'alice:backfill:INBOX', 'alice:tasks', 'alice:maintenance']) assert.ok(byId.has(id), `no job ${id} in ${[...byId.keys()].join(', ')}`);
      const sync = byId.get('alice:sync:INBOX')!;
      assert.equal(sync.status, 'ok');
      assert.equal(sync.folder, 'INBOX');
      assert.equal(sync.error, null);
      assert.ok(!Number.isNaN(Date.parse(String(sync.lastRun))), 'lastRun is an ISO date');
      assert.ok(Date.parse(String(sync.nextRun)) > Date.parse(String(sync.lastRun)));
      assert.equal(byId.get('alice:backfill:INBOX')!.status, 'done');
      assert.ok(jobs.every((j) => j.account === 'alice'));

      const text = await cli([...base(), 'jobs', '--account', 'alice']);
      assert.match(text.out, /^alice:sync:INBOX\s+ok\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\d/m);
    });

    it('test-incoming passes with the right password and fails at login with a wrong one', async () => {
      const ok = await cli([...base(), 'test-incoming', '--account', 'alice']);
      assert.equal(ok.code, 0, ok.out + ok.err);
      assert.match(ok.out, /^\s+ok\s+tcp\b/m);
      assert.match(ok.out, /^\s+ok\s+login\s.*logged in as alice/m);
      assert.match(ok.out, /Passed\./);

      const bad = await cli([...base(), 'test-incoming', '--json', '--account', 'badpw']);
      assert.equal(bad.code, 1);
      const j = JSON.parse(bad.out);
      assert.equal(j.ok, false);
      assert.equal(j.error.code, 'auth.failed');
      const steps = Object.fromEntries((j.steps as Array<{ name: string; ok: boolean }>).map((s) => [s.name, s.ok]));
      assert.equal(steps.tcp, true);
      assert.equal(steps.login, false);
    });

    it('test-outgoing passes with the right password and fails with a wrong one', async () => {
      const ok = await cli([...base(), 'test-outgoing', '--account', 'alice']);
      assert.equal(ok.code, 0, ok.out + ok.err);
      assert.match(ok.out, /^\s+ok\s+login\s/m);
      assert.match(ok.out, /Passed\./);
      const bad = await cli([...base(), 'test-outgoing', '--account', 'badpw']);
      assert.equal(bad.code, 1);
      assert.match(bad.out, /FAIL\s+login/);
      assert.match(bad.out, /Failed: .*(password|user name)/i);
      assert.doesNotMatch(bad.out + bad.err, /\bat .+:\d+:\d+\)?$/m);
    });
  });

  describe('bad input: one line, non-zero exit, store unharmed', () => {
    let configBackup: string;
    before(() => {
      configBackup = fs.readFileSync(configFile, 'utf8');
    });
    afterEach(() => fs.writeFileSync(configFile, configBackup));
    after(async () => {
      // The mail synced by the commands above is all still there.
      const store = await MailStore.open({ dir: dataDir });
      try {
        const inbox = store.getFolder('alice', 'INBOX');
        assert.ok(inbox);
        assert.equal(store.localCounts(inbox.id).total, 30);
        assert.equal(store.localCounts(store.getFolder('alice', 'Archive')!.id).total, 4);
        assert.equal(store.getAccount('alice')?.state, 'connected');
      } finally {
        store.close();
      }
    });

    it('unknown account', async () => {
      const r = await cli([...base(), 'list', '--account', 'nobody', '--folder', 'INBOX']);
      assertOneLineError(r, /no account "nobody".*known: alice, badpw, nopw, closed/);
      assert.equal(r.out, '');
    });

    it('malformed configuration JSON', async () => {
      fs.writeFileSync(configFile, '{ "accounts": [ { "id": "alice", ');
      const r = await cli([...base(), 'sync', '--once', '--account', 'alice']);
      assertOneLineError(r, /not valid JSON/);
      assert.equal(r.code, 2);
    });

    it('password variable not set', async () => {
      const r = await cli([...base(), 'sync', '--once', '--account', 'nopw']);
      assertOneLineError(r, new RegExp(`${PW_UNSET}.*not set`));
    });

    it('unreachable host (closed port)', async () => {
      const r = await cli([...base(), 'sync', '--once', '--account', 'closed']);
      assertOneLineError(r, /refused/i);
    });

    it('wrong password', async () => {
      const r = await cli([...base(), 'sync', '--once', '--account', 'badpw']);
      assertOneLineError(r, /user name or password/);
      assert.equal(r.code, 1);
    });

    it('--json failures are machine-readable too', async () => {
      const r = await cli([...base(), 'sync', '--once', '--json', '--account', 'closed']);
      assert.notEqual(r.code, 0);
      const j = JSON.parse(r.out);
      assert.equal(j.ok, false);
      assert.equal(j.error.code, 'net.refused');
      assert.ok(j.error.remedy);
    });

    it('a damaged store file is moved aside, kept as it was, and the user is told where and what only it held', async () => {
      const copy = path.join(dir, 'damaged');
      fs.mkdirSync(copy);
      const junk = Buffer.from('not a database '.repeat(100));
      fs.writeFileSync(path.join(copy, 'maildesk.db'), junk);
      const r = await cli(['--config', configFile, '--data', copy, 'list', '--account', 'alice', '--folder', 'INBOX']);
      assert.match(r.err, /^maildesk: the mail store could not be read \(it is not a readable SQLite database .*moved aside to .*maildesk\.db\.damaged-\S+ .*drafts and messages waiting to be sent/m);
      const moved = fs.readdirSync(copy).filter((f) => f.startsWith('maildesk.db.damaged-'));
      assert.equal(moved.length, 1);
      assert.deepEqual(fs.readFileSync(path.join(copy, moved[0])), junk);
    });
  });
});

describe('maildesk CLI process killed mid-backfill', function () {
  const TOTAL = 20_000;
  const PAGE = 200;
  let dv: Dovecot;
  let dir: string;

  before(async function () {
    requireDovecot(this);
    this.timeout(120_000);
    execFileSync(process.execPath, ['esbuild.mjs'], { cwd: ROOT, stdio: 'pipe' });
    dv = await startDovecot();
    dir = tempDir('maildesk-cli-kill-');
    const batch = 5_000;
    for (let i = 0; i < TOTAL; i += batch) {
      dv.seedMaildir(
        'alice',
        'INBOX',
        Array.from({ length: batch }, (_, k) => ({
          raw: `From: bob@example.test\r\nTo: alice@example.test\r\nSubject: Bulk ${i + k}\r\nMessage-ID: <bulk-${i + k}@example.test>\r\nDate: Wed, 01 Jan 2025 00:00:00 +0000\r\n\r\nx\r\n`,
          date: new Date(Date.UTC(2025, 0, 1) + (i + k) * 1000),
        })),
      );
    }
  });
  after(async () => {
    await dv?.dispose();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  /** Reads a copy of the store file the way a restarted process would see it. */
  async function snapshot(dbFile: string): Promise<{ count: number; cursor: number | null; done: boolean } | undefined> {
    // The file and its write-ahead log as they are now (a running process appends to the log).
    const copy = tempDir('maildesk-cli-snap-');
    const SQL = await loadSqlJs();
    let opened: ReturnType<NonNullable<typeof SQL.openOnDisk>>;
    try {
      for (const f of ['', '-wal']) if (fs.existsSync(dbFile + f)) fs.copyFileSync(dbFile + f, path.join(copy, 'maildesk.db' + f));
      if (!fs.existsSync(path.join(copy, 'maildesk.db'))) return undefined;
      opened = SQL.openOnDisk!(path.join(copy, 'maildesk.db'));
      opened.db.exec('PRAGMA locking_mode = EXCLUSIVE');
    } catch {
      fs.rmSync(copy, { recursive: true, force: true });
      return undefined;
    }
    const db = opened.db;
    try {
      const f = db.exec(`SELECT id FROM folders WHERE account_id = 'alice' AND path = 'INBOX'`)[0]?.values[0]?.[0];
      if (f === undefined) return undefined;
      const count = Number(db.exec(`SELECT COUNT(*) FROM memberships WHERE folder_id = ${f}`)[0].values[0][0]);
      const st = db.exec(`SELECT backfill_cursor, backfill_done FROM folder_sync WHERE folder_id = ${f}`)[0]?.values[0];
      return { count, cursor: st?.[0] != null ? Number(st[0]) : null, done: st?.[1] === 1 };
    } catch {
      // copied while a checkpoint moved pages from the log to the file: read again next time
      return undefined;
    } finally {
      db.close();
      opened.disk.release();
      fs.rmSync(copy, { recursive: true, force: true });
    }
  }

  function runCli(args: string[], env: NodeJS.ProcessEnv): { child: ReturnType<typeof spawn>; done: Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string; err: string }> } {
    const child = spawn(process.execPath, [path.join(ROOT, 'dist', 'cli.js'), ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout!.on('data', (d) => (out += d));
    child.stderr!.on('data', (d) => (err += d));
    const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string; err: string }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal, out, err })));
    return { child, done };
  }

  it('resumes the backfill where it stopped: all 20,000 exactly once, without starting over', async function () {
    this.timeout(120_000);
    const configFile = path.join(dir, 'config.json');
    const dataDir = path.join(dir, 'data');
    fs.writeFileSync(configFile, JSON.stringify({ accounts: [{ id: 'alice', email: 'alice@example.test', imap: { host: '127.0.0.1', port: dv.port, security: 'none', user: 'alice', passwordEnv: 'MAILDESK_KILL_TEST_PW' } }] }));
    const env = { ...process.env, MAILDESK_KILL_TEST_PW: 'secret', MAILDESK_IMAP_FIRST_PAGE: '100', MAILDESK_IMAP_PAGE_SIZE: String(PAGE) };
    const args = ['--config', configFile, '--data', dataDir, 'sync', '--once', '--account', 'alice', '--verbose'];
    const dbFile = path.join(dataDir, 'maildesk.db');

    // First run: SIGKILL once the saved store shows part of the history.
    const first = runCli(args, env);
    let atKill: { count: number; cursor: number | null; done: boolean } | undefined;
    let exited = false;
    void first.done.then(() => (exited = true));
    const deadline = Date.now() + 60_000;
    while (!exited && Date.now() < deadline) {
      const s = await snapshot(dbFile);
      if (s && s.count >= 2_000 && !s.done) {
        first.child.kill('SIGKILL');
        atKill = s;
        break;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    const r1 = await first.done;
    assert.ok(atKill, `the first run was not caught mid-backfill (exit ${r1.code}):\n${r1.err.slice(-2000)}`);
    assert.equal(r1.signal, 'SIGKILL');
    const saved = (await snapshot(dbFile))!;
    assert.ok(saved.count >= atKill.count && saved.count < TOTAL, `saved ${saved.count}`);
    assert.ok(saved.cursor !== null && saved.cursor > 1, `backfill cursor ${saved.cursor} was not saved below the top`);
    // The cursor moves with the last chunk of the page it covers: everything from the cursor up
    // is saved, plus at most the part of one page stored before the kill (fetched again, keyed).
    assert.ok(saved.count >= TOTAL - saved.cursor! + 1, `saved ${saved.count} below cursor ${saved.cursor}`);
    assert.ok(saved.count < TOTAL - saved.cursor! + 1 + PAGE, `saved ${saved.count}: more than one page beyond cursor ${saved.cursor}`);

    // Second run: finishes from the cursor down.
    const r2 = await runCli(args, env).done;
    assert.equal(r2.code, 0, r2.err.slice(-2000));
    const backfillRuns = r2.err.split('\n').filter((l) => l.startsWith('alice:backfill:INBOX: ')).length;
    const pagesLeft = Math.ceil((saved.cursor! - 1) / PAGE);
    const pagesFromScratch = Math.ceil((TOTAL - 100) / PAGE);
    assert.ok(backfillRuns <= pagesLeft + 1, `second run took ${backfillRuns} backfill pages; ${pagesLeft} were left`);
    assert.ok(backfillRuns < pagesFromScratch, 'the second run started over');

    const store = await MailStore.open({ dir: dataDir });
    try {
      const inbox = store.getFolder('alice', 'INBOX')!.id;
      const c = rawSql(store).get<{ n: number; uids: number; lo: number; hi: number }>(
        'SELECT COUNT(*) AS n, COUNT(DISTINCT uid) AS uids, MIN(uid) AS lo, MAX(uid) AS hi FROM memberships WHERE folder_id = ?',
        [inbox],
      )!;
      assert.deepEqual(c, { n: TOTAL, uids: TOTAL, lo: 1, hi: TOTAL });
      assert.equal(store.stats().messages, TOTAL, 'a message row is duplicated');
      assert.equal(store.getSyncState(inbox).backfillDone, true);
      assert.equal(store.listMessages(inbox, { limit: 1 })[0].subject, `Bulk ${TOTAL - 1}`);
    } finally {
      store.close();
    }
  });
});
