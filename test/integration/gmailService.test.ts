/**
 * Gmail as the service behaves (issue 17), against the local Gmail API made to follow the
 * documentation: big messages through the upload URI and a clear send.tooLarge above
 * 35 MB, replies and reply drafts in their Gmail thread, Spam and Trash out of every label
 * folder, Delete and Archive as Gmail's buttons, the 429 lockout whose end is only in the
 * message text, and the 7-day end of a "Testing" app's sign-in explained.
 */
import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { GOOGLE_CLIENT_SECRET_KEY, GOOGLE_SETUP_STEPS } from '../../src/core/auth/oauthConfig';
import { memorySecretStore, type StoredTokens, TokenStore } from '../../src/core/auth/tokens';
import type { AccountConfig } from '../../src/core/config';
import { MailDesk, type MailDeskOptions } from '../../src/core/maildesk';
import { parseMessage } from '../../src/core/mime/parse';
import { ALL_MAIL_PATH, GmailProvider } from '../../src/core/providers/gmail/gmailProvider';
import { forwardDraft, replyDraft } from '../../src/core/send/compose';
import { syncOnce } from '../../src/core/sync/once';
import { listThreads, threadKeyOf, threadMessages } from '../../src/core/threads/threads';
import { type GoogleServer, PLAIN_BODY_LIMIT, startGoogleServer, TESTING_REFRESH_TOKEN_MS } from '../support/googleServer';
import { rawSql } from '../support/rawStoreSql';

const noPasswords = { password: async () => Promise.reject(new Error('no passwords for OAuth accounts')) };
const EMAIL = 'ana@gmail.example';
const MB = 1024 * 1024;

function mail(n: number | string, subject = `message ${n}`): string {
  return `From: Bo <bo@example.test>\nTo: ${EMAIL}\nSubject: ${subject}\nMessage-ID: <m${n}@example.test>\nDate: Mon, 6 Jan 2025 10:00:00 +0000\n\nbody ${n}\n`;
}

