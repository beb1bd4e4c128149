/**
 * The send pipeline, as the guide's "Sent mail does not appear" describes it:
 * the message is saved as a draft first, handed to the outgoing server at once, shown
 * in Sent immediately as a local entry (replaced by the provider's copy on the next
 * sync, matched by Message-ID), and copied to Sent by us only where the server keeps
 * no copy of its own. A failure leaves it in Drafts with the exact error. A copy that
 * could not be saved to Sent (server down, connection lost, NO) waits as a task that the
 * tasks job retries until it is there, once (sentCopyTask.ts).
 *
 * Never twice: a 4xx before the server took the message is retried with back-off; a
 * 5xx is not; a connection lost after the whole message was handed over is not retried
 * at all ("may have been sent") until the user says so, and every attempt and resend
 * carries the same Message-ID. The outbox row records each message's fate.
 */
import { MailError, toMailError } from '../errors';
import type { Logger } from '../log';
import { DraftService, identityOf } from '../drafts/drafts';
import type { MailProvider, SendEnvelope } from '../providers/provider';
import type { FolderRow, MailStore } from '../store/store';
import { composeMessage, type Draft, parseAddresses } from './compose';
import { classifySendError, resolveDraftsFolder, resolveSentFolder, sendRetryDelay } from './rules';
import { queueSentCopy, sentCopyError, sentCopyFailureKey } from './sentCopyTask';

export interface SendOptions {
  /** SMTP attempts for a transient failure, the first included (default 4). */
  maxAttempts?: number;
  /** First back-off delay; it doubles per attempt (default 2 s). */
  retryBaseMs?: number;
  /** Waits before each look into Sent for the server's own copy, in "auto" mode (default 1 s, 3 s). */
  sentCheckDelaysMs?: number[];
}

export type SendInput = Draft | { draftId: number } | { raw: Buffer };

/**
 * How Sent got its copy: the server saved one, we appended one, none is kept, or it could not
 * be saved yet and waits as a task that saves it once the server takes it ('queued').
 */
export type SentCopy = 'server' | 'appended' | 'none' | 'failed' | 'queued';

export interface SendResult {
  ok: boolean;
  accountId: string;
  draftId: number;
  messageId: string;
  /** SMTP attempts made this time. */
  attempts: number;
  accepted: string[];
  rejected: string[];
  sentFolder?: string;
  /** The local Sent entry shown until the provider's copy replaces it. */
  localSentId?: number;
  sentCopy?: SentCopy;
  /** A problem after the message went out (the Sent copy); the send itself succeeded. */
  warning?: string;
  error?: MailError;
  /** The connection was lost after the message was handed over: it may have been sent. */
  maybeSent?: boolean;
}

export interface SenderDeps {
  store: MailStore;
  drafts: DraftService;
  provider(accountId: string): MailProvider;
  folders(accountId: string): Promise<FolderRow[]>;
  /** Makes sure the Sent folder is synced, so its local entry gets replaced. */
  selectFolder(accountId: string, path: string): Promise<void>;
  logger: Logger;
  options?: SendOptions;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Removes Bcc headers (with folded lines) from a message given whole. */
export function stripBcc(raw: Buffer): Buffer {
  const text = raw.toString('latin1');
  const end = text.search(/\r?\n\r?\n/);
  if (end < 0) return raw;
  const head = text.slice(0, end);
  const kept = head.replace(/^bcc:.*(?:\r?\n[ \t].*)*(?:\r?\n|$)/gim, '');
  return kept === head ? raw : Buffer.from(kept.replace(/\r?\n$/, '') + text.slice(end), 'latin1');
}

export function sentCopySettingKey(accountId: string): string {
  return `send.sentCopy.${accountId}`;
}

// The record of a copy that failed for good lives with the Sent copy tasks now.
export { readSentCopyFailure, type SentCopyFailure, sentCopyFailureKey } from './sentCopyTask';

export class Sender {
  private readonly inFlight = new Set<string>();
  private readonly o: Required<SendOptions>;

