/**
 * "Test Incoming / Outgoing Server" through the engine, shared by the commands and the Add /
 * Edit Account flow: the report comes back as plain data and is read here as the core's
 * VerifyReport (its error a MailError again), and a test that could not run at all is a
 * failed report with the reason, never an exception the flow would have to catch.
 */
import type { AccountConfig } from '../core/config';
import { toMailError } from '../core/errors';
import type { VerifyReport, VerifyStep } from '../core/providers/provider';
import type { EngineClient } from '../engine/client';
import { fromWireError } from '../engine/wire';

/** Tests a saved account (by id) or settings not saved yet (their password staged in the window's secrets). */
export async function testServerVia(engine: EngineClient, account: AccountConfig | string, which: 'incoming' | 'outgoing'): Promise<VerifyReport> {
  try {
    const w = await engine.request(which === 'incoming' ? 'accounts/testIncoming' : 'accounts/testOutgoing', { account });
    // The steps are the core's VerifyStep as the engine produced them (the wire type only widens `name` to string).
    return { ok: w.ok, server: w.server, steps: w.steps as VerifyStep[], error: w.error ? fromWireError(w.error) : undefined, capabilities: w.capabilities };
  } catch (e) {
    return { ok: false, server: which, steps: [], error: toMailError(e, `${which} server test`) };
  }
}
