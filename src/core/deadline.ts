/**
 * Deadlines for promises that may never settle: used by the server tests (verify.ts) and by
 * Troubleshoot, so both say a silent server's timeout the same way.
 */
/** A deadline for a promise that may never settle (a server that accepts and then says nothing). */
export class DeadlineError extends Error {
  readonly code = 'ETIMEDOUT';
  constructor(what: string, readonly ms: number) {
    super(`${what}: no answer within ${(ms / 1000).toFixed(ms % 1000 ? 1 : 0)} s`);
    this.name = 'DeadlineError';
  }
}

export function withDeadline<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new DeadlineError(what, ms)), ms);
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (e) => {
        clearTimeout(t);
        reject(e);
      },
    );
  });
}
