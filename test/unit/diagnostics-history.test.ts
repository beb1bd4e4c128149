import { strict as assert } from 'node:assert';
import type { CheckOutcome } from '../../src/core/diagnostics/check';
import { applyHistory } from '../../src/core/diagnostics/history';
import { MailStore } from '../../src/core/store/store';

/** "Since when": first seen of the current failing streak, and the last run that passed. */
describe('Troubleshoot history (since when)', () => {
  const outcome = (status: CheckOutcome['status'], account: string | null = 'a'): CheckOutcome => ({ id: 'auth.status', account, title: 't', status, detail: 'd', remedy: '', section: 's', ms: 0 });
  const at = (h: number) => Date.UTC(2026, 0, 1, h);

  it('keeps the first failure of a streak, remembers the last pass, and starts again after a pass', async () => {
    const store = await MailStore.open();
    try {
      const [p] = applyHistory(store, [outcome('pass')], at(8));
      assert.equal(p.firstSeen, null);
      assert.equal(p.lastSuccess, new Date(at(8)).toISOString());
      const [f1] = applyHistory(store, [outcome('fail')], at(9));
      assert.equal(f1.firstSeen, new Date(at(9)).toISOString());
      assert.equal(f1.lastSuccess, new Date(at(8)).toISOString());
      // A skip neither ends nor starts a streak; a warning continues it.
      applyHistory(store, [outcome('skip')], at(10));
      const [f2] = applyHistory(store, [outcome('warn')], at(11));
      assert.equal(f2.firstSeen, new Date(at(9)).toISOString());
      applyHistory(store, [outcome('pass')], at(12));
      const [f3] = applyHistory(store, [outcome('fail')], at(13));
      assert.equal(f3.firstSeen, new Date(at(13)).toISOString());
      assert.equal(f3.lastSuccess, new Date(at(12)).toISOString());
      // Another account's result is its own streak.
      const [other] = applyHistory(store, [outcome('fail', 'b')], at(14));
      assert.equal(other.firstSeen, new Date(at(14)).toISOString());
      assert.equal(other.lastSuccess, null);
    } finally {
      store.close();
    }
  });
});
