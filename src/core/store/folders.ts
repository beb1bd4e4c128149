/** The `folders` table: the server's folder list, which of them are synced, and their counts. */
import type { SqlValue } from 'sql.js';
import type { StoreSql } from './sql';

export type FolderRole = 'inbox' | 'sent' | 'drafts' | 'trash' | 'junk' | 'archive' | 'all' | 'flagged' | 'important';

/** The roles a user may assign to a folder of their choice in Edit Account. */
export const EDITABLE_ROLES = ['sent', 'drafts', 'trash', 'junk', 'archive'] as const;
export type EditableRole = (typeof EDITABLE_ROLES)[number];

// A role chosen by the user is kept in `settings` under this key (value: the folder path) so the
// next folder refresh, which rewrites every role from the server's markers, puts it back.
const overrideKey = (accountId: string, role: EditableRole): string => `folderRole:${accountId}:${role}`;

export interface FolderRow {
  id: number;
  accountId: string;
  path: string;
  name: string;
  delimiter: string | null;
  role: FolderRole | null;
  specialUse: string | null;
  selected: boolean;
  remoteExists: boolean;
  remoteTotal: number | null;
  remoteUnread: number | null;
}

function toFolder(r: Record<string, SqlValue>): FolderRow {
  return {
    id: r.id as number,
    accountId: r.account_id as string,
    path: r.path as string,
    name: r.name as string,
    delimiter: (r.delimiter as string) ?? null,
    role: (r.role as FolderRole) ?? null,
    specialUse: (r.special_use as string) ?? null,
    selected: r.selected === 1,
    remoteExists: r.remote_exists === 1,
    remoteTotal: (r.remote_total as number) ?? null,
    remoteUnread: (r.remote_unread as number) ?? null,
  };
}

export class FoldersTable {
  constructor(private readonly sql: StoreSql) {}

  /**
   * Records the server's folder list. Folders no longer on the server are kept
   * (with their mail) but marked so Troubleshoot can report a stale selection.
   * `defaultSelected` decides selection only for folders seen for the first time.
   */
  upsert(
    accountId: string,
    remote: Array<{ path: string; name: string; delimiter?: string; role?: FolderRole | null; specialUse?: string | null }>,
    defaultSelected: (f: { path: string; role?: FolderRole | null }) => boolean,
  ): void {
    const { sql } = this;
    sql.tx(() => {
      sql.run('UPDATE folders SET remote_exists = 0 WHERE account_id = ?', [accountId]);
      for (const f of remote) {
        const existing = sql.get<{ id: number }>('SELECT id FROM folders WHERE account_id = ? AND path = ?', [accountId, f.path]);
        if (existing) {
          sql.run('UPDATE folders SET name = ?, delimiter = ?, role = ?, special_use = ?, remote_exists = 1 WHERE id = ?', [
            f.name,
            f.delimiter ?? null,
            f.role ?? null,
            f.specialUse ?? null,
            existing.id,
          ]);
        } else {
          sql.run('INSERT INTO folders(account_id, path, name, delimiter, role, special_use, selected) VALUES(?, ?, ?, ?, ?, ?, ?)', [
            accountId,
            f.path,
            f.name,
            f.delimiter ?? null,
            f.role ?? null,
            f.specialUse ?? null,
            defaultSelected(f) ? 1 : 0,
          ]);
        }
      }
      this.applyRoleOverrides(accountId);
      sql.pending.accounts.add(accountId);
    });
  }

  /** The roles the user chose for this account (role -> folder path). */
  roleOverrides(accountId: string): Partial<Record<EditableRole, string>> {
    const out: Partial<Record<EditableRole, string>> = {};
    for (const role of EDITABLE_ROLES) {
      const v = this.sql.get<{ value: string }>('SELECT value FROM settings WHERE key = ?', [overrideKey(accountId, role)])?.value;
      if (v !== undefined) out[role] = v;
    }
    return out;
  }

  /**
   * Makes `folderPath` the account's folder for `role` (null: back to what the server marks),
   * and keeps that choice across folder refreshes.
   */
  setRoleOverride(accountId: string, role: EditableRole, folderPath: string | null): void {
    const { sql } = this;
    sql.tx(() => {
      if (folderPath === null) sql.run('DELETE FROM settings WHERE key = ?', [overrideKey(accountId, role)]);
      else
        sql.run('INSERT INTO settings(key, value) VALUES(?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value', [overrideKey(accountId, role), folderPath]);
      this.applyRoleOverrides(accountId);
      sql.pending.accounts.add(accountId);
    });
  }

  /**
   * Moves each overridden role onto the chosen folder: the folder the server marked for that role
   * loses it (one folder per role), and the chosen folder's own server role gives way.
   */
  private applyRoleOverrides(accountId: string): void {
    const { sql } = this;
    for (const [role, folderPath] of Object.entries(this.roleOverrides(accountId))) {
      const target = sql.get<{ id: number }>('SELECT id FROM folders WHERE account_id = ? AND path = ?', [accountId, folderPath]);
      // A chosen folder that is gone (renamed or deleted on the server) leaves the server's marker in charge.
      if (!target) continue;
      sql.run('UPDATE folders SET role = NULL WHERE account_id = ? AND role = ? AND id != ?', [accountId, role, target.id]);
      sql.run('UPDATE folders SET role = ? WHERE id = ?', [role, target.id]);
      sql.pending.folders.add(target.id);
    }
  }

  list(accountId: string): FolderRow[] {
    return this.sql.all('SELECT * FROM folders WHERE account_id = ? ORDER BY path', [accountId]).map(toFolder);
  }

  get(accountId: string, folderPath: string): FolderRow | undefined {
    const r = this.sql.get('SELECT * FROM folders WHERE account_id = ? AND path = ?', [accountId, folderPath]);
    return r ? toFolder(r) : undefined;
  }

  byId(id: number): FolderRow | undefined {
    const r = this.sql.get('SELECT * FROM folders WHERE id = ?', [id]);
    return r ? toFolder(r) : undefined;
  }

  byRole(accountId: string, role: FolderRole): FolderRow | undefined {
    const r = this.sql.get('SELECT * FROM folders WHERE account_id = ? AND role = ? ORDER BY remote_exists DESC, id LIMIT 1', [accountId, role]);
    return r ? toFolder(r) : undefined;
  }

  setSelected(folderId: number, selected: boolean): void {
    this.sql.tx(() => {
      this.sql.run('UPDATE folders SET selected = ? WHERE id = ?', [selected ? 1 : 0, folderId]);
      this.sql.pending.folders.add(folderId);
      const f = this.byId(folderId);
      if (f) this.sql.pending.accounts.add(f.accountId);
    });
  }

  setRemoteCounts(folderId: number, total: number | null, unread: number | null): void {
    this.sql.tx(() => {
      this.sql.run('UPDATE folders SET remote_total = ?, remote_unread = ? WHERE id = ?', [total, unread, folderId]);
      this.sql.pending.folders.add(folderId);
    });
  }

  /** Messages held locally in the folder, and how many are unread. */
  localCounts(folderId: number): { total: number; unread: number } {
    const r = this.sql.get<{ total: number; unread: number }>(
      `SELECT COUNT(*) AS total, COALESCE(SUM(CASE WHEN m.seen = 0 THEN 1 ELSE 0 END), 0) AS unread
       FROM memberships ms JOIN messages m ON m.id = ms.message_id
       WHERE ms.folder_id = ? AND ms.missing_since IS NULL`,
      [folderId],
    );
    return { total: r?.total ?? 0, unread: r?.unread ?? 0 };
  }
}
