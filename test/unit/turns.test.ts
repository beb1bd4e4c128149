/**
 * nextTurn() (src/core/turns.ts) is a real turn of the event loop wherever the waiting code runs:
 * a timer that came due and I/O that arrived meanwhile run before it resolves. Most of a sync
 * runs in an I/O callback (a server's response); a single setImmediate queued there resolved in
 * the same loop iteration, before any timer or new I/O, and two slices held the thread back to
 * back (`npm run bench`: the engine's longest stalls, 50-106 ms, were such pairs).
 */
import { strict as assert } from 'node:assert';
import * as net from 'node:net';
import { nextTurn } from '../../src/core/turns';

function busy(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    // a slice of work
  }
}

/** Two connected sockets on 127.0.0.1, and a way to close them and the server. */
async function socketPair(): Promise<{ a: net.Socket; b: net.Socket; close(): void }> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const accepted = new Promise<net.Socket>((r) => server.once('connection', r));
  const a = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
  await new Promise((r) => a.once('connect', r));
  const b = await accepted;
  return {
    a,
    b,
    close() {
      a.destroy();
      b.destroy();
      server.close();
    },
  };
}

describe('turns: nextTurn is a whole turn of the event loop', () => {
  it('from an I/O callback: a timer that came due runs before nextTurn resolves', async () => {
    const { a, b, close } = await socketPair();
    try {
      const seen = new Promise<boolean>((resolve) => {
        b.once('data', () => {
          // In the loop's poll phase, as a server's response is.
          let timerRan = false;
          setTimeout(() => (timerRan = true), 0);
          busy(5);
          void nextTurn().then(() => resolve(timerRan));
        });
      });
      a.write('x');
      assert.equal(await seen, true, 'the due timer had not run when nextTurn resolved');
    } finally {
      close();
    }
  });

  it('from an I/O callback: data that arrived on another socket meanwhile is read before nextTurn resolves', async () => {
    const one = await socketPair();
    const two = await socketPair();
    try {
      let otherRead = false;
      two.b.on('data', () => (otherRead = true));
      const seen = new Promise<boolean>((resolve) => {
        one.b.once('data', () => {
          two.a.write('y');
          // The bytes are in the kernel's buffer once the write is flushed; the loop polls them next.
          busy(5);
          void nextTurn().then(() => resolve(otherRead));
        });
      });
      one.a.write('x');
      assert.equal(await seen, true, 'the other socket was not read when nextTurn resolved');
    } finally {
      one.close();
      two.close();
    }
  });

  it('from a turn nextTurn gave: the next call waits for another turn, and callers waiting together share it', async () => {
    await nextTurn();
    let timerRan = false;
    setTimeout(() => (timerRan = true), 0);
    busy(5);
    const [x, y] = [nextTurn(), nextTurn()];
    assert.equal(x, y, 'two callers in one turn wait for the same next turn');
    await x;
    assert.equal(timerRan, true);
  });
});
