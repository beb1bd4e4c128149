import { strict as assert } from 'node:assert';
import { backoffDelay } from '../../src/core/sync/backoff';

describe('backoffDelay', () => {
  const top = () => 0.999999;
  const bottom = () => 0;

  it('grows exponentially from the base: 1st, 2nd, 3rd, 4th attempt', () => {
    const ceilings = [1, 2, 3, 4].map((n) => backoffDelay(n, { baseMs: 1000, random: top }));
    assert.deepEqual(ceilings, [999, 1999, 3999, 7999]);
  });

  it('never exceeds the cap, however many attempts', () => {
    for (const n of [10, 20, 50, 1000]) assert.ok(backoffDelay(n, { baseMs: 1000, capMs: 60_000, random: top }) <= 60_000);
    assert.ok(backoffDelay(1000, { random: top }) <= 15 * 60_000, 'default cap is 15 minutes');
  });

  it('uses full jitter: spread over [0, ceiling], not a fixed value', () => {
    const seq = [0.1, 0.5, 0.9];
    let i = 0;
    const values = seq.map(() => backoffDelay(4, { baseMs: 1000, random: () => seq[i++] }));
    assert.deepEqual(values, [800, 4000, 7200]);
  });

  it('with real randomness, many accounts failing together do not retry in lock-step', () => {
    const values = new Set(Array.from({ length: 50 }, () => backoffDelay(5, { baseMs: 1000 })));
    assert.ok(values.size > 20, `only ${values.size} distinct delays out of 50`);
  });

  it('never retries sooner than 250 ms, even when jitter picks 0', () => {
    assert.equal(backoffDelay(1, { baseMs: 1000, random: bottom }), 250);
    assert.equal(backoffDelay(0, { baseMs: 10, random: top }), 250);
  });

  it("honours the server's Retry-After when it asks for longer", () => {
    assert.equal(backoffDelay(1, { baseMs: 1000, retryAfterSec: 30, random: top }), 30_000);
    // A short Retry-After does not shorten a longer back-off.
    assert.equal(backoffDelay(6, { baseMs: 1000, retryAfterSec: 1, random: top }), 31_999);
  });

  it('treats attempt 0 and negative attempts like the first', () => {
    assert.equal(backoffDelay(0, { baseMs: 4000, random: top }), backoffDelay(1, { baseMs: 4000, random: top }));
    assert.equal(backoffDelay(-3, { baseMs: 4000, random: top }), 3999);
  });
});
