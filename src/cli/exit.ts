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
