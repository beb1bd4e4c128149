/**
 * "Add IMAP Account": a guided input flow (with Back), then a test of both servers
 * with progress. Nothing is saved until both tests pass, or the user says "Save anyway";
 * on failure "Edit Settings" goes through the flow again with every value prefilled.
 * The password is only staged in memory while testing, never written before saving.
 */
import * as vscode from 'vscode';
import { showMailError } from './notify';
import type { AccountConfig, Security } from '../core/config';
import { passwordSecretKey } from '../core/config';
import { describeError, toMailError } from '../core/errors';
import type { VerifyReport } from '../core/providers/provider';
import type { EngineClient } from '../engine/client';
import { accountIdFor, compareFolders, defaultPort, folderLabel, needsPassword, verifyReportLines } from './format';
import type { StagedSecretStore } from './secretStorage';
import { testServerVia } from './serverTest';

export interface AddAccountDeps {
  /** This window's client of the engine: the tests, the save and every read go through it. */
  engine: EngineClient;
  secrets: StagedSecretStore;
  log: vscode.LogOutputChannel;
}

interface Draft {
  email?: string;
  name?: string;
  imapHost?: string;
  imapSecurity?: Security;
  imapPort?: number;
  imapUser?: string;
  password?: string;
  smtpHost?: string;
  smtpSecurity?: Security;
  smtpPort?: number;
  smtpUser?: string;
}

const BACK = Symbol('back');
const CANCEL = Symbol('cancel');
type Outcome<T> = T | typeof BACK | typeof CANCEL;
type Step = (d: Draft) => Promise<Outcome<void>>;

const ADD_TITLE = vscode.l10n.t('MailDesk: Add IMAP Account');
/** The buttons after a failed server test (compared with what VS Code returns). */
const EDIT_SETTINGS = vscode.l10n.t('Edit Settings');
const SAVE_ANYWAY = vscode.l10n.t('Save Anyway');
/** The running flow's title: Add, or Edit for an account that exists. */
let TITLE = ADD_TITLE;

const SECURITY_ITEMS: Array<vscode.QuickPickItem & { value: Security }> = [
  { label: 'TLS', description: vscode.l10n.t('encrypted from the start (ports 993 / 465)'), value: 'tls' },
  { label: 'STARTTLS', description: vscode.l10n.t('plain connection upgraded to TLS (ports 143 / 587)'), value: 'starttls' },
  { label: vscode.l10n.t('None'), description: vscode.l10n.t('unencrypted: only for local test servers'), value: 'none' },
];

/** Runs the flow; resolves with the new account id, or undefined when cancelled. */
export async function addImapAccount(deps: AddAccountDeps): Promise<string | undefined> {
  TITLE = ADD_TITLE;
  const draft: Draft = {};
  // "Edit Settings" after a failed test goes back to the server that failed, values kept.
  let startAt = 0;
  for (;;) {
    if (!(await collect(draft, startAt))) return undefined;
    const cfg = toConfig(draft, (await deps.engine.request('accounts/list', {})).map((a) => a.id));
    const key = passwordSecretKey(cfg.id, 'imap');
    deps.secrets.stage(key, draft.password ?? '');
    try {
      const failed = await testServers(deps, cfg);
      const failure = failed?.report;
      if (failure) {
        const choice = await vscode.window.showErrorMessage(
          vscode.l10n.t('MailDesk: testing {0} failed: {1}', cfg.email, failure.error ? describeError(failure.error.code).title : vscode.l10n.t('the server test did not pass')),
          { modal: true, detail: verifyReportLines(failure).join('\n') },
          EDIT_SETTINGS,
          SAVE_ANYWAY,
        );
        if (choice === EDIT_SETTINGS) {
          startAt = failed.which === 'incoming' ? STEP_IMAP_HOST : STEP_SMTP_HOST;
          continue;
        }
        if (choice !== SAVE_ANYWAY) return undefined;
      }
      await deps.secrets.set(key, draft.password ?? '');
      return await save(deps, cfg);
    } finally {
      deps.secrets.unstage(key);
    }
  }
}

