import { strict as assert } from 'node:assert';
import type { AccountConfig } from '../../src/core/config';
import { MailError } from '../../src/core/errors';
import type { MailProvider } from '../../src/core/providers/provider';
import { MailStore } from '../../src/core/store/store';
import { jobId, Scheduler } from '../../src/core/sync/scheduler';

const ACCOUNT: AccountConfig = {
  id: 'alice',
  provider: 'imap',
  email: 'alice@example.test',
  imap: { host: '127.0.0.1', port: 1143, security: 'none', user: 'alice' },
};

describe('Scheduler: sign-in failures and resume', () => {
  async function setup(syncFolder: () => Promise<never>): Promise<{ store: MailStore; scheduler: Scheduler }> {
    const store = await MailStore.open();
    store.upsertAccount(ACCOUNT);
    store.upsertFolders('alice', [{ path: 'INBOX', name: 'INBOX', role: 'inbox' }], () => true);
    const provider = { syncFolder } as unknown as MailProvider;
    const scheduler = new Scheduler({ store, provider: () => provider, logger: { log: () => undefined } });
    scheduler.ensureJobs('alice');
    return { store, scheduler };
  }

  it('a missing password pauses the account when nothing changed while the job ran', async () => {
    const { store, scheduler } = await setup(async () => {
      throw new MailError('config.missingPassword', 'no password');
    });
    await scheduler.runJob(store.getJob(jobId('alice', 'sync', 'INBOX'))!);
    assert.equal(store.getAccount('alice')!.stateCode, 'config.missingPassword');
    assert.ok(store.listJobs('alice').every((j) => j.status === 'paused' || j.status === 'error'), JSON.stringify(store.listJobs('alice').map((j) => [j.id, j.status])));
  });

  it('a sign-in failure of a job started before a resume does not pause the account again: the job runs again', async () => {
    let resumeNow: () => void = () => undefined;
    const { store, scheduler } = await setup(async () => {
      // The password was asked for (and refused) before the client that has it connected.
      resumeNow();
      throw new MailError('config.missingPassword', 'no password');
    });
    resumeNow = () => scheduler.resume('alice');
    const job = store.getJob(jobId('alice', 'sync', 'INBOX'))!;
    await scheduler.runJob(job);
    await scheduler.stop();
    assert.notEqual(store.getAccount('alice')!.stateCode, 'config.missingPassword');
    const after = store.getJob(job.id)!;
    assert.equal(after.status, 'pending');
    assert.ok(after.nextRun !== null && after.nextRun <= Date.now());
    assert.ok(store.listJobs('alice').every((j) => j.status !== 'paused'), JSON.stringify(store.listJobs('alice').map((j) => [j.id, j.status])));
  });

  it('a tasks job with nothing to do leaves a disconnected account disconnected; a sync that reaches the server connects it', async () => {
    const { store, scheduler } = await setup(async () => ({ newMessages: 0, complete: true }) as never);
    store.setAccountState('alice', 'disconnected', 'auth.failed', 'IMAP: login failed (wrong password)');
    // No task is queued: the job succeeds without asking the server anything.
    await scheduler.runJob(store.getJob(jobId('alice', 'tasks'))!);
    assert.equal(store.getJob(jobId('alice', 'tasks'))!.status, 'ok');
    assert.equal(store.getAccount('alice')!.state, 'disconnected', 'an idle tasks job says nothing of the connection');
    assert.equal(store.getAccount('alice')!.stateCode, 'auth.failed');
    await scheduler.runJob(store.getJob(jobId('alice', 'sync', 'INBOX'))!);
    await scheduler.stop();
    assert.equal(store.getAccount('alice')!.state, 'connected', 'a sync that reached the server');
  });
});

