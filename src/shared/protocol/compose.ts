/**
 * The compose webview's protocol, imported by the extension host
 * (src/extension/compose/composePanel.ts) and the browser script (src/webview/compose/main.ts).
 * The webview is untrusted input to the host: `parseComposeMessage` checks every field.
 */

export type BodyFormat = 'markdown' | 'plain';

/** What the user edits: everything the form holds, sent whole on every change. */
export interface ComposeFields {
  accountId: string;
  to: string;
  cc: string;
  bcc: string;
  subject: string;
  body: string;
  format: BodyFormat;
  /** Reply / forward: whether the original is quoted below the text. */
  includeQuote: boolean;
}

export type AddressField = 'to' | 'cc' | 'bcc';

export interface ComposeAccount {
  id: string;
  /** "Sam Rivera <sam@example.test>" */
  label: string;
}

export interface ComposeAttachment {
  name: string;
  size: number;
}

export interface ComposeInit {
  fields: ComposeFields;
  accounts: ComposeAccount[];
  attachments: ComposeAttachment[];
  /** "Reply", "Forward", "New Message", "Draft". */
  kind: string;
  /** The last send's error, word for word (a reopened draft that failed). */
  error?: ComposeError;
  /** Whether there is a quoted original (the page shows it read-only below the editor). */
  hasQuote: boolean;
  /** A reply: "Send + Archive" is offered (send, then archive the conversation replied to). */
  sendArchive?: boolean;
}

export interface ComposeError {
  message: string;
  code: string;
  /** The last attempt may have gone out: "Send again" asks before resending. */
  maybeSent: boolean;
}

export type ComposeWebviewToHost =
  | { type: 'ready' }
  /** The form as it is now (debounced in the page; also sent on blur, pagehide and before closing). */
  /** `gen`: the last `replace` the form had applied (0: none), so a change made before one is not taken as made after it. */
  | { type: 'changed'; fields: ComposeFields; gen?: number }
  | { type: 'complete'; field: AddressField; query: string; requestId: number }
  | { type: 'addAttachments' }
  | { type: 'removeAttachment'; index: number }
  /** `archive`: "Send + Archive", the conversation replied to is archived once the message went out. */
  | { type: 'send'; fields: ComposeFields; archive?: boolean }
  /** "Check with AI" (Pro): review the draft as it stands before sending. */
  | { type: 'checkAi'; fields: ComposeFields }
  /** Esc: save, then close. */
  | { type: 'close'; fields: ComposeFields }
  | { type: 'discard' }
  /** The draft was changed in another window: load that version (this form's changes are dropped). */
  | { type: 'reload' }
  /** The draft was changed in another window: save this form over it anyway. */
  | { type: 'keepMine' }
  /** A `replace` not applied: the form had changes the host had not been sent yet (these). */
  | { type: 'replaceRefused'; fields: ComposeFields };

export type ComposeHostToWebview =
  | { type: 'init'; init: ComposeInit }
  | { type: 'completions'; requestId: number; items: Array<{ label: string; detail: string }> }
  | { type: 'attachments'; items: ComposeAttachment[] }
  /** "Saved 14:02", "Sending…": shown in the status line (polite live region). */
  | { type: 'status'; message: string }
  | { type: 'sending'; on: boolean }
  | { type: 'error'; error: ComposeError }
  /** The From account changed the body (signature swapped). */
  | { type: 'body'; body: string }
  /** Another window saved this draft while this form had changes of its own: "Reload" or "Keep mine". */
  | { type: 'conflict'; on: boolean }
  /**
   * The draft as another window saved it, put into the form: nothing typed here was pending at
   * the host. Unless `force` (the user chose Reload), a form with changes not yet sent to the host
   * keeps them and answers `replaceRefused`.
   */
  | { type: 'replace'; fields: ComposeFields; attachments: ComposeAttachment[]; force: boolean; gen: number };

export type ComposeHandlers = { [K in ComposeWebviewToHost['type']]: (msg: Extract<ComposeWebviewToHost, { type: K }>) => void };

