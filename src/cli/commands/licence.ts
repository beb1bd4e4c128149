/**
 * `maildesk licence status` (the key in MAILDESK_LICENCE_KEY) and `maildesk licence verify KEY`:
 * the same offline verification as the extension, with the same messages.
 * Exit 0 valid Pro licence (or, for status, none: Basic), 1 not valid, 2 usage.
 */
import { LICENCE_ENV, verifyLicence, type LicenceStatus } from '../../core/licence/licence';
import type { CommandIo } from './render';

export interface LicenceArgs {
  /** "status" or "verify". */
  sub?: string;
  key?: string;
  json?: boolean;
  env?: NodeJS.ProcessEnv;
  now?: number;
  /** Tests: the test key pair's public key. */
  publicKey?: string;
}

function print(s: LicenceStatus, io: CommandIo, json: boolean): void {
  if (json) {
    const { key: _key, ...rest } = s;
    io.out(`${JSON.stringify({ ...rest, edition: s.pro ? 'Pro' : 'Basic' }, null, 2)}\n`);
    return;
  }
  io.out(`MailDesk ${s.pro ? 'Pro' : 'Basic'}: ${s.message}\n`);
  if (s.remedy) io.out(`${s.remedy}\n`);
}

export async function licenceCommand(args: LicenceArgs, io: CommandIo): Promise<number> {
  const opts = { publicKey: args.publicKey, now: args.now };
  if (args.sub === 'status') {
    const s = verifyLicence((args.env ?? process.env)[LICENCE_ENV], opts);
    print(s, io, !!args.json);
    return s.pro || s.state === 'none' ? 0 : 1;
  }
  if (args.sub === 'verify') {
    if (!args.key) {
      io.err('maildesk licence verify: give the key: maildesk licence verify KEY\n');
      return 2;
    }
    const s = verifyLicence(args.key, opts);
    print(s, io, !!args.json);
    return s.pro ? 0 : 1;
  }
  io.err(`maildesk licence: use "status" (reads ${LICENCE_ENV}) or "verify KEY"\n`);
  return 2;
}
