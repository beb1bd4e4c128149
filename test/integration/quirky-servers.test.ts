/**
 * Working servers with quirks a user meets: an SMTP relay without AUTH, a Dovecot restarted in
 * the middle of a sync, and a folder renumbered under the same UIDVALIDITY (what Courier-IMAP
 * does after another client's COPY; reproduced on Dovecot by expunging and appending the same
 * messages again, since installing Courier in CI is impractical).
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import { parseAccount } from '../../src/core/config';
import type { MailDesk } from '../../src/core/maildesk';
import { syncOnce } from '../../src/core/sync/once';
import { requireDovecot, startDovecot, type Dovecot } from '../support/dovecot';
import { imapAccount, openCore, tempDir } from '../support/core';
import { seedMessages } from '../support/seed';
import { startSmtp } from '../support/smtp';

describe('quirky servers (Dovecot + SMTP)', function () {
  let dv: Dovecot;
  const cleanup: Array<() => Promise<void> | void> = [];
  before(async function () {
    requireDovecot(this);
    dv = await startDovecot({ users: { relay: 'secret', nouser: 'secret', wrong: 'secret', restart: 'secret', renum: 'secret' }, extraFolders: ['Lists/A', 'Lists/B'] });
  });
  afterEach(async () => {
    for (const f of cleanup.splice(0).reverse()) await f();
  });
  after(async () => {
    await dv?.dispose();
  });

  async function core(passwords: Record<string, string> = {}): Promise<MailDesk> {
    const dir = tempDir();
    cleanup.push(() => fs.rmSync(dir, { recursive: true, force: true }));
    const c = await openCore(dir, { relay: 'secret', nouser: 'secret', wrong: 'secret', restart: 'secret', renum: 'secret', ...passwords }, { send: { retryBaseMs: 20, sentCheckDelaysMs: [100] } });
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
    const all = c.store.get<{ n: number }>('SELECT COUNT(*) AS n FROM memberships WHERE folder_id = ?', [inbox])!.n;
    assert.equal(all, 5, 'no second row per message, not even one marked missing');
    assert.deepEqual(
      c.store.listMessages(inbox, { limit: 50 }).map((m) => m.id).sort(),
      before.map((m) => m.id).sort(),
    );
    await syncOnce(c, ['renum']);
    const rows = c.store.all<{ uid: number; message_id: string }>(
      `SELECT ms.uid, m.message_id FROM memberships ms JOIN messages m ON m.id = ms.message_id WHERE ms.folder_id = ? AND ms.missing_since IS NULL ORDER BY ms.uid`,
      [inbox],
    );
    assert.equal(rows.length, 5, JSON.stringify(rows));
    assert.equal(new Set(rows.map((r) => r.message_id)).size, 5);
    assert.ok(rows.every((r) => r.uid > 5), `the new UIDs: ${rows.map((r) => r.uid).join(',')}`);
    assert.equal(c.store.listMessages(inbox, { limit: 50 }).length, 5);
  });
});