/**
 * "Edit Account": the same steps with every current value filled in (servers, ports,
 * security, users, the stored password), so each can be reviewed and changed; then both
 * servers are tested as for a new account, and the account keeps its id, folders and mail.
 */
export async function editImapAccount(deps: AddAccountDeps, accountId: string): Promise<boolean> {
  const acc = await deps.engine.request('accounts/get', { accountId });
  if (!acc) return false;
  const c = acc.config;
  if (c.provider !== 'imap' || !c.imap) {
    void vscode.window.showInformationMessage(
      vscode.l10n.t('MailDesk: {0} signs in with {1}; there are no server settings to edit. Use "Sign in again" from its menu if it is disconnected.', c.email, c.provider === 'gmail' ? 'Google' : 'Microsoft'),
    );
    return false;
  }
  TITLE = vscode.l10n.t('MailDesk: Edit {0}', c.email);
  const key = passwordSecretKey(accountId, 'imap');
  const draft: Draft = {
    email: c.email,
    name: c.name,
    imapHost: c.imap.host,
    imapSecurity: c.imap.security,
    imapPort: c.imap.port,
    imapUser: c.imap.user,
    password: await deps.secrets.get(key),
    smtpHost: c.smtp?.host ?? '',
    smtpSecurity: c.smtp?.security,
    smtpPort: c.smtp?.port,
    smtpUser: c.smtp?.user,
  };
  let startAt = 0;
  for (;;) {
    if (!(await collect(draft, startAt))) return false;
    const fresh = toConfig(draft, []);
    // Same id (its mail and folders stay); settings the flow does not ask about are kept.
    const cfg: AccountConfig = { ...c, email: fresh.email, name: fresh.name, imap: fresh.imap, smtp: fresh.smtp };
    deps.secrets.stage(key, draft.password ?? '');
    try {
      const failed = await testServers(deps, cfg);
      if (failed) {
        const choice = await vscode.window.showErrorMessage(
          vscode.l10n.t('MailDesk: testing {0} failed: {1}', cfg.email, failed.report.error ? describeError(failed.report.error.code).title : vscode.l10n.t('the server test did not pass')),
          { modal: true, detail: verifyReportLines(failed.report).join('\n') },
          EDIT_SETTINGS,
          SAVE_ANYWAY,
        );
        if (choice === EDIT_SETTINGS) {
          startAt = failed.which === 'incoming' ? STEP_IMAP_HOST : STEP_SMTP_HOST;
          continue;
        }
        if (choice !== SAVE_ANYWAY) return false;
      }
      await deps.secrets.set(key, draft.password ?? '');
      try {
        await deps.engine.request('accounts/add', { account: cfg });
        vscode.window.setStatusBarMessage(vscode.l10n.t('MailDesk: saved the settings of {0}', cfg.email), 5000);
      } catch (e) {
        // Saved; the account shows as disconnected with the reason (AccountAlerts offers the fix).
        deps.log.error(`Editing ${cfg.email}: ${toMailError(e).describe()}`);
      }
      return true;
    } finally {
      deps.secrets.unstage(key);
    }
  }
}

function toConfig(d: Draft, taken: string[]): AccountConfig {
  const email = d.email!.trim();
  const cfg: AccountConfig = {
    id: accountIdFor(email, taken),
    provider: 'imap',
    email,
    name: d.name?.trim() || undefined,
    imap: { host: d.imapHost!.trim(), port: d.imapPort!, security: d.imapSecurity!, user: d.imapUser!.trim() },
  };
  if (d.smtpHost?.trim()) cfg.smtp = { host: d.smtpHost.trim(), port: d.smtpPort!, security: d.smtpSecurity!, user: d.smtpUser!.trim() };
  return cfg;
}

