import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { CheckOutcome } from '../../src/core/diagnostics/check';
import { runChecks } from '../../src/core/diagnostics/runner';
import type { MailDesk } from '../../src/core/maildesk';
import { jobId } from '../../src/core/sync/scheduler';
import { syncOnce } from '../../src/core/sync/once';
import { imapAccount, openCore } from '../support/core';
import { requireDovecot, startDovecot, type Dovecot } from '../support/dovecot';
import { seedMessages } from '../support/seed';
import { startSmtp, type SmtpServer } from '../support/smtp';
import { startFaultyImapProxy } from '../support/faultyImapProxy';

/**
 * The guide's symptoms that the fault matrix (doctor.test.ts) does not cover, each caused on
 * a real server, then read from Troubleshoot: the check id, its status, the remedy the guide
 * gives, and the fix button.
 */

const USERS = ['newmail', 'filling', 'gap', 'swap', 'spam', 'unselected', 'away', 'stuck', 'sentwrong', 'pwchange'];
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
  let smtpUsers: Record<string, string>;
  const cores: MailDesk[] = [];

  before(async function () {
    requireDovecot(this);
    const users = Object.fromEntries(USERS.map((u) => [u, pw(u)]));
    dv = await startDovecot({ users: { ...users } });
    smtpUsers = { ...users };
    smtp = await startSmtp({ users: smtpUsers });
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

  it('"Older emails seem to be missing" after the fill: the server left two messages out of its FETCH answers during the fill; mail.missing offers Trigger Backfill on the folder, and running it brings them back', async () => {
    dv.seedMaildir('gap', 'INBOX', seedMessages(12, 'gap'));
    const proxy = await startFaultyImapProxy(dv.port);
    try {
      const core = await openCore(undefined, { gap: pw('gap') });
      cores.push(core);
      core.ensureAccount(imapAccount('gap', proxy.port));
      await core.refreshFolders('gap');
      // The server cannot read two of its messages for a while: its FETCH answers leave them out.
      proxy.omitUids = new Set([2, 3]);
      assert.ok((await syncOnce(core, ['gap'])).ok, 'the fill ends without an error');
      assert.equal(proxy.omitted(), 2);
      const inbox = core.store.getFolder('gap', 'INBOX')!;
      assert.ok(core.store.getSyncState(inbox.id).backfillDone, 'the fill counts as complete');
      const [hit] = one(await check(core, 'gap'), 'mail.missing');
      assert.equal(hit.status, 'warn', hit.detail);
      assert.match(hit.detail, /"INBOX": 2 older message\(s\) on the server did not arrive although the initial fill is complete \(server 12, here 10/);
      assert.match(hit.remedy, /Trigger Backfill on "INBOX"/);
      assert.equal(hit.section, 'Older emails seem to be missing');
      assert.deepEqual(hit.action, { title: 'Trigger Backfill', command: 'maildesk.triggerBackfill', args: [{ kind: 'folder', accountId: 'gap', folderId: inbox.id, path: 'INBOX' }] });
      // An ordinary sync does not bring them: the gap is below what the fill walked.
      proxy.omitUids.clear();
      assert.ok((await syncOnce(core, ['gap'])).ok);
      assert.equal(one(await check(core, 'gap'), 'mail.missing')[0].status, 'warn');
      core.triggerBackfill('gap', 'INBOX');
      assert.ok((await syncOnce(core, ['gap'])).ok);
      const [after] = one(await check(core, 'gap'), 'mail.missing');
      assert.equal(after.status, 'pass', after.detail);
      assert.equal(core.store.localCounts(inbox.id).total, 12);
    } finally {
      await proxy.stop();
    }
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

  it('"A folder shows \\"0 emails\\"": a server folder with mail that is not selected; folders.selection names it with its count and offers Select Folders for Sync', async () => {
    const core = await account('unselected', 2);
    assert.ok((await syncOnce(core, ['unselected'])).ok);
    for (const m of seedMessages(3, 'project')) await dv.append('unselected', 'Projects', m.raw);
    await core.refreshFolders('unselected');
    const [hit] = one(await check(core, 'unselected'), 'folders.selection');
    assert.equal(hit.status, 'warn', hit.detail);
    assert.match(hit.detail, /"Projects" \(3 messages\)/);
    assert.match(hit.remedy, /Select Folders for Sync/);
    assert.equal(hit.section, 'A folder shows "0 emails"');
    assert.deepEqual(hit.action, { title: 'Select Folders for Sync', command: 'maildesk.selectFolders', args: [{ kind: 'account', accountId: 'unselected' }] });
    await core.setFolderSelected('unselected', 'Projects', true);
    assert.equal(one(await check(core, 'unselected'), 'folders.selection')[0].status, 'pass');
  });

  it('"When to investigate further" (no new mail for a long time): MailDesk was closed for 3 hours while mail arrived; mail.missing says no sync has run and sync.progress that the jobs have not progressed, each with Refresh', async () => {
    const core = await account('away', 4);
    assert.ok((await syncOnce(core, ['away'])).ok);
    dv.seedMaildir('away', 'INBOX', seedMessages(3, 'while away', { start: 50 }));
    // Nothing runs while MailDesk is closed: Troubleshoot is run three hours later.
    const later = Date.now() + 3 * 3_600_000;
    const outcomes = await runChecks(core, { accounts: ['away'], timeoutMs: 5000, now: () => later });
    const [missing] = one(outcomes, 'mail.missing');
    assert.equal(missing.status, 'warn', missing.detail);
    assert.match(missing.detail, /"INBOX": 3 message\(s\) on the server are not here yet \(server 7, here 4; last sync \S+ \(3 h ago\)\): 3 arrived on the server after the last sync, and no sync has run for more than 6 min/);
    assert.match(missing.remedy, /Synchronisation is not running: keep VS Code open \(or run `maildesk sync`\) and Refresh the account/);
    assert.deepEqual(missing.action, { title: 'Refresh', command: 'maildesk.refresh', args: [{ kind: 'account', accountId: 'away' }] });
    const [progress] = one(outcomes, 'sync.progress');
    assert.equal(progress.status, 'warn', progress.detail);
    assert.match(progress.detail, /away:sync:INBOX has not progressed since \S+ \(3 h ago; expected every \d+ min\)/);
    assert.match(progress.remedy, /Synchronisation has not progressed: keep VS Code open/);
    assert.equal(progress.action?.command, 'maildesk.refresh');
    // Opened again, the next sync brings the mail and both checks pass.
    assert.ok((await syncOnce(core, ['away'])).ok);
    const now = await check(core, 'away');
    assert.equal(one(now, 'mail.missing')[0].status, 'pass');
    assert.equal(one(now, 'sync.progress')[0].status, 'pass');
  });

  it('"Scheduled background jobs" not progressing: the server drops the connection at every STATUS, so logins work and INBOX never syncs; sync.progress fails with the job\'s attempts, last run and next try, and the error\'s remedy', async () => {
    dv.seedMaildir('stuck', 'INBOX', seedMessages(3, 'stuck'));
    const proxy = await startFaultyImapProxy(dv.port);
    try {
      const core = await openCore(undefined, { stuck: pw('stuck') });
      cores.push(core);
      core.ensureAccount(imapAccount('stuck', proxy.port));
      await core.refreshFolders('stuck');
      assert.ok((await syncOnce(core, ['stuck'])).ok);
      proxy.dropOn = /^\S+ STATUS /i;
      dv.seedMaildir('stuck', 'INBOX', seedMessages(2, 'late', { start: 10 }));
      const r = await syncOnce(core, ['stuck'], { maxAttempts: 3 });
      assert.equal(r.ok, false);
      const outcomes = await check(core, 'stuck');
      assert.equal(one(outcomes, 'incoming.connect')[0].status, 'pass', 'the login and the folder list still work');
      const [hit] = one(outcomes, 'sync.progress');
      assert.equal(hit.status, 'fail', hit.detail);
      assert.match(hit.detail, /stuck:sync:INBOX failed 3 times in a row, last at \S+: .*connection .*; next try \S+/);
      assert.match(hit.remedy, /MailDesk retries automatically; if it persists, check the network/);
      assert.equal(hit.section, 'How synchronisation behaves under failure');
      assert.deepEqual(hit.action, { title: 'Show Log', command: 'maildesk.showLog' });
      proxy.dropOn = undefined;
    } finally {
      await proxy.stop();
    }
  });

  it('"Check the correct Sent folder": the account is set to a Sent folder the server does not mark \\\\Sent; sent.mapping warns where the provider\'s copies go and offers Select Folders for Sync', async () => {
    dv.seedMaildir('sentwrong', 'Sent Items', seedMessages(1, 'old sent'));
    const core = await account('sentwrong', 1);
    core.ensureAccount({ ...imapAccount('sentwrong', dv.port, { smtpPort: smtp.port }), sentFolder: 'Sent Items' });
    await core.refreshFolders('sentwrong');
    assert.ok((await syncOnce(core, ['sentwrong'])).ok);
    const [hit] = one(await check(core, 'sentwrong'), 'sent.mapping');
    assert.equal(hit.status, 'warn', hit.detail);
    assert.match(hit.detail, /the account uses "Sent Items" as Sent, but the server marks "Sent" as \\Sent: the provider's copies of sent mail go there/);
    assert.match(hit.remedy, /Check in your webmail where your provider stores sent mail/);
    assert.equal(hit.section, 'Check the correct Sent folder');
    assert.deepEqual(hit.action, { title: 'Select Folders for Sync', command: 'maildesk.selectFolders', args: [{ kind: 'account', accountId: 'sentwrong' }] });
  });

  it('"If you recently changed your provider password": the password is changed on the server; sync pauses and auth.status fails with the server\'s words and Enter Password; the new password resumes it', async () => {
    const passwords = { pwchange: pw('pwchange') };
    dv.seedMaildir('pwchange', 'INBOX', seedMessages(2, 'pwchange'));
    const core = await openCore(undefined, passwords);
    cores.push(core);
    core.ensureAccount(imapAccount('pwchange', dv.port, { smtpPort: smtp.port }));
    await core.refreshFolders('pwchange');
    assert.ok((await syncOnce(core, ['pwchange'])).ok);
    // Changed in the provider's own settings: the server's password file, and the SMTP server's.
    const changed = 'Changed-Pw-on-server-77';
    smtpUsers.pwchange = changed;
    dv.users.pwchange = changed;
    fs.writeFileSync(path.join(dv.dir, 'users'), Object.entries(dv.users).map(([u, p]) => `${u}:{PLAIN}${p}\n`).join(''));
    // As providers do on a password change, the sessions open with the old one are ended.
    const doveadm = (...args: string[]) => execFileSync('doveadm', ['-c', path.join(dv.dir, 'dovecot.conf'), ...args], { encoding: 'utf8', stdio: 'pipe' });
    // Dovecot reads its password file again at most once a second: wait until the new password logs in.
    for (;;) {
      const c = await dv.connect('pwchange', changed).catch(() => undefined);
      if (c) {
        await c.logout();
        break;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    doveadm('kick', 'pwchange');
    while (doveadm('who', 'pwchange').includes('pwchange')) await new Promise((r) => setTimeout(r, 20));
    const r = await syncOnce(core, ['pwchange']);
    assert.equal(r.ok, false);
    const [hit] = one(await check(core, 'pwchange'), 'auth.status');
    assert.equal(hit.status, 'fail', hit.detail);
    assert.match(hit.detail, /IMAP 127\.0\.0\.1:\d+: the server rejected the user name or password.*SMTP 127\.0\.0\.1:\d+: the server rejected the user name or password/);
    assert.match(hit.remedy, /password/);
    assert.equal(hit.section, 'Mailbox is disconnected');
    assert.deepEqual(hit.action, { title: 'Enter Password', command: 'maildesk.enterPassword', args: [{ kind: 'account', accountId: 'pwchange' }] });
    // The account is opened with a credential source reading this map: what Enter Password fills.
    passwords.pwchange = changed;
    core.resume('pwchange');
    // resume() hands the account a new connection first, then un-pauses its jobs.
    while (core.store.listJobs('pwchange').some((j) => j.status === 'paused')) await new Promise((r) => setTimeout(r, 20));
    assert.ok((await syncOnce(core, ['pwchange'])).ok);
    assert.equal(one(await check(core, 'pwchange'), 'auth.status')[0].status, 'pass');
  });

  it('"Mailbox is disconnected": the IMAP server goes down; incoming.connect fails at the "tcp" step with Test Incoming Server, and passes again once the server is back', async () => {
    const down = await startDovecot({ users: { down: pw('down') } });
    try {
      down.seedMaildir('down', 'INBOX', seedMessages(2, 'down'));
      const core = await openCore(undefined, { down: pw('down') });
      cores.push(core);
      core.ensureAccount(imapAccount('down', down.port, { smtpPort: smtp.port }));
      await core.refreshFolders('down');
      assert.ok((await syncOnce(core, ['down'])).ok);
      await down.stop();
      assert.equal((await syncOnce(core, ['down'], { maxAttempts: 1 })).ok, false);
      const [hit] = one(await check(core, 'down'), 'incoming.connect');
      assert.equal(hit.status, 'fail', hit.detail);
      assert.match(hit.detail, new RegExp(`IMAP 127\\.0\\.0\\.1:${down.port}: step "tcp" failed: .*refused`));
      assert.match(hit.remedy, /the server may be down or a firewall may block the port/);
      assert.equal(hit.section, 'Mailbox is disconnected');
      assert.deepEqual(hit.action, { title: 'Test Incoming Server', command: 'maildesk.testIncoming', args: [{ kind: 'account', accountId: 'down' }] });
      await down.start();
      // Back means logging in again: for a moment after its port opens, Dovecot's auth process
      // may not answer yet (NO [UNAVAILABLE] "Temporary authentication failure").
      let back = one(await check(core, 'down'), 'incoming.connect')[0];
      for (const until = Date.now() + 10_000; back.status !== 'pass' && Date.now() < until; ) {
        await new Promise((r) => setTimeout(r, 200));
        back = one(await check(core, 'down'), 'incoming.connect')[0];
      }
      assert.equal(back.status, 'pass', back.detail);
    } finally {
      await down.dispose();
    }
  });
});
