/**
 * One engine per data folder, with real processes: the built CLI (dist/cli.js) spawned side by
 * side against Dovecot and the SMTP sink. Writes of one command survive another command's
 * long-running sync; starters racing for one folder end with exactly one engine; the hosting
 * process killed with SIGKILL mid-sync is taken over with nothing lost or duplicated; an
 * engine of an older protocol hands over; the engine asks clients for passwords and writes none.
 */
import { strict as assert } from 'node:assert';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { MailStore } from '../../src/core/store/store';
import { requireDovecot, startDovecot, type Dovecot } from '../support/dovecot';
import { tempDir } from '../support/core';
import { rawMessage } from '../support/rawmail';
import { seedMessages } from '../support/seed';
import { startSmtp, type SmtpServer } from '../support/smtp';
import { rawSql } from '../support/rawStoreSql';

const ROOT = path.resolve(__dirname, '..', '..');
const CLI = path.join(ROOT, 'bin', 'maildesk.js');
/** A password no file of the data folder may contain. */
const PASSWORD = 'engine-test-pw-Zq81xv';
const PW_ENV = 'MAILDESK_ENGINE_TEST_PW';

interface Done {
  code: number | null;
  signal: NodeJS.Signals | null;
  out: string;
  err: string;
  /** performance.now() when stderr first said this process started out hosting the engine (--verbose; a takeover says it otherwise), and when it exited. */
  hostingAt?: number;
  exitAt: number;
}

interface Running {
  child: ChildProcess;
  done: Promise<Done>;
  /** stderr so far. */
  err(): string;
  /** Resolves once stderr matches. */
  waitErr(re: RegExp, ms?: number): Promise<void>;
}