/** Returns the first failing report and which server it is, or undefined when every tested server passed. */
async function testServers(deps: AddAccountDeps, cfg: AccountConfig): Promise<{ report: VerifyReport; which: 'incoming' | 'outgoing' } | undefined> {
  return vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('MailDesk: testing {0}', cfg.email) },
    async (progress) => {
      const reports: Array<{ report: VerifyReport; which: 'incoming' | 'outgoing' }> = [];
      progress.report({ message: vscode.l10n.t('incoming server {0}…', cfg.imap!.host) });
      reports.push({ report: await runTest(deps, cfg, 'incoming'), which: 'incoming' });
      if (cfg.smtp) {
        progress.report({ message: vscode.l10n.t('outgoing server {0}…', cfg.smtp.host) });
        reports.push({ report: await runTest(deps, cfg, 'outgoing'), which: 'outgoing' });
      }
      return reports.find((r) => !r.report.ok);
    },
  );
}

async function runTest(deps: AddAccountDeps, cfg: AccountConfig, which: 'incoming' | 'outgoing'): Promise<VerifyReport> {
  const report = await testServerVia(deps.engine, cfg, which);
  deps.log.info(`Test ${which} server for ${cfg.email} (${report.server}): ${report.ok ? 'passed' : 'failed'}`);
  for (const line of verifyReportLines(report)) if (line) deps.log.info(`  ${line}`);
  return report;
}

async function save(deps: AddAccountDeps, cfg: AccountConfig): Promise<string | undefined> {
  try {
    const folders = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('MailDesk: adding {0}', cfg.email), cancellable: false },
      async (progress) => {
        progress.report({ message: vscode.l10n.t('reading the folder list…') });
        return deps.engine.request('accounts/add', { account: cfg });
      },
    );
    const synced = folders.filter((f) => f.selected).sort(compareFolders).map(folderLabel);
    void vscode.window
      .showInformationMessage(
        folders.length === 1
          ? vscode.l10n.t('MailDesk: {0} added with 1 folder; syncing {1}.', cfg.email, synced.join(', ') || vscode.l10n.t('no folder yet'))
          : vscode.l10n.t('MailDesk: {0} added with {1} folders; syncing {2}.', cfg.email, folders.length, synced.join(', ') || vscode.l10n.t('no folder yet')),
        vscode.l10n.t('Select Folders for Sync'),
      )
      .then((c) => c && vscode.commands.executeCommand('maildesk.selectFolders', { kind: 'account', accountId: cfg.id }));
  } catch (e) {
    // The account is saved even when the folder list could not be read: it shows as
    // disconnected with the reason, and Refresh / Enter Password can fix it later.
    const err = toMailError(e, vscode.l10n.t('reading the folder list'));
    deps.log.error(`Adding ${cfg.email}: ${err.describe()}`);
    // AccountAlerts already tells the user about the disconnected account, with the same fix
    // as buttons; a second toast saying the same thing would only crowd the screen.
    const state = (await deps.engine.request('accounts/get', { accountId: cfg.id }).catch(() => null))?.state;
    if (state === 'disconnected' || state === 'reauth') return cfg.id;
    const node = { kind: 'account', accountId: cfg.id };
    const enter = vscode.l10n.t('Enter Password');
    const test = vscode.l10n.t('Test Incoming Server');
    void showMailError(vscode.l10n.t('MailDesk: {0} was saved, but {1}', cfg.email, err.describe()), deps.log, [needsPassword(err.code) ? enter : test]).then((c) => {
      if (c === enter) void vscode.commands.executeCommand('maildesk.enterPassword', node);
      else if (c === test) void vscode.commands.executeCommand('maildesk.testIncoming', node);
    });
  }
  return cfg.id;
}

// ---- the input steps ------------------------------------------------------------

function domainOf(email: string | undefined): string {
  const at = email?.lastIndexOf('@') ?? -1;
  return at >= 0 ? email!.slice(at + 1).trim() : '';
}

const validHost = (v: string) => (/^[A-Za-z0-9.-]+$|^\[[0-9a-fA-F:.]+\]$/.test(v.trim()) ? undefined : vscode.l10n.t('Enter a host name such as imap.example.com'));
const validPort = (v: string) => (/^\d+$/.test(v.trim()) && +v >= 1 && +v <= 65535 ? undefined : vscode.l10n.t('Enter a port number from 1 to 65535'));

