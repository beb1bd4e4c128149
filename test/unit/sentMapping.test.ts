import { strict as assert } from 'node:assert';
import { sentMapping } from '../../src/core/diagnostics/checks/folders';
import { runChecks } from '../../src/core/diagnostics/runner';
import { MailDesk } from '../../src/core/maildesk';
import { sentCopyFailureKey, sentCopySettingKey } from '../../src/core/send/sender';
import { queueSentCopy, sentCopyRetryDelay, waitingSentCopies } from '../../src/core/send/sentCopyTask';

describe('sent.mapping without a server', () => {
  let core: MailDesk;
  beforeEach(async () => {
    core = await MailDesk.open({ credentials: { password: async () => 'x' } });
  });
  afterEach(() => core.close());

  it("Outlook: Graph's well-known Sent Items is the Sent folder by the provider's word, not by its name", async () => {
    core.store.upsertAccount({ id: 'o', provider: 'outlook', email: 'o@example.test' });
    core.store.upsertFolders('o', [{ path: 'Inbox', name: 'Inbox', role: 'inbox' }, { path: 'Sent Items', name: 'Sent Items', role: 'sent' }], () => true);
    const [out] = await runChecks(core, { checks: [sentMapping], oauth: {}, timeoutMs: 2000 });
    assert.equal(out.status, 'pass', out.detail);
    assert.match(out.detail, /Sent folder "Sent Items" \(the provider's own Sent folder\)/);
    assert.match(out.detail, /provider keeps its own Sent copy: yes/);
  });

  it('IMAP: what the sender learnt is reported, and a failed Sent copy makes the check fail', async () => {
    core.store.upsertAccount({ id: 'i', provider: 'imap', email: 'i@example.test', imap: { host: '127.0.0.1', port: 1, security: 'none', user: 'i' } });
    core.store.upsertFolders('i', [{ path: 'INBOX', name: 'Inbox', role: 'inbox' }, { path: 'Sent', name: 'Sent', role: 'sent', specialUse: '\\Sent' }], () => true);
    core.store.setSetting(sentCopySettingKey('i'), 'client');
    const [ok] = await runChecks(core, { checks: [sentMapping], timeoutMs: 2000 });
    assert.equal(ok.status, 'pass', ok.detail);
    assert.match(ok.detail, /provider keeps its own Sent copy: no, MailDesk appends the copy/);
    core.store.setSetting(sentCopyFailureKey('i'), JSON.stringify({ messageId: '<m1@x>', folder: 'Sent', at: Date.UTC(2026, 0, 1), code: 'server.protocol', error: 'IMAP APPEND Sent: Command failed (Current box is selected READ-ONLY)' }));
    const [bad] = await runChecks(core, { checks: [sentMapping], timeoutMs: 2000 });
    assert.equal(bad.status, 'fail');
    assert.match(bad.detail, /copy of a sent message \(<m1@x>, 2026-01-01T00:00:00.000Z\) could not be saved to "Sent": server\.protocol: .*READ-ONLY/);
    assert.equal(bad.action?.command, 'maildesk.testIncoming');
  });

  it('Sent copies waiting as tasks: a warning while the server is unreachable, a failure when it refuses them; how many, since when and why', async () => {
    core.store.upsertAccount({ id: 'w', provider: 'imap', email: 'w@example.test', imap: { host: '127.0.0.1', port: 1, security: 'none', user: 'w' } });
    core.store.upsertFolders('w', [{ path: 'INBOX', name: 'Inbox', role: 'inbox' }, { path: 'Sent', name: 'Sent', role: 'sent', specialUse: '\\Sent' }], () => true);
    const sentAt = Date.UTC(2026, 0, 2, 9);
    queueSentCopy(core.store, 'w', { messageId: '<a@x>', blob: 'b1', folderPath: 'Sent', sentAt }, 'net.refused: the incoming server refused the connection');
    queueSentCopy(core.store, 'w', { messageId: '<b@x>', blob: 'b2', folderPath: 'Sent', sentAt: sentAt + 60_000 }, 'net.refused: the incoming server refused the connection');
    assert.deepEqual(
      waitingSentCopies(core.store, 'w').map((w) => w.messageId),
      ['<a@x>', '<b@x>'],
    );
    const [down] = await runChecks(core, { checks: [sentMapping], timeoutMs: 2000 });
    assert.equal(down.status, 'warn', down.detail);
    assert.match(down.detail, /the copy of 2 sent messages could not be saved to "Sent" yet and wait to be saved \(oldest <a@x>, sent 2026-01-02T09:00:00.000Z; 0 tries since, next try at the next run of the tasks job\): net\.refused/);
    assert.match(down.remedy ?? '', /saves the copies by itself/);

    const [t] = core.store.jobs.pendingTasksOfKind('w', 'sentCopy');
    core.store.jobs.deferTask(t.id, 'server.protocol: IMAP APPEND Sent: Command failed (Permission denied)', Date.UTC(2026, 0, 2, 10));
    const [refused] = await runChecks(core, { checks: [sentMapping], timeoutMs: 2000 });
    assert.equal(refused.status, 'fail', refused.detail);
    assert.match(refused.detail, /1 try since, next try 2026-01-02T10:00:00.000Z\): server\.protocol: .*Permission denied/);
    assert.match(refused.remedy ?? '', /refuses the copies.*keeps trying, at most an hour apart/);
  });

  it('a refused Sent copy backs off from about a minute to at most an hour', () => {
    assert.equal(sentCopyRetryDelay(1, () => 0), 30_000);
    assert.equal(sentCopyRetryDelay(1, () => 0.999999), 59_999);
    assert.equal(sentCopyRetryDelay(20, () => 0.999999), 3_599_996);
  });
});
