import { strict as assert } from 'node:assert';
import { classifyProviderError, parseRetryAfter } from '../../src/core/auth/classify';
import { describeError } from '../../src/core/errors';

/** The shape gaxios gives a failed token or API request. */
function gaxios(status: number, data: unknown, headers: Record<string, string> = {}): Error {
  return Object.assign(new Error(`Request failed with status code ${status}`), { response: { status, data, headers } });
}

/** The shape MSAL gives a ServerError. */
function msal(errorCode: string, errorMessage: string): Error {
  return Object.assign(new Error(`${errorCode}: ${errorMessage}`), { errorCode, errorMessage });
}

describe('provider error classification', () => {
  it('Google invalid_grant → re-authorization required, not retried', () => {
    const e = classifyProviderError(gaxios(400, { error: 'invalid_grant', error_description: 'Token has been expired or revoked.' }), 'google', 'token refresh');
    assert.equal(e.code, 'auth.reauthRequired');
    assert.equal(e.retryable, false);
    assert.match(e.message, /Authorization expired/);
    assert.match(e.message, /re-authorization required/i);
    assert.equal(describeError(e.code).title, 'Re-authorization required');
    assert.match(e.describe(), /no synced mail is lost/);
  });

  it('access_denied (consent refused) → access denied', () => {
    const e = classifyProviderError(gaxios(400, { error: 'access_denied' }), 'google');
    assert.equal(e.code, 'auth.accessDenied');
    assert.equal(e.retryable, false);
  });

  for (const [name, err] of [
    ['invalid_grant with AADSTS700082', gaxios(400, { error: 'invalid_grant', error_description: 'AADSTS700082: The refresh token has expired due to inactivity.', error_codes: [700082] })],
    ['MSAL interaction_required', msal('interaction_required', 'AADSTS50173: The provided grant has expired due to it being revoked.')],
    ['AADSTS50173 in a message only', new Error('AADSTS50173: The provided grant has expired')],
  ] as const) {
    it(`Microsoft ${name} → re-authorization required`, () => {
      const e = classifyProviderError(err, 'microsoft');
      assert.equal(e.code, 'auth.reauthRequired');
      assert.equal(e.retryable, false);
    });
  }

  for (const [name, err] of [
    ['consent_required', msal('consent_required', 'AADSTS65001: The user or administrator has not consented to use the application.')],
    ['invalid_grant with AADSTS65001', gaxios(400, { error: 'invalid_grant', error_description: 'AADSTS65001: not consented', error_codes: [65001] })],
  ] as const) {
    it(`Microsoft ${name} → access denied naming tenant admin consent`, () => {
      const e = classifyProviderError(err, 'microsoft');
      assert.equal(e.code, 'auth.accessDenied');
      assert.match(e.message, /tenant admin consent/);
    });
  }

  it('429 with Retry-After → rate limited, retryable, with the wait; never an auth problem', () => {
    const e = classifyProviderError(gaxios(429, { error: { code: 429, message: 'Too many', errors: [{ reason: 'rateLimitExceeded' }] } }, { 'retry-after': '7' }), 'google');
    assert.equal(e.code, 'server.rateLimited');
    assert.equal(e.retryable, true);
    assert.equal(e.retryAfter, 7);
    assert.equal(describeError(e.code).section, 'Authorization succeeds but mail does not sync');
  });

  it('Google 403 rateLimitExceeded → rate limited, not access denied', () => {
    const e = classifyProviderError(gaxios(403, { error: { code: 403, message: 'User-rate limit exceeded.', errors: [{ reason: 'rateLimitExceeded' }] } }), 'google');
    assert.equal(e.code, 'server.rateLimited');
    assert.equal(e.retryable, true);
  });

  it('5xx → server unavailable, retryable', () => {
    const e = classifyProviderError(gaxios(503, { error: { code: 503, message: 'Backend Error' } }), 'microsoft');
    assert.equal(e.code, 'server.unavailable');
    assert.equal(e.retryable, true);
  });

  it('network errors stay network errors', () => {
    const e = classifyProviderError(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' }), 'google');
    assert.equal(e.code, 'net.refused');
    assert.equal(e.retryable, true);
    assert.ok(!e.code.startsWith('auth.'));
  });

  it('reads Retry-After as seconds or as an HTTP date', () => {
    assert.equal(parseRetryAfter('3'), 3);
    const now = Date.parse('2025-01-01T00:00:00Z');
    assert.equal(parseRetryAfter('Wed, 01 Jan 2025 00:00:10 GMT', now), 10);
    assert.equal(parseRetryAfter(undefined), undefined);
  });
});
