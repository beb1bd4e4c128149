/**
 * Every `maildesk.*` command. Each one works from the palette (asking for the account
 * or folder) and from a tree item (taking it from the node). They only send requests to
 * the engine and show its answers: no sync or mail logic lives here.
 */
import * as vscode from 'vscode';
import { showMailError } from './notify';
import { tokenSecretKey } from '../core/auth/tokens';
import { msalCacheSecretKey } from '../core/providers/graph/msalSettings';
import { passwordSecretKey, type SecretStore } from '../core/config';
import { describeError, toMailError } from '../core/errors';
import type { VerifyReport } from '../core/providers/provider';
import type { AccountRow, FolderRow } from '../core/store/store';
import { addImapAccount } from './addAccountFlow';
import { editAccount } from './accountSettings';
import { accountLabel, compareFolders, folderDescription, folderLabel, needsPassword, verifyReportLines } from './format';
import type { Disposable } from './lifecycle';
import { MailboxesModel } from './mailboxesModel';
import type { MessageListPanels } from './messageList';
import type { StagedSecretStore } from './secretStorage';
import { testServerVia } from './serverTest';
import type { EngineClient } from '../engine/client';

export interface CommandDeps {
  /** This window's client of the engine: every read and action goes through it (src/shared/protocol/engine.ts). */
  engine: EngineClient;
  secrets: StagedSecretStore;
  log: vscode.LogOutputChannel;
  panels: MessageListPanels;
}

/** What a tree item hands a command: a node of the Mailboxes or Sync Jobs view. */
type Target =
  | { kind: 'account'; accountId: string }
  | { kind: 'folder'; accountId: string; folderId: number; path: string }
  | { kind: 'job'; accountId: string; jobId: string }
  | undefined;

