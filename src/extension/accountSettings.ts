/**
 * "Edit Account" for every provider: one quick pick that shows the account's values (address,
 * provider, sign-in state, servers, folder roles) and offers what can be changed for it. IMAP
 * accounts change their servers through the guided flow (addAccountFlow.ts); Gmail and Outlook
 * accounts have no servers to set, so they get their display name and Sign in again instead.
 * Folder roles (which folder is Sent, Drafts, Trash, Junk, Archive) apply to every provider.
 */
import * as vscode from 'vscode';
import type { AccountRow, FolderRow } from '../core/store/store';
import type { EditableRole } from '../core/store/folders';
import type { RoleFolder, RoleSource } from '../core/folderRoles';
import type { EngineClient } from '../engine/client';
import { editImapAccount, type AddAccountDeps } from './addAccountFlow';
import { accountLabel, accountStateText, compareFolders, folderLabel } from './format';

export type AccountSettingsDeps = AddAccountDeps;

const PROVIDER_NAMES: Record<string, string> = { imap: 'IMAP', gmail: 'Gmail (Google sign-in)', outlook: 'Outlook / Microsoft 365 (Microsoft sign-in)' };

/** Shown in this order; the names people know from other mail clients. */
export const ROLE_LABELS: Record<EditableRole, string> = { sent: 'Sent', drafts: 'Drafts', trash: 'Trash', junk: 'Junk (spam)', archive: 'Archive' };

type MenuAction = 'servers' | 'name' | 'roles' | 'signIn' | 'none';
interface MenuItem extends vscode.QuickPickItem {
  action: MenuAction;
}

/** Runs Edit Account until the person closes it. */
export async function editAccount(deps: AccountSettingsDeps, accountId: string): Promise<void> {
  for (;;) {
    const acc = await deps.engine.request('accounts/get', { accountId });
    if (!acc) return;
    const folders = await deps.engine.request('folders/list', { accountId });
    const roles = await deps.engine.request('folders/roles', { accountId });
    const choice = await vscode.window.showQuickPick(menuItems(acc, folders, roles), {
      title: `MailDesk: Edit ${acc.email}`,
      placeHolder: 'Review the account; pick a setting to change it',
      matchOnDescription: true,
      ignoreFocusOut: true,
    });
    if (!choice) return;
    switch (choice.action) {
      case 'servers':
        // The guided flow tests both servers and saves; it ends Edit Account like Add does.
        await editImapAccount(deps, acc.id);
        return;
      case 'name':
        await editDisplayName(deps, acc);
        break;
      case 'roles':
        await editFolderRoles(deps, acc.id);
        break;
      case 'signIn':
        await vscode.commands.executeCommand(acc.provider === 'gmail' ? 'maildesk.signInGoogleAgain' : 'maildesk.connectMicrosoftGraph', { kind: 'account', accountId: acc.id });
        return;
      case 'none':
        break; // a value shown for review: show the list again
    }
  }
}

type Roles = Record<EditableRole, RoleFolder | null>;

function menuItems(acc: AccountRow, folders: FolderRow[], roles: Roles): MenuItem[] {
  const c = acc.config;
  const info = (label: string, description: string): MenuItem => ({ label, description, action: 'none' });
  const items: MenuItem[] = [
    { label: 'Account', kind: vscode.QuickPickItemKind.Separator, action: 'none' },
    info('Email address', acc.email),
    info('Provider', PROVIDER_NAMES[acc.provider] ?? acc.provider),
    info(acc.provider === 'imap' ? 'Connection' : 'Sign-in', accountStateText(acc)),
    { label: 'Change', kind: vscode.QuickPickItemKind.Separator, action: 'none' },
  ];
  if (acc.provider === 'imap') {
    const server = (s: { host: string; port: number; security: string } | undefined) => (s ? `${s.host}:${s.port} (${s.security.toUpperCase()})` : 'none');
    items.push({
      label: 'Name and servers…',
      description: accountLabel(acc),
      detail: `Incoming ${server(c.imap)}, user ${c.imap?.user ?? ''} · Outgoing ${server(c.smtp)}`,
      action: 'servers',
    });
  } else {
    items.push({ label: 'Display name…', description: c.name ?? '(none: the address is shown)', action: 'name' });
  }
  items.push({ label: 'Folder roles…', description: 'Sent, Drafts, Trash, Junk, Archive', detail: roleSummary(folders, roles), action: 'roles' });
  if (acc.provider !== 'imap') {
    items.push({ label: 'Sign in again', description: acc.provider === 'gmail' ? 'with Google in your browser' : 'with Microsoft in your browser', action: 'signIn' });
  }
  return items;
}

