import { DeadlineError } from '../deadline';
import { MailError, toMailError } from '../errors';

/** Like toMailError, but keeps a deadline's own words ("… no answer within 15 s"). */
export function diagnosticError(e: unknown, context: string): MailError {
  if (e instanceof DeadlineError) return new MailError('net.timeout', e.message, { cause: e });
  return toMailError(e, context);
}
