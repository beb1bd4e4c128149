/**
 * What the Pro services (AI actions, Workflow Bridges) read and write of the mail: an account,
 * a conversation as the model sees it, the reply a draft starts from, the e-mail a bridge acts
 * on, and the bridge links. Read from the store here (the engine, `maildesk`, tests); a VS Code
 * window gets the same through the engine protocol (src/extension/pro/proData.ts), so the
 * models and bridges stay in the window while the mail stays in the engine.
 */
import type { DraftRef } from '../drafts/drafts';
import type { AiFailure } from '../ai/failures';
import { rememberAiOutcome } from '../ai/failures';
import type { AiThreadMessage } from '../ai/trim';
import type { BridgeEmail, BridgeRecord } from '../bridges/bridge';
import { addLinks, normMessageId, threadLinks, updateLinkedRecords, type LinkSummary } from '../bridges/links';
import { MailError } from '../errors';
import { parseMessage, type Address, type ParsedMessage } from '../mime/parse';
import { htmlToPlainText } from '../render/text';
import { replyDraft, type Draft } from '../send/compose';
import type { AccountRow, MailStore } from '../store/store';
import { threadMessages } from '../threads/threads';

/** A draft as it crosses to and from the Pro services: no attachment (the AI drafts have none). */
export type ProDraft = Omit<Draft, 'attachments'>;

export interface ProThread {
  /** Every message's headers and text, attachments by name. */
  messages: AiThreadMessage[];
  /** Every address on the conversation (From, To, Cc, Reply-To): the draft check's "new recipient" test. */
  participants: string[];
}

export interface ProData {
  account(accountId: string): Promise<AccountRow | undefined>;
  thread(accountId: string, threadKey: string): Promise<ProThread>;
  /** The reply to the newest message from someone other than the account (addressed and quoted). */
  replyDraft(accountId: string, threadKey: string): Promise<ProDraft>;
  /** Saves a draft locally for the user to edit (absent: compose is not available). */
  saveDraft?(accountId: string, draft: ProDraft): Promise<DraftRef>;
  /** Remembers the last AI request's failure for Troubleshoot; undefined: it succeeded. */
  recordAiOutcome(failure: AiFailure | undefined): Promise<void>;
  /** The newest message of the thread, as bridges get it. */
  bridgeEmail(accountId: string, threadKey: string): Promise<BridgeEmail>;
  links(accountId: string, threadKey: string): Promise<LinkSummary[]>;
  addLinks(accountId: string, messageId: string, bridge: string, records: BridgeRecord[], now: number): Promise<void>;
  updateLinks(accountId: string, records: Array<BridgeRecord & { gone?: boolean }>, now: number): Promise<void>;
}

/** What the store-backed ProData needs of the core (the MailDesk facade has it). */
export interface ProCore {
  readonly store: MailStore;
  messageSource(messageId: number, folderId: number): Promise<Buffer>;
  /** Compose's API, when present: "Draft from context" saves its draft through it. */
  saveDraft?(accountId: string, draft: Draft, opts?: { remote?: boolean }): Promise<DraftRef>;
}

function fmtAddr(a?: Address): string {
  return a ? (a.name && a.name !== a.address ? `${a.name} <${a.address}>` : a.address) : '';
}

export function messageForModel(p: ParsedMessage): AiThreadMessage {
  const text = p.text ?? (p.htmlParts.length ? htmlToPlainText(p.htmlParts.join('\n')) : '');
  return {
    from: fmtAddr(p.from) || '(unknown sender)',
    to: p.to.map(fmtAddr).join(', ') || undefined,
    cc: p.cc.map(fmtAddr).join(', ') || undefined,
    date: p.date?.toISOString(),
    subject: p.subject || undefined,
    text: text.trim(),
    attachments: p.attachments.filter((a) => !a.inline || !a.contentId).map((a) => a.filename || 'attachment'),
  };
}

export function storeProData(core: ProCore): ProData {
  const store = core.store;
  const parsedThread = async (accountId: string, threadKey: string): Promise<ParsedMessage[]> => {
    const rows = threadMessages(store, accountId, threadKey);
    if (!rows.length) throw new MailError('folder.notFound', 'the conversation is no longer in the store');
    const out: ParsedMessage[] = [];
    for (const r of rows) out.push(await parseMessage(await core.messageSource(r.id, r.folderId)));
    return out;
  };
  const account = (accountId: string): AccountRow => {
    const acc = store.getAccount(accountId);
    if (!acc) throw new MailError('config.unknownAccount', `no account "${accountId}"`);
    return acc;
  };
  return {
    account: async (accountId) => store.getAccount(accountId),
    thread: async (accountId, threadKey) => {
      const parsed = await parsedThread(accountId, threadKey);
      return {
        messages: parsed.map(messageForModel),
        participants: parsed.flatMap((p) => [p.from, ...p.to, ...p.cc, ...p.replyTo]).map((a) => a?.address ?? '').filter(Boolean),
      };
    },
    replyDraft: async (accountId, threadKey) => {
      const acc = account(accountId);
      const me = acc.config.email.toLowerCase();
      const parsed = await parsedThread(accountId, threadKey);
      const parent = [...parsed].reverse().find((p) => p.from?.address.toLowerCase() !== me) ?? parsed[parsed.length - 1];
      const { attachments, ...reply } = replyDraft(parent, { self: [acc.config.email], from: { name: acc.name ?? undefined, address: acc.config.email } });
      void attachments;
      return reply;
    },
    saveDraft: core.saveDraft ? (accountId, draft) => core.saveDraft!(accountId, draft, { remote: false }) : undefined,
    recordAiOutcome: async (failure) => rememberAiOutcome(store, failure),
    bridgeEmail: async (accountId, threadKey) => {
      const rows = threadMessages(store, accountId, threadKey);
      const row = rows[rows.length - 1];
      if (!row) throw new MailError('folder.notFound', 'the conversation is no longer in the store');
      const p = await parseMessage(await core.messageSource(row.id, row.folderId));
      const ics = p.attachments.find((a) => /^text\/calendar/i.test(a.mimeType) || /\.ics$/i.test(a.filename));
      return {
        accountId,
        threadKey,
        messageId: normMessageId(p.messageId ?? row.messageId, row.id),
        subject: p.subject || row.subject,
        from: p.from,
        to: p.to,
        cc: p.cc,
        date: p.date?.toISOString(),
        text: (p.text ?? (p.htmlParts.length ? htmlToPlainText(p.htmlParts.join('\n')) : '')).trim(),
        attachments: p.attachments
          .filter((a) => !a.inline || !a.contentId)
          .filter((a) => a !== ics)
          .map((a) => ({ filename: a.filename || 'attachment', mimeType: a.mimeType, size: a.size, content: () => a.content })),
        calendar: ics ? Buffer.from(ics.content).toString('utf8') : undefined,
      };
    },
    links: async (accountId, threadKey) => threadLinks(store, accountId, threadKey),
    addLinks: async (accountId, messageId, bridge, records, now) => addLinks(store, accountId, messageId, bridge, records, now),
    updateLinks: async (accountId, records, now) => updateLinkedRecords(store, accountId, records, now),
  };
}

/** The mail a Pro service reads: the given ProData, or the core's store. */
export function proDataOf(d: { core?: ProCore; data?: ProData }): ProData {
  if (d.data) return d.data;
  if (d.core) return storeProData(d.core);
  throw new MailError('internal', 'a Pro service was created without its mail (core or data)');
}
