/**
 * Engine requests for the composer (src/extension/compose): drafts, send, address book, attachments.
 * Part of `EngineRequests` (../engine.ts); served by src/engine/areas/compose.ts.
 * Plain data only: everything here survives JSON (no class, Buffer, Date, Map, Set).
 */

// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface ComposeRequests {}