/** Indexes in steps(): where "Edit Settings" resumes after the incoming or the outgoing test failed. */
const STEP_IMAP_HOST = 2;
const STEP_SMTP_HOST = 7;

/** The outgoing host a person would try first: smtp.<rest> for imap.<rest>, else the incoming host itself. */
export function smtpHostGuess(email: string | undefined, imapHost: string | undefined): string {
  const h = imapHost?.trim();
  if (!h) return `smtp.${domainOf(email)}`;
  const m = /^imap\.(.+)$/i.exec(h);
  return m ? `smtp.${m[1]}` : h;
}

function steps(): Step[] {
  return [
    async (d) => {
      const v = await ask({ step: 1, value: d.email, prompt: vscode.l10n.t('Email address'), placeholder: 'ann@example.com', validate: (s) => (/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(s.trim()) ? undefined : vscode.l10n.t('Enter an email address such as ann@example.com')) }, false);
      if (typeof v !== 'string') return v;
      if (v.trim() !== d.email) {
        // A new address changes the guesses that were derived from the old one.
        const old = domainOf(d.email);
        if (!d.imapHost || d.imapHost === `imap.${old}`) d.imapHost = undefined;
        if (!d.smtpHost || d.smtpHost === `smtp.${old}`) d.smtpHost = undefined;
        if (d.imapUser === d.email) d.imapUser = undefined;
        if (d.smtpUser === d.email) d.smtpUser = undefined;
      }
      d.email = v.trim();
      return undefined;
    },
    async (d) => {
      const v = await ask({ step: 2, value: d.name, prompt: vscode.l10n.t('Display name (optional): the name recipients see'), placeholder: vscode.l10n.t('Ann Example') });
      if (typeof v !== 'string') return v;
      d.name = v.trim();
      return undefined;
    },
    async (d) => {
      const v = await ask({ step: 3, value: d.imapHost ?? `imap.${domainOf(d.email)}`, prompt: vscode.l10n.t('Incoming (IMAP) server host'), validate: validHost });
      if (typeof v !== 'string') return v;
      // The outgoing guess follows the incoming host, unless the user typed one of their own.
      if (d.smtpHost && d.smtpHost === smtpHostGuess(d.email, d.imapHost)) d.smtpHost = undefined;
      d.imapHost = v.trim();
      return undefined;
    },
    async (d) => {
      const v = await pickSecurity(4, vscode.l10n.t('Incoming server security'), d.imapSecurity ?? 'tls');
      if (typeof v !== 'string') return v;
      if (d.imapPort !== undefined && d.imapPort === defaultPort('imap', d.imapSecurity ?? 'tls')) d.imapPort = undefined;
      d.imapSecurity = v;
      return undefined;
    },
    async (d) => {
      const v = await ask({ step: 5, value: String(d.imapPort ?? defaultPort('imap', d.imapSecurity!)), prompt: vscode.l10n.t('Incoming server port'), validate: validPort });
      if (typeof v !== 'string') return v;
      d.imapPort = Number(v.trim());
      return undefined;
    },
    async (d) => {
      const v = await ask({ step: 6, value: d.imapUser ?? d.email, prompt: vscode.l10n.t('Incoming server user name (often the email address)'), validate: (s) => (s.trim() ? undefined : vscode.l10n.t('Enter the user name')) });
      if (typeof v !== 'string') return v;
      d.imapUser = v.trim();
      return undefined;
    },
    async (d) => {
      const v = await ask({ step: 7, value: d.password, prompt: vscode.l10n.t('Password for {0} (stored in the system keychain, never in settings)', d.imapUser ?? ''), password: true, validate: (s) => (s ? undefined : vscode.l10n.t('Enter the password')) });
      if (typeof v !== 'string') return v;
      d.password = v;
      return undefined;
    },
    async (d) => {
      const v = await ask({ step: 8, value: d.smtpHost ?? smtpHostGuess(d.email, d.imapHost), prompt: vscode.l10n.t('Outgoing (SMTP) server host; leave empty to only read mail with this account'), validate: (s) => (s.trim() ? validHost(s) : undefined) });
      if (typeof v !== 'string') return v;
      d.smtpHost = v.trim();
      return undefined;
    },
    async (d) => {
      if (!d.smtpHost) return;
      const v = await pickSecurity(9, vscode.l10n.t('Outgoing server security'), d.smtpSecurity ?? 'tls');
      if (typeof v !== 'string') return v;
      if (d.smtpPort !== undefined && d.smtpPort === defaultPort('smtp', d.smtpSecurity ?? 'tls')) d.smtpPort = undefined;
      d.smtpSecurity = v;
      return undefined;
    },
    async (d) => {
      if (!d.smtpHost) return;
      const v = await ask({ step: 10, value: String(d.smtpPort ?? defaultPort('smtp', d.smtpSecurity!)), prompt: vscode.l10n.t('Outgoing server port'), validate: validPort });
      if (typeof v !== 'string') return v;
      d.smtpPort = Number(v.trim());
      return undefined;
    },
    async (d) => {
      if (!d.smtpHost) return;
      // Empty: a relay that takes mail without a login (no AUTH is sent).
      const v = await ask({ step: 11, value: d.smtpUser ?? d.imapUser, prompt: vscode.l10n.t('Outgoing server user name (the incoming password is used; leave empty for a relay without login)') });
      if (typeof v !== 'string') return v;
      d.smtpUser = v.trim();
      return undefined;
    },
  ];
}

