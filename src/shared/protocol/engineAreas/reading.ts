/**
 * Engine requests for reading (src/extension/threadView.ts, messageList.ts, mailFocus.ts): message lists, threads, rendered messages, search, source.
 * Part of `EngineRequests` (../engine.ts); served by src/engine/areas/reading.ts.
 * Plain data only: everything here survives JSON (no class, Buffer, Date, Map, Set).
 */

// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface ReadingRequests {}
