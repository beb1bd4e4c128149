/**
 * Engine requests for Troubleshoot, Pro (licence, AI, bridges), agent mode and the triage commands in VS Code.
 * Part of `EngineRequests` (../engine.ts); served by src/engine/areas/panels.ts.
 * Plain data only: everything here survives JSON (no class, Buffer, Date, Map, Set).
 */
import type { AiFailure } from '../../../core/ai/failures';
import type { BridgeEmail, BridgeRecord } from '../../../core/bridges/bridge';
import type { LinkSummary } from '../../../core/bridges/links';
import type { DraftRef } from '../../../core/drafts/drafts';
import type { ProDraft, ProThread } from '../../../core/licence/proData';
import type { FolderRole } from '../../../core/store/store';
import type { MessageKey } from '../../../core/triage/triage';

/** The e-mail a Workflow Bridge acts on, its attachments' bytes as base64 (a bridge reads them synchronously). */
export type BridgeEmailWire = Omit<BridgeEmail, 'attachments'> & { attachments: Array<{ filename: string; mimeType: string; size: number; contentBase64: string }> };

/** A thread of one account, as the thread view names it. */
interface ThreadRef {
  accountId: string;
  threadKey: string;
}

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

  /**
   * Pro in a window (src/core/licence/proData.ts): the AI actions and bridges run in the window
   * (VS Code's models, other extensions' bridges, the secrets in SecretStorage); the mail they
   * read and the links they leave are the engine's.
   */
  'pro/thread': { params: ThreadRef; result: ProThread };
  'pro/replyDraft': { params: ThreadRef; result: ProDraft };
  /** Saves the AI's reply draft locally (Drafts), for the user to edit and send. */
  'pro/saveDraft': { params: { accountId: string; draft: ProDraft }; result: DraftRef };
  /** The last AI request's failure for Troubleshoot's ai.provider check (null: it succeeded). */
  'pro/recordAiOutcome': { params: { failure: AiFailure | null }; result: null };
  'pro/bridgeEmail': { params: ThreadRef; result: BridgeEmailWire };
  'pro/links': { params: ThreadRef; result: LinkSummary[] };
  'pro/addLinks': { params: { accountId: string; messageId: string; bridge: string; records: BridgeRecord[]; now: number }; result: null };
  'pro/updateLinks': { params: { accountId: string; records: Array<BridgeRecord & { gone?: boolean }>; now: number }; result: null };
}
