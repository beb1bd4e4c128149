/**
 * IMAP sync against a real Dovecot: fill order, incremental changes, a recreated folder,
 * folder selection, the CONDSTORE-less fallback, IDLE and the deep backfill.
 * One Dovecot per server configuration; each test uses its own mail user so tests
 * do not see each other's mail.
 */
import { strict as assert } from 'node:assert';
import type { MailDesk } from '../../src/core/maildesk';
import { syncOnce } from '../../src/core/sync/once';
import { requireDovecot, startDovecot, type Dovecot } from '../support/dovecot';
import { imapAccount, openCore } from '../support/core';
import { rawMessage } from '../support/rawmail';
import { seedMessages } from '../support/seed';
import { rawSql } from '../support/rawStoreSql';

const USERS = ['fill', 'changes', 'recreate', 'select', 'idle', 'deep', 'plain'];

function folderId(core: MailDesk, account: string, path: string): number {
  const f = core.store.getFolder(account, path);
  assert.ok(f, `folder ${path} is not in the store`);
  return f.id;
}

/** Subjects shown for a folder, newest first, as the message list shows them. */
function shown(core: MailDesk, account: string, path: string, limit = 10_000): string[] {
  return core.store.listMessages(folderId(core, account, path), { limit }).map((m) => m.subject);
}

