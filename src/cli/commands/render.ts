/**
 * `maildesk render FILE.eml [--allow-remote]`: prints the message as the thread view shows
 * it (same parser, sanitiser and page builder), as a standalone HTML page whose CSP lets no
 * script run and, without --allow-remote, no request leave. Exit 0 rendered, 1 unreadable, 2 usage.
 */
import * as fs from 'node:fs';
import { toMailError } from '../../core/errors';
import { renderEmlPage } from '../../core/threads/view';

export interface RenderArgs {
  file?: string;
  allowRemote: boolean;
}

export interface CommandIo {
  out(s: string): void;
  err(s: string): void;
}

export async function renderCommand(args: RenderArgs, io: CommandIo): Promise<number> {
  if (!args.file) {
    io.err('maildesk render: give the message file: maildesk render FILE.eml [--allow-remote]\n');
    return 2;
  }
  let raw: Buffer;
  try {
    raw = fs.readFileSync(args.file);
  } catch (e) {
    io.err(`maildesk render: cannot read ${args.file}: ${(e as Error).message}\n`);
    return 1;
  }
  try {
    const { html, blocked } = await renderEmlPage(raw, args.allowRemote);
    io.out(html);
    if (blocked && !args.allowRemote) io.err(`maildesk render: ${blocked} remote item(s) blocked; --allow-remote loads remote images.\n`);
    return 0;
  } catch (e) {
    io.err(`maildesk render: ${toMailError(e, 'rendering').describe()}\n`);
    return 1;
  }
}