  constructor(private readonly d: SenderDeps) {
    this.o = { maxAttempts: 4, retryBaseMs: 2_000, sentCheckDelaysMs: [1_000, 3_000], ...d.options };
  }

  async send(accountId: string, input: SendInput, opts: { confirmResend?: boolean } = {}): Promise<SendResult> {
    const { store, drafts } = this.d;
    const acc = store.getAccount(accountId);
    if (!acc) throw new MailError('config.unknownAccount', `no account "${accountId}"`);
    // Saved first: whatever happens next, the message is in Drafts.
    const row =
      'draftId' in input
        ? drafts.row(input.draftId)
        : 'raw' in input && Buffer.isBuffer(input.raw)
          ? await drafts.saveRawLocal(accountId, input.raw)
          : await drafts.saveLocal(accountId, input as Draft);
    if (!row || row.account_id !== accountId) throw new MailError('folder.notFound', `account "${accountId}" has no such draft`);
    const base: SendResult = { ok: false, accountId, draftId: row.id, messageId: row.message_id, attempts: 0, accepted: [], rejected: [] };
    const key = `${accountId}\n${row.message_id}`;
    if (this.inFlight.has(key)) return { ...base, error: new MailError('internal', 'this message is being sent already') };
    this.inFlight.add(key);
    try {
      return await drafts.serial(row.id, () => this.run(acc.id, row.id, base, opts));
    } finally {
      this.inFlight.delete(key);
    }
  }

  private async run(accountId: string, draftId: number, base: SendResult, opts: { confirmResend?: boolean }): Promise<SendResult> {
    const { store, drafts } = this.d;
    const acc = store.getAccount(accountId)!;
    const row = drafts.row(draftId);
    if (!row) return { ...base, error: new MailError('folder.notFound', 'the draft was deleted') };
    const data = drafts.data(row);
    const prior = store.outbox.get(accountId, row.message_id);
    if (prior?.status === 'sent') {
      return this.fail(base, new MailError('send.rejected', `this message (${row.message_id}) was already sent on ${new Date(prior.sentAt ?? 0).toISOString()}; MailDesk does not send it twice`), false);
    }
    if (prior?.maybeSent && !opts.confirmResend) {
      return this.fail(
        base,
        new MailError('net.reset', 'the last attempt lost its answer after the message was handed over, so it may already have been sent; check Sent, then send again and confirm to resend it', { retryable: false }),
        true,
      );
    }

    // The message: rebuilt from the draft (a fresh Date, the same Message-ID), or the .eml as given.
    let raw: Buffer;
    let copy: Buffer;
    let envelope: SendEnvelope;
    try {
      const to = parseAddresses(data.to);
      const cc = parseAddresses(data.cc);
      const bcc = parseAddresses(data.bcc);
      const invalid = [...to.invalid, ...cc.invalid, ...bcc.invalid];
      if (invalid.length) throw new MailError('send.rejected', `not a valid email address: ${invalid.map((a) => `"${a}"`).join(', ')}; correct the recipients and send again`);
      const rcpt = [...to.addresses, ...cc.addresses, ...bcc.addresses].map((a) => a.address);
      if (!rcpt.length) throw new MailError('send.rejected', 'the message has no recipients; add at least one To, Cc or Bcc address');
      const from = identityOf(acc, data.from);
      if (data.rawBlob) {
        copy = store.blobs.get(data.rawBlob) ?? Buffer.alloc(0);
        if (!copy.length) throw new MailError('internal', 'the message file of this draft is missing from the data folder');
        raw = stripBcc(copy);
        envelope = { from: from.address, to: [...new Set(rcpt)] };
      } else {
        const c = await composeMessage({ ...data, messageId: row.message_id }, from, drafts.resolveAttachments(data));
        raw = c.raw;
        copy = c.rawWithBcc;
        envelope = c.envelope;
      }
    } catch (e) {
      return this.fail(base, toMailError(e), false);
    }

    let sent: FolderRow | undefined;
    const mode = acc.config.saveSentCopy ?? 'auto';
    let provider: MailProvider;
    try {
      provider = this.d.provider(accountId);
      if (!provider.sendMessage) throw new MailError('internal', 'this account type cannot send mail yet');
      try {
        sent = resolveSentFolder(acc.config, await this.d.folders(accountId));
      } catch (e) {
        // Without a Sent mapping the copy would go nowhere: stop before sending, with the fix.
        // With "never" the Sent entry is only a convenience, so sending goes on without it.
        if (mode !== 'never') throw e;
      }
    } catch (e) {
      return this.fail(base, toMailError(e), false);
    }

    // Recorded on disk before the first byte goes out: a crash now reads as "maybe sent".
    const copyBlob = store.blobs.put(copy);
    const now = Date.now();
    store.tx(() => {
      store.outbox.markSending(accountId, row.message_id, copyBlob, draftId, now);
      store.drafts.markSending(draftId);
    });
    await store.flush();

    let attempts = 0;
    for (;;) {
      attempts++;
      store.outbox.countAttempt(accountId, row.message_id);
      try {
        const receipt = await provider.sendMessage!(raw, envelope);
        return await this.succeeded({ ...base, attempts, accepted: receipt.accepted, rejected: receipt.rejected }, row.local_message, copy, copyBlob, sent, data);
      } catch (e) {
        const f = classifySendError(e);
        this.d.logger.log('warn', `send attempt ${attempts} of ${row.message_id} failed: ${f.error.message}`, { account: accountId });
        if (f.retry && attempts < this.o.maxAttempts) {
          await sleep(sendRetryDelay(attempts, this.o.retryBaseMs));
          continue;
        }
        return this.fail({ ...base, attempts }, f.error, f.maybeSent);
      }
    }
  }

