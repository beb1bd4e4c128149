/**
 * Working servers with quirks a user meets: an SMTP relay without AUTH, a Dovecot restarted in
 * the middle of a sync, and a folder renumbered under the same UIDVALIDITY (reproduced on Dovecot
 * by expunging and appending the same messages again). Real Courier-IMAP, with the renumbering
 * its COPY causes, is tested in courier.test.ts; the proxy here makes its behaviours happen on
 * every command (test/support/courierProxy.ts).
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import { parseAccount } from '../../src/core/config';
import { findCheck } from '../../src/core/diagnostics/registry';
import { runChecks } from '../../src/core/diagnostics/runner';
import { waitingSentCopies } from '../../src/core/send/sentCopyTask';
import type { MailDesk } from '../../src/core/maildesk';
import { syncOnce } from '../../src/core/sync/once';
import { requireDovecot, startDovecot, type Dovecot } from '../support/dovecot';
import { imapAccount, openCore, tempDir } from '../support/core';
import { seedMessages } from '../support/seed';
import { rawMessage } from '../support/rawmail';
import { startCourierProxy, type CourierProxyOptions } from '../support/courierProxy';
import { startSmtp } from '../support/smtp';
import { rawSql } from '../support/rawStoreSql';

const USERS = ['dropped', 'relay', 'nouser', 'wrong', 'restart', 'renum', 'twice', 'roappend', 'unstable', 'neversaves', 'nocopy', 'ident'];
const PASSWORDS = Object.fromEntries(USERS.map((u) => [u, 'secret']));

describe('quirky servers (Dovecot + SMTP)', function () {
  let dv: Dovecot;
  const cleanup: Array<() => Promise<void> | void> = [];
  before(async function () {
    requireDovecot(this);
    dv = await startDovecot({ users: { ...PASSWORDS }, extraFolders: ['Lists/A', 'Lists/B'] });
  });
  afterEach(async () => {
    for (const f of cleanup.splice(0).reverse()) await f();
  });
  after(async () => {
    await dv?.dispose();
  });

  async function core(extra: Parameters<typeof openCore>[2] = {}): Promise<MailDesk> {
    const dir = tempDir();
    cleanup.push(() => fs.rmSync(dir, { recursive: true, force: true }));
    const c = await openCore(dir, PASSWORDS, { send: { retryBaseMs: 20, sentCheckDelaysMs: [100] }, ...extra });
    cleanup.push(() => c.close().catch(() => undefined));
    return c;
  }

  it('an SMTP relay without AUTH: Test Outgoing Server says so (no false "logged in"), and sending works', async () => {
    const s = await startSmtp({ noAuth: true });
    cleanup.push(() => s.stop());
    const c = await core();
    await c.addAccount(imapAccount('relay', dv.port, { smtpPort: s.port }));
    const v = await c.testOutgoing('relay');
    assert.ok(v.ok, v.error?.message);
    const login = v.steps.find((x) => x.name === 'login')!;
    assert.match(login.detail, /offers no AUTH: sending without login \(the SMTP user relay is not used\)/);
    assert.doesNotMatch(login.detail, /logged in/);
    const r = await c.send('relay', { to: ['bob@example.test'], subject: 'via relay', text: 'hello' });
    assert.ok(r.ok, r.error?.describe());
    assert.equal(s.received.length, 1);
    assert.equal(s.received[0].user, undefined, 'no AUTH session');
  });

  it('an account without an SMTP user (configuration and sending)', async () => {
    const s = await startSmtp({ noAuth: true });
    cleanup.push(() => s.stop());
    const acc = parseAccount({ id: 'nouser', email: 'nouser@example.test', imap: { host: '127.0.0.1', port: dv.port, security: 'none', user: 'nouser' }, smtp: { host: '127.0.0.1', port: s.port, security: 'none' } });
    assert.equal(acc.smtp!.user, '');
    // The incoming server still needs its user.
    assert.throws(() => parseAccount({ id: 'x', email: 'x@example.test', imap: { host: 'h', port: 1, security: 'none' } }), /imap\.user must be a non-empty string/);
    const c = await core();
    await c.addAccount(acc);
    const v = await c.testOutgoing('nouser');
    assert.ok(v.ok, v.error?.message);
    assert.match(v.steps.find((x) => x.name === 'login')!.detail, /no SMTP user is set/);
    const r = await c.send('nouser', { to: ['bob@example.test'], subject: 'no user', text: 'hello' });
    assert.ok(r.ok, r.error?.describe());
    assert.equal(s.received.length, 1);
  });

  it('an SMTP login refused: the remedy names Test Outgoing Server, not Incoming', async () => {
    const s = await startSmtp({ fault: { kind: 'rejectAuth' } });
    cleanup.push(() => s.stop());
    const c = await core();
    await c.addAccount(imapAccount('wrong', dv.port, { smtpPort: s.port }));
    const v = await c.testOutgoing('wrong');
    assert.equal(v.error?.code, 'auth.failed');
    assert.match(v.error!.describe(), /Test Outgoing Server/);
    assert.doesNotMatch(v.error!.describe(), /Incoming/);
    const r = await c.send('wrong', { to: ['bob@example.test'], subject: 'refused', text: 'x' });
    assert.equal(r.error?.code, 'auth.failed');
    assert.match(r.error!.describe(), /Test Outgoing Server/);
  });

  it('Dovecot restarted mid-sync: folders keep syncing after a short back-off, never "does not exist"', async function () {
    dv.seedMaildir('restart', 'INBOX', seedMessages(2000));
    dv.seedMaildir('restart', 'Lists/A', seedMessages(300, 'A'));
    dv.seedMaildir('restart', 'Lists/B', seedMessages(300, 'B'));
    const c = await core();
    await c.addAccount({ ...imapAccount('restart', dv.port), folders: ['INBOX', 'Lists/A', 'Lists/B'] });
    const inbox = c.store.getFolder('restart', 'INBOX')!.id;
    let restarting: Promise<void> | undefined;
    const sub = c.onDidChange(() => {
      if (!restarting && c.store.localCounts(inbox).total >= 300) restarting = dv.stop().then(() => dv.start());
    });
    const r = await syncOnce(c, ['restart'], { maxAttempts: 6 });
    sub.dispose();
    await restarting;
    assert.ok(restarting, 'the sync ended before the restart');
    // Connections that were open when the server went away failed as dropped ones, were
    // retried, and the folders went on syncing.
    const said = c.log.recent().map((l) => l.msg).join('\n');
    assert.doesNotMatch(said, /does not exist|folder\.notFound/);
    assert.match(said, /connection|closed|lost|reset/i);
    if (!r.ok) {
      // A job still in back-off when syncOnce gave up: one more round finishes it.
      const again = await syncOnce(c, ['restart'], { maxAttempts: 6 });
      assert.ok(again.ok, JSON.stringify(again.failed.map((j) => [j.id, j.errorCode, j.errorMessage])));
    }
    for (const j of c.store.listJobs('restart')) assert.notEqual(j.errorCode, 'folder.notFound', j.id);
    assert.equal(c.store.localCounts(inbox).total, 2000);
    assert.equal(c.store.localCounts(c.store.getFolder('restart', 'Lists/A')!.id).total, 300);
    assert.equal(c.store.localCounts(c.store.getFolder('restart', 'Lists/B')!.id).total, 300);
  });

  it('the connection dropped at STATUS (server restarted then): net.reset and retried, never "does not exist"', async () => {
    dv.seedMaildir('dropped', 'INBOX', seedMessages(20, 'Dropped'));
    const c = await core();
    const drop = await startCourierProxy(dv.port, { dropOnce: 'STATUS' });
    cleanup.push(() => drop.stop());
    await c.addAccount({ ...imapAccount('dropped', drop.port), folders: ['INBOX'] });
    const r = await syncOnce(c, ['dropped']);
    const said = c.log.recent().map((l) => `${l.msg} ${JSON.stringify(l.fields ?? {})}`).join('\n');
    assert.doesNotMatch(said, /does not exist|folder\.notFound/);
    assert.match(said, /"code":"net\.reset"/, said);
    assert.ok(r.ok, JSON.stringify(r.failed.map((j) => [j.id, j.errorCode])));
    assert.equal(c.store.localCounts(c.store.getFolder('dropped', 'INBOX')!.id).total, 20);
  });

  it('a folder renumbered under the same UIDVALIDITY (Courier after a COPY): the new UIDs replace the rows, no duplicates', async () => {
    dv.seedMaildir('renum', 'INBOX', seedMessages(5, 'Renum'));
    const c = await core();
    await c.addAccount(imapAccount('renum', dv.port));
    await syncOnce(c, ['renum']);
    const inbox = c.store.getFolder('renum', 'INBOX')!.id;
    const before = c.store.listMessages(inbox, { limit: 50 });
    assert.equal(before.length, 5);
    // Same messages, new UIDs, same UIDVALIDITY.
    const cl = await dv.connect('renum');
    try {
      const lock = await cl.getMailboxLock('INBOX');
      try {
        const raws = [];
        for await (const m of cl.fetch('1:*', { source: true, uid: true }, { uid: true })) raws.push({ uid: m.uid, source: m.source! });
        for (const r of raws) await cl.append('INBOX', r.source, ['\\Seen']);
        await cl.messageDelete(raws.map((r) => r.uid).join(','), { uid: true });
      } finally {
        lock.release();
      }
    } finally {
      await cl.logout();
    }
    await syncOnce(c, ['renum']);
    // Replaced, not added beside rows marked missing: the same local messages (ids, bodies) stay.
    const all = rawSql(c.store).get<{ n: number }>('SELECT COUNT(*) AS n FROM memberships WHERE folder_id = ?', [inbox])!.n;
    assert.equal(all, 5, 'no second row per message, not even one marked missing');
    assert.deepEqual(
      c.store.listMessages(inbox, { limit: 50 }).map((m) => m.id).sort(),
      before.map((m) => m.id).sort(),
    );
    await syncOnce(c, ['renum']);
    const rows = rawSql(c.store).all<{ uid: number; message_id: string }>(
      `SELECT ms.uid, m.message_id FROM memberships ms JOIN messages m ON m.id = ms.message_id WHERE ms.folder_id = ? AND ms.missing_since IS NULL ORDER BY ms.uid`,
      [inbox],
    );
    assert.equal(rows.length, 5, JSON.stringify(rows));
    assert.equal(new Set(rows.map((r) => r.message_id)).size, 5);
    assert.ok(rows.every((r) => r.uid > 5), `the new UIDs: ${rows.map((r) => r.uid).join(',')}`);
    assert.equal(c.store.listMessages(inbox, { limit: 50 }).length, 5);
  });

  it('a second copy of a message (same Message-ID) arriving later is a second message, not the first one renumbered', async () => {
    const raw = rawMessage({ from: 'List <list@example.test>', to: 'twice@example.test', subject: 'Posted twice', messageId: '<post-1@lists.example.test>', text: 'hello' });
    dv.seedMaildir('twice', 'INBOX', [{ raw }, ...seedMessages(3, 'Other')]);
    const c = await core();
    await c.addAccount(imapAccount('twice', dv.port));
    await syncOnce(c, ['twice']);
    const inbox = c.store.getFolder('twice', 'INBOX')!.id;
    const first = c.store.listMessages(inbox, { limit: 50 }).find((m) => m.subject === 'Posted twice')!;
    // The copy sent to the user directly arrives too.
    dv.seedMaildir('twice', 'INBOX', [{ raw }]);
    await syncOnce(c, ['twice']);
    const rows = c.store.listMessages(inbox, { limit: 50 }).filter((m) => m.subject === 'Posted twice');
    assert.deepEqual(rows.map((m) => m.uid).sort(), [1, 5], 'both copies, each under its own UID');
    assert.equal(rows.find((m) => m.uid === 1)?.id === first.id || rows.find((m) => m.uid === 5)?.id === first.id, true);
    assert.equal(c.store.listMessages(inbox, { limit: 50 }).length, 5);
    assert.doesNotMatch(c.log.recent().map((l) => l.msg).join('\n'), /renumbered/);
  });

  async function courier(o: CourierProxyOptions) {
    const proxy = await startCourierProxy(dv.port, o);
    cleanup.push(() => proxy.stop());
    return proxy;
  }

  it('Courier: APPEND on a pooled connection that has Sent EXAMINEd is preceded by CLOSE, so the Sent copy is saved', async () => {
    const proxy = await courier({ readOnlyAppend: true });
    const s = await startSmtp({ noAuth: true });
    cleanup.push(() => s.stop());
    const c = await core();
    await c.addAccount({ ...imapAccount('roappend', proxy.port, { smtpPort: s.port }), saveSentCopy: 'always' });
    await syncOnce(c, ['roappend']);
    const r = await c.send('roappend', { to: ['bob@example.test'], subject: 'copy me', text: 'x' });
    assert.ok(r.ok, r.error?.describe());
    assert.equal(r.sentCopy, 'appended', r.warning);
    assert.equal(proxy.refusedAppends(), 0);
    const cl = await dv.connect('roappend');
    try {
      const lock = await cl.getMailboxLock('Sent');
      try {
        assert.equal(((await cl.search({ header: { 'message-id': r.messageId } }, { uid: true })) || []).length, 1);
      } finally {
        lock.release();
      }
    } finally {
      await cl.logout();
    }
  });

  it('Courier: a new UIDVALIDITY on every STATUS/EXAMINE until a read-write SELECT: one source per sync, and the sync ends', async () => {
    dv.seedMaildir('unstable', 'INBOX', seedMessages(40, 'Unstable'));
    const proxy = await courier({ unstableUidValidity: true });
    const c = await core();
    await c.addAccount({ ...imapAccount('unstable', proxy.port), folders: ['INBOX'] });
    const r = await syncOnce(c, ['unstable'], { maxAttempts: 4 });
    assert.ok(r.ok, JSON.stringify(r.failed.map((j) => [j.id, j.errorMessage])));
    assert.ok(proxy.madeUp() >= 1, 'the proxy did make UIDVALIDITY up');
    const inbox = c.store.getFolder('unstable', 'INBOX')!.id;
    assert.equal(c.store.localCounts(inbox).total, 40);
    // Stable from here on: another sync is a no-op, not another reset.
    await syncOnce(c, ['unstable']);
    assert.equal(c.store.localCounts(inbox).total, 40);
    const resets = c.log.recent().filter((l) => /UIDVALIDITY changed/.test(l.msg)).length;
    assert.ok(resets <= 1, `${resets} resets`);
  });

  it('Courier that never keeps UIDVALIDITY: consecutive resets are bounded, then a clear error naming the behaviour', async () => {
    dv.seedMaildir('neversaves', 'INBOX', seedMessages(10, 'Never'));
    const proxy = await courier({ unstableUidValidity: true, neverSaves: true });
    const c = await core({ imap: { maxConsecutiveResets: 2 } });
    await c.addAccount({ ...imapAccount('neversaves', proxy.port), folders: ['INBOX'] });
    const t0 = Date.now();
    const r = await syncOnce(c, ['neversaves'], { maxAttempts: 4 });
    assert.equal(r.ok, false);
    const failed = r.failed.find((j) => j.id === 'neversaves:sync:INBOX' || j.id === 'neversaves:backfill:INBOX')!;
    assert.ok(failed, JSON.stringify(r.failed.map((j) => j.id)));
    assert.equal(failed.errorCode, 'server.protocol');
    assert.match(failed.errorMessage ?? '', /a new UIDVALIDITY \d+ times in a row .*even after a read-write SELECT.*Courier-IMAP/);
    assert.ok(proxy.madeUp() < 40, `${proxy.madeUp()} UIDVALIDITY values made up before giving up`);
    assert.ok(Date.now() - t0 < 30_000);
  });

  it('a Sent copy that could not be saved: sent.mapping fails and says so (and says the provider keeps none)', async () => {
    const proxy = await courier({ refuseAppend: true });
    const s = await startSmtp({ noAuth: true });
    cleanup.push(() => s.stop());
    const c = await core();
    await c.addAccount({ ...imapAccount('nocopy', proxy.port, { smtpPort: s.port }) });
    await syncOnce(c, ['nocopy']);
    const check = [findCheck('sent.mapping')!];
    const before = (await runChecks(c, { accounts: ['nocopy'], checks: check }))[0];
    assert.equal(before.status, 'pass', before.detail);
    assert.match(before.detail, /provider keeps its own Sent copy: unknown until the first send/);
    const r = await c.send('nocopy', { to: ['bob@example.test'], subject: 'no copy', text: 'x' });
    assert.ok(r.ok);
    assert.equal(r.sentCopy, 'queued', 'refused by the server: the copy waits as a task');
    assert.match(r.warning ?? '', /could not be saved yet .*saves it there as soon as the server takes it/);
    // The tasks job tries again, is refused again, and backs off on its own (not every run).
    await c.pushActions('nocopy');
    assert.equal(proxy.refusedAppends(), 2);
    const [waiting] = waitingSentCopies(c.store, 'nocopy');
    assert.equal(waiting?.messageId, r.messageId);
    assert.ok(waiting.nextTry && waiting.nextTry > Date.now() + 20_000, `backs off: next try ${waiting.nextTry}`);
    await c.pushActions('nocopy');
    assert.equal(proxy.refusedAppends(), 2, 'not tried again before its back-off is over');
    const after = (await runChecks(c, { accounts: ['nocopy'], checks: check }))[0];
    assert.equal(after.status, 'fail', after.detail);
    assert.match(after.detail, /copy of 1 sent message could not be saved to "Sent" yet and waits.*Permission denied/);
    assert.match(after.detail, /provider keeps its own copy: no, MailDesk appends the copy/);
    assert.match(after.remedy, /Test Incoming Server/);
  });

  it('Test Incoming Server names the server: its greeting and ID (name, version)', async () => {
    const c = await core();
    await c.addAccount(imapAccount('ident', dv.port));
    const v = await c.testIncoming('ident');
    assert.ok(v.ok, v.error?.message);
    const g = v.steps.find((x) => x.name === 'greeting')!;
    assert.match(g.detail, /greeting ".*ready/i);
    assert.match(g.detail, /ID: name Dovecot/);
    const [out] = await runChecks(c, { accounts: ['ident'], checks: [findCheck('incoming.connect')!] });
    assert.match(out.detail, /ID: name Dovecot/);
  });
});
