/**
 * An OAuth sign-in run in this window (browser and loopback stay here; the tokens go to the
 * window's SecretStorage), with how it went told to the engine: a failure is remembered for
 * Troubleshoot ("Access denied" leaves no account behind to report it), a success clears the
 * earlier failures. The window side of src/core/auth/signInRecord.ts's `recordingSignIn`.
 */
import type { MailError } from '../core/errors';
import type { EngineClient } from '../engine/client';
import { toWireError } from '../engine/wire';
import type { SignInWho } from '../shared/protocol/engineAreas/window';

export async function recordingSignInVia<T>(engine: EngineClient, who: SignInWho, run: () => Promise<T>, toError: (e: unknown) => MailError, log: { warn(line: string): void }): Promise<T> {
  // Remembering is for Troubleshoot: failing to tell the engine never hides the sign-in's own outcome.
  const tell = (error?: MailError) =>
    engine.request('window/signInResult', { who, error: error && toWireError(error) }).then(
      () => undefined,
      (e: unknown) => log.warn(`Recording the ${who.provider} sign-in for Troubleshoot: ${toError(e).describe()}`),
    );
  let r: T;
  try {
    r = await run();
  } catch (e) {
    const err = toError(e);
    // Missing OAuth configuration has its own check (oauth.configured); everything else is a sign-in failure.
    if (err.code !== 'oauth.notConfigured') await tell(err);
    throw e;
  }
  await tell();
  return r;
}
