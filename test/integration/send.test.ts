/**
 * Sending, Sent and Drafts against a real Dovecot and an SMTP server started here, as the
 * guide's "Sent mail does not appear" describes: shown in Sent at once, exactly one copy
 * after the sync whether or not the server saves its own, failures kept in Drafts with
 * the exact error, never sent twice, and drafts that survive a killed process.
 */
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { sendCommand } from '../../src/cli/commands/send';
import type { AccountConfig } from '../../src/core/config';
import type { MailDesk } from '../../src/core/maildesk';
import { parseMessage } from '../../src/core/mime/parse';
import { replyDraft } from '../../src/core/send/compose';
import { sentCopySettingKey } from '../../src/core/send/sender';
import { syncOnce } from '../../src/core/sync/once';
import { requireDovecot, startDovecot, type Dovecot } from '../support/dovecot';
import { imapAccount, openCore, tempDir } from '../support/core';
import { rawMessage } from '../support/rawmail';
import { startSmtp, type SmtpOptions, type SmtpServer } from '../support/smtp';
import { rawSql } from '../support/rawStoreSql';

const ROOT = path.resolve(__dirname, '../..');
const USERS = ['gmail', 'classic', 'always', 'rcpt', 'temp2', 'temp10', 'perm', 'drop', 'auth', 'refused', 'big', 'drafts', 'killed', 'thread', 'nosent', 'cli'];
const PASSWORDS = Object.fromEntries(USERS.map((u) => [u, 'secret']));
const FAST = { retryBaseMs: 20, sentCheckDelaysMs: [150, 400] };