  /** The draft stays, marked with the exact error; the outbox row says what Troubleshoot shows. */
  private async fail(r: SendResult, error: MailError, maybeSent: boolean): Promise<SendResult> {
    const { store, drafts } = this.d;
    const now = Date.now();
    const said = error.providerMessage && !error.message.includes(error.providerMessage) ? `${error.message} (${error.providerMessage})` : error.message;
    store.tx(() => {
      store.drafts.markFailed(r.draftId, error.code, said, now);
      const exists = store.outbox.get(r.accountId, r.messageId);
      if (exists && exists.status !== 'sent') {
        store.outbox.markFailed(exists.id, error.code, said, maybeSent || exists.maybeSent, now);
      } else if (!exists) {
        const d = drafts.row(r.draftId);
        store.outbox.insertFailed({ accountId: r.accountId, messageId: r.messageId, rawBlob: d?.raw_blob ?? '', code: error.code, message: said, draftId: r.draftId, maybeSent, now });
      }
    });
    await store.flush();
    // Also in the server's Drafts, so webmail and other clients see it too.
    const d = drafts.row(r.draftId);
    if (d && d.server_uid === null && d.server_folder === null) await drafts.saveRemoteNow(r.draftId);
    return { ...r, ok: false, error, maybeSent: maybeSent || undefined };
  }

