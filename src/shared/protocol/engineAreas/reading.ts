/**
 * Engine requests for reading (src/extension/threadView.ts, messageList.ts, mailFocus.ts): message lists, threads, rendered messages, search, source.
 * Part of `EngineRequests` (../engine.ts); served by src/engine/areas/reading.ts.
 * Plain data only: everything here survives JSON (no class, Buffer, Date, Map, Set).
 */
import type { SearchHit } from '../../../core/search/search';
import type { AccountRow, FolderRow } from '../../../core/store/store';
import type { PagePro } from '../../../core/threads/page';
import type { MessageListItem } from '../messageList';

/** One message of a conversation as the window needs it (actions, View source, Reply), without its body. */
export interface ThreadRowWire {
  id: number;
  /** The copy the body is fetched from (the folder the thread was opened from where it is there). */
  folderId: number;
  /** Every folder holding this message. */
  folderIds: number[];
  flags: string[];
  fromAddr: string;
  subject: string;
}

/** Where the page's own resources live in the asking webview (the engine knows no webview). */
export interface ThreadPageWebview {
  cspSource: string;
  nonce: string;
  scriptSrc: string;
  cssHref: string;
  /** dist/codicons/codicon.css as the webview sees it: the action bar's icons (font-src opens to cspSource only). */
  codiconCssHref?: string;
}

export interface ThreadPageParams {
  accountId: string;
  threadKey: string;
  /** The folder the thread was opened from (its copies are preferred, Trash shown if it is Trash). */
  keepFolderId: number;
  /** Messages shown expanded; absent: the newest, the unread ones and `clicked`. */
  expanded?: number[];
  clicked?: number;
  /** Messages the user allowed remote content for ("Load remote content"). */
  remoteAllowed: number[];
  /** `maildesk.reading.markReadOnOpen`: the expanded messages are marked read once the page is built. */
  markRead: boolean;
  webview: ThreadPageWebview;
  /** Pro's bar (AI and bridge buttons), from the window; absent in Basic. */
  pro?: PagePro;
}

export interface ThreadPageResult {
  subject: string;
  /** Oldest first; empty when the conversation is gone (moved, deleted). */
  rows: ThreadRowWire[];
  /** The messages shown expanded (the default set when none was given). */
  expanded: number[];
  /** The whole page: bodies parsed and sanitised in the engine, each in its own isolated part. */
  html: string;
  /** Messages that could not be marked read, with why (for the log). */
  warnings: string[];
}

export interface MessageListPage {
  folder: FolderRow;
  account: AccountRow | null;
  /** Newest first, at most `limit`. */
  items: MessageListItem[];
  /** More rows after these ("Load more"). */
  hasMore: boolean;
  /** The account's Drafts folder: a row opens in the composer. */
  drafts: boolean;
}

export interface ReadingRequests {
  /** The list's rows for a folder, one per conversation (`grouped`) or per message; null when the folder is gone. */
  'reading/listPage': { params: { folderId: number; limit: number; grouped: boolean }; result: MessageListPage | null };
  'reading/folder': { params: { folderId: number }; result: FolderRow | null };
  /** Read ↔ unread or flag ↔ unflag one message: local at once, the server by the tasks job. */
  'reading/toggleFlag': { params: { messageId: number; folderId: number; flag: '\\Seen' | '\\Flagged' }; result: null };
  /** Marks a message read unless it is already (true when it changed). */
  'reading/markRead': { params: { messageId: number; folderId: number }; result: boolean };
  /** The conversation a message belongs to; null when the message is no longer stored. */
  'reading/locate': { params: { messageId: number; folderId: number }; result: { accountId: string; threadKey: string; folderId: number } | null };
  /** The conversation's page, built and sanitised in the engine. */
  'reading/thread': { params: ThreadPageParams; result: ThreadPageResult };
  /** The ids of a conversation's messages now (to notice a new reply or one moved away). */
  'reading/threadIds': { params: { accountId: string; threadKey: string; keepFolderId: number }; result: number[] };
  /** "Always load remote content from this sender". */
  'reading/allowSender': { params: { address: string }; result: null };
  /** An attachment's content (base64) to save or open; null when the message has no such attachment. */
  'reading/attachment': { params: { messageId: number; folderId: number; attachmentId: string }; result: { filename: string; contentBase64: string } | null };
  /** The raw message as text (View Source). */
  'reading/source': { params: { messageId: number; folderId: number }; result: string };
  /** Local search (sender, recipients, subject, body text). */
  'reading/search': { params: { query: string; limit: number }; result: SearchHit[] };
  /** Searches the server in every account's folders that are not fully synced; matches are stored. */
  'reading/searchServer': { params: { query: string }; result: { found: number; errors: Array<{ folderPath: string; error: string }> } };
}
