import { strict as assert } from 'node:assert';
import { once } from 'node:events';
import * as os from 'node:os';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { kernelThreadId, WORKER_NICE } from '../../src/core/lowPriorityThread';

describe('a worker thread of throughput work runs below the engine thread', () => {
  it('the worker that imports lowPriorityThread runs at nice 10 or lower priority; the thread that started it keeps its own', async function () {
    const self = kernelThreadId();
    if (self === undefined) this.skip();
    const mine = os.getPriority(self!);
    const source = path.join(__dirname, '../../src/core/lowPriorityThread.ts');
    const w = new Worker(
      `require(${JSON.stringify(require.resolve('tsx/cjs'))});
       const { parentPort } = require('node:worker_threads');
       const m = require(${JSON.stringify(source)});
       parentPort.postMessage(m.kernelThreadId());
       parentPort.once('message', () => process.exit(0));`,
      { eval: true },
    );
    try {
      const [tid] = (await once(w, 'message')) as [number];
      assert.notEqual(tid, self);
      assert.ok(os.getPriority(tid) >= Math.max(WORKER_NICE, mine), `the worker's nice is ${os.getPriority(tid)}`);
      assert.equal(os.getPriority(self!), mine, 'the starting thread is left as it was');
    } finally {
      w.postMessage('done');
      await w.terminate();
    }
  });
});