  private async succeeded(
    r: SendResult,
    draftEntry: number | null,
    copy: Buffer,
    copyBlob: string,
    sent: FolderRow | undefined,
    data: ReturnType<DraftService['data']>,
  ): Promise<SendResult> {
    const { store, drafts } = this.d;
    const acc = store.getAccount(r.accountId)!;
    const now = Date.now();
    let localSentId: number | undefined;
    store.tx(() => {
      store.outbox.markSent(r.accountId, r.messageId, now);
      if (sent) {
        localSentId = store.insertLocalMessage(sent.id, {
          messageId: r.messageId,
          subject: data.subject ?? '',
          from: identityOf(acc, data.from),
          to: parseAddresses(data.to).addresses,
          cc: parseAddresses(data.cc).addresses,
          date: now,
          size: copy.length,
          flags: ['\\Seen'],
          hasAttachments: !!data.attachments?.length,
          inReplyTo: data.inReplyTo,
          references: data.references,
          bodyBlob: copyBlob,
        });
        store.outbox.setLocalMessage(r.accountId, r.messageId, localSentId);
      }
      drafts.removeEntry(draftEntry);
      store.drafts.delete(r.draftId);
    });
    await store.flush();
    const result: SendResult = { ...r, ok: true, sentFolder: sent?.path, localSentId };
    const warnings: string[] = [];
    // The rest happens after the message went out; a failure here is a warning, not a failed send.
    try {
      result.sentCopy = sent ? await this.ensureSentCopy(r.accountId, sent, r.messageId, copy) : 'none';
      // A copy saved since: the last failure is history, not the state of this account.
      if (result.sentCopy === 'appended' || result.sentCopy === 'server') store.setSetting(sentCopyFailureKey(r.accountId), '');
    } catch (e) {
      // Not lost: the tasks job saves it once the server takes it (sentCopyTask.ts), across restarts.
      const err = toMailError(e);
      const learnt = store.getSetting(sentCopySettingKey(r.accountId));
      // A server that may keep its own copy gets the time to save it before we would append one.
      const wait = acc.config.saveSentCopy === 'always' || learnt === 'client' ? undefined : now + Math.max(0, ...this.o.sentCheckDelaysMs);
      store.tx(() => queueSentCopy(store, r.accountId, { messageId: r.messageId, blob: copyBlob, folderPath: sent!.path, sentAt: now }, sentCopyError(err), wait));
      await store.flush();
      result.sentCopy = 'queued';
      warnings.push(`the copy in ${sent?.path} could not be saved yet (${err.message}); MailDesk saves it there as soon as the server takes it. The message was sent`);
    }
    if (sent && !sent.selected) {
      await this.d.selectFolder(r.accountId, sent.path).catch(() => undefined);
    }
    await this.removeServerDraft(r.accountId, r.messageId).catch((e: unknown) => warnings.push(`the draft could not be removed from the server: ${toMailError(e).message}`));
    if (warnings.length) {
      result.warning = warnings.join('; ');
      this.d.logger.log('warn', result.warning, { account: r.accountId });
    }
    return result;
  }

  private async removeServerDraft(accountId: string, messageId: string): Promise<void> {
    const folders = this.d.store.listFolders(accountId);
    const f = resolveDraftsFolder(folders);
    if (f) await this.d.drafts.deleteServerCopies(accountId, f.path, messageId, undefined, false);
  }

  /**
   * auto: look for the server's own copy (a short wait, a couple of tries) and append
   * ours only when none came; the answer is remembered so later sends do not wait.
   * always: append ours. Either way never a second copy: Sent is searched by Message-ID first.
   */
  private async ensureSentCopy(accountId: string, sent: FolderRow, messageId: string, copy: Buffer): Promise<SentCopy> {
    const { store } = this.d;
    const acc = store.getAccount(accountId)!;
    const mode = acc.config.saveSentCopy ?? 'auto';
    if (mode === 'never') return 'none';
    const p = this.d.provider(accountId);
    if (!p.findByMessageId || !p.appendMessage) return 'none';
    const key = sentCopySettingKey(accountId);
    const learnt = store.getSetting(key);
    const there = async () => (await p.findByMessageId!(sent.path, messageId)).length > 0;
    if (mode === 'auto') {
      if (learnt === 'server') return 'server';
      if (learnt !== 'client') {
        const caps = await p.capabilities().catch(() => undefined);
        if (caps?.savesSentCopy === 'yes') {
          store.setSetting(key, 'server');
          return 'server';
        }
        for (const ms of this.o.sentCheckDelaysMs) {
          await sleep(ms);
          if (await there()) {
            store.setSetting(key, 'server');
            this.d.logger.log('info', `the outgoing server saves its own copy in ${sent.path}; MailDesk will not append one`, { account: accountId });
            return 'server';
          }
        }
        store.setSetting(key, 'client');
        this.d.logger.log('info', `the outgoing server keeps no copy of sent mail; MailDesk appends one to ${sent.path}`, { account: accountId });
      }
    }
    if (await there()) return 'server';
    await p.appendMessage(sent.path, copy, ['\\Seen']);
    return 'appended';
  }
}
