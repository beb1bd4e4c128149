/**
 * The composer's state as plain data. Free of `vscode` and of the store, so it is unit-tested
 * in plain Node; composePanel.ts moves it in and out of VS Code and the engine keeps it.
 *
 * The form and how it becomes a draft live in src/core/send/composeForm.ts (the engine builds
 * drafts with it too); the journal of it is the engine's (src/engine/areas/composeJournal.ts).
 */
import type * as ComposeForm from '../../core/send/composeForm';
import type { ComposeMeta } from '../../core/send/composeForm';
import type { AttachmentWire, ComposeAccountInfo, ComposePrefill } from '../../shared/protocol/engineAreas/compose';

export type { ComposeMeta } from '../../core/send/composeForm';

// The form's rules load when a compose window first uses them, with markdown-it (a Markdown
// body's HTML): a bundle of their own (scripts/extensionBundles.mjs), required synchronously.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const form = (): typeof ComposeForm => require('../../core/send/composeForm') as typeof ComposeForm;
export const addressText: typeof ComposeForm.addressText = (...a) => form().addressText(...a);
export const isUntouched: typeof ComposeForm.isUntouched = (...a) => form().isUntouched(...a);
export const sendProblem: typeof ComposeForm.sendProblem = (...a) => form().sendProblem(...a);
export const toDraft: typeof ComposeForm.toDraft = (...a) => form().toDraft(...a);

/** The signature for an account: the window's `maildesk.signatures` map (accountId → text) wins over the stored one. */
export function signatureOf(account: ComposeAccountInfo, settings: Record<string, unknown> | undefined): string {
  const v = settings && typeof settings === 'object' ? settings[account.id] : undefined;
  return typeof v === 'string' ? v : account.signature;
}

/** The attachments as the form lists them: a name and a size. */
export function attachmentList(list: AttachmentWire[]): Array<{ name: string; size: number }> {
  return list.map((a) => ({ name: a.filename ?? (a.path ? a.path.split(/[\\/]/).pop() || 'attachment' : 'attachment'), size: a.size ?? 0 }));
}

/** The suggestion as the page lists it: the address and how many messages it was seen in. */
export function completionItem(s: { label: string; count: number }): { label: string; detail: string } {
  return { label: s.label, detail: `${s.count} message${s.count === 1 ? '' : 's'}` };
}

/** The form of a reply, reply all or forward, filled in by the engine (`compose/prefill`), with the signature in `body`. */
export function prefilledMeta(d: ComposePrefill, accountId: string, body: string, pending: boolean): ComposeMeta {
  return {
    accountId,
    messageId: d.messageId,
    fields: { accountId, to: d.to, cc: d.cc, bcc: '', subject: d.subject, body, format: 'markdown', includeQuote: true },
    quote: d.quote,
    inReplyTo: d.inReplyTo,
    references: d.references,
    kind: d.kind,
    pending,
    initialBody: body,
  };
}
