/**
 * `maildesk archive|delete|move|flag|mark`: the thread view's triage actions from a shell,
 * through the engine's triage requests (MailDesk.applyAction / markAllRead). The local step is
 * taken, then carried to the server at once; the exit code says whether the server took it.
 *
 *   maildesk archive --account ID (--folder PATH --uid N[,N…] | --message-id ID [--folder PATH])
 *   maildesk delete  … [--permanent]          to Trash; --permanent removes for good
 *   maildesk move    … --to PATH
 *   maildesk flag    … [--off]
 *   maildesk mark read|unread|spam|not-spam …
 *   maildesk mark all-read --account ID --folder PATH
 *
 * Exit 0 done (here and on the server), 1 failed or not carried to the server, 2 usage.
 */
import { connectCli, findAccount, loadConfig } from '../openCore';
import { toMailError } from '../../core/errors';
import type { EngineClient } from '../../engine/client';
import type { MessageKey, TriageAction, TriageResult } from '../../core/triage/triage';
import type { CommandIo } from './render';

export const TRIAGE_COMMANDS = ['archive', 'delete', 'move', 'flag', 'mark'] as const;

export interface TriageArgs {
  command: string;
  sub?: string;
  config: string;
  dataDir: string;
  account?: string;
  folder?: string;
  uid?: string;
  messageId?: string;
  to?: string;
  permanent?: boolean;
  off?: boolean;
  json: boolean;
  verbose?: boolean;
}

class Usage extends Error {}

function actionOf(a: TriageArgs): TriageAction | 'all-read' {
  switch (a.command) {
    case 'archive':
      return { kind: 'archive' };
    case 'delete':
      return { kind: 'delete', permanent: a.permanent === true };
    case 'move':
      if (!a.to) throw new Usage('move needs --to PATH (the target folder)');
      return { kind: 'move', toPath: a.to };
    case 'flag':
      return { kind: a.off ? 'unflag' : 'flag' };
    case 'mark': {
      const kinds: Record<string, TriageAction | 'all-read'> = {
        read: { kind: 'read' },
        unread: { kind: 'unread' },
        spam: { kind: 'junk' },
        'not-spam': { kind: 'notJunk' },
        'all-read': 'all-read',
      };
      const k = a.sub ? kinds[a.sub] : undefined;
      if (!k) throw new Usage('mark needs one of: read, unread, spam, not-spam, all-read');
      return k;
    }
    default:
      throw new Usage(`unknown command "${a.command}"`);
  }
}

/** The messages named on the command line, as the engine's triage keys. */
function findMessages(core: EngineClient, accountId: string, a: TriageArgs): Promise<MessageKey[]> {
  if (a.uid !== undefined) {
    if (!a.folder) throw new Usage('--uid needs --folder PATH');
    const uids = a.uid.split(',').map((s) => Number(s.trim()));
    if (!uids.length || uids.some((u) => !Number.isSafeInteger(u) || u < 1)) throw new Usage('--uid takes positive whole numbers, comma-separated');
    return core.request('triage/find', { accountId, folderPath: a.folder, uids });
  }
  if (a.messageId) return core.request('triage/find', { accountId, folderPath: a.folder, messageId: a.messageId });
  throw new Usage('name the message: --folder PATH --uid N, or --message-id ID');
}

export async function triageCommand(a: TriageArgs, io: CommandIo): Promise<number> {
  const name = `maildesk ${a.command}${a.sub ? ` ${a.sub}` : ''}`;
  let core: EngineClient | undefined;
  try {
    if (!a.account) throw new Usage('--account ID is required');
    const action = actionOf(a);
    const cfg = loadConfig(a.config);
    const acc = findAccount(cfg, a.account);
    if (action === 'all-read' && !a.folder) throw new Usage('mark all-read needs --folder PATH');
    core = await connectCli(cfg, { dataDir: a.dataDir, err: io.err, verbose: a.verbose });
    const since = await core.request('triage/lastTaskId', {});
    let r: TriageResult;
    if (action === 'all-read') r = await core.request('triage/markAllRead', { accountId: acc.id, folderPath: a.folder! });
    else r = await core.request('triage/apply', { keys: await findMessages(core, acc.id, a), action });
    if (!r.ok) {
      // Only a delete for good stops here: the shell has no dialog, so the flag is the confirmation.
      const msg = `${r.confirm ?? 'nothing was done'} Add --permanent to confirm.`;
      if (a.json) io.out(JSON.stringify({ ok: false, action: r.kind, count: 0, confirm: r.confirm }) + '\n');
      io.err(`${name}: ${msg}\n`);
      return 1;
    }
    const server = r.count ? await core.request('triage/push', { accountId: acc.id, sinceTaskId: since }) : { done: 0, pending: 0, failed: [] };
    const ok = server.failed.length === 0 && server.pending === 0;
    if (a.json) {
      io.out(JSON.stringify({ ok, action: r.kind, count: r.count, label: r.label, moved: r.moved, server }, null, 2) + '\n');
    } else {
      io.out(`${r.label}.${r.count ? (ok ? ' Done on the server.' : '') : ' (Nothing to change.)'}\n`);
    }
    if (!ok) {
      const why = server.failed.map((f) => `${f.kind}: ${f.error}`).join('; ') || `${server.pending} change(s) still waiting`;
      io.err(`${name}: changed on this computer, but not yet on the server (${why}). It is retried on the next \`maildesk sync\`.\n`);
    }
    return ok ? 0 : 1;
  } catch (e) {
    if (e instanceof Usage) {
      io.err(`${name}: ${e.message}. Run \`maildesk --help\` for usage.\n`);
      return 2;
    }
    const err = toMailError(e);
    if (a.json) io.out(JSON.stringify({ ok: false, error: { code: err.code, message: err.message } }) + '\n');
    io.err(`${name}: ${err.describe()}\n`);
    return err.code.startsWith('config.') ? 2 : 1;
  } finally {
    await core?.close();
  }
}
