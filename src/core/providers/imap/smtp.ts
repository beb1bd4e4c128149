/**
 * The SMTP side of a classic account: one nodemailer SMTPConnection per session, with the
 * limits of src/core/limits.ts, and AUTH only where it means something. A relay (a local MTA,
 * many company smarthosts) offers no AUTH and answers "500 command not recognized" to it; an
 * account may also have no SMTP user at all. Either way the session goes on without a login.
 */
import SMTPConnection from 'nodemailer/lib/smtp-connection';
import type { ServerConfig } from '../../config';
import { MailError } from '../../errors';
import { resolveLimits, type ConnectionLimits } from '../../limits';

/** The fix for a refused SMTP login: the outgoing server's own test, not the incoming one. */
export const SMTP_AUTH_REMEDY =
  'Check the outgoing server\'s user name and password (a recently changed password must be entered again; a relay that needs no login: leave the SMTP user empty), then use Test Outgoing Server';

export function smtpConnection(s: ServerConfig, limits?: Partial<ConnectionLimits>): SMTPConnection {
  const l = resolveLimits(limits);
  return new SMTPConnection({
    host: s.host,
    port: s.port,
    secure: s.security === 'tls',
    requireTLS: s.security === 'starttls',
    ignoreTLS: s.security === 'none',
    tls: { rejectUnauthorized: !s.allowInvalidCertificate },
    connectionTimeout: l.connectMs,
    greetingTimeout: l.greetingMs,
    socketTimeout: l.smtpSocketMs,
  });
}

export function connectSmtp(conn: SMTPConnection): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const onError = (e: Error): void => reject(e);
    conn.once('error', onError);
    conn.connect(() => {
      conn.removeListener('error', onError);
      resolve();
    });
  });
}

/** How a session was authorised: logged in, or why it goes on without AUTH. */
export type SmtpAuthOutcome = 'login' | 'noUser' | 'notOffered';

/**
 * Logs in when the account has an SMTP user and the server offers AUTH; otherwise goes on
 * without (the server then decides whether it relays). `password` is asked for only when used.
 */
export async function smtpLogin(conn: SMTPConnection, s: ServerConfig, password: () => Promise<string>): Promise<SmtpAuthOutcome> {
  if (!s.user) return 'noUser';
  if (!conn.allowsAuth) return 'notOffered';
  const pass = await password();
  await new Promise<void>((resolve, reject) => conn.login({ credentials: { user: s.user, pass } }, (err) => (err ? reject(err) : resolve())));
  return 'login';
}

export function describeSmtpAuth(outcome: SmtpAuthOutcome, s: ServerConfig): string {
  if (outcome === 'login') return `logged in as ${s.user}`;
  if (outcome === 'noUser') return 'no SMTP user is set: sending without login (the server decides whether it relays)';
  return `the server offers no AUTH: sending without login${s.user ? ` (the SMTP user ${s.user} is not used)` : ''}`;
}

/** A refused SMTP login, with the remedy that names the outgoing server's test. */
export function smtpAuthError(message: string, opts: { cause?: unknown; providerMessage?: string }): MailError {
  return new MailError('auth.failed', message, { ...opts, retryable: false, remedy: SMTP_AUTH_REMEDY });
}
