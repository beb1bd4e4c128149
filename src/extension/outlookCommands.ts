/**
 * Outlook / Microsoft 365 commands: "Add Outlook / Microsoft 365 Account" and, on an account
 * whose sign-in was refused, "Connect Microsoft Graph (OAuth)". The settings are checked
 * before anything else, so a missing client id reads as "OAuth not configured" (with the
 * setting to fill and the Entra app registration steps) before any browser opens. Sign-in is
 * core code (MSAL: loopback, PKCE, state) run here in the window, its token cache kept in this
 * window's SecretStorage; the account is saved and resumed by requests to the engine.
 */
import * as vscode from 'vscode';
import { showMailError } from './notify';
import type { AccountConfig, OAuthConfig, SecretStore } from '../core/config';
import { MailError, toMailError } from '../core/errors';
import { msalCacheSecretKey, requireMicrosoftOAuth } from '../core/providers/graph/msalSettings';
import type { AccountRow } from '../core/store/store';
import type { Disposable } from './lifecycle';
import { channelLogger } from './logChannel';
import { recordingSignInVia } from './signInRecord';
import type { EngineClient } from '../engine/client';

// MSAL loads on first sign-in, as a bundle of its own (scripts/extensionBundles.mjs).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const msalAuth = async (): Promise<typeof import('../core/providers/graph/msalAuth')> => require('../core/providers/graph/msalAuth') as typeof import('../core/providers/graph/msalAuth');

export interface OutlookCommandDeps {
  /** This window's client of the engine: every read and action goes through it (src/shared/protocol/engine.ts). */
  engine: EngineClient;
  secrets: SecretStore;
  log: vscode.LogOutputChannel;
}

/** The Microsoft client as configured now (read at each use, so edits apply without a reload). */
export function microsoftFromSettings(): NonNullable<OAuthConfig['microsoft']> {
  const c = vscode.workspace.getConfiguration('maildesk.oauth.microsoft');
  const s = (k: string) => c.get<string>(k)?.trim() || undefined;
  return { clientId: s('clientId'), tenant: s('tenant'), authority: s('authority'), graphBaseUrl: s('graphBaseUrl') };
}

const openBrowser = async (url: string): Promise<void> => {
  const ok = await vscode.env.openExternal(vscode.Uri.parse(url, true));
  if (!ok) throw new MailError('auth.failed', vscode.l10n.t('the browser could not be opened for the Microsoft sign-in'));
};

function outlookAccountId(accounts: AccountRow[], email: string): string {
  const base = `outlook-${email.split('@')[0].replace(/[^A-Za-z0-9._-]/g, '-')}`;
  const taken = new Set(accounts.map((a) => a.id));
  let id = base;
  for (let i = 2; taken.has(id); i++) id = `${base}-${i}`;
  return id;
}

type SignInOptions = { settings: NonNullable<OAuthConfig['microsoft']>; secrets: SecretStore; logger: ReturnType<typeof channelLogger> };

/**
 * "Add Outlook / Microsoft 365 Account": the settings are checked first (nothing opens when they
 * are missing), MSAL's interactive sign-in keeps its token cache in this window's SecretStorage,
 * then the engine saves the account (its email the signed-in one) and reads its folders.
 */
async function addOutlookAccount(deps: OutlookCommandDeps, cfg: { id: string; email: string }, o: SignInOptions): Promise<{ account: AccountConfig }> {
  requireMicrosoftOAuth(o.settings);
  const auth = new (await msalAuth()).MsalAuth({ ...o, accountId: cfg.id, loginHint: cfg.email || undefined });
  const who = await recordingSignInVia(deps.engine, { provider: 'outlook', email: cfg.email || undefined }, () => auth.signIn(openBrowser), (e) => toMailError(e), deps.log);
  const account: AccountConfig = { ...cfg, provider: 'outlook', email: who.username || cfg.email };
  await deps.engine.request('accounts/add', { account });
  return { account };
}

/**
 * "Connect Microsoft Graph (OAuth)" on an account in the reauth state: a new sign-in (same
 * account id, so the same token cache key), then the paused jobs resume. No mail is touched.
 */
async function reconnectOutlookAccount(deps: OutlookCommandDeps, acc: AccountRow, o: SignInOptions): Promise<void> {
  requireMicrosoftOAuth(o.settings);
  const auth = new (await msalAuth()).MsalAuth({ ...o, accountId: acc.id, loginHint: acc.config.email });
  const who = await recordingSignInVia(deps.engine, { provider: 'outlook', accountId: acc.id, email: acc.config.email }, () => auth.signIn(openBrowser), (e) => toMailError(e), deps.log);
  if (who.username && who.username.toLowerCase() !== acc.config.email.toLowerCase()) {
    throw new MailError('auth.failed', vscode.l10n.t('signed in as {0}, but this account is {1}; sign in with {1}', who.username, acc.config.email));
  }
  await deps.engine.request('accounts/resume', { accountId: acc.id });
}