export function registerCommands(deps: CommandDeps): Disposable[] {
  const { engine, log } = deps;
  const reg = (id: string, fn: (target?: Target) => unknown): Disposable =>
    vscode.commands.registerCommand(id, async (target?: Target) => {
      try {
        await fn(target);
      } catch (e) {
        // A command never fails silently: the user gets the problem and the fix.
        const err = toMailError(e);
        log.error(`${id}: ${err.describe()}`);
        await showMailError(vscode.l10n.t('MailDesk: {0}', err.describe()), log);
      }
    });

  return [
    reg('maildesk.addImapAccount', () => addImapAccount({ engine, secrets: deps.secrets, log })),
    reg('maildesk.trySandbox', async () => {
      const r = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('MailDesk: starting the sandbox mailbox…') }, () =>
        engine.request('accounts/addSandbox', {}),
      );
      const open = vscode.l10n.t('Open Inbox');
      const said = r.added
        ? vscode.l10n.t('MailDesk: sandbox mailbox added ({0}). Its server runs on this computer and sends nothing anywhere; its mail starts afresh when VS Code restarts.', r.email)
        : vscode.l10n.t('MailDesk: the sandbox mailbox ({0}) is already in Mailboxes.', r.email);
      if ((await vscode.window.showInformationMessage(said, open)) !== open) return;
      const inbox = (await engine.request('folders/list', { accountId: r.accountId })).find((f) => f.role === 'inbox' || f.path === 'INBOX');
      if (inbox) await vscode.commands.executeCommand('maildesk.openFolder', { kind: 'folder', folderId: inbox.id });
    }),

    reg('maildesk.editAccount', async (t) => {
      const a = await accountOf(engine, t);
      if (a) await editAccount({ engine, secrets: deps.secrets, log }, a.id);
    }),
    reg('maildesk.removeAccount', async (t) => {
      const a = await accountOf(engine, t);
      if (!a) return;
      const remove = vscode.l10n.t('Remove Account');
      const ok = await vscode.window.showWarningMessage(
        vscode.l10n.t('Remove the account {0}?', accountLabel(a)),
        {
          modal: true,
          detail: vscode.l10n.t('Its mail stored on this computer and its saved password or sign-in tokens are deleted. Mail on the server is not touched.{0}', revokeHint(a.provider)),
        },
        remove,
      );
      if (ok !== remove) return;
      deps.panels.closeAccount(a.id);
      await engine.request('accounts/remove', { accountId: a.id });
      await deleteSecrets(deps.secrets, a.id);
      if (a.provider === 'imap') vscode.window.setStatusBarMessage(vscode.l10n.t('MailDesk: {0} removed', accountLabel(a)), 4000);
      else void vscode.window.showInformationMessage(vscode.l10n.t('MailDesk: {0} removed.{1}', accountLabel(a), revokeHint(a.provider)));
    }),

    reg('maildesk.refresh', async (t) => {
      if (!t) await engine.request('sync/now', {});
      else if (t.kind === 'account') await engine.request('sync/now', { accountId: t.accountId });
      else if (t.kind === 'folder') await engine.request('sync/now', { accountId: t.accountId, folderPath: t.path });
      else {
        const job = (await engine.request('jobs/list', { accountIds: [t.accountId] })).find((j) => j.id === t.jobId);
        await engine.request('sync/now', { accountId: t.accountId, folderPath: job?.folderPath ?? undefined });
      }
      vscode.window.setStatusBarMessage(vscode.l10n.t('MailDesk: sync started'), 3000);
    }),

    reg('maildesk.selectFolders', async (t) => {
      const a = await accountOf(engine, t);
      if (a) await selectFolders(deps, a);
    }),

    reg('maildesk.triggerBackfill', async (t) => {
      const f = await folderOf(engine, t);
      if (!f) return;
      await engine.request('folders/backfill', { accountId: f.accountId, path: f.path });
      void vscode.window.showInformationMessage(vscode.l10n.t('MailDesk: deep backfill of {0} started; its progress shows in Sync Jobs.', folderLabel(f)));
    }),

    reg('maildesk.testIncoming', async (t) => {
      const a = await accountOf(engine, t);
      if (a) await testServer(deps, a, 'incoming');
    }),

    reg('maildesk.testOutgoing', async (t) => {
      const a = await accountOf(engine, t);
      if (!a) return;
      if (!a.config.smtp) {
        void vscode.window.showInformationMessage(vscode.l10n.t('MailDesk: {0} has no outgoing server configured.', accountLabel(a)));
        return;
      }
      await testServer(deps, a, 'outgoing');
    }),

    reg('maildesk.enterPassword', async (t) => {
      const a = await accountOf(engine, t);
      if (a) await enterPassword(deps, a);
    }),

    reg('maildesk.showLog', () => log.show()),

    reg('maildesk.openFolder', async (t) => {
      const f = await folderOf(engine, t);
      if (f) deps.panels.show(f.id);
    }),
  ];
}

// ---- pickers: the palette has no tree node ---------------------------------------

async function accountOf(engine: EngineClient, t: Target): Promise<AccountRow | undefined> {
  if (t) return (await engine.request('accounts/get', { accountId: t.accountId })) ?? undefined;
  const accounts = await engine.request('accounts/list', {});
  if (!accounts.length) {
    const c = await vscode.window.showInformationMessage(vscode.l10n.t('MailDesk: no mail account yet.'), vscode.l10n.t('Add IMAP Account'));
    if (c) await vscode.commands.executeCommand('maildesk.addImapAccount');
    return undefined;
  }
  if (accounts.length === 1) return accounts[0];
  const pick = await vscode.window.showQuickPick(
    accounts.map((a) => ({ label: accountLabel(a), description: a.name ? a.email : undefined, account: a })),
    { placeHolder: vscode.l10n.t('Choose an account') },
  );
  return pick?.account;
}

