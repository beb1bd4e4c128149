/**
 * Engine requests for the window's trees, status bar, badge, alerts and commands (accounts, folders, jobs, Add/Edit Account, Gmail and Outlook sign-in).
 * Part of `EngineRequests` (../engine.ts); served by src/engine/areas/window.ts.
 * Plain data only: everything here survives JSON (no class, Buffer, Date, Map, Set).
 */

// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface WindowRequests {}
