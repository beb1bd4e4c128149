import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';

/**
 * The event loop's stalls, as every bench run measures them: Node's histogram records the
 * time between two firings of a timer of `resolution` ms, so an idle loop reads the resolution
 * itself and a block of X ms reads between X and X + resolution (at 10 ms, a 30 ms busy loop
 * read 37.7; at 1 ms, 30.9). 1 ms is libuv's finest timer, and the timer is native (no
 * JavaScript runs for it).
 */
export function loopDelay(): IntervalHistogram {
  return monitorEventLoopDelay({ resolution: 1 });
}
