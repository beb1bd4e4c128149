/**
 * Failures a user meets: the server going away mid-sync, a wrong password, one folder
 * failing while the others sync. Mail already fetched is never lost or duplicated.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import { MailStore } from '../../src/core/store/store';
import { syncOnce } from '../../src/core/sync/once';
import { requireDovecot, startDovecot } from '../support/dovecot';
import { imapAccount, openCore, tempDir } from '../support/core';
import { rawMessage } from '../support/rawmail';
import { seedMessages } from '../support/seed';
import { rawSql } from '../support/rawStoreSql';

/** Held UIDs and how many distinct ones: equal when nothing is duplicated. */
function uidCounts(store: MailStore, folderId: number): { rows: number; distinct: number; messages: number } {
  const r = rawSql(store).get<{ rows: number; uniq: number }>('SELECT COUNT(*) AS rows, COUNT(DISTINCT uid) AS uniq FROM memberships WHERE folder_id = ? AND missing_since IS NULL', [folderId])!;
  const m = rawSql(store).get<{ n: number }>('SELECT COUNT(DISTINCT message_id) AS n FROM memberships WHERE folder_id = ?', [folderId])!;
  return { rows: r.rows, distinct: r.uniq, messages: m.n };
}

describe('faults during IMAP sync (Dovecot)', function () {
  const cleanup: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const f of cleanup.splice(0).reverse()) await f();
  });
  before(function () {
    requireDovecot(this);
  });

  it('server stopped mid-sync and back: the account shows disconnected, then every message arrives exactly once', async function () {
    const dv = await startDovecot();
    cleanup.push(() => dv.dispose());
    dv.seedMaildir('alice', 'INBOX', seedMessages(3000));
    const dir = tempDir();
    cleanup.push(() => fs.rmSync(dir, { recursive: true, force: true }));
    const c = await openCore(dir, { alice: 'secret' }, { imap: { firstPageSize: 100, pageSize: 100 } });
    cleanup.push(() => c.close().catch(() => undefined));
    await c.addAccount(imapAccount('alice', dv.port));
    const inbox = c.store.getFolder('alice', 'INBOX')!.id;

    // Stop the server as soon as part of the history is in.
    let stopping: Promise<void> | undefined;
    const sub = c.onDidChange(() => {
      if (!stopping && c.store.localCounts(inbox).total >= 500) stopping = dv.stop();
    });
    const first = await syncOnce(c, ['alice'], { maxAttempts: 2 });
    sub.dispose();
    await stopping;
    assert.ok(stopping, 'the sync finished before the server could be stopped');
    assert.equal(first.ok, false, 'a sync against a stopped server cannot be in step');
    const partial = c.store.localCounts(inbox).total;
    assert.ok(partial >= 500 && partial < 3000, `partial progress ${partial}`);
    assert.equal(c.store.getAccount('alice')?.state, 'disconnected');
    assert.match(c.store.getAccount('alice')?.stateCode ?? '', /^net\./);
    assert.ok(first.failed.some((j) => j.id === 'alice:backfill:INBOX' && /^net\./.test(j.errorCode ?? '')), JSON.stringify(first.failed.map((j) => [j.id, j.errorCode])));
    // Mail already fetched is still shown while offline.
    assert.equal(c.store.listMessages(inbox, { limit: 1 })[0].subject, 'Msg 2999');

    await dv.start();
    const second = await syncOnce(c, ['alice']);
    assert.ok(second.ok, second.failed.map((j) => `${j.id}: ${j.errorMessage}`).join('; '));
    assert.deepEqual(uidCounts(c.store, inbox), { rows: 3000, distinct: 3000, messages: 3000 });
    assert.equal(c.store.localCounts(inbox).total, 3000);
    assert.equal(c.store.getAccount('alice')?.state, 'connected');
    const subjects = c.store.listMessages(inbox, { limit: 5000 }).map((m) => m.subject);
    assert.equal(new Set(subjects).size, 3000);
    assert.equal(subjects[2999], 'Msg 0');
  });

  it('wrong password: the account is paused as disconnected, no retry storm, mail kept; fixing it resumes', async () => {
    const dv = await startDovecot();
    cleanup.push(() => dv.dispose());
    dv.seedMaildir('alice', 'INBOX', seedMessages(25));
    const dir = tempDir();
    cleanup.push(() => fs.rmSync(dir, { recursive: true, force: true }));
    const good = await openCore(dir, { alice: 'secret' });
    await good.addAccount(imapAccount('alice', dv.port));
    assert.ok((await syncOnce(good, ['alice'])).ok);
    await good.close();

    // The password was changed elsewhere: the app restarts with the old one.
    const passwords = { alice: 'not-the-password' };
    const c = await openCore(dir, passwords);
    cleanup.push(() => c.close().catch(() => undefined));
    const inbox = c.store.getFolder('alice', 'INBOX')!.id;
    const mismatches = (): number => dv.logTail(100_000).split('\n').filter((l) => /Password mismatch/i.test(l)).length;
    const logBefore = mismatches();
    const r = await syncOnce(c, ['alice']);
    assert.equal(r.ok, false);
    const acc = c.store.getAccount('alice')!;
    assert.equal(acc.state, 'disconnected');
    assert.equal(acc.stateCode, 'auth.failed');
    assert.match(acc.stateReason ?? '', /password|log ?in|auth/i);
    const jobs = c.store.listJobs('alice');
    assert.ok(jobs.filter((j) => j.kind === 'sync').every((j) => j.status === 'paused'), JSON.stringify(jobs.map((j) => [j.id, j.status])));
    assert.equal(c.store.localCounts(inbox).total, 25, 'mail is kept while the password is wrong');
    // At most one login per connection the account may open at once, and none after the pause.
    await new Promise((res) => setTimeout(res, 500));
    const failedLogins = mismatches() - logBefore;
    assert.ok(failedLogins >= 1 && failedLogins <= 3, `${failedLogins} failed logins: a wrong password must not be retried in a loop (servers lock accounts)`);

    passwords.alice = 'secret';
    c.resume('alice');
    await new Promise((res) => setTimeout(res, 100));
    await dv.append('alice', 'INBOX', rawMessage({ from: 'carol@example.test', to: 'alice@example.test', subject: 'After the fix', date: new Date(Date.UTC(2026, 0, 1)), text: 'x' }));
    const again = await syncOnce(c, ['alice']);
    assert.ok(again.ok, again.failed.map((j) => `${j.id}: ${j.errorMessage}`).join('; '));
    assert.equal(c.store.getAccount('alice')?.state, 'connected');
    assert.equal(c.store.listMessages(inbox, { limit: 1 })[0].subject, 'After the fix');
    assert.equal(c.store.localCounts(inbox).total, 26);
  });

  it('a folder that fails does not stop the others; its mail is kept and the error names it', async () => {
    const dv = await startDovecot({ extraFolders: ['Lists/Rust', 'Lists/Go'] });
    cleanup.push(() => dv.dispose());
    dv.seedMaildir('alice', 'INBOX', seedMessages(10, 'Inbox'));
    dv.seedMaildir('alice', 'Lists/Rust', seedMessages(6, 'Rust'));
    dv.seedMaildir('alice', 'Lists/Go', seedMessages(4, 'Go'));
    const c = await openCore(undefined, { alice: 'secret' });
    cleanup.push(() => c.close().catch(() => undefined));
    await c.addAccount(imapAccount('alice', dv.port, { folders: ['INBOX', 'Lists/Rust', 'Lists/Go'] }));
    assert.ok((await syncOnce(c, ['alice'])).ok);
    const rust = c.store.getFolder('alice', 'Lists/Rust')!.id;

    // Rust disappears on the server (deleted by another client); new mail lands in the others.
    await dv.deleteFolder('alice', 'Lists/Rust');
    await dv.append('alice', 'INBOX', rawMessage({ from: 'carol@example.test', to: 'alice@example.test', subject: 'Inbox news', date: new Date(Date.UTC(2026, 0, 1)), text: 'x' }));
    await dv.append('alice', 'Lists/Go', rawMessage({ from: 'gopher@example.test', to: 'alice@example.test', subject: 'Go news', date: new Date(Date.UTC(2026, 0, 1)), text: 'x' }));
    const r = await syncOnce(c, ['alice']);

    assert.equal(r.ok, false, JSON.stringify(c.store.listJobs().map((j) => [j.id, j.status, j.errorCode])));
    assert.ok(r.failed.length >= 1 && r.failed.every((j) => j.id.endsWith(':Lists/Rust')), `only Rust's jobs may fail: ${r.failed.map((j) => j.id).join(', ')}`);
    const failed = r.failed[0];
    assert.equal(failed.errorCode, 'folder.notFound');
    assert.match(failed.errorMessage ?? '', /Lists\/Rust/);
    assert.equal(c.store.listMessages(c.store.getFolder('alice', 'INBOX')!.id, { limit: 1 })[0].subject, 'Inbox news');
    assert.equal(c.store.listMessages(c.store.getFolder('alice', 'Lists/Go')!.id, { limit: 1 })[0].subject, 'Go news');
    assert.notEqual(c.store.getAccount('alice')?.state, 'disconnected', 'one bad folder does not disconnect the account');
    assert.equal(c.store.localCounts(rust).total, 6, 'mail of the failing folder is kept');
    for (const j of c.store.listJobs('alice').filter((x) => !x.id.endsWith(':Lists/Rust'))) assert.notEqual(j.status, 'error', `${j.id} is in error`);
  });
});
