/**
 * Which folder an account uses for each role one can choose in Edit Account, and why: the
 * same answer sending (send/rules.ts) and triage (triage/triage.ts) reach, so what the person
 * reviews is what MailDesk does.
 */
import type { AccountConfig } from './config';
import { byName, resolveDraftsFolder, SENT_NAMES } from './send/rules';
import { EDITABLE_ROLES, type EditableRole, type FolderRow } from './store/folders';
import { ROLE_NAMES } from './triage/triage';

/** Where the choice comes from: the person (Edit Account), the account's sentFolder setting, the server's marker, or the folder's name. */
export type RoleSource = 'chosen' | 'settings' | 'server' | 'name';

export interface RoleFolder {
  path: string;
  source: RoleSource;
}

export function roleFolders(account: AccountConfig, folders: FolderRow[], chosen: Partial<Record<EditableRole, string>>): Record<EditableRole, RoleFolder | null> {
  const out = {} as Record<EditableRole, RoleFolder | null>;
  const live = folders.filter((f) => f.remoteExists);
  for (const role of EDITABLE_ROLES) {
    const marked = live.find((f) => f.role === role);
    const source: RoleSource = marked && chosen[role] === marked.path ? 'chosen' : 'server';
    if (role === 'sent' && account.sentFolder) {
      const f = live.find((x) => x.path === account.sentFolder);
      out[role] = f ? { path: f.path, source: chosen.sent === f.path ? 'chosen' : 'settings' } : null;
    } else if (marked) {
      out[role] = { path: marked.path, source };
    } else {
      const names = ROLE_NAMES[role];
      const f = role === 'sent' ? byName(live, SENT_NAMES) : role === 'drafts' ? resolveDraftsFolder(live) : names ? live.find((x) => x.role === null && names.test(x.path)) : undefined;
      out[role] = f ? { path: f.path, source: 'name' } : null;
    }
  }
  return out;
}
