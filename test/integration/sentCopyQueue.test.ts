/**
 * A message sent while the IMAP server is down (or while its connection drops) gets its Sent
 * copy once the server is back, exactly once, against a real Dovecot and the SMTP sink: the
 * copy waits as a task in the store (src/core/send/sentCopyTask.ts) that survives a restart,
 * the tasks job saves it, Troubleshoot's sent.mapping says it is waiting and why, and a try
 * whose answer was lost (the APPEND did happen) never leads to a second copy.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import { findCheck } from '../../src/core/diagnostics/registry';
import { runChecks } from '../../src/core/diagnostics/runner';
import type { MailDesk } from '../../src/core/maildesk';
import { waitingSentCopies } from '../../src/core/send/sentCopyTask';
import { syncOnce } from '../../src/core/sync/once';
import { startCourierProxy } from '../support/courierProxy';
import { requireDovecot, startDovecot, type Dovecot } from '../support/dovecot';
import { imapAccount, openCore, tempDir } from '../support/core';
import { startSmtp, type SmtpServer } from '../support/smtp';

const USERS = ['down', 'lost'];
const PASSWORDS = Object.fromEntries(USERS.map((u) => [u, 'secret']));
const FAST = { retryBaseMs: 20, sentCheckDelaysMs: [150, 400] };

describe('a Sent copy that could not be saved is saved once the server is back (Dovecot + SMTP)', function () {
  this.timeout(120_000);
  let dv: Dovecot;
  let smtp: SmtpServer;
  const cores: MailDesk[] = [];
  const cleanup: Array<() => Promise<void>> = [];
  const dirs: string[] = [];

  before(async function () {
    requireDovecot(this);
    dv = await startDovecot({ users: { ...PASSWORDS } });
    smtp = await startSmtp({ users: { ...PASSWORDS } });
  });
  afterEach(async () => {
    for (const c of cores.splice(0)) await c.close().catch(() => undefined);
    for (const f of cleanup.splice(0)) await f();
    if (!dv.running) await dv.start();
  });
  after(async () => {
    await smtp?.stop();
    await dv?.dispose();
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });

  async function open(dir: string): Promise<MailDesk> {
    const c = await openCore(dir, PASSWORDS, { send: FAST });
    cores.push(c);
    return c;
  }

  async function close(c: MailDesk): Promise<void> {
    cores.splice(cores.indexOf(c), 1);
    await c.close();
  }

  async function serverCopies(user: string, messageId: string): Promise<number> {
    const cl = await dv.connect(user);
    try {
      const lock = await cl.getMailboxLock('Sent');
      try {
        return ((await cl.search({ header: { 'message-id': messageId } }, { uid: true })) || []).length;
      } finally {
        lock.release();
      }
    } finally {
      await cl.logout();
    }
  }

  function inSent(c: MailDesk, user: string, messageId: string) {
    const f = c.store.getFolder(user, 'Sent')!;
    return c.store.listMessages(f.id, { limit: 1000 }).filter((m) => m.messageId === messageId);
  }

  async function until<T>(what: string, fn: () => Promise<T | undefined> | T | undefined, ms = 60_000): Promise<T> {
    const end = Date.now() + ms;
    for (;;) {
      const v = await fn();
      if (v !== undefined) return v;
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  it('sent while IMAP is down: Sent shows it at once, the server gets it after the server is back, once, with a restart in between', async () => {
    const dir = tempDir('maildesk-sentcopy-');
    dirs.push(dir);
    let c = await open(dir);
    await c.addAccount(imapAccount('down', dv.port, { smtpPort: smtp.port }));
    await syncOnce(c, ['down']);
    // A first send while all is well: the classic host keeps no copy, MailDesk appends one.
    const first = await c.send('down', { to: ['bob@example.test'], subject: 'Before the outage', text: 'one' });
    assert.equal(first.sentCopy, 'appended', first.warning);

    await dv.stop();
    const r = await c.send('down', { to: ['Bob <bob@example.test>'], subject: 'During the outage', text: 'two' });
    assert.equal(r.ok, true, r.error?.describe());
    assert.ok(smtp.received.some((m) => m.messageId === r.messageId), 'the SMTP server took the message');
    assert.equal(r.sentCopy, 'queued');
    assert.match(r.warning ?? '', /could not be saved yet .*as soon as the server takes it/);
    const local = inSent(c, 'down', r.messageId);
    assert.equal(local.length, 1, 'Sent shows it at once');
    assert.equal(local[0].origin, 'local');
    const [waiting] = waitingSentCopies(c.store, 'down');
    assert.equal(waiting.messageId, r.messageId);
    assert.match(waiting.error ?? '', /^net\./, waiting.error ?? '');

    // While the server is still down, the tasks job fails without losing the copy.
    const pushed = await c.pushActions('down');
    assert.equal(pushed.failed.length, 1, JSON.stringify(pushed));
    assert.equal(waitingSentCopies(c.store, 'down').length, 1);

    // Troubleshoot says the copy waits, why, and that it goes by itself.
    const [check] = await runChecks(c, { accounts: ['down'], checks: [findCheck('sent.mapping')!], timeoutMs: 5000 });
    assert.equal(check.status, 'warn', check.detail);
    assert.match(check.detail, /copy of 1 sent message could not be saved to "Sent" yet and waits to be saved/);
    assert.match(check.detail, new RegExp(`oldest ${r.messageId.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    assert.match(check.detail, /net\.\w+/);
    assert.match(check.remedy ?? '', /saves the copies by itself as soon as the incoming server answers again/);

    // A restart while the server is down keeps the task.
    await close(c);
    c = await open(dir);
    assert.deepEqual(
      waitingSentCopies(c.store, 'down').map((w) => w.messageId),
      [r.messageId],
      'the waiting copy survived the restart',
    );
    assert.equal(inSent(c, 'down', r.messageId).length, 1);

    await dv.start();
    assert.equal(await serverCopies('down', r.messageId), 0, 'nothing on the server before the tasks job ran');
    // The running scheduler's tasks job saves it, and the Sent sync adopts the server's copy.
    c.start();
    await until('the copy on the server', async () => ((await serverCopies('down', r.messageId)) > 0 ? true : undefined));
    await until('the local entry replaced by the server copy', () => {
      const rows = inSent(c, 'down', r.messageId);
      return rows.length === 1 && rows[0].origin === 'remote' ? rows : undefined;
    });
    await c.stop();
    assert.equal(waitingSentCopies(c.store, 'down').length, 0);
    assert.equal(await serverCopies('down', r.messageId), 1, 'exactly one copy on the server');
    assert.equal(await serverCopies('down', first.messageId), 1);

    // Another run of the tasks job (and another sync) adds nothing.
    await c.pushActions('down');
    await syncOnce(c, ['down']);
    assert.equal(await serverCopies('down', r.messageId), 1);
    assert.equal(inSent(c, 'down', r.messageId).length, 1);
    const [after] = await runChecks(c, { accounts: ['down'], checks: [findCheck('sent.mapping')!], timeoutMs: 5000 });
    assert.equal(after.status, 'pass', after.detail);
  });

  it('the connection drops after the server saved the copy: the next try finds it by Message-ID and appends nothing', async () => {
    const proxy = await startCourierProxy(dv.port, { loseAnswerOnce: 'APPEND' });
    cleanup.push(() => proxy.stop());
    const c = await open(tempDir('maildesk-sentcopy-lost-'));
    await c.addAccount({ ...imapAccount('lost', proxy.port, { smtpPort: smtp.port }), saveSentCopy: 'always' });
    await syncOnce(c, ['lost']);
    const r = await c.send('lost', { to: ['bob@example.test'], subject: 'Answer lost', text: 'x' });
    assert.equal(r.ok, true, r.error?.describe());
    assert.equal(proxy.lostAnswers(), 1, 'the APPEND reached the server and its answer was lost');
    assert.equal(r.sentCopy, 'queued', r.warning);
    assert.equal(await serverCopies('lost', r.messageId), 1, 'the server did save it');

    const pushed = await c.pushActions('lost');
    assert.deepEqual(pushed.failed, []);
    assert.equal(waitingSentCopies(c.store, 'lost').length, 0);
    assert.equal(await serverCopies('lost', r.messageId), 1, 'never a second copy');
    assert.ok(c.log.recent().some((l) => /is in Sent already; nothing appended/.test(l.msg)));
  });
});
