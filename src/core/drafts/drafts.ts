/**
 * Drafts: saved locally at once (a `drafts` row, the built message in the blob store and
 * an entry in the Drafts folder), then to the provider's Drafts folder by IMAP APPEND
 * (or the Gmail / Graph drafts API), replacing the previous server copy. The local row
 * is the source of truth: the database is written to disk before `saveDraft` returns, so
 * a crash or a killed process loses nothing, and reopening a draft continues it with the
 * same Message-ID.
 */
import { EventEmitter } from 'node:events';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { AccountConfig } from '../config';
import { MailError, toMailError } from '../errors';
import type { Logger } from '../log';
import { parseMessage } from '../mime/parse';
import type { MailProvider } from '../providers/provider';
import type { AccountRow, FolderRow, MailStore } from '../store/store';
import type { DraftRow, DraftStatus } from '../store/drafts';
import { type Address, composeMessage, type Draft, type DraftAttachment, newMessageId, parseAddresses, type ResolvedAttachment } from '../send/compose';
import { resolveDraftsFolder } from '../send/rules';

export type { DraftRow, DraftStatus };

export interface DraftRef {
  id: number;
  accountId: string;
  messageId: string;
  /** The entry in the Drafts folder's message list, when the account has a Drafts folder. */
  localMessageId: number | null;
  /** The server copy: saved now, not attempted (local-only save), or failed (kept locally). */
  server: 'saved' | 'skipped' | 'failed';
  serverError?: string;
}

export interface DraftSummary {
  id: number;
  accountId: string;
  messageId: string;
  subject: string;
  to: string[];
  status: DraftStatus;
  /** Why the last send failed, word for word, with its error code. */
  error?: { code: string; message: string };
  /** The last send lost its answer after handing the message over: it may have gone out. */
  maybeSent: boolean;
  savedOnServer: boolean;
  updatedAt: number;
}

export interface OpenedDraft extends Draft {
  id: number;
  messageId: string;
  status: DraftStatus;
  error?: { code: string; message: string };
  maybeSent: boolean;
  /** Set for a message sent from an .eml file: the file's bytes, in the blob store. */
  rawBlob?: string;
}

/** What a draft row keeps in its `data` column: the Draft with attachments as blobs. */
interface DraftData extends Omit<Draft, 'id' | 'messageId' | 'attachments'> {
  attachments?: Array<{ blob: string; filename?: string; contentType?: string; size: number }>;
  /** A message given whole (maildesk send --eml): sent as it is. */
  rawBlob?: string;
}

export interface DraftDeps {
  store: MailStore;
  provider(accountId: string): MailProvider;
  /** The account's folders, refreshed from the server when none are known yet. */
  folders(accountId: string): Promise<FolderRow[]>;
  logger: Logger;
}

const DRAFT_FLAGS = ['\\Draft', '\\Seen'];

/** Where the API providers' draft id (Gmail draft id, Graph message id) is kept, per Message-ID. */
function remoteDraftKey(accountId: string, messageId: string): string {
  return `draftRef:${accountId}:${messageId}`;
}

export function identityOf(acc: AccountRow | AccountConfig, from?: Address): Address {
  if (from?.address) return from;
  const cfg = 'config' in acc ? acc.config : acc;
  return { name: cfg.name || undefined, address: cfg.email };
}

export class DraftService {
  private readonly chains = new Map<number, Promise<unknown>>();
  private readonly events = new EventEmitter();

  constructor(private readonly d: DraftDeps) {
    this.recover();
  }

  onDidChange(listener: (e: { accountId: string; draftId: number }) => void): { dispose(): void } {
    this.events.on('change', listener);
    return { dispose: () => this.events.off('change', listener) };
  }

  private changed(accountId: string, draftId: number): void {
    this.events.emit('change', { accountId, draftId });
  }

  /**
   * A send that was running when the process died may or may not have gone out:
   * say so, and keep the draft, rather than leave it "sending" for ever.
   */
  private recover(): void {
    const { store } = this.d;
    if (!store.drafts.anySending()) return;
    const msg = 'MailDesk stopped while this message was being sent, so it may have been sent; check Sent before sending it again';
    store.tx(() => {
      store.drafts.failSending(msg);
      store.outbox.failSending(msg, Date.now());
    });
    this.d.store.syncNow();
  }

  // ---- rows -------------------------------------------------------------------------

  row(id: number): DraftRow | undefined {
    return this.d.store.drafts.byId(id);
  }

