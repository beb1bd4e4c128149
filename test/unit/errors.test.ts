import { strict as assert } from 'node:assert';
import { toMailError, MailError } from '../../src/core/errors';

describe('toMailError', () => {
  const cases: Array<[string, unknown, string, boolean]> = [
    ['refused', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }), 'net.refused', true],
    ['dns', Object.assign(new Error('getaddrinfo ENOTFOUND nowhere.invalid'), { code: 'ENOTFOUND' }), 'net.dns', true],
    ['imap auth', Object.assign(new Error('Command failed'), { authenticationFailed: true, serverResponseCode: 'AUTHENTICATIONFAILED' }), 'auth.failed', false],
    // Dovecot while its auth process is not up (after a restart): the password is not the problem.
    ['imap login refused for now', Object.assign(new Error('Command failed'), { authenticationFailed: true, serverResponseCode: 'UNAVAILABLE', response: 'Temporary authentication failure. [mail:2026-12-07 23:00:00]' }), 'server.unavailable', true],
    ['imap login refused for now, no code', Object.assign(new Error('Command failed'), { authenticationFailed: true, response: 'Temporary authentication failure.' }), 'server.unavailable', true],
    ['smtp auth', Object.assign(new Error('Invalid login: 535 5.7.8 Error'), { code: 'EAUTH' }), 'auth.failed', false],
    ['tls', Object.assign(new Error('self-signed certificate'), { code: 'DEPTH_ZERO_SELF_SIGNED_CERT' }), 'net.tls', false],
    ['unknown', new Error('boom'), 'internal', false],
  ];
  for (const [name, input, code, retryable] of cases) {
    it(`classifies ${name}`, () => {
      const e = toMailError(input, 'IMAP');
      assert.ok(e instanceof MailError);
      assert.equal(e.code, code);
      assert.equal(e.retryable, retryable);
      assert.match(e.describe(), /\. /);
    });
  }
});
