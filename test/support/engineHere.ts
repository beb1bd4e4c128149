/**
 * An engine hosted in the test's own thread, and its client over a MessagePort: how a VS Code
 * window reaches the engine it hosts, without starting a worker (tests read `engine.hostedCore`).
 */
import { strict as assert } from 'node:assert';
import { MessageChannel } from 'node:worker_threads';
import { memorySecretStore } from '../../src/core/auth/tokens';
import { passwordSecretKey, secretCredentials } from '../../src/core/config';
import { EngineClient } from '../../src/engine/client';
import { Engine } from '../../src/engine/engine';
import { secretAnswers } from '../../src/engine/secretAnswers';

export interface EngineHere {
  engine: Engine;
  client: EngineClient;
}

/** Starts the engine of `dataDir`; the client answers the IMAP password of each account in `passwords`. */
export async function startEngineHere(dataDir: string, passwords: Record<string, string>): Promise<EngineHere> {
  const { port1, port2 } = new MessageChannel();
  const started = await Engine.start({ dataDir, host: 'vscode', idle: false }, port2, () => undefined);
  assert.equal(started.kind, 'ready');
  const secrets = memorySecretStore(Object.fromEntries(Object.entries(passwords).map(([account, pw]) => [passwordSecretKey(account, 'imap'), pw])));
  const client = await EngineClient.overPort(port1, { dataDir, kind: 'vscode', secrets: secretAnswers(secretCredentials(secrets), secrets) });
  return { engine: (started as { engine: Engine }).engine, client };
}

/** Closes the client (its requests in flight answered first), then stops the engine. */
export async function stopEngineHere(r: EngineHere | undefined): Promise<void> {
  if (!r) return;
  await r.client.close().catch(() => undefined);
  await r.engine.stop('test done').catch(() => undefined);
}
