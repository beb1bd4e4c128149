import { strict as assert } from 'node:assert';
import type { AccountConfig } from '../../src/core/config';
import type { Check } from '../../src/core/diagnostics/check';
import { authStatus, incomingConnect, oauthConfigured, outgoingConnect } from '../../src/core/diagnostics/checks/connection';
import { aiSwitches } from '../../src/core/diagnostics/checks/product';
import { syncProgress } from '../../src/core/diagnostics/checks/sync';
import { CHECKS } from '../../src/core/diagnostics/registry';
import { runChecks, type CheckProgress } from '../../src/core/diagnostics/runner';
import { MailDesk } from '../../src/core/maildesk';
import { jobId } from '../../src/core/sync/scheduler';

/** Checks that need no server: OAuth configuration, AI switches, the job table, and the runner itself. */
describe('Troubleshoot checks without a server', () => {
  let core: MailDesk;
  beforeEach(async () => {
    core = await MailDesk.open({ credentials: { password: async () => 'x' } });
  });
  afterEach(() => core.close());

  const gmail: AccountConfig = { id: 'g', provider: 'gmail', email: 'g@example.test' };
  const outlook: AccountConfig = { id: 'o', provider: 'outlook', email: 'o@example.test' };

  it('a Gmail account without a client id: oauth.configured fails "OAuth not configured"; sign-in and server checks skip, not fail', async () => {
    core.store.upsertAccount(gmail);
    const out = await runChecks(core, { checks: [oauthConfigured, authStatus, incomingConnect], oauth: {}, timeoutMs: 2000 });
    const by = Object.fromEntries(out.map((o) => [o.id, o]));
    assert.equal(by['oauth.configured'].status, 'fail');
    assert.match(by['oauth.configured'].detail, /^OAuth not configured: no Google OAuth client id/);
    assert.match(by['oauth.configured'].remedy, /administrator configures the Google OAuth client/);
    assert.equal(by['oauth.configured'].section, '"OAuth not configured"');
    assert.equal(by['oauth.configured'].action?.command, 'workbench.action.openSettings');
    assert.equal(by['auth.status'].status, 'skip');
    assert.equal(by['incoming.connect'].status, 'skip');
  });

  it('oauth.configured passes with a client id, and fails for Outlook without one or Gmail with its secret variable unset', async () => {
    core.store.upsertAccount(gmail);
    core.store.upsertAccount(outlook);
    const ok = await runChecks(core, { checks: [oauthConfigured], oauth: { google: { clientId: 'cid' }, microsoft: { clientId: 'mid' } } });
    assert.deepEqual(ok.map((o) => o.status), ['pass', 'pass']);
    const bad = await runChecks(core, { checks: [oauthConfigured], oauth: { google: { clientId: 'cid', clientSecretEnv: 'NOPE_SECRET' } }, env: {} });
    assert.match(bad.find((o) => o.account === 'g')!.detail, /NOPE_SECRET .* is not set/);
    assert.match(bad.find((o) => o.account === 'o')!.detail, /no Microsoft OAuth client id/);
    assert.ok(bad.every((o) => o.status === 'fail'));
  });

  it('ai.switches: the global switch, a feature switch set to "0", and the account switch each turn it to warn and name the setting', async () => {
    core.store.upsertAccount({ id: 'w', provider: 'imap', email: 'w@example.test', imap: { host: 'h', port: 1, security: 'none', user: 'w' } });
    const run = async (settings: Record<string, unknown>) => (await runChecks(core, { checks: [aiSwitches], settings }))[0];
    assert.equal((await run({})).status, 'pass');
    assert.equal((await run({ 'maildesk.ai.enabled': true, 'maildesk.ai.feature.draft.enabled': 1 })).status, 'pass');
    const global = await run({ 'maildesk.ai.enabled': false });
    assert.equal(global.status, 'warn');
    assert.match(global.detail, /maildesk\.ai\.enabled is off: every AI action is turned off/);
    const feature = await run({ 'maildesk.ai.feature.check.enabled': '0' });
    assert.match(feature.detail, /"Check with AI" is unavailable/);
    const account = await run({ 'maildesk.ai.account.w.enabled': false });
    assert.match(account.detail, /"Enable AI features" is off for this mailbox/);
    assert.deepEqual(account.action?.args, ['maildesk.ai.account.w.enabled']);
  });

  it('sync.progress: never synced warns; a paused job and a job failing 3 times in a row fail with their errors', async () => {
    core.store.upsertAccount({ id: 'w', provider: 'imap', email: 'w@example.test', imap: { host: 'h', port: 1, security: 'none', user: 'w' } });
    const never = (await runChecks(core, { checks: [syncProgress] }))[0];
    assert.equal(never.status, 'warn');
    assert.match(never.detail, /has not been synced yet/);
    core.store.upsertFolders('w', [{ path: 'INBOX', name: 'INBOX', role: 'inbox' }], () => true);
    core.scheduler.ensureJobs('w');
    const now = Date.now();
    core.store.updateJob(jobId('w', 'sync', 'INBOX'), { status: 'error', attempts: 3, lastRun: now, lastSuccess: now - 60_000, errorCode: 'net.refused', errorMessage: 'IMAP h:1: connection refused' });
    const failing = (await runChecks(core, { checks: [syncProgress] }))[0];
    assert.equal(failing.status, 'fail');
    assert.match(failing.detail, /w:sync:INBOX failed 3 times in a row.*connection refused/);
    assert.match(failing.remedy, /host, port and security/);
    core.store.updateJob(jobId('w', 'tasks'), { status: 'paused', errorCode: 'auth.failed', errorMessage: 'the server rejected the user name or password' });
    const paused = (await runChecks(core, { checks: [syncProgress] }))[0];
    assert.match(paused.detail, /w:tasks is paused: the server rejected/);
  });

  it('outgoing.connect: an IMAP account without an outgoing server is fixed by Edit Account, for that account', async () => {
    core.store.upsertAccount({ id: 'w', provider: 'imap', email: 'w@example.test', imap: { host: 'h', port: 1, security: 'none', user: 'w' } });
    const r = (await runChecks(core, { checks: [outgoingConnect] }))[0];
    assert.equal(r.status, 'warn');
    assert.match(r.detail, /no outgoing \(SMTP\) server is configured/);
    assert.match(r.remedy, /Edit Account/);
    assert.equal(r.action?.command, 'maildesk.editAccount');
    assert.deepEqual(r.action?.args?.[0], { kind: 'account', accountId: 'w' });
  });

  it('reports progress per check, keeps registry order, and turns a throwing or hanging check into a failure', async () => {
    core.store.upsertAccount({ id: 'w', provider: 'imap', email: 'w@example.test', imap: { host: 'h', port: 1, security: 'none', user: 'w' } });
    const throws: Check = { id: 'x.throws', title: 'Throws', section: 'S', run: async () => Promise.reject(new Error('boom')) };
    const hangs: Check = { id: 'x.hangs', title: 'Hangs', section: 'S', run: () => new Promise(() => undefined) };
    const events: CheckProgress[] = [];
    const t0 = Date.now();
    const out = await runChecks(core, { checks: [hangs, aiSwitches, throws], timeoutMs: 50, onProgress: (p) => events.push(p) });
    assert.ok(Date.now() - t0 < 3000);
    assert.deepEqual(out.map((o) => [o.id, o.status]), [['x.hangs', 'fail'], ['ai.switches', 'pass'], ['x.throws', 'fail']]);
    assert.match(out[0].detail, /the check could not complete: check x\.hangs: no answer within/);
    assert.match(out[2].detail, /boom/);
    assert.equal(events.filter((e) => e.phase === 'start').length, 3);
    assert.deepEqual(events.filter((e) => e.phase === 'done').map((e) => e.done).sort(), [1, 2, 3]);
    assert.ok(events.every((e) => e.total === 3));
  });

  it('no accounts: the store and disk checks, then one installation-wide warning that offers Add IMAP Account', async () => {
    const out = await runChecks(core, {});
    assert.deepEqual(out.map((o) => [o.id, o.status]), [['store.health', 'pass'], ['disk.space', 'skip'], ['auth.signIn', 'pass'], ['accounts', 'warn']]);
    assert.ok(out.every((o) => o.account === null));
    assert.equal(out[3].action?.command, 'maildesk.addImapAccount');
  });

  it('the registry has every check id the issue names, each with a guide section', () => {
    assert.deepEqual(
      CHECKS.map((c) => c.id),
      ['oauth.configured', 'auth.status', 'incoming.connect', 'outgoing.connect', 'network.provider', 'mail.missing', 'folders.selection', 'gmail.labels', 'sent.mapping', 'sent.swap', 'drafts.unsent', 'sync.progress', 'ai.switches', 'ai.provider', 'agent.tools', 'licence', 'bridges'],
    );
    assert.ok(CHECKS.every((c) => c.section.length > 3 && c.title.length > 3));
  });
});