  rowByMessageId(accountId: string, messageId: string): DraftRow | undefined {
    return this.d.store.drafts.byMessageId(accountId, messageId);
  }

  private account(accountId: string): AccountRow {
    const acc = this.d.store.getAccount(accountId);
    if (!acc) throw new MailError('config.unknownAccount', `no account "${accountId}"`);
    return acc;
  }

  private ownRow(accountId: string, id: number): DraftRow {
    const r = this.row(id);
    if (!r || r.account_id !== accountId) throw new MailError('folder.notFound', `account "${accountId}" has no draft ${id}`);
    return r;
  }

  /** Files and bytes into the blob store, so the draft never depends on a file staying put. */
  private storeAttachments(list: DraftAttachment[] | undefined): NonNullable<DraftData['attachments']> {
    return (list ?? []).map((a) => {
      let bytes: Buffer | undefined;
      if (a.blob) {
        bytes = this.d.store.blobs.get(a.blob);
        if (!bytes) throw new MailError('internal', `the attachment ${a.filename ?? a.blob} of this draft is missing from the data folder`);
      } else if (a.content) bytes = a.content;
      else if (a.path) {
        try {
          bytes = fs.readFileSync(a.path);
        } catch (e) {
          throw new MailError('config.invalid', `cannot read the attachment ${a.path}: ${(e as Error).message}`, { cause: e });
        }
      } else throw new MailError('config.invalid', `an attachment needs a file path or its content`);
      return { blob: a.blob ?? this.d.store.blobs.put(bytes), filename: a.filename ?? (a.path ? path.basename(a.path) : undefined), contentType: a.contentType, size: bytes.length };
    });
  }

  resolveAttachments(data: DraftData): ResolvedAttachment[] {
    return (data.attachments ?? []).map((a) => {
      const content = this.d.store.blobs.get(a.blob);
      if (!content) throw new MailError('internal', `the attachment ${a.filename ?? a.blob} of this draft is missing from the data folder`);
      return { filename: a.filename, contentType: a.contentType, content };
    });
  }

  data(row: DraftRow): DraftData {
    return JSON.parse(row.data) as DraftData;
  }

  // ---- local step -------------------------------------------------------------------

  /** Saves the draft here (row, blob, Drafts entry) and writes the database to disk. */
  async saveLocal(accountId: string, draft: Draft): Promise<DraftRow> {
    const acc = this.account(accountId);
    let existing = draft.id !== undefined ? this.ownRow(accountId, draft.id) : undefined;
    if (!existing && draft.messageId) existing = this.rowByMessageId(accountId, draft.messageId);
    if (existing?.status === 'sending') throw new MailError('internal', 'this draft is being sent right now; wait for the result before changing it');
    const from = identityOf(acc, draft.from);
    const messageId = existing?.message_id ?? draft.messageId ?? newMessageId(from.address);
    const { id: _id, messageId: _mid, attachments, ...rest } = draft;
    const data: DraftData = { ...rest, from, attachments: this.storeAttachments(attachments) };
    const composed = await composeMessage({ ...draft, messageId }, from, this.resolveAttachments(data));
    return await this.writeLocal(acc, existing, messageId, data, composed.rawWithBcc);
  }

  /** Saves a whole message (an .eml file) as a draft, adding a Message-ID when it has none. */
  async saveRawLocal(accountId: string, raw: Buffer): Promise<DraftRow> {
    const acc = this.account(accountId);
    const parsed = await parseMessage(raw);
    let messageId = parsed.messageId ? (parsed.messageId.startsWith('<') ? parsed.messageId : `<${parsed.messageId}>`) : undefined;
    const existing = messageId ? this.rowByMessageId(accountId, messageId) : undefined;
    if (existing?.status === 'sending') throw new MailError('internal', 'this message is being sent right now; wait for the result');
    const from = identityOf(acc, parsed.from?.address ? { name: parsed.from.name || undefined, address: parsed.from.address } : undefined);
    let full = raw;
    const add: string[] = [];
    if (!messageId) {
      messageId = newMessageId(from.address);
      add.push(`Message-ID: ${messageId}`);
    }
    if (!parsed.headers.some((h) => h.key.toLowerCase() === 'date')) add.push(`Date: ${new Date().toUTCString().replace('GMT', '+0000')}`);
    if (!parsed.from) add.push(`From: ${from.address}`);
    if (add.length) full = Buffer.concat([Buffer.from(add.join('\r\n') + '\r\n'), raw]);
    const data: DraftData = {
      from,
      to: parsed.to.map((a) => ({ name: a.name || undefined, address: a.address })),
      cc: parsed.cc.map((a) => ({ name: a.name || undefined, address: a.address })),
      bcc: parsed.bcc.map((a) => ({ name: a.name || undefined, address: a.address })),
      subject: parsed.subject,
      text: parsed.text,
      inReplyTo: parsed.inReplyTo,
      references: parsed.references,
      rawBlob: this.d.store.blobs.put(full),
    };
    return await this.writeLocal(acc, existing, messageId, data, full);
  }

