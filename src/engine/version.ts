/**
 * The protocol version this build speaks. MAILDESK_ENGINE_PROTOCOL_VERSION overrides it so the
 * integration test can start a real engine "of an older version" and watch it hand over.
 */
import { ENGINE_PROTOCOL_VERSION } from '../shared/protocol/engine';

export function engineProtocolVersion(env: NodeJS.ProcessEnv = process.env): number {
  const v = env.MAILDESK_ENGINE_PROTOCOL_VERSION;
  const n = v ? Number(v) : NaN;
  return Number.isInteger(n) && n >= 0 ? n : ENGINE_PROTOCOL_VERSION;
}
