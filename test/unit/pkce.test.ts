import { strict as assert } from 'node:assert';
import { createPkce, createState, pkceChallenge } from '../../src/core/auth/pkce';

describe('PKCE and state', () => {
  it('computes the RFC 7636 S256 challenge (Appendix B test vector)', () => {
    assert.equal(pkceChallenge('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk'), 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM');
  });

  it('makes a fresh verifier within the allowed alphabet and length, with its challenge', () => {
    const a = createPkce();
    const b = createPkce();
    assert.notEqual(a.verifier, b.verifier);
    assert.match(a.verifier, /^[A-Za-z0-9\-._~]{43,128}$/);
    assert.equal(a.method, 'S256');
    assert.equal(a.challenge, pkceChallenge(a.verifier));
    assert.notEqual(a.challenge, a.verifier, 'the verifier itself never goes in the URL');
  });

  it('makes unguessable, URL-safe states', () => {
    const states = new Set(Array.from({ length: 50 }, () => createState()));
    assert.equal(states.size, 50);
    for (const s of states) assert.match(s, /^[A-Za-z0-9_-]{24,}$/);
  });
});
