/**
 * The decisions of the send pipeline as plain functions, so each is tested on its own:
 * which folder is Sent (and Drafts), what an SMTP failure means, and whether trying
 * again is safe.
 */
import type { AccountConfig } from '../config';
import { MailError, toMailError } from '../errors';
import type { FolderRow } from '../store/store';
import { smtpAuthError } from '../providers/imap/smtp';

export const SENT_NAMES = ['sent', 'sent items', 'sent mail', 'sent messages', 'sent-mail'];
const DRAFT_NAMES = ['drafts', 'draft'];

function lastSegment(f: FolderRow): string {
  const parts = f.delimiter ? f.path.split(f.delimiter) : [f.path];
  return parts[parts.length - 1].toLowerCase();
}

export function byName(folders: FolderRow[], names: string[]): FolderRow | undefined {
  const hits = folders.filter((f) => f.remoteExists && names.includes(lastSegment(f)));
  // "Sent" before "Archive/2019/Sent": the shallowest path is the account's own.
  hits.sort((a, b) => a.path.length - b.path.length || names.indexOf(lastSegment(a)) - names.indexOf(lastSegment(b)));
  return hits[0];
}

/**
 * The account's Sent folder: the configured `sentFolder`, else the server's \Sent
 * special-use folder, else the usual names. A missing mapping is an error with the fix.
 */
export function resolveSentFolder(account: AccountConfig, folders: FolderRow[]): FolderRow {
  const known = folders.filter((f) => f.remoteExists).map((f) => f.path);
  const list = known.length ? ` Folders on the server: ${known.join(', ')}` : '';
  if (account.sentFolder) {
    const want = account.sentFolder;
    const f = folders.find((x) => x.path === want) ?? folders.find((x) => x.path.toLowerCase() === want.toLowerCase());
    if (!f || !f.remoteExists) {
      throw new MailError(
        'folder.notFound',
        `the Sent folder "${want}" set for account "${account.id}" (sentFolder) does not exist on the server; set "sentFolder" to the folder where the provider keeps sent mail, or choose it in Select Folders for Sync.${list}`,
      );
    }
    return f;
  }
  const f = folders.find((x) => x.role === 'sent' && x.remoteExists) ?? byName(folders, SENT_NAMES);
  if (!f) {
    throw new MailError(
      'folder.notFound',
      `account "${account.id}" has no Sent folder (none is marked \\Sent and none is called Sent, Sent Items or Sent Mail); set "sentFolder" in the account configuration, or choose the Sent folder in Select Folders for Sync.${list}`,
    );
  }
  return f;
}

/** The Drafts folder, or undefined (drafts then live only locally, which loses nothing). */
export function resolveDraftsFolder(folders: FolderRow[]): FolderRow | undefined {
  return folders.find((x) => x.role === 'drafts' && x.remoteExists) ?? byName(folders, DRAFT_NAMES);
}

/** What one failed SMTP attempt means. */
export interface SendFailure {
  error: MailError;
  /** Trying again cannot send it twice and may help (4xx, connection trouble before DATA). */
  retry: boolean;
  /**
   * The whole message was handed over and the answer never came: the server may have
   * accepted it. Never resent automatically; the user decides.
   */
  maybeSent: boolean;
}

interface SmtpErrorShape {
  code?: string;
  command?: string;
  responseCode?: number;
  response?: string;
  /** Set by the provider when the connection failed after the message data was sent. */
  dataSent?: boolean;
}

export function classifySendError(e: unknown): SendFailure {
  // A provider's MailError with dataSent (Gmail / Graph: no answer after the request went out) may have been sent.
  if (e instanceof MailError) return { error: e, retry: false, maybeSent: (e as MailError & SmtpErrorShape).dataSent === true };
  const err = (e ?? {}) as SmtpErrorShape;
  const rc = typeof err.responseCode === 'number' ? err.responseCode : undefined;
  const said = (err.response ?? (e instanceof Error ? e.message : String(e))).trim();
  const opts = { cause: e, providerMessage: said };
  if (rc === undefined && err.dataSent) {
    return {
      error: new MailError(
        'net.reset',
        'the connection to the outgoing server was lost after the whole message was handed over, so it may have been sent; check Sent (or ask a recipient) before sending it again',
        { ...opts, retryable: false },
      ),
      retry: false,
      maybeSent: true,
    };
  }
  if (err.code === 'EAUTH' || rc === 535 || rc === 534 || rc === 530) {
    return { error: smtpAuthError(`the outgoing server rejected the login: ${said}`, opts), retry: false, maybeSent: false };
  }
  if (rc === 552 || rc === 523 || /size|too (large|big)/i.test(said) && (rc === undefined || rc >= 500)) {
    return { error: new MailError('send.tooLarge', `the outgoing server refused the message as too large: ${said}`, opts), retry: false, maybeSent: false };
  }
  if (rc !== undefined && rc >= 400 && rc < 500) {
    return { error: new MailError('send.tempFailure', `the outgoing server failed temporarily: ${said}`, { ...opts, retryable: true }), retry: true, maybeSent: false };
  }
  if (rc !== undefined && rc >= 500) {
    const what = err.command === 'RCPT TO' ? 'refused the recipients' : err.command === 'MAIL FROM' ? 'refused the sender' : 'refused the message';
    return { error: new MailError('send.rejected', `the outgoing server ${what}: ${said}`, { ...opts, retryable: false }), retry: false, maybeSent: false };
  }
  // nodemailer reports socket trouble as ESOCKET/ECONNECTION with the system error in the text.
  const sys = /\b(ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|ECONNRESET|EPIPE|EHOSTUNREACH|ENETUNREACH)\b/.exec(said)?.[1];
  const m =
    sys === 'ECONNREFUSED'
      ? new MailError('net.refused', `SMTP: connection refused (${said})`, opts)
      : sys === 'EHOSTUNREACH' || sys === 'ENETUNREACH'
        ? new MailError('net.refused', `SMTP: the server cannot be reached (${said})`, opts)
        : toMailError(sys ? Object.assign(new Error(said), { code: sys }) : e, 'SMTP');
  // Before DATA nothing was handed over, so a network failure is safe to try again.
  return { error: m, retry: m.code.startsWith('net.') && m.code !== 'net.tls', maybeSent: false };
}

/** Back-off before attempt `n` (1-based count of attempts already made). */
export function sendRetryDelay(attemptsSoFar: number, baseMs: number): number {
  return Math.min(baseMs * 2 ** (attemptsSoFar - 1), 60_000);
}
