import { strict as assert } from 'node:assert';
import { toMailError, MailError } from '../../src/core/errors';

describe('toMailError', () => {
  const cases: Array<[string, unknown, string, boolean]> = [
    ['refused', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }), 'net.refused', true],
    ['dns', Object.assign(new Error('getaddrinfo ENOTFOUND nowhere.invalid'), { code: 'ENOTFOUND' }), 'net.dns', true],
    ['imap auth', Object.assign(new Error('Command failed'), { authenticationFailed: true }), 'auth.failed', false],
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
