/**
 * Real Courier-IMAP (Debian's courier-imap 5.0.13, unpacked and run privately by
 * test/support/courier.ts): the behaviours of issue #15 as a user's Courier shows them, with
 * MailDesk's own sync and send. Mail "delivered by the MTA" is written straight into the
 * Maildir (tmp/, then new/), as Courier's deliverquota or any MTA does.
 *
 * What Courier does here, checked by each test before MailDesk meets it:
 * - APPEND on a connection that has a folder EXAMINEd: `NO Current box is selected READ-ONLY`;
 * - a folder whose UID database no read-write SELECT has saved: a new UIDVALIDITY on every
 *   STATUS/EXAMINE a second apart;
 * - mail an EXAMINE saw but no read-write SELECT saved: another client's COPY takes its UIDs,
 *   and it moves to new ones under the same UIDVALIDITY.
 */
import { strict as assert } from 'node:assert';
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { findCheck } from '../../src/core/diagnostics/registry';
import { runChecks } from '../../src/core/diagnostics/runner';
import type { MailDesk } from '../../src/core/maildesk';
import { syncOnce } from '../../src/core/sync/once';
import { requireCourier, startCourier, startGreetingProxy, type Courier } from '../support/courier';
import { imapAccount, openCore, tempDir } from '../support/core';
import { seedMessages } from '../support/seed';
import { startSmtp } from '../support/smtp';

const USERS = ['sent', 'unstable', 'renum', 'hidden', 'cli', 'triage'];
const ROOT = path.resolve(__dirname, '..', '..');
const PASSWORDS = Object.fromEntries(USERS.map((u) => [u, 'secret']));
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function raws(n: number, prefix: string): Buffer[] {
  return seedMessages(n, prefix).map((m) => (typeof m.raw === 'string' ? Buffer.from(m.raw) : m.raw));
}

