/**
 * The engine's endpoint is the data folder's lock, and the store is a file written in place: a
 * stopping engine holds the lock until its store is closed, so a second engine never opens the
 * file while the first may still write it.
 */
import { strict as assert } from 'node:assert';
import { MessageChannel } from 'node:worker_threads';
import { Engine } from '../../src/engine/engine';
import { tempDir } from '../support/core';

async function startHere(dataDir: string): Promise<Awaited<ReturnType<typeof Engine.start>>> {
  const { port2 } = new MessageChannel();
  return Engine.start({ dataDir, host: 'cli', idle: false }, port2, () => undefined);
}

describe('engine lock: held until the store is closed', function () {
  this.timeout(30_000);

  it('while a stopping engine closes its store a second engine is refused; once closed, it starts', async () => {
    const dataDir = tempDir('maildesk-engine-lock-');
    const first = await startHere(dataDir);
    assert.equal(first.kind, 'ready');
    const engine = (first as { engine: Engine }).engine;
    const core = engine.hostedCore;
    // The store's closing takes as long as the test says.
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    const close = core.close.bind(core);
    core.close = async () => {
      await gate;
      await close();
    };
    const stopping = engine.stop('test');
    await new Promise((r) => setTimeout(r, 200));
    assert.equal((await startHere(dataDir)).kind, 'busy', 'a second engine started while the first was still closing its store');
    open();
    await stopping;
    const second = await startHere(dataDir);
    assert.equal(second.kind, 'ready', 'the data folder is free once the store is closed');
    await (second as { engine: Engine }).engine.stop('test done');
  });
});
