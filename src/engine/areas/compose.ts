/**
 * The engine's handlers for the composer (src/extension/compose): drafts, send, address book, attachments (src/shared/protocol/engineAreas/compose.ts).
 * The window keeps only the form; the store, the blob store, parsing the original of a reply
 * and the address index stay here.
 */
import { MailError, toMailError } from '../../core/errors';
import type { MailDesk } from '../../core/maildesk';
import { parseMessage } from '../../core/mime/parse';
import { AddressBook, suggestionLabel } from '../../core/send/addressBook';
import { type Address, type DraftAttachment, formatAddress, forwardDraft, newMessageId, replyDraft } from '../../core/send/compose';
import { addressText, isUntouched, toDraft } from '../../core/send/composeForm';
import type { AccountRow } from '../../core/store/store';
import type { AttachmentWire, ComposeAccountInfo, ComposeDraft, ComposeRequests } from '../../shared/protocol/engineAreas/compose';
import type { Engine } from '../engine';
import type { HandlersFor } from '../handlers';
import { deleteMeta, metaKey, pendingMetas, readMeta, writeMeta } from './composeJournal';
import { deleteRevision, readRevision, replyTarget, setRevision } from './composeRevision';

/** The From identity of an account: "Name <email>". */
function identity(acc: AccountRow): Address {
  return { name: acc.config.name || undefined, address: acc.config.email };
}

/** Plain data only: a forwarded attachment's bytes go into the blob store, its hash crosses. */
function attachmentsToWire(core: MailDesk, list: DraftAttachment[] | undefined): AttachmentWire[] {
  return (list ?? []).map((a) => {
    const blob = a.blob ?? (a.content ? core.store.blobs.put(a.content) : undefined);
    const w: AttachmentWire = { filename: a.filename, contentType: a.contentType, size: a.size ?? a.content?.length };
    if (blob) w.blob = blob;
    else if (a.path) w.path = a.path;
    return w;
  });
}

