/**
 * Google sign-in end to end against a local OAuth server: configuration check before any
 * browser, PKCE + state through the loopback redirect, consent refused, and a revoked
 * refresh token pausing the account once (no retry loop) while its mail stays.
 */
import { strict as assert } from 'node:assert';
import { MailError } from '../../src/core/errors';
import { startLoopback } from '../../src/core/auth/loopback';
import { GOOGLE_CLIENT_SECRET_KEY } from '../../src/core/auth/oauthConfig';
import { pkceChallenge } from '../../src/core/auth/pkce';
import { memorySecretStore, TokenStore } from '../../src/core/auth/tokens';
import { startGoogleSignIn } from '../../src/core/providers/gmail/signIn';
import { MailDesk } from '../../src/core/maildesk';
import { syncOnce } from '../../src/core/sync/once';
import type { AccountConfig } from '../../src/core/config';
import { type GoogleServer, startGoogleServer } from '../support/googleServer';

const noPasswords = { password: async () => Promise.reject(new Error('no passwords for OAuth accounts')) };

/** The "browser": follows the authorization URL to the fake Google, which redirects to the loopback. */
function browser(opened: string[], pages: string[]) {
  return async (url: string) => {
    opened.push(url);
    const r = await fetch(url);
    pages.push(await r.text());
    return true;
  };
}

