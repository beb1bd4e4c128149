/**
 * Search on the server for mail the local index cannot see: folders that are not synced,
 * and history the backfill has not reached yet. Matches are stored (headers only, like a
 * sync would) so they open in the thread view and show up in the next local search.
 */
import type { MailDesk } from '../maildesk';
import type { FolderRow } from '../store/store';
import { toMailError } from '../errors';

export interface ServerSearchResult {
  folder: FolderRow;
  messageIds: number[];
  error?: string;
}

/** Folders whose mail is not all in the local index. */
export function foldersNotFullySynced(core: MailDesk, accountId: string): FolderRow[] {
  return core.store
    .listFolders(accountId)
    .filter((f) => f.remoteExists && f.role !== 'trash' && f.role !== 'junk' && (!f.selected || !core.store.getSyncState(f.id).backfillDone));
}

export async function searchOnServer(core: MailDesk, accountId: string, query: string, opts: { limitPerFolder?: number; maxFolders?: number } = {}): Promise<ServerSearchResult[]> {
  const provider = core.provider(accountId);
  if (!provider.searchRemote || !query.trim()) return [];
  const folders = foldersNotFullySynced(core, accountId).slice(0, opts.maxFolders ?? 20);
  const out: ServerSearchResult[] = [];
  for (const folder of folders) {
    try {
      const found = await provider.searchRemote(folder, query, opts.limitPerFolder ?? 20);
      if (found.length) core.store.upsertMessages(folder.id, found);
      const ids = found.map((m) => (m.uid !== undefined ? core.store.getMessageByUid(folder.id, m.uid)?.id : undefined)).filter((x): x is number => x !== undefined);
      out.push({ folder, messageIds: ids });
    } catch (e) {
      out.push({ folder, messageIds: [], error: toMailError(e).describe() });
    }
  }
  return out;
}
