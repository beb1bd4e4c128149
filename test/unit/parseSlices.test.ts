import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as esbuild from 'esbuild';
import { ImapFlow } from 'imapflow';
import { parseInSlices, SLICE_MS } from '../../src/core/providers/imap/parseSlices';

function client(): ImapFlow {
  // Never connected: the stream that parses server input exists from the constructor on.
  return new ImapFlow({ host: '127.0.0.1', port: 1, auth: { user: 'u', pass: 'p' }, logger: false });
}

describe('imapflow parses big fetches in slices', () => {
  it('recognises the installed imapflow’s parse loop and replaces it, once for every client', () => {
    assert.equal(parseInSlices(client()), true);
    assert.equal(parseInSlices(client()), true);
  });

  it('recognises it in the shipped bundle too, where esbuild has minified imapflow (no spaces, its local names renamed)', () => {
    // Built the way `npm run package` builds the engine (esbuild.mjs --production: minify).
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'maildesk-slices-'));
    try {
      const out = path.join(dir, 'bundle.js');
      const entry = path.resolve(__dirname, '../../src/core/providers/imap/parseSlices.ts');
      esbuild.buildSync({
        stdin: {
          contents: `const { ImapFlow } = require('imapflow');
const { parseInSlices } = require(${JSON.stringify(entry)});
module.exports = () => {
  const c = new ImapFlow({ host: '127.0.0.1', port: 1, auth: { user: 'u', pass: 'p' }, logger: false });
  return { sliced: parseInSlices(c), input: String(Object.getPrototypeOf(c.streamer).processInput) };
};`,
          resolveDir: __dirname,
          loader: 'js',
        },
        bundle: true,
        platform: 'node',
        target: 'node20',
        format: 'cjs',
        minify: true,
        outfile: out,
        logLevel: 'silent',
      });
      const bundled = fs.readFileSync(out, 'utf8');
      // The loop as shipped: imapflow's `processedCount % 10` has lost its name and its spaces.
      assert.doesNotMatch(bundled, /processedCount/);
      assert.match(bundled, /inputQueue\.shift\(\)/);
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const check = require(out) as () => { sliced: boolean; input: string };
      const r = check();
      assert.equal(r.sliced, true, `not recognised in the minified bundle:\n${r.input}`);
      assert.doesNotMatch(r.input, /%\s*10\b/, "the installed loop is the sliced one, not imapflow's turn every 10 reads");
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('leaves an imapflow it does not recognise exactly as it is', () => {
    class OtherStream {
      processInput(): string {
        return 'theirs';
      }
    }
    const fake = { streamer: new OtherStream() } as unknown as ImapFlow;
    assert.equal(parseInSlices(fake), false);
    assert.equal(new OtherStream().processInput(), 'theirs');
  });

  it('gives the event loop a turn between chunks once a slice has run its time, and still processes every chunk in order', async () => {
    const c = client();
    parseInSlices(c);
    const processInput = (Object.getPrototypeOf((c as unknown as { streamer: object }).streamer) as { processInput: () => Promise<void> }).processInput;
    const done: number[] = [];
    const released: number[] = [];
    const stream = {
      destroyed: false,
      processingInput: true,
      activeInput: null as unknown,
      inputQueue: Array.from({ length: 8 }, (_, i) => ({ chunk: Buffer.from(String(i)) })),
      async processInputChunk(chunk: Buffer) {
        const until = performance.now() + SLICE_MS / 2 + 1;
        while (performance.now() < until) {
          /* parsing */
        }
        done.push(Number(chunk.toString()));
      },
      releaseInput(item: { chunk: Buffer }) {
        released.push(Number(item.chunk.toString()));
      },
    };
    let chunksBeforeTurn = -1;
    setImmediate(() => (chunksBeforeTurn = done.length));
    await processInput.call(stream);
    assert.deepEqual(done, [0, 1, 2, 3, 4, 5, 6, 7]);
    assert.deepEqual(released, done);
    assert.equal(stream.processingInput, false);
    // imapflow's own loop would have run all 8 (it yields every 10 chunks).
    assert.ok(chunksBeforeTurn > 0 && chunksBeforeTurn <= 3, `the event loop got its turn after ${chunksBeforeTurn} chunks`);
  });

  it('also gives a turn between the pieces of one socket read, which alone can hold ~60 header rows', async () => {
    const c = client();
    parseInSlices(c);
    const processInputChunk = (Object.getPrototypeOf((c as unknown as { streamer: object }).streamer) as { processInputChunk: (b: Buffer) => Promise<void> }).processInputChunk;
    const pieces: number[] = [];
    const stream = {
      destroyed: false,
      async processChunkSegment(chunk: Buffer, from: number): Promise<number | null> {
        const until = performance.now() + SLICE_MS / 2 + 1;
        while (performance.now() < until) {
          /* parsing one row */
        }
        pieces.push(from);
        return from + 1 < chunk.length ? from + 1 : null;
      },
    };
    let piecesBeforeTurn = -1;
    setImmediate(() => (piecesBeforeTurn = pieces.length));
    await processInputChunk.call(stream, Buffer.alloc(8));
    assert.deepEqual(pieces, [0, 1, 2, 3, 4, 5, 6, 7]);
    assert.ok(piecesBeforeTurn > 0 && piecesBeforeTurn <= 3, `the event loop got its turn after ${piecesBeforeTurn} pieces`);
  });
});
