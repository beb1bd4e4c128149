/**
 * Entry point: wires the core facade to the views, commands and status bar by hand,
 * and disposes everything from one root. Activation only opens the store and starts
 * the scheduler; network work happens in the background, never awaited here.
 */
import { MessageChannel } from 'node:worker_threads';
import * as vscode from 'vscode';
import { EngineClient } from '../engine/client';
import { Engine } from '../engine/engine';
import { secretAnswers } from '../engine/secretAnswers';
import { MailError } from '../core/errors';
import { showMailError } from './notify';
import type { WorkflowBridge } from '../core/bridges/bridge';
import { secretCredentials } from '../core/config';
import { storeOpenProblem } from '../core/diagnostics/troubleshoot';
import { fromWireError } from '../engine/wire';
import { MailDesk } from '../core/maildesk';
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
import { agentSettings, registerAgent } from './agent/agent';
import { registerTriage } from './triageCommands';
import { UnreadBadge } from './unreadBadge';

/** What `activate` returns; tests reach the core through it. */
/** What `activate` returns to other extensions (and tests). */
export interface MailDeskApi {
  core: MailDesk;
  /** Workflow Bridges (Pro): link an email to a record in another system. */
  registerBridge(bridge: WorkflowBridge): vscode.Disposable;
}

class Root extends DisposableBase {
  add<T extends Disposable>(d: T): T {
    return this._register(d);
  }
}

let shutdown: (() => Promise<void>) | undefined;
let hostedEngine: Engine | undefined;

/** The settings the engine takes from this window: OAuth clients and offline bodies. */
function configureEngine(engine: EngineClient): Promise<null> {
  return engine.request('engine/configure', { oauth: { google: googleFromSettings(), microsoft: microsoftFromSettings() }, bodies: bodySettings() });
}

/**
 * The engine of this profile's data folder, run here on the extension host's thread, and this
 * window's client of it. (While views, commands and panels still read the core directly this
 * window must host it; it moves to a worker thread, shared with other windows, once every
 * reader uses the protocol.)
 */
async function startEngine(context: vscode.ExtensionContext, log: vscode.LogOutputChannel, secrets: StagedSecretStore, settings: vscode.WorkspaceConfiguration): Promise<{ mail: MailDesk; engine: EngineClient }> {
  const dataDir = context.globalStorageUri.fsPath;
  const { port1, port2 } = new MessageChannel();
  const started = await Engine.start(
    { dataDir, host: 'vscode', syncIntervalMs: Math.max(15, settings.get<number>('intervalSeconds', 120)) * 1000, idle: settings.get<boolean>('idle', true) },
    port2,
    (reason) => log.info(`MailDesk engine stopped: ${reason}`),
  );
  if (started.kind === 'busy') throw new MailError('internal', `MailDesk is already open in another VS Code window of this profile (data folder ${dataDir}); use that window, or close it and reload this one`);
  hostedEngine = started.engine;
  // The AI switches the agent tools obey, read at each call (requests over the protocol send their own).
  Object.defineProperty(started.engine, 'agentSettings', { get: () => agentSettings(), set: () => undefined, configurable: true });
  const engine = await EngineClient.overPort(port1, { dataDir, kind: 'vscode', secrets: secretAnswers(secretCredentials(secrets), secrets), logLevel: channelLevel(log), onLog: engineLogLine(log) });
  await configureEngine(engine);
  return { mail: started.engine.hostedCore, engine };
}

/** Offline bodies for accounts whose own configuration says nothing (the "bodies" sync job). */
function bodySettings(): { days: number; maxBytes: number } {
  const c = vscode.workspace.getConfiguration('maildesk.bodies');
  return { days: Math.max(0, c.get<number>('prefetchDays', 90)), maxBytes: Math.max(1, c.get<number>('maxMessageMB', 10)) * 1024 * 1024 };
}

