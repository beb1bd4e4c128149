/**
 * The Troubleshoot webview's protocol, imported by the extension host
 * (src/extension/troubleshoot/panel.ts) and the browser script (src/webview/troubleshoot/main.ts).
 * The webview is untrusted input to the host: it can only name an action by its index in the
 * list the host sent, never a command; `parseTroubleshootMessage` checks every field.
 */

export type ViewStatus = 'pass' | 'warn' | 'fail' | 'skip';

export interface ViewCheck {
  id: string;
  title: string;
  status: ViewStatus;
  /** What was seen (redacted like the report). */
  detail: string;
  /** What to do, in VS Code terms; empty for pass and skip. */
  remedy: string;
  section: string;
  ms: number;
  /** ISO time this check started failing or warning (the first run of the current streak); null when it passes. */
  firstSeen: string | null;
  /** ISO time of the last run at which it passed; null when never seen passing. */
  lastSuccess: string | null;
  /** The button "that goes there": its index in the host's action table, and its label. */
  action?: { index: number; title: string };
}

export interface ViewGroup {
  /** Account id, or null for installation-wide results. */
  account: string | null;
  /** "Work (IMAP, j***@example.com)" or "Installation". */
  heading: string;
  worst: ViewStatus;
  counts: Record<ViewStatus, number>;
  checks: ViewCheck[];
}

export interface TroubleshootModel {
  /** ISO time the checks finished. */
  ranAt: string;
  /** Wall time of the whole run. */
  ms: number;
  counts: Record<ViewStatus, number>;
  worst: ViewStatus;
  groups: ViewGroup[];
  /** Email addresses shown in the panel and the report (the user ticked the box). */
  includeAddresses: boolean;
  expected: string | null;
  happened: string | null;
  when: string | null;
}

export type TroubleshootToHost =
  | { type: 'ready' }
  | { type: 'runAction'; index: number }
  | { type: 'copyReport' }
  | { type: 'saveReport' }
  | { type: 'runAgain' }
  | { type: 'setIncludeAddresses'; value: boolean };

export type HostToTroubleshoot =
  | { type: 'running'; done: number; total: number; lines: string[] }
  | { type: 'model'; model: TroubleshootModel }
  /** A short confirmation or problem shown in the panel's live region. */
  | { type: 'notice'; text: string; kind: 'info' | 'error' };

/** Returns the message if it is well-formed, else undefined (dropped by the host). */
export function parseTroubleshootMessage(v: unknown): TroubleshootToHost | undefined {
  if (!v || typeof v !== 'object') return undefined;
  const o = v as Record<string, unknown>;
  switch (o.type) {
    case 'ready':
    case 'copyReport':
    case 'saveReport':
    case 'runAgain':
      return { type: o.type };
    case 'runAction':
      return Number.isSafeInteger(o.index) && (o.index as number) >= 0 ? { type: 'runAction', index: o.index as number } : undefined;
    case 'setIncludeAddresses':
      return typeof o.value === 'boolean' ? { type: 'setIncludeAddresses', value: o.value } : undefined;
    default:
      return undefined;
  }
}
