/**
 * "MailDesk: Troubleshoot": asks (optionally) what the user expected and what happened, runs
 * the diagnostics checks with progress, and shows the results in a webview grouped by account,
 * each problem with its remedy and a button that goes there; Copy report, Save report, Run again.
 *
 * The webview is untrusted: strict CSP, no command URIs, and it can only ask for an action by
 * its index in the table this host built from its own check outcomes (viewModel.ts).
 */
import * as vscode from 'vscode';
import { webviewPage } from '../webviewPage';
import { pageStringsHtml } from '../../shared/protocol/pageStrings';
import { troubleshootStrings } from '../pageStrings';
import { secretCredentials, type AccountConfig, type SecretStore } from '../../core/config';
import type { CheckAction } from '../../core/diagnostics/check';
import { collectSecrets } from '../../core/diagnostics/redact';
import { renderMarkdown, type SupportReport } from '../../core/diagnostics/report';
import { MailError, toMailError } from '../../core/errors';
import type { DiagnosticsParams } from '../../shared/protocol/engine';
import { parseTroubleshootMessage, type HostToTroubleshoot, type TroubleshootModel, type TroubleshootToHost } from '../../shared/protocol/troubleshoot';
import { DisposableBase, type Disposable } from '../lifecycle';
import { MailboxesModel } from '../mailboxesModel';
import { googleFromSettings } from '../gmailCommands';
import { microsoftFromSettings } from '../outlookCommands';
import { vscodeModels } from '../pro/lm';
import type { StandInRun } from './standIn';
import { troubleshootPageBody } from './troubleshootPage';
import { buildViewModel, flattenSettings, progressLine, reportPaths, resolveAction, saveReportFiles, userStory, type PanelReport, type ProgressEvent } from './viewModel';
import type { EngineClient } from '../../engine/client';

const VIEW_TYPE = 'maildesk.troubleshoot';
export const TROUBLESHOOT_COMMAND = 'maildesk.troubleshoot';

export interface TroubleshootDeps {
  /**
   * This window's client of the engine: the checks run there (`diagnostics/run`, the pipeline
   * `maildesk doctor` runs too). Absent only when the engine could not open the store.
   */
  engine?: EngineClient;
  /** Without an engine: the in-memory stand-in core the checks run on (see ./standIn.ts). */
  standIn?: StandInRun['standIn'];
  secrets: SecretStore;
  log: vscode.LogOutputChannel;
  extensionUri: vscode.Uri;
  /** MailDesk's version, for the report. */
  version: string;
  /** Why the data folder's store could not be opened (there is then no engine, only `standIn`). */
  storeProblem?: MailError;
  dataDir?: string;
}

interface RunResult {
  result: PanelReport;
  story: { expected?: string; happened?: string; when?: string };
}

/** The environment variables the checks look at: MailDesk's own and those the accounts name. */
function checkedEnv(accounts: AccountConfig[]): Record<string, string> {
  const names = new Set<string>();
  for (const a of accounts) for (const n of [a.imap?.passwordEnv, a.smtp?.passwordEnv, a.tokenEnv, a.tokenCacheEnv]) if (n) names.add(n);
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && (names.has(k) || k.startsWith('MAILDESK_'))) out[k] = v;
  return out;
}

/** How long, after a fix for an account, the panel waits for it to reconnect to check again. */
const RECHECK_WAIT_MS = 60_000;

export function registerTroubleshoot(deps: TroubleshootDeps): Disposable[] {
  const controller = new TroubleshootController(deps);
  return [controller, vscode.commands.registerCommand(TROUBLESHOOT_COMMAND, () => controller.start())];
}

class TroubleshootController extends DisposableBase {
  private panel: TroubleshootPanel | undefined;
  private running: Promise<void> | undefined;
  private last: RunResult | undefined;
  private report: SupportReport | undefined;
  private actions: CheckAction[] = [];
  private includeAddresses = false;

  constructor(private readonly deps: TroubleshootDeps) {
    super();
    this._register({ dispose: () => this.panel?.dispose() });
  }

  /** The command: ask the two questions (Esc skips), then run. */
  async start(): Promise<void> {
    if (this.running) {
      this.showPanel().reveal();
      return this.running;
    }
    const expected = await vscode.window.showInputBox({
      title: vscode.l10n.t('MailDesk Troubleshoot (1/2, optional)'),
      prompt: vscode.l10n.t('What did you expect? (Esc skips both questions)'),
      placeHolder: vscode.l10n.t('e.g. new mail in Inbox every few minutes'),
      ignoreFocusOut: true,
    });
    // Esc on the first question skips both: the checks matter more than the story.
    const happened =
      expected === undefined
        ? undefined
        : await vscode.window.showInputBox({
            title: vscode.l10n.t('MailDesk Troubleshoot (2/2, optional)'),
            prompt: vscode.l10n.t('What happened instead, and roughly when? (Esc skips)'),
            placeHolder: vscode.l10n.t('e.g. Inbox shows 0 emails since this morning'),
            ignoreFocusOut: true,
          });
    await this.run(userStory(expected, happened, new Date()));
  }

