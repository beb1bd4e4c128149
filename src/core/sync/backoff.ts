/**
 * Exponential back-off with full jitter (the delay is uniform in [0, min(cap, base·2^n)]),
 * so many accounts failing together do not retry in lock-step. A provider's own
 * Retry-After wins when it asks for longer.
 */
export function backoffDelay(attempt: number, opts: { baseMs?: number; capMs?: number; retryAfterSec?: number; random?: () => number } = {}): number {
  const base = opts.baseMs ?? 5_000;
  const cap = opts.capMs ?? 15 * 60_000;
  const ceiling = Math.min(cap, base * 2 ** Math.max(0, attempt - 1));
  const jittered = Math.floor((opts.random ?? Math.random)() * ceiling);
  const floor = opts.retryAfterSec !== undefined ? opts.retryAfterSec * 1000 : 0;
  return Math.max(jittered, floor, 250);
}
