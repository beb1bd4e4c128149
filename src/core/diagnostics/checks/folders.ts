/**
 * Folder checks: the "0 emails" case (mail on the server in a folder that is not selected,
 * or a selected folder that is gone) and the Sent mapping. Both read the server's folder
 * list when the server answers, and the list from the last sync when it does not.
 */
import * as l10n from '@vscode/l10n';
import { describeError } from '../../errors';
import { readSentCopyFailure, sentCopySettingKey } from '../../send/sender';
import { type WaitingSentCopy, waitingSentCopies } from '../../send/sentCopyTask';
import { defaultSelection } from '../../sync/scheduler';
import type { FolderRole } from '../../store/store';
import { accountTarget, type Check, type CheckContext, type CheckResult } from '../check';

interface FolderView {
  path: string;
  role: FolderRole | null;
  specialUse: string | null;
  total: number | null;
  selected: boolean;
  /** Known to the store (false: only seen on the server now). */
  known: boolean;
}

interface FolderList {
  folders: FolderView[];
  /** Selected in the store but not on the server. */
  gone: string[];
  fromServer: boolean;
  note: string;
}

async function folderList(ctx: CheckContext): Promise<FolderList | undefined> {
  const { store, account } = ctx;
  const stored = store.listFolders(account.id);
  const byPath = new Map(stored.map((f) => [f.path, f]));
  const remote = await ctx.remoteFolders();
  if (remote.ok) {
    const isDefault = defaultSelection(account.config);
    const live = remote.folders.filter((f) => !f.noSelect);
    const paths = new Set(live.map((f) => f.path));
    return {
      folders: live.map((f) => {
        const row = byPath.get(f.path);
        return {
          path: f.path,
          role: f.role,
          specialUse: f.specialUse,
          total: f.total ?? row?.remoteTotal ?? null,
          selected: row ? row.selected : isDefault(f),
          known: !!row,
        };
      }),
      gone: stored.filter((f) => f.selected && !paths.has(f.path)).map((f) => f.path),
      fromServer: true,
      note: '',
    };
  }
  if (!stored.length) return undefined;
  return {
    folders: stored.filter((f) => f.remoteExists).map((f) => ({ path: f.path, role: f.role, specialUse: f.specialUse, total: f.remoteTotal, selected: f.selected, known: true })),
    gone: stored.filter((f) => f.selected && !f.remoteExists).map((f) => f.path),
    fromServer: false,
    note: ` (from the folder list of the last sync: the server could not be asked now: ${remote.error.message})`,
  };
}

/** Trash and Junk are commonly left out on purpose; mail there is not "missing". */
const IGNORABLE: Array<FolderRole | null> = ['trash', 'junk'];

export const foldersSelection: Check = {
  id: 'folders.selection',
  get title() {
    return l10n.t('Folders selected for sync');
  },
  section: 'A folder shows "0 emails"',
  async run(ctx) {
    const list = await folderList(ctx);
    if (!list) return [{ status: 'skip', detail: l10n.t('the server could not be reached and no folder list is known yet (see incoming.connect)') }];
    const unselected = list.folders.filter((f) => !f.selected && (f.total ?? 0) > 0 && !IGNORABLE.includes(f.role));
    const problems: string[] = [];
    if (unselected.length) {
      problems.push(`${unselected.length} folder(s) hold mail on the server but are not selected for sync, so they show 0 emails: ${unselected.map((f) => `"${f.path}" (${f.total} messages)`).join(', ')}`);
    }
    if (list.gone.length) problems.push(`selected folder(s) no longer on the server: ${list.gone.map((p) => `"${p}"`).join(', ')}`);
    const selected = list.folders.filter((f) => f.selected);
    if (problems.length) {
      return [
        {
          status: 'warn',
          detail: problems.join('; ') + list.note,
          remedy: `A folder only fills when it is selected: open Select Folders for Sync (Mailboxes view, on the account) and select the folders you want to see${list.gone.length ? `; ${describeError('folder.notFound').remedy.toLowerCase()}` : ''}. Confirm in your webmail that the folder actually contains messages.`,
          action: { title: l10n.t('Select Folders for Sync'), command: 'maildesk.selectFolders', args: [accountTarget(ctx.account.id)] },
        },
      ];
    }
    return [
      {
        status: 'pass',
        detail: l10n.t('{0} of {1} folders selected ({2}); no unselected folder holds mail{3}', selected.length, list.folders.length, selected.map((f) => f.path).join(', ') || 'none', list.note),
      },
    ];
  },
};