  private run(story: RunResult['story']): Promise<void> {
    if (this.running) return this.running;
    this.running = this.runOnce(story).finally(() => (this.running = undefined));
    return this.running;
  }

  private async runOnce(story: RunResult['story']): Promise<void> {
    this.lastRunStarted = Date.now();
    const panel = this.showPanel();
    panel.reveal();
    const lines: string[] = [];
    panel.running(0, 0, lines);
    try {
      const all = vscode.workspace.getConfiguration();
      // What only this window knows: its settings, VS Code's version, the user's story.
      const params: DiagnosticsParams = {
        accounts: [],
        settings: flattenSettings(JSON.parse(JSON.stringify(vscode.workspace.getConfiguration('maildesk'))) as unknown),
        syncIntervalMs: Math.max(15, all.get<number>('maildesk.sync.intervalSeconds', 120)) * 1000,
        env: {},
        secrets: [],
        version: this.deps.version,
        app: 'vscode',
        vscodeVersion: vscode.version,
        ...story,
        includeAddresses: false,
        forPanel: true,
      };
      const result = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('MailDesk: Troubleshoot') }, (progress) =>
        this.diagnose(params, (p) => {
          const line = progressLine(p);
          if (!line) return;
          lines.push(line);
          progress.report({ message: line, increment: p.total ? 100 / p.total : undefined });
          this.panel?.running(p.done, p.total, lines);
        }),
      );
      this.last = { result, story };
      this.rebuild();
    } catch (e) {
      const err = toMailError(e, 'Troubleshoot');
      this.deps.log.error(`Troubleshoot: ${err.describe()}`);
      this.panel?.notice(vscode.l10n.t('Troubleshoot could not finish: {0}', err.describe()), 'error');
      void vscode.window.showErrorMessage(vscode.l10n.t('MailDesk: Troubleshoot could not finish: {0}', err.describe()), vscode.l10n.t('Show Log')).then((c) => c && this.deps.log.show());
    }
  }

  /** One run of the checks: in the engine, or (no store could be opened) on the stand-in. */
  private async diagnose(params: DiagnosticsParams, onProgress: (p: ProgressEvent) => void): Promise<PanelReport> {
    const { engine, standIn } = this.deps;
    if (!engine) {
      if (!standIn) throw new MailError('internal', vscode.l10n.t('Troubleshoot has no engine to run the checks in; reload the window'));
      // Loaded only here: the stand-in runs the checks on a whole core, which a window with an engine never loads.
      const { runOnStandIn } = await import('./standIn');
      return runOnStandIn({ standIn, secrets: this.deps.secrets, storeProblem: this.deps.storeProblem, dataDir: this.deps.dataDir }, params, onProgress);
    }
    const accounts = (await engine.request('accounts/list', {})).map((a) => a.config);
    const oauth = { google: googleFromSettings(), microsoft: microsoftFromSettings() };
    // The passwords live in this window (SecretStorage): it names them so the engine masks them.
    const secrets = await collectSecrets(accounts, { credentials: secretCredentials(this.deps.secrets), oauth, env: process.env });
    const hostModels = (await vscodeModels().catch(() => [])).map((m) => m.label);
    const progress = engine.on('diagnostics/progress', onProgress);
    try {
      const r = await engine.request('diagnostics/run', { ...params, accounts: accounts.map((a) => a.id), oauth, env: checkedEnv(accounts), secrets, pro: { hostModels } });
      if (!r.panel) throw new MailError('internal', vscode.l10n.t('the engine answered Troubleshoot without the panel data; reload the window'));
      return { ...r, panel: r.panel };
    } finally {
      progress.dispose();
    }
  }

  private recheck: Disposable | undefined;

  /** Runs the checks again once the account is connected (if it is not already), while the panel is open. */
  private recheckWhenConnected(accountId: string): void {
    const { engine } = this.deps;
    this.recheck?.dispose();
    if (!engine) return;
    const model = MailboxesModel.of(engine);
    let done = false;
    const stop = (): void => {
      done = true;
      listener.dispose();
      clearTimeout(timer);
      if (this.recheck === handle) this.recheck = undefined;
    };
    const look = async (): Promise<void> => {
      const a = (await model.snapshot()).accounts.find((x) => x.id === accountId);
      if (done || !this.panel || this.panel.closed || !a) return void stop();
      if (a.state !== 'connected') return;
      stop();
      if (this.running) await this.running.catch(() => undefined);
      // A run that started after the account connected already shows the outcome.
      if (this.lastRunAfter(a.stateAt)) return;
      await this.run(this.last?.story ?? {});
    };
    const listener = model.onDidChange((c) => (c.all || c.accounts.includes(accountId)) && void look().catch(() => undefined));
    // A fix that did not work leaves the account disconnected: stop waiting after a while.
    const timer = setTimeout(stop, RECHECK_WAIT_MS);
    const handle: Disposable = { dispose: stop };
    this.recheck = handle;
    this._register(handle);
    void look().catch(() => undefined);
  }

  /** Whether the last run started after `at` (a state change's time). */
  private lastRunAfter(at: number | null): boolean {
    return !!at && !!this.lastRunStarted && this.lastRunStarted > at;
  }
  private lastRunStarted: number | undefined;

  /** The view of the last run, with or without email addresses. */
  private rebuild(): void {
    const r = this.last?.result;
    if (!r) return;
    this.report = this.includeAddresses ? r.panel.withAddresses : withoutPanel(r);
    const view = buildViewModel({ report: this.report, outcomes: r.panel.outcomes, includeAddresses: this.includeAddresses, ms: r.panel.ms });
    this.actions = view.actions;
    this.panel?.show(view.model);
  }

  private showPanel(): TroubleshootPanel {
    if (!this.panel || this.panel.closed) {
      const panel = new TroubleshootPanel(this.deps.extensionUri, (m) => this.onMessage(m));
      panel.onDispose(() => this.panel === panel && (this.panel = undefined));
      this.panel = panel;
      if (this.report && this.last) {
        const view = buildViewModel({ report: this.report, outcomes: this.last.result.panel.outcomes, includeAddresses: this.includeAddresses, ms: this.last.result.panel.ms });
        this.actions = view.actions;
        panel.show(view.model);
      }
    }
    return this.panel;
  }

  private async onMessage(msg: TroubleshootToHost): Promise<void> {
    try {
      switch (msg.type) {
        case 'ready':
          return;
        case 'runAction': {
          // Only an action this host produced, looked up by index: never a command from the page.
          const action = resolveAction(this.actions, msg.index);
          if (!action) return;
          await vscode.commands.executeCommand(action.command, ...(action.args ?? []));
          // The fix ran (or its dialog closed): check again, so the page shows whether it worked.
          await this.run(this.last?.story ?? {});
          // A fix for an account (Enter Password, Sign in again) resumes its sync in the engine,
          // which reconnects a moment later: until then a check still says "sync is paused".
          // Check once more when it is connected, so the page ends on the outcome of the fix.
          const target = action.args?.[0] as { kind?: string; accountId?: string } | undefined;
          if (target?.kind === 'account' && target.accountId) this.recheckWhenConnected(target.accountId);
          return;
        }
        case 'runAgain':
          await this.run(this.last?.story ?? {});
          return;
        case 'setIncludeAddresses':
          this.includeAddresses = msg.value;
          this.rebuild();
          return;
        case 'copyReport':
          return await this.copy();
        case 'saveReport':
          return await this.save();
      }
    } catch (e) {
      const err = toMailError(e);
      this.deps.log.error(`Troubleshoot (${msg.type}): ${err.describe()}`);
      this.panel?.notice(err.describe(), 'error');
    }
  }

  private async copy(): Promise<void> {
    if (!this.report) return;
    await vscode.env.clipboard.writeText(renderMarkdown(this.report));
    this.panel?.notice(
      this.includeAddresses ? vscode.l10n.t('Report copied to the clipboard (Markdown, with email addresses).') : vscode.l10n.t('Report copied to the clipboard (Markdown, email addresses masked).'),
      'info',
    );
  }

  private async save(): Promise<void> {
    if (!this.report) return;
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
    const name = 'maildesk-support-report.md';
    const target = await vscode.window.showSaveDialog({
      title: vscode.l10n.t('Save MailDesk support report (a .json with the same content is saved beside it)'),
      saveLabel: vscode.l10n.t('Save Report'),
      defaultUri: folder ? vscode.Uri.joinPath(folder, name) : undefined,
      filters: { Markdown: ['md'] },
    });
    if (!target) return;
    const p = reportPaths(target.path);
    const md = target.with({ path: p.md });
    const json = target.with({ path: p.json });
    const enc = new TextEncoder();
    const files = {
      write: (path: string, text: string) => Promise.resolve(vscode.workspace.fs.writeFile(target.with({ path }), enc.encode(text))),
      remove: (path: string) => Promise.resolve(vscode.workspace.fs.delete(target.with({ path }))),
    };
    try {
      await saveReportFiles(files, p, { md: renderMarkdown(this.report), json: JSON.stringify(this.report, null, 2) + '\n' });
    } catch (e) {
      this.deps.log.error(`Troubleshoot (saveReport): ${(e as Error).message} [${String((e as Error).cause)}]`);
      this.panel?.notice((e as Error).message, 'error');
      return;
    }
    const shortName = (u: vscode.Uri) => u.path.slice(u.path.lastIndexOf('/') + 1);
    this.panel?.notice(vscode.l10n.t('Saved {0} and {1}.', shortName(md), shortName(json)), 'info');
    const c = await vscode.window.showInformationMessage(vscode.l10n.t('MailDesk: support report saved as {0} and {1}.', shortName(md), shortName(json)), vscode.l10n.t('Open Report'));
    if (c) await vscode.window.showTextDocument(md);
  }
}