function start(args: string[], env: NodeJS.ProcessEnv): Running {
  const child = spawn(process.execPath, [CLI, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => (out += d));
  let hostingAt: number | undefined;
  child.stderr!.on('data', (d) => {
    err += d;
    if (hostingAt === undefined && /maildesk: hosting the engine/.test(err)) hostingAt = performance.now();
  });
  const done = new Promise<Done>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal, out, err, hostingAt, exitAt: performance.now() })));
  let exited = false;
  void done.then(() => (exited = true));
  return {
    child,
    done,
    err: () => err,
    waitErr: async (re, ms = 60_000) => {
      const until = Date.now() + ms;
      while (!re.test(err)) {
        if (exited) throw new Error(`the process ended before stderr matched ${re}:\n${err}${out}`);
        if (Date.now() > until) throw new Error(`stderr never matched ${re}:\n${err}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
  };
}

function run(args: string[], env: NodeJS.ProcessEnv): Promise<Done> {
  return start(args, env).done;
}

async function until<T>(what: string, fn: () => Promise<T | undefined>, ms = 60_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function stop(r: Running): Promise<Done> {
  r.child.kill('SIGINT');
  return r.done;
}

describe('one engine per data folder (real processes)', function () {
  this.timeout(180_000);
  let dv: Dovecot;
  let smtp: SmtpServer;
  let dir: string;
  let configFile: string;
  let env: NodeJS.ProcessEnv;
  const live = new Set<ChildProcess>();

  const spawnTracked = (args: string[], e: NodeJS.ProcessEnv = env): Running => {
    const r = start(args, e);
    live.add(r.child);
    void r.done.then(() => live.delete(r.child));
    return r;
  };

  before(async function () {
    requireDovecot(this);
    execFileSync(process.execPath, ['esbuild.mjs'], { cwd: ROOT, stdio: 'pipe' });
    dv = await startDovecot({ specialFolders: ['Archive'], extraFolders: ['Bulk'], users: { alice: PASSWORD } });
    smtp = await startSmtp({ users: { alice: PASSWORD } });
    dir = tempDir('maildesk-engine-');
    configFile = path.join(dir, 'maildesk.config.json');
    const server = (port: number) => ({ host: '127.0.0.1', port, security: 'none', user: 'alice', passwordEnv: PW_ENV });
    fs.writeFileSync(configFile, JSON.stringify({ accounts: [{ id: 'alice', email: 'alice@example.test', imap: server(dv.port), smtp: server(smtp.port) }] }));
    env = { ...process.env, [PW_ENV]: PASSWORD };
    dv.seedMaildir('alice', 'INBOX', seedMessages(50, 'Inbox'));
    dv.seedMaildir('alice', 'Archive', seedMessages(400, 'Old'));
  });
  afterEach(() => {
    for (const c of live) c.kill('SIGKILL');
  });
  after(async () => {
    await smtp?.stop();
    await dv?.dispose();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  const args = (data: string, ...rest: string[]): string[] => ['--config', configFile, '--data', data, ...rest];

  it("a long-running sync and other commands at once: after the sync picks up new mail, every command's writes are still there", async () => {
    const data = path.join(dir, 'concurrent');
    const a = spawnTracked(args(data, 'sync', '--account', 'alice', '--verbose'));
    await a.waitErr(/hosting the engine/);
    await a.waitErr(/syncing alice until interrupted/);

    // B: three commands at the same time, each a client of A's engine.
    const [sel, sent, once] = await Promise.all([
      run(args(data, 'folders', 'select', '--account', 'alice', 'Archive', '--verbose'), env),
      run(args(data, 'send', '--account', 'alice', '--to', 'bob@example.test', '--subject', 'Engine send', '--body', 'hello', '--verbose'), env),
      run(args(data, 'sync', '--once', '--account', 'alice', '--verbose'), env),
    ]);
    for (const r of [sel, sent, once]) {
      assert.equal(r.code, 0, r.err);
      assert.match(r.err, new RegExp(`using the engine in process ${a.child.pid}\\b`), `not a client of A:\n${r.err}`);
    }
    assert.ok(smtp.received.some((m) => /Subject: Engine send/.test(m.raw.toString())), 'the SMTP server got the message');

    // New mail: A's engine picks it up (IDLE or its sync) and saves.
    await dv.append('alice', 'INBOX', rawMessage({ from: 'Carol <carol@example.test>', to: 'alice@example.test', subject: 'Arrived during sync', date: new Date(), text: 'new\n' }));
    await until('A to list the new message', async () => {
      const r = await run(args(data, 'list', '--json', '--account', 'alice', '--folder', 'INBOX', '--limit', '1'), env);
      return r.code === 0 && /Arrived during sync/.test(r.out) ? true : undefined;
    });
    const ended = await stop(a);
    assert.equal(ended.code, 0, ended.err);

    // After all stopped: a fresh command (hosting its own engine) reads the store as saved.
    const folders = await run(args(data, 'folders', '--json', '--account', 'alice', '--verbose'), env);
    assert.equal(folders.code, 0, folders.err);
    assert.match(folders.err, /hosting the engine/);
    const rows = JSON.parse(folders.out) as Array<{ path: string; selected: boolean; local: number }>;
    const archive = rows.find((f) => f.path === 'Archive')!;
    assert.equal(archive.selected, true, 'the Archive selection was lost');
    assert.equal(archive.local, 400, "the Archive's rows were lost");
    assert.equal(rows.find((f) => f.path === 'INBOX')!.local, 51);
    const sentList = await run(args(data, 'list', '--json', '--account', 'alice', '--folder', 'Sent'), env);
    assert.equal(sentList.code, 0, sentList.err);
    assert.deepEqual((JSON.parse(sentList.out) as Array<{ subject: string }>).map((m) => m.subject), ['Engine send'], 'the Sent entry was lost or doubled');

    // The engine asked this process for the password and wrote it nowhere.
    for (const f of fs.readdirSync(data, { recursive: true }) as string[]) {
      const p = path.join(data, f);
      if (fs.statSync(p).isFile()) assert.ok(!fs.readFileSync(p).includes(PASSWORD), `${f} holds the password`);
    }
  });

  it('starters racing for one data folder: exactly one engine; racing commands share it and store each message once', async () => {
    const data = path.join(dir, 'race');
    const engines = [0, 1, 2].map(() => spawnTracked(args(data, 'engine', '--verbose')));
    const winner = await Promise.any(engines.map((e) => e.waitErr(/engine running for/).then(() => e)));
    const losers = engines.filter((e) => e !== winner);
    for (const l of losers) {
      const r = await l.done;
      assert.equal(r.code, 1, r.err);
      assert.match(r.err, new RegExp(`an engine already runs for .*\\(process ${winner.child.pid}\\)`));
    }
    const ended = await stop(winner);
    assert.equal(ended.code, 0, ended.err);

    // Two commands started at the same instant on a new folder: one hosts, the other uses it.
    // On a loaded machine one of them has been seen to get going only after the other had
    // finished and exited (1.5 s apart); then each hosts in turn, never both at once.
    const data2 = path.join(dir, 'race2');
    const both = await Promise.all([0, 1].map(() => run(args(data2, 'sync', '--once', '--json', '--account', 'alice', '--verbose'), env)));
    for (const r of both) assert.equal(r.code, 0, r.err);
    const said = both.map((r) => r.err).join('\n---\n');
    const hosts = both.filter((r) => r.hostingAt !== undefined).sort((a, b) => a.hostingAt! - b.hostingAt!);
    if (hosts.length === 2) {
      assert.ok(hosts[1].hostingAt! > hosts[0].exitAt, `two engines at once: the second began hosting ${Math.round(hosts[0].exitAt - hosts[1].hostingAt!)} ms before the first exited\n${said}`);
    } else {
      assert.equal(hosts.length, 1, said);
      assert.equal(both.filter((r) => /using the engine in process/.test(r.err)).length, 1, said);
    }
    const store = await MailStore.open({ dir: data2 });
    try {
      const inbox = store.getFolder('alice', 'INBOX')!;
      const c = rawSql(store).get<{ n: number; uids: number }>('SELECT COUNT(*) AS n, COUNT(DISTINCT uid) AS uids FROM memberships WHERE folder_id = ?', [inbox.id])!;
      assert.equal(c.n, c.uids);
      assert.equal(c.n, store.localCounts(inbox.id).total);
      assert.ok(c.n >= 50);
    } finally {
      store.close();
    }
  });

  it('the hosting process killed with SIGKILL mid-sync: a client takes over and finishes; nothing lost or duplicated', async function () {
    this.timeout(400_000);
    const TOTAL = 10_000;
    dv.seedMaildir(
      'alice',
      'Bulk',
      Array.from({ length: TOTAL }, (_, k) => ({ raw: `From: bob@example.test\r\nSubject: Bulk ${k}\r\nMessage-ID: <bulk-${k}@example.test>\r\nDate: Wed, 01 Jan 2025 00:00:00 +0000\r\n\r\nx\r\n`, date: new Date(Date.UTC(2025, 0, 1) + k * 1000) })),
    );
    const data = path.join(dir, 'kill');
    const slow = { ...env, MAILDESK_IMAP_FIRST_PAGE: '100', MAILDESK_IMAP_PAGE_SIZE: '200' };
    const sel = await run(args(data, 'folders', 'select', '--account', 'alice', 'Bulk'), slow);
    assert.equal(sel.code, 0, sel.err);
    const host = spawnTracked(args(data, 'sync', '--account', 'alice', '--verbose'), slow);
    await host.waitErr(/hosting the engine/);
    const client = spawnTracked(args(data, 'sync', '--account', 'alice', '--verbose'), slow);
    await client.waitErr(new RegExp(`using the engine in process ${host.child.pid}\\b`));

    const bulkLocal = async (): Promise<number | undefined> => {
      const r = await run(args(data, 'folders', '--json', '--account', 'alice'), slow);
      if (r.code !== 0) return undefined;
      return (JSON.parse(r.out) as Array<{ path: string; local: number }>).find((f) => f.path === 'Bulk')?.local;
    };
    const atKill = await until('the backfill to be under way', async () => {
      const n = await bulkLocal();
      return n !== undefined && n >= 1_000 && n < TOTAL ? n : undefined;
    });
    host.child.kill('SIGKILL');
    assert.equal((await host.done).signal, 'SIGKILL');
    await client.waitErr(/the engine went away; now hosting the engine/);
    const finished = await until('the client to finish the backfill', async () => ((await bulkLocal()) === TOTAL ? TOTAL : undefined), 300_000);
    assert.ok(finished > atKill);
    const ended = await stop(client);
    assert.equal(ended.code, 0, ended.err);

    const store = await MailStore.open({ dir: data });
    try {
      const bulk = store.getFolder('alice', 'Bulk')!.id;
      const c = rawSql(store).get<{ n: number; uids: number; lo: number; hi: number }>('SELECT COUNT(*) AS n, COUNT(DISTINCT uid) AS uids, MIN(uid) AS lo, MAX(uid) AS hi FROM memberships WHERE folder_id = ?', [bulk])!;
      assert.deepEqual(c, { n: TOTAL, uids: TOTAL, lo: 1, hi: TOTAL });
      const ids = rawSql(store).get<{ n: number; different: number }>("SELECT COUNT(*) AS n, COUNT(DISTINCT message_id) AS different FROM messages WHERE message_id LIKE '<bulk-%'")!;
      assert.deepEqual(ids, { n: TOTAL, different: TOTAL }, 'a message row is duplicated');
    } finally {
      store.close();
    }
  });

  it('an engine of an older protocol version hands over to a newer client; a newer engine refuses an older client', async () => {
    const data = path.join(dir, 'versions');
    const old = spawnTracked(args(data, 'engine'), { ...env, MAILDESK_ENGINE_PROTOCOL_VERSION: '0' });
    await old.waitErr(/engine running for/);
    const r = await run(args(data, 'jobs', '--json', '--account', 'alice', '--verbose'), env);
    assert.equal(r.code, 0, r.err);
    assert.match(r.err, /hosting the engine/, 'the newer command did not start its own engine');
    const o = await old.done;
    assert.equal(o.code, 0, o.err);
    assert.match(o.err, /engine stopped: a newer MailDesk \(protocol \d+\) took over/);

    const newer = spawnTracked(args(data, 'engine'), { ...env, MAILDESK_ENGINE_PROTOCOL_VERSION: '999' });
    await newer.waitErr(/engine running for/);
    const refused = await run(args(data, 'jobs', '--account', 'alice'), env);
    assert.equal(refused.code, 1);
    assert.match(refused.err, /a newer MailDesk engine \(protocol 999, this is \d+\) owns .*update this MailDesk/);
    assert.equal(newer.child.exitCode, null, 'the newer engine stopped for an older client');
    const newerDone = await stop(newer);
    assert.equal(newerDone.code, 0, newerDone.err);
  });

  it('the engine asks its clients for passwords: with none able to answer the account says so, and a client with the password makes it sync', async () => {
    const data = path.join(dir, 'secrets');
    const noPw = { ...env };
    delete noPw[PW_ENV];
    const engine = spawnTracked(args(data, 'engine'), noPw);
    await engine.waitErr(/engine running for/);
    // Its scheduler needs the password, and no one connected has it: the account waits for one.
    const waiting = await until('a job to wait for the password', async () => {
      const r = await run(args(data, 'jobs', '--json', '--account', 'alice'), noPw);
      const jobs = r.code === 0 ? (JSON.parse(r.out) as Array<{ errorCode: string | null; error: string | null }>) : [];
      return jobs.find((j) => j.errorCode === 'config.missingPassword');
    });
    assert.match(waiting.error ?? '', new RegExp(`${PW_ENV}.*not set`));
    const without = await run(args(data, 'sync', '--once', '--account', 'alice'), noPw);
    assert.equal(without.code, 2, without.err);
    assert.match(without.err, new RegExp(`${PW_ENV}.*not set`));
    const withPw = await run(args(data, 'sync', '--once', '--json', '--account', 'alice'), env);
    assert.equal(withPw.code, 0, `${withPw.err}\n${withPw.out}`);
    const j = JSON.parse(withPw.out) as { accounts: Array<{ state: string; folders: Array<{ path: string; local: number }> }> };
    assert.equal(j.accounts[0].state, 'connected');
    assert.ok(j.accounts[0].folders.find((f) => f.path === 'INBOX')!.local >= 50);
    const engineDone = await stop(engine);
    assert.equal(engineDone.code, 0, engineDone.err);
  });
});
