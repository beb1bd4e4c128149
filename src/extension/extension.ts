/**
 * Entry point: connects this window to the engine of the profile's data folder and wires the
 * views, commands and status bar to it by hand, disposing everything from one root.
 *
 * One engine serves every window (and `maildesk` commands): the first window hosts it in a
 * worker thread of its extension host, so this thread never runs SQL, sync or saves; later
 * windows connect to it over the data folder's socket. When the hosting window closes, the
 * others take over: one hosts a new engine, the rest reconnect (src/engine/client.ts).
 */
import * as vscode from 'vscode';
import { EngineClient } from '../engine/client';
import { secretAnswers } from '../engine/secretAnswers';
import { showMailError } from './notify';
import type { WorkflowBridge } from '../core/bridges/bridge';
import { secretCredentials } from '../core/config';
import { toMailError } from '../core/errors';
import { fromWireError } from '../engine/wire';
import { AccountAlerts } from './accountAlerts';
import { AccountsTreeProvider } from './accountsTree';
import { registerCommands } from './commands';
import { JobsTreeProvider } from './jobsTree';
import { DisposableBase, type Disposable } from './lifecycle';
import { channelLevel, channelLogger, engineLogLine } from './logChannel';
import { MessageListPanels } from './messageList';
import { StagedSecretStore, vscodeSecretStore } from './secretStorage';
import { googleFromSettings, registerGmailCommands } from './gmailCommands';
import { microsoftFromSettings, registerOutlookCommands } from './outlookCommands';
import { MailStatusBar } from './statusBar';
import { registerPro } from './pro/pro';
import { registerReading } from './threadView';
import { registerTroubleshoot } from './troubleshoot/panel';
import { registerCompose } from './compose/composePanel';
import { registerEditorCompose } from './compose/editorCompose';
import { registerAgent } from './agent/agent';
import { registerTriage } from './triageCommands';
import { UnreadBadge } from './unreadBadge';
import { configureL10n, engineL10nBundle } from './localize';

/** What `activate` returns to other extensions (and tests). */
export interface MailDeskApi {
  /** This window's client of the engine (absent when the store could not be opened). */
  engine?: EngineClient;
  /** Workflow Bridges (Pro): link an email to a record in another system. */
  registerBridge(bridge: WorkflowBridge): vscode.Disposable;
}

class Root extends DisposableBase {
  add<T extends Disposable>(d: T): T {
    return this._register(d);
  }
}

let shutdown: (() => Promise<void>) | undefined;

/** The settings the engine takes from this window: OAuth clients and offline bodies. */
function configureEngine(engine: EngineClient): Promise<null> {
  return engine.request('engine/configure', { oauth: { google: googleFromSettings(), microsoft: microsoftFromSettings() }, bodies: bodySettings() });
}

/**
 * This window's client of the profile's engine: it connects to the running one, or hosts one in
 * a worker thread, in the background (activation does not wait for a store to open; requests
 * wait for the link). The sync settings apply to an engine this window starts.
 */
function openEngine(context: vscode.ExtensionContext, log: vscode.LogOutputChannel, secrets: StagedSecretStore, settings: vscode.WorkspaceConfiguration): EngineClient {
  const engine = EngineClient.open({
    dataDir: context.globalStorageUri.fsPath,
    kind: 'vscode',
    secrets: secretAnswers(secretCredentials(secrets), secrets),
    logLevel: channelLevel(log),
    onLog: engineLogLine(log),
    engine: { syncIntervalMs: Math.max(15, settings.get<number>('intervalSeconds', 120)) * 1000, idle: settings.get<boolean>('idle', true), l10nBundle: engineL10nBundle() },
  });
  // After a takeover the new engine knows nothing of this window: its settings, and that mail syncs.
  engine.onDidReconnect(async () => {
    await configureEngine(engine);
    await engine.request('engine/startSync', {});
    log.info(`MailDesk engine: ${engine.hosting ? 'this window took over the engine' : `reconnected to the engine in process ${engine.engineInfo?.pid}`}`);
  });
  return engine;
}

/** The engine is there (its store open): this window's settings go to it, and mail syncs. */
async function engineReady(engine: EngineClient, log: vscode.LogOutputChannel, activated: number): Promise<void> {
  await configureEngine(engine);
  const status = await engine.request('engine/status', {});
  log.info(`MailDesk store: ${status.storePath ?? '(in memory)'} (engine ${status.engineId}, ${engine.hosting ? 'hosted by this window' : `in process ${status.pid}`}; ${status.clients} client${status.clients === 1 ? '' : 's'}; ready ${Date.now() - activated} ms after activation began)`);
  if (status.storeRecovered) void showMailError(`MailDesk: ${status.storeRecovered}`, log);
  await engine.request('engine/startSync', {});
}

/** Offline bodies for accounts whose own configuration says nothing (the "bodies" sync job). */
function bodySettings(): { days: number; maxBytes: number } {
  const c = vscode.workspace.getConfiguration('maildesk.bodies');
  return { days: Math.max(0, c.get<number>('prefetchDays', 90)), maxBytes: Math.max(1, c.get<number>('maxMessageMB', 10)) * 1024 * 1024 };
}

