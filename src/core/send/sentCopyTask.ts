/**
 * A Sent copy that could not be saved when the message went out (the IMAP server was down,
 * the connection dropped during APPEND, the server answered NO) becomes a task in the store:
 * the tasks job (src/core/sync/scheduler.ts) tries it again with back-off until the copy is
 * in Sent, across restarts. Never twice: every try first searches Sent for the Message-ID,
 * since a try whose answer was lost may have saved it, and a server that keeps its own copy
 * may have saved one meanwhile.
 */
import { MailError } from '../errors';
import type { Logger } from '../log';
import type { MailProvider } from '../providers/provider';
import type { MailStore, TaskRow } from '../store/store';
import { backoffDelay } from '../sync/backoff';
import { resolveSentFolder } from './rules';

export const SENT_COPY_TASK = 'sentCopy';

/** Waits between tries after the server refused the copy: from a minute, doubling, to an hour. */
const RETRY_BASE_MS = 60_000;
const RETRY_CAP_MS = 60 * 60_000;

export interface SentCopyPayload {
  /** The sent message's Message-ID (how Sent is searched before appending). */
  messageId: string;
  /** The message as sent, Bcc kept (the blob the local Sent entry shows too). */
  blob: string;
  /** The Sent folder when it was sent; the account's Sent folder at the time of the try wins. */
  folderPath: string;
  sentAt: number;
}

export function sentCopyPayload(task: TaskRow): SentCopyPayload | undefined {
  const p = task.payload;
  if (typeof p.messageId !== 'string' || typeof p.blob !== 'string') return undefined;
  return { messageId: p.messageId, blob: p.blob, folderPath: typeof p.folderPath === 'string' ? p.folderPath : '', sentAt: typeof p.sentAt === 'number' ? p.sentAt : task.createdAt };
}

/** How a failed try is kept on its task: the code, our words and the server's. */
export function sentCopyError(err: MailError): string {
  const said = err.providerMessage && !err.message.includes(err.providerMessage) ? `${err.message} (${err.providerMessage})` : err.message;
  return `${err.code}: ${said}`;
}

/** Records the copy as waiting (in the caller's transaction); `notBefore` delays the first try. */
export function queueSentCopy(store: MailStore, accountId: string, payload: SentCopyPayload, error: string, notBefore?: number): number {
  return store.jobs.enqueueTask(accountId, SENT_COPY_TASK, { ...payload }, { error, notBefore });
}

/** When to try again after the server refused the copy (attempt 1 = the first retry). */
export function sentCopyRetryDelay(attempt: number, random?: () => number): number {
  return Math.max(RETRY_BASE_MS / 2, backoffDelay(attempt, { baseMs: RETRY_BASE_MS, capMs: RETRY_CAP_MS, random }));
}

/**
 * What a try did: the copy was found in Sent, appended now, is not wanted any more, or can
 * never be saved (its file is gone from the data folder: `reason` says so).
 */
export type SentCopyOutcome = 'found' | 'appended' | 'notWanted' | 'lost';

/** One try. Throws when the server could not be reached or refused the copy (a MailError; `offline` for the first). */
export async function trySentCopy(store: MailStore, provider: MailProvider, task: TaskRow, logger: Logger): Promise<{ outcome: SentCopyOutcome; folder?: string; reason?: string }> {
  const p = sentCopyPayload(task);
  if (!p) return { outcome: 'lost', reason: `Sent copy task ${task.id} names no message to save` };
  const acc = store.getAccount(task.accountId);
  if (!acc) return { outcome: 'notWanted' };
  // Saving copies turned off since: the local entry stays, nothing is appended.
  if ((acc.config.saveSentCopy ?? 'auto') === 'never' || !provider.findByMessageId || !provider.appendMessage) return { outcome: 'notWanted' };
  const folder = resolveSentFolder(acc.config, store.listFolders(task.accountId)).path;
  if ((await provider.findByMessageId(folder, p.messageId)).length) {
    logger.log('info', `the copy of ${p.messageId} is in ${folder} already; nothing appended`, { account: task.accountId });
    return { outcome: 'found', folder };
  }
  const raw = store.blobs.get(p.blob);
  if (!raw?.length) return { outcome: 'lost', folder, reason: `the file of sent message ${p.messageId} is missing from the data folder, so its copy cannot be saved to ${folder}` };
  await provider.appendMessage(folder, raw, ['\\Seen']);
  logger.log('info', `saved the waiting copy of ${p.messageId} to ${folder}`, { account: task.accountId });
  return { outcome: 'appended', folder };
}

/**
 * The last copy that could not be saved and is no longer tried (its file is gone), as
 * Troubleshoot (sent.mapping) reads it; stores from before these tasks hold the last failure
 * of any kind here. The next copy saved clears it.
 */
export interface SentCopyFailure {
  messageId: string;
  folder: string;
  at: number;
  code: string;
  error: string;
}

export function sentCopyFailureKey(accountId: string): string {
  return `send.sentCopyFailed.${accountId}`;
}

export function readSentCopyFailure(store: MailStore, accountId: string): SentCopyFailure | undefined {
  const v = store.getSetting(sentCopyFailureKey(accountId));
  if (!v) return undefined;
  try {
    return JSON.parse(v) as SentCopyFailure;
  } catch {
    return undefined;
  }
}

/** A Sent copy still waiting, as Troubleshoot (sent.mapping) reports it. */
export interface WaitingSentCopy {
  messageId: string;
  folder: string;
  sentAt: number;
  attempts: number;
  /** Why the last try failed. */
  error: string | null;
  /** The next try, when it backs off (null: the next run of the tasks job). */
  nextTry: number | null;
}

export function waitingSentCopies(store: MailStore, accountId: string): WaitingSentCopy[] {
  return store.jobs.pendingTasksOfKind(accountId, SENT_COPY_TASK).flatMap((t) => {
    const p = sentCopyPayload(t);
    return p ? [{ messageId: p.messageId, folder: p.folderPath, sentAt: p.sentAt, attempts: t.attempts, error: t.error, nextTry: t.notBefore }] : [];
  });
}