async function folderOf(engine: EngineClient, t: Target): Promise<FolderRow | undefined> {
  const model = MailboxesModel.of(engine);
  if (t?.kind === 'folder') return model.folder(t.folderId);
  if (t?.kind === 'job') {
    const job = (await model.snapshot()).jobs.find((j) => j.id === t.jobId);
    if (job?.folderId != null) return model.folder(job.folderId);
  }
  const a = await accountOf(engine, t);
  if (!a) return undefined;
  const folders = (await model.snapshot({ counts: true })).folders.filter((f) => f.accountId === a.id);
  const pick = await vscode.window.showQuickPick(
    folders
      .sort(compareFolders)
      .map((f) => ({ label: f.path, description: folderDescription(f, { total: f.local ?? 0, unread: f.localUnread ?? 0 }), folder: f })),
    { placeHolder: vscode.l10n.t('Choose a folder of {0}', accountLabel(a)) },
  );
  return pick?.folder;
}

// ---- the commands' bodies ---------------------------------------------------------

async function selectFolders(deps: CommandDeps, a: AccountRow): Promise<void> {
  const { engine } = deps;
  // The stored list shows at once; a fresh one from the server replaces it when it arrives.
  let folders: Array<FolderRow & { local: number | null; localUnread: number | null }> = (await MailboxesModel.of(engine).snapshot({ counts: true })).folders.filter((f) => f.accountId === a.id);
  if (!folders.length) {
    folders = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('MailDesk: reading the folders of {0}…', accountLabel(a)) },
      () => engine.request('folders/list', { accountId: a.id, refresh: true }),
    );
  } else {
    void engine.request('folders/list', { accountId: a.id, refresh: true }).catch((e) => deps.log.warn(`Refreshing the folder list of ${a.id}: ${toMailError(e).describe()}`));
  }
  const items = folders
    .filter((f) => f.remoteExists || f.selected)
    .sort(compareFolders)
    .map((f) => {
      const local = { total: f.local ?? 0, unread: f.localUnread ?? 0 };
      const server = f.remoteTotal === null ? '' : f.remoteUnread ? vscode.l10n.t('server: {0}, {1} unread', f.remoteTotal, f.remoteUnread) : vscode.l10n.t('server: {0}', f.remoteTotal);
      const here = !f.selected ? '' : local.unread ? vscode.l10n.t('local: {0}, {1} unread', local.total, local.unread) : vscode.l10n.t('local: {0}', local.total);
      return {
        label: f.path,
        description: [here, server].filter(Boolean).join(' · '),
        detail: f.remoteExists ? undefined : vscode.l10n.t('no longer on the server'),
        picked: f.selected,
        folder: f,
      };
    });
  const picked = await vscode.window.showQuickPick(items, {
    canPickMany: true,
    title: vscode.l10n.t('MailDesk: Select Folders for Sync ({0})', accountLabel(a)),
    placeHolder: vscode.l10n.t('Only selected folders are synced and filled'),
    ignoreFocusOut: true,
  });
  if (!picked) return;
  const chosen = new Set(picked.map((p) => p.folder.path));
  const changes = items.filter((i) => i.folder.selected !== chosen.has(i.folder.path));
  // Two requests at most: the folders to sync from now on, and those to stop syncing.
  for (const selected of [true, false]) {
    const paths = changes.filter((c) => chosen.has(c.folder.path) === selected).map((c) => c.folder.path);
    if (paths.length) await engine.request('folders/select', { accountId: a.id, paths, selected });
  }
  if (changes.length) vscode.window.setStatusBarMessage(chosen.size === 1 ? vscode.l10n.t('MailDesk: 1 folder selected for sync') : vscode.l10n.t('MailDesk: {0} folders selected for sync', chosen.size), 4000);
}

