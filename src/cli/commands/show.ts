/**
 * `maildesk show --account ID --folder PATH --uid N [--json]`: prints one synced message,
 * headers and text, fetching (and keeping) its body like opening it in the reader does.
 * It does not mark the message read. Exit 0 shown, 1 failed, 2 usage.
 */
import { findAccount, loadConfig, openCliCore } from '../openCore';
import { MailError, toMailError } from '../../core/errors';
import type { MailDesk } from '../../core/maildesk';
import { formatAddress, formatSize } from '../../core/threads/page';
import { openMessage } from '../../core/threads/reading';
import type { CommandIo } from './render';

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
  let core: MailDesk | undefined;
  try {
    const cfg = loadConfig(args.config);
    const acc = findAccount(cfg, args.account!);
    core = await openCliCore(cfg, { dataDir: args.dataDir, err: io.err, verbose: args.verbose });
    const folder = core.store.getFolder(acc.id, args.folder);
    if (!folder) throw new MailError('folder.notFound', `account "${acc.id}" has no synced folder "${args.folder}" (run \`maildesk sync --once\` first, or check \`maildesk folders\`)`);
    const row = core.store.getMessageByUid(folder.id, uid);
    if (!row) throw new MailError('folder.notFound', `no message with UID ${uid} in ${args.folder} on this computer (run \`maildesk sync --once\`, or \`maildesk list\` for UIDs)`);
    const { rendered } = await openMessage(core, row.id, folder.id, { allowRemote: false });
    const p = rendered.parsed;
    const atts = p.attachments.filter((a) => !a.inline || !a.contentId);
    if (args.json) {
      io.out(
        JSON.stringify(
          {
            uid,
            messageId: p.messageId ?? row.messageId,
            subject: p.subject,
            from: p.from ? formatAddress(p.from) : null,
            to: p.to.map(formatAddress),
            cc: p.cc.map(formatAddress),
            date: p.date ? p.date.toISOString() : null,
            flags: row.flags,
            text: p.text ?? '',
            attachments: atts.map((a) => ({ filename: a.filename, mimeType: a.mimeType, size: a.size })),
            remoteBlocked: rendered.blockedCount,
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
      line('Date', p.date ? p.date.toUTCString() : '');
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
