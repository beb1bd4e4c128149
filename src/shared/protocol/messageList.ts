/**
 * The message-list webview's protocol, imported by the extension host
 * (src/extension/messageList.ts) and the browser script (src/webview/messages/main.ts).
 * The webview is untrusted input to the host: `parseWebviewMessage` checks every field.
 */

/** Messages per page; "Load more" adds one page. */
export const MESSAGE_PAGE_SIZE = 100;

export interface FolderInfo {
  id: number;
  accountId: string;
  accountLabel: string;
  name: string;
  path: string;
  /** Unselected folders are not synced: the list explains why it is empty. */
  selected: boolean;
  /** Sent and Drafts: rows show the recipients ("To: …") instead of the sender (oneself). */
  showRecipients?: boolean;
}

export interface MessageListItem {
  id: number;
  /** Display name, or the address when there is none. */
  from: string;
  fromAddr: string;
  subject: string;
  /** ms since epoch; formatted in the webview with the user's locale. */
  date: number;
  unread: boolean;
  flagged: boolean;
  hasAttachments: boolean;
  /** Messages in the conversation when the list shows one row per thread (absent per message). */
  threadCount?: number;
  /** Recipients, shown instead of the sender in Sent and Drafts. */
  to?: string;
}

/** The actions a row offers on hover and on keyboard focus, by the MailDesk command they run. */
export const ROW_ACTIONS = ['archive', 'reportSpam', 'delete'] as const;
export type RowAction = (typeof ROW_ACTIONS)[number];

export type WebviewToHost =
  | { type: 'ready' }
  | { type: 'loadMore' }
  | { type: 'toggleFlag'; messageId: number }
  | { type: 'toggleRead'; messageId: number }
  | { type: 'open'; messageId: number }
  /** A mouse click on a row: plain selects and opens; Ctrl/Cmd toggles; Shift selects a range. */
  | { type: 'click'; messageId: number; ctrl: boolean; shift: boolean }
  /**
   * A row's hover action (Archive, Report spam, Delete): the host runs the same MailDesk command
   * as the key, on that row (or on the selection when the row is in it, as the context menu does).
   */
  | { type: 'rowAction'; messageId: number; action: RowAction }
  /** A right-click: the row joins the selection unless it is in it already (as in VS Code's lists). */
  | { type: 'contextRow'; messageId: number };

export type HostToWebview =
  | { type: 'messages'; folder: FolderInfo; items: MessageListItem[]; hasMore: boolean }
  | { type: 'error'; message: string }
  /** The host owns the cursor (keys arrive as commands): the active row and the selected rows. */
  | { type: 'selection'; active: number | null; selected: number[] };

/** A handler per message type: dispatch is a lookup, and a new type fails to compile until handled. */
export type MessageHandlers<T extends { type: string }> = { [K in T['type']]: (msg: Extract<T, { type: K }>) => void };

export function dispatch<T extends { type: string }>(handlers: MessageHandlers<T>, msg: T): void {
  (handlers[msg.type as T['type']] as (m: T) => void)(msg);
}

/** Returns the message if it is well-formed, else undefined (dropped by the host). */
export function parseWebviewMessage(v: unknown): WebviewToHost | undefined {
  if (!v || typeof v !== 'object') return undefined;
  const o = v as Record<string, unknown>;
  switch (o.type) {
    case 'ready':
    case 'loadMore':
      return { type: o.type };
    case 'toggleFlag':
    case 'toggleRead':
    case 'open':
    case 'contextRow':
      return Number.isSafeInteger(o.messageId) ? { type: o.type, messageId: o.messageId as number } : undefined;
    case 'rowAction':
      return Number.isSafeInteger(o.messageId) && typeof o.action === 'string' && (ROW_ACTIONS as readonly string[]).includes(o.action)
        ? { type: 'rowAction', messageId: o.messageId as number, action: o.action as RowAction }
        : undefined;
    case 'click':
      return Number.isSafeInteger(o.messageId) && typeof o.ctrl === 'boolean' && typeof o.shift === 'boolean'
        ? { type: 'click', messageId: o.messageId as number, ctrl: o.ctrl, shift: o.shift }
        : undefined;
    default:
      return undefined;
  }
}