/** Walks the steps, going back on Back; false when the user cancelled. */
async function collect(d: Draft, start = 0): Promise<boolean> {
  const list = steps();
  let i = start;
  while (i < list.length) {
    const r = await list[i](d);
    if (r === CANCEL) return false;
    i = r === BACK ? Math.max(0, i - 1) : i + 1;
  }
  return true;
}

const TOTAL = 11;

interface AskOptions {
  step: number;
  value?: string;
  prompt: string;
  placeholder?: string;
  password?: boolean;
  validate?: (v: string) => string | undefined;
}

function ask(o: AskOptions, canGoBack = true): Promise<Outcome<string>> {
  return new Promise((resolve) => {
    const box = vscode.window.createInputBox();
    box.title = TITLE;
    box.step = o.step;
    box.totalSteps = TOTAL;
    box.value = o.value ?? '';
    box.prompt = o.prompt;
    box.placeholder = o.placeholder;
    box.password = o.password ?? false;
    box.ignoreFocusOut = true;
    box.buttons = canGoBack ? [vscode.QuickInputButtons.Back] : [];
    let done = false;
    const finish = (v: Outcome<string>) => {
      if (done) return;
      done = true;
      resolve(v);
      box.dispose();
    };
    box.onDidTriggerButton((b) => b === vscode.QuickInputButtons.Back && finish(BACK));
    box.onDidChangeValue(() => (box.validationMessage = undefined));
    box.onDidAccept(() => {
      const err = o.validate?.(box.value);
      if (err) box.validationMessage = err;
      else finish(box.value);
    });
    box.onDidHide(() => finish(CANCEL));
    box.show();
  });
}

function pickSecurity(step: number, placeholder: string, current: Security): Promise<Outcome<Security>> {
  return new Promise((resolve) => {
    const qp = vscode.window.createQuickPick<(typeof SECURITY_ITEMS)[number]>();
    qp.title = TITLE;
    qp.step = step;
    qp.totalSteps = TOTAL;
    qp.placeholder = placeholder;
    qp.items = SECURITY_ITEMS;
    qp.activeItems = SECURITY_ITEMS.filter((i) => i.value === current);
    qp.ignoreFocusOut = true;
    qp.buttons = [vscode.QuickInputButtons.Back];
    let done = false;
    const finish = (v: Outcome<Security>) => {
      if (done) return;
      done = true;
      resolve(v);
      qp.dispose();
    };
    qp.onDidTriggerButton((b) => b === vscode.QuickInputButtons.Back && finish(BACK));
    qp.onDidAccept(() => qp.selectedItems[0] && finish(qp.selectedItems[0].value));
    qp.onDidHide(() => finish(CANCEL));
    qp.show();
  });
}