const SENT_NAMES = ['sent', 'sent items', 'sent mail', 'sent messages'];

function leaf(path: string): string {
  return path.split(/[/.]/).pop()!.toLowerCase();
}

/** Codes of a server that could not be reached or answered "try later": the copies go once it is back. */
function isTransient(error: string | null): boolean {
  return !error || /^(net\.|server\.unavailable|server\.rateLimited)/.test(error);
}

/**
 * Sent copies that could not be saved when their messages went out and wait as tasks
 * (src/core/send/sentCopyTask.ts): how many, since when, why the last try failed, the next try.
 */
function waitingCopies(ctx: CheckContext, waiting: WaitingSentCopy[], about: string): CheckResult {
  const n = waiting.length;
  const oldest = waiting[0];
  const last = waiting.reduce((a, w) => (w.attempts >= a.attempts ? w : a), oldest);
  const folders = [...new Set(waiting.map((w) => w.folder))].map((f) => `"${f}"`).join(', ');
  const tries = waiting.reduce((a, w) => a + w.attempts, 0);
  const next = waiting.map((w) => w.nextTry).filter((t): t is number => t !== null);
  const when = next.length ? `next try ${new Date(Math.min(...next)).toISOString()}` : 'next try at the next run of the tasks job';
  const detail =
    `the copy of ${n === 1 ? '1 sent message' : `${n} sent messages`} could not be saved to ${folders} yet and ${n === 1 ? 'waits' : 'wait'} to be saved ` +
    `(oldest ${oldest.messageId}, sent ${new Date(oldest.sentAt).toISOString()}; ${tries} ${tries === 1 ? 'try' : 'tries'} since, ${when}): ${last.error ?? 'not tried yet'}. ` +
    `The messages were sent; Sent shows them as local entries until their copies are saved, each exactly once. ${about}`;
  const action = { title: l10n.t('Test Incoming Server'), command: 'maildesk.testIncoming', args: [accountTarget(ctx.account.id)] };
  if (isTransient(last.error)) {
    return {
      status: 'warn',
      detail,
      remedy: l10n.t('Nothing is lost: MailDesk saves the copies by itself as soon as the incoming server answers again (Refresh tries at once). If it stays unreachable, run Test Incoming Server and check your connection and the server settings.'),
      action,
    };
  }
  if (/^(auth\.|config\.missingPassword)/.test(last.error ?? '')) {
    return {
      status: 'fail',
      detail,
      remedy: l10n.t('The incoming server did not accept the sign-in: fix the password or sign in again (see the sign-in checks above); MailDesk then saves the copies by itself, each once.'),
      action,
    };
  }
  return {
    status: 'fail',
    detail,
    remedy: l10n.t('The server refuses the copies: check that {0} exists on the server and accepts new messages (try moving a message there in webmail, and check your mailbox quota), then run Test Incoming Server. MailDesk keeps trying, at most an hour apart, and saves each copy once.', folders),
    action,
  };
}