export function composeHandlers(engine: Engine, core: MailDesk): HandlersFor<ComposeRequests> {
  const store = core.store;
  let addressBook: AddressBook | undefined;
  let recoveryRan = false;
  /**
   * Journals written through this engine: a window has that message open now (or closed it
   * and saved it). Recovery leaves them alone, so a window that opens later never takes over
   * (or deletes as untouched) a draft another window is writing.
   */
  const live = new Set<string>();

  const account = (accountId: string): AccountRow => {
    const acc = store.getAccount(accountId);
    if (!acc) throw new MailError('config.unknownAccount', `no account "${accountId}"`);
    return acc;
  };
  const storedMessage = (messageId: number, folderId: number, what: string) => {
    const row = store.getMessage(messageId, folderId) ?? store.getMessage(messageId);
    if (!row) throw new MailError('folder.notFound', `${what} is no longer in the store (it was moved or deleted)`, { remedy: 'Refresh the folder (MailDesk: Refresh) and open the message again where it is now' });
    return row;
  };
  const openDraft = (accountId: string, draftId: number): ComposeDraft => {
    const d = core.openDraft(accountId, draftId);
    return {
      id: d.id,
      accountId,
      messageId: d.messageId,
      to: addressText(d.to),
      cc: addressText(d.cc),
      bcc: addressText(d.bcc),
      subject: d.subject ?? '',
      text: d.text ?? '',
      inReplyTo: d.inReplyTo,
      references: d.references,
      attachments: attachmentsToWire(core, d.attachments),
      status: d.status,
      error: d.error,
      maybeSent: d.maybeSent,
      meta: readMeta(store, accountId, d.messageId) ?? null,
      revision: readRevision(store, accountId, d.messageId).n,
      replyingTo: d.inReplyTo ? replyTarget(store, accountId, d.inReplyTo) : undefined,
    };
  };

  return {
    'compose/accounts': () =>
      store.listAccounts().map((a): ComposeAccountInfo => ({ id: a.id, label: formatAddress(identity(a)), from: identity(a), signature: store.getSetting(`compose.signature.${a.id}`) ?? '' })),

    'compose/prefill': async (p) => {
      const row = storedMessage(p.messageId, p.folderId, 'that message');
      const acc = account(row.accountId);
      const parsed = await parseMessage(await core.messageSource(row.id, row.folderId));
      const from = identity(acc);
      const self = store.listAccounts().map((x) => x.config.email);
      const d = p.mode === 'forward' ? forwardDraft(parsed, { from }) : replyDraft(parsed, { all: p.mode === 'replyAll', self, from });
      return {
        accountId: acc.id,
        messageId: newMessageId(acc.config.email),
        to: addressText(d.to),
        cc: addressText(d.cc),
        subject: d.subject ?? '',
        quote: { html: d.html ?? '', text: d.text ?? '' },
        inReplyTo: d.inReplyTo,
        references: d.references,
        attachments: attachmentsToWire(core, d.attachments),
        kind: p.mode === 'forward' ? 'Forward' : p.mode === 'replyAll' ? 'Reply All' : 'Reply',
      };
    },

    'compose/openDraft': (p) => openDraft(p.accountId, p.draftId),

    'compose/draftForMessage': async (p) => {
      const row = storedMessage(p.messageId, p.folderId, 'that draft');
      const found = store.drafts.idByEntry(row.accountId, row.id, row.messageId);
      if (found !== undefined) return { accountId: row.accountId, draftId: found };
      const raw = await core.messageSource(row.id, p.folderId);
      const ref = await core.drafts.saveRawLocal(row.accountId, raw);
      return { accountId: row.accountId, draftId: ref.id };
    },

    'compose/listDrafts': () => store.listAccounts().map((a) => ({ accountId: a.id, accountLabel: formatAddress(identity(a)), drafts: core.listDrafts(a.id) })),

    'compose/save': async (p) => {
      // The account was removed while its draft was open: the window closes the tab.
      const acc = store.getAccount(p.meta.accountId);
      if (!acc) return null;
      // Checked and taken before the first await: of two windows saving on one revision, the
      // second is refused even while the first one's save is still being written.
      const current = readRevision(store, acc.id, p.meta.messageId);
      if (p.revision !== undefined && p.revision !== current.n) return { stale: { revision: current.n } };
      const revision = current.n + 1;
      const writer = p.writer ?? '';
      setRevision(store, acc.id, p.meta.messageId, { n: revision, writer });
      let ref;
      try {
        ref = await core.saveDraft(acc.id, toDraft(p.meta, identity(acc), p.attachments), { remote: p.remote });
      } catch (e) {
        // Nothing was written: the composer's revision is still the draft's.
        if (readRevision(store, acc.id, p.meta.messageId).n === revision) setRevision(store, acc.id, p.meta.messageId, current);
        throw e;
      }
      const fresh = core.openDraft(acc.id, ref.id);
      void engine.broadcast('compose/draftSaved', { accountId: acc.id, messageId: p.meta.messageId, draftId: ref.id, revision, writer });
      return { draftId: ref.id, server: ref.server, serverError: ref.serverError, attachments: attachmentsToWire(core, fresh.attachments), revision };
    },

    'compose/journal': (p) => {
      const current = readRevision(store, p.meta.accountId, p.meta.messageId);
      if (p.revision !== undefined && p.revision !== current.n && !(p.writer && p.writer === current.writer)) return { stale: true, revision: current.n };
      live.add(metaKey(p.meta.accountId, p.meta.messageId));
      writeMeta(store, p.meta);
      if (p.flush) store.syncNow();
      return { stale: false, revision: current.n };
    },

    'compose/discard': async (p) => {
      deleteMeta(store, p.accountId, p.messageId);
      // Sent or discarded: a window still holding it is refused from now on (its revision is not 0).
      deleteRevision(store, p.accountId, p.messageId);
      if (p.draftId !== undefined) await core.deleteDraft(p.accountId, p.draftId);
      return null;
    },

    'compose/recover': async () => {
      const out = { recovered: [] as Array<{ draftId: number; messageId: string }>, failed: [] as Array<{ messageId: string; error: string }> };
      if (recoveryRan) return out;
      recoveryRan = true;
      for (const meta of pendingMetas(store)) {
        if (live.has(metaKey(meta.accountId, meta.messageId))) continue;
        try {
          const acc = store.getAccount(meta.accountId);
          if (!acc) {
            deleteMeta(store, meta.accountId, meta.messageId);
            continue;
          }
          const row = meta.draftId !== undefined ? core.drafts.row(meta.draftId) : core.drafts.rowByMessageId(meta.accountId, meta.messageId);
          const atts = row ? (core.openDraft(meta.accountId, row.id).attachments ?? []) : [];
          if (isUntouched(meta, atts.length)) {
            if (row) await core.deleteDraft(meta.accountId, row.id);
            deleteMeta(store, meta.accountId, meta.messageId);
            continue;
          }
          const ref = await core.saveDraft(meta.accountId, toDraft({ ...meta, draftId: row?.id }, identity(acc), atts), { remote: false });
          // A composer still holding the revision before this catch-up has not seen these changes.
          setRevision(store, meta.accountId, meta.messageId, { n: readRevision(store, meta.accountId, meta.messageId).n + 1, writer: '' });
          writeMeta(store, { ...meta, draftId: ref.id, pending: false });
          out.recovered.push({ draftId: ref.id, messageId: meta.messageId });
        } catch (e) {
          out.failed.push({ messageId: meta.messageId, error: toMailError(e).describe() });
        }
      }
      return out;
    },

    'compose/complete': (p) => {
      addressBook ??= new AddressBook(store, () => store.listAccounts().map((a) => a.config.email));
      return addressBook.complete(p.query, { limit: p.limit, exclude: p.exclude }).map((s) => ({ label: suggestionLabel(s), count: s.count }));
    },
  };
}
