/**
 * The engine protocol: what VS Code windows and `maildesk` commands (clients) say to the one
 * engine that owns a data folder, and what it says back. JSON-RPC (vscode-jsonrpc) over a
 * MessagePort inside the hosting process and over a local socket / named pipe for the others.
 *
 * Adding a capability is ONE entry in `EngineRequests` (method -> params -> result) and ONE
 * line in the engine's handler table (src/engine/handlers.ts); the compiler then refuses an
 * engine that does not serve it, and `EngineClient.request` types the call site. Everything
 * here is plain data: it survives JSON and structured clone (no class, Buffer, Date, Map).
 *
 * Versions: a client sends `engine/hello` first and talks to an engine of the same
 * `ENGINE_PROTOCOL_VERSION` only. An older engine asked by a newer client hands over (stops,
 * releasing the data folder) so the client can start a current one; a newer engine refuses an
 * older client, which tells the user to update. `engine/hello` itself never changes shape.
 */
import type { AccountConfig, BodySettings, OAuthConfig } from '../../core/config';
import type { MailErrorCode } from '../../core/errors';
import type { LogLevel } from '../../core/log';
import type { AccountRow, FolderRow, JobRow, MessageRow } from '../../core/store/store';
import type { EditableRole } from '../../core/store/folders';
import type { RoleFolder } from '../../core/folderRoles';
import type { SupportReport } from '../../core/diagnostics/report';
import type { SendResult } from '../../core/send/sender';
import type { MessageKey, TriageAction, TriageOptions, TriageResult, UndoResult } from '../../core/triage/triage';
import type {
  AgentChangeResult,
  AgentDraftInput,
  AgentDraftResult,
  AgentHostInfo,
  AgentMailboxInfo,
  AgentSearchInput,
  AgentSearchResult,
  AgentStatus,
  AgentThread,
  AgentUnreadFolder,
  MarkAction,
} from '../../core/agent/mailbox';

import type { LocalData } from '../../core/store/store';
import type { ComposeDraftSaved, ComposeRequests } from './engineAreas/compose';
import type { PanelRequests } from './engineAreas/panels';
import type { ReadingRequests } from './engineAreas/reading';
import type { WindowRequests } from './engineAreas/window';

export const ENGINE_PROTOCOL_VERSION = 1;

/** A MailError as it crosses the boundary (the client rebuilds a MailError from it). */
export interface WireError {
  code: MailErrorCode;
  message: string;
  retryable: boolean;
  offline: boolean;
  providerMessage?: string;
  retryAfter?: number;
  /** What to do about it (the code's own remedy unless the error names a better one). */
  remedy: string;
}

/** JSON-RPC error codes of the engine (application range). */
export const EngineErrorCodes = {
  /** A MailError; `data` is its WireError. */
  mail: -32050,
  /** The engine is stopping: the request was not run; reconnect and send it again. */
  stopping: -32051,
  /** The hello's access token did not match the data folder's. */
  badToken: -32052,
  /** Protocol versions differ (see `engine/hello`). */
  version: -32053,
} as const;

export type ClientKind = 'cli' | 'vscode' | 'headless';

export interface HelloParams {
  protocolVersion: number;
  /** Read from `<data dir>/engine.token`: only who can read the data folder may connect. */
  token: string;
  client: ClientKind;
  pid: number;
  /** This client answers `secrets/*` requests (passwords, tokens). */
  answersSecrets: boolean;
  /** Engine log lines at or above this level come to this client as `engine/log`. */
  logLevel?: LogLevel;
}

export interface HelloResult {
  protocolVersion: number;
  engineId: string;
  pid: number;
  dataDir: string;
  /** Set when this (older) engine hands over to the newer client and stops. */
  handingOver?: boolean;
}

export interface FolderInfo extends FolderRow {
  local: number;
  localUnread: number;
  backfillDone: boolean;
  /** The folder's offline bodies job: stored of total within the window, their bytes, how many are over the size cap. */
  bodies: BodiesSummary | null;
}

