/**
 * Triage on Gmail (the Gmail API on a local server): Archive takes the INBOX label off and
 * Undo puts it back, Delete trashes, Spam adds SPAM; labels, not copies, as Gmail works.
 */
import { strict as assert } from 'node:assert';
import { GOOGLE_CLIENT_SECRET_KEY } from '../../src/core/auth/oauthConfig';
import { memorySecretStore, TokenStore } from '../../src/core/auth/tokens';
import { MailDesk } from '../../src/core/maildesk';
import { ALL_MAIL_PATH } from '../../src/core/providers/gmail/gmailProvider';
import { syncOnce } from '../../src/core/sync/once';
import { type GoogleServer, startGoogleServer } from '../support/googleServer';
import { rawSql } from '../support/rawStoreSql';

const EMAIL = 'ana@gmail.example';
const noPasswords = { password: async () => Promise.reject(new Error('no passwords for OAuth accounts')) };

function mail(n: number): string {
  return `From: Bo <bo@example.test>\nTo: ${EMAIL}\nSubject: message ${n}\nMessage-ID: <t${n}@example.test>\nDate: Mon, 6 Jan 2025 10:0${n}:00 +0000\n\nbody ${n}\n`;
}

describe('triage on Gmail (Gmail API on a local server)', function () {
  this.timeout(60_000);
  let g: GoogleServer;
  let core: MailDesk;

  beforeEach(async () => {
    g = await startGoogleServer({ email: EMAIL });
  });
  afterEach(async () => {
    await core?.close();
    await g.close();
  });

  async function open(folders: string[] = ['INBOX', 'TRASH', 'SPAM', ALL_MAIL_PATH]): Promise<void> {
    const secrets = memorySecretStore({ [GOOGLE_CLIENT_SECRET_KEY]: g.clientSecret });
    await new TokenStore(secrets).save('g', { refreshToken: g.issueRefreshToken() });
    core = await MailDesk.open({
      credentials: noPasswords,
      secrets,
      oauth: { google: { clientId: g.clientId, authBaseUrl: g.baseUrl, apiBaseUrl: g.baseUrl } },
      idle: false,
      backoffBaseMs: 20,
    });
    await core.addAccount({ id: 'g', provider: 'gmail', email: EMAIL, folders });
    await settle();
  }

  async function settle(): Promise<void> {
    const r = await syncOnce(core, ['g']);
    assert.ok(r.ok, r.failed.map((j) => `${j.id}: ${j.errorMessage}`).join('; '));
    assert.deepEqual(rawSql(core.store).all(`SELECT kind, error FROM tasks WHERE status != 'done'`), [], 'every action reached Gmail');
  }

  const labels = (id: string): string[] => [...(g.messages.get(id)?.labelIds ?? [])].sort();
  const key = (path: string, subject: string) => {
    const f = core.store.getFolder('g', path)!;
    const m = core.store.listMessages(f.id, { limit: 100 }).find((x) => x.subject === subject);
    assert.ok(m, `${subject} is in ${path}`);
    return { messageId: m.id, folderId: f.id };
  };

  it('archive removes the INBOX label (the message stays in All Mail); Undo adds it back', async () => {
    const id = g.addMessage(mail(1), ['INBOX', 'UNREAD']);
    await open();
    const r = await core.applyAction([key('INBOX', 'message 1')], { kind: 'archive' });
    assert.equal(r.count, 1);
    assert.equal(r.moved[0].toFolderId, core.store.getFolder('g', ALL_MAIL_PATH)!.id, 'Gmail has no Archive folder: All Mail is where archived mail lives');
    await settle();
    assert.deepEqual(labels(id), ['UNREAD'], 'INBOX label removed, nothing else touched');
    await core.undo(r.undoId);
    await settle();
    assert.deepEqual(labels(id), ['INBOX', 'UNREAD']);
    await settle();
    assert.deepEqual(core.store.listMessages(core.store.getFolder('g', 'INBOX')!.id).map((m) => m.subject), ['message 1']);
  });

  it('delete trashes, spam adds SPAM; both undo', async () => {
    const a = g.addMessage(mail(2), ['INBOX']);
    const b = g.addMessage(mail(3), ['INBOX']);
    await open();
    const del = await core.applyAction([key('INBOX', 'message 2')], { kind: 'delete' });
    const spam = await core.applyAction([key('INBOX', 'message 3')], { kind: 'junk' });
    await settle();
    assert.ok(labels(a).includes('TRASH'), `trashed: ${labels(a)}`);
    assert.ok(labels(b).includes('SPAM') && !labels(b).includes('INBOX'), `spam: ${labels(b)}`);
    await core.undo(spam.undoId);
    await core.undo(del.undoId);
    await settle();
    assert.deepEqual(labels(a), ['INBOX']);
    assert.deepEqual(labels(b), ['INBOX']);
  });

  it('archive used in a label folder does what Gmail\'s Archive does there: INBOX off, the label and the message in that folder stay; Undo puts INBOX back', async () => {
    const work = g.addLabel('Work');
    const both = g.addMessage(mail(4), ['INBOX', work]);
    const onlyWork = g.addMessage(mail(5), [work]);
    await open(['INBOX', 'Work', ALL_MAIL_PATH]);
    const list = (path: string) => core.store.listMessages(core.store.getFolder('g', path)!.id, { limit: 100 }).map((m) => m.subject).sort();
    const r = await core.applyAction([key('Work', 'message 4'), key('Work', 'message 5')], { kind: 'archive' });
    assert.equal(r.count, 1, 'the message only under Work is not in the Inbox: nothing to archive');
    assert.deepEqual(r.moved.map((x) => x.fromFolderId), [core.store.getFolder('g', 'INBOX')!.id], 'out of Inbox, not out of Work');
    assert.deepEqual(list('Work'), ['message 4', 'message 5'], 'still listed in Work at once');
    assert.deepEqual(list('INBOX'), []);
    await settle();
    assert.deepEqual(labels(both), [work], 'INBOX off, Work kept');
    assert.deepEqual(labels(onlyWork), [work], 'untouched');
    await settle();
    assert.deepEqual(list('Work'), ['message 4', 'message 5'], 'and still in Work after a sync');
    assert.deepEqual(list('INBOX'), []);
    await core.undo(r.undoId);
    await settle();
    assert.deepEqual(labels(both), ['INBOX', work].sort());
    assert.deepEqual(list('INBOX'), ['message 4']);
    assert.deepEqual(list('Work'), ['message 4', 'message 5']);
  });
});
