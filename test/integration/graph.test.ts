/**
 * Outlook / Microsoft 365: the real @azure/msal-node and @microsoft/microsoft-graph-client
 * against a local HTTPS identity platform + Graph (test/support/graphServer.ts).
 */
import * as assert from 'node:assert/strict';
import type { AccountConfig, OAuthConfig } from '../../src/core/config';
import { memorySecretStore } from '../../src/core/auth/tokens';
import type { MailError } from '../../src/core/errors';
import type { MailDesk } from '../../src/core/maildesk';
import { GraphProvider } from '../../src/core/providers/graph/graphProvider';
import { httpsNetworkClient, msalCacheSecretKey } from '../../src/core/providers/graph/msalAuth';
import { addOutlookAccount, reconnectOutlookAccount } from '../../src/core/providers/graph/outlookAccount';
import { syncOnce } from '../../src/core/sync/once';
import { FakeMicrosoft, simulateBrowser } from '../support/graphServer';
import { openCore } from '../support/core';

describe('Outlook / Microsoft 365 through Microsoft Graph', function () {
  this.timeout(60_000);
  let ms: FakeMicrosoft;
  let core: MailDesk | undefined;
  let secrets: ReturnType<typeof memorySecretStore>;
  let oauth: OAuthConfig;
  let opened: string[];

  const browser = async (url: string): Promise<void> => {
    opened.push(url);
    await simulateBrowser(url, ms.cert);
  };
  const signInOpts = () => ({ settings: oauth.microsoft, secrets, networkClient: httpsNetworkClient({ ca: ms.cert }) });
  const open = async (extra: Record<string, unknown> = {}): Promise<MailDesk> =>
    (core = await openCore(undefined, {}, { secrets, oauth, graph: { ca: ms.cert, msalNetworkClient: httpsNetworkClient({ ca: ms.cert }), ...extra } }));
  const cfg = (): AccountConfig => ({ id: 'o', provider: 'outlook', email: ms.user.email });
  const folderMessages = (c: MailDesk, role: 'inbox' | 'sent' | 'trash' | 'drafts') => c.store.listMessages(c.store.folderByRole('o', role)!.id, { limit: 1000 });
  const subjects = (c: MailDesk, role: 'inbox' | 'sent' | 'trash' | 'drafts') => folderMessages(c, role).map((m) => m.subject).sort();

  async function signedIn(extra: Record<string, unknown> = {}): Promise<MailDesk> {
    const c = await open(extra);
    await addOutlookAccount(c, cfg(), browser, signInOpts());
    return c;
  }

  beforeEach(async () => {
    ms = new FakeMicrosoft({ latencyMs: 15 });
    await ms.start();
    secrets = memorySecretStore();
    oauth = { microsoft: { clientId: ms.clientId, tenant: 'organizations', authority: ms.authority, graphBaseUrl: ms.base } };
    opened = [];
    ms.addFolder('Projects', 'inbox');
    const t0 = Date.UTC(2025, 0, 1);
    for (let i = 0; i < 7; i++) ms.addMessage('inbox', { subject: `Inbox ${i}`, date: new Date(t0 + i * 3600_000) });
    ms.addMessage('sentitems', { subject: 'Earlier sent', from: ms.user.email, isRead: true, date: new Date(t0) });
  });

  afterEach(async () => {
    await core?.close();
    core = undefined;
    await ms.stop();
  });

  it('says "OAuth not configured", naming the setting and the Entra steps, before any browser opens', async () => {
    oauth = { microsoft: { tenant: 'common' } };
    const c = await open();
    await assert.rejects(addOutlookAccount(c, cfg(), browser, signInOpts()), (e: MailError) => {
      assert.equal(e.code, 'oauth.notConfigured');
      assert.match(e.message, /OAuth not configured/);
      assert.match(e.message, /maildesk\.oauth\.microsoft\.clientId/);
      assert.match(e.message, /Entra/);
      return true;
    });
    assert.equal(opened.length, 0, 'no browser was opened');
    assert.equal(c.store.getAccount('o'), undefined, 'no half-added account');
    // The CLI names its config field instead.
    const p = new GraphProvider(cfg(), { oauth: undefined, secrets, where: 'config' });
    const r = await p.verifyIncoming();
    assert.equal(r.ok, false);
    assert.equal(r.steps[0].name, 'config');
    assert.match(r.steps[0].detail, /oauth\.microsoft\.clientId/);
  });

  it('signs in through the loopback redirect, stores tokens only in the SecretStore, and syncs newest first with ImmutableId', async () => {
    const c = await signedIn();
    assert.equal(opened.length, 1);
    const auth = new URL(opened[0]);
    assert.equal(auth.searchParams.get('code_challenge_method'), 'S256');
    assert.ok(auth.searchParams.get('state'));
    assert.match(auth.searchParams.get('redirect_uri') ?? '', /^http:\/\/(localhost|127\.0\.0\.1):\d+/);
    assert.equal(ms.tokenRequests.filter((t) => t.grant === 'authorization_code' && t.status === 200).length, 1);
    const cache = secrets.map.get(msalCacheSecretKey('o'));
    assert.ok(cache && /RefreshToken/.test(cache), 'the MSAL cache with the refresh token is in the SecretStore');
    assert.ok(!JSON.stringify(c.store.getAccount('o')!.config).includes('rt-'), 'no token in the account config');

    const folders = c.store.listFolders('o');
    const byPath = new Map(folders.map((f) => [f.path, f]));
    assert.equal(byPath.get('Inbox')?.role, 'inbox');
    assert.equal(byPath.get('Sent Items')?.role, 'sent');
    assert.equal(byPath.get('Drafts')?.role, 'drafts');
    assert.equal(byPath.get('Deleted Items')?.role, 'trash');
    assert.equal(byPath.get('Junk Email')?.role, 'junk');
    assert.equal(byPath.get('Archive')?.role, 'archive');
    assert.ok(byPath.has('Inbox/Projects'), 'child folders are listed');

    const r = await syncOnce(c, ['o']);
    assert.ok(r.ok, JSON.stringify(r.failed));
    assert.deepEqual(subjects(c, 'inbox'), ms.inFolder('inbox').map((m) => m.subject).sort());
    assert.equal(folderMessages(c, 'inbox')[0].subject, 'Inbox 6', 'newest first');
    const first = ms.requests.find((q) => /\/messages\?/.test(q.path));
    assert.match(first!.path, /\$orderby=receivedDateTime(%20|\+| )desc/);
    assert.equal(c.store.getAccount('o')!.state, 'connected');
    assert.deepEqual(ms.requests.filter((q) => !/IdType="ImmutableId"/.test(q.prefer ?? '')).map((q) => q.path), [], 'every Graph request asks for immutable ids');
    const s = c.store.getSyncState(c.store.folderByRole('o', 'inbox')!.id);
    assert.match(s.cursor ?? '', /messages\/delta\?\$deltatoken=/, 'the deltaLink is saved with the messages');

    // The body, and a change made here reaching the server.
    const m = folderMessages(c, 'inbox')[0];
    const raw = await c.messageSource(m.id, m.folderId);
    assert.match(raw.toString(), /Subject: Inbox 6/);
    c.setFlags(m.id, m.folderId, ['\\Seen'], []);
    await syncOnce(c, ['o']);
    assert.equal(ms.messages.get(m.providerId!)!.isRead, true);
 
    // The CLI: no SecretStorage; the serialized MSAL cache comes from the variable named by tokenCacheEnv.
    const cli = await openCore(undefined, {}, { oauth, graph: { ca: ms.cert, msalNetworkClient: httpsNetworkClient({ ca: ms.cert }), env: { O_MSAL_CACHE: cache } } });
    try {
      await cli.addAccount({ ...cfg(), tokenCacheEnv: 'O_MSAL_CACHE' });
      const r2 = await syncOnce(cli, ['o']);
      assert.ok(r2.ok, JSON.stringify(r2.failed));
      assert.equal(cli.store.listMessages(cli.store.folderByRole('o', 'inbox')!.id).length, 7);
    } finally {
      await cli.close();
    }
  });

  it('a revoked refresh token pauses the account as "Re-authorization required", keeps the mail, and signing in again resumes', async () => {
    const c = await signedIn();
    await syncOnce(c, ['o']);
    const before = subjects(c, 'inbox');
    assert.equal(before.length, 7);

    ms.revokeTokens();
    ms.addMessage('inbox', { subject: 'After revoke' });
    await syncOnce(c, ['o']);
    const acc = c.store.getAccount('o')!;
    assert.equal(acc.state, 'reauth');
    assert.equal(acc.stateCode, 'auth.reauthRequired');
    assert.match(acc.stateReason ?? '', /Re-authorization required|re-authorization required/);
    assert.match(acc.stateReason ?? '', /700082/);
    assert.deepEqual(subjects(c, 'inbox'), before, 'the synced mail stays');
    const refreshes = ms.tokenRequests.filter((t) => t.grant === 'refresh_token').length;
    assert.equal(ms.tokenRequests.filter((t) => t.grant === 'refresh_token' && t.status === 400).length, 1, 'one refused refresh, shared by the concurrent jobs');
    await syncOnce(c, ['o']);
    assert.equal(ms.tokenRequests.filter((t) => t.grant === 'refresh_token').length, refreshes, 'invalid_grant is never retried in a loop');
    assert.ok(c.store.listJobs('o').every((j) => j.status === 'paused' || j.status === 'done' || j.status === 'error'));

    // "Connect Microsoft Graph (OAuth)": sign in again; every message kept, the new one arrives once.
    await reconnectOutlookAccount(c, 'o', browser, signInOpts());
    await new Promise((r) => setTimeout(r, 50));
    const r = await syncOnce(c, ['o']);
    assert.ok(r.ok, JSON.stringify(r.failed));
    assert.equal(c.store.getAccount('o')!.state, 'connected');
    assert.deepEqual(subjects(c, 'inbox'), [...before, 'After revoke'].sort());
  });

  it('consent refused: "Access denied" with the tenant admin consent remedy', async () => {
    ms.consentRequired = true;
    const c = await open();
    await assert.rejects(addOutlookAccount(c, cfg(), browser, signInOpts()), (e: MailError) => {
      assert.equal(e.code, 'auth.accessDenied');
      assert.match(e.message, /65001/);
      assert.match(e.describe(), /tenant admin consent/);
      return true;
    });
    assert.equal(c.store.getAccount('o'), undefined);
    // A refusal on the consent page itself reads the same way.
    ms.consentRequired = false;
    ms.authorizeError = { error: 'access_denied', description: 'AADSTS65004: User declined to consent to access the app.' };
    await assert.rejects(addOutlookAccount(c, cfg(), browser, signInOpts()), (e: MailError) => e.code === 'auth.accessDenied' && /admin consent/.test(e.describe()));
  });

  it('a 410 syncStateNotFound re-syncs the folder from scratch without losing or duplicating mail', async () => {
    const c = await signedIn();
    await syncOnce(c, ['o']);
    const inbox = c.store.folderByRole('o', 'inbox')!;
    const gone = ms.inFolder('inbox')[0];
    ms.removeMessage(gone.id);
    ms.addMessage('inbox', { subject: 'New after expiry' });
    ms.expireDeltaTokens();
    const p = c.provider('o');
    const r = await p.syncFolder('sync', { store: c.store, folder: inbox, progress: () => undefined });
    assert.equal(r.reset, true);
    assert.equal(c.store.getSyncState(inbox.id).resetCount, 1);
    await syncOnce(c, ['o']);
    const local = folderMessages(c, 'inbox');
    assert.deepEqual(local.map((m) => m.providerId).sort(), ms.inFolder('inbox').map((m) => m.id).sort(), 'exactly the server set');
    assert.equal(new Set(local.map((m) => m.providerId)).size, local.length, 'no duplicates');
    assert.ok(local.some((m) => m.subject === 'New after expiry'));
  });

  it('@removed rows from delta delete the message; a move keeps its immutable id', async () => {
    const c = await signedIn();
    await syncOnce(c, ['o']);
    const victim = ms.inFolder('inbox').find((m) => m.subject === 'Inbox 3')!;
    ms.removeMessage(victim.id);
    await syncOnce(c, ['o']);
    assert.ok(!subjects(c, 'inbox').includes('Inbox 3'));
    assert.equal(c.store.stats().messages, ms.messages.size);

    const m = folderMessages(c, 'inbox').find((x) => x.subject === 'Inbox 2')!;
    c.deleteMessage(m.id, m.folderId); // to Deleted Items
    await syncOnce(c, ['o']);
    const trash = c.store.folderByRole('o', 'trash')!;
    await c.setFolderSelected('o', trash.path, true);
    await syncOnce(c, ['o']);
    assert.equal(ms.messages.get(m.providerId!)?.folderId, ms.folder('deleteditems').id, 'same id after the move');
    assert.deepEqual(subjects(c, 'trash'), ['Inbox 2']);
    assert.ok(!subjects(c, 'inbox').includes('Inbox 2'));
  });

  it('sent mail appears once in Sent Items after sync (sendMail keeps the copy)', async () => {
    const c = await signedIn();
    await syncOnce(c, ['o']);
    const r = await c.send('o', { to: ['bob@fabrikam.test'], bcc: ['hidden@fabrikam.test'], subject: 'Quarterly report', text: 'Numbers attached.' });
    assert.ok(r.ok, r.error?.message);
    assert.equal(ms.sent.length, 1);
    assert.match(ms.sent[0].bcc ?? '', /hidden@fabrikam\.test/, 'Bcc recipients reach Graph');
    assert.equal(ms.inFolder('sentitems').filter((m) => m.subject === 'Quarterly report').length, 1, 'MailDesk appended no copy of its own');
    assert.deepEqual(subjects(c, 'sent').filter((s) => s === 'Quarterly report').length, 1, 'local Sent entry shown at once');
    await syncOnce(c, ['o']);
    const sent = folderMessages(c, 'sent').filter((m) => m.subject === 'Quarterly report');
    assert.equal(sent.length, 1, 'one copy after sync');
    assert.equal(sent[0].origin, 'remote', 'the local entry was replaced by the Outlook copy');
    assert.equal(sent[0].providerId, ms.inFolder('sentitems').find((m) => m.subject === 'Quarterly report')!.id);
  });

  it('drafts: created in Drafts, each save updates the same draft, reopening continues it, sending removes it', async () => {
    const c = await signedIn();
    await syncOnce(c, ['o']);
    const drafts = () => ms.inFolder('drafts');
    const ref = await c.saveDraft('o', { to: ['bob@fabrikam.test'], bcc: ['hidden@fabrikam.test'], subject: 'Budget v1', text: 'first version' });
    assert.equal(ref.server, 'saved', ref.serverError);
    assert.equal(drafts().length, 1, 'one draft in Outlook');
    const [d1] = drafts();
    assert.equal(d1.isDraft, true);
    assert.equal(d1.internetMessageId, ref.messageId, 'created from the MIME message: our Message-ID');
    assert.equal(d1.subject, 'Budget v1');
    assert.deepEqual(d1.bcc?.map((a) => a.address), ['hidden@fabrikam.test'], 'Bcc kept in the draft');
    assert.equal(c.listDrafts('o')[0].savedOnServer, true);
    await syncOnce(c, ['o']);
    let shown = folderMessages(c, 'drafts');
    assert.deepEqual(shown.map((m) => [m.subject, m.origin, m.providerId]), [['Budget v1', 'remote', d1.id]], 'the Outlook draft replaced the local entry');

    // Reopened and saved again: the same Outlook draft, PATCHed, not a second one.
    const opened = c.openDraft('o', ref.id);
    assert.equal(opened.subject, 'Budget v1');
    const ref2 = await c.saveDraft('o', { ...opened, subject: 'Budget v2', text: 'second version', cc: ['carol@fabrikam.test'] });
    assert.equal(ref2.id, ref.id);
    assert.equal(ref2.server, 'saved', ref2.serverError);
    assert.equal(drafts().length, 1, 'still one draft');
    assert.equal(drafts()[0].id, d1.id, 'the same message, updated in place');
    assert.equal(drafts()[0].subject, 'Budget v2');
    assert.match(drafts()[0].body, /second version/);
    assert.deepEqual(drafts()[0].cc?.map((a) => a.address), ['carol@fabrikam.test']);
    assert.deepEqual(ms.draftWrites.map((w) => w.method), ['POST', 'PATCH']);
    await syncOnce(c, ['o']);
    shown = folderMessages(c, 'drafts');
    assert.deepEqual(shown.map((m) => [m.subject, m.origin, m.providerId]), [['Budget v2', 'remote', d1.id]], 'one Drafts entry, the new version');
    assert.match((await c.messageSource(shown[0].id, shown[0].folderId)).toString(), /second version/);

    // An attachment cannot be PATCHed in: a new MIME draft replaces the old one, still one.
    const ref3 = await c.saveDraft('o', { ...c.openDraft('o', ref.id), attachments: [{ content: Buffer.from('a,b\n1,2\n'), filename: 'budget.csv', contentType: 'text/csv' }] });
    assert.equal(ref3.server, 'saved', ref3.serverError);
    assert.equal(drafts().length, 1);
    assert.equal(drafts()[0].hasAttachments, true);
    assert.equal(drafts()[0].internetMessageId, ref.messageId);
    await syncOnce(c, ['o']);
    shown = folderMessages(c, 'drafts');
    assert.deepEqual(shown.map((m) => [m.subject, m.providerId]), [['Budget v2', drafts()[0].id]]);

    // Sent: the draft leaves Outlook's Drafts; Sent Items holds it once.
    const r = await c.send('o', { draftId: ref.id });
    assert.ok(r.ok, r.error?.message);
    assert.equal(r.warning, undefined);
    assert.equal(drafts().length, 0, 'no draft left in Outlook');
    assert.equal(ms.sent.length, 1);
    assert.match(ms.sent[0].raw, /budget\.csv/);
    assert.deepEqual(c.listDrafts('o'), []);
    await syncOnce(c, ['o']);
    assert.deepEqual(subjects(c, 'drafts'), [], 'Drafts is empty after sync');
    const sent = folderMessages(c, 'sent').filter((m) => m.messageId === ref.messageId);
    assert.deepEqual(sent.map((m) => [m.subject, m.origin]), [['Budget v2', 'remote']], 'in Sent Items once, the Outlook copy');
    assert.equal(ms.inFolder('sentitems').filter((m) => m.internetMessageId === ref.messageId).length, 1);
  });

  it('a discarded draft leaves Outlook too', async () => {
    const c = await signedIn();
    const ref = await c.saveDraft('o', { to: ['bob@fabrikam.test'], subject: 'never mind', text: 'x' });
    assert.equal(ms.inFolder('drafts').length, 1);
    await c.deleteDraft('o', ref.id);
    assert.equal(ms.inFolder('drafts').length, 0);
    await syncOnce(c, ['o']);
    assert.deepEqual(subjects(c, 'drafts'), []);
  });

  it('429: waits for Retry-After and goes on; still throttled ends as server.rateLimited, not as an auth problem', async () => {
    const c = await signedIn({ maxRetries: 1 });
    ms.throttle(/\/messages$/, 1, 1);
    const t0 = Date.now();
    const r = await syncOnce(c, ['o']);
    assert.ok(r.ok, JSON.stringify(r.failed));
    const hits = ms.requests.filter((q) => /\/mailFolders\/[^/]+\/messages$/.test(q.path.split('?')[0]));
    const i429 = hits.findIndex((q) => q.status === 429);
    assert.ok(i429 >= 0);
    const retry = hits.slice(i429 + 1).find((q) => q.path === hits[i429].path)!;
    assert.ok(retry.at - hits[i429].at >= 1000, `retried after ${retry.at - hits[i429].at} ms`);
    assert.ok(Date.now() - t0 >= 1000);
    assert.equal(subjects(c, 'inbox').length, 7);

    ms.throttle(/\/me$/, 10, 1);
    const v = await c.testIncoming('o');
    assert.equal(v.ok, false);
    assert.equal(v.error?.code, 'server.rateLimited');
    assert.equal(v.error?.retryAfter, 1);
    ms.throttle(/delta$/, 10, 1);
    const inbox = c.store.folderByRole('o', 'inbox')!;
    await c.scheduler.runJob(c.store.listJobs('o').find((j) => j.kind === 'sync' && j.folderId === inbox.id)!);
    const job = c.store.listJobs('o').find((j) => j.kind === 'sync' && j.folderId === inbox.id)!;
    assert.equal(job.errorCode, 'server.rateLimited');
    assert.notEqual(c.store.getAccount('o')!.state, 'reauth');
    assert.ok((job.nextRun ?? 0) - Date.now() >= 500, 'the scheduler waits before trying again');
  });

  it('never has more than 4 requests in flight for one mailbox', async () => {
    ms.latencyMs = 60;
    const c = await signedIn();
    await syncOnce(c, ['o']);
    ms.maxInFlight = 0;
    const p = c.provider('o');
    const msgs = folderMessages(c, 'inbox');
    const inboxRow = c.store.folderByRole('o', 'inbox')!;
    await Promise.all([
      ...msgs.map((m) => p.fetchRaw('Inbox', { providerId: m.providerId! })),
      p.listFolders(),
      p.syncFolder('sync', { store: c.store, folder: inboxRow, progress: () => undefined }),
      ...msgs.map((m) => p.applyTask({ kind: 'flags', folderPath: 'Inbox', uid: 0, providerId: m.providerId!, add: ['\\Flagged'], remove: [] })),
    ]);
    assert.equal(ms.maxInFlight, 4, `max in flight ${ms.maxInFlight}`);
    assert.ok(ms.inFolder('inbox').every((m) => m.flagged));
  });
});