export interface BodiesSummary {
  stored: number;
  total: number;
  bytes: number;
  overCap: number;
}

export interface JobInfo extends JobRow {
  folderPath: string | null;
}

export interface VerifyStepWire {
  name: string;
  ok: boolean;
  ms: number;
  detail: string;
}

export interface VerifyReportWire {
  ok: boolean;
  server: string;
  steps: VerifyStepWire[];
  error?: WireError;
  capabilities?: string[];
}

export interface AddressWire {
  name?: string;
  address: string;
}

export interface DraftWire {
  id?: number;
  messageId?: string;
  from?: AddressWire;
  to?: Array<AddressWire | string>;
  cc?: Array<AddressWire | string>;
  bcc?: Array<AddressWire | string>;
  subject?: string;
  text?: string;
  html?: string;
  /** Files on this computer (the engine runs on the same one), or blobs of a saved draft. */
  attachments?: Array<{ filename?: string; contentType?: string; path?: string; blob?: string; size?: number }>;
  inReplyTo?: string;
  references?: string[];
}

export type SendInputWire = { draft: DraftWire } | { draftId: number } | { rawBase64: string };

/** A send's outcome as it crosses the boundary: the core's SendResult with its error as plain data. */
export type SendResultWire = Omit<SendResult, 'error'> & { error?: WireError };

export interface SyncOnceResult {
  ok: boolean;
  ms: number;
  failed: JobInfo[];
  accounts: Array<{ account: string; state: AccountRow['state'] | undefined; folders: FolderInfo[] }>;
}

export interface OpenedMessageWire {
  uid: number | null;
  messageId: string | null;
  subject: string;
  from: AddressWire | null;
  to: AddressWire[];
  cc: AddressWire[];
  /** ISO date from the header, when it has one. */
  date: string | null;
  flags: string[];
  text: string;
  attachments: Array<{ filename: string; mimeType: string; size: number }>;
  remoteBlocked: number;
}

export interface DiagnosticsParams {
  accounts: string[];
  oauth?: OAuthConfig;
  settings: Record<string, unknown>;
  /** The asking client's environment: checks say which of its variables are missing. */
  env: Record<string, string>;
  timeoutMs?: number;
  version: string;
  app: 'cli' | 'vscode';
  vscodeVersion?: string;
  expected?: string;
  happened?: string;
  when?: string;
  includeAddresses?: boolean;
  /** Values to mask in the report (held in memory for this call, never written). */
  secrets: string[];
  extraEnvironment?: Record<string, string>;
  /** The asking client's sync interval: how stale a job may get before a check reports it (default 2 min). */
  syncIntervalMs?: number;
  /**
   * Set by a client that keeps the Pro secrets (VS Code's SecretStorage): the licence, AI and
   * bridge checks ask it for them (as for passwords) and see its language models by label.
   * Without it they read the client's `env` (MAILDESK_LICENCE_KEY, ...), as `maildesk doctor` does.
   */
  pro?: { hostModels: string[] };
  /** Also return what the Troubleshoot panel shows besides the report (`panel` in the result). */
  forPanel?: boolean;
}

/** What the Troubleshoot panel needs besides the redacted report (asked with `forPanel`). */
export interface DiagnosticsPanelExtras {
  /** Wall time of the run. */
  ms: number;
  /** Index-aligned with the report's checks: each one's time and fix button (with its arguments). */
  outcomes: Array<{ ms: number; action?: { title: string; command: string; args?: unknown[] } }>;
  /** The same run's report with email addresses shown (the panel's "Include email addresses" box). */
  withAddresses: SupportReport;
}

type NoParams = Record<string, never>;

/**
 * Requests a client sends to the engine. One entry per capability:
 * `'area/verb': { params: P; result: R }`.
 */
