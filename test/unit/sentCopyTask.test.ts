/**
 * The tasks job and a waiting Sent copy (src/core/send/sentCopyTask.ts), with a provider made
 * here: an unreachable server leaves the task pending with its error and backs the job off; the
 * account's first successful job after that brings the tasks job forward; a try searches Sent
 * by Message-ID first and appends only when the copy is not there; a refusal backs this task off
 * on its own; a copy whose file is gone fails for good and says so.
 */
import { strict as assert } from 'node:assert';
import type { AccountConfig } from '../../src/core/config';
import { MailError } from '../../src/core/errors';
import type { MailProvider } from '../../src/core/providers/provider';
import { readSentCopyFailure, queueSentCopy, waitingSentCopies } from '../../src/core/send/sentCopyTask';
import { MailStore } from '../../src/core/store/store';
import { jobId, Scheduler } from '../../src/core/sync/scheduler';

const ACCOUNT: AccountConfig = { id: 'al', provider: 'imap', email: 'al@example.test', imap: { host: '127.0.0.1', port: 1, security: 'none', user: 'al' } };
const NOW = Date.UTC(2026, 11, 6, 12);

describe('Sent copy tasks in the tasks job', () => {
  let store: MailStore;
  let scheduler: Scheduler;
  let mode: 'down' | 'up' | 'refuse';
  let onServer: string[];
  let appends: number;

  beforeEach(async () => {
    store = await MailStore.open();
    store.upsertAccount({ ...ACCOUNT, saveSentCopy: 'always' });
    store.upsertFolders('al', [{ path: 'INBOX', name: 'INBOX', role: 'inbox' }, { path: 'Sent', name: 'Sent', role: 'sent', specialUse: '\\Sent' }], (f) => f.path === 'INBOX');
    mode = 'down';
    onServer = [];
    appends = 0;
    const down = () => new MailError('net.refused', 'the incoming server refused the connection');
    const provider = {
      syncFolder: async () => {
        if (mode === 'down') throw down();
        return { newMessages: 0, reset: false, complete: true };
      },
      findByMessageId: async (_folder: string, messageId: string) => {
        if (mode === 'down') throw down();
        return onServer.filter((m) => m === messageId).map((_, i) => i + 1);
      },
      appendMessage: async (_folder: string, raw: Buffer) => {
        if (mode === 'refuse') throw new MailError('server.protocol', 'IMAP APPEND Sent: Command failed', { providerMessage: 'Permission denied', retryable: false });
        appends++;
        onServer.push(/^Message-ID: (.*)$/im.exec(raw.toString())![1].trim());
        return { uid: appends };
      },
      applyTask: async () => undefined,
    } as unknown as MailProvider;
    scheduler = new Scheduler({ store, provider: () => provider, logger: { log: () => undefined }, now: () => NOW, backoffBaseMs: 60_000 });
    scheduler.ensureJobs('al');
  });
  afterEach(() => store.close());

  const queue = (messageId: string): void => {
    const blob = store.blobs.put(Buffer.from(`Message-ID: ${messageId}\r\nSubject: s\r\n\r\nbody\r\n`));
    queueSentCopy(store, 'al', { messageId, blob, folderPath: 'Sent', sentAt: NOW - 1000 }, 'net.refused: the incoming server refused the connection');
  };
  const tasks = () => scheduler.runJob(store.getJob(jobId('al', 'tasks'))!);

  it('server down: stays waiting and the job backs off; the first job that reaches the server again brings the tasks job forward; then appended once', async () => {
    queue('<m1@x>');
    await tasks();
    const job = store.getJob(jobId('al', 'tasks'))!;
    assert.equal(job.status, 'error');
    assert.ok(job.nextRun! > NOW, 'backing off');
    assert.equal(store.getAccount('al')!.state, 'disconnected');
    assert.equal(waitingSentCopies(store, 'al')[0].attempts, 1);

    mode = 'up';
    await scheduler.runJob(store.getJob(jobId('al', 'sync', 'INBOX'))!);
    assert.equal(store.getAccount('al')!.state, 'connected');
    assert.equal(store.getJob(jobId('al', 'tasks'))!.nextRun, NOW, 'the tasks job runs now, not when its back-off ends');

    await tasks();
    assert.equal(appends, 1);
    assert.deepEqual(waitingSentCopies(store, 'al'), []);
    await tasks();
    assert.equal(appends, 1, 'done means done');
  });

  it('already in Sent (an earlier try whose answer was lost, or the server\'s own copy): nothing appended', async () => {
    queue('<m2@x>');
    onServer.push('<m2@x>');
    mode = 'up';
    await tasks();
    assert.equal(appends, 0);
    assert.deepEqual(waitingSentCopies(store, 'al'), []);
  });

  it('refused by the server: this task backs off on its own (the job stays healthy) and keeps waiting with the server\'s words', async () => {
    queue('<m3@x>');
    mode = 'refuse';
    await tasks();
    const [w] = waitingSentCopies(store, 'al');
    assert.match(w.error ?? '', /^server\.protocol: .*Permission denied/);
    assert.ok(w.nextTry! >= NOW + 30_000 && w.nextTry! <= NOW + 60_000, `${w.nextTry! - NOW} ms`);
    const job = store.getJob(jobId('al', 'tasks'))!;
    assert.equal(job.status, 'ok');
    assert.equal(job.nextRun, w.nextTry, 'the tasks job comes back for it');
    mode = 'up';
    await tasks();
    assert.equal(appends, 0, 'not before its back-off is over');
    assert.equal(waitingSentCopies(store, 'al')[0].attempts, 1);
  });

  it('its file gone from the data folder: failed for good, and sent.mapping is told why', async () => {
    queueSentCopy(store, 'al', { messageId: '<m4@x>', blob: 'missing', folderPath: 'Sent', sentAt: NOW }, 'net.refused: x');
    mode = 'up';
    await tasks();
    assert.deepEqual(waitingSentCopies(store, 'al'), []);
    assert.match(readSentCopyFailure(store, 'al')?.error ?? '', /file of sent message <m4@x> is missing from the data folder/);
  });
});