export async function activate(context: vscode.ExtensionContext): Promise<MailDeskApi> {
  const activated = Date.now();
  configureL10n();
  const outer = new Root();
  context.subscriptions.push(outer);
  const log = outer.add(vscode.window.createOutputChannel('MailDesk', { log: true }));
  const secrets = new StagedSecretStore(vscodeSecretStore(context.secrets));
  const settings = vscode.workspace.getConfiguration('maildesk.sync');
  const version = String(context.extension.packageJSON.version ?? 'unknown');
  const dataDir = context.globalStorageUri.fsPath;

  const engine = openEngine(context, log, secrets, settings);
  // Everything that works through the engine; disposed before the engine connection goes (an
  // engine hosted here stops after its requests in flight, and the other windows take over).
  const root = new Root();
  let stopped: Promise<void> | undefined;
  shutdown = () => (stopped ??= (async () => {
    root.dispose();
    await engine.close();
  })());
  outer.add({ dispose: () => void shutdown?.() });

  void engineReady(engine, log, activated).catch(async (e) => {
    // No engine (the store cannot be opened, the folder is not writable, a newer MailDesk owns
    // it): the views go, and Troubleshoot stays, on an in-memory stand-in, to report it with its fix.
    // The engine classified it where the file-system error was known (src/engine/engine.ts).
    const err = toMailError(e, 'starting the MailDesk engine');
    log.error(err.describe());
    root.dispose();
    await engine.close().catch(() => undefined);
    // Loaded only now: the stand-in is a whole core (providers, parsers), which a healthy window never loads.
    const { openStandIn } = await import('./troubleshoot/standIn');
    const standIn = await openStandIn(secrets, channelLogger(log));
    outer.add({ dispose: () => void standIn.close() });
    for (const d of registerTroubleshoot({ standIn, secrets, log, extensionUri: context.extensionUri, version, storeProblem: err, dataDir })) outer.add(d);
    void showMailError(`MailDesk: ${err.describe()}`, log);
  });

  // A failing save (disk full) is told once per failure streak, not once per retry.
  let toldSaveFailure = false;
  root.add(engine.on('store/saveFailed', (e) => !toldSaveFailure && (toldSaveFailure = true) && void showMailError(`MailDesk: ${fromWireError(e).describe()}`, log).then(() => (toldSaveFailure = false))));
  root.add(
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('maildesk.oauth') || e.affectsConfiguration('maildesk.bodies')) void configureEngine(engine);
    }),
  );

  const accounts = root.add(new AccountsTreeProvider(engine));
  const mailboxesView = root.add(vscode.window.createTreeView('maildesk.mailboxes', { treeDataProvider: accounts, showCollapseAll: true }));
  root.add(new UnreadBadge(engine, mailboxesView));
  const jobs = root.add(new JobsTreeProvider(engine));
  const jobsView = root.add(vscode.window.createTreeView('maildesk.jobs', { treeDataProvider: jobs }));
  jobs.tickWhileVisible(() => jobsView.visible);

  const panels = root.add(new MessageListPanels(engine, context.extensionUri));
  for (const d of registerCommands({ engine, secrets, log, panels })) root.add(d);
  for (const d of registerGmailCommands({ engine, secrets, log })) root.add(d);
  for (const d of registerOutlookCommands({ engine, secrets, log })) root.add(d);
  // Thread view, View source and Search Mail (bodies are prefetched by the engine's "bodies" job).
  for (const d of registerReading({ engine, extensionUri: context.extensionUri, log })) root.add(d);
  root.add(new MailStatusBar(engine));
  for (const d of registerCompose({ engine, extensionUri: context.extensionUri, log })) root.add(d);
  for (const d of registerEditorCompose({ engine, log })) root.add(d);
  // Archive, delete, move, spam, read/unread, flag, undo, and the list's keyboard (see README "Keys").
  for (const d of registerTriage({ engine, log })) root.add(d);
  for (const d of registerTroubleshoot({ engine, secrets, log, extensionUri: context.extensionUri, version, dataDir })) root.add(d);
  root.add(new AccountAlerts(engine));
  // Agent mode: language model tools, @maildesk in chat, and the MCP server definition (where VS Code has them).
  for (const d of registerAgent({ engine, log, extensionUri: context.extensionUri, version, dataDir })) root.add(d);

  root.add(
    vscode.workspace.onDidChangeConfiguration(async (e) => {
      if (!e.affectsConfiguration('maildesk.sync')) return;
      // The scheduler reads these when it starts; a reload applies them cleanly.
      const c = await vscode.window.showInformationMessage(vscode.l10n.t('MailDesk: reload the window to apply the new sync settings.'), vscode.l10n.t('Reload Window'));
      if (c) await vscode.commands.executeCommand('workbench.action.reloadWindow');
    }),
  );

  log.info(`MailDesk activated in ${Date.now() - activated} ms (the engine gets ready in the background)`);
  // MailDesk Pro (licence, AI, Workflow Bridges); its `registerBridge` is part of the extension API.
  return { engine, ...registerPro((d) => root.add(d), { engine, secrets, log }) };
}

export function deactivate(): Promise<void> | undefined {
  const s = shutdown;
  shutdown = undefined;
  return s?.();
}
