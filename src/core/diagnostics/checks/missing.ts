/**
 * "Emails are missing or delayed": the server's live message count of every selected folder
 * against what is here, told apart the way the guide does: new mail that the next sync brings,
 * older mail still coming in during the initial fill (leave MailDesk open, do not reconnect),
 * and older mail that did not arrive after the fill (Trigger Backfill on that folder).
 */
import * as l10n from '@vscode/l10n';
import type { FolderRow } from '../../store/store';
import { accountTarget, folderTarget, type Check, type CheckContext, type CheckResult } from '../check';

function ago(now: number, ms: number): string {
  const s = Math.max(0, Math.round((now - ms) / 1000));
  if (s < 120) return `${s} s ago`;
  const m = Math.round(s / 60);
  return m < 120 ? `${m} min ago` : `${Math.round(m / 60)} h ago`;
}

/** Messages of a folder that are copies of server mail (local Sent entries and drafts not counted). */
function serverCopiesHere(ctx: CheckContext, f: FolderRow): number {
  return ctx.store.diagnostics.serverCopiesIn(f.id);
}

export const mailMissing: Check = {
  id: 'mail.missing',
  get title() {
    return l10n.t('Mail on the server that is not here');
  },
  section: 'Emails are missing or delayed',
  async run(ctx) {
    const { store, account, now } = ctx;
    const selected = store.listFolders(account.id).filter((f) => f.selected && f.remoteExists);
    if (!selected.length) return [{ status: 'skip', detail: l10n.t('no folder is selected for sync yet (see folders.selection and sync.progress)') }];
    const remote = await ctx.remoteFolders();
    if (!remote.ok) return [{ status: 'skip', detail: l10n.t('the server could not be asked for its counts now (see incoming.connect): {0}', remote.error.message) }];
    const live = new Map(remote.folders.map((f) => [f.path, f.total]));
    const interval = Math.round(ctx.syncIntervalMs / 60_000) || 1;
    const out: CheckResult[] = [];
    const fine: string[] = [];
    const unknown: string[] = [];
    for (const f of selected) {
      const server = live.get(f.path);
      if (server === undefined) {
        unknown.push(f.path);
        continue;
      }
      const here = serverCopiesHere(ctx, f);
      const missing = server - here;
      const st = store.getSyncState(f.id);
      const last = st.lastSyncAt ? `last sync ${new Date(st.lastSyncAt).toISOString().replace(/\.\d+Z$/, 'Z')} (${ago(now, st.lastSyncAt)})` : 'never synced';
      if (missing <= 0) {
        fine.push(`${f.path} ${here}/${server}`);
        continue;
      }
      const counts = `"${f.path}": ${missing} message(s) on the server are not here yet (server ${server}, here ${here}; ${last})`;
      if (!st.fillDone || !st.backfillDone) {
        out.push({
          status: 'warn',
          detail: l10n.t('{0}: the initial fill is {1}, newest first', counts, st.fillDone ? 'loading older history in the background' : 'running'),
          remedy: l10n.t('This is the initial fill: leave MailDesk open and give it time to complete, and avoid disconnecting and reconnecting the account (that restarts the work). New mail keeps arriving meanwhile.'),
          section: 'Older emails seem to be missing',
        });
        continue;
      }
      // After the fill: what came after the last sync is new mail; the rest is older mail that never arrived.
      const atLastSync = f.remoteTotal ?? server;
      const fresh = Math.min(missing, Math.max(0, server - atLastSync));
      const older = missing - fresh;
      if (fresh > 0) {
        const overdue = !st.lastSyncAt || st.lastSyncAt < now - 3 * ctx.syncIntervalMs;
        out.push({
          status: 'warn',
          detail: `${counts}: ${fresh} arrived on the server after the last sync${overdue ? `, and no sync has run for more than ${3 * interval} min` : ''}`,
          remedy: overdue
            ? 'Synchronisation is not running: keep VS Code open (or run `maildesk sync`) and Refresh the account; if it still does not move, run Test Incoming Server.'
            : `New mail appears with the next background sync (every ${interval} min): Refresh the view to fetch it now. If a message is not in your webmail either, it has not been delivered yet.`,
          section: 'New mail has not appeared yet',
          action: { title: l10n.t('Refresh'), command: 'maildesk.refresh', args: [accountTarget(account.id)] },
        });
      }
      if (older > 0) {
        out.push({
          status: 'warn',
          detail: l10n.t('"{0}": {1} older message(s) on the server did not arrive although the initial fill is complete (server {2}, here {3}; {4})', f.path, older, server, here, last),
          remedy: l10n.t('Run Trigger Backfill on "{0}" (Mailboxes view, on the folder): it compares every message on the server with what is here and fetches what is missing.', f.path),
          section: 'Older emails seem to be missing',
          action: { title: l10n.t('Trigger Backfill'), command: 'maildesk.triggerBackfill', args: [folderTarget(account.id, f.id, f.path)] },
        });
      }
    }
    if (out.length) return out;
    const note = unknown.length ? `; the server gives no count for ${unknown.join(', ')}` : '';
    return [{ status: 'pass', detail: l10n.t('every selected folder holds what the server has now: {0}{1}', fine.join(', ') || 'none counted', note) }];
  },
};
