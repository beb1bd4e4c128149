/**
 * Entry of dist/engineWorker.js: the engine in a worker_thread of the process that hosts it,
 * so that process's main thread never runs SQL, sync or saves. It tells its host over
 * `parentPort` whether it claimed the data folder ('ready'), found another engine there
 * ('busy') or could not open it ('failed'), and when it stopped ('stopped').
 */
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import * as l10n from '@vscode/l10n';
import { toMailError } from '../core/errors';
import { Engine, type EngineOptions } from './engine';
import { toWireError } from './wire';
import type { WireError } from '../shared/protocol/engine';

export interface EngineWorkerData {
  options: EngineOptions;
  port: MessagePort;
}

export type EngineWorkerMessage =
  | { type: 'ready'; engineId: string }
  | { type: 'busy' }
  | { type: 'failed'; error: WireError }
  | { type: 'stopped'; reason: string };

function post(m: EngineWorkerMessage): void {
  parentPort?.postMessage(m);
}

async function run(): Promise<void> {
  const data = workerData as EngineWorkerData;
  // Before any word is made: the words of the core come from this bundle. One that cannot be
  // read leaves them in English; it never keeps the engine from starting.
  if (data.options.l10nBundle) {
    try {
      l10n.config({ fsPath: data.options.l10nBundle });
    } catch {
      // English it is.
    }
  }
  try {
    const r = await Engine.start(data.options, data.port, (reason) => {
      post({ type: 'stopped', reason });
      // The host ends this thread on 'stopped'; should it be gone, a lingering socket must not keep it.
      setTimeout(() => process.exit(0), 2000).unref();
    });
    // On 'busy' and 'failed' the host ends this thread.
    post(r.kind === 'ready' ? { type: 'ready', engineId: r.engine.id } : { type: 'busy' });
  } catch (e) {
    post({ type: 'failed', error: toWireError(toMailError(e)) });
  }
}

void run();
