import { strict as assert } from 'node:assert';
import { classifyProviderError, retryAfterInText } from '../../src/core/auth/classify';
import { explainGoogleGrantEnd, GOOGLE_SETUP_STEPS } from '../../src/core/auth/oauthConfig';
import { oauthConfigured } from '../../src/core/diagnostics/checks/connection';
import { runChecks } from '../../src/core/diagnostics/runner';
import { MailError } from '../../src/core/errors';
import { MailDesk } from '../../src/core/maildesk';
import { maybeSentError, replyIds, tooLargeError } from '../../src/core/providers/apiSend';
import { classifySendError } from '../../src/core/send/rules';

/** Issue 17's rules without a server: Gmail's lockout text, the Testing-app explanation, "may have been sent". */
describe('Gmail and Outlook service rules', () => {
  it('reads the end of a Gmail lockout from the 429 text, and the error carries it', () => {
    const now = Date.parse('2026-12-06T12:00:00.000Z');
    assert.equal(retryAfterInText('User-rate limit exceeded.  Retry after 2026-12-06T12:15:00.000Z', now), 900);
    assert.equal(retryAfterInText('Too many requests', now), undefined);
    const until = new Date(Date.now() + 15 * 60_000).toISOString();
    const e = classifyProviderError({ response: { status: 429, data: { error: { code: 429, message: `User-rate limit exceeded.  Retry after ${until}`, errors: [{ reason: 'rateLimitExceeded' }] } } } }, 'google', 'messages.list');
    assert.equal(e.code, 'server.rateLimited');
    assert.ok(e.retryAfter! >= 895 && e.retryAfter! <= 900, `retryAfter ${e.retryAfter}`);
  });

  it('explains a refused grant of about 7 days as the "Testing" status, and only then', () => {
    const refused = new MailError('auth.reauthRequired', 'token refresh: Authorization expired: Google no longer accepts the saved sign-in (invalid_grant); re-authorization required');
    const now = Date.now();
    const day = 24 * 3600_000;
    assert.match(explainGoogleGrantEnd(refused, now - 7 * day, now).message, /given 7 days ago.*"Testing".*In production/);
    assert.equal(explainGoogleGrantEnd(refused, now - 2 * day, now), refused);
    assert.equal(explainGoogleGrantEnd(refused, undefined, now), refused, 'unknown age (a CLI token): no guess');
    const other = new MailError('server.unavailable', 'x');
    assert.equal(explainGoogleGrantEnd(other, now - 8 * day, now), other);
    assert.match(GOOGLE_SETUP_STEPS, /"Testing" publishing status.*7 days/);
  });

  it('a provider failure after the request went out is "may have been sent"; too large and refused are not', () => {
    const f = classifySendError(maybeSentError('Outlook', new MailError('server.unavailable', 'sendMail: Microsoft Graph is temporarily unavailable (HTTP 504)')));
    assert.equal(f.maybeSent, true);
    assert.equal(f.retry, false);
    assert.match(f.error.message, /may have been sent; check Sent/);
    const big = classifySendError(tooLargeError('Gmail', 40 * 1024 * 1024, 35 * 1024 * 1024, 'a message to send'));
    assert.equal(big.error.code, 'send.tooLarge');
    assert.match(big.error.message, /Gmail accepts a message to send of at most 35 MB; this one is 40 MB/);
    assert.equal(big.maybeSent, false);
  });

  it('finds the Message-IDs a reply or forward points to', () => {
    const raw = Buffer.from('Subject: Re: x\r\nIn-Reply-To: <b@x>\r\nReferences: <a@x>\r\n <b@x>\r\n\r\nbody');
    assert.deepEqual(replyIds(raw), ['<a@x>', '<b@x>']);
    assert.deepEqual(replyIds(Buffer.from('Subject: new\r\n\r\nReferences: <not@header>')), []);
  });

  it('oauth.configured warns for a Gmail account whose sign-in Google ended, with the Testing explanation', async () => {
    const core = await MailDesk.open({ credentials: { password: async () => 'x' } });
    try {
      core.store.upsertAccount({ id: 'g', provider: 'gmail', email: 'g@example.test' });
      core.store.setAccountState('g', 'reauth', 'auth.reauthRequired', 'Authorization expired (invalid_grant)');
      const [o] = await runChecks(core, { checks: [oauthConfigured], oauth: { google: { clientId: 'cid' } } });
      assert.equal(o.status, 'warn');
      assert.match(o.detail, /invalid_grant/);
      assert.match(o.remedy ?? '', /"Testing" publishing status.*7 days/);
    } finally {
      await core.close();
    }
  });
});
