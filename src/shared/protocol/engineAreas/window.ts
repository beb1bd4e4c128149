/**
 * Engine requests for the window's trees, status bar, badge, alerts and commands (accounts, folders, jobs, Add/Edit Account, Gmail and Outlook sign-in).
 * Part of `EngineRequests` (../engine.ts); served by src/engine/areas/window.ts.
 * Plain data only: everything here survives JSON (no class, Buffer, Date, Map, Set).
 */
import type { AccountRow, FolderRow, JobRow } from '../../../core/store/store';
import type { WireError } from '../engine';

/** A folder as the Mailboxes view shows it: the row with what is held on this computer (null when the read did not ask for `counts`). */
export interface MailboxFolder extends FolderRow {
  local: number | null;
  localUnread: number | null;
}

/**
 * Everything the Mailboxes and Sync Jobs views and the status bar show, read at once: every
 * account (with its state), every folder of each (with local counts) and every job.
 */
export interface MailboxesSnapshot {
  accounts: AccountRow[];
  folders: MailboxFolder[];
  jobs: JobRow[];
}

/** An Inbox as the unread badge sees it: its newest message id, and the unread mail that arrived after the one the window had seen. */
export interface InboxNews {
  folderId: number;
  newest: number;
  arrived: Array<{ from: string; subject: string }>;
}

/** Who an OAuth sign-in was for (src/core/auth/signInRecord.ts). */
export interface SignInWho {
  provider: 'gmail' | 'outlook';
  accountId?: string;
  email?: string;
}

export interface WindowRequests {
  /**
   * One read for the trees and the status bar (see MailboxesSnapshot). The local counts cost a
   * count per folder, so only readers that show them (the Mailboxes view, folder pickers) ask.
   */
  'window/mailboxes': { params: { counts?: boolean }; result: MailboxesSnapshot };
  /**
   * Unread mail in every account's Inbox, and per Inbox what arrived after the newest message
   * id the window had `seen` (none for an Inbox it has not seen yet: the first look announces nothing).
   */
  'window/inboxNews': { params: { seen: Array<{ folderId: number; newest: number }> }; result: { unread: number; inboxes: InboxNews[] } };
  /**
   * How a sign-in done in the window (browser, loopback) went: a failure is remembered for
   * Troubleshoot, a success clears the earlier ones. The tokens themselves never come here.
   */
  'window/signInResult': { params: { who: SignInWho; error?: WireError }; result: null };
  /** New tokens of an account are in the window's SecretStorage: a grant refused before is forgotten. */
  'window/signedIn': { params: { accountId: string }; result: null };
}
