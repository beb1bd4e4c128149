/**
 * One budget of the engine thread's time per turn of the event loop, shared by everything that
 * works in slices: imapflow's parsing (providers/imap/parseSlices.ts), storing fetched headers,
 * threading and indexing in the background, indexing bodies.
 *
 * Each of them used to give the event loop a turn with setImmediate between its slices. But
 * Node runs every immediate queued before its check phase in that one phase: nine folders
 * syncing side by side, or a sync beside the indexer, ran nine slices back to back and held
 * the thread 50–60 ms (`npm run bench`, ten-folder sync). Here a slicer asks for the turn;
 * once slices of this turn have run for TURN_MS, the next one waits for the next turn, so a
 * turn holds at most TURN_MS plus one slice, however many are working.
 */

/** How long slices may run, all together, before the event loop gets a turn. */
export const TURN_MS = 8;

let turnStart = performance.now();
let next: Promise<void> | undefined;

/** Whether this turn's budget is spent. */
export function turnSpent(): boolean {
  return performance.now() - turnStart >= TURN_MS;
}

/**
 * The next turn of the event loop (one shared wait for every slicer): after its timers and its
 * poll for I/O (a window's request, a socket's data) have run.
 *
 * One setImmediate is not that. Work that runs in an I/O callback (a server's response, most of
 * a sync) is in the loop's poll phase, and an immediate queued there runs in the check phase
 * that follows, in the same iteration, with no timer and no new I/O in between: two slices then
 * held the thread back to back. The second immediate, queued from the check phase, runs in the
 * next iteration, after its timers and its poll. From the check phase (a slice that already
 * waited), the first one does that and the second costs one more idle pass of the loop.
 */
export function nextTurn(): Promise<void> {
  next ??= new Promise((resolve) =>
    setImmediate(() =>
      setImmediate(() => {
        next = undefined;
        turnStart = performance.now();
        resolve();
      }),
    ),
  );
  return next;
}

/** Waits until a slice may run: now, while the budget lasts, else in a later turn. */
export function takeTurn(): Promise<void> {
  return inTurn(() => undefined);
}

/**
 * Runs `fn` in a turn with budget left, the check and the call in one go. Callers that start
 * together (syncOnce's three workers) each await takeTurn() before any of them has worked, so
 * all of them pass its check and run in the same turn; here the check is made again right
 * before each one's work.
 */
export async function inTurn<T>(fn: () => T): Promise<T> {
  while (turnSpent()) await nextTurn();
  return fn();
}
