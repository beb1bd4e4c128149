/**
 * Engine requests for Troubleshoot, Pro (licence, AI, bridges), agent mode and the triage commands in VS Code.
 * Part of `EngineRequests` (../engine.ts); served by src/engine/areas/panels.ts.
 * Plain data only: everything here survives JSON (no class, Buffer, Date, Map, Set).
 */

// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface PanelRequests {}
