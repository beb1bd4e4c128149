/**
 * `maildesk send --account ID --to ADDR [--cc …] [--bcc …] --subject S (--body TEXT | --eml FILE) [--attach FILE …]`
 *
 * Sends like the extension does: the message is kept in Drafts until the server took it,
 * shown in Sent at once, and the exit code says what happened (0 sent, 1 not sent, 2 usage).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { MailError, toMailError } from '../../core/errors';
import type { EngineClient } from '../../engine/client';
import { connectCli, findAccount, loadConfig } from '../openCore';
import { parseAddresses } from '../../core/send/compose';
import type { SendResultWire } from '../../shared/protocol/engine';

export interface SendArgs {
  config: string;
  dataDir: string;
  account?: string;
  to: string[];
  cc: string[];
  bcc: string[];
  subject?: string;
  body?: string;
  eml?: string;
  attach: string[];
  json: boolean;
  /** Resend a message whose last attempt "may have been sent". */
  confirmResend?: boolean;
  verbose?: boolean;
}

export interface SendIo {
  out(s: string): void;
  err(s: string): void;
}

function usage(io: SendIo, msg: string): number {
  io.err(`maildesk send: ${msg}. Run \`maildesk --help\` for usage.\n`);
  return 2;
}

export async function sendCommand(args: SendArgs, io: SendIo): Promise<number> {
  if (!args.account) return usage(io, '--account ID is required');
  if (args.eml && (args.body !== undefined || args.attach.length)) return usage(io, '--eml sends a file as it is; it cannot be combined with --body or --attach');
  if (!args.eml) {
    if (!args.to.length && !args.cc.length && !args.bcc.length) return usage(io, 'at least one --to (or --cc / --bcc) is required');
    if (args.subject === undefined) return usage(io, '--subject is required');
    if (args.body === undefined) return usage(io, 'give the text with --body TEXT, or a whole message with --eml FILE');
    const bad = [args.to, args.cc, args.bcc].flatMap((l) => parseAddresses(l).invalid);
    if (bad.length) return usage(io, `not a valid email address: ${bad.join(', ')}`);
  }
  let core: EngineClient | undefined;
  try {
    const cfg = loadConfig(args.config);
    const acc = findAccount(cfg, args.account!);
    if (!acc.smtp && acc.provider === 'imap') throw new MailError('config.invalid', `account "${acc.id}" has no outgoing server; add "smtp" to it in ${args.config}`);
    let raw: Buffer | undefined;
    if (args.eml) {
      try {
        raw = fs.readFileSync(args.eml);
      } catch (e) {
        throw new MailError('config.invalid', `cannot read the message file ${args.eml}: ${(e as Error).message}`);
      }
    }
    for (const a of args.attach) if (!fs.existsSync(a)) throw new MailError('config.invalid', `the attachment ${a} does not exist`);
    core = await connectCli(cfg, { dataDir: args.dataDir, err: io.err, verbose: args.verbose });
    const r: SendResultWire = await core.request('mail/send', {
      accountId: acc.id,
      input: raw ? { rawBase64: raw.toString('base64') } : { draft: { to: args.to, cc: args.cc, bcc: args.bcc, subject: args.subject, text: args.body, attachments: args.attach.map((p) => ({ path: path.resolve(p) })) } },
      confirmResend: args.confirmResend,
    });
    if (args.json) {
      io.out(
        JSON.stringify(
          {
            ok: r.ok,
            messageId: r.messageId,
            attempts: r.attempts,
            accepted: r.accepted,
            rejected: r.rejected,
            sentFolder: r.sentFolder ?? null,
            sentCopy: r.sentCopy ?? null,
            warning: r.warning ?? null,
            maybeSent: r.maybeSent ?? false,
            draftId: r.ok ? null : r.draftId,
            error: r.error ? { code: r.error.code, message: r.error.message, remedy: r.error.remedy } : null,
          },
          null,
          2,
        ) + '\n',
      );
    } else if (r.ok) {
      io.out(`Sent ${r.messageId} to ${r.accepted.join(', ')}${r.sentFolder ? `; in ${r.sentFolder}` : ''}${r.sentCopy === 'appended' ? ' (copy saved by MailDesk)' : r.sentCopy === 'server' ? ' (copy saved by the server)' : ''}.\n`);
      if (r.rejected.length) io.err(`maildesk: the server refused these recipients: ${r.rejected.join(', ')}\n`);
    }
    if (r.warning && !args.json) io.err(`maildesk: ${r.warning}\n`);
    if (!r.ok) {
      const e = r.error!;
      io.err(`maildesk: not sent: ${e.message}. ${e.remedy}${r.maybeSent ? ' (resend with --confirm-resend once you are sure it did not go out)' : ''}\n`);
      return 1;
    }
    return 0;
  } catch (e) {
    const err = toMailError(e);
    if (args.json) io.out(JSON.stringify({ ok: false, error: { code: err.code, message: err.message, remedy: err.remedy } }) + '\n');
    io.err(`maildesk: ${err.describe()}\n`);
    return err.code.startsWith('config.') ? 2 : 1;
  } finally {
    if (core) await core.close().catch(() => undefined);
  }
}