  private async writeLocal(acc: AccountRow, existing: DraftRow | undefined, messageId: string, data: DraftData, raw: Buffer): Promise<DraftRow> {
    const { store } = this.d;
    const blob = store.blobs.put(raw);
    const now = Date.now();
    const draftsFolder = resolveDraftsFolder(store.listFolders(acc.id));
    let id = existing?.id ?? 0;
    store.tx(() => {
      if (existing) {
        store.drafts.updateContent(existing.id, JSON.stringify(data), blob, now);
        this.removeEntry(existing.local_message);
      } else {
        id = store.drafts.insert(acc.id, messageId, JSON.stringify(data), blob, now);
      }
      let local: number | null = null;
      if (draftsFolder) {
        local = store.insertLocalMessage(draftsFolder.id, {
          messageId,
          subject: data.subject ?? '',
          from: data.from,
          to: parseAddresses(data.to).addresses,
          cc: parseAddresses(data.cc).addresses,
          date: now,
          size: raw.length,
          flags: DRAFT_FLAGS,
          hasAttachments: !!data.attachments?.length,
          inReplyTo: data.inReplyTo,
          references: data.references,
          bodyBlob: blob,
        });
      }
      store.drafts.setLocalMessage(id, local);
    });
    // A draft must survive a crash from now on: on disk before this resolves (in slices,
    // so typing into a message stays smooth on a big store).
    await store.flush();
    this.changed(acc.id, id);
    return this.row(id)!;
  }

  /** Takes a draft's entry out of every folder list (a local one is deleted outright). */
  removeEntry(messageRowId: number | null): void {
    this.d.store.drafts.removeEntry(messageRowId);
  }

  // ---- remote step ------------------------------------------------------------------

  /** Runs draft operations one after the other per draft: two saves never race on the server. */
  serial<T>(draftId: number, fn: () => Promise<T>): Promise<T> {
    const prev = this.chains.get(draftId) ?? Promise.resolve();
    const next = prev.then(fn, fn);
    const tail = next.catch(() => undefined);
    this.chains.set(draftId, tail);
    void tail.then(() => {
      if (this.chains.get(draftId) === tail) this.chains.delete(draftId);
    });
    return next;
  }

  /** APPENDs the current version to the server's Drafts and removes older copies there. */
  saveRemote(draftId: number): Promise<{ server: DraftRef['server']; error?: string }> {
    return this.serial(draftId, () => this.saveRemoteNow(draftId));
  }

  /** The same, for a caller already running in this draft's `serial` chain (the sender). */
  async saveRemoteNow(draftId: number): Promise<{ server: DraftRef['server']; error?: string }> {
    const r = this.row(draftId);
    if (!r || !r.raw_blob) return { server: 'skipped' as const };
    const raw = this.d.store.blobs.get(r.raw_blob);
    if (!raw) return { server: 'skipped' as const };
    try {
      const folder = resolveDraftsFolder(await this.d.folders(r.account_id));
      if (!folder) throw new MailError('folder.notFound', 'the server has no Drafts folder, so this draft is kept only on this computer');
      const p = this.d.provider(r.account_id);
      if (p.saveDraftRemote) {
        // API providers (Gmail, Graph): their drafts API updates the one server draft in place.
        const key = remoteDraftKey(r.account_id, r.message_id);
        const { ref } = await p.saveDraftRemote(raw, { messageId: r.message_id, previousRef: this.d.store.getSetting(key) });
        this.d.store.tx(() => {
          this.d.store.settings.set(key, ref);
          this.d.store.drafts.setServerCopy(draftId, folder.path, null);
        });
        this.changed(r.account_id, draftId);
        return { server: 'saved' as const };
      }
      if (!p.appendMessage || !p.findByMessageId) throw new MailError('internal', 'this account type cannot save drafts on the server yet');
      const { uid } = await p.appendMessage(folder.path, raw, DRAFT_FLAGS);
      await this.deleteServerCopies(r.account_id, folder.path, r.message_id, uid);
      this.d.store.drafts.setServerCopy(draftId, folder.path, uid ?? null);
      this.changed(r.account_id, draftId);
      return { server: 'saved' as const };
    } catch (e) {
      const err = toMailError(e, 'saving the draft on the server');
      this.d.logger.log('warn', `draft ${draftId}: ${err.message}`, { account: r.account_id });
      this.d.store.drafts.setServerError(draftId, err.message);
      this.changed(r.account_id, draftId);
      return { server: 'failed' as const, error: err.message };
    }
  }

