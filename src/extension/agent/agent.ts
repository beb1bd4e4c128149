/**
 * MailDesk in VS Code's agent mode: the agent tools as language model tools
 * (`vscode.lm.registerTool`), the `@maildesk` chat participant with /summarize, /triage and
 * /draft in the user's own chat model, and (VS Code 1.101+) an MCP server definition running
 * the extension's own `maildesk mcp` as a client of this window's engine. Every API is looked
 * up at run time, so the extension still runs on VS Code 1.100 and on hosts without chat. The
 * tools are in src/core/agent, the participant in ./chatParticipant.ts, the MCP command line in
 * ./mcpDefinition.ts (all testable without VS Code); this file only hands them to VS Code.
 */
import * as fs from 'node:fs';
import * as vscode from 'vscode';
import type { AgentMailDesk } from '../../core/agent/tools';
import { AGENT_TOOL_NAMES } from '../../core/agent/toolNames';
import { agentLanguageModelTool, chatRequestHandler, vscodeToolName } from './chatParticipant';
import { mcpServerLaunch, writeMcpSettings } from './mcpDefinition';
import { flattenSettings } from '../troubleshoot/viewModel';
import type { EngineClient } from '../../engine/client';

/** `maildesk.*` settings as flat keys, what the core's AI switches read. */
export function agentSettings(): Record<string, unknown> {
  return flattenSettings(JSON.parse(JSON.stringify(vscode.workspace.getConfiguration('maildesk'))) as unknown);
}

export interface AgentDeps {
  /** This window's client of the engine: every read and action goes through it (src/shared/protocol/engine.ts). */
  engine: EngineClient;
  log: vscode.LogOutputChannel;
  extensionUri: vscode.Uri;
  version: string;
  /** The window's data folder (globalStorage): the engine a `maildesk mcp` started from VS Code joins. */
  dataDir: string;
}

/** Which tools were registered in this window (Troubleshoot reads it). */
export const registeredTools = { names: [] as string[], participant: false, mcpProvider: false };

/** The tools' schemas and runner, loaded on first use (a bundle of their own: scripts/extensionBundles.mjs). */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const agentTools = async (): Promise<typeof import('./agentTools')> => require('./agentTools') as typeof import('./agentTools');

/** The agent tools' mailbox: the engine's `agent/*` requests, each with this window's settings read at the call. */
function mailbox(d: AgentDeps): () => Promise<AgentMailDesk> {
  let mail: Promise<AgentMailDesk> | undefined;
  return () => (mail ??= agentTools().then((m) => m.engineAgent(d.engine, agentSettings)));
}

function registerTools(d: AgentDeps): vscode.Disposable[] {
  const lm = (vscode as { lm?: Partial<typeof vscode.lm> }).lm;
  if (typeof lm?.registerTool !== 'function') {
    d.log.info('Agent tools: this VS Code has no language model tools API; MailDesk tools are not offered to chat.');
    return [];
  }
  const out: vscode.Disposable[] = [];
  const mail = mailbox(d);
  for (const toolName of AGENT_TOOL_NAMES) {
    const name = vscodeToolName({ name: toolName });
    out.push(lm.registerTool<Record<string, unknown>>(name, agentLanguageModelTool(vscode, toolName, agentTools, mail)));
    registeredTools.names.push(name);
  }
  out.push({ dispose: () => (registeredTools.names = []) });
  return out;
}

function registerParticipant(d: AgentDeps): vscode.Disposable[] {
  const chat = (vscode as { chat?: Partial<typeof vscode.chat> }).chat;
  const lm = (vscode as { lm?: Partial<typeof vscode.lm> }).lm;
  if (typeof chat?.createChatParticipant !== 'function' || typeof lm?.invokeTool !== 'function') return [];
  const p = chat.createChatParticipant('maildesk.chat', chatRequestHandler(vscode, mailbox(d)));
  p.iconPath = vscode.Uri.joinPath(d.extensionUri, 'media', 'maildesk.svg');
  registeredTools.participant = true;
  return [p, { dispose: () => (registeredTools.participant = false) }];
}

/** The 1.101 MCP API, typed here because @types/vscode stays at 1.100. */
interface McpApi {
  registerMcpServerDefinitionProvider(id: string, provider: { onDidChangeMcpServerDefinitions?: vscode.Event<void>; provideMcpServerDefinitions(): unknown[] }): vscode.Disposable;
}
type McpStdioCtor = new (label: string, command: string, args: string[], env?: Record<string, string | number | null>, version?: string) => unknown;

export const MCP_CONFIG_SETTING = 'maildesk.agent.mcpServer.configFile';

function registerMcpProvider(d: AgentDeps): vscode.Disposable[] {
  const lm = (vscode as unknown as { lm?: Partial<McpApi> }).lm;
  const Ctor = (vscode as unknown as { McpStdioServerDefinition?: McpStdioCtor }).McpStdioServerDefinition;
  if (typeof lm?.registerMcpServerDefinitionProvider !== 'function' || !Ctor) return [];
  const changed = new vscode.EventEmitter<void>();
  // The switches `maildesk mcp` obeys, from this window's settings; written again when they change.
  const writeSwitches = (): void => {
    try {
      writeMcpSettings(d.dataDir, agentSettings());
    } catch (e) {
      d.log.warn(`Agent mode: cannot write the MCP server's settings to ${d.dataDir}: ${(e as Error).message}`);
    }
  };
  writeSwitches();
  const provider = {
    onDidChangeMcpServerDefinitions: changed.event,
    provideMcpServerDefinitions: () => {
      const launch = mcpServerLaunch({
        // The extension host's runtime runs the bundled CLI as plain Node.
        execPath: process.execPath,
        extensionPath: d.extensionUri.fsPath,
        dataDir: d.dataDir,
        configFile: vscode.workspace.getConfiguration().get<string>(MCP_CONFIG_SETTING, ''),
      });
      if (!fs.existsSync(launch.args[0])) {
        d.log.warn(`Agent mode: ${launch.args[0]} is missing from this installation of MailDesk, so it offers no MCP server; reinstall the extension.`);
        return [];
      }
      return [new Ctor(launch.label, launch.command, launch.args, launch.env, d.version)];
    },
  };
  registeredTools.mcpProvider = true;
  return [
    changed,
    lm.registerMcpServerDefinitionProvider('maildesk.mcp', provider),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('maildesk.ai')) writeSwitches();
      if (e.affectsConfiguration(MCP_CONFIG_SETTING)) changed.fire();
    }),
    { dispose: () => (registeredTools.mcpProvider = false) },
  ];
}

/** Registers whatever of agent mode this VS Code offers; each part is skipped where its API is missing. */
export function registerAgent(d: AgentDeps): vscode.Disposable[] {
  const out: vscode.Disposable[] = [];
  for (const part of [registerTools, registerParticipant, registerMcpProvider]) {
    try {
      out.push(...part(d));
    } catch (e) {
      d.log.warn(`Agent mode: ${part.name} failed: ${(e as Error).message}`);
    }
  }
  // For Troubleshoot's agent.tools check, which reads the store.
  void d.engine
    .request('agent/registered', { input: { surface: 'vscode', tools: registeredTools.names.length, participant: registeredTools.participant, mcpProvider: registeredTools.mcpProvider }, settings: agentSettings() })
    .catch((e) => d.log.warn(`Agent mode: ${(e as Error).message}`));
  return out;
}
