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

const PROVIDER_NAMES: Record<string, string> = { imap: 'IMAP', gmail: vscode.l10n.t('Gmail (Google sign-in)'), outlook: vscode.l10n.t('Outlook / Microsoft 365 (Microsoft sign-in)') };

/** Shown in this order; the names people know from other mail clients. */
export const ROLE_LABELS: Record<EditableRole, string> = {
  sent: vscode.l10n.t('Sent'),
  drafts: vscode.l10n.t('Drafts'),
  trash: vscode.l10n.t('Trash'),
  junk: vscode.l10n.t('Junk (spam)'),
  archive: vscode.l10n.t('Archive'),
};

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
      title: vscode.l10n.t('MailDesk: Edit {0}', acc.email),
      placeHolder: vscode.l10n.t('Review the account; pick a setting to change it'),
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
    { label: vscode.l10n.t('Account'), kind: vscode.QuickPickItemKind.Separator, action: 'none' },
    info(vscode.l10n.t('Email address'), acc.email),
    info(vscode.l10n.t('Provider'), PROVIDER_NAMES[acc.provider] ?? acc.provider),
    info(acc.provider === 'imap' ? vscode.l10n.t('Connection') : vscode.l10n.t('Sign-in'), accountStateText(acc)),
    { label: vscode.l10n.t('Change'), kind: vscode.QuickPickItemKind.Separator, action: 'none' },
  ];
  if (acc.provider === 'imap') {
    const server = (s: { host: string; port: number; security: string } | undefined) => (s ? `${s.host}:${s.port} (${s.security.toUpperCase()})` : vscode.l10n.t('none'));
    items.push({
      label: vscode.l10n.t('Name and servers…'),
      description: accountLabel(acc),
      detail: vscode.l10n.t('Incoming {0}, user {1} · Outgoing {2}', server(c.imap), c.imap?.user ?? '', server(c.smtp)),
      action: 'servers',
    });
  } else {
    items.push({ label: vscode.l10n.t('Display name…'), description: c.name ?? vscode.l10n.t('(none: the address is shown)'), action: 'name' });
  }
  items.push({ label: vscode.l10n.t('Folder roles…'), description: vscode.l10n.t('Sent, Drafts, Trash, Junk, Archive'), detail: roleSummary(folders, roles), action: 'roles' });
  if (acc.provider !== 'imap') {
    items.push({ label: vscode.l10n.t('Sign in again'), description: acc.provider === 'gmail' ? vscode.l10n.t('with Google in your browser') : vscode.l10n.t('with Microsoft in your browser'), action: 'signIn' });
  }
  return items;
}

function roleSummary(folders: FolderRow[], roles: Roles): string {
  return (Object.keys(ROLE_LABELS) as EditableRole[]).map((r) => `${ROLE_LABELS[r]}: ${labelOf(folders, roles[r]?.path)}`).join(' · ');
}

function labelOf(folders: FolderRow[], path: string | undefined): string {
  if (path === undefined) return vscode.l10n.t('none');
  const f = folders.find((x) => x.path === path);
  return f ? folderLabel(f) : path;
}

const SOURCE_TEXT: Record<RoleSource, string> = {
  chosen: vscode.l10n.t('chosen by you'),
  settings: vscode.l10n.t('set in the account settings (sentFolder)'),
  server: vscode.l10n.t('as the server marks it'),
  name: vscode.l10n.t('found by its name (the server marks none)'),
};

/** Gmail / Outlook: the name shown for the account; the settings are saved without touching mail. */
async function editDisplayName(deps: AccountSettingsDeps, acc: AccountRow): Promise<void> {
  const name = await vscode.window.showInputBox({
    title: vscode.l10n.t('MailDesk: Edit {0}', acc.email),
    prompt: vscode.l10n.t('Display name (shown in the Mailboxes view and as the sender name); leave empty to show the address'),
    value: acc.config.name ?? '',
    ignoreFocusOut: true,
  });
  if (name === undefined) return;
  const config = { ...acc.config, name: name.trim() || undefined };
  await deps.engine.request('accounts/ensure', { accounts: [config] });
  // Changed settings close the account's connection and its Inbox watch: start them again.
  await deps.engine.request('accounts/resume', { accountId: acc.id });
  vscode.window.setStatusBarMessage(vscode.l10n.t('MailDesk: saved the name of {0}', acc.email), 5000);
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
        detail: r ? (r.source === 'server' && acc.provider !== 'imap' ? vscode.l10n.t("the provider's own folder") : SOURCE_TEXT[r.source]) : vscode.l10n.t('no folder: choose one'),
      };
    });
    const role = await vscode.window.showQuickPick(roleItems, {
      title: vscode.l10n.t('MailDesk: Folder roles of {0}', acc.email),
      placeHolder: vscode.l10n.t('Pick a role to choose its folder'),
      ignoreFocusOut: true,
    });
    if (!role) return;
    const current = folders.find((x) => x.path === roles[role.role]?.path);
    const folderItems: FolderItem[] = folders.map((f) => ({
      path: f.path,
      label: folderLabel(f),
      description: f.path === current?.path ? vscode.l10n.t('$(check) current') : undefined,
      detail: f.path !== folderLabel(f) ? f.path : undefined,
    }));
    if (roles[role.role]?.source === 'chosen') folderItems.push({ path: null, label: vscode.l10n.t('Automatic'), description: vscode.l10n.t('the folder the server marks for this role') });
    const chosen = await vscode.window.showQuickPick(folderItems, {
      title: vscode.l10n.t('MailDesk: {0} folder of {1}', ROLE_LABELS[role.role], acc.email),
      placeHolder: vscode.l10n.t('{0} folder', ROLE_LABELS[role.role]),
      matchOnDetail: true,
      ignoreFocusOut: true,
    });
    if (!chosen || (chosen.path !== null && chosen.path === current?.path)) continue;
    await deps.engine.request('folders/setRole', { accountId, role: role.role, path: chosen.path });
    deps.log.info(`${acc.email}: ${ROLE_LABELS[role.role]} folder set to ${chosen.path ?? 'automatic'}`);
    vscode.window.setStatusBarMessage(
      chosen.path === null
        ? vscode.l10n.t('MailDesk: {0} folder of {1} is now chosen by the server', ROLE_LABELS[role.role], acc.email)
        : vscode.l10n.t('MailDesk: {0} folder of {1} is now {2}', ROLE_LABELS[role.role], acc.email, chosen.label),
      5000,
    );
  }
}