/** Shows the error with the action that fixes it. */
async function report(deps: OutlookCommandDeps, id: string, e: unknown): Promise<void> {
  const err = toMailError(e);
  deps.log.error(`${id}: ${err.describe()}`);
  if (err.code === 'oauth.notConfigured') {
    const c = await vscode.window.showErrorMessage(vscode.l10n.t('MailDesk: {0}', err.message), vscode.l10n.t('Open Settings'));
    if (c) await vscode.commands.executeCommand('workbench.action.openSettings', 'maildesk.oauth.microsoft');
    return;
  }
  if (err.code === 'auth.accessDenied') {
    // The remedy names tenant admin consent (describeError).
    await showMailError(vscode.l10n.t('MailDesk: Access denied. {0}', err.describe()), deps.log);
    return;
  }
  await showMailError(vscode.l10n.t('MailDesk: {0}', err.describe()), deps.log);
}

export function registerOutlookCommands(deps: OutlookCommandDeps): Disposable[] {
  const { engine } = deps;
  const reg = (id: string, fn: (arg?: { accountId?: string }) => unknown): Disposable =>
    vscode.commands.registerCommand(id, async (arg?: { accountId?: string }) => {
      try {
        await fn(arg);
      } catch (e) {
        await report(deps, id, e);
      }
    });
  const logger = channelLogger(deps.log);
  const signInOpts = (): SignInOptions => ({ settings: microsoftFromSettings(), secrets: deps.secrets, logger });

  return [
    reg('maildesk.addOutlookAccount', async () => {
      // Checked by addOutlookAccount too; asking for the address first would be wasted if unset.
      requireMicrosoftOAuth(microsoftFromSettings());
      const email = await vscode.window.showInputBox({
        title: vscode.l10n.t('Add Outlook / Microsoft 365 Account'),
        prompt: vscode.l10n.t('Your work, school or Outlook.com address (the browser sign-in confirms it)'),
        placeHolder: vscode.l10n.t('name@contoso.com'),
        ignoreFocusOut: true,
        validateInput: (s) => (/^[^@\s]+@[^@\s]+$/.test(s.trim()) ? undefined : vscode.l10n.t('Enter an email address')),
      });
      if (!email) return;
      const accounts = await engine.request('accounts/list', {});
      const existing = accounts.find((a) => a.provider === 'outlook' && a.email.toLowerCase() === email.trim().toLowerCase());
      if (existing) {
        await vscode.commands.executeCommand('maildesk.connectMicrosoftGraph', { accountId: existing.id });
        return;
      }
      const id = outlookAccountId(accounts, email.trim());
      const r = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('MailDesk: waiting for the Microsoft sign-in in your browser…') },
        () => addOutlookAccount(deps, { id, email: email.trim() }, signInOpts()),
      );
      vscode.window.showInformationMessage(vscode.l10n.t('MailDesk: {0} added. Inbox, Sent Items and Drafts are synced; pick more folders with Select Folders for Sync.', r.account.email));
    }),

    reg('maildesk.connectMicrosoftGraph', async (arg) => {
      let accountId = arg?.accountId;
      if (!accountId) {
        const list = (await engine.request('accounts/list', {})).filter((a) => a.provider === 'outlook');
        if (!list.length) throw new MailError('config.unknownAccount', vscode.l10n.t('there is no Outlook / Microsoft 365 account; use "MailDesk: Add Outlook / Microsoft 365 Account"'));
        const pick =
          list.length === 1
            ? list[0]
            : (await vscode.window.showQuickPick(list.map((a) => ({ label: a.email, description: a.state === 'reauth' ? vscode.l10n.t('Re-authorization required') : undefined, a })), { title: vscode.l10n.t('Connect Microsoft Graph (OAuth)') }))?.a;
        if (!pick) return;
        accountId = pick.id;
      }
      const acc = await engine.request('accounts/get', { accountId });
      if (!acc || acc.provider !== 'outlook') throw new MailError('config.unknownAccount', vscode.l10n.t('"{0}" is not an Outlook / Microsoft 365 account', accountId));
      await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('MailDesk: sign in as {0} in your browser…', acc.email) },
        () => reconnectOutlookAccount(deps, acc, signInOpts()),
      );
      if (!(await engine.request('folders/list', { accountId: acc.id })).length) await engine.request('accounts/add', { account: acc.config });
      vscode.window.showInformationMessage(vscode.l10n.t('MailDesk: {0} is connected again; no synced mail was lost.', acc.email));
    }),
  ];
}

/** Remove Account: the token cache goes with it (the revocation steps are in the remove message). */
export async function deleteOutlookTokens(secrets: SecretStore, accountId: string): Promise<void> {
  await secrets.delete(msalCacheSecretKey(accountId));
}
