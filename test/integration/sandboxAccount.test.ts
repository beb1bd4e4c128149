/**
 * "Try a Sandbox Mailbox": the engine serves a demo mailbox itself (src/engine/sandboxHost.ts).
 * Its account is an ordinary IMAP account pointing at 127.0.0.1, whose password no client is
 * asked for; the sandbox stops with the engine and comes back with the next one (a window that
 * takes over, VS Code restarted); removing the account stops it.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as net from 'node:net';
import { MailError } from '../../src/core/errors';
import { imapAccount, tempDir } from '../support/core';
import { type EngineHere, startEngineHere, stopEngineHere } from '../support/engineHere';

/** Whether something accepts connections on 127.0.0.1:port. */
function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port }, () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

describe('Try a Sandbox Mailbox (the engine serves a demo mailbox)', function () {
  this.timeout(60_000);
  let dataDir: string;
  let run: EngineHere | undefined;

  beforeEach(() => {
    dataDir = tempDir('maildesk-sandbox-account-');
  });
  afterEach(async () => {
    await stopEngineHere(run);
    run = undefined;
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  const inboxCount = async (): Promise<number> => {
    const r = await run!.client.request('sync/once', { accountIds: ['sandbox'] });
    assert.ok(r.ok, JSON.stringify(r.failed));
    return r.accounts[0].folders.find((f) => f.path === 'INBOX')?.local ?? 0;
  };

  it('adds a working account that needs no password, and survives the engine restarting', async () => {
    // The client knows no password at all: the sandbox's is the engine's own.
    run = await startEngineHere(dataDir, {});
    const added = await run.client.request('accounts/addSandbox', {});
    assert.deepEqual(added, { accountId: 'sandbox', email: added.email, added: true });
    const account = (await run.client.request('accounts/get', { accountId: 'sandbox' }))!;
    assert.equal(account.config.sandbox, true);
    assert.equal(account.config.imap?.host, '127.0.0.1');
    const folders = (await run.client.request('folders/list', { accountId: 'sandbox' })).map((f) => f.path);
    for (const f of ['INBOX', 'Sent', 'Drafts', 'Archive', 'Trash']) assert.ok(folders.includes(f), `${f} in ${folders.join(', ')}`);
    const before = await inboxCount();
    assert.ok(before > 10, `INBOX holds the sandbox's mail (${before})`);

    // Asked again: the same account, not a second one.
    assert.equal((await run.client.request('accounts/addSandbox', {})).added, false);
    assert.equal((await run.client.request('accounts/list', {})).length, 1);

    // The engine stops (the hosting window closed): its sandbox stops with it ...
    const port = account.config.imap!.port;
    await stopEngineHere(run);
    run = undefined;
    assert.equal(await listening(port), false, 'the sandbox stopped with its engine');

    // ... and the next engine serves it again before syncing, so the account keeps working.
    run = await startEngineHere(dataDir, {});
    const again = (await run.client.request('accounts/get', { accountId: 'sandbox' }))!;
    assert.equal(await listening(again.config.imap!.port), true);
    assert.equal(await inboxCount(), before);

    // Removing the account stops its servers.
    await run.client.request('accounts/remove', { accountId: 'sandbox' });
    assert.equal(await listening(again.config.imap!.port), false, 'the sandbox stopped with its account');
  });

  it('never replaces an account of the user that happens to be called "sandbox"', async () => {
    run = await startEngineHere(dataDir, {});
    await run.client.request('accounts/ensure', { accounts: [{ ...imapAccount('sandbox', 1) }] });
    await assert.rejects(run.client.request('accounts/addSandbox', {}), (e: unknown) => e instanceof MailError && e.code === 'config.invalid' && /remove that account/.test(e.message));
    assert.equal((await run.client.request('accounts/get', { accountId: 'sandbox' }))!.config.sandbox, undefined);
  });
});
