/**
 * The window area's engine requests, through a real EngineClient and engine (as in VS Code:
 * the engine on this thread, the client over a MessagePort) against Dovecot: one read gives
 * the trees and status bar everything they show, readers share it until the engine reports a
 * change, the unread badge learns what arrived after what it had seen, and a sign-in run in the
 * window is remembered for Troubleshoot when it fails and forgotten when it works. Gmail against
 * a local Google: signed in from the window, its tokens kept there, the account added, synced,
 * paused on a revoked grant and resumed by the engine, which writes no secret to its folder.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { MessageChannel } from 'node:worker_threads';
import { GOOGLE_CLIENT_SECRET_KEY } from '../../src/core/auth/oauthConfig';
import { signInFailures } from '../../src/core/auth/signInRecord';
import { memorySecretStore, tokenSecretKey } from '../../src/core/auth/tokens';
import { passwordSecretKey, secretCredentials } from '../../src/core/config';
import { MailError } from '../../src/core/errors';
import { EngineClient } from '../../src/engine/client';
import { Engine } from '../../src/engine/engine';
import { secretAnswers } from '../../src/engine/secretAnswers';
import { googleSignInVia, saveGmailReauth, saveGmailSignIn, type GmailWindow } from '../../src/extension/gmailAccount';
import { MailboxesModel } from '../../src/extension/mailboxesModel';
import { recordingSignInVia } from '../../src/extension/signInRecord';
import { requireDovecot, startDovecot, type Dovecot } from '../support/dovecot';
import { imapAccount, tempDir } from '../support/core';
import { type GoogleServer, startGoogleServer } from '../support/googleServer';
import { rawMessage } from '../support/rawmail';
import { seedMessages } from '../support/seed';

describe('engine requests of the window (trees, status bar, badge, sign-in)', function () {
  this.timeout(120_000);
  let dv: Dovecot;
  let engine: Engine;
  let client: EngineClient;
  /** Requests the client sent, by method (wrapped around the real client). */
  const sent: string[] = [];

  before(async function () {
    requireDovecot(this);
    dv = await startDovecot({ users: { ann: 'secret' }, extraFolders: ['Projects'] });
    // Five messages, the first two read.
    dv.seedMaildir('ann', 'INBOX', seedMessages(5, 'Msg', { flags: (i) => (i < 2 ? ['\\Seen'] : []) }));
    const dataDir = tempDir('maildesk-window-');
    const { port1, port2 } = new MessageChannel();
    const started = await Engine.start({ dataDir, host: 'vscode', idle: false }, port2, () => undefined);
    assert.equal(started.kind, 'ready');
    engine = (started as { kind: 'ready'; engine: Engine }).engine;
    // The window keeps the password; the engine asks for it.
    const secrets = memorySecretStore({ [passwordSecretKey('ann', 'imap')]: 'secret' });
    client = await EngineClient.overPort(port1, { dataDir, kind: 'vscode', secrets: secretAnswers(secretCredentials(secrets), secrets) });
    const request = client.request.bind(client);
    client.request = ((method, params) => (sent.push(method), request(method, params))) as typeof client.request;
    await client.request('accounts/add', { account: imapAccount('ann', dv.port) });
    const r = await client.request('sync/once', { accountIds: ['ann'] });
    assert.ok(r.ok, r.failed.map((j) => `${j.id}: ${j.errorMessage}`).join('; '));
  });

  after(async () => {
    await client?.close();
    await engine?.stop('test done');
    await dv?.dispose();
  });

  it('window/mailboxes: one read gives every account with its state, every folder with its local counts, and every job', async () => {
    const snap = await client.request('window/mailboxes', { counts: true });
    assert.deepEqual(snap.accounts.map((a) => [a.id, a.state]), [['ann', 'connected']]);
    const inbox = snap.folders.find((f) => f.accountId === 'ann' && f.path === 'INBOX');
    assert.ok(inbox, `INBOX listed: ${snap.folders.map((f) => f.path).join(', ')}`);
    assert.equal(inbox.local, 5);
    assert.equal(inbox.localUnread, 3);
    assert.equal(inbox.selected, true);
    const projects = snap.folders.find((f) => f.path === 'Projects');
    assert.ok(projects, 'a folder not synced is listed too');
    assert.equal(projects.selected, false);
    assert.ok(snap.jobs.some((j) => j.kind === 'sync' && j.folderId === inbox.id && j.status !== 'error'), `INBOX's sync job: ${JSON.stringify(snap.jobs.map((j) => [j.kind, j.folderId, j.status]))}`);
    // The same counts as the general folder listing, which reads them on its own.
    const listed = await client.request('folders/list', { accountId: 'ann' });
    assert.deepEqual(
      snap.folders.map((f) => [f.path, f.local, f.localUnread, f.selected]),
      listed.map((f) => [f.path, f.local, f.localUnread, f.selected]),
    );
    // Readers that show no counts (status bar, Sync Jobs) do not pay for them.
    const plain = await client.request('window/mailboxes', {});
    assert.deepEqual(plain.folders.map((f) => [f.path, f.local, f.localUnread]), snap.folders.map((f) => [f.path, null, null]));
    assert.deepEqual(plain.accounts, snap.accounts);
  });

  it('MailboxesModel: readers share one read until the engine reports a change; the next read sees it', async () => {
    const model = MailboxesModel.of(client);
    assert.equal(MailboxesModel.of(client), model, 'one model per engine client');
    const reads = (from: number) => sent.slice(from).filter((m) => m === 'window/mailboxes').length;
    let before = sent.length;
    const [p1, p2] = await Promise.all([model.snapshot(), model.snapshot()]);
    assert.equal(p1, p2);
    assert.equal(p1.folders[0].local, null);
    assert.equal(reads(before), 1, 'two readers without counts, one request');
    before = sent.length;
    const [a, b] = await Promise.all([model.snapshot({ counts: true }), model.snapshot({ counts: true })]);
    const c = await model.snapshot();
    assert.equal(reads(before), 1, 'two readers with counts, one request; a reader without counts is served by it');
    assert.equal(a, b);
    assert.equal(a, c);
    assert.equal(a.folders.find((f) => f.path === 'INBOX')?.local, 5);
    assert.equal(a.folders.find((f) => f.path === 'Projects')?.selected, false);

    const changed = new Promise<void>((resolve) => {
      const d = model.onDidChange((ch) => ch.folders.length + ch.accounts.length > 0 && (d.dispose(), resolve()));
    });
    await client.request('folders/select', { accountId: 'ann', paths: ['Projects'], selected: true });
    await changed;
    const after = await model.snapshot({ counts: true });
    assert.notEqual(after, a, 'a change makes the next reader read again');
    assert.equal(after.folders.find((f) => f.path === 'Projects')?.selected, true);
    assert.equal(model.latest, after);
    assert.equal((await model.folder(after.folders[0].id))?.id, after.folders[0].id);
  });

  it('window/inboxNews: the unread count, nothing announced on the first look, then exactly what arrived after what was seen', async () => {
    const first = await client.request('window/inboxNews', { seen: [] });
    assert.equal(first.unread, 3);
    assert.equal(first.inboxes.length, 1);
    const [inbox] = first.inboxes;
    assert.ok(inbox.newest > 0);
    assert.deepEqual(inbox.arrived, [], 'an Inbox not seen before announces nothing');

    await dv.append('ann', 'INBOX', rawMessage({ from: 'Carol Example <carol@example.test>', to: 'ann@example.test', subject: 'Fresh news', date: new Date(), text: 'hi\n' }));
    const r = await client.request('sync/once', { accountIds: ['ann'] });
    assert.ok(r.ok, r.failed.map((j) => `${j.id}: ${j.errorMessage}`).join('; '));

    const next = await client.request('window/inboxNews', { seen: [{ folderId: inbox.folderId, newest: inbox.newest }] });
    assert.equal(next.unread, 4);
    assert.ok(next.inboxes[0].newest > inbox.newest);
    assert.deepEqual(next.inboxes[0].arrived, [{ from: 'Carol Example', subject: 'Fresh news' }]);
    const again = await client.request('window/inboxNews', { seen: [{ folderId: inbox.folderId, newest: next.inboxes[0].newest }] });
    assert.deepEqual(again.inboxes[0].arrived, [], 'what was seen is not announced twice');
  });

  it('a sign-in run in the window: its failure is remembered in the engine for Troubleshoot, a later success clears it', async () => {
    const store = engine.hostedCore.store;
    const who = { provider: 'gmail' as const, email: 'zoe@example.test' };
    const warned: string[] = [];
    const log = { warn: (l: string) => warned.push(l) };
    await assert.rejects(
      recordingSignInVia(client, who, () => Promise.reject(new MailError('auth.accessDenied', 'access_denied: the user said no')), (e) => e as MailError, log),
      (e: MailError) => e.code === 'auth.accessDenied',
    );
    const failures = signInFailures(store);
    assert.deepEqual(failures.map((f) => [f.provider, f.email, f.code, f.error]), [['gmail', 'zoe@example.test', 'auth.accessDenied', 'access_denied: the user said no']]);

    // Missing OAuth configuration has its own check: it is not a failed sign-in.
    await assert.rejects(recordingSignInVia(client, { provider: 'outlook' }, () => Promise.reject(new MailError('oauth.notConfigured', 'no client id')), (e) => e as MailError, log));
    assert.equal(signInFailures(store).length, 1);

    assert.equal(await recordingSignInVia(client, who, async () => 'signed in', (e) => e as MailError, log), 'signed in');
    assert.deepEqual(signInFailures(store), []);
    assert.deepEqual(warned, []);
  });
});

