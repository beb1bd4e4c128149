/**
 * Which MailDesk surface the user is in (the message list or a conversation), so one set of
 * commands and keybindings (archive, delete, j/k, reply…) acts on what they see. The list and
 * thread panels register here when they become active; the triage commands ask here.
 */
import type { MessageKey } from '../core/triage/triage';

/** What an action applies to: messages as the core names them, and whether each stands for its conversation. */
export interface TriageTarget {
  keys: MessageKey[];
  wholeThread: boolean;
  accountId: string;
  folderId: number;
}

export type CursorMove = 'next' | 'previous' | 'extendNext' | 'extendPrevious' | 'toggle' | 'open';

export interface ListSurface {
  readonly kind: 'list';
  readonly folderId: number;
  /** The selection (or `hint`, a row the user right-clicked that is not in it). */
  target(hint?: MessageKey): TriageTarget | undefined;
  cursor(move: CursorMove): void;
  /** Opens the active row in the reading pane; `step` first moves the cursor (j/k from a conversation). */
  openActive(step?: 'next' | 'previous'): void;
  reveal(): void;
}

export interface ThreadSurface {
  readonly kind: 'thread';
  target(): TriageTarget | undefined;
  /** The message Reply answers: the newest one shown. */
  current(): MessageKey | undefined;
  /** The list it was opened from, when still open. */
  readonly list: ListSurface | undefined;
  close(): void;
  /** Runs a Pro thread action (ai.summarize, ai.draft); false when Pro is not there. */
  runPro(action: string): boolean;
}

let lastList: ListSurface | undefined;
let lastThread: ThreadSurface | undefined;
let last: ListSurface | ThreadSurface | undefined;
const moveListeners = new Set<(ids: Set<number>) => void>();

export const mailFocus = {
  activated(s: ListSurface | ThreadSurface): void {
    last = s;
    if (s.kind === 'list') lastList = s;
    else lastThread = s;
  },
  gone(s: ListSurface | ThreadSurface): void {
    if (last === s) last = undefined;
    if (lastList === s) lastList = undefined;
    if (lastThread === s) lastThread = undefined;
  },
  /** The conversation the user was last in (or that the reading pane shows). */
  get thread(): ThreadSurface | undefined {
    return lastThread;
  },
  /** The surface the user was last in. */
  get current(): ListSurface | ThreadSurface | undefined {
    return last;
  },
  get list(): ListSurface | undefined {
    return lastList;
  },
  /** Messages left their folder (archive, delete, move): views showing them react. */
  moved(ids: Set<number>): void {
    for (const l of [...moveListeners]) l(ids);
  },
  onMoved(l: (ids: Set<number>) => void): { dispose(): void } {
    moveListeners.add(l);
    return { dispose: () => moveListeners.delete(l) };
  },
};