async function testServer(deps: CommandDeps, a: AccountRow, which: 'incoming' | 'outgoing'): Promise<void> {
  const { engine, log } = deps;
  const label = accountLabel(a);
  const incoming = which === 'incoming';
  const report: VerifyReport = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: incoming ? vscode.l10n.t('MailDesk: testing the incoming server of {0}…', label) : vscode.l10n.t('MailDesk: testing the outgoing server of {0}…', label) },
    () => testServerVia(engine, a.id, which),
  );
  const lines = verifyReportLines(report);
  log.info(`Test ${which} server for ${a.email} (${report.server}): ${report.ok ? 'passed' : 'failed'}`);
  for (const l of lines) if (l) log.info(`  ${l}`);
  const detail = [report.server, '', ...lines].join('\n');
  if (report.ok) {
    await vscode.window.showInformationMessage(incoming ? vscode.l10n.t('MailDesk: the incoming server of {0} works.', label) : vscode.l10n.t('MailDesk: the outgoing server of {0} works.', label), { modal: true, detail });
    return;
  }
  const why = report.error ? describeError(report.error.code).title : vscode.l10n.t('unknown error');
  const enter = vscode.l10n.t('Enter Password');
  const c = await showMailError(
    incoming ? vscode.l10n.t('MailDesk: the incoming server test of {0} failed: {1}', label, why) : vscode.l10n.t('MailDesk: the outgoing server test of {0} failed: {1}', label, why),
    log,
    needsPassword(report.error?.code) ? [enter] : [],
    { modal: true, detail },
  );
  if (c === enter) await enterPassword(deps, a);
}

/** Asks for the password again, stores it in SecretStorage and lets the account reconnect. */
export async function enterPassword(deps: Pick<CommandDeps, 'engine' | 'secrets'>, a: AccountRow): Promise<void> {
  const imap = a.config.imap;
  const pw = await vscode.window.showInputBox({
    title: vscode.l10n.t('MailDesk: password for {0}', accountLabel(a)),
    prompt: imap ? vscode.l10n.t('Password of {0} on {1} (stored in the system keychain)', imap.user, imap.host) : vscode.l10n.t('Password (stored in the system keychain)'),
    password: true,
    ignoreFocusOut: true,
    validateInput: (v) => (v ? undefined : vscode.l10n.t('Enter the password')),
  });
  if (!pw) return;
  await deps.secrets.set(passwordSecretKey(a.id, 'imap'), pw);
  // A separate outgoing password is only replaced when it belongs to the same login.
  const smtpKey = passwordSecretKey(a.id, 'smtp');
  if (a.config.smtp && a.config.smtp.user === imap?.user && (await deps.secrets.get(smtpKey))) await deps.secrets.set(smtpKey, pw);
  await deps.engine.request('accounts/resume', { accountId: a.id });
  vscode.window.setStatusBarMessage(vscode.l10n.t('MailDesk: password saved, reconnecting {0}…', accountLabel(a)), 5000);
  if (!(await deps.engine.request('folders/list', { accountId: a.id })).length) {
    // The account was saved while its login failed, so its folders were never read: do it now.
    await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('MailDesk: connecting {0}…', accountLabel(a)) }, () =>
      deps.engine.request('accounts/add', { account: a.config }),
    );
  }
}

/** Every secret an account may hold: passwords, Google tokens, the Microsoft token cache. */
async function deleteSecrets(secrets: SecretStore, accountId: string): Promise<void> {
  for (const s of ['imap', 'smtp'] as const) await secrets.delete(passwordSecretKey(accountId, s));
  await secrets.delete(tokenSecretKey(accountId));
  await secrets.delete(msalCacheSecretKey(accountId));
}

/** "Resetting access cleanly" in the guide: where to revoke MailDesk on the provider's side. */
function revokeHint(provider: string): string {
  if (provider === 'gmail') return vscode.l10n.t(" To revoke MailDesk's access too, open your Google Account → Security → Third-party apps with account access.");
  if (provider === 'outlook') return vscode.l10n.t(" To revoke MailDesk's access too, remove the app in Microsoft Entra (My Apps / Enterprise applications, or ask your administrator).");
  return '';
}
