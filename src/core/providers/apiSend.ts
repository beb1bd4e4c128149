/**
 * What the API providers (Gmail, Graph) share when they hand a message over: the size
 * check before anything goes out, the "may have been sent" failure of a request that left
 * and got no clear answer, and the reply headers of a raw message.
 */
import { MailError } from '../errors';

/** Bytes as the providers' documentation writes limits ("35 MB"). */
export function megabytes(n: number): string {
  const mb = n / (1024 * 1024);
  return `${mb >= 10 ? Math.round(mb) : Math.round(mb * 10) / 10} MB`;
}

/** The message is over the provider's documented limit: refused here, before any request. */
export function tooLargeError(who: string, size: number, limit: number, what = 'a message'): MailError {
  const said = megabytes(size) === megabytes(limit) ? `slightly over ${megabytes(limit)}` : megabytes(size);
  return new MailError('send.tooLarge', `${who} accepts ${what} of at most ${megabytes(limit)}; this one is ${said}`, { retryable: false });
}

/**
 * The request went out whole and the answer was a timeout, a dropped connection or a 5xx:
 * the provider may have accepted it. Never retried automatically (a second copy would be
 * delivered); the sender records "may have been sent" and the user decides, as for SMTP.
 */
export function maybeSentError(who: string, cause: MailError): MailError & { dataSent: true } {
  const e = new MailError(
    'send.tempFailure',
    `${who} did not confirm the message after it was handed over (${cause.message}), so it may have been sent; check Sent before sending it again`,
    { cause, providerMessage: cause.providerMessage, retryable: false },
  );
  return Object.assign(e, { dataSent: true as const });
}

/** True for failures after which the provider may have acted on the request. */
export function mayHaveArrived(e: MailError): boolean {
  return e.code === 'server.unavailable' || e.code === 'net.timeout' || e.code === 'net.reset';
}

/** The header block of a raw message, folded lines joined. */
export function headerBlock(raw: Buffer): string {
  const text = raw.subarray(0, Math.min(raw.length, 256 * 1024)).toString('latin1');
  const end = text.search(/\r?\n\r?\n/);
  return (end >= 0 ? text.slice(0, end) : text).replace(/\r?\n[ \t]+/g, ' ');
}

/** One header's value (the first), or undefined. */
export function headerValue(raw: Buffer, name: string): string | undefined {
  const re = new RegExp(`^${name}:[ \\t]*(.*)$`, 'im');
  return re.exec(headerBlock(raw))?.[1]?.trim();
}

/** The Message-IDs a reply or forward points to: References in order, then In-Reply-To. */
export function replyIds(raw: Buffer): string[] {
  const ids = [...(headerValue(raw, 'References') ?? '').matchAll(/<[^<>\s]+>/g)].map((m) => m[0]);
  const irt = /<[^<>\s]+>/.exec(headerValue(raw, 'In-Reply-To') ?? '')?.[0];
  if (irt && !ids.includes(irt)) ids.push(irt);
  return ids;
}