export function dispatchCompose(handlers: ComposeHandlers, msg: ComposeWebviewToHost): void {
  (handlers[msg.type] as (m: ComposeWebviewToHost) => void)(msg);
}

// Generous limits: a body of a few MB is fine, anything bigger is not typed by a person.
const MAX_BODY = 5 * 1024 * 1024;
const MAX_FIELD = 64 * 1024;

function str(v: unknown, max: number): string | undefined {
  return typeof v === 'string' && v.length <= max ? v : undefined;
}

export function parseFields(v: unknown): ComposeFields | undefined {
  if (!v || typeof v !== 'object') return undefined;
  const o = v as Record<string, unknown>;
  const accountId = str(o.accountId, 500);
  const to = str(o.to, MAX_FIELD);
  const cc = str(o.cc, MAX_FIELD);
  const bcc = str(o.bcc, MAX_FIELD);
  const subject = str(o.subject, MAX_FIELD);
  const body = str(o.body, MAX_BODY);
  const format = o.format === 'markdown' || o.format === 'plain' ? o.format : undefined;
  if (accountId === undefined || to === undefined || cc === undefined || bcc === undefined || subject === undefined || body === undefined || !format) return undefined;
  if (typeof o.includeQuote !== 'boolean') return undefined;
  return { accountId, to, cc, bcc, subject, body, format, includeQuote: o.includeQuote };
}

/** Returns the message if it is well-formed, else undefined (dropped by the host). */
export function parseComposeMessage(v: unknown): ComposeWebviewToHost | undefined {
  if (!v || typeof v !== 'object') return undefined;
  const o = v as Record<string, unknown>;
  switch (o.type) {
    case 'ready':
    case 'addAttachments':
    case 'discard':
    case 'reload':
    case 'keepMine':
      return { type: o.type };
    case 'send': {
      const fields = parseFields(o.fields);
      if (!fields || (o.archive !== undefined && typeof o.archive !== 'boolean')) return undefined;
      return o.archive === true ? { type: 'send', fields, archive: true } : { type: 'send', fields };
    }
    case 'changed': {
      const fields = parseFields(o.fields);
      if (!fields || (o.gen !== undefined && !(Number.isSafeInteger(o.gen) && (o.gen as number) >= 0))) return undefined;
      return o.gen === undefined ? { type: 'changed', fields } : { type: 'changed', fields, gen: o.gen as number };
    }
    case 'replaceRefused':
    case 'checkAi':
    case 'close': {
      const fields = parseFields(o.fields);
      return fields ? { type: o.type, fields } : undefined;
    }
    case 'complete': {
      const field = o.field === 'to' || o.field === 'cc' || o.field === 'bcc' ? o.field : undefined;
      const query = str(o.query, 500);
      return field && query !== undefined && Number.isSafeInteger(o.requestId) ? { type: 'complete', field, query, requestId: o.requestId as number } : undefined;
    }
    case 'removeAttachment':
      return Number.isSafeInteger(o.index) && (o.index as number) >= 0 ? { type: 'removeAttachment', index: o.index as number } : undefined;
    default:
      return undefined;
  }
}

/** The part of an address field being typed: after the last separator outside quotes. */
export function currentToken(value: string, caret = value.length): { start: number; token: string } {
  let start = 0;
  let quoted = false;
  for (let i = 0; i < caret; i++) {
    const c = value[i];
    if (c === '"') quoted = !quoted;
    else if (!quoted && (c === ',' || c === ';')) start = i + 1;
  }
  const raw = value.slice(start, caret);
  const lead = raw.length - raw.trimStart().length;
  return { start: start + lead, token: raw.trim() };
}

/** Replaces the token being typed with a chosen address and a ", " to go on typing. */
export function applyCompletion(value: string, caret: number, label: string): { value: string; caret: number } {
  const { start } = currentToken(value, caret);
  let end = caret;
  while (end < value.length && value[end] !== ',' && value[end] !== ';') end++;
  const rest = value.slice(end).replace(/^[,;]\s*/, '');
  const before = value.slice(0, start);
  const next = `${before}${label}, ${rest}`;
  return { value: next, caret: before.length + label.length + 2 };
}
