/**
 * imapflow parses what the server sends in a loop of its own that gives the event loop back
 * only every 10 socket reads (up to ~640 KB of protocol), and works through a whole 64 KB
 * read before it even looks: each line is handed on and parsed before the next (it waits
 * for its reader), so a read of header FETCH rows costs ~30 ms, and three connections
 * syncing side by side made 100–150 ms turns on the extension host's thread
 * (`npm run bench -- --messages 100000`, "Longest stall seen": outside the store, in imapflow's
 * processString/getAttributes/formatMessageResponse).
 *
 * This puts in place of imapflow's two loops (over reads, and over the pieces of one read)
 * the same loops, step for step, that give the event loop a turn once parsing, on all
 * connections together and beside the engine's other slicers (turns.ts), has run for
 * SLICE_MS. They are installed on imapflow's stream class
 * the first time a client is made, and only if that class still has the loops they replace
 * (imapflow 2.x); another version is left exactly as it is.
 *
 * The loops are recognised by their source text, read the way the shipped bundle has it:
 * minified (`npm run package` builds with esbuild's minify), so without spaces and with its
 * local names renamed; only property names and operators are certain. Matching the spaced,
 * named source of node_modules alone left the shipped engine without slices: the longest
 * stall of its 10,000-message header sync was 138–188 ms (medians of the bench's runs) where
 * the development build's was 46–63 ms (docs/offline-bodies.md, "The shipped build").
 */
import type { ImapFlow } from 'imapflow';
import { takeTurn, TURN_MS, turnSpent } from '../../turns';

/** How long imapflow may parse before the event loop gets a turn: the engine's one budget (turns.ts). */
export const SLICE_MS = TURN_MS;

interface InputItem {
  chunk: Buffer;
}

/** The fields of imapflow's ImapStream that its own processInput() uses. */
interface StreamInternals {
  destroyed: boolean;
  processingInput: boolean;
  activeInput: InputItem | null;
  inputQueue: InputItem[];
  processInputChunk(chunk: Buffer): Promise<void>;
  processChunkSegment(chunk: Buffer, from: number): Promise<number | null>;
  releaseInput(item: InputItem): void;
}

const seen = new WeakSet<object>();

/** Returns whether imapflow now parses in slices (false: this imapflow's loop was not recognised). */
export function parseInSlices(client: ImapFlow): boolean {
  const streamer = (client as unknown as { streamer?: object }).streamer;
  if (!streamer) return false;
  const proto = Object.getPrototypeOf(streamer) as Record<string, unknown> & { processInput: unknown };
  if (seen.has(proto)) return proto.processInput === slicedProcessInput;
  seen.add(proto);
  if (!recognisedLoops(proto)) return false;
  proto.processInput = slicedProcessInput;
  proto.processInputChunk = slicedProcessInputChunk;
  return true;
}

/** A local name, as written or as a minifier renamed it. */
const NAME = '[\\w$]+';
/** imapflow's loop over reads: each is parsed, released, and every 10th followed by a turn. */
const INPUT_LOOP = [/this\.inputQueue\.shift\(\)/, /await\s+this\.processInputChunk\(/, /this\.releaseInput\(/, /%\s*10\b/];
/** Its loop over the pieces of one read: `pos = await this.processChunkSegment(chunk, pos)` until null. */
const CHUNK_LOOP = [new RegExp(`(${NAME})\\s*=\\s*await\\s+this\\.processChunkSegment\\(\\s*${NAME}\\s*,\\s*\\1\\s*\\)`), /!==?\s*null/];

function recognisedLoops(proto: Record<string, unknown>): boolean {
  const fns = ['processInput', 'processInputChunk', 'processChunkSegment', 'releaseInput'];
  if (!fns.every((f) => typeof proto[f] === 'function')) return false;
  const input = String(proto.processInput);
  const chunk = String(proto.processInputChunk);
  return INPUT_LOOP.every((re) => re.test(input)) && CHUNK_LOOP.every((re) => re.test(chunk));
}

async function slicedProcessInputChunk(this: StreamInternals, chunk: Buffer): Promise<void> {
  // Each piece hands back the offset to resume from, or null when the read is done.
  let nextPos: number | null = 0;
  while (nextPos !== null) {
    nextPos = await this.processChunkSegment(chunk, nextPos);
    if (nextPos !== null && turnSpent()) await takeTurn();
  }
}

async function slicedProcessInput(this: StreamInternals): Promise<void> {
  try {
    let item: InputItem | undefined;
    while (!this.destroyed && (item = this.inputQueue.shift())) {
      this.activeInput = item;
      await this.processInputChunk(item.chunk);
      this.activeInput = null;
      this.releaseInput(item);
      if (turnSpent()) await takeTurn();
    }
  } finally {
    // Cleared in the same step that found the queue empty, as imapflow does: a chunk
    // queued a few microtasks later must start a new loop.
    this.processingInput = false;
  }
}
