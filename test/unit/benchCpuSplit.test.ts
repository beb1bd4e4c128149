/**
 * The bench's account of where a sync's CPU went (bench/threadTimes.ts): the main thread, the
 * threads started during the phase, the process's other threads, and a server's process group.
 * Linux only: elsewhere there is no /proc and the bench leaves the figure out.
 */
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { Worker } from 'node:worker_threads';
import { cpuSnapshot, cpuSplit, mainThreadTimes } from '../../bench/threadTimes';

/**
 * Code that keeps its own thread on a CPU until that thread has run `ms` (by its schedstat, not the
 * clock: on a loaded machine a thread waits for a core, and the clock runs on meanwhile), then says
 * "done" (a worker posts it; a process prints it).
 */
const burnCode = (ms: number, say: string): string =>
  `const fs = require('node:fs'); const run = () => Number(fs.readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[0]) / 1e6;` +
  `const end = run() + ${ms}; while (run() < end); ${say}; setTimeout(() => {}, 60000);`;

describe('bench: CPU time by thread and by server process group', function () {
  before(function () {
    if (process.platform !== 'linux') this.skip();
  });

  it('puts the main thread’s work, a thread started in the phase and a process group’s work each in its own place', async () => {
    // A process group of its own (detached), as Dovecot's master leads one: it works ~300 ms, then waits.
    const server = spawn(process.execPath, ['-e', burnCode(300, "process.stdout.write('done')")], { detached: true, stdio: ['ignore', 'pipe', 'ignore'] });
    try {
      const before = cpuSnapshot(server.pid);
      const serverDone = new Promise((resolve) => server.stdout!.once('data', resolve));
      const end = mainThreadTimes()!.runMs + 150;
      while (mainThreadTimes()!.runMs < end) {
        // on a CPU
      }
      const worker = new Worker(burnCode(200, "require('node:worker_threads').parentPort.postMessage('done')"), { eval: true });
      await new Promise((resolve) => worker.once('message', resolve));
      await serverDone;
      const split = cpuSplit(before, cpuSnapshot(server.pid))!;
      await worker.terminate();
      assert.ok(split, 'no split on Linux');
      // Each also did some work of its own around the burn (start-up, messages): hence the upper bounds.
      assert.ok(split.mainMs >= 150 && split.mainMs < 1_000, `main thread: ${split.mainMs} ms for a 150 ms burn`);
      assert.ok(split.newThreadsMs >= 200 && split.newThreadsMs < 1_000, `the worker started in the phase: ${split.newThreadsMs} ms for a 200 ms burn`);
      // /proc/<pid>/stat counts in ticks of 10 ms, sampled: a little under 300 is still the burn.
      assert.ok(split.dovecotMs >= 250 && split.dovecotMs < 1_500, `the server's group: ${split.dovecotMs} ms for a 300 ms burn`);
      assert.ok(split.wallMs >= 350, `wall time ${split.wallMs} ms`);
      assert.ok(split.cores >= 1);
    } finally {
      if (server.pid) process.kill(server.pid, 'SIGKILL');
    }
  });

  it('without a server to follow, its share is not a number, not a zero', () => {
    const a = cpuSnapshot(undefined);
    const split = cpuSplit(a, cpuSnapshot(undefined))!;
    assert.ok(Number.isNaN(split.dovecotMs));
  });
});
