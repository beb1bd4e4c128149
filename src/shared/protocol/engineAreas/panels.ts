/**
 * Engine requests for Troubleshoot, Pro (licence, AI, bridges), agent mode and the triage commands in VS Code.
 * Part of `EngineRequests` (../engine.ts); served by src/engine/areas/panels.ts.
 * Plain data only: everything here survives JSON (no class, Buffer, Date, Map, Set).
 */
import type { FolderRole } from '../../../core/store/store';
import type { MessageKey } from '../../../core/triage/triage';

export interface MoveTargetWire {
  folderId: number;
  path: string;
  name: string;
  role: FolderRole | null;
  recent: boolean;
}

export interface PanelRequests {
  /** The account and path of a folder the list or the Mailboxes tree names by id (null: no such folder). */
  'triage/folder': { params: { folderId: number }; result: { accountId: string; path: string } | null };
  /** Where "Move to Folder" may move from this folder: recent targets first (null: no such folder). */
  'triage/moveTargets': { params: { folderId: number; accountId?: string }; result: { accountId: string; targets: MoveTargetWire[] } | null };
  /** Whether every one of these messages is flagged (then the star command unflags). */
  'triage/allFlagged': { params: { keys: MessageKey[] }; result: boolean };
}
