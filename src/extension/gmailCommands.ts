/**
 * Gmail commands: "Add Gmail Account", "Sign in to Google Again" and "Set Google Client
 * Secret". The OAuth client is checked before anything else, so a missing client id
 * or secret is reported as "OAuth not configured" (with a button to the setting and
 * the command) before any browser opens. Sign-in itself is core code (PKCE, state,
 * loopback) run here in the window; the tokens go to this window's SecretStorage, and the
 * account is saved and resumed by requests to the engine (which never keeps a secret).
 */
import * as vscode from 'vscode';
import { showMailError } from './notify';
import type { OAuthConfig, SecretStore } from '../core/config';
import { MailError, toMailError } from '../core/errors';
import { GOOGLE_CLIENT_SECRET_KEY } from '../core/auth/oauthConfig';
import type { GoogleSignInResult } from '../core/providers/gmail/signIn';
import type * as GmailAccount from './gmailAccount';
import type { Disposable } from './lifecycle';
import type { EngineClient } from '../engine/client';

// Google sign-in (google-auth-library, the Gmail API client) loads on first use, as a bundle of
// its own (scripts/extensionBundles.mjs): activation only registers the commands.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const gmailAccount = async (): Promise<typeof GmailAccount> => require('./gmailAccount') as typeof GmailAccount;
const googleSignInVia: typeof GmailAccount.googleSignInVia = async (...a) => (await gmailAccount()).googleSignInVia(...a);
const saveGmailSignIn: typeof GmailAccount.saveGmailSignIn = async (...a) => (await gmailAccount()).saveGmailSignIn(...a);
const saveGmailReauth: typeof GmailAccount.saveGmailReauth = async (...a) => (await gmailAccount()).saveGmailReauth(...a);

export interface GmailCommandDeps {
  /** This window's client of the engine: every read and action goes through it (src/shared/protocol/engine.ts). */
  engine: EngineClient;
  secrets: SecretStore;
  log: vscode.LogOutputChannel;
}

/** The Google client as configured in settings now (read at each use, so edits apply without a reload). */
export function googleFromSettings(): NonNullable<OAuthConfig['google']> {
  const c = vscode.workspace.getConfiguration('maildesk.oauth.google');
  const s = (k: string) => c.get<string>(k)?.trim() || undefined;
  return { clientId: s('clientId'), authBaseUrl: s('authBaseUrl'), apiBaseUrl: s('apiBaseUrl') };
}

async function reportNotConfigured(err: MailError): Promise<void> {
  const openSetting = vscode.l10n.t('Open Setting');
  const setSecret = vscode.l10n.t('Set Google Client Secret');
  const c = await vscode.window.showErrorMessage(vscode.l10n.t('MailDesk: {0}', err.message), { modal: false }, openSetting, setSecret);
  if (c === openSetting) await vscode.commands.executeCommand('workbench.action.openSettings', 'maildesk.oauth.google.clientId');
  if (c === setSecret) await vscode.commands.executeCommand('maildesk.setGoogleClientSecret');
}

async function signIn(deps: GmailCommandDeps, loginHint?: string): Promise<GoogleSignInResult | undefined> {
  try {
    return await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('MailDesk: waiting for the Google sign-in in your browser…'), cancellable: true },
      // Remembered when it fails, so Troubleshoot reports "Access denied" after the fact.
      (_p, token) =>
        googleSignInVia(deps, googleFromSettings(), {
          loginHint,
          openBrowser: (url) => Promise.resolve(vscode.env.openExternal(vscode.Uri.parse(url, true))),
          onCancel: (cancel) => token.onCancellationRequested(cancel),
        }),
    );
  } catch (e) {
    const err = toMailError(e);
    if (err.code === 'oauth.notConfigured') {
      await reportNotConfigured(err);
      return undefined;
    }
    throw err;
  }
}

export function registerGmailCommands(deps: GmailCommandDeps): Disposable[] {
  const { engine, log } = deps;
  const reg = (id: string, fn: (arg?: { accountId?: string }) => unknown): Disposable =>
    vscode.commands.registerCommand(id, async (arg?: { accountId?: string }) => {
      try {
        await fn(arg);
      } catch (e) {
        const err = toMailError(e);
        log.error(`${id}: ${err.describe()}`);
        await showMailError(vscode.l10n.t('MailDesk: {0}', err.describe()), log);
      }
    });

  return [
    reg('maildesk.setGoogleClientSecret', async () => {
      const v = await vscode.window.showInputBox({
        title: vscode.l10n.t('Google OAuth client secret'),
        prompt: vscode.l10n.t('The client secret of the "Desktop app" OAuth client (Google Cloud Console → APIs & Services → Credentials). Kept in SecretStorage.'),
        password: true,
        ignoreFocusOut: true,
        validateInput: (s) => (s.trim() ? undefined : vscode.l10n.t('Enter the client secret')),
      });
      if (!v) return;
      await deps.secrets.set(GOOGLE_CLIENT_SECRET_KEY, v.trim());
      vscode.window.setStatusBarMessage(vscode.l10n.t('MailDesk: Google client secret saved'), 4000);
    }),

    reg('maildesk.addGmailAccount', async () => {
      const r = await signIn(deps);
      if (!r) return;
      const { existed } = await saveGmailSignIn(deps, r);
      if (existed) {
        vscode.window.showInformationMessage(vscode.l10n.t('MailDesk: {0} is signed in again; its mail was kept.', r.email));
        return;
      }
      vscode.window.showInformationMessage(vscode.l10n.t('MailDesk: {0} added. Inbox, Sent and Drafts are synced; pick more labels with Select Folders for Sync.', r.email));
    }),

    reg('maildesk.signInGoogleAgain', async (arg) => {
      let accountId = arg?.accountId;
      if (!accountId) {
        const gmailAccounts = (await engine.request('accounts/list', {})).filter((a) => a.provider === 'gmail');
        if (!gmailAccounts.length) throw new MailError('config.unknownAccount', vscode.l10n.t('there is no Gmail account; use "MailDesk: Add Gmail Account"'));
        const pick = gmailAccounts.length === 1 ? gmailAccounts[0] : (await vscode.window.showQuickPick(gmailAccounts.map((a) => ({ label: a.email, description: a.state === 'reauth' ? vscode.l10n.t('sign-in required') : undefined, a })), { title: vscode.l10n.t('Sign in to Google again') }))?.a;
        if (!pick) return;
        accountId = pick.id;
      }
      const acc = await engine.request('accounts/get', { accountId });
      if (!acc || acc.provider !== 'gmail') throw new MailError('config.unknownAccount', vscode.l10n.t('"{0}" is not a Gmail account', accountId));
      const r = await signIn(deps, acc.email);
      if (!r) return;
      // Only the tokens change: every synced message stays where it is.
      await saveGmailReauth(deps, acc, r);
      vscode.window.showInformationMessage(vscode.l10n.t('MailDesk: {0} is signed in again; no synced mail was lost.', acc.email));
    }),
  ];
}