export async function activate(context: vscode.ExtensionContext): Promise<MailDeskApi> {
  const root = new Root();
  context.subscriptions.push(root);
  const log = root.add(vscode.window.createOutputChannel('MailDesk', { log: true }));
  const secrets = new StagedSecretStore(vscodeSecretStore(context.secrets));
  const settings = vscode.workspace.getConfiguration('maildesk.sync');

  let mail: MailDesk;
  let engine: EngineClient;
  try {
    ({ mail, engine } = await startEngine(context, log, secrets, settings));
  } catch (e) {
    const err = storeOpenProblem(e, context.globalStorageUri.fsPath);
    log.error(err.describe());
    void showMailError(`MailDesk: ${err.describe()}`, log);
    // Troubleshoot stays there without a store: it reports this problem with its fix.
    const standIn = await MailDesk.open({ credentials: secretCredentials(secrets), logger: channelLogger(log), idle: false });
    root.add({ dispose: () => void standIn.close() });
    for (const d of registerTroubleshoot({ standIn, secrets, log, extensionUri: context.extensionUri, version: String(context.extension.packageJSON.version ?? 'unknown'), storeProblem: err, dataDir: context.globalStorageUri.fsPath })) root.add(d);
    return { core: standIn, registerBridge: () => new vscode.Disposable(() => undefined) };
  }
  const status = await engine.request('engine/status', {});
  log.info(`MailDesk store: ${status.storePath ?? '(in memory)'} (engine ${status.engineId}, ${engine.hosting ? 'hosted by this window' : `process ${status.pid}`})`);
  if (status.storeRecovered) void showMailError(`MailDesk: ${status.storeRecovered}`, log);
  // A failing save (disk full) is told once per failure streak, not once per retry.
  let toldSaveFailure = false;
  root.add(engine.on('store/saveFailed', (e) => !toldSaveFailure && (toldSaveFailure = true) && void showMailError(`MailDesk: ${fromWireError(e).describe()}`, log).then(() => (toldSaveFailure = false))));

  // The engine stops last: everything registered after it is disposed before it.
  let stopped: Promise<void> | undefined;
  shutdown = () => (stopped ??= (async () => {
    root.dispose();
    await engine.close();
    await hostedEngine?.stop('the window closed');
  })());
  root.add(
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('maildesk.oauth') || e.affectsConfiguration('maildesk.bodies')) void configureEngine(engine);
    }),
  );
  root.add({ dispose: () => void shutdown?.() });

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
  // Archive, delete, move, spam, read/unread, flag, undo, and the list's keyboard (see README "Keys").
  for (const d of registerTriage({ engine, log })) root.add(d);
  for (const d of registerTroubleshoot({ engine, secrets, log, extensionUri: context.extensionUri, version: String(context.extension.packageJSON.version ?? 'unknown'), dataDir: context.globalStorageUri.fsPath })) root.add(d);
  root.add(new AccountAlerts(engine));
  // Agent mode: language model tools, @maildesk in chat, and the MCP server definition (where VS Code has them).
  for (const d of registerAgent({ engine, log, extensionUri: context.extensionUri, version: String(context.extension.packageJSON.version ?? 'unknown') })) root.add(d);

  root.add(
    vscode.workspace.onDidChangeConfiguration(async (e) => {
      if (!e.affectsConfiguration('maildesk.sync')) return;
      // The scheduler reads these when it starts; a reload applies them cleanly.
      const c = await vscode.window.showInformationMessage('MailDesk: reload the window to apply the new sync settings.', 'Reload Window');
      if (c) await vscode.commands.executeCommand('workbench.action.reloadWindow');
    }),
  );

  await engine.request('engine/startSync', {});
  // MailDesk Pro (licence, AI, Workflow Bridges); its `registerBridge` is part of the extension API.
  return { core: mail, ...registerPro((d) => root.add(d), { engine, secrets, log }) };
}

export function deactivate(): Promise<void> | undefined {
  const s = shutdown;
  shutdown = undefined;
  return s?.();
}