/** The report as support gets it (the panel's extras are not part of it). */
function withoutPanel(r: PanelReport): SupportReport {
  const { panel, ...report } = r;
  void panel;
  return report;
}

class TroubleshootPanel extends DisposableBase {
  private readonly panel: vscode.WebviewPanel;
  private ready = false;
  /** What the page shows now, replayed when it (re)loads. */
  private state: HostToTroubleshoot | undefined;
  private readonly disposeListeners: Array<() => void> = [];

  constructor(extensionUri: vscode.Uri, onMessage: (m: TroubleshootToHost) => void) {
    super();
    this.panel = this._register(
      vscode.window.createWebviewPanel(VIEW_TYPE, vscode.l10n.t('MailDesk: Troubleshoot'), vscode.ViewColumn.Active, {
        enableScripts: true,
        enableCommandUris: false,
        localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'dist'), vscode.Uri.joinPath(extensionUri, 'media')],
      }),
    );
    this.panel.iconPath = vscode.Uri.joinPath(extensionUri, 'media', 'maildesk.svg');
    this._register(this.panel.onDidDispose(() => this.dispose()));
    this._register({ dispose: () => this.disposeListeners.forEach((f) => f()) });
    // Without retainContextWhenHidden a hidden webview is torn down and sends `ready` again when shown.
    this._register(this.panel.onDidChangeViewState((e) => !e.webviewPanel.visible && (this.ready = false)));
    this._register(
      this.panel.webview.onDidReceiveMessage((raw) => {
        const msg = parseTroubleshootMessage(raw);
        if (!msg) return;
        if (msg.type === 'ready') {
          this.ready = true;
          if (this.state) void this.panel.webview.postMessage(this.state);
        }
        onMessage(msg);
      }),
    );
    this.panel.webview.html = this.html(extensionUri);
  }

  get closed(): boolean {
    return this.isDisposed;
  }

  onDispose(f: () => void): void {
    this.disposeListeners.push(f);
  }

  reveal(): void {
    this.panel.reveal();
  }

  running(done: number, total: number, lines: string[]): void {
    this.set({ type: 'running', done, total, lines: lines.slice() });
  }

  show(model: TroubleshootModel): void {
    // The title stays "MailDesk: Troubleshoot": the result is in the page, where a screen reader reads it.
    this.set({ type: 'model', model });
  }

  notice(text: string, kind: 'info' | 'error'): void {
    if (this.ready && !this.isDisposed) void this.panel.webview.postMessage({ type: 'notice', text, kind } satisfies HostToTroubleshoot);
  }

  private set(msg: HostToTroubleshoot): void {
    if (this.isDisposed) return;
    this.state = msg;
    if (this.ready) void this.panel.webview.postMessage(msg);
  }

  private html(extensionUri: vscode.Uri): string {
    return webviewPage({
      webview: this.panel.webview,
      extensionUri,
      script: 'webview-troubleshoot.js',
      stylesheet: 'troubleshoot.css',
      title: vscode.l10n.t('MailDesk: Troubleshoot'),
      // The status icons and the buttons' icons are codicons (font from dist/codicons only).
      codicons: true,
      body: `${pageStringsHtml(troubleshootStrings())}
${troubleshootPageBody({
  title: vscode.l10n.t('MailDesk Troubleshoot'),
  report: vscode.l10n.t('Report'),
  copy: vscode.l10n.t('Copy report'),
  save: vscode.l10n.t('Save report'),
  again: vscode.l10n.t('Run again'),
  addresses: vscode.l10n.t('Include email addresses in the report'),
  told: vscode.l10n.t('What you told us'),
  progress: vscode.l10n.t('Progress'),
  running: vscode.l10n.t('Running checks…'),
})}`,
    });
  }
}
