import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { doctorCommand } from '../../src/cli/commands/doctor';
import { GOOGLE_CLIENT_SECRET_KEY } from '../../src/core/auth/oauthConfig';
import { recordingSignIn } from '../../src/core/auth/signInRecord';
import { memorySecretStore, TokenStore } from '../../src/core/auth/tokens';
import type { OAuthConfig } from '../../src/core/config';
import type { CheckOutcome } from '../../src/core/diagnostics/check';
import type { SupportReport } from '../../src/core/diagnostics/report';
import { runChecks } from '../../src/core/diagnostics/runner';
import { toMailError } from '../../src/core/errors';
import { MailDesk } from '../../src/core/maildesk';
import { httpsNetworkClient } from '../../src/core/providers/graph/msalAuth';
import { startGoogleSignIn } from '../../src/core/providers/gmail/signIn';
import { addOutlookAccount } from '../../src/core/providers/graph/outlookAccount';
import { syncOnce } from '../../src/core/sync/once';
import { openCore, tempDir } from '../support/core';
import { type GoogleServer, startGoogleServer } from '../support/googleServer';
import { FakeMicrosoft, simulateBrowser } from '../support/graphServer';

/**
 * The guide's OAuth and Gmail symptoms on the local Microsoft and Google servers, read from
 * Troubleshoot: check id, status, remedy and the provider's own fix button.
 */

function only(outcomes: CheckOutcome[], id: string): CheckOutcome {
  const hits = outcomes.filter((o) => o.id === id);
  assert.equal(hits.length, 1, `${id}: ${JSON.stringify(hits)}`);
  return hits[0];
}

