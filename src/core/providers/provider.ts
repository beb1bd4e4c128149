/**
 * The one interface every mail provider implements (IMAP/SMTP now; Gmail API and
 * Microsoft Graph later). Each provider declares what it can do; the scheduler and
 * the UI only look at these capabilities, never at the provider kind.
 */
import type { ProviderKind } from '../config';
import type { MailError } from '../errors';
import type { FolderRole, FolderRow, IncomingMessage, MailStore } from '../store/store';

export interface ProviderCapabilities {
  /** Push of new mail (IMAP IDLE, Gmail/Graph push) is available. */
  push: boolean;
  /** One message may sit in several folders at once (Gmail labels). */
  labels: boolean;
  /** Whether the provider keeps its own copy of sent mail. */
  savesSentCopy: 'yes' | 'no' | 'unknown';
  /** Connections (or concurrent requests) allowed per account. */
  maxConnections: number;
  /** Raw protocol capabilities, for Troubleshoot. */
  raw: string[];
}

export interface RemoteFolder {
  path: string;
  name: string;
  delimiter?: string;
  role: FolderRole | null;
  specialUse: string | null;
  total?: number;
  unread?: number;
  /** The folder cannot hold messages (\Noselect). */
  noSelect?: boolean;
}

export type SyncMode = 'sync' | 'backfill';

export interface SyncContext {
  store: MailStore;
  folder: FolderRow;
  signal?: AbortSignal;
  /** Progress for the jobs view: fetched so far and, when known, the total. */
  progress(p: { fetched: number; total?: number; phase: string }): void;
}

export interface FolderSyncResult {
  newMessages: number;
  flagChanges: number;
  removed: number;
  /** The folder was reset by the provider and re-fetched from scratch. */
  reset: boolean;
  /** For backfill: nothing older is left to fetch. */
  complete: boolean;
  remoteTotal?: number;
  remoteUnread?: number;
}

export interface VerifyStep {
  name: 'config' | 'dns' | 'tcp' | 'tls' | 'greeting' | 'login' | 'capabilities' | 'folders';
  ok: boolean;
  ms: number;
  detail: string;
}

export interface VerifyReport {
  ok: boolean;
  server: string;
  steps: VerifyStep[];
  error?: MailError;
  capabilities?: string[];
}

/**
 * Which message a remote step is about: IMAP knows it by UID in a folder, the API
 * providers (Gmail, Graph) by their own stable id.
 */
export interface MessageRef {
  uid?: number;
  providerId?: string;
  /** The Message-ID header: IMAP finds a copy by it when the UID is not known yet. */
  messageId?: string;
}

/** A body to fetch: the message by UID or provider id, and the UIDVALIDITY its UID belongs to. */
export interface BodyRef extends MessageRef {
  uidValidity?: string;
}

/** A local action's remote step. */
export type RemoteTask =
  | ({ kind: 'flags'; folderPath: string; uid: number; add: string[]; remove: string[] } & MessageRef)
  | ({ kind: 'move'; folderPath: string; uid: number; toPath: string; messageId?: string } & MessageRef)
  | ({ kind: 'delete'; folderPath: string; uid: number; trashPath?: string } & MessageRef);

export interface SendEnvelope {
  from: string;
  to: string[];
}

export interface SendReceipt {
  accepted: string[];
  rejected: string[];
  response: string;
}

export interface Disposable {
  dispose(): void | Promise<void>;
}

export interface MailProvider {
  readonly kind: ProviderKind;
  readonly accountId: string;
  capabilities(): Promise<ProviderCapabilities>;
  listFolders(): Promise<RemoteFolder[]>;
  /**
   * Message counts per folder path where listFolders has none (Gmail labels: labels.get
   * messagesTotal). Troubleshoot asks for them; sync never does.
   */
  folderTotals?(): Promise<Map<string, number>>;
  /** Incremental sync (with the first page of a fill), or one backfill step. */
  syncFolder(mode: SyncMode, ctx: SyncContext): Promise<FolderSyncResult>;
  /** The raw RFC 5322 source of one message. */
  fetchRaw(folderPath: string, ref: MessageRef): Promise<Buffer>;
  /**
   * The raw sources of many messages of one folder, handed to `onBody` as each arrives
   * (IMAP: one streamed UID FETCH; the API providers: concurrent requests within their
   * limits). `onBody` runs no provider call. A message gone from the server is skipped.
   */
  fetchBodies?(folder: FolderRow, refs: BodyRef[], onBody: (ref: BodyRef, raw: Buffer) => void): Promise<void>;
  /** Applies a local action on the server; returns the new UID after a move when known. */
  applyTask(task: RemoteTask): Promise<{ newUid?: number } | void>;
  /** Calls `onChange` when the server announces a change in the folder (IMAP IDLE). */
  watch?(folderPath: string, onChange: () => void): Promise<Disposable>;
  /** IMAP APPEND (drafts, and the Sent copy where the server keeps none); the new UID when known. */
  appendMessage?(folderPath: string, raw: Buffer, flags: string[]): Promise<{ uid?: number }>;
  /** UIDs of the messages in a folder with this Message-ID (IMAP SEARCH HEADER). */
  findByMessageId?(folderPath: string, messageId: string): Promise<number[]>;
  /**
   * API providers (Gmail drafts API, Graph messages in Drafts): saves the draft through the
   * provider's own drafts API, replacing `previousRef` (or, without one, the draft found by
   * its Message-ID) instead of adding a second draft; returns the draft's id to keep.
   * When present, the draft service uses this instead of appendMessage/findByMessageId.
   */
  saveDraftRemote?(raw: Buffer, opts: { messageId: string; previousRef?: string }): Promise<{ ref: string }>;
  /** Removes the draft (`ref`, and any other copy with this Message-ID) from the provider's Drafts; how many went. */
  deleteDraftRemote?(opts: { messageId: string; ref?: string }): Promise<number>;
  /**
   * Hands a finished message to the outgoing server. A failure after the whole message
   * was handed over carries `dataSent: true`: the server may have accepted it.
   */
  sendMessage?(raw: Buffer, envelope: SendEnvelope): Promise<SendReceipt>;
  /**
   * The server's own search over one folder (sender, recipients, subject, text), for mail
   * that is not synced; returns the newest matches' headers, ready to store.
   */
  searchRemote?(folder: FolderRow, query: string, limit: number): Promise<IncomingMessage[]>;
  verifyIncoming(): Promise<VerifyReport>;
  verifyOutgoing(): Promise<VerifyReport>;
  close(): Promise<void>;
}
