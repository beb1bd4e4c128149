/**
 * `maildesk show --account ID --folder PATH --uid N [--json]`: prints one synced message,
 * headers and text, fetching (and keeping) its body like opening it in the reader does.
 * It does not mark the message read. Exit 0 shown, 1 failed, 2 usage.
 */
import { connectCli, findAccount, loadConfig } from '../openCore';
import { toMailError } from '../../core/errors';
import type { EngineClient } from '../../engine/client';
import { formatAddress as formatParsedAddress, formatSize } from '../../core/threads/page';
import type { AddressWire } from '../../shared/protocol/engine';
import type { CommandIo } from './render';

const formatAddress = (a: AddressWire): string => formatParsedAddress({ name: a.name ?? '', address: a.address });

export interface ShowArgs {
  config: string;
  dataDir: string;
  account?: string;
  folder?: string;
  uid?: string | number;
  json: boolean;
  verbose?: boolean;
}

export async function showCommand(args: ShowArgs, io: CommandIo): Promise<number> {
  const uid = Number(args.uid);
  if (!args.account || !args.folder || !Number.isSafeInteger(uid) || uid < 1) {
    io.err('maildesk show: --account ID, --folder PATH and --uid N are required. Run `maildesk --help` for usage.\n');
    return 2;
  }
  let core: EngineClient | undefined;
  try {
    const cfg = loadConfig(args.config);
    const acc = findAccount(cfg, args.account!);
    core = await connectCli(cfg, { dataDir: args.dataDir, err: io.err, verbose: args.verbose });
    const p = await core.request('messages/open', { accountId: acc.id, folderPath: args.folder, uid });
    const atts = p.attachments;
    if (args.json) {
      io.out(
        JSON.stringify(
          {
            uid,
            messageId: p.messageId,
            subject: p.subject,
            from: p.from ? formatAddress(p.from) : null,
            to: p.to.map(formatAddress),
            cc: p.cc.map(formatAddress),
            date: p.date,
            flags: p.flags,
            text: p.text ?? '',
            attachments: atts.map((a) => ({ filename: a.filename, mimeType: a.mimeType, size: a.size })),
            remoteBlocked: p.remoteBlocked,
          },
          null,
          2,
        ) + '\n',
      );
    } else {
      const line = (k: string, v: string): void => {
        if (v) io.out(`${k}: ${v}\n`);
      };
      line('From', p.from ? formatAddress(p.from) : '');
      line('To', p.to.map(formatAddress).join(', '));
      line('Cc', p.cc.map(formatAddress).join(', '));
      line('Date', p.date ? new Date(p.date).toUTCString() : '');
      line('Subject', p.subject);
      line('Attachments', atts.map((a) => `${a.filename} (${formatSize(a.size)})`).join(', '));
      io.out(`\n${(p.text ?? '').replace(/\r\n/g, '\n').trimEnd()}\n`);
    }
    return 0;
  } catch (e) {
    io.err(`maildesk show: ${toMailError(e).describe()}\n`);
    return 1;
  } finally {
    await core?.close();
  }
}
