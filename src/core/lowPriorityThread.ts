/**
 * Imported first by a worker thread whose work is throughput, not answers (the IMAP header
 * worker): the thread asks the kernel for a lower priority (nice 10) before it compiles and
 * runs anything else, so when the machine's cores are all busy, the engine's thread, which
 * answers the windows, runs first and the worker takes what is left.
 *
 * On a 2-core machine, a sync's first tenth of a second (the worker compiling its 1.8 MB
 * bundle beside the engine storing the newest page) and the backfill beside the bodies were
 * where the engine waited 30+ ms for a core (`npm run bench`, "queuedMs" of the stalls).
 *
 * Linux keeps a nice value per thread: setpriority() given the thread's own id changes that
 * thread alone. Elsewhere, or where it is refused, the thread keeps the process's priority.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';

export const WORKER_NICE = 10;

/** The calling thread's id in the kernel (Linux), or undefined. */
export function kernelThreadId(): number | undefined {
  if (process.platform !== 'linux') return undefined;
  try {
    const tid = Number(fs.readlinkSync('/proc/thread-self').split('/').pop());
    return Number.isInteger(tid) && tid > 0 ? tid : undefined;
  } catch {
    return undefined;
  }
}

export function lowerThreadPriority(nice = WORKER_NICE): void {
  const tid = kernelThreadId();
  if (tid === undefined) return;
  try {
    if (os.getPriority(tid) < nice) os.setPriority(tid, nice);
  } catch {
    // refused (a sandbox without setpriority): the thread runs at the process's priority
  }
}

lowerThreadPriority();
