/**
 * Engine requests for the composer (src/extension/compose): drafts, send, address book, attachments.
 * Part of `EngineRequests` (../engine.ts); served by src/engine/areas/compose.ts.
 * Plain data only: everything here survives JSON (no class, Buffer, Date, Map, Set).
 *
 * Sending itself is the general `mail/send` (a draft built by `toDraft` from the form), and
 * the composer's journal (`compose/journal`) is written by the window on every change: the
 * window's copy of the form is the newest, and requests on one connection arrive in order.
 */
import type { DraftStatus, DraftSummary } from '../../../core/drafts/drafts';
import type { ComposeMeta } from '../../../core/send/composeForm';
import type { Quote } from '../../../core/send/markdown';
import type { AddressWire, DraftWire } from '../engine';

/** A draft's attachment across the boundary: a file on this computer, or a blob of the data folder. */
export type AttachmentWire = NonNullable<DraftWire['attachments']>[number];

/** An account as the composer needs it: the From picker, the identity, the stored signature. */
export interface ComposeAccountInfo {
  id: string;
  /** "Name <email>", as the From picker and the draft list show it. */
  label: string;
  from: AddressWire;
  /** The signature kept in the store (`compose.signature.<id>`); the window's setting wins over it. */
  signature: string;
}

/** A reply or forward, filled in from the stored message. */
export interface ComposePrefill {
  accountId: string;
  /** The new message's Message-ID (the account's domain). */
  messageId: string;
  to: string;
  cc: string;
  subject: string;
  quote: Quote;
  inReplyTo?: string;
  references?: string[];
  /** Forwarded attachments, already in the blob store. */
  attachments: AttachmentWire[];
  kind: 'Reply' | 'Reply All' | 'Forward';
}

/** A saved draft opened to be continued, with the composer's journal of it when MailDesk wrote it. */
export interface ComposeDraft {
  id: number;
  accountId: string;
  messageId: string;
  /** Recipients as the form shows them ("Ann <a@x>, b@y"). */
  to: string;
  cc: string;
  bcc: string;
  subject: string;
  text: string;
  inReplyTo?: string;
  references?: string[];
  attachments: AttachmentWire[];
  status: DraftStatus;
  /** Why the last send failed, word for word, with its code. */
  error?: { code: string; message: string };
  maybeSent: boolean;
  meta: ComposeMeta | null;
  /**
   * How many times a composer saved this draft (see `compose/save`): a window that saves on
   * top of an older revision than the draft's is refused, so it never overwrites silently
   * what another window wrote meanwhile.
   */
  revision: number;
  /**
   * A reply: the stored message it answers (by its In-Reply-To), so a reopened reply offers
   * "Send + Archive" as a fresh one does. Undefined when that message is not stored here.
   */
  replyingTo?: { messageId: number; folderId: number };
}

/** `compose/save`'s answer when the form was saved. */
export interface ComposeSaved {
  draftId: number;
  server: 'saved' | 'skipped' | 'failed';
  serverError?: string;
  attachments: AttachmentWire[];
  /** The draft's revision now: the composer's next save builds on it. */
  revision: number;
}

/** `compose/save`'s answer when another window saved the draft after this one's `revision`: nothing was written. */
export interface ComposeStale {
  stale: { revision: number };
}

/** Told to every window after a composer saved a draft: an open composer of it reloads, or says it was changed elsewhere. */
export interface ComposeDraftSaved {
  accountId: string;
  messageId: string;
  draftId: number;
  revision: number;
  /** The composer that saved it (its `writer`), so it does not react to its own save. */
  writer: string;
}

export interface ComposeRequests {
  /** Every account, in the store's order (the first is the default From). */
  'compose/accounts': { params: Record<string, never>; result: ComposeAccountInfo[] };
  /** Reply, Reply all or Forward of a stored message (its source fetched from the server when not kept here). */
  'compose/prefill': { params: { messageId: number; folderId: number; mode: 'reply' | 'replyAll' | 'forward' }; result: ComposePrefill };
  'compose/openDraft': { params: { accountId: string; draftId: number }; result: ComposeDraft };
  /**
   * The draft behind a message of a Drafts folder; a draft written elsewhere (webmail, another
   * client) becomes one here under its Message-ID, so the next save replaces that copy.
   */
  'compose/draftForMessage': { params: { messageId: number; folderId: number }; result: { accountId: string; draftId: number } };
  /** Drafts of every account, newest first within each. */
  'compose/listDrafts': { params: Record<string, never>; result: Array<{ accountId: string; accountLabel: string; drafts: DraftSummary[] }> };
  /**
   * Saves the form as a draft: here at once (on disk before the answer), then in the server's
   * Drafts unless `remote` is false. Returns the draft's attachments as now stored (blobs).
   * With `revision` (the draft's revision the composer last saved or opened), a draft saved
   * since by another window is not overwritten: the answer is `stale`, with the revision to
   * reload or to save over on purpose. `writer` names the composer in `compose/draftSaved`.
   */
  'compose/save': {
    params: { meta: ComposeMeta; attachments: AttachmentWire[]; remote: boolean; revision?: number; writer?: string };
    result: ComposeSaved | ComposeStale | null;
  };
  /**
   * Writes the composer's journal of one message; `flush` puts the store on disk before answering (a closing tab).
   * With `revision` and `writer`, a composer whose draft was saved since by another window is refused
   * (`stale`): its out-of-date form never replaces the journal the other window's form is in. (Its own
   * save still in flight is no reason: the journal of the composer that saved last is taken.)
   */
  'compose/journal': { params: { meta: ComposeMeta; flush?: boolean; revision?: number; writer?: string }; result: { stale: boolean; revision: number } };
  /** Removes the journal of one message and, with `draftId`, the draft here and on the server. */
  'compose/discard': { params: { accountId: string; messageId: string; draftId?: number }; result: null };
  /**
   * Saves drafts whose last changes never reached their row (a window closed, a host killed);
   * once per engine, and never a draft a window is writing in now (it journaled to this engine).
   */
  'compose/recover': { params: Record<string, never>; result: { recovered: Array<{ draftId: number; messageId: string }>; failed: Array<{ messageId: string; error: string }> } };
  /** Address suggestions from the stored mail, for what is typed in To, Cc or Bcc. */
  'compose/complete': { params: { query: string; exclude: string[]; limit: number }; result: Array<{ label: string; count: number }> };
}
