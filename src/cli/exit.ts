/**
 * Ends the CLI process only after everything it wrote has left it. process.exit() does not wait
 * for stdout: into a pipe or a slow reader, output still queued in the process was lost
 * (`maildesk list --json | …` was cut at 64 KB and exited 0).
 */
export async function exitWhenWritten(code: number): Promise<never> {
  await Promise.all([written(process.stdout), written(process.stderr)]);
  process.exit(code);
}

/** Resolves once what was written before is flushed, or the reader is gone (EPIPE). */
function written(s: NodeJS.WriteStream): Promise<void> {
  return new Promise<void>((resolve) => {
    if (s.destroyed || !s.writable || s.writableLength === 0) return resolve();
    s.once('error', () => resolve());
    // Writes complete in order: the callback of this one runs after all before it.
    s.write('', () => resolve());
  });
}

/**
 * Makes stdout and stderr blocking when they are pipes (as the set-blocking package does for
 * yargs): a pipe's writes are otherwise asynchronous, and thousands of small writes queued
 * behind a slow reader were lost when the process ended (`maildesk list | …` got 0 of 3,000
 * lines now and then). A blocking write waits for the reader instead; the engine runs in its
 * own thread, so nothing else waits with it. Terminals and files are left as they are.
 */
export function blockingStdio(): void {
  for (const s of [process.stdout, process.stderr]) {
    const handle = (s as unknown as { _handle?: { setBlocking?: (on: boolean) => void } })._handle;
    if ((s as unknown as { _type?: string })._type === 'pipe' && handle?.setBlocking) handle.setBlocking(true);
  }
}