async function expectMailError(p: Promise<unknown>, code: string): Promise<MailError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof MailError, `expected a MailError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    return e;
  }
  assert.fail(`expected ${code}`);
}

describe('Google OAuth sign-in (local authorization server)', function () {
  this.timeout(30_000);
  let g: GoogleServer;
  beforeEach(async () => {
    g = await startGoogleServer({ email: 'ana@gmail.example' });
  });
  afterEach(async () => g.close());

  const oauth = () => ({ google: { clientId: g.clientId, clientSecretEnv: 'MAILDESK_TEST_GOOGLE_SECRET', authBaseUrl: g.baseUrl, apiBaseUrl: g.baseUrl } });
  const env = () => ({ MAILDESK_TEST_GOOGLE_SECRET: g.clientSecret });

  it('"OAuth not configured" names the setting and the setup steps, before any browser opens', async () => {
    const opened: string[] = [];
    const e = await expectMailError(startGoogleSignIn({ oauth: {}, surface: 'vscode' }, { openBrowser: browser(opened, []) }), 'oauth.notConfigured');
    assert.match(e.message, /OAuth not configured/);
    assert.match(e.message, /maildesk\.oauth\.google\.clientId/);
    assert.match(e.message, /Gmail API/);
    assert.match(e.message, /Desktop app/);
    // Client id without a secret: the command that stores it is named.
    const e2 = await expectMailError(startGoogleSignIn({ oauth: { google: { clientId: g.clientId } }, secrets: memorySecretStore(), surface: 'vscode' }, { openBrowser: browser(opened, []) }), 'oauth.notConfigured');
    assert.match(e2.message, /MailDesk: Set Google Client Secret/);
    // CLI wording: the config field and the environment variable.
    const e3 = await expectMailError(startGoogleSignIn({ oauth: { google: { clientId: g.clientId, clientSecretEnv: 'NOPE_SECRET' } }, env: {}, surface: 'cli' }, { openBrowser: browser(opened, []) }), 'oauth.notConfigured');
    assert.match(e3.message, /NOPE_SECRET/);
    assert.equal(opened.length, 0, 'no browser was opened');
    assert.equal(g.count('authorize'), 0);
    assert.equal(g.count('token'), 0);
  });

  it('signs in through the loopback redirect with PKCE S256 and state', async () => {
    const opened: string[] = [];
    const pages: string[] = [];
    const r = await startGoogleSignIn({ oauth: oauth(), env: env() }, { openBrowser: browser(opened, pages) });
    assert.equal(r.email, 'ana@gmail.example');
    assert.ok(r.tokens.refreshToken.startsWith('1//rt'));
    assert.ok(r.tokens.accessToken);
    const q = g.lastAuthRequest!;
    assert.equal(q.get('code_challenge_method'), 'S256');
    assert.ok(q.get('state') && q.get('state')!.length >= 24);
    assert.match(q.get('redirect_uri')!, /^http:\/\/127\.0\.0\.1:\d+\/$/);
    assert.equal(q.get('access_type'), 'offline');
    assert.equal(q.get('scope'), 'https://mail.google.com/');
    // The verifier sent at the token step matches the challenge sent to the browser.
    assert.equal(pkceChallenge(g.lastTokenRequest!.get('code_verifier')!), q.get('code_challenge'));
    assert.match(pages[0], /You can close this tab/);
    // One answer only: the listener is closed afterwards.
    await assert.rejects(fetch(`${q.get('redirect_uri')}?code=x&state=${q.get('state')}`));
  });

  it('consent refused (access_denied) → "Access denied", and no token request', async () => {
    g.consent = 'deny';
    const pages: string[] = [];
    const e = await expectMailError(startGoogleSignIn({ oauth: oauth(), env: env() }, { openBrowser: browser([], pages) }), 'auth.accessDenied');
    assert.match(e.message, /Access denied/);
    assert.match(pages[0], /did not get access/);
    assert.equal(g.count('token'), 0);
  });

  it('the loopback ignores an answer with the wrong state and times out cleanly', async () => {
    const l = await startLoopback({ state: 'right-state', timeoutMs: 400 });
    const bad = await fetch(`${l.redirectUri}?code=stolen&state=wrong`);
    assert.equal(bad.status, 400);
    await expectMailError(l.answer, 'auth.accessDenied');
    await assert.rejects(fetch(l.redirectUri), 'closed after the timeout');
  });

  it('a revoked refresh token pauses the account for re-authorization once, keeps its mail, and a new sign-in resumes it', async () => {
    g.addMessage('From: Bo <bo@example.test>\nTo: ana@gmail.example\nSubject: kept\nMessage-ID: <kept@x>\n\nhello\n', ['INBOX', 'UNREAD']);
    g.addMessage('From: ana@gmail.example\nTo: bo@example.test\nSubject: sent one\nMessage-ID: <sent1@x>\n\nhi\n', ['SENT']);
    const secrets = memorySecretStore({ [GOOGLE_CLIENT_SECRET_KEY]: g.clientSecret });
    const tokens = new TokenStore(secrets);
    await tokens.save('g', { refreshToken: g.issueRefreshToken() });
    const core = await MailDesk.open({ credentials: noPasswords, secrets, oauth: oauth(), idle: false, backoffBaseMs: 20, gmail: { sleep: async () => undefined } });
    try {
      const acc: AccountConfig = { id: 'g', provider: 'gmail', email: 'ana@gmail.example' };
      await core.addAccount(acc);
      await syncOnce(core, ['g']);
      const before = core.store.stats().messages;
      assert.equal(before, 2);

      g.revokeAll(); // the user removed MailDesk's access in Google Account → Security
      g.addMessage('From: Cy <cy@example.test>\nTo: ana@gmail.example\nSubject: new\nMessage-ID: <new@x>\n\nx\n', ['INBOX']);
      const tokenCalls = g.count('token');
      for (const j of core.store.listJobs('g')) core.store.updateJob(j.id, { status: 'pending', nextRun: 0 });
      await syncOnce(core, ['g']);
      await syncOnce(core, ['g']);
      const a = core.store.getAccount('g')!;
      assert.equal(a.state, 'reauth');
      assert.equal(a.stateCode, 'auth.reauthRequired');
      assert.match(a.stateReason ?? '', /Authorization expired/);
      assert.equal(g.count('token') - tokenCalls, 1, 'invalid_grant is asked once, never in a loop');
      assert.ok(core.store.listJobs('g').filter((j) => j.kind === 'sync').every((j) => j.status === 'paused' || j.status === 'error'));
      assert.equal(core.store.stats().messages, before, 'synced mail stays');

      // "Sign in to Google again": a new grant, the same account, nothing re-downloaded.
      const headers = g.count('messages.get:metadata');
      const bodies = g.count('messages.get:raw');
      const r = await startGoogleSignIn({ oauth: oauth(), env: env() }, { openBrowser: browser([], []), loginHint: 'ana@gmail.example' });
      assert.equal(g.lastAuthRequest!.get('login_hint'), 'ana@gmail.example');
      await tokens.save('g', r.tokens);
      core.scheduler.resume('g');
      await syncOnce(core, ['g']);
      assert.equal(core.store.getAccount('g')!.state, 'connected');
      assert.equal(core.store.stats().messages, 3);
      // Nothing re-downloaded: the new message's headers, and its body by the bodies job.
      assert.equal(g.count('messages.get:metadata') - headers, 1, 'only the new message was fetched');
      assert.ok(g.count('messages.get:raw') - bodies <= 1, 'no stored body was fetched again');
    } finally {
      await core.close();
    }
  });
});