  /**
   * Deletes the draft's copies in the server's Drafts folder, found by Message-ID, except
   * `keepUid`. Without a UID from APPEND (no UIDPLUS) the newest copy is kept.
   */
  async deleteServerCopies(accountId: string, folderPath: string, messageId: string, keepUid?: number | null, keepNewest = true): Promise<number> {
    const p = this.d.provider(accountId);
    if (p.deleteDraftRemote) {
      // API providers keep one draft per Message-ID: every copy goes (callers here delete all).
      const key = remoteDraftKey(accountId, messageId);
      const n = await p.deleteDraftRemote({ messageId, ref: this.d.store.getSetting(key) });
      this.d.store.settings.delete(key);
      return n;
    }
    if (!p.findByMessageId) return 0;
    let uids = await p.findByMessageId(folderPath, messageId);
    if (keepUid) uids = uids.filter((u) => u !== keepUid);
    else if (keepNewest && uids.length) uids = uids.sort((a, b) => a - b).slice(0, -1);
    for (const uid of uids) await p.applyTask({ kind: 'delete', folderPath, uid });
    return uids.length;
  }

  // ---- the facade's calls -----------------------------------------------------------

  async saveDraft(accountId: string, draft: Draft, opts: { remote?: boolean } = {}): Promise<DraftRef> {
    const row = await this.saveLocal(accountId, draft);
    const ref: DraftRef = { id: row.id, accountId, messageId: row.message_id, localMessageId: row.local_message, server: 'skipped' };
    if (opts.remote === false) return ref;
    const r = await this.saveRemote(row.id);
    return { ...ref, server: r.server, serverError: r.error };
  }

  listDrafts(accountId: string): DraftSummary[] {
    const rows = this.d.store.drafts.listWithOutbox(accountId);
    return rows.map((r) => {
      const data = this.data(r);
      return {
        id: r.id,
        accountId: r.account_id,
        messageId: r.message_id,
        subject: data.subject ?? '',
        to: parseAddresses(data.to).addresses.map((a) => a.address),
        status: r.status,
        error: r.error_code ? { code: r.error_code, message: r.error_message ?? '' } : undefined,
        maybeSent: r.maybe_sent === 1,
        savedOnServer: r.server_folder !== null && r.server_error === null,
        updatedAt: r.updated_at,
      };
    });
  }

  openDraft(accountId: string, draftId: number): OpenedDraft {
    const r = this.ownRow(accountId, draftId);
    const data = this.data(r);
    const maybeSent = this.d.store.outbox.maybeSent(accountId, r.message_id);
    const { attachments, rawBlob, ...rest } = data;
    return {
      ...rest,
      id: r.id,
      messageId: r.message_id,
      attachments: attachments?.map((a) => ({ blob: a.blob, filename: a.filename, contentType: a.contentType, size: a.size })),
      status: r.status,
      error: r.error_code ? { code: r.error_code, message: r.error_message ?? '' } : undefined,
      maybeSent,
      rawBlob,
    };
  }

  /** Discards a draft here and on the server (used after a successful send too). */
  async deleteDraft(accountId: string, draftId: number, opts: { remote?: boolean } = {}): Promise<void> {
    const r = this.ownRow(accountId, draftId);
    this.d.store.tx(() => {
      this.removeEntry(r.local_message);
      this.d.store.drafts.delete(draftId);
      // A discarded message is no longer "unsent": Troubleshoot stops reporting it.
      this.d.store.outbox.markDiscarded(accountId, r.message_id, Date.now());
    });
    await this.d.store.flush();
    this.changed(accountId, draftId);
    if (opts.remote === false) return;
    await this.serial(draftId, async () => {
      try {
        const folder = resolveDraftsFolder(await this.d.folders(accountId));
        if (folder) await this.deleteServerCopies(accountId, folder.path, r.message_id, undefined, false);
      } catch (e) {
        this.d.logger.log('warn', `removing draft ${r.message_id} from the server failed: ${toMailError(e).message}`, { account: accountId });
      }
    });
  }
}