function roleSummary(folders: FolderRow[], roles: Roles): string {
  return (Object.keys(ROLE_LABELS) as EditableRole[]).map((r) => `${ROLE_LABELS[r]}: ${labelOf(folders, roles[r]?.path)}`).join(' · ');
}

function labelOf(folders: FolderRow[], path: string | undefined): string {
  if (path === undefined) return 'none';
  const f = folders.find((x) => x.path === path);
  return f ? folderLabel(f) : path;
}

const SOURCE_TEXT: Record<RoleSource, string> = {
  chosen: 'chosen by you',
  settings: 'set in the account settings (sentFolder)',
  server: 'as the server marks it',
  name: 'found by its name (the server marks none)',
};

/** Gmail / Outlook: the name shown for the account; the settings are saved without touching mail. */
async function editDisplayName(deps: AccountSettingsDeps, acc: AccountRow): Promise<void> {
  const name = await vscode.window.showInputBox({
    title: `MailDesk: Edit ${acc.email}`,
    prompt: 'Display name (shown in the Mailboxes view and as the sender name); leave empty to show the address',
    value: acc.config.name ?? '',
    ignoreFocusOut: true,
  });
  if (name === undefined) return;
  const config = { ...acc.config, name: name.trim() || undefined };
  await deps.engine.request('accounts/ensure', { accounts: [config] });
  // Changed settings close the account's connection and its Inbox watch: start them again.
  await deps.engine.request('accounts/resume', { accountId: acc.id });
  vscode.window.setStatusBarMessage(`MailDesk: saved the name of ${acc.email}`, 5000);
}

interface RoleItem extends vscode.QuickPickItem {
  role: EditableRole;
}
interface FolderItem extends vscode.QuickPickItem {
  path: string | null;
}

/**
 * Folder roles: a pick of the five roles with the folder each uses now, then a pick of the
 * account's folders with the current one marked. The choice is kept by the engine across folder
 * refreshes, and sync, triage and sending use it at once.
 */
export async function editFolderRoles(deps: { engine: EngineClient; log: vscode.LogOutputChannel }, accountId: string): Promise<void> {
  const acc = await deps.engine.request('accounts/get', { accountId });
  if (!acc) return;
  for (;;) {
    const folders = (await deps.engine.request('folders/list', { accountId })).filter((f) => f.remoteExists).sort(compareFolders);
    const roles = await deps.engine.request('folders/roles', { accountId });
    const roleItems: RoleItem[] = (Object.keys(ROLE_LABELS) as EditableRole[]).map((role) => {
      const r = roles[role];
      return {
        role,
        label: ROLE_LABELS[role],
        description: labelOf(folders, r?.path),
        detail: r ? (r.source === 'server' && acc.provider !== 'imap' ? "the provider's own folder" : SOURCE_TEXT[r.source]) : 'no folder: choose one',
      };
    });
    const role = await vscode.window.showQuickPick(roleItems, {
      title: `MailDesk: Folder roles of ${acc.email}`,
      placeHolder: 'Pick a role to choose its folder',
      ignoreFocusOut: true,
    });
    if (!role) return;
    const current = folders.find((x) => x.path === roles[role.role]?.path);
    const folderItems: FolderItem[] = folders.map((f) => ({
      path: f.path,
      label: folderLabel(f),
      description: f.path === current?.path ? '$(check) current' : undefined,
      detail: f.path !== folderLabel(f) ? f.path : undefined,
    }));
    if (roles[role.role]?.source === 'chosen') folderItems.push({ path: null, label: 'Automatic', description: 'the folder the server marks for this role' });
    const chosen = await vscode.window.showQuickPick(folderItems, {
      title: `MailDesk: ${ROLE_LABELS[role.role]} folder of ${acc.email}`,
      placeHolder: `${ROLE_LABELS[role.role]} folder`,
      matchOnDetail: true,
      ignoreFocusOut: true,
    });
    if (!chosen || (chosen.path !== null && chosen.path === current?.path)) continue;
    await deps.engine.request('folders/setRole', { accountId, role: role.role, path: chosen.path });
    deps.log.info(`${acc.email}: ${ROLE_LABELS[role.role]} folder set to ${chosen.path ?? 'automatic'}`);
    vscode.window.setStatusBarMessage(`MailDesk: ${ROLE_LABELS[role.role]} folder of ${acc.email} is now ${chosen.path === null ? 'chosen by the server' : chosen.label}`, 5000);
  }
}