export interface EngineRequests extends ComposeRequests, ReadingRequests, WindowRequests, PanelRequests {
  'engine/hello': { params: HelloParams; result: HelloResult };
  /** Stop the engine (after the requests in flight); `maildesk engine` hosts use it on SIGTERM. */
  'engine/shutdown': { params: NoParams; result: null };
  /** Start the scheduler (sync, IDLE, indexing); it runs until the engine stops. */
  'engine/startSync': { params: NoParams; result: null };
  /**
   * A client's settings the engine uses until another client sends its own (VS Code: the
   * `maildesk.oauth.*` and `maildesk.bodies.*` settings, sent at connect and when they change).
   */
  'engine/configure': { params: { oauth?: OAuthConfig; bodies?: BodySettings }; result: null };
  'engine/status': { params: NoParams; result: { engineId: string; pid: number; dataDir: string; syncing: boolean; clients: number; storePath: string | null; /** Set when the store was damaged and moved aside as this engine opened it: the notice for the user. */ storeRecovered?: string } };

  'accounts/list': { params: NoParams; result: AccountRow[] };
  'accounts/get': { params: { accountId: string }; result: AccountRow | null };
  /** Saves account settings without touching mail (the CLI's configuration file). */
  'accounts/ensure': { params: { accounts: AccountConfig[]; oauth?: OAuthConfig }; result: null };
  'accounts/add': { params: { account: AccountConfig }; result: FolderRow[] };
  'accounts/remove': { params: { accountId: string }; result: null };
  /** "Try the Sandbox": the engine serves a demo mailbox on 127.0.0.1 and adds its account (src/engine/sandboxHost.ts). */
  'accounts/addSandbox': { params: Record<string, never>; result: { accountId: string; email: string; added: boolean } };
  'accounts/resume': { params: { accountId: string }; result: null };
  'accounts/testIncoming': { params: { account: AccountConfig | string }; result: VerifyReportWire };
  'accounts/testOutgoing': { params: { account: AccountConfig | string }; result: VerifyReportWire };

  /** Folders with local counts; `refresh` reads the server's list first. */
  'folders/list': { params: { accountId: string; refresh?: boolean }; result: FolderInfo[] };
  'folders/select': { params: { accountId: string; paths: string[]; selected: boolean }; result: null };
  'folders/backfill': { params: { accountId: string; path: string }; result: null };
  /**
   * The user's choice of folder for a role (Edit Account); `path: null` gives the role back to
   * what the server marks. Kept across folder refreshes; sync, triage and sending use it.
   */
  'folders/setRole': { params: { accountId: string; role: EditableRole; path: string | null }; result: FolderInfo[] };
  /** The folder each role uses now and why (chosen by the user, the sentFolder setting, the server's marker, its name). */
  'folders/roles': { params: { accountId: string }; result: Record<EditableRole, RoleFolder | null> };

  'messages/list': { params: { accountId: string; folderPath: string; limit?: number; offset?: number }; result: MessageRow[] | null };
  'messages/open': { params: { accountId: string; folderPath: string; uid: number }; result: OpenedMessageWire };

  'jobs/list': { params: { accountIds?: string[] }; result: JobInfo[] };
  'sync/now': { params: { accountId?: string; folderPath?: string }; result: null };
  /** Syncs until in step (`maildesk sync --once`), progress as `sync/progress`. */
  'sync/once': { params: { accountIds: string[]; refreshFolders?: boolean }; result: SyncOnceResult };

  'mail/send': { params: { accountId: string; input: SendInputWire; confirmResend?: boolean }; result: SendResultWire };

  'diagnostics/run': { params: DiagnosticsParams; result: SupportReport & { panel?: DiagnosticsPanelExtras } };

  /** Triage (src/core/triage): applied here at once, carried to the server by the tasks job, with Undo. */
  'triage/find': { params: { accountId: string; folderPath?: string; uids?: number[]; messageId?: string }; result: MessageKey[] };
  'triage/apply': { params: { keys: MessageKey[]; action: TriageAction; opts?: TriageOptions }; result: TriageResult };
  'triage/markAllRead': { params: { accountId: string; folderPath: string }; result: TriageResult };
  'triage/undo': { params: { undoId?: string }; result: UndoResult };
  /** What can still be undone, newest first (kept in the store: a reloaded window or a restarted engine still has it). */
  'triage/undoable': { params: NoParams; result: Array<{ undoId: string; label: string; at: number }> };
  /** Carries the account's waiting actions to the server now; how those after `sinceTaskId` went. */
  'triage/push': { params: { accountId: string; sinceTaskId: number }; result: { done: number; pending: number; failed: Array<{ kind: string; error: string }> } };
  'triage/lastTaskId': { params: NoParams; result: number };

