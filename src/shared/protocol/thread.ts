/**
 * The thread view's protocol, imported by the extension host (src/extension/threadView.ts)
 * and the browser script (src/webview/thread/main.ts). The page content itself is built in
 * the host (src/core/threads/page.ts); the webview only reports clicks on our controls.
 * The webview is untrusted input to the host: `parseThreadMessage` checks every field.
 */

export type ThreadWebviewToHost =
  | { type: 'toggle'; messageId: number; expanded: boolean }
  | { type: 'openLink'; href: string }
  | { type: 'loadRemote'; messageId: number }
  | { type: 'allowSender'; messageId: number }
  | { type: 'saveAttachment'; messageId: number; attachmentId: string }
  | { type: 'openAttachment'; messageId: number; attachmentId: string }
  | { type: 'viewSource'; messageId: number }
  /** Opens the composer on this message. */
  | { type: 'reply'; messageId: number; mode: 'reply' | 'replyAll' | 'forward' }
  /** A toolbar button: the host runs `maildesk.<command>` on this conversation (checked against a list there). */
  | { type: 'triage'; command: string }
  /** A Pro button: "ai.summarize", "ai.draft", "ai.cancel", "bridge.<id>", "bridge.refresh". */
  | { type: 'pro'; action: string };

export type ThreadHostToWebview =
  | { type: 'status'; message: string }
  /** The AI summary as it streams in: `start` clears it, `text` appends, `done`/`error` end it. */
  | { type: 'aiSummary'; phase: 'start' | 'text' | 'done' | 'error'; text: string };

export type ThreadHandlers = { [K in ThreadWebviewToHost['type']]: (msg: Extract<ThreadWebviewToHost, { type: K }>) => void };

export function dispatchThread(handlers: ThreadHandlers, msg: ThreadWebviewToHost): void {
  (handlers[msg.type] as (m: ThreadWebviewToHost) => void)(msg);
}

// Links are opened only after the user saw the target; a longer one is not a real link.
const MAX_HREF = 8192;

/** Returns the message if it is well-formed, else undefined (dropped by the host). */
export function parseThreadMessage(v: unknown): ThreadWebviewToHost | undefined {
  if (!v || typeof v !== 'object') return undefined;
  const o = v as Record<string, unknown>;
  const id = Number.isSafeInteger(o.messageId) ? (o.messageId as number) : undefined;
  switch (o.type) {
    case 'toggle':
      return id !== undefined && typeof o.expanded === 'boolean' ? { type: 'toggle', messageId: id, expanded: o.expanded } : undefined;
    case 'openLink':
      return typeof o.href === 'string' && o.href.length <= MAX_HREF ? { type: 'openLink', href: o.href } : undefined;
    case 'loadRemote':
    case 'allowSender':
    case 'viewSource':
      return id !== undefined ? { type: o.type, messageId: id } : undefined;
    case 'saveAttachment':
    case 'openAttachment':
      return id !== undefined && typeof o.attachmentId === 'string' && o.attachmentId.length < 200
        ? { type: o.type, messageId: id, attachmentId: o.attachmentId }
        : undefined;
    case 'reply':
      return id !== undefined && (o.mode === 'reply' || o.mode === 'replyAll' || o.mode === 'forward') ? { type: 'reply', messageId: id, mode: o.mode } : undefined;
    case 'triage':
      return typeof o.command === 'string' && /^[A-Za-z]{1,40}$/.test(o.command) ? { type: 'triage', command: o.command } : undefined;
    case 'pro':
      return typeof o.action === 'string' && /^[A-Za-z0-9._:-]{1,120}$/.test(o.action) ? { type: 'pro', action: o.action } : undefined;
    default:
      return undefined;
  }
}

/** Link targets the host opens (after showing them): the web and new mail. Everything else is inert. */
export function isOpenableLink(href: string): boolean {
  let u: URL;
  try {
    u = new URL(href);
  } catch {
    return false;
  }
  return u.protocol === 'https:' || u.protocol === 'http:' || u.protocol === 'mailto:';
}