export const sentMapping: Check = {
  id: 'sent.mapping',
  get title() {
    return l10n.t('Sent folder mapping');
  },
  section: 'Check the correct Sent folder',
  async run(ctx) {
    const cfg = ctx.account.config;
    const list = await folderList(ctx);
    if (!list) return [{ status: 'skip', detail: l10n.t('the server could not be reached and no folder list is known yet (see incoming.connect)') }];
    const action = { title: l10n.t('Select Folders for Sync'), command: 'maildesk.selectFolders', args: [accountTarget(ctx.account.id)] };
    // Graph names its Sent Items folder (well-known name "sentitems") and Gmail its SENT label:
    // their role is the provider's own word, not a guess from the name.
    const special = list.folders.find((f) => f.specialUse === '\\Sent') ?? (cfg.provider !== 'imap' ? list.folders.find((f) => f.role === 'sent') : undefined);
    const marked = cfg.provider === 'imap' ? 'marked \\Sent by the server' : "the provider's own Sent folder";
    const byName = list.folders.find((f) => SENT_NAMES.includes(leaf(f.path)));
    const configured = cfg.sentFolder;
    const mapped = configured ? list.folders.find((f) => f.path === configured) : special ?? list.folders.find((f) => f.role === 'sent') ?? byName;
    if (configured && !mapped) {
      return [
        {
          status: 'fail',
          detail: l10n.t('the Sent folder set for this account, "{0}", does not exist on the server{1}', configured, list.note),
          remedy: `Set the account's Sent folder (sentFolder) to the folder your provider stores sent mail in${special ? ` — the server marks "${special.path}" as \\Sent` : ''}; check your webmail to see where that is.`,
          action,
        },
      ];
    }
    if (!mapped) {
      return [
        {
          status: 'fail',
          detail: l10n.t('no Sent folder: the server marks no folder as \\Sent (special-use) and none is named Sent, Sent Items or Sent Mail; folders: {0}{1}', list.folders.map((f) => f.path).join(', '), list.note),
          remedy: l10n.t('Check in your webmail where your provider stores sent mail, then set that folder as the account\'s Sent folder (sentFolder) and select it in Select Folders for Sync; until then sent messages have no server copy.'),
          action,
        },
      ];
    }
    const issues: string[] = [];
    if (configured && special && special.path !== configured) issues.push(`the account uses "${configured}" as Sent, but the server marks "${special.path}" as \\Sent: the provider's copies of sent mail go there`);
    if (!configured && !special) issues.push(`"${mapped.path}" is used as Sent by its name only: the server marks no folder as \\Sent (special-use), so MailDesk cannot confirm your provider stores sent mail there`);
    if (!mapped.selected) issues.push(`"${mapped.path}" is not selected for sync: the provider's copies of sent mail never arrive and local Sent entries are never replaced`);
    const caps = (await ctx.incoming()).capabilities ?? [];
    // What the sender learnt from the first sends ("server": a copy appeared in Sent by itself).
    const learnt = ctx.store.getSetting(sentCopySettingKey(ctx.account.id));
    const serverKeeps = cfg.provider !== 'imap' || caps.includes('X-GM-EXT-1') || learnt === 'server' ? 'yes' : learnt === 'client' ? 'no, MailDesk appends the copy' : 'unknown until the first send';
    const mode = cfg.saveSentCopy ?? 'auto';
    if (mode === 'always' && serverKeeps === 'yes') issues.push('saveSentCopy is "always" but this provider keeps its own copy of sent mail: every message is stored twice');
    const row = ctx.store.getFolder(ctx.account.id, mapped.path);
    if (row) {
      const hourAgo = ctx.now - 3_600_000;
      const stuck = ctx.store.diagnostics.localEntriesBefore(row.id, hourAgo);
      if (stuck) issues.push(`${stuck} message(s) sent more than an hour ago are still only local entries in "${mapped.path}": the server's copy never arrived`);
    }
    const how = configured ? 'set for this account' : special ? marked : 'found by name';
    const waiting = waitingSentCopies(ctx.store, ctx.account.id);
    if (waiting.length) return [waitingCopies(ctx, waiting, `Sent folder "${mapped.path}" (${how}); provider keeps its own copy: ${serverKeeps}${issues.length ? `; also: ${issues.join('; ')}` : ''}${list.note}`)];
    const failure = readSentCopyFailure(ctx.store, ctx.account.id);
    if (failure) {
      return [
        {
          status: 'fail',
          detail: `the copy of a sent message (${failure.messageId}, ${new Date(failure.at).toISOString()}) could not be saved to "${failure.folder}": ${failure.code}: ${failure.error}. The message itself was sent; Sent shows it only as a local entry. Sent folder "${mapped.path}" (${how}); provider keeps its own copy: ${serverKeeps}${issues.length ? `; also: ${issues.join('; ')}` : ''}${list.note}`,
          remedy: l10n.t('Check that "{0}" exists on the server and accepts new messages (try moving a message there in webmail), then run Test Incoming Server; send the support report to support if it keeps failing. The next successful copy clears this.', failure.folder),
          action: { title: l10n.t('Test Incoming Server'), command: 'maildesk.testIncoming', args: [accountTarget(ctx.account.id)] },
        },
      ];
    }
    if (issues.length) {
      return [
        {
          status: 'warn',
          // What the sender learnt is said here too: a server without special-use (Courier) always lands here.
          detail: `${issues.join('; ')}; provider keeps its own copy: ${serverKeeps}${list.note}`,
          remedy: l10n.t('Check in your webmail where your provider stores sent mail (Sent, Sent Items or Sent Mail) and set that folder as the account\'s Sent folder (sentFolder); make sure it is selected in Select Folders for Sync. If the server does not keep sent mail itself, set saveSentCopy to "always"; if it does, to "auto".'),
          action,
        },
      ];
    }
    return [{ status: 'pass', detail: l10n.t('Sent folder "{0}" ({1}), selected for sync; saving a copy: {2} (provider keeps its own Sent copy: {3}){4}', mapped.path, how, mode, serverKeeps, list.note) }];
  },
};