  /**
   * The agent tools (src/core/agent). `settings` are the asking client's `maildesk.*` settings
   * (the AI switches the tools obey), read by it at each call so a change needs no restart.
   * A refusal (a switch off, a mailbox with AI off) is a MailError `agent.refused`.
   */
  'agent/status': { params: AgentParams<Record<string, never>>; result: AgentStatus };
  'agent/search': { params: AgentParams<AgentSearchInput>; result: AgentSearchResult };
  'agent/readThread': { params: AgentParams<{ id: string }>; result: AgentThread };
  'agent/listUnread': { params: AgentParams<{ account?: string; folder?: string; limit?: number }>; result: AgentUnreadFolder[] };
  'agent/listFolders': { params: AgentParams<{ account?: string }>; result: AgentMailboxInfo[] };
  'agent/saveDraft': { params: AgentParams<AgentDraftInput>; result: AgentDraftResult };
  'agent/mark': { params: AgentParams<{ ids: string[]; action: MarkAction }>; result: AgentChangeResult[] };
  'agent/archive': { params: AgentParams<{ ids: string[] }>; result: AgentChangeResult[] };
  'agent/recordCall': { params: AgentParams<{ client: string; tool: string; ok: boolean }>; result: null };
  'agent/registered': { params: AgentParams<Omit<AgentHostInfo, 'at'>>; result: null };
}

export interface AgentParams<I> {
  input: I;
  settings: Record<string, unknown>;
}

/** What the engine tells every client, unasked. */
export interface EngineNotifications {
  /** After every store commit: which accounts and folders changed, how many messages. */
  'store/changed': { accounts: string[]; folders: number[]; messages: number; jobs: boolean; local: LocalData[] };
  /** A job's state after it ran (status, progress, error). */
  'sync/progress': JobInfo;
  /** One Troubleshoot check started or finished. */
  'diagnostics/progress': { phase: 'start' | 'done'; check: string; account: string | null; done: number; total: number; status?: string };
  'engine/log': { level: LogLevel; line: string };
  /** A save failed (disk full, folder gone): every client tells its user, with the fix. */
  'store/saveFailed': WireError;
  /** The engine stops (host closing, handing over): reconnect, or host one. */
  'engine/stopping': { reason: string };
  /** A composer saved a draft (src/shared/protocol/engineAreas/compose.ts). */
  'compose/draftSaved': ComposeDraftSaved;
}

/**
 * Requests the engine sends to clients that said `answersSecrets`: the engine never keeps a
 * secret on disk; it asks the client where the secret lives (SecretStorage, env variables).
 */
export interface ClientRequests {
  /** The password for an account's server, or why this client does not have it. */
  'secrets/password': { params: { account: AccountConfig; server: 'imap' | 'smtp' }; result: { password: string } | { missing: WireError } };
  'secrets/get': { params: { key: string }; result: string | null };
  /** A refreshed token to keep where the client keeps secrets. */
  'secrets/set': { params: { key: string; value: string }; result: null };
  'secrets/delete': { params: { key: string }; result: null };
}

export type EngineMethod = keyof EngineRequests;
export type ParamsOf<M extends EngineMethod> = EngineRequests[M]['params'];
export type ResultOf<M extends EngineMethod> = EngineRequests[M]['result'];
export type ClientMethod = keyof ClientRequests;
export type NotificationMethod = keyof EngineNotifications;

/** The name of the file (0600, in the data folder) holding the access token of the running engine. */
export const ENGINE_TOKEN_FILE = 'engine.token';
