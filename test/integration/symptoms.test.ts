import { strict as assert } from 'node:assert';
import type { CheckOutcome } from '../../src/core/diagnostics/check';
import { runChecks } from '../../src/core/diagnostics/runner';
import type { MailDesk } from '../../src/core/maildesk';
import { jobId } from '../../src/core/sync/scheduler';
import { syncOnce } from '../../src/core/sync/once';
import { imapAccount, openCore } from '../support/core';
import { requireDovecot, startDovecot, type Dovecot } from '../support/dovecot';
import { seedMessages } from '../support/seed';
import { startSmtp, type SmtpServer } from '../support/smtp';
import { rawSql } from '../support/rawStoreSql';

/**
 * The guide's symptoms that the fault matrix (doctor.test.ts) does not cover, each caused on
 * a real server, then read from Troubleshoot: the check id, its status, the remedy the guide
 * gives, and the fix button.
 */

const USERS = ['newmail', 'filling', 'gap', 'swap', 'spam'];
const pw = (u: string): string => `Pw-${u}-5tR8q`;

function one(outcomes: CheckOutcome[], id: string): CheckOutcome[] {
  const hits = outcomes.filter((o) => o.id === id);
  assert.ok(hits.length, `no outcome for ${id}`);
  return hits;
}

describe('Troubleshoot: the guide\'s symptoms on real servers', function () {
  this.timeout(60_000);
  let dv: Dovecot;
  let smtp: SmtpServer;
  const cores: MailDesk[] = [];

  before(async function () {
    requireDovecot(this);
    const users = Object.fromEntries(USERS.map((u) => [u, pw(u)]));
    dv = await startDovecot({ users });
    smtp = await startSmtp({ users });
  });

  after(async () => {
    for (const c of cores) await c.close().catch(() => undefined);
    await smtp?.stop();
    await dv?.dispose();
  });

  async function account(user: string, n: number, extra: Parameters<typeof openCore>[2] = {}): Promise<MailDesk> {
    dv.seedMaildir(user, 'INBOX', seedMessages(n, user));
    const core = await openCore(undefined, { [user]: pw(user) }, extra);
    cores.push(core);
    core.ensureAccount(imapAccount(user, dv.port, { smtpPort: smtp.port }));
    await core.refreshFolders(user);
    return core;
  }

  const check = (core: MailDesk, user: string) => runChecks(core, { accounts: [user], timeoutMs: 5000 });

  it('"New mail has not appeared yet": mail.missing counts what the server has since the last sync, offers Refresh, and passes once synced', async () => {
    const core = await account('newmail', 20);
    assert.ok((await syncOnce(core, ['newmail'])).ok);
    assert.equal(one(await check(core, 'newmail'), 'mail.missing')[0].status, 'pass');
    dv.seedMaildir('newmail', 'INBOX', seedMessages(5, 'late', { start: 100 }));
    const [hit] = one(await check(core, 'newmail'), 'mail.missing');
    assert.equal(hit.status, 'warn', hit.detail);
    assert.match(hit.detail, /"INBOX": 5 message\(s\) on the server are not here yet \(server 25, here 20; last sync \S+ \(\d+ s ago\)\): 5 arrived on the server after the last sync/);
    assert.match(hit.remedy, /next background sync .* Refresh the view/);
    assert.equal(hit.section, 'New mail has not appeared yet');
    assert.deepEqual(hit.action, { title: 'Refresh', command: 'maildesk.refresh', args: [{ kind: 'account', accountId: 'newmail' }] });
    assert.ok((await syncOnce(core, ['newmail'])).ok);
    const [after] = one(await check(core, 'newmail'), 'mail.missing');
    assert.equal(after.status, 'pass', after.detail);
    assert.match(after.detail, /INBOX 25\/25/);
  });

  it('"Older emails seem to be missing" during the initial fill: mail.missing warns with the guide\'s advice (leave it open, do not reconnect), no button', async () => {
    const core = await account('filling', 30, { imap: { firstPageSize: 10, pageSize: 10 } });
    core.scheduler.ensureJobs('filling');
    // Only the first page: the newest mail is here, the history is still to come.
    await core.scheduler.runJob(core.store.getJob(jobId('filling', 'sync', 'INBOX'))!);
    const [hit] = one(await check(core, 'filling'), 'mail.missing');
    assert.equal(hit.status, 'warn', hit.detail);
    assert.match(hit.detail, /"INBOX": 20 message\(s\) on the server are not here yet \(server 30, here 10;.*the initial fill is/);
    assert.match(hit.remedy, /leave MailDesk open .* avoid disconnecting and reconnecting/);
    assert.equal(hit.section, 'Older emails seem to be missing');
    assert.equal(hit.action, undefined);
  });

  it('"Older emails seem to be missing" after the fill: mail.missing offers Trigger Backfill on the folder, and running it brings them back', async () => {
    const core = await account('gap', 12);
    assert.ok((await syncOnce(core, ['gap'])).ok);
    const inbox = core.store.getFolder('gap', 'INBOX')!;
    // Two messages the fill never stored: the store loses their rows (what a failed page leaves).
    rawSql(core.store).run('DELETE FROM memberships WHERE folder_id = ? AND uid IN (2, 3)', [inbox.id]);
    const [hit] = one(await check(core, 'gap'), 'mail.missing');
    assert.equal(hit.status, 'warn', hit.detail);
    assert.match(hit.detail, /"INBOX": 2 older message\(s\) on the server did not arrive although the initial fill is complete \(server 12, here 10/);
    assert.match(hit.remedy, /Trigger Backfill on "INBOX"/);
    assert.deepEqual(hit.action, { title: 'Trigger Backfill', command: 'maildesk.triggerBackfill', args: [{ kind: 'folder', accountId: 'gap', folderId: inbox.id, path: 'INBOX' }] });
    core.triggerBackfill('gap', 'INBOX');
    assert.ok((await syncOnce(core, ['gap'])).ok);
    assert.equal(one(await check(core, 'gap'), 'mail.missing')[0].status, 'pass');
  });

  it('"Why a sent email can seem to disappear": sent.swap explains the local Sent entry waiting for the provider\'s copy as normal, and it is swapped by the next sync', async () => {
    const core = await account('swap', 2, { send: { retryBaseMs: 20, sentCheckDelaysMs: [100] } });
    assert.ok((await syncOnce(core, ['swap'])).ok);
    const r = await core.send('swap', { to: ['bob@example.test'], subject: 'Quarterly figures', text: 'attached' });
    assert.ok(r.ok, r.error?.message);
    const [waiting] = one(await check(core, 'swap'), 'sent.swap');
    assert.equal(waiting.status, 'pass', waiting.detail);
    assert.match(waiting.detail, /1 message\(s\) sent in the last hour are local entries in "Sent" waiting for the provider's copy; .*replaces it with the provider's copy, so it may seem to vanish and reappear: that brief swap is normal/);
    assert.ok((await syncOnce(core, ['swap'])).ok);
    const [swapped] = one(await check(core, 'swap'), 'sent.swap');
    assert.equal(swapped.status, 'pass');
    assert.match(swapped.detail, /no sent message is waiting for its provider copy in "Sent"/);
  });

  it('"If sending failed": the server refuses the message (554); drafts.unsent fails with its exact words, says the message stays in Drafts, and offers Test Outgoing Server', async () => {
    const refusing = await startSmtp({ users: { spam: pw('spam') }, fault: { kind: 'rejectData', code: 554, message: '5.7.1 Message rejected as spam' } });
    try {
      const core = await account('spam', 1, { send: { retryBaseMs: 20, sentCheckDelaysMs: [] } });
      core.ensureAccount(imapAccount('spam', dv.port, { smtpPort: refusing.port }));
      const r = await core.send('spam', { to: ['bob@example.test'], subject: 'Offer', text: 'cheap' });
      assert.equal(r.ok, false);
      const [hit] = one(await check(core, 'spam'), 'drafts.unsent');
      assert.equal(hit.status, 'fail', hit.detail);
      assert.match(hit.detail, /1 message\(s\) could not be sent: .*554 5\.7\.1 Message rejected as spam/);
      assert.match(hit.remedy, /The message is not lost: it stays in Drafts/);
      assert.equal(hit.section, 'If sending failed');
      assert.deepEqual(hit.action, { title: 'Test Outgoing Server', command: 'maildesk.testOutgoing', args: [{ kind: 'account', accountId: 'spam' }] });
    } finally {
      await refusing.stop();
    }
  });
});
