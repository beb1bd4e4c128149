import * as fs from 'node:fs';

/**
 * The main thread's time on a CPU and waiting for one, in ms, since it started (Linux:
 * /proc/self/task/<pid>/schedstat, nanoseconds), or undefined elsewhere. On a machine shared
 * with other work, a 5 ms timer's gap mixes the thread's own work with its wait for a core;
 * this tells the two apart.
 */
export function mainThreadTimes(): { runMs: number; queuedMs: number } | undefined {
  try {
    const [run, wait] = fs.readFileSync(`/proc/self/task/${process.pid}/schedstat`, 'utf8').trim().split(/\s+/).map(Number);
    return Number.isFinite(run) && Number.isFinite(wait) ? { runMs: run / 1e6, queuedMs: wait / 1e6 } : undefined;
  } catch {
    return undefined;
  }
}