describe('Gmail sign-in from the window through the engine (local Google)', function () {
  this.timeout(60_000);
  let g: GoogleServer;
  let engine: Engine | undefined;
  let client: EngineClient;
  let dataDir: string;
  let secrets: ReturnType<typeof memorySecretStore>;
  let w: GmailWindow;
  let accountId: string;
  const google = () => ({ clientId: g.clientId, authBaseUrl: g.baseUrl, apiBaseUrl: g.baseUrl });
  /** The "browser": follows the authorization URL to the local Google, which redirects to the loopback. */
  const openBrowser = async (url: string): Promise<boolean> => ((await fetch(url)).ok);
  const inboxSubjects = async (): Promise<string[]> => ((await client.request('messages/list', { accountId, folderPath: 'INBOX' })) ?? []).map((m) => m.subject).sort();

  before(async () => {
    g = await startGoogleServer({ email: 'ana@gmail.example' });
    g.addMessage('From: Bo <bo@example.test>\nTo: ana@gmail.example\nSubject: kept\nMessage-ID: <kept@x>\n\nhello\n', ['INBOX', 'UNREAD']);
    dataDir = tempDir('maildesk-window-gmail-');
    const { port1, port2 } = new MessageChannel();
    const started = await Engine.start({ dataDir, host: 'vscode', idle: false }, port2, () => undefined);
    assert.equal(started.kind, 'ready');
    engine = (started as { kind: 'ready'; engine: Engine }).engine;
    // The window holds the Google client secret (SecretStorage); the engine asks for it.
    secrets = memorySecretStore({ [GOOGLE_CLIENT_SECRET_KEY]: g.clientSecret });
    client = await EngineClient.overPort(port1, { dataDir, kind: 'vscode', secrets: secretAnswers(secretCredentials(secrets), secrets) });
    await client.request('engine/configure', { oauth: { google: google() } });
    w = { engine: client, secrets, log: { warn: (l) => assert.fail(`unexpected warning: ${l}`) } };
  });

  after(async () => {
    await client?.close();
    await engine?.stop('test done');
    await g?.close();
  });

  it('"Add Gmail Account": the tokens stay in the window, the engine adds the account and syncs with them', async () => {
    const r = await googleSignInVia(w, google(), { openBrowser });
    assert.equal(r.email, 'ana@gmail.example');
    const saved = await saveGmailSignIn(w, r);
    assert.deepEqual(saved, { accountId: 'gmail-ana', existed: false });
    accountId = saved.accountId;
    assert.ok(secrets.map.get(tokenSecretKey(accountId))?.includes(r.tokens.refreshToken), "the tokens are in the window's secret store");
    const once = await client.request('sync/once', { accountIds: [accountId] });
    assert.ok(once.ok, JSON.stringify(once.failed));
    assert.equal((await client.request('accounts/get', { accountId }))?.state, 'connected');
    assert.deepEqual(await inboxSubjects(), ['kept']);
  });

  it('"Sign in to Google Again" after the grant was revoked: the account resumes and its mail stays', async () => {
    g.revokeAll();
    g.addMessage('From: Cy <cy@example.test>\nTo: ana@gmail.example\nSubject: new\nMessage-ID: <new@x>\n\nx\n', ['INBOX']);
    await client.request('sync/once', { accountIds: [accountId] });
    assert.equal((await client.request('accounts/get', { accountId }))?.state, 'reauth');

    // Signing in as someone else changes nothing.
    await assert.rejects(saveGmailReauth(w, { id: accountId, email: 'other@gmail.example' }, await googleSignInVia(w, google(), { openBrowser })), (e: MailError) => e.code === 'auth.accessDenied' && /other@gmail\.example/.test(e.message));
    const r = await googleSignInVia(w, google(), { openBrowser, loginHint: 'ana@gmail.example' });
    await saveGmailReauth(w, { id: accountId, email: 'ana@gmail.example' }, r);
    const once = await client.request('sync/once', { accountIds: [accountId] });
    assert.ok(once.ok, JSON.stringify(once.failed));
    assert.equal((await client.request('accounts/get', { accountId }))?.state, 'connected');
    assert.deepEqual(await inboxSubjects(), ['kept', 'new']);
  });

  it('the engine wrote no token and no client secret into its data folder', async () => {
    const tokens = JSON.parse(secrets.map.get(tokenSecretKey(accountId)) ?? '{}') as { refreshToken?: string; accessToken?: string };
    assert.ok(tokens.refreshToken && tokens.accessToken);
    await client.close();
    await engine!.stop('checking its files');
    engine = undefined;
    const files: string[] = [];
    const walk = (d: string): void => {
      for (const e of fs.readdirSync(d, { withFileTypes: true })) {
        const p = path.join(d, e.name);
        if (e.isDirectory()) walk(p);
        else files.push(p);
      }
    };
    walk(dataDir);
    assert.ok(files.some((f) => f.endsWith('.db')), `the store was saved: ${files.join(', ')}`);
    for (const f of files) {
      const text = fs.readFileSync(f).toString('latin1');
      for (const secret of [tokens.refreshToken!, tokens.accessToken!, g.clientSecret]) assert.ok(!text.includes(secret), `${f} holds a secret`);
    }
  });
});
