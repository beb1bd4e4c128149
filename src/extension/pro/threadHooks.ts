/**
 * How the thread view (src/extension/threadView.ts) reaches MailDesk Pro without knowing
 * it: Pro sets these hooks when it is registered; without them the view has no Pro bar.
 */
import type { PagePro } from '../../core/threads/page';
import type { ThreadHostToWebview } from '../../shared/protocol/thread';

export interface ThreadProContext {
  accountId: string;
  threadKey: string;
  post(msg: ThreadHostToWebview): void;
  rerender(): void;
}

export interface ThreadProHooks {
  /** Buttons, links and the kept summary for a thread's page. */
  page(accountId: string, threadKey: string): Promise<PagePro | undefined>;
  handle(action: string, ctx: ThreadProContext): void;
  /** The panel closed: stop what runs for it. */
  closed(accountId: string, threadKey: string): void;
}

let hooks: ThreadProHooks | undefined;

export function setThreadProHooks(h: ThreadProHooks | undefined): void {
  hooks = h;
}

export function threadProHooks(): ThreadProHooks | undefined {
  return hooks;
}