describe('real Courier-IMAP (test/support/courier.ts)', function () {
  let cr: Courier;
  const cleanup: Array<() => Promise<void> | void> = [];
  before(async function () {
    this.timeout(240_000);
    requireCourier(this);
    cr = await startCourier({ users: { ...PASSWORDS }, folders: ['INBOX.Sent', 'INBOX.Lists', 'INBOX.Trash'] });
  });
  afterEach(async () => {
    for (const f of cleanup.splice(0).reverse()) await f();
  });
  after(async () => {
    await cr?.dispose();
  });

  async function core(): Promise<MailDesk> {
    const dir = tempDir();
    cleanup.push(() => fs.rmSync(dir, { recursive: true, force: true }));
    const c = await openCore(dir, PASSWORDS, { send: { retryBaseMs: 20, sentCheckDelaysMs: [100] } });
    cleanup.push(() => c.close().catch(() => undefined));
    return c;
  }

  /** Subjects by UID as another client sees the folder (read-only, so nothing is saved). */
  async function serverView(user: string, folder: string): Promise<Map<number, string>> {
    const cl = await cr.connect(user);
    try {
      const out = new Map<number, string>();
      const lock = await cl.getMailboxLock(folder, { readOnly: true });
      try {
        if (cl.mailbox && typeof cl.mailbox === 'object' && cl.mailbox.exists) {
          for await (const m of cl.fetch('1:*', { uid: true, envelope: true })) out.set(m.uid, m.envelope?.subject ?? '');
        }
      } finally {
        lock.release();
      }
      return out;
    } finally {
      await cl.logout();
    }
  }

  /** The folder as MailDesk shows it: subject by UID (a row without a UID fails the test). */
  function localView(c: MailDesk, account: string, folder: string): Map<number, string> {
    const rows = c.store.listMessages(c.store.getFolder(account, folder)!.id, { limit: 10_000 });
    const out = new Map<number, string>();
    for (const r of rows.slice().sort((a, b) => (a.uid ?? 0) - (b.uid ?? 0))) {
      assert.ok(r.uid !== null, `a row without a UID: ${r.subject}`);
      out.set(r.uid, r.subject);
    }
    assert.equal(out.size, rows.length);
    return out;
  }

  it('is the real thing: greets as Courier-IMAP, no CONDSTORE/QRESYNC/MOVE, the INBOX. namespace', async () => {
    const cl = await cr.connect('sent');
    try {
      assert.match(String((cl as unknown as { greeting?: string }).greeting ?? ''), /Courier-IMAP ready/);
      const caps = [...cl.capabilities.keys()];
      for (const absent of ['CONDSTORE', 'QRESYNC', 'MOVE', 'SPECIAL-USE']) assert.ok(!caps.includes(absent), `${absent} offered: ${caps.join(' ')}`);
      const list = await cl.list();
      assert.ok(list.some((f) => f.path === 'INBOX.Sent' && f.delimiter === '.'), JSON.stringify(list.map((f) => f.path)));
    } finally {
      await cl.logout();
    }
  });

  it('the Sent copy is saved although the pooled connection has Sent EXAMINEd (Courier refuses APPEND there)', async () => {
    // Courier's own answer, first: APPEND with a folder EXAMINEd is refused.
    const cl = await cr.connect('sent');
    try {
      await cl.mailboxOpen('INBOX.Sent', { readOnly: true });
      await assert.rejects(cl.append('INBOX.Sent', 'Subject: probe\r\n\r\nx\r\n'), /READ-ONLY|Command failed/);
    } finally {
      await cl.logout();
    }
    const s = await startSmtp({ noAuth: true });
    cleanup.push(() => s.stop());
    const c = await core();
    await c.addAccount(imapAccount('sent', cr.port, { smtpPort: s.port }));
    await syncOnce(c, ['sent']);
    const r = await c.send('sent', { to: ['bob@example.test'], subject: 'copy me', text: 'x' });
    assert.ok(r.ok, r.error?.describe());
    assert.equal(r.sentCopy, 'appended', r.warning);
    assert.deepEqual([...(await serverView('sent', 'INBOX.Sent')).values()], ['copy me']);
    // The next send knows the server keeps no copy, and saves it again.
    const r2 = await c.send('sent', { to: ['bob@example.test'], subject: 'copy me too', text: 'y' });
    assert.equal(r2.sentCopy, 'appended', r2.warning);
    assert.deepEqual([...(await serverView('sent', 'INBOX.Sent')).values()].sort(), ['copy me', 'copy me too']);
    // Troubleshoot names the server and says what the sender learnt.
    const [connect, mapping] = await runChecks(c, { accounts: ['sent'], checks: [findCheck('incoming.connect')!, findCheck('sent.mapping')!] });
    assert.match(connect.detail, /greeting ".*Courier-IMAP ready/);
    assert.match(connect.detail, /ID: not answered/);
    // Courier marks no folder \\Sent: found by its name, which the check warns about.
    assert.equal(mapping.status, 'warn', mapping.detail);
    assert.match(mapping.detail, /"INBOX\.Sent" is used as Sent by its name only/);
    assert.match(mapping.detail, /provider keeps its own copy: no, MailDesk appends the copy/);
  });

  it('mail delivered by the MTA into folders never SELECTed read-write: UIDVALIDITY changes each second, yet sync --once ends with every message once', async () => {
    cr.deliver('unstable', 'INBOX', raws(40, 'Inbox'));
    cr.deliver('unstable', 'INBOX.Lists', raws(30, 'List'));
    // Courier's own answer, first: two STATUS a second apart give two UIDVALIDITYs.
    const probe = await cr.connect('unstable');
    const uidValidity = async (): Promise<bigint | undefined> => {
      const st = await probe.status('INBOX.Lists', { uidValidity: true });
      return st ? st.uidValidity : undefined;
    };
    let uv1: bigint | undefined;
    let uv2: bigint | undefined;
    try {
      uv1 = await uidValidity();
      await sleep(1100);
      uv2 = await uidValidity();
    } finally {
      await probe.logout();
    }
    assert.ok(uv1 !== undefined && uv1 !== uv2, 'Courier kept the UIDVALIDITY of a folder no client has SELECTed read-write');
    const c = await core();
    await c.addAccount({ ...imapAccount('unstable', cr.port), folders: ['INBOX', 'INBOX.Lists'] });
    const r = await syncOnce(c, ['unstable'], { maxAttempts: 4 });
    assert.ok(r.ok, JSON.stringify(r.failed.map((j) => [j.id, j.errorCode, j.errorMessage])));
    assert.equal(localView(c, 'unstable', 'INBOX').size, 40);
    assert.equal(localView(c, 'unstable', 'INBOX.Lists').size, 30);
    // The values hold from now on: more mail, a second later, is new mail and not a reset.
    await sleep(1100);
    cr.deliver('unstable', 'INBOX.Lists', raws(5, 'Later'));
    const resetsBefore = c.log.recent().filter((l) => /UIDVALIDITY changed/.test(l.msg)).length;
    const r2 = await syncOnce(c, ['unstable']);
    assert.ok(r2.ok, JSON.stringify(r2.failed.map((j) => [j.id, j.errorCode, j.errorMessage])));
    assert.equal(c.log.recent().filter((l) => /UIDVALIDITY changed/.test(l.msg)).length, resetsBefore, 'no reset once synced');
    assert.deepEqual(localView(c, 'unstable', 'INBOX.Lists'), await serverView('unstable', 'INBOX.Lists'));
    assert.equal(localView(c, 'unstable', 'INBOX.Lists').size, 35);
  });

  it("another client's COPY into a folder MailDesk has synced: every message once, under the server's UIDs", async () => {
    cr.deliver('renum', 'INBOX.Lists', raws(5, 'Old'));
    cr.deliver('renum', 'INBOX', raws(5, 'Copied'));
    const c = await core();
    await c.addAccount({ ...imapAccount('renum', cr.port), folders: ['INBOX', 'INBOX.Lists'] });
    let r = await syncOnce(c, ['renum'], { maxAttempts: 4 });
    assert.ok(r.ok, JSON.stringify(r.failed.map((j) => [j.id, j.errorCode, j.errorMessage])));
    assert.equal(localView(c, 'renum', 'INBOX.Lists').size, 5);
    // New mail arrives by the MTA after that sync, and MailDesk syncs it...
    cr.deliver('renum', 'INBOX.Lists', raws(3, 'New'));
    r = await syncOnce(c, ['renum']);
    assert.ok(r.ok);
    assert.equal(localView(c, 'renum', 'INBOX.Lists').size, 8);
    // ...then another client copies 5 messages in.
    const other = await cr.connect('renum');
    try {
      const lock = await other.getMailboxLock('INBOX');
      try {
        await other.messageCopy('1:*', 'INBOX.Lists');
      } finally {
        lock.release();
      }
    } finally {
      await other.logout();
    }
    r = await syncOnce(c, ['renum']);
    assert.ok(r.ok, JSON.stringify(r.failed.map((j) => [j.id, j.errorCode, j.errorMessage])));
    const server = await serverView('renum', 'INBOX.Lists');
    assert.equal(server.size, 13);
    assert.deepEqual(localView(c, 'renum', 'INBOX.Lists'), server);
  });

  it("behind a proxy that hides Courier's greeting: mail seen only by EXAMINE is renumbered by another client's COPY, and MailDesk follows the new numbering", async () => {
    const proxy = await startGreetingProxy(cr.port);
    cleanup.push(() => proxy.stop());
    cr.deliver('hidden', 'INBOX.Lists', raws(5, 'Old'));
    cr.deliver('hidden', 'INBOX', raws(5, 'Copied'));
    // The user's other client opened both folders read-write once, so Courier saved their UIDs
    // and their UIDVALIDITY holds: MailDesk sees no reset and has no reason to open them read-write.
    const other = await cr.connect('hidden');
    try {
      (await other.getMailboxLock('INBOX')).release();
      (await other.getMailboxLock('INBOX.Lists')).release();
    } finally {
      await other.logout();
    }
    const c = await core();
    await c.addAccount({ ...imapAccount('hidden', proxy.port), folders: ['INBOX', 'INBOX.Lists'] });
    let r = await syncOnce(c, ['hidden'], { maxAttempts: 4 });
    assert.ok(r.ok, JSON.stringify(r.failed.map((j) => [j.id, j.errorCode, j.errorMessage])));
    cr.deliver('hidden', 'INBOX.Lists', raws(3, 'New'));
    r = await syncOnce(c, ['hidden']);
    assert.ok(r.ok);
    assert.deepEqual([...localView(c, 'hidden', 'INBOX.Lists').values()].slice(5), ['New 0', 'New 1', 'New 2']);
    const c2 = await cr.connect('hidden');
    try {
      const lock = await c2.getMailboxLock('INBOX');
      try {
        await c2.messageCopy('1:*', 'INBOX.Lists');
      } finally {
        lock.release();
      }
    } finally {
      await c2.logout();
    }
    const server = await serverView('hidden', 'INBOX.Lists');
    // Courier's own behaviour, first: the copies took the UIDs MailDesk holds the new mail under.
    const heldAs = [...localView(c, 'hidden', 'INBOX.Lists').entries()].filter(([, s]) => s.startsWith('New')).map(([u]) => u);
    assert.ok(heldAs.every((u) => server.get(u)?.startsWith('Copied')), `server now: ${JSON.stringify([...server])}`);
    r = await syncOnce(c, ['hidden']);
    assert.ok(r.ok, JSON.stringify(r.failed.map((j) => [j.id, j.errorCode, j.errorMessage])));
    assert.equal(server.size, 13);
    assert.deepEqual(localView(c, 'hidden', 'INBOX.Lists'), server);
    assert.match(c.log.recent().map((l) => l.msg).join('\n'), /renumbered "INBOX.Lists" under the same UIDVALIDITY/);
    // A sync later, nothing moves again.
    r = await syncOnce(c, ['hidden']);
    assert.deepEqual(localView(c, 'hidden', 'INBOX.Lists'), await serverView('hidden', 'INBOX.Lists'));
  });

  it('triage without MOVE (Courier has none): move, delete to Trash and flag reach the server, and the next sync agrees', async () => {
    cr.deliver('triage', 'INBOX', raws(4, 'Tri'));
    const c = await core();
    await c.addAccount({ ...imapAccount('triage', cr.port), folders: ['INBOX', 'INBOX.Lists', 'INBOX.Trash'] });
    const settle = async (): Promise<void> => {
      const r = await syncOnce(c, ['triage'], { maxAttempts: 4 });
      assert.ok(r.ok, JSON.stringify(r.failed.map((j) => [j.id, j.errorCode, j.errorMessage])));
      const p = await c.pushActions('triage');
      assert.deepEqual(p.failed, [], 'every action reached the server');
    };
    await settle();
    const key = (folder: string, subject: string) => {
      const f = c.store.getFolder('triage', folder)!.id;
      const m = c.store.listMessages(f, { limit: 100 }).find((x) => x.subject === subject)!;
      assert.ok(m, `${subject} not in ${folder}`);
      return { messageId: m.id, folderId: f };
    };
    assert.ok((await c.applyAction([key('INBOX', 'Tri 0')], { kind: 'move', toPath: 'INBOX.Lists' })).ok);
    assert.ok((await c.applyAction([key('INBOX', 'Tri 1')], { kind: 'delete' })).ok);
    assert.ok((await c.applyAction([key('INBOX', 'Tri 2')], { kind: 'flag' })).ok);
    await settle();
    await settle();
    const inbox = await serverView('triage', 'INBOX');
    assert.deepEqual([...inbox.values()].sort(), ['Tri 2', 'Tri 3']);
    assert.deepEqual([...(await serverView('triage', 'INBOX.Lists')).values()], ['Tri 0']);
    assert.deepEqual([...(await serverView('triage', 'INBOX.Trash')).values()], ['Tri 1']);
    for (const f of ['INBOX', 'INBOX.Lists', 'INBOX.Trash']) assert.deepEqual(localView(c, 'triage', f), await serverView('triage', f), f);
    const other = await cr.connect('triage');
    try {
      const lock = await other.getMailboxLock('INBOX', { readOnly: true });
      try {
        const flagged = [];
        for await (const m of other.fetch('1:*', { envelope: true, flags: true })) if (m.flags?.has('\\Flagged')) flagged.push(m.envelope?.subject);
        assert.deepEqual(flagged, ['Tri 2']);
      } finally {
        lock.release();
      }
    } finally {
      await other.logout();
    }
  });

  it('`maildesk sync --once` (the CLI process) ends against Courier with MTA-delivered mail, and `list` shows each message once', async function () {
    this.timeout(120_000);
    execFileSync(process.execPath, ['esbuild.mjs'], { cwd: ROOT, stdio: 'pipe' });
    cr.deliver('cli', 'INBOX', raws(30, 'Cli'));
    cr.deliver('cli', 'INBOX.Lists', raws(20, 'CliList'));
    const dir = tempDir();
    cleanup.push(() => fs.rmSync(dir, { recursive: true, force: true }));
    const config = path.join(dir, 'config.json');
    fs.writeFileSync(config, JSON.stringify({ accounts: [{ ...imapAccount('cli', cr.port), imap: { host: '127.0.0.1', port: cr.port, security: 'none', user: 'cli', passwordEnv: 'MAILDESK_COURIER_TEST_PW' }, folders: ['INBOX', 'INBOX.Lists'] }] }));
    const run = (args: string[]): Promise<{ code: number | null; out: string; err: string }> =>
      new Promise((resolve) => {
        const child = spawn(process.execPath, [path.join(ROOT, 'bin', 'maildesk.js'), '--config', config, '--data', path.join(dir, 'data'), ...args], {
          env: { ...process.env, MAILDESK_COURIER_TEST_PW: 'secret' },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let out = '';
        let err = '';
        child.stdout.on('data', (d: Buffer) => (out += d.toString()));
        child.stderr.on('data', (d: Buffer) => (err += d.toString()));
        // The sync --once never ended (~890 resets a minute): a bound, so that fails clearly.
        const bound = setTimeout(() => {
          err += `\n(still running after 90 s: killed by the test)`;
          child.kill('SIGKILL');
        }, 90_000);
        child.once('exit', (code) => {
          clearTimeout(bound);
          resolve({ code, out, err });
        });
      });
    const sync = await run(['sync', '--once']);
    assert.equal(sync.code, 0, sync.err);
    for (const [folder, n] of [['INBOX', 30], ['INBOX.Lists', 20]] as const) {
      const list = await run(['list', '--account', 'cli', '--folder', folder, '--limit', '1000', '--json']);
      assert.equal(list.code, 0, list.err);
      const rows = JSON.parse(list.out) as Array<{ subject: string }>;
      assert.equal(rows.length, n, list.out.slice(0, 400));
      assert.equal(new Set(rows.map((r) => r.subject)).size, n);
    }
  });
});