async function waitFor(what: string, cond: () => boolean, timeoutMs = 8_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function assertInStep(r: { ok: boolean; failed: Array<{ id: string; errorMessage: string | null }> }): void {
  assert.ok(r.ok, `sync failed: ${r.failed.map((j) => `${j.id}: ${j.errorMessage}`).join('; ')}`);
}

describe('IMAP sync against Dovecot', function () {
  let dv: Dovecot;
  const cores: MailDesk[] = [];
  const passwords = Object.fromEntries(USERS.map((u) => [u, 'secret']));

  async function core(extra: Parameters<typeof openCore>[2] = {}): Promise<MailDesk> {
    const c = await openCore(undefined, passwords, extra);
    cores.push(c);
    return c;
  }

  before(async function () {
    requireDovecot(this);
    dv = await startDovecot({
      users: Object.fromEntries(USERS.map((u) => [u, 'secret'])),
      specialFolders: ['Trash', 'Archive'],
      extraFolders: ['Lists/Rust'],
    });
  });
  afterEach(async () => {
    for (const c of cores.splice(0)) await c.close().catch(() => undefined);
  });
  after(async () => {
    await dv?.dispose();
  });

  it('fills newest mail first, then older history page by page, and ends with every message exactly once', async () => {
    dv.seedMaildir('fill', 'INBOX', seedMessages(350));
    const c = await core({ imap: { firstPageSize: 100, pageSize: 100 } });
    await c.addAccount(imapAccount('fill', dv.port));
    const inbox = folderId(c, 'fill', 'INBOX');
    const steps: Array<{ count: number; min: number | null; max: number | null }> = [];
    c.onDidChange((ch) => {
      if (!ch.folders.has(inbox)) return;
      const b = c.store.uidBounds(inbox);
      const last = steps[steps.length - 1];
      if (b.count && (!last || last.count !== b.count)) steps.push(b);
    });

    assertInStep(await syncOnce(c, ['fill']));

    // What a user sees: the newest 100 first, then older history arriving below it, never a gap
    // at the top. Both are stored a few dozen rows per turn of the event loop, so the editor
    // stays responsive: the first page may show in parts, the newest message in the first.
    assert.equal(steps[0].max, 350);
    assert.ok(
      steps.some((s) => s.count === 100 && s.min === 251),
      `the newest 100 are all listed before older history: ${JSON.stringify(steps.slice(0, 4))}`,
    );
    assert.deepEqual(steps[steps.length - 1], { count: 350, min: 1, max: 350 });
    for (const [i, s] of steps.entries()) {
      assert.equal(s.max, 350, `step ${i}: the newest message is always there`);
      assert.equal(s.count, 350 - s.min! + 1, `step ${i}: no gap between the oldest shown and the newest`);
      if (i) assert.ok(s.count > steps[i - 1].count, `step ${i}: history only grows`);
    }
    assert.ok(steps.length >= 4, 'older history arrived in several steps, not all at once');
    const list = shown(c, 'fill', 'INBOX');
    assert.equal(list.length, 350);
    assert.deepEqual(list.slice(0, 3), ['Msg 349', 'Msg 348', 'Msg 347']);
    assert.equal(list[349], 'Msg 0');
    assert.equal(new Set(list).size, 350, 'a message is listed twice');
    assert.deepEqual(c.store.localCounts(inbox), { total: 350, unread: 350 });
    assert.equal(c.store.getSyncState(inbox).backfillDone, true);
    const jobs = Object.fromEntries(c.store.listJobs('fill').map((j) => [j.id, j.status]));
    assert.equal(jobs['fill:backfill:INBOX'], 'done');
    assert.equal(jobs['fill:sync:INBOX'], 'ok');
  });

  it('picks up new mail, flag changes and expunges made by another client', async () => {
    dv.seedMaildir('changes', 'INBOX', seedMessages(30));
    const c = await core();
    await c.addAccount(imapAccount('changes', dv.port));
    assertInStep(await syncOnce(c, ['changes']));
    const inbox = folderId(c, 'changes', 'INBOX');
    assert.ok(c.store.getSyncState(inbox).highestModseq, 'CONDSTORE modseq recorded');

    await dv.setFlags('changes', 'INBOX', 5, ['\\Seen', '\\Flagged'], []);
    await dv.setFlags('changes', 'INBOX', 6, ['\\Seen'], []);
    await dv.expunge('changes', 'INBOX', [7, 8]);
    await dv.append('changes', 'INBOX', rawMessage({ from: 'carol@example.test', to: 'changes@example.test', subject: 'Fresh news', date: new Date(Date.UTC(2026, 1, 1)), text: 'x' }));
    assertInStep(await syncOnce(c, ['changes']));

    assert.deepEqual(c.store.getMessageByUid(inbox, 5)?.flags, ['\\Seen', '\\Flagged']);
    assert.deepEqual(c.store.getMessageByUid(inbox, 6)?.flags, ['\\Seen']);
    const list = shown(c, 'changes', 'INBOX');
    assert.equal(list[0], 'Fresh news');
    assert.ok(!list.includes('Msg 6') && !list.includes('Msg 7'), 'expunged messages still shown');
    assert.equal(list.length, 29);
    assert.deepEqual(c.store.localCounts(inbox), { total: 29, unread: 27 });

    // Flags removed elsewhere come back unread; a second cycle purges the expunged rows for good.
    await dv.setFlags('changes', 'INBOX', 5, [], ['\\Seen', '\\Flagged']);
    assertInStep(await syncOnce(c, ['changes']));
    assert.deepEqual(c.store.getMessageByUid(inbox, 5)?.flags, []);
    assert.equal(c.store.localCounts(inbox).unread, 28);
    assertInStep(await syncOnce(c, ['changes']));
    assert.equal(c.store.getMessageByUid(inbox, 7), undefined, 'an expunged message is still in the store two cycles later');
    assert.equal(c.store.stats().messages, 29, 'expunged rows are purged a cycle later');
  });

  it('a folder deleted and recreated on the server (new UIDVALIDITY) is fetched anew: old mail gone, no mix-up', async () => {
    dv.seedMaildir('recreate', 'Projects', seedMessages(20, 'Old'));
    const c = await core();
    await c.addAccount(imapAccount('recreate', dv.port, { folders: ['INBOX', 'Projects'] }));
    assertInStep(await syncOnce(c, ['recreate']));
    const projects = folderId(c, 'recreate', 'Projects');
    assert.equal(c.store.localCounts(projects).total, 20);
    const oldUv = c.store.getSyncState(projects).uidValidity;

    await dv.deleteFolder('recreate', 'Projects');
    await dv.createFolder('recreate', 'Projects');
    dv.seedMaildir('recreate', 'Projects', seedMessages(5, 'New'));
    assertInStep(await syncOnce(c, ['recreate']));

    const st = c.store.getSyncState(projects);
    assert.notEqual(st.uidValidity, oldUv);
    assert.equal(st.resetCount, 1);
    assert.deepEqual(shown(c, 'recreate', 'Projects'), ['New 4', 'New 3', 'New 2', 'New 1', 'New 0']);
    assert.ok(c.log.recent().some((l) => l.level === 'warn' && /UIDVALIDITY changed/.test(l.msg)), 'the reset is logged');
  });

  it('syncs only the selected folders; selecting another one syncs it', async () => {
    dv.seedMaildir('select', 'INBOX', seedMessages(3, 'Inbox'));
    dv.seedMaildir('select', 'Lists/Rust', seedMessages(7, 'Rust'));
    dv.seedMaildir('select', 'Archive', seedMessages(4, 'Archived'));
    const c = await core();
    const folders = await c.addAccount(imapAccount('select', dv.port));
    const selected = folders.filter((f) => f.selected).map((f) => f.path).sort();
    assert.deepEqual(selected, ['Drafts', 'INBOX', 'Sent']);
    assertInStep(await syncOnce(c, ['select']));
    assert.equal(shown(c, 'select', 'INBOX').length, 3);
    assert.deepEqual(shown(c, 'select', 'Lists/Rust'), []);
    assert.deepEqual(shown(c, 'select', 'Archive'), []);
    assert.ok(!c.store.listJobs('select').some((j) => j.id.includes('Lists/Rust')));

    await c.setFolderSelected('select', 'Lists/Rust', true);
    assertInStep(await syncOnce(c, ['select']));
    assert.equal(shown(c, 'select', 'Lists/Rust').length, 7);
    assert.deepEqual(shown(c, 'select', 'Archive'), [], 'an unselected folder stays empty');

    // Unselecting stops its sync: new mail there is not fetched.
    await c.setFolderSelected('select', 'Lists/Rust', false);
    dv.seedMaildir('select', 'Lists/Rust', seedMessages(1, 'Late', { start: 100 }));
    assertInStep(await syncOnce(c, ['select']));
    assert.equal(shown(c, 'select', 'Lists/Rust').length, 7);
    assert.ok(!c.store.listJobs('select').some((j) => j.id.includes('Lists/Rust')));
  });

  it('IDLE: with the engine started, mail appended to INBOX appears without any sync call', async function () {
    dv.seedMaildir('idle', 'INBOX', seedMessages(2));
    // A long interval, so only IDLE can bring the new message in time.
    const c = await core({ idle: true, syncIntervalMs: 10 * 60_000 });
    await c.addAccount(imapAccount('idle', dv.port));
    const inbox = folderId(c, 'idle', 'INBOX');
    c.start();
    await waitFor('first sync', () => c.store.localCounts(inbox).total === 2 && c.store.getJob('idle:sync:INBOX')?.status === 'ok');
    // Give the IDLE connection a moment to be in place.
    await new Promise((r) => setTimeout(r, 1000));
    const t0 = Date.now();
    await dv.append('idle', 'INBOX', rawMessage({ from: 'carol@example.test', to: 'idle@example.test', subject: 'Pushed', date: new Date(Date.UTC(2026, 2, 1)), text: 'x' }));
    await waitFor('the pushed message in the store', () => shown(c, 'idle', 'INBOX')[0] === 'Pushed', 5_000);
    assert.ok(Date.now() - t0 < 5_000);
    assert.equal(c.store.localCounts(inbox).total, 3);
  });

  it('Trigger Backfill (deep) fetches messages the cursor skipped', async () => {
    dv.seedMaildir('deep', 'INBOX', seedMessages(120));
    const c = await core({ imap: { firstPageSize: 50, pageSize: 50 } });
    await c.addAccount(imapAccount('deep', dv.port));
    assertInStep(await syncOnce(c, ['deep']));
    const inbox = folderId(c, 'deep', 'INBOX');
    assert.equal(c.store.localCounts(inbox).total, 120);

    // Lose some rows below the cursor (as an old bug or an interrupted import would):
    // the ordinary sync and backfill consider the folder complete and never look again.
    c.store.tx(() => rawSql(c.store).run('DELETE FROM memberships WHERE folder_id = ? AND uid IN (3, 4, 5, 60, 61)', [inbox]));
    assertInStep(await syncOnce(c, ['deep']));
    assert.equal(c.store.localCounts(inbox).total, 115, 'ordinary sync does not refetch the skipped messages');

    c.triggerBackfill('deep', 'INBOX');
    assertInStep(await syncOnce(c, ['deep']));
    const list = shown(c, 'deep', 'INBOX');
    assert.equal(list.length, 120);
    assert.equal(new Set(list).size, 120);
    for (const s of ['Msg 2', 'Msg 3', 'Msg 4', 'Msg 59', 'Msg 60']) assert.ok(list.includes(s), `${s} still missing`);
    assert.equal(c.store.getSyncState(inbox).deepBackfill, false);
    assert.equal(c.store.getJob('deep:backfill:INBOX')?.status, 'done');
  });
});

describe('IMAP sync against Dovecot without CONDSTORE/QRESYNC', function () {
  let dv: Dovecot;
  let c: MailDesk | undefined;

  before(async function () {
    requireDovecot(this);
    dv = await startDovecot({
      extraConfig: 'protocol imap {\n  imap_capability = IMAP4rev1 LITERAL+ SASL-IR LOGIN-REFERRALS ID ENABLE IDLE NAMESPACE UIDPLUS MOVE SPECIAL-USE LIST-EXTENDED LIST-STATUS\n}\n',
    });
  });
  after(async () => {
    await c?.close().catch(() => undefined);
    await dv?.dispose();
  });

  it('falls back to a plain UID and flag comparison: flags, expunges and new mail still arrive', async () => {
    dv.seedMaildir('alice', 'INBOX', seedMessages(40));
    c = await openCore(undefined, { alice: 'secret' }, { imap: { firstPageSize: 25, pageSize: 25 } });
    await c.addAccount(imapAccount('alice', dv.port));
    const caps = await c.provider('alice').capabilities();
    assert.ok(!caps.raw.includes('CONDSTORE') && !caps.raw.includes('QRESYNC'), `server still offers ${caps.raw.join(' ')}`);
    assertInStep(await syncOnce(c, ['alice']));
    const inbox = folderId(c, 'alice', 'INBOX');
    assert.equal(c.store.localCounts(inbox).total, 40);
    assert.equal(c.store.getSyncState(inbox).highestModseq, null, 'no modseq without CONDSTORE');

    await dv.setFlags('alice', 'INBOX', 2, ['\\Seen'], []);
    await dv.setFlags('alice', 'INBOX', 39, ['\\Flagged'], []);
    await dv.expunge('alice', 'INBOX', [10, 30]);
    await dv.append('alice', 'INBOX', rawMessage({ from: 'carol@example.test', to: 'alice@example.test', subject: 'After the fallback', date: new Date(Date.UTC(2026, 0, 5)), text: 'x' }));
    assertInStep(await syncOnce(c, ['alice']));

    assert.deepEqual(c.store.getMessageByUid(inbox, 2)?.flags, ['\\Seen']);
    assert.deepEqual(c.store.getMessageByUid(inbox, 39)?.flags, ['\\Flagged']);
    const list = shown(c, 'alice', 'INBOX');
    assert.equal(list[0], 'After the fallback');
    assert.equal(list.length, 39);
    assert.ok(!list.includes('Msg 9') && !list.includes('Msg 29'));
    assert.equal(c.store.localCounts(inbox).unread, 38);
  });
});