describe('Gmail as the service behaves (uploads, threads, label views, lockouts, Testing sign-ins)', function () {
  this.timeout(60_000);
  let g: GoogleServer;
  let core: MailDesk | undefined;

  /** A MailDesk signed in to the local Gmail (a refresh token in its secrets), without an account yet. */
  async function options(extra: Partial<MailDeskOptions> = {}, tokens?: Partial<StoredTokens>): Promise<MailDeskOptions> {
    const secrets = memorySecretStore({ [GOOGLE_CLIENT_SECRET_KEY]: g.clientSecret });
    await new TokenStore(secrets).save('g', { refreshToken: g.issueRefreshToken(), ...tokens });
    return {
      credentials: noPasswords,
      secrets,
      oauth: { google: { clientId: g.clientId, authBaseUrl: g.baseUrl, apiBaseUrl: g.baseUrl } },
      idle: false,
      backoffBaseMs: 20,
      send: { sentCheckDelaysMs: [] },
      ...extra,
    };
  }

  async function open(acc: Partial<AccountConfig> = {}, extra: Partial<MailDeskOptions> = {}, tokens?: Partial<StoredTokens>): Promise<MailDesk> {
    core = await MailDesk.open(await options(extra, tokens));
    await core.addAccount({ id: 'g', provider: 'gmail', email: EMAIL, ...acc });
    return core;
  }

  const c = () => core!;
  const folder = (path: string) => c().store.getFolder('g', path)!;
  const subjects = (path: string) => c().store.listMessages(folder(path).id, { limit: 1000 }).map((m) => m.subject).sort();
  async function resync(): Promise<void> {
    for (const j of c().store.listJobs('g')) if (j.kind === 'sync' || j.kind === 'tasks') c().store.updateJob(j.id, { status: 'pending', nextRun: 0 });
    await syncOnce(c(), ['g']);
  }

  beforeEach(async () => {
    g = await startGoogleServer({ email: EMAIL });
  });
  afterEach(async () => {
    await core?.close();
    core = undefined;
    await g.close();
  });

  it('the local server refuses a whole message over 5 MB on the plain URI with 413, as Gmail does', async () => {
    await open({ folders: ['INBOX'] });
    const raw = Buffer.from(`To: bo@example.test\r\nSubject: big\r\n\r\n${'x'.repeat(PLAIN_BODY_LIMIT)}`).toString('base64url');
    const at = [...g.accessTokens.keys()][0];
    const r = await fetch(`${g.baseUrl}/gmail/v1/users/me/messages/send`, { method: 'POST', headers: { Authorization: `Bearer ${at}`, 'Content-Type': 'application/json' }, body: JSON.stringify({ raw }) });
    assert.equal(r.status, 413);
    assert.equal(g.sentCount, 0);
  });

  it('1, 3 and 10 MB messages go out once through the upload URI; 30 MB fails before sending with send.tooLarge naming 35 MB', async () => {
    await open({ folders: ['INBOX', 'SENT'] });
    for (const size of [1, 3, 10]) {
      const before = g.sentCount;
      const r = await c().send('g', { to: ['bo@example.test'], subject: `${size} MB`, text: 'see attached', attachments: [{ filename: `f${size}.bin`, content: randomBytes(size * MB) }] });
      assert.ok(r.ok, `${size} MB: ${r.error?.message}`);
      assert.equal(g.sentCount - before, 1, `${size} MB sent once`);
      assert.ok(g.lastSent!.length > size * MB * 1.3, `${size} MB: the whole message arrived (${g.lastSent!.length} bytes)`);
      const req = g.requestBytes.filter((q) => q.name === 'messages.send').pop()!;
      assert.equal(req.upload, true, 'through /upload/gmail/v1/users/me/messages/send');
    }
    assert.ok(g.requestBytes.every((q) => q.upload || q.bytes <= PLAIN_BODY_LIMIT), 'no plain request over 5 MB');

    const sends = g.count('messages.send');
    const r = await c().send('g', { to: ['bo@example.test'], subject: '30 MB', text: 'too big', attachments: [{ filename: 'f30.bin', content: randomBytes(30 * MB) }] });
    assert.equal(r.ok, false);
    assert.equal(r.error?.code, 'send.tooLarge');
    assert.match(r.error!.message, /at most 35 MB/);
    assert.equal(r.maybeSent, undefined);
    assert.equal(g.count('messages.send'), sends, 'nothing was sent to Gmail');
    assert.equal(g.sentCount, 3);
    assert.deepEqual(c().listDrafts('g').map((d) => [d.subject, d.error?.code]), [['30 MB', 'send.tooLarge']], 'the message stays in Drafts with the reason');
  });

  it('a 10 MB draft is saved through the upload URI', async () => {
    await open({ folders: ['INBOX', 'DRAFT'] });
    const ref = await c().saveDraft('g', { to: ['bo@example.test'], subject: 'big draft', text: 'x', attachments: [{ filename: 'f.bin', content: randomBytes(10 * MB) }] });
    assert.equal(ref.server, 'saved', ref.serverError);
    assert.equal(g.drafts.size, 1);
    assert.ok(g.draftList()[0].raw.length > 13 * MB);
    assert.equal(g.requestBytes.find((q) => q.name === 'drafts.create')?.upload, true);
  });

  it('a reply, a forward and a reply draft join the Gmail thread of the message; a new message starts its own', async () => {
    const work = g.addLabel('Work');
    const parentId = g.addMessage(mail(1, 'Budget 2026'), ['INBOX']);
    const elsewhereId = g.addMessage(mail(2, 'Offsite'), [work]); // not synced here: Work is not selected
    await open({ folders: ['INBOX', 'SENT', 'DRAFT'] });
    await syncOnce(c(), ['g']);
    const row = c().store.listMessages(folder('INBOX').id)[0];
    const stored = rawSql(c().store).get<{ t: string }>('SELECT provider_thread AS t FROM messages WHERE provider_id = ?', [parentId]);
    assert.equal(stored?.t, g.messages.get(parentId)!.threadId, 'Gmail threadId stored with the message');

    const parent = await parseMessage(await c().messageSource(row.id, row.folderId));
    const reply = await c().send('g', { ...replyDraft(parent, { self: [EMAIL] }), text: 'agreed' });
    assert.ok(reply.ok, reply.error?.message);
    const sent = [...g.messages.values()].filter((m) => m.labelIds.has('SENT'));
    assert.equal(sent.length, 1);
    assert.equal(sent[0].threadId, g.messages.get(parentId)!.threadId, 'the reply is in the conversation');

    const fwd = await c().send('g', { ...forwardDraft(parent), to: ['cy@example.test'] });
    assert.ok(fwd.ok, fwd.error?.message);
    const fwdMsg = [...g.messages.values()].find((m) => m.labelIds.has('SENT') && /Fwd: Budget/.test(m.raw.toString()))!;
    assert.equal(fwdMsg.threadId, g.messages.get(parentId)!.threadId, 'the forward is in the conversation');

    const draft = await c().saveDraft('g', { ...replyDraft(parent, { self: [EMAIL] }), text: 'thinking' });
    assert.equal(draft.server, 'saved', draft.serverError);
    const dm = g.messages.get(g.draftList()[0].messageId)!;
    assert.equal(dm.threadId, g.messages.get(parentId)!.threadId, 'the reply draft is in the conversation');
    // Saved again: drafts.update replaces the draft's message, which stays in the conversation.
    const again = await c().saveDraft('g', { ...c().openDraft('g', draft.id), text: 'thinking more' });
    assert.equal(again.server, 'saved', again.serverError);
    assert.equal(g.count('drafts.update'), 1);
    const dm2 = g.messages.get(g.draftList()[0].messageId)!;
    assert.notEqual(dm2.id, dm.id, 'Gmail gave the updated draft a new message');
    assert.equal(dm2.threadId, g.messages.get(parentId)!.threadId, 'the updated reply draft is still in the conversation');

    // The parent is not in the store (label not synced): Gmail is asked by its Message-ID.
    const other = await c().send('g', { to: ['bo@example.test'], subject: 'Re: Offsite', text: 'yes', inReplyTo: '<m2@example.test>', references: ['<m2@example.test>'] });
    assert.ok(other.ok, other.error?.message);
    const otherMsg = [...g.messages.values()].find((m) => m.labelIds.has('SENT') && /Re: Offsite/.test(m.raw.toString()))!;
    assert.equal(otherMsg.threadId, g.messages.get(elsewhereId)!.threadId);

    const fresh = await c().send('g', { to: ['bo@example.test'], subject: 'Budget 2026', text: 'new topic' });
    assert.ok(fresh.ok);
    const freshMsg = [...g.messages.values()].find((m) => m.labelIds.has('SENT') && /new topic/.test(m.raw.toString()))!;
    assert.equal(freshMsg.threadId, freshMsg.id, 'no reply headers: a conversation of its own');
  });

  it('conversations are Gmail\'s threads: joined where Gmail joined them, split where Gmail split them; a sent reply and a sent new message join theirs', async () => {
    const a = g.addMessage(mail(1, 'Plan'), ['INBOX']);
    // Gmail put this one in the same conversation, though no header links it to the first.
    const b = g.addMessage(mail(2, 'Plan'), ['INBOX']);
    g.messages.get(b)!.threadId = g.messages.get(a)!.threadId;
    // This one points at the first, but Gmail split it off (a changed subject starts a new conversation).
    const split = g.addMessage(`From: Bo <bo@example.test>\nTo: ${EMAIL}\nSubject: Other topic\nMessage-ID: <m3@example.test>\nIn-Reply-To: <m1@example.test>\nReferences: <m1@example.test>\nDate: Mon, 6 Jan 2025 11:00:00 +0000\n\nbody 3\n`, ['INBOX'], Date.now() - 60_000);
    await open({ folders: ['INBOX', 'SENT'] });
    await syncOnce(c(), ['g']);
    const inbox = folder('INBOX');
    const rowOf = (pid: string) => rawSql(c().store).get<{ id: number }>('SELECT id FROM messages WHERE provider_id = ?', [pid])!.id;
    const keyOf = (pid: string) => threadKeyOf(c().store, rowOf(pid))!;
    const conversation = (pid: string) => threadMessages(c().store, 'g', keyOf(pid), { keepFolderId: inbox.id }).map((m) => m.subject);
    assert.equal(keyOf(a), keyOf(b), 'joined as Gmail joined them');
    assert.notEqual(keyOf(split), keyOf(a), 'split as Gmail split them');
    assert.deepEqual(conversation(a), ['Plan', 'Plan']);
    assert.equal(listThreads(c().store, inbox.id).length, 2);

    // A reply from here: in the conversation at once (the local Sent entry), and still after its server copy took over.
    const parentRow = c().store.listMessages(inbox.id).find((m) => m.messageId === '<m2@example.test>')!;
    const parent = await parseMessage(await c().messageSource(parentRow.id, inbox.id));
    const reply = await c().send('g', { ...replyDraft(parent, { self: [EMAIL] }), text: 'agreed' });
    assert.ok(reply.ok, reply.error?.message);
    assert.deepEqual(conversation(a), ['Plan', 'Plan', 'Re: Plan'], 'the local Sent entry is in the conversation');
    await resync();
    assert.deepEqual(conversation(a), ['Plan', 'Plan', 'Re: Plan'], 'the server copy took the entry over, in the same conversation');

    // A reply to the split-off message names both conversations' messages in References: they stay apart.
    const splitRow = c().store.listMessages(inbox.id).find((m) => m.messageId === '<m3@example.test>')!;
    const splitParent = await parseMessage(await c().messageSource(splitRow.id, inbox.id));
    const reply2 = await c().send('g', { ...replyDraft(splitParent, { self: [EMAIL] }), text: 'on the other topic' });
    assert.ok(reply2.ok, reply2.error?.message);
    assert.deepEqual(conversation(split), ['Other topic', 'Re: Other topic'], 'the local Sent entry joins the conversation it answers');
    assert.deepEqual(conversation(a), ['Plan', 'Plan', 'Re: Plan'], 'and merges no conversation into another');
    await resync();
    assert.deepEqual(conversation(split), ['Other topic', 'Re: Other topic']);
    assert.deepEqual(conversation(a), ['Plan', 'Plan', 'Re: Plan']);

    // A new message from here; Bo answers it without any reply header, and Gmail still files the answer in its thread.
    const fresh = await c().send('g', { to: ['bo@example.test'], subject: 'Fresh', text: 'new topic' });
    assert.ok(fresh.ok, fresh.error?.message);
    await resync();
    const sentCopy = [...g.messages.values()].find((m) => m.labelIds.has('SENT') && /new topic/.test(m.raw.toString()))!;
    const answer = g.addMessage(mail(4, 'Re: Fresh'), ['INBOX']);
    g.messages.get(answer)!.threadId = sentCopy.threadId;
    await resync();
    assert.equal(keyOf(answer), keyOf(sentCopy.id), 'the answer is in the conversation of the message sent from here');
    assert.deepEqual(conversation(answer), ['Fresh', 'Re: Fresh']);
  });

  it('a message trashed or marked spam elsewhere leaves Work, Starred and All Mail; Delete and Archive act as Gmail\'s buttons', async () => {
    const work = g.addLabel('Work');
    const a = g.addMessage(mail(1, 'to trash'), ['INBOX', work, 'STARRED']);
    const b = g.addMessage(mail(2, 'to spam'), ['INBOX', work]);
    const d = g.addMessage(mail(3, 'deleted here'), ['INBOX', work]);
    const e = g.addMessage(mail(4, 'archived here'), ['INBOX', work]);
    await open({ folders: ['INBOX', 'Work', 'STARRED', 'TRASH', 'SPAM', ALL_MAIL_PATH] });
    await syncOnce(c(), ['g']);
    assert.deepEqual(subjects('Work'), ['archived here', 'deleted here', 'to spam', 'to trash']);

    // In Gmail's web UI: trash (labels kept, INBOX off) and spam (labels kept).
    g.modify(a, ['TRASH'], ['INBOX']);
    g.modify(b, ['SPAM'], ['INBOX']);
    assert.ok(g.messages.get(a)!.labelIds.has(work) && g.messages.get(b)!.labelIds.has(work), 'Gmail keeps the user label on them');
    await resync();
    assert.deepEqual(subjects('Work'), ['archived here', 'deleted here']);
    assert.deepEqual(subjects('STARRED'), []);
    assert.deepEqual(subjects('TRASH'), ['to trash']);
    assert.deepEqual(subjects('SPAM'), ['to spam']);
    assert.deepEqual(subjects(ALL_MAIL_PATH), ['archived here', 'deleted here']);

    // Delete in MailDesk (from Work) = Gmail's Delete: messages.trash; it stays out of Work after sync.
    const rowD = c().store.listMessages(folder('Work').id).find((m) => m.subject === 'deleted here')!;
    c().deleteMessage(rowD.id, folder('Work').id);
    assert.deepEqual(subjects('INBOX'), ['archived here'], 'out of every label folder at once, as Gmail shows it');
    assert.deepEqual(subjects('Work'), ['archived here']);
    assert.deepEqual(subjects('TRASH'), ['deleted here', 'to trash']);
    await resync();
    assert.equal(g.count('messages.trash'), 1);
    assert.ok(g.messages.get(d)!.labelIds.has('TRASH'));
    assert.deepEqual(subjects('Work'), ['archived here']);
    assert.deepEqual(subjects('TRASH'), ['deleted here', 'to trash']);
    assert.deepEqual(subjects('INBOX'), ['archived here']);

    // Archive in MailDesk (Inbox → All Mail) = Gmail's Archive: the INBOX label goes, the others stay.
    const rowE = c().store.listMessages(folder('INBOX').id).find((m) => m.subject === 'archived here')!;
    c().moveMessage(rowE.id, folder('INBOX').id, ALL_MAIL_PATH);
    await resync();
    assert.deepEqual([...g.messages.get(e)!.labelIds].sort(), [work].sort());
    assert.deepEqual(subjects('INBOX'), []);
    assert.deepEqual(subjects('Work'), ['archived here']);
    assert.deepEqual(subjects(ALL_MAIL_PATH), ['archived here']);
  });

  it('a 503 after Gmail took the message: one copy, never retried, "may have been sent" until the user confirms', async () => {
    await open({ folders: ['INBOX', 'SENT'] });
    g.acceptThenFail('messages.send', 1, 503);
    const r = await c().send('g', { to: ['bo@example.test'], subject: 'exactly once', text: 'x' });
    assert.equal(r.ok, false);
    assert.equal(r.maybeSent, true);
    assert.match(r.error!.message, /may have been sent/);
    assert.equal(g.sentCount, 1, 'one copy: not sent again');
    assert.equal(g.count('messages.send'), 1);
    const [d] = c().listDrafts('g');
    assert.equal(d.maybeSent, true);
    assert.equal((await c().send('g', { draftId: d.id })).ok, false, 'not resent without confirmation');
    assert.equal(g.sentCount, 1);
  });

  it('a 429 whose text says "Retry after" 15 minutes on: no request before then, every job of the account waits it out', async () => {
    g.addMessage(mail(1), ['INBOX']);
    let shift = 0;
    await open({ folders: ['INBOX', 'SENT'] }, { gmail: { now: () => Date.now() + shift } });
    await syncOnce(c(), ['g']);
    g.addMessage(mail(2), ['INBOX']);
    const until = new Date(Date.now() + 15 * 60_000);
    g.throttle = { remaining: 1000, status: 429, message: `User-rate limit exceeded.  Retry after ${until.toISOString()}` };
    // Gmail API requests (the OAuth token endpoint is another service, not under the lockout).
    const total = () => [...g.counts].filter(([k]) => k !== 'token' && k !== 'authorize').reduce((a, [, n]) => a + n, 0);
    const before = total();
    const provider = c().provider('g') as GmailProvider;
    try {
    await c().scheduler.runJob(c().store.getJob('g:sync:INBOX')!);
    assert.equal(total() - before, 1, 'one refused request, no retries');
    const inbox = c().store.getJob('g:sync:INBOX')!;
    assert.equal(inbox.errorCode, 'server.rateLimited');
    assert.ok(inbox.nextRun! >= until.getTime() - 2000, `next run ${new Date(inbox.nextRun!).toISOString()} is not before ${until.toISOString()}`);
    assert.notEqual(c().store.getAccount('g')!.state, 'reauth');

    // Another folder's job, a send and Troubleshoot's own provider in the lockout: refused here, nothing reaches Gmail.
    await c().scheduler.runJob(c().store.getJob('g:sync:SENT')!);
    const sent = c().store.getJob('g:sync:SENT')!;
    assert.equal(sent.errorCode, 'server.rateLimited');
    assert.ok(sent.nextRun! >= until.getTime() - 2000);
    const r = await c().send('g', { to: ['bo@example.test'], subject: 'in the lockout', text: 'x' });
    assert.equal(r.ok, false);
    assert.equal(r.error?.code, 'server.rateLimited');
    assert.match(r.error!.message, new RegExp(until.toISOString().slice(0, 16)));
    const probe = await c().testIncoming({ id: 'g', provider: 'gmail', email: EMAIL });
    assert.equal(probe.ok, false);
    assert.equal(probe.error?.code, 'server.rateLimited');
    assert.equal(total() - before, 1, 'no request during the lockout');

    // After it: requests again.
    g.throttle = undefined;
    shift = 15 * 60_000 + 1000;
    await c().scheduler.runJob(c().store.getJob('g:sync:INBOX')!);
    assert.equal(c().store.getJob('g:sync:INBOX')!.status, 'ok');
    assert.deepEqual(subjects('INBOX'), ['message 1', 'message 2']);
    assert.equal(provider.lockedUntil, 0, 'the lockout is over and forgotten');
    } finally {
      provider.lockedUntil = 0; // process-wide per account: never leak into the next test
    }
  });

  it('a lockout outlives the engine: started again within it, MailDesk sends Gmail nothing until it ends', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'maildesk-gmail-lockout-'));
    try {
      g.addMessage(mail(1), ['INBOX']);
      const opts = await options({ dataDir });
      await open({ folders: ['INBOX'] }, opts);
      await syncOnce(c(), ['g']);
      const until = new Date(Date.now() + 15 * 60_000);
      g.throttle = { remaining: 1000, status: 429, message: `User-rate limit exceeded.  Retry after ${until.toISOString()}` };
      const total = () => [...g.counts].filter(([k]) => k !== 'token' && k !== 'authorize').reduce((a, [, n]) => a + n, 0);
      const before = total();
      await c().scheduler.runJob(c().store.getJob('g:sync:INBOX')!);
      assert.equal(total() - before, 1, 'one refused request');
      await c().close();
      // A new process remembers nothing: a provider that keeps its lockout in this process only forgets it.
      new GmailProvider({ account: { id: 'g', provider: 'gmail', email: EMAIL }, settings: () => Promise.reject(new Error('unused')), tokens: new TokenStore(opts.secrets!) }).lockedUntil = 0;

      // The engine starts again (a window reloads) while Gmail still refuses the account.
      core = await MailDesk.open(opts);
      for (const j of c().store.listJobs('g')) c().store.updateJob(j.id, { status: 'pending', nextRun: 0 });
      await syncOnce(c(), ['g']);
      const r = await c().send('g', { to: ['bo@example.test'], subject: 'after the restart', text: 'x' });
      assert.equal(r.error?.code, 'server.rateLimited');
      assert.match(r.error!.message, new RegExp(until.toISOString().slice(0, 16)));
      assert.equal(c().store.getJob('g:sync:INBOX')!.errorCode, 'server.rateLimited');
      assert.equal(total() - before, 1, 'no request to Gmail after the restart, within the lockout');
    } finally {
      await core?.close();
      core = undefined;
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('a sign-in of a "Testing" app refused after 7 days says why and what makes it last; a younger refused one does not', async () => {
    await g.close();
    g = await startGoogleServer({ email: EMAIL, publishingStatus: 'testing' });
    assert.match(GOOGLE_SETUP_STEPS, /"Testing".*7 days/);
    // Signed in today; a week later Google refuses the grant (invalid_grant, no reason given).
    let shift = 0;
    await open({ folders: ['INBOX'] }, { gmail: { now: () => Date.now() + shift } }, { obtainedAt: Date.now() });
    await syncOnce(c(), ['g']);
    assert.equal(c().store.getAccount('g')!.state, 'connected');
    shift = TESTING_REFRESH_TOKEN_MS + 3600_000;
    g.now = () => Date.now() + shift;
    g.accessTokens.clear(); // the hour-long access token is long gone too
    g.addMessage(mail(1), ['INBOX']);
    await resync();
    const a = c().store.getAccount('g')!;
    assert.equal(a.state, 'reauth');
    assert.match(a.stateReason ?? '', /invalid_grant/);
    assert.match(a.stateReason ?? '', /given 7 days ago.*"Testing".*In production/);
    const report = await c().testIncoming('g');
    assert.match(report.error?.message ?? '', /"Testing"/);
    await c().close();
    core = undefined;

    // Revoked after 2 days: the plain re-authorization message, no Testing story.
    const young = 2 * 24 * 3600_000;
    const rt = g.issueRefreshToken(young);
    g.refreshTokens.delete(rt);
    const secrets2 = memorySecretStore({ [GOOGLE_CLIENT_SECRET_KEY]: g.clientSecret });
    await new TokenStore(secrets2).save('g2', { refreshToken: rt, obtainedAt: Date.now() - young });
    core = await MailDesk.open({ credentials: noPasswords, secrets: secrets2, oauth: { google: { clientId: g.clientId, authBaseUrl: g.baseUrl, apiBaseUrl: g.baseUrl } }, idle: false, backoffBaseMs: 20 });
    const err = await core.addAccount({ id: 'g2', provider: 'gmail', email: EMAIL, folders: ['INBOX'] }).then(() => undefined, (e: Error & { code?: string }) => e);
    assert.equal(err?.code, 'auth.reauthRequired');
    assert.match(err!.message, /invalid_grant/);
    assert.doesNotMatch(err!.message, /Testing/);
  });
});
