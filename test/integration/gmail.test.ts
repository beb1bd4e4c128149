/**
 * Gmail through the real @googleapis/gmail + google-auth-library against a local Gmail
 * API: labels as folders with one stored message per mail, label changes without
 * re-download, history 404 recovery, Sent replaced by the server copy, rate limits.
 */
import { strict as assert } from 'node:assert';
import { GOOGLE_CLIENT_SECRET_KEY } from '../../src/core/auth/oauthConfig';
import { memorySecretStore, TokenStore } from '../../src/core/auth/tokens';
import type { AccountConfig } from '../../src/core/config';
import { MailDesk, type MailDeskOptions } from '../../src/core/maildesk';
import { ALL_MAIL_PATH } from '../../src/core/providers/gmail/gmailProvider';
import { TokenBucket } from '../../src/core/providers/gmail/quota';
import { syncOnce } from '../../src/core/sync/once';
import { type GoogleServer, startGoogleServer } from '../support/googleServer';

const noPasswords = { password: async () => Promise.reject(new Error('no passwords for OAuth accounts')) };
const EMAIL = 'ana@gmail.example';

function mail(n: number | string, subject = `message ${n}`, extra = ''): string {
  return `From: Bo <bo@example.test>\nTo: ${EMAIL}\nSubject: ${subject}\nMessage-ID: <m${n}@example.test>\nDate: Mon, 6 Jan 2025 10:00:00 +0000\n${extra}\nbody ${n}\n`;
}

