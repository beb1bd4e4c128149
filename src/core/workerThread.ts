/**
 * Starts one of MailDesk's worker threads: from the bundle beside the running one (dist/, in
 * VS Code and the CLI), or from its TypeScript source when the code runs from sources (tests
 * under tsx), where the thread needs tsx loaded before its entry.
 */
import * as path from 'node:path';
import { Worker, type WorkerOptions } from 'node:worker_threads';

export function startWorkerThread(source: string, bundle: string, opts: WorkerOptions): Worker {
  if (__filename.endsWith('.ts')) {
    return new Worker(`require(${JSON.stringify(require.resolve('tsx/cjs'))}); require(${JSON.stringify(source)});`, { ...opts, eval: true });
  }
  return new Worker(path.join(__dirname, bundle), opts);
}