describe('Troubleshoot: OAuth and Gmail symptoms on the local provider servers', function () {
  this.timeout(60_000);

  describe('Outlook / Microsoft 365', () => {
    let ms: FakeMicrosoft;
    let core: MailDesk | undefined;
    let secrets: ReturnType<typeof memorySecretStore>;
    let oauth: OAuthConfig;
    const browser = async (url: string): Promise<void> => {
      await simulateBrowser(url, ms.cert);
    };
    const signInOpts = () => ({ settings: oauth.microsoft, secrets, networkClient: httpsNetworkClient({ ca: ms.cert }) });
    const open = async (extra: Record<string, unknown> = {}) => (core = await openCore(undefined, {}, { secrets, oauth, graph: { ca: ms.cert, msalNetworkClient: httpsNetworkClient({ ca: ms.cert }), ...extra } }));
    const check = (c: MailDesk, accounts?: string[]) => runChecks(c, { accounts, oauth, timeoutMs: 5000 });

    beforeEach(async () => {
      ms = new FakeMicrosoft({ latencyMs: 5 });
      await ms.start();
      secrets = memorySecretStore();
      oauth = { microsoft: { clientId: ms.clientId, tenant: 'organizations', authority: ms.authority, graphBaseUrl: ms.base } };
      for (let i = 0; i < 3; i++) ms.addMessage('inbox', { subject: `Inbox ${i}` });
    });
    afterEach(async () => {
      await core?.close();
      core = undefined;
      // The network test stops it already.
      await ms.stop().catch(() => undefined);
    });

    it('"Access denied" during sign-in: no account is left, yet auth.signIn reports the provider, the exact error and when, with the guide\'s remedy; a later sign-in clears it', async () => {
      const c = await open();
      ms.authorizeError = { error: 'access_denied', description: 'AADSTS65004: User declined to consent to access the app.' };
      await assert.rejects(addOutlookAccount(c, { id: 'o', provider: 'outlook', email: ms.user.email }, browser, signInOpts()));
      assert.equal(c.store.listAccounts().length, 0);
      const hit = only(await check(c), 'auth.signIn');
      assert.equal(hit.status, 'fail', hit.detail);
      assert.equal(hit.account, null);
      assert.match(hit.detail, new RegExp(`the Outlook / Microsoft 365 sign-in for ${ms.user.email.replace('.', '\\.')} failed at \\d{4}-\\d\\d-\\d\\dT[\\d:]+Z: auth\\.accessDenied: .*AADSTS65004`));
      assert.match(hit.remedy, /accept every permission .* admin consent .* conditional-access/);
      assert.equal(hit.section, '"Access denied" during sign-in');
      assert.deepEqual(hit.action, { title: 'Add Outlook / Microsoft 365 Account', command: 'maildesk.addOutlookAccount' });
      ms.authorizeError = undefined;
      await addOutlookAccount(c, { id: 'o', provider: 'outlook', email: ms.user.email }, browser, signInOpts());
      assert.equal(only(await check(c, ['o']), 'auth.signIn').status, 'pass');
    });

    it('"OAuth not configured" (Outlook): no Microsoft client id where MailDesk runs; connecting stops with oauth.notConfigured and oauth.configured fails with the administrator\'s remedy and Open Settings; auth.status waits for it', async () => {
      const c = await openCore(undefined, {}, { secrets, oauth: {}, graph: { ca: ms.cert, msalNetworkClient: httpsNetworkClient({ ca: ms.cert }) } });
      core = c;
      c.ensureAccount({ id: 'o', provider: 'outlook', email: ms.user.email });
      // Connecting the account stops before any sign-in: its folders cannot be listed.
      await assert.rejects(c.refreshFolders('o'), (e: unknown) => (e as { code?: string }).code === 'oauth.notConfigured');
      const outcomes = await runChecks(c, { accounts: ['o'], oauth: {}, timeoutMs: 5000 });
      const hit = only(outcomes, 'oauth.configured');
      assert.equal(hit.status, 'fail', hit.detail);
      assert.match(hit.detail, /OAuth not configured: no Microsoft OAuth client id \(application id\) is configured \(oauth\.microsoft\.clientId\), so the Outlook \/ Microsoft 365 sign-in cannot start/);
      assert.match(hit.remedy, /An administrator configures the Microsoft OAuth client once \(setting maildesk\.oauth\.microsoft\.clientId, or "oauth" in the CLI configuration file\); then start the mailbox sign-in again/);
      assert.equal(hit.section, '"OAuth not configured"');
      assert.deepEqual(hit.action, { title: 'Open Settings', command: 'workbench.action.openSettings', args: ['maildesk.oauth'] });
      assert.equal(only(outcomes, 'auth.status').status, 'skip');
      // Configured, the same account's check passes.
      assert.equal(only(await check(c, ['o']), 'oauth.configured').status, 'pass');
    });

    it('"Check the correct Sent folder" on a healthy Outlook account: sent.mapping knows Graph\'s well-known Sent Items and that the provider keeps its own copy, and passes', async () => {
      const c = await open();
      await addOutlookAccount(c, { id: 'o', provider: 'outlook', email: ms.user.email }, browser, signInOpts());
      assert.ok((await syncOnce(c, ['o'])).ok);
      const hit = only(await check(c, ['o']), 'sent.mapping');
      assert.equal(hit.status, 'pass', hit.detail);
      assert.match(hit.detail, /^Sent folder "Sent Items" \(the provider's own Sent folder\), selected for sync; saving a copy: auto \(provider keeps its own Sent copy: yes\)/);
    });

    it('"Why a sent email can seem to disappear" on Outlook: after a send, sent.swap explains the local entry in Sent Items waiting for Graph\'s copy as normal, and the next sync swaps it', async () => {
      const c = await open();
      await addOutlookAccount(c, { id: 'o', provider: 'outlook', email: ms.user.email }, browser, signInOpts());
      assert.ok((await syncOnce(c, ['o'])).ok);
      const r = await c.send('o', { to: ['bob@example.test'], subject: 'Quarterly figures', text: 'attached' });
      assert.ok(r.ok, r.error?.message);
      const waiting = only(await check(c, ['o']), 'sent.swap');
      assert.equal(waiting.status, 'pass', waiting.detail);
      assert.match(waiting.detail, /^1 message\(s\) sent in the last hour are local entries in "Sent Items" waiting for the provider's copy; .*that brief swap is normal/);
      assert.equal(waiting.section, 'Why a sent email can seem to "disappear"');
      assert.ok((await syncOnce(c, ['o'])).ok);
      const swapped = only(await check(c, ['o']), 'sent.swap');
      assert.equal(swapped.status, 'pass');
      assert.match(swapped.detail, /^no sent message is waiting for its provider copy in "Sent Items"/);
      const sent = c.store.folderByRole('o', 'sent')!;
      assert.equal(c.store.listMessages(sent.id, { limit: 10 }).filter((m) => m.subject === 'Quarterly figures').length, 1, 'one copy: the provider\'s');
    });

    it('"Re-authorization required" (revoked token): auth.status fails and offers Connect Microsoft Graph (OAuth), not Enter Password', async () => {
      const c = await open();
      await addOutlookAccount(c, { id: 'o', provider: 'outlook', email: ms.user.email }, browser, signInOpts());
      await syncOnce(c, ['o']);
      ms.revokeTokens();
      await syncOnce(c, ['o']);
      const hit = only(await check(c, ['o']), 'auth.status');
      assert.equal(hit.status, 'fail', hit.detail);
      assert.match(hit.detail, /700082/);
      assert.match(hit.remedy, /Sign in to the provider again; no synced mail is lost/);
      assert.equal(hit.section, 'OAuth and re-authorization');
      assert.deepEqual(hit.action, { title: 'Connect Microsoft Graph (OAuth)', command: 'maildesk.connectMicrosoftGraph', args: [{ kind: 'account', accountId: 'o' }] });
    });

    it('"Authorization succeeds but mail does not sync" (the provider rate-limits): sync.progress reports server.rateLimited with the retry advice; auth.status passes', async () => {
      const c = await open({ maxRetries: 0 });
      await addOutlookAccount(c, { id: 'o', provider: 'outlook', email: ms.user.email }, browser, signInOpts());
      ms.throttle(/\/messages/, 1000, 0);
      await syncOnce(c, ['o'], { maxAttempts: 1 });
      const outcomes = await check(c, ['o']);
      assert.equal(only(outcomes, 'auth.status').status, 'pass');
      const hit = only(outcomes, 'sync.progress');
      assert.ok(hit.status === 'warn' || hit.status === 'fail', hit.detail);
      assert.match(hit.detail, /rate-limit/i);
      assert.match(hit.remedy, /waits and retries automatically; try again in a minute/);
      assert.equal(hit.section, 'Authorization succeeds but mail does not sync');
      assert.deepEqual(hit.action, { title: 'Show Log', command: 'maildesk.showLog' });
    });

    it('network.provider probes the configured authority and Graph endpoint with the configured CA (passes), and fails when they are unreachable ("firewall")', async () => {
      const c = await open();
      await addOutlookAccount(c, { id: 'o', provider: 'outlook', email: ms.user.email }, browser, signInOpts());
      const ok = only(await check(c, ['o']), 'network.provider');
      assert.equal(ok.status, 'pass', ok.detail);
      assert.match(ok.detail, new RegExp(`127\\.0\\.0\\.1:${ms.port} ok`));
      assert.doesNotMatch(ok.detail, /microsoftonline|graph\.microsoft\.com/);
      await ms.stop();
      const bad = only(await check(c, ['o']), 'network.provider');
      assert.equal(bad.status, 'fail', bad.detail);
      assert.match(bad.detail, new RegExp(`not reachable from this machine: 127\\.0\\.0\\.1:${ms.port}: .*refused`));
      assert.match(bad.remedy, /outbound internet access .*firewall/);
      assert.equal(bad.section, 'Authorization succeeds but mail does not sync');
      assert.deepEqual(bad.action, { title: 'Test Incoming Server', command: 'maildesk.testIncoming', args: [{ kind: 'account', accountId: 'o' }] });
    });
  });

  describe('Gmail', () => {
    let g: GoogleServer;
    let core: MailDesk | undefined;
    const EMAIL = 'ana@gmail.example';
    const raw = (n: number) => `From: Bo <bo@example.test>\nTo: ${EMAIL}\nSubject: m${n}\nMessage-ID: <m${n}@example.test>\nDate: Mon, 6 Jan 2025 10:00:00 +0000\n\nbody ${n}\n`;

    async function gmail(): Promise<MailDesk> {
      const secrets = memorySecretStore({ [GOOGLE_CLIENT_SECRET_KEY]: g.clientSecret });
      await new TokenStore(secrets).save('g', { refreshToken: g.issueRefreshToken() });
      core = await MailDesk.open({ credentials: { password: () => Promise.reject(new Error('OAuth only')) }, secrets, oauth: { google: { clientId: g.clientId, authBaseUrl: g.baseUrl, apiBaseUrl: g.baseUrl } }, idle: false, backoffBaseMs: 20 });
      await core.addAccount({ id: 'g', provider: 'gmail', email: EMAIL });
      return core;
    }
    const check = (c: MailDesk) => runChecks(c, { accounts: ['g'], oauth: { google: { clientId: g.clientId, authBaseUrl: g.baseUrl, apiBaseUrl: g.baseUrl } }, timeoutMs: 5000 });

    beforeEach(async () => {
      g = await startGoogleServer({ email: EMAIL });
    });
    afterEach(async () => {
      await core?.close();
      core = undefined;
      await g.close();
    });

    it('a label with mail that is not selected ("0 emails"): folders.selection counts it through labels.get and offers Select Folders for Sync', async () => {
      const id = g.addLabel('Receipts');
      const c = await gmail();
      for (let i = 0; i < 3; i++) g.addMessage(raw(i), [id]);
      g.addMessage(raw(9), ['INBOX']);
      assert.ok((await syncOnce(c, ['g'])).ok);
      const hit = only(await check(c), 'folders.selection');
      assert.equal(hit.status, 'warn', hit.detail);
      assert.match(hit.detail, /"Receipts" \(3 messages\)/);
      assert.deepEqual(hit.action, { title: 'Select Folders for Sync', command: 'maildesk.selectFolders', args: [{ kind: 'account', accountId: 'g' }] });
    });

    it('one message under several labels: gmail.labels explains it as normal Gmail behaviour, not duplication', async () => {
      const work = g.addLabel('Work');
      const c = await gmail();
      await c.setFolderSelected('g', 'Work', true);
      g.addMessage(raw(1), ['INBOX', work]);
      g.addMessage(raw(2), ['INBOX']);
      assert.ok((await syncOnce(c, ['g'])).ok);
      const hit = only(await check(c), 'gmail.labels');
      assert.equal(hit.status, 'pass', hit.detail);
      assert.match(hit.detail, /1 message\(s\) carry several of the selected labels .* "INBOX" and "Work".* normal Gmail behaviour, one message with several labels, not duplication/);
      // The configured Google endpoints are the ones probed (not accounts.google.com), and they answer.
      const net = only(await check(c), 'network.provider');
      assert.equal(net.status, 'pass', net.detail);
      assert.match(net.detail, new RegExp(`127\\.0\\.0\\.1:${new URL(g.baseUrl).port} ok`));
      assert.doesNotMatch(net.detail, /google(apis)?\.com/);
    });

    it('"Access denied" during the Google sign-in (consent refused): no account is left, yet auth.signIn reports Gmail, the exact error and when, with the guide\'s remedy and Add Gmail Account', async () => {
      const c = (core = await MailDesk.open({ credentials: { password: () => Promise.reject(new Error('OAuth only')) }, idle: false }));
      g.consent = 'deny';
      const oauth = { google: { clientId: g.clientId, clientSecretEnv: 'MD_TEST_GOOGLE_SECRET', authBaseUrl: g.baseUrl, apiBaseUrl: g.baseUrl } };
      const followed = async (url: string): Promise<boolean> => {
        await (await fetch(url)).text();
        return true;
      };
      const signIn = () => recordingSignIn(c.store, { provider: 'gmail', email: EMAIL }, () => startGoogleSignIn({ oauth, env: { MD_TEST_GOOGLE_SECRET: g.clientSecret } }, { openBrowser: followed, loginHint: EMAIL }), (e) => toMailError(e));
      await assert.rejects(signIn(), (e: unknown) => (e as { code?: string }).code === 'auth.accessDenied');
      assert.equal(c.store.listAccounts().length, 0);
      const hit = only(await runChecks(c, { oauth, timeoutMs: 5000 }), 'auth.signIn');
      assert.equal(hit.status, 'fail', hit.detail);
      assert.equal(hit.account, null);
      assert.match(hit.detail, /the Gmail sign-in for ana@gmail\.example failed at \d{4}-\d\d-\d\dT[\d:]+Z: auth\.accessDenied: .*Access denied/);
      assert.match(hit.remedy, /accept every permission/);
      assert.equal(hit.section, '"Access denied" during sign-in');
      assert.deepEqual(hit.action, { title: 'Add Gmail Account', command: 'maildesk.addGmailAccount' });
      // Granted the next time: the failure is forgotten.
      g.consent = 'grant';
      await signIn();
      assert.equal(only(await runChecks(c, { oauth, timeoutMs: 5000 }), 'auth.signIn').status, 'pass');
    });

    it('"OAuth not configured" (Gmail): `maildesk doctor` with no Google OAuth client in its configuration fails oauth.configured, prints the fix, and the report carries the remedy and Open Settings', async () => {
      const dataDir = tempDir('maildesk-oauth-doctor-data-');
      const out = tempDir('maildesk-oauth-doctor-out-');
      try {
        let text = '';
        const io = { out: (x: string) => (text += x), err: () => undefined };
        const code = await doctorCommand({ config: { accounts: [{ id: 'g', provider: 'gmail', email: EMAIL }] }, dataDir, out, json: false, env: {}, timeoutMs: 5000 }, io);
        assert.equal(code, 1, text);
        assert.match(text, /^FAIL oauth\.configured +\[g\] OAuth not configured: no Google OAuth client id is configured \(oauth\.google\.clientId\), so the Gmail sign-in cannot start\n {5}fix: Open Settings \(workbench\.action\.openSettings\)\n {5}since: \S+; last passed: never seen passing$/m);
        const report = JSON.parse(fs.readFileSync(path.join(out, 'maildesk-support-report.json'), 'utf8')) as SupportReport;
        const hit = report.checks.find((x) => x.id === 'oauth.configured')!;
        assert.equal(hit.status, 'fail');
        assert.match(hit.remedy, /An administrator configures the Google OAuth client once .*"oauth" in the CLI configuration file.*; then start the mailbox sign-in again/);
        assert.equal(hit.section, '"OAuth not configured"');
        assert.deepEqual(hit.action, { title: 'Open Settings', command: 'workbench.action.openSettings' });
        assert.equal(report.checks.find((x) => x.id === 'auth.status')!.status, 'skip');
      } finally {
        fs.rmSync(dataDir, { recursive: true, force: true });
        fs.rmSync(out, { recursive: true, force: true });
      }
      // With the client configured (and its secret), the same check passes.
      assert.equal(only(await check(await gmail()), 'oauth.configured').status, 'pass');
    });

    it('"Authorization expired" (access revoked in Google Account): auth.status fails and offers Sign in to Google Again', async () => {
      const c = await gmail();
      await syncOnce(c, ['g']);
      g.revokeAll();
      await syncOnce(c, ['g']);
      const hit = only(await check(c), 'auth.status');
      assert.equal(hit.status, 'fail', hit.detail);
      assert.match(hit.remedy, /Sign in to the provider again; no synced mail is lost/);
      assert.equal(hit.section, 'OAuth and re-authorization');
      assert.deepEqual(hit.action, { title: 'Sign in to Google Again', command: 'maildesk.signInGoogleAgain', args: [{ kind: 'account', accountId: 'g' }] });
    });
  });
});