describe('Gmail provider (Gmail API on a local server)', function () {
  this.timeout(60_000);
  let g: GoogleServer;
  let core: MailDesk;

  async function open(acc: Partial<AccountConfig> = {}, extra: Partial<MailDeskOptions> = {}): Promise<AccountConfig> {
    const secrets = memorySecretStore({ [GOOGLE_CLIENT_SECRET_KEY]: g.clientSecret });
    await new TokenStore(secrets).save('g', { refreshToken: g.issueRefreshToken() });
    core = await MailDesk.open({
      credentials: noPasswords,
      secrets,
      oauth: { google: { clientId: g.clientId, authBaseUrl: g.baseUrl, apiBaseUrl: g.baseUrl } },
      idle: false,
      backoffBaseMs: 20,
      send: { sentCheckDelaysMs: [] },
      ...extra,
    });
    const cfg: AccountConfig = { id: 'g', provider: 'gmail', email: EMAIL, ...acc };
    await core.addAccount(cfg);
    return cfg;
  }

  const folder = (path: string) => core.store.getFolder('g', path)!;
  const subjects = (path: string) => core.store.listMessages(folder(path).id, { limit: 1000 }).map((m) => m.subject).sort();

  beforeEach(async () => {
    g = await startGoogleServer({ email: EMAIL });
  });
  afterEach(async () => {
    await core?.close();
    await g.close();
  });

  it('shows system labels, user labels and All Mail as folders with roles', async () => {
    g.addLabel('Work');
    g.addLabel('Work/Projects');
    await open();
    const fs = core.store.listFolders('g');
    const byPath = new Map(fs.map((f) => [f.path, f]));
    assert.equal(byPath.get('INBOX')?.role, 'inbox');
    assert.equal(byPath.get('SENT')?.role, 'sent');
    assert.equal(byPath.get('DRAFT')?.role, 'drafts');
    assert.equal(byPath.get('SPAM')?.role, 'junk');
    assert.equal(byPath.get('TRASH')?.role, 'trash');
    assert.equal(byPath.get('STARRED')?.role, 'flagged');
    assert.equal(byPath.get('IMPORTANT')?.role, 'important');
    assert.equal(byPath.get(ALL_MAIL_PATH)?.name, 'All Mail');
    assert.equal(byPath.get('Work/Projects')?.name, 'Projects');
    assert.equal(byPath.get('Work/Projects')?.delimiter, '/');
    assert.ok(!byPath.has('UNREAD') && !byPath.has('CATEGORY_PROMOTIONS'), 'UNREAD and categories are not folders');
    // Inbox, Sent and Drafts are selected by default.
    assert.deepEqual(fs.filter((f) => f.selected).map((f) => f.path).sort(), ['DRAFT', 'INBOX', 'SENT']);
  });

  it('stores a message under three labels once, and a label change moves it without a re-download', async () => {
    const work = g.addLabel('Work');
    const later = g.addLabel('Later');
    const id = g.addMessage(mail(1, 'three labels'), ['INBOX', 'IMPORTANT', work, 'UNREAD']);
    await open({ folders: ['INBOX', 'IMPORTANT', 'Work', 'Later', ALL_MAIL_PATH] });
    await syncOnce(core, ['g']);
    const st = core.store.stats();
    assert.equal(st.messages, 1, 'one message row');
    assert.equal(st.memberships, 4, 'Inbox, Important, Work and All Mail');
    for (const p of ['INBOX', 'IMPORTANT', 'Work', ALL_MAIL_PATH]) assert.deepEqual(subjects(p), ['three labels'], p);
    assert.deepEqual(subjects('Later'), []);
    assert.equal(g.count('messages.get:metadata'), 1, 'fetched once for all its labels');
    assert.equal(g.count('messages.get:raw'), 1, 'its body too: by one folder\'s bodies job, not one per label');
    const m = core.store.listMessages(folder('INBOX').id)[0];
    assert.ok(!m.flags.includes('\\Seen'), 'UNREAD label → unread');

    // On the server: archived out of Inbox, moved from Work to Later, read and starred.
    g.modify(id, [later, 'STARRED'], ['INBOX', work, 'UNREAD']);
    const gets = g.count('messages.get');
    for (const j of core.store.listJobs('g')) if (j.kind === 'sync') core.store.updateJob(j.id, { status: 'pending', nextRun: 0 });
    await syncOnce(core, ['g']);
    assert.deepEqual(subjects('INBOX'), []);
    assert.deepEqual(subjects('Work'), []);
    assert.deepEqual(subjects('Later'), ['three labels']);
    assert.deepEqual(subjects(ALL_MAIL_PATH), ['three labels']);
    assert.equal(g.count('messages.get'), gets, 'no re-download for a label change');
    assert.equal(core.store.stats().messages, 1);
    const after = core.store.listMessages(folder('Later').id)[0];
    assert.ok(after.flags.includes('\\Seen') && after.flags.includes('\\Flagged'));

    // Deleted on the server: gone locally.
    g.deleteMessage(id);
    for (const j of core.store.listJobs('g')) if (j.kind === 'sync') core.store.updateJob(j.id, { status: 'pending', nextRun: 0 });
    await syncOnce(core, ['g']);
    assert.equal(core.store.stats().messages, 0);
  });

  it('fills newest first and resumes the backfill from the saved page token', async () => {
    for (let i = 1; i <= 5; i++) g.addMessage(mail(i), ['INBOX'], Date.parse('2025-01-01') + i * 60_000);
    await open({ folders: ['INBOX'] }, { gmail: { firstPageSize: 2, pageSize: 2 } });
    const inbox = folder('INBOX');
    await core.scheduler.runJob(core.store.getJob('g:sync:INBOX')!);
    assert.deepEqual(subjects('INBOX'), ['message 4', 'message 5'], 'the newest page first');
    assert.equal(core.store.getSyncState(inbox.id).backfillCursor, '2');
    await core.scheduler.runJob(core.store.getJob('g:backfill:INBOX')!);
    assert.equal(core.store.getSyncState(inbox.id).backfillCursor, '4');
    assert.equal(subjects('INBOX').length, 4);
    // A new process (new provider) continues from the saved token, not from the start.
    await core.stop();
    const lists = g.count('messages.list');
    await core.scheduler.runJob(core.store.getJob('g:backfill:INBOX')!);
    assert.equal(g.count('messages.list') - lists, 1);
    assert.equal(subjects('INBOX').length, 5);
    assert.equal(core.store.getSyncState(inbox.id).backfillDone, true);
    assert.equal(g.count('messages.get'), 5, 'each message fetched once');
  });

  it('recovers from a history 404 without losing local-only mail and without duplicates', async () => {
    for (let i = 1; i <= 4; i++) g.addMessage(mail(i), ['INBOX'], Date.parse('2025-01-01') + i * 60_000);
    await open({ folders: ['INBOX', 'SENT'] }, { gmail: { firstPageSize: 2, pageSize: 2 } });
    await syncOnce(core, ['g']);
    assert.equal(subjects('INBOX').length, 4);
    // A local-only entry (a Sent copy not yet on the server) must survive the reset.
    core.store.insertLocalMessage(folder('INBOX').id, { messageId: '<local@x>', subject: 'local only', flags: ['\\Seen'] });
    const resetsBefore = core.store.getSyncState(folder('INBOX').id).resetCount;

    g.addMessage(mail(5), ['INBOX'], Date.parse('2025-01-01') + 5 * 60_000);
    g.expireHistory(); // the saved historyId is now too old: history.list answers 404
    for (const j of core.store.listJobs('g')) if (j.kind === 'sync') core.store.updateJob(j.id, { status: 'pending', nextRun: 0 });
    await syncOnce(core, ['g']);
    const st = core.store.getSyncState(folder('INBOX').id);
    assert.equal(st.resetCount, resetsBefore + 1, 'the folder was reset');
    assert.equal(st.backfillDone, true, 'and filled again to the end');
    assert.deepEqual(subjects('INBOX'), ['local only', 'message 1', 'message 2', 'message 3', 'message 4', 'message 5']);
    assert.equal(core.store.stats().messages, 6, 'no duplicates');
    assert.equal(core.store.getAccount('g')!.state, 'connected');
  });

  it('sent mail appears once: users.messages.send, then the server copy replaces the local Sent entry', async () => {
    await open({ folders: ['INBOX', 'SENT'] });
    await syncOnce(core, ['g']);
    const r = await core.send('g', { to: ['bo@example.test'], bcc: ['hidden@example.test'], subject: 'hello from MailDesk', text: 'hi' });
    assert.ok(r.ok, r.error?.message);
    assert.equal(g.count('messages.send'), 1);
    assert.equal(r.sentFolder, 'SENT');
    assert.match(g.lastSent!.toString(), /^Bcc: hidden@example\.test/m, 'Bcc recipients reach Gmail');
    const sent = folder('SENT');
    const local = core.store.listMessages(sent.id);
    assert.equal(local.length, 1);
    assert.equal(local[0].origin, 'local', 'shown at once as a local entry');

    await syncOnce(core, ['g']);
    const after = core.store.listMessages(sent.id);
    assert.equal(after.length, 1, 'exactly one Sent entry');
    assert.equal(after[0].origin, 'remote', 'the local entry became the server copy');
    assert.equal(after[0].messageId, r.messageId);
    assert.equal(core.store.stats().messages, 1);
    assert.equal([...g.messages.values()].filter((m) => m.labelIds.has('SENT')).length, 1, 'Gmail keeps its own copy; nothing was appended');
  });

  it('drafts: saved through the drafts API, each save updates the one draft, reopening continues it, sending removes it', async () => {
    await open({ folders: ['INBOX', 'SENT', 'DRAFT'] });
    await syncOnce(core, ['g']);
    const rawDrafts = () => g.draftList().map((d) => d.raw);
    const ref = await core.saveDraft('g', { to: ['bo@example.test'], bcc: ['hidden@example.test'], subject: 'Plan v1', text: 'first version' });
    assert.equal(ref.server, 'saved', ref.serverError);
    assert.equal(g.drafts.size, 1, 'one draft in Gmail');
    const [first] = g.draftList();
    assert.match(first.raw, /Subject: Plan v1/);
    assert.ok(first.raw.includes(`Message-ID: ${ref.messageId}`), 'the draft keeps MailDesk\'s Message-ID');
    assert.match(first.raw, /^Bcc: hidden@example\.test/m, 'Bcc is kept in the draft');
    assert.ok(g.messages.get(first.messageId)!.labelIds.has('DRAFT'));
    assert.equal(core.listDrafts('g')[0].savedOnServer, true);
    await syncOnce(core, ['g']);
    let shown = core.store.listMessages(folder('DRAFT').id);
    assert.deepEqual(shown.map((m) => [m.subject, m.origin]), [['Plan v1', 'remote']], 'the Gmail draft replaced the local entry');

    // Reopened in MailDesk and saved again: the same Gmail draft, updated, not a second one.
    const opened = core.openDraft('g', ref.id);
    assert.equal(opened.subject, 'Plan v1');
    assert.equal(opened.messageId, ref.messageId);
    const ref2 = await core.saveDraft('g', { ...opened, subject: 'Plan v2', text: 'second version' });
    assert.equal(ref2.id, ref.id);
    assert.equal(ref2.server, 'saved', ref2.serverError);
    assert.equal(g.drafts.size, 1, 'still one draft');
    assert.equal(g.draftList()[0].id, first.id, 'the same draft, updated in place');
    assert.match(rawDrafts()[0], /Subject: Plan v2/);
    assert.match(rawDrafts()[0], /second version/);
    assert.equal(g.count('drafts.create'), 1);
    assert.equal(g.count('drafts.update'), 1);
    assert.equal([...g.messages.values()].filter((m) => m.labelIds.has('DRAFT')).length, 1, 'one draft message under the DRAFT label');
    await syncOnce(core, ['g']);
    shown = core.store.listMessages(folder('DRAFT').id);
    assert.deepEqual(shown.map((m) => [m.subject, m.origin]), [['Plan v2', 'remote']], 'one Drafts entry, the new version');
    assert.match((await core.messageSource(shown[0].id, shown[0].folderId)).toString(), /second version/);

    // Discarded in webmail meanwhile: the next save creates it again, still one.
    const d = g.draftList()[0];
    g.deleteMessage(d.messageId);
    g.drafts.delete(d.id);
    const ref3 = await core.saveDraft('g', { ...core.openDraft('g', ref.id), subject: 'Plan v3' });
    assert.equal(ref3.server, 'saved', ref3.serverError);
    assert.equal(g.drafts.size, 1);
    assert.match(rawDrafts()[0], /Subject: Plan v3/);

    // Sent: the Gmail draft is gone and the message is in Sent once.
    const r = await core.send('g', { draftId: ref.id });
    assert.ok(r.ok, r.error?.message);
    assert.equal(r.warning, undefined);
    assert.match(g.lastSent!.toString(), /Subject: Plan v3/);
    assert.equal(g.drafts.size, 0, 'no draft left in Gmail');
    assert.equal([...g.messages.values()].filter((m) => m.labelIds.has('DRAFT')).length, 0);
    assert.deepEqual(core.listDrafts('g'), []);
    await syncOnce(core, ['g']);
    assert.deepEqual(core.store.listMessages(folder('DRAFT').id).map((m) => m.subject), [], 'Drafts is empty after sync');
    const sent = core.store.listMessages(folder('SENT').id);
    assert.deepEqual(sent.map((m) => [m.subject, m.origin, m.messageId]), [['Plan v3', 'remote', ref.messageId]], 'in Sent once, the Gmail copy');
    assert.equal([...g.messages.values()].filter((m) => m.labelIds.has('SENT')).length, 1);
  });

  it('a discarded draft leaves Gmail too', async () => {
    await open({ folders: ['INBOX', 'DRAFT'] });
    const ref = await core.saveDraft('g', { to: ['bo@example.test'], subject: 'never mind', text: 'x' });
    assert.equal(g.drafts.size, 1);
    await core.deleteDraft('g', ref.id);
    assert.equal(g.drafts.size, 0);
    await syncOnce(core, ['g']);
    assert.deepEqual(core.store.listMessages(folder('DRAFT').id), []);
  });

  it('honours 429 Retry-After and 403 rateLimitExceeded, and is never paused for it', async () => {
    g.addMessage(mail(1), ['INBOX']);
    await open({ folders: ['INBOX'] });
    g.throttle = { remaining: 1, status: 429, retryAfter: 1, path: /\/messages$/ };
    await core.scheduler.runJob(core.store.getJob('g:sync:INBOX')!);
    const t = g.times.get('messages.list')!;
    assert.equal(t.length, 2);
    assert.ok(t[1] - t[0] >= 950, `waited ${t[1] - t[0]} ms for Retry-After: 1`);
    assert.deepEqual(subjects('INBOX'), ['message 1']);

    g.addMessage(mail(2), ['INBOX']);
    g.throttle = { remaining: 1, status: 403, retryAfter: 1, path: /\/history$/ };
    await core.scheduler.runJob(core.store.getJob('g:sync:INBOX')!);
    assert.deepEqual(subjects('INBOX'), ['message 1', 'message 2']);

    // Still throttled after the retries: a rate-limit error with back-off, the account not paused.
    g.addMessage(mail(3), ['INBOX']);
    g.throttle = { remaining: 100, status: 429, retryAfter: 0 };
    await core.scheduler.runJob(core.store.getJob('g:sync:INBOX')!);
    const job = core.store.getJob('g:sync:INBOX')!;
    assert.equal(job.status, 'error');
    assert.equal(job.errorCode, 'server.rateLimited');
    assert.notEqual(core.store.getAccount('g')!.state, 'reauth');
    assert.ok(job.nextRun! > Date.now() - 1000, 'retried later');
  });

  it('the quota bucket spaces requests to stay within the per-user units', async () => {
    let now = 0;
    const waits: number[] = [];
    const b = new TokenBucket(600, () => now, async (ms) => {
      waits.push(ms);
      now += ms;
    });
    // 600 units a minute = 10 a second; the burst allowance is 100 units.
    for (let i = 0; i < 40; i++) await b.take(5); // 40 messages.get = 200 units
    assert.ok(now >= 10_000, `200 units took ${now} ms of quota time`);
    assert.ok(waits.length > 0);
  });
});