describe('sending, Sent and Drafts (Dovecot + SMTP)', function () {
  let dv: Dovecot;
  const cores: MailDesk[] = [];
  const smtps: SmtpServer[] = [];

  before(async function () {
    requireDovecot(this);
    dv = await startDovecot({ users: { ...PASSWORDS } });
  });
  afterEach(async () => {
    for (const c of cores.splice(0)) await c.close().catch(() => undefined);
    for (const s of smtps.splice(0)) await s.stop();
  });
  after(async () => {
    await dv?.dispose();
  });

  async function smtp(opts: SmtpOptions = {}): Promise<SmtpServer> {
    const s = await startSmtp({ users: { ...PASSWORDS }, ...opts });
    smtps.push(s);
    return s;
  }

  /** A Gmail-like SMTP server: it APPENDs what it accepts to the user's Sent. */
  function gmailLike(user: string): SmtpOptions {
    return { saveToSent: { imapPort: dv.port, user, password: 'secret' } };
  }

  async function core(user: string, s: SmtpServer | { port: number }, extra: Partial<AccountConfig> = {}, dataDir?: string): Promise<{ c: MailDesk; acc: AccountConfig }> {
    const c = await openCore(dataDir, PASSWORDS, { send: FAST });
    cores.push(c);
    const acc = { ...imapAccount(user, dv.port, { smtpPort: s.port }), ...extra };
    await c.addAccount(acc);
    await syncOnce(c, [user]);
    return { c, acc };
  }

  async function serverUids(user: string, folder: string, messageId: string): Promise<number[]> {
    const cl = await dv.connect(user);
    try {
      const lock = await cl.getMailboxLock(folder);
      try {
        return (await cl.search({ header: { 'message-id': messageId } }, { uid: true })) || [];
      } finally {
        lock.release();
      }
    } finally {
      await cl.logout();
    }
  }

  function inFolder(c: MailDesk, user: string, folder: string, messageId: string) {
    const f = c.store.getFolder(user, folder)!;
    return c.store.listMessages(f.id, { limit: 1000 }).filter((m) => m.messageId === messageId);
  }

  for (const mode of ['gmail', 'classic'] as const) {
    it(`${mode === 'gmail' ? 'server saves its own copy (Gmail)' : 'server keeps no copy (classic host)'}: in Sent at once, exactly one copy after the sync`, async () => {
      const s = await smtp(mode === 'gmail' ? gmailLike(mode) : {});
      const { c } = await core(mode, s);
      const r = await c.send(mode, { to: ['Bob <bob@example.test>'], bcc: ['hidden@example.test'], subject: `Report ${mode}`, text: 'numbers attached' });
      assert.equal(r.ok, true, r.error?.message);
      assert.equal(s.received.length, 1);
      assert.deepEqual(s.received[0].to.sort(), ['bob@example.test', 'hidden@example.test']);
      assert.doesNotMatch(s.received[0].raw.toString(), /^Bcc:/im, 'Bcc must not reach the recipients');
      assert.equal(s.received[0].messageId, r.messageId);
      assert.equal(r.sentCopy, mode === 'gmail' ? 'server' : 'appended');

      // Before any sync: the local entry is there, marked local.
      const before = inFolder(c, mode, 'Sent', r.messageId);
      assert.equal(before.length, 1);
      assert.equal(before[0].origin, 'local');
      assert.equal(before[0].uid, null);
      assert.equal(before[0].subject, `Report ${mode}`);

      await syncOnce(c, [mode]);
      const after = inFolder(c, mode, 'Sent', r.messageId);
      assert.equal(after.length, 1, 'the provider copy replaced the local entry: one message, not two');
      assert.equal(after[0].origin, 'remote');
      assert.ok(after[0].uid);
      assert.equal((await serverUids(mode, 'Sent', r.messageId)).length, 1, 'exactly one copy on the server');
      assert.equal(c.store.getSetting(sentCopySettingKey(mode)), mode === 'gmail' ? 'server' : 'client');
      assert.equal(c.listDrafts(mode).length, 0, 'a sent message leaves Drafts');

      // The answer is remembered: the next send neither waits nor duplicates.
      const t0 = Date.now();
      const r2 = await c.send(mode, { to: ['bob@example.test'], subject: `Second ${mode}`, text: 'again' });
      assert.equal(r2.ok, true);
      if (mode === 'gmail') assert.ok(Date.now() - t0 < 150 + 400, 'no wait for the server copy once known');
      await syncOnce(c, [mode]);
      assert.equal(inFolder(c, mode, 'Sent', r2.messageId).length, 1);
      assert.equal((await serverUids(mode, 'Sent', r2.messageId)).length, 1);
    });
  }

  it('"always" never appends a second copy when the server saved one', async () => {
    const s = await smtp(gmailLike('always'));
    const { c } = await core('always', s, { saveSentCopy: 'always' });
    const r = await c.send('always', { to: ['bob@example.test'], subject: 'always', text: 'x' });
    assert.equal(r.ok, true);
    assert.equal(r.sentCopy, 'server');
    assert.equal((await serverUids('always', 'Sent', r.messageId)).length, 1);
  });

  it('recipient refused (550): kept in Drafts with the exact error, nothing sent, not retried', async () => {
    const s = await smtp({ fault: { kind: 'rejectRcpt', code: 550, message: '5.1.1 <nobody@example.test>: Recipient address rejected' } });
    const { c } = await core('rcpt', s);
    const r = await c.send('rcpt', { to: ['nobody@example.test'], subject: 'Invoice', text: 'see attached' });
    assert.equal(r.ok, false);
    assert.equal(r.error?.code, 'send.rejected');
    assert.match(r.error!.message, /550 5\.1\.1 <nobody@example\.test>: Recipient address rejected/);
    assert.equal(r.attempts, 1);
    assert.equal(s.received.length, 0);
    const [d] = c.listDrafts('rcpt');
    assert.equal(d.subject, 'Invoice');
    assert.equal(d.status, 'failed');
    assert.equal(d.error?.code, 'send.rejected');
    assert.match(d.error!.message, /Recipient address rejected/);
    assert.equal(inFolder(c, 'rcpt', 'Drafts', r.messageId).length, 1, 'shown in Drafts');
    assert.equal(inFolder(c, 'rcpt', 'Sent', r.messageId).length, 0, 'not shown in Sent');
    const ob = rawSql(c.store).get<{ status: string; error_code: string; error_message: string }>('SELECT status, error_code, error_message FROM outbox WHERE message_id = ?', [r.messageId]);
    assert.deepEqual([ob?.status, ob?.error_code], ['failed', 'send.rejected']);
    assert.equal((await serverUids('rcpt', 'Drafts', r.messageId)).length, 1, 'also in the server Drafts');

    // Fixed recipients, Send again: the same draft and Message-ID go out once.
    s.setFault({ kind: 'none' });
    const opened = c.openDraft('rcpt', d.id);
    const again = await c.send('rcpt', { ...opened, to: ['somebody@example.test'] });
    assert.equal(again.ok, true, again.error?.message);
    assert.equal(again.messageId, r.messageId);
    assert.equal(s.received.length, 1);
    assert.equal(c.listDrafts('rcpt').length, 0);
    assert.equal(inFolder(c, 'rcpt', 'Drafts', r.messageId).length, 0);
    assert.equal((await serverUids('rcpt', 'Drafts', r.messageId)).length, 0, 'the server draft is removed after sending');
  });

  it('451 twice: retried with back-off, then sent exactly once', async () => {
    const s = await smtp({ fault: { kind: 'rejectData', code: 451, message: '4.3.0 Try again later', times: 2 } });
    const { c } = await core('temp2', s);
    const r = await c.send('temp2', { to: ['bob@example.test'], subject: 'retry', text: 'x' });
    assert.equal(r.ok, true, r.error?.message);
    assert.equal(r.attempts, 3);
    assert.equal(s.attempts, 3);
    assert.equal(s.received.length, 1);
    assert.equal(s.received[0].messageId, r.messageId);
  });

  it('451 every time: gives up after a few tries, error kept, Send can be tried again', async () => {
    const s = await smtp({ fault: { kind: 'rejectData', code: 451, message: '4.7.1 Greylisted, try later', times: 10 } });
    const { c } = await core('temp10', s);
    const r = await c.send('temp10', { to: ['bob@example.test'], subject: 'grey', text: 'x' });
    assert.equal(r.ok, false);
    assert.equal(r.error?.code, 'send.tempFailure');
    assert.equal(s.attempts, 4);
    assert.equal(s.received.length, 0);
    const [d] = c.listDrafts('temp10');
    assert.match(d.error!.message, /451 4\.7\.1 Greylisted/);
    s.setFault({ kind: 'none' });
    const again = await c.send('temp10', { draftId: d.id });
    assert.equal(again.ok, true);
    assert.equal(s.received.length, 1);
    assert.equal(s.received[0].messageId, r.messageId);
  });

  it('554: not retried (one attempt), kept in Drafts', async () => {
    const s = await smtp({ fault: { kind: 'rejectData', code: 554, message: '5.7.1 Message rejected as spam' } });
    const { c } = await core('perm', s);
    const r = await c.send('perm', { to: ['bob@example.test'], subject: 'spam?', text: 'x' });
    assert.equal(r.ok, false);
    assert.equal(r.error?.code, 'send.rejected');
    assert.equal(s.attempts, 1);
    const [d] = c.listDrafts('perm');
    assert.equal(d.error?.code, 'send.rejected');
    assert.equal((await serverUids('perm', 'Drafts', r.messageId)).length, 1);

    // Discarding it removes it everywhere, and Troubleshoot no longer counts it as unsent.
    await c.deleteDraft('perm', d.id);
    assert.equal(c.listDrafts('perm').length, 0);
    assert.equal(inFolder(c, 'perm', 'Drafts', r.messageId).length, 0);
    assert.equal((await serverUids('perm', 'Drafts', r.messageId)).length, 0);
    assert.equal(rawSql(c.store).get<{ status: string }>('SELECT status FROM outbox WHERE message_id = ?', [r.messageId])?.status, 'done');
  });

  it('connection dropped after DATA: "may have been sent", never resent without the user, same Message-ID on resend', async () => {
    const s = await smtp({ fault: { kind: 'dropAfterData' } });
    const { c } = await core('drop', s);
    const r = await c.send('drop', { to: ['bob@example.test'], subject: 'contract', text: 'signed' });
    assert.equal(r.ok, false);
    assert.equal(r.maybeSent, true);
    assert.match(r.error!.message, /may have been sent/);
    assert.equal(s.attempts, 1, 'not retried automatically');
    const [d] = c.listDrafts('drop');
    assert.equal(d.maybeSent, true);
    assert.equal(inFolder(c, 'drop', 'Drafts', r.messageId).length, 1);

    // Send again without confirming: refused here, the server is not contacted.
    const blind = await c.send('drop', { draftId: d.id });
    assert.equal(blind.ok, false);
    assert.equal(s.attempts, 1);

    s.setFault({ kind: 'none' });
    const confirmed = await c.send('drop', { draftId: d.id }, { confirmResend: true });
    assert.equal(confirmed.ok, true);
    assert.equal(s.received.length, 1);
    assert.equal(s.received[0].messageId, r.messageId, 'a resend keeps the Message-ID, so recipients can spot a duplicate');
    // Sending the same message once more is refused outright.
    const twice = await c.send('drop', { messageId: r.messageId, to: ['bob@example.test'], subject: 'contract', text: 'signed' });
    assert.equal(twice.ok, false);
    assert.match(twice.error!.message, /already sent/);
    assert.equal(s.received.length, 1);
  });

  it('login refused, connection refused, too large: each kept in Drafts with its own error', async () => {
    const s = await smtp({ fault: { kind: 'rejectAuth' } });
    const { c } = await core('auth', s);
    const a = await c.send('auth', { to: ['bob@example.test'], subject: 'a', text: 'x' });
    assert.equal(a.error?.code, 'auth.failed');
    assert.equal(a.attempts, 1);

    const closed = await smtp();
    await closed.stop();
    const { c: c2 } = await core('refused', closed);
    const b = await c2.send('refused', { to: ['bob@example.test'], subject: 'b', text: 'x' });
    assert.equal(b.error?.code, 'net.refused');
    assert.equal(b.attempts, 4, 'a refused connection sent nothing, so it is safe to retry');
    assert.equal(c2.listDrafts('refused')[0].error?.code, 'net.refused');

    const small = await smtp({ size: 2000 });
    const { c: c3 } = await core('big', small);
    const big = await c3.send('big', { to: ['bob@example.test'], subject: 'big', text: 'x', attachments: [{ filename: 'blob.bin', content: Buffer.alloc(10_000, 7) }] });
    assert.equal(big.error?.code, 'send.tooLarge');
    assert.equal(small.received.length, 0);
    assert.equal(c3.listDrafts('big')[0].error?.code, 'send.tooLarge');
  });

  it('drafts: saved to the server Drafts with \\Draft, each save replaces the previous copy, reopening continues it', async () => {
    const s = await smtp();
    const { c } = await core('drafts', s);
    const file = path.join(tempDir(), 'notes.txt');
    fs.writeFileSync(file, 'attached notes');
    const ref = await c.saveDraft('drafts', { to: ['bob@example.test'], subject: 'Plan v1', text: 'first', attachments: [{ path: file }] });
    assert.equal(ref.server, 'saved');
    let uids = await serverUids('drafts', 'Drafts', ref.messageId);
    assert.equal(uids.length, 1);
    const cl = await dv.connect('drafts');
    try {
      const lock = await cl.getMailboxLock('Drafts');
      try {
        const m = await cl.fetchOne(String(uids[0]), { flags: true, source: true }, { uid: true });
        assert.ok(m && m.flags?.has('\\Draft'));
        assert.match(m.source!.toString(), /Subject: Plan v1/);
      } finally {
        lock.release();
      }
    } finally {
      await cl.logout();
    }
    fs.rmSync(file); // the draft keeps its own copy of the attachment

    const opened = c.openDraft('drafts', ref.id);
    assert.equal(opened.subject, 'Plan v1');
    assert.equal(opened.attachments?.[0].filename, 'notes.txt');
    const ref2 = await c.saveDraft('drafts', { ...opened, subject: 'Plan v2', text: 'second' });
    assert.equal(ref2.id, ref.id);
    assert.equal(ref2.messageId, ref.messageId);
    uids = await serverUids('drafts', 'Drafts', ref.messageId);
    assert.equal(uids.length, 1, 'the previous server copy was replaced');
    await syncOnce(c, ['drafts']);
    const shown = inFolder(c, 'drafts', 'Drafts', ref.messageId);
    assert.equal(shown.length, 1);
    assert.equal(shown[0].subject, 'Plan v2');
    assert.equal(shown[0].origin, 'remote');

    const r = await c.send('drafts', { draftId: ref.id });
    assert.equal(r.ok, true);
    const got = await parseMessage(s.received[0].raw);
    assert.equal(got.subject, 'Plan v2');
    assert.equal(Buffer.from(got.attachments[0].content).toString(), 'attached notes');
    await syncOnce(c, ['drafts']);
    assert.equal(inFolder(c, 'drafts', 'Drafts', ref.messageId).length, 0);
    assert.equal((await serverUids('drafts', 'Drafts', ref.messageId)).length, 0);
  });

  it('a draft survives a killed process', async function () {
    this.timeout(60_000);
    const dir = tempDir('maildesk-killed-');
    const s = await smtp();
    const first = await core('killed', s, {}, dir);
    await first.c.close();
    cores.splice(cores.indexOf(first.c), 1);

    const script = path.join(dir, 'child.ts');
    fs.writeFileSync(
      script,
      `import { openCore } from ${JSON.stringify(path.join(ROOT, 'test/support/core'))};
       (async () => {
         const c = await openCore(${JSON.stringify(dir)}, { killed: 'secret' });
         const ref = await c.saveDraft('killed', { to: ['bob@example.test'], subject: 'Unsaved work', text: 'every word' }, { remote: false });
         process.stdout.write(JSON.stringify(ref) + '\\n');
         setInterval(() => undefined, 1000);
       })();`,
    );
    // node itself with tsx's loader, not the tsx launcher: SIGKILL must hit the process that saved.
    const child = spawn(process.execPath, ['--import', 'tsx', script], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    const ref = await new Promise<{ id: number; messageId: string }>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (b: Buffer) => {
        out += b.toString();
        if (out.includes('\n')) resolve(JSON.parse(out.split('\n')[0]));
      });
      child.once('exit', () => reject(new Error(`child exited early: ${err}`)));
    });
    // Killed at once: no debounced save, no shutdown hook runs.
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));

    const { c } = await core('killed', s, {}, dir);
    const list = c.listDrafts('killed');
    assert.equal(list.length, 1);
    assert.equal(list[0].subject, 'Unsaved work');
    const d = c.openDraft('killed', ref.id);
    assert.equal(d.text, 'every word');
    assert.equal(d.messageId, ref.messageId);
    assert.equal(inFolder(c, 'killed', 'Drafts', ref.messageId).length, 1);
    const r = await c.send('killed', { draftId: ref.id });
    assert.equal(r.ok, true);
    assert.equal(s.received[0].messageId, ref.messageId);
  });

  it('threading: a reply carries In-Reply-To and References, and joins the thread in Sent', async () => {
    const s = await smtp();
    const root = rawMessage({ from: 'Bob <bob@example.test>', to: 'thread@example.test', subject: 'Budget', messageId: '<root@example.test>', text: 'first' });
    const second = rawMessage({
      from: 'Carl <carl@example.test>',
      to: 'thread@example.test',
      subject: 'Re: Budget',
      messageId: '<second@example.test>',
      inReplyTo: '<root@example.test>',
      references: '<root@example.test>',
      text: 'second',
    });
    dv.seedMaildir('thread', 'INBOX', [{ raw: root }, { raw: second }]);
    const { c } = await core('thread', s);
    const inbox = c.store.getFolder('thread', 'INBOX')!;
    const parentRow = c.store.listMessages(inbox.id).find((m) => m.messageId === '<second@example.test>')!;
    const parent = await parseMessage(await c.messageSource(parentRow.id, inbox.id));
    const r = await c.send('thread', replyDraft(parent, { all: true, self: ['thread@example.test'] }));
    assert.equal(r.ok, true);
    const sent = await parseMessage(s.received[0].raw);
    assert.equal(sent.subject, 'Re: Budget');
    assert.equal(sent.inReplyTo, '<second@example.test>');
    assert.deepEqual(sent.references, ['<root@example.test>', '<second@example.test>']);
    assert.deepEqual(s.received[0].to, ['carl@example.test']);
    await syncOnce(c, ['thread']);
    const [mine] = inFolder(c, 'thread', 'Sent', r.messageId);
    assert.equal(mine.threadKey, parentRow.threadKey, 'the reply in Sent is in the same thread as the mail in Inbox');
  });

  it('no Sent folder: a clear error naming the fix, nothing sent; with sentFolder set it works', async () => {
    // A host whose Sent is called "Copies" (a name nobody guesses) without \Sent: neither special-use nor the usual names find it.
    const other = await startDovecot({ users: { nosent: 'secret' }, sentSpecialUse: false, sentName: 'Copies' });
    try {
      const s = await smtp();
      const c = await openCore(undefined, PASSWORDS, { send: FAST });
      cores.push(c);
      const acc = imapAccount('nosent', other.port, { smtpPort: s.port });
      await c.addAccount(acc);
      const r = await c.send('nosent', { to: ['bob@example.test'], subject: 'where?', text: 'x' });
      assert.equal(r.ok, false);
      assert.equal(r.error?.code, 'folder.notFound');
      assert.match(r.error!.message, /sentFolder/);
      assert.match(r.error!.message, /Select Folders for Sync/);
      assert.match(r.error!.message, /Copies/, 'the message lists the folders to choose from');
      assert.equal(s.attempts, 0, 'nothing was sent');
      assert.equal(c.listDrafts('nosent').length, 1);

      c.ensureAccount({ ...acc, sentFolder: 'Copies' });
      const ok = await c.send('nosent', { draftId: r.draftId });
      assert.equal(ok.ok, true, ok.error?.message);
      assert.equal(ok.sentFolder, 'Copies');
      assert.equal(s.received.length, 1);
      const cl = await other.connect('nosent');
      try {
        const lock = await cl.getMailboxLock('Copies');
        try {
          assert.equal(((await cl.search({ header: { 'message-id': ok.messageId } }, { uid: true })) || []).length, 1);
        } finally {
          lock.release();
        }
      } finally {
        await cl.logout();
      }
      assert.equal(c.store.getFolder('nosent', 'Copies')?.selected, true, 'the mapped Sent folder is synced, so its local entry gets replaced');
    } finally {
      await other.dispose();
    }
  });

  it('CLI: maildesk send --to --subject --body, and --eml', async () => {
    const s = await smtp();
    const dir = tempDir('maildesk-cli-send-');
    const cfgFile = path.join(dir, 'maildesk.config.json');
    const acc = imapAccount('cli', dv.port, { smtpPort: s.port });
    acc.imap!.passwordEnv = 'MAILDESK_TEST_CLI_PW';
    acc.smtp!.passwordEnv = 'MAILDESK_TEST_CLI_PW';
    fs.writeFileSync(cfgFile, JSON.stringify({ accounts: [acc] }));
    process.env.MAILDESK_TEST_CLI_PW = 'secret';
    const out: string[] = [];
    const err: string[] = [];
    const io = { out: (x: string) => void out.push(x), err: (x: string) => void err.push(x) };
    const base = { config: cfgFile, dataDir: path.join(dir, 'data'), account: 'cli', to: [] as string[], cc: [] as string[], bcc: [] as string[], attach: [] as string[], json: false };
    try {
      let code = await sendCommand({ ...base, to: ['bob@example.test'], cc: ['carl@example.test'], subject: 'From the CLI', body: 'hello from a terminal' }, io);
      assert.equal(code, 0, err.join(''));
      assert.match(out.join(''), /^Sent <[^>]+> to bob@example\.test, carl@example\.test; in Sent/);
      assert.equal(s.received.length, 1);
      assert.equal((await parseMessage(s.received[0].raw)).text?.trim(), 'hello from a terminal');

      const eml = path.join(dir, 'm.eml');
      fs.writeFileSync(eml, 'From: cli@example.test\r\nTo: dan@example.test\r\nBcc: secret@example.test\r\nSubject: As a file\r\n\r\nbody\r\n');
      out.length = 0;
      code = await sendCommand({ ...base, eml, json: true }, io);
      assert.equal(code, 0, err.join(''));
      const j = JSON.parse(out.join(''));
      assert.equal(j.ok, true);
      assert.deepEqual(s.received[1].to.sort(), ['dan@example.test', 'secret@example.test']);
      assert.doesNotMatch(s.received[1].raw.toString(), /^Bcc:/im);
      assert.equal(s.received[1].messageId, j.messageId, 'a Message-ID is added when the file has none');

      s.setFault({ kind: 'rejectData', code: 554, message: '5.7.1 Policy rejection' });
      err.length = 0;
      code = await sendCommand({ ...base, to: ['bob@example.test'], subject: 'Refused', body: 'x' }, io);
      assert.equal(code, 1);
      assert.match(err.join(''), /not sent: .*554 5\.7\.1 Policy rejection.*stays in Drafts/);

      assert.equal(await sendCommand({ ...base, to: ['bob@example.test'], subject: 'no body' }, io), 2);
      assert.equal(await sendCommand({ ...base, to: ['not an address'], subject: 's', body: 'b' }, io), 2);
    } finally {
      delete process.env.MAILDESK_TEST_CLI_PW;
    }
  });
});
