/**
 * MailDesk in VS Code's agent mode: the agent tools as language model tools
 * (`vscode.lm.registerTool`), the `@maildesk` chat participant with /summarize, /triage and
 * /draft in the user's own chat model, and (VS Code 1.101+, opted in by a setting) an MCP
 * server definition pointing at `maildesk mcp`. Every API is looked up at run time, so the
 * extension still runs on VS Code 1.100 and on hosts without chat. All logic is in
 * src/core/agent; this file only moves it into VS Code.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { AgentMailDesk, AgentTool } from '../../core/agent/tools';
import { AGENT_TOOL_NAMES } from '../../core/agent/toolNames';
import { chatInstructions, MAX_CHAT_ROUNDS } from '../../core/agent/chatPrompts';
import { flattenSettings } from '../troubleshoot/viewModel';
import type { EngineClient } from '../../engine/client';

/** The name a tool has in VS Code (tool names are shared by every extension). */
export function vscodeToolName(t: Pick<AgentTool, 'name'>): string {
  return `maildesk_${t.name}`;
}

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
    out.push(
      lm.registerTool<Record<string, unknown>>(name, {
        async prepareInvocation(options) {
          const t = (await agentTools()).findAgentTool(toolName)!;
          const parsed = t.input.safeParse(options.input ?? {});
          const c = parsed.success ? t.confirm?.(parsed.data) : undefined;
          return {
            invocationMessage: vscode.l10n.t('MailDesk: {0}', t.title),
            confirmationMessages: c ? { title: c.title, message: new vscode.MarkdownString().appendText(c.message) } : undefined,
          };
        },
        async invoke(options) {
          // A token means chat called it (agent mode or @maildesk); without one, another extension did.
          const client = options.toolInvocationToken !== undefined ? 'VS Code chat' : 'VS Code extension';
          const r = await (await agentTools()).runAgentTool(await mail(), toolName, options.input, client);
          return new vscode.LanguageModelToolResult([new vscode.LanguageModelTextPart(r.text)]);
        },
      }),
    );
    registeredTools.names.push(name);
  }
  out.push({ dispose: () => (registeredTools.names = []) });
  return out;
}

function registerParticipant(d: AgentDeps): vscode.Disposable[] {
  const chat = (vscode as { chat?: Partial<typeof vscode.chat> }).chat;
  const lm = (vscode as { lm?: Partial<typeof vscode.lm> }).lm;
  if (typeof chat?.createChatParticipant !== 'function' || typeof lm?.invokeTool !== 'function') return [];
  const mail = mailbox(d);
  const handler: vscode.ChatRequestHandler = async (request, context, stream, token) => {
    const status = await (await mail()).agentStatus();
    if (!status.enabled) {
      stream.markdown(status.reason);
      return {};
    }
    const model = request.model ?? (await lm.selectChatModels?.())?.[0];
    if (!model) {
      stream.markdown(vscode.l10n.t('No chat model is available. Pick one in the chat view (for example GitHub Copilot) and ask again.'));
      return {};
    }
    const mine = new Set(AGENT_TOOL_NAMES.map((name) => vscodeToolName({ name })));
    const tools: vscode.LanguageModelChatTool[] = (lm.tools ?? []).filter((t) => mine.has(t.name)).map((t) => ({ name: t.name, description: t.description, inputSchema: t.inputSchema }));
    const messages: vscode.LanguageModelChatMessage[] = [vscode.LanguageModelChatMessage.User(chatInstructions(request.command))];
    // Earlier turns of this conversation with @maildesk, as text.
    for (const h of context.history) {
      if (h instanceof vscode.ChatRequestTurn) messages.push(vscode.LanguageModelChatMessage.User(h.prompt));
      else if (h instanceof vscode.ChatResponseTurn) {
        const text = h.response.map((p) => (p instanceof vscode.ChatResponseMarkdownPart ? p.value.value : '')).join('');
        if (text) messages.push(vscode.LanguageModelChatMessage.Assistant(text));
      }
    }
    messages.push(vscode.LanguageModelChatMessage.User(request.prompt || (request.command ? `/${request.command}` : '')));
    for (let round = 0; round < MAX_CHAT_ROUNDS && !token.isCancellationRequested; round++) {
      const res = await model.sendRequest(messages, { tools, justification: vscode.l10n.t('MailDesk lets the chat model read the mail you ask about and save drafts, through its tools.') }, token);
      const calls: vscode.LanguageModelToolCallPart[] = [];
      let text = '';
      for await (const part of res.stream) {
        if (part instanceof vscode.LanguageModelTextPart) {
          text += part.value;
          stream.markdown(part.value);
        } else if (part instanceof vscode.LanguageModelToolCallPart) calls.push(part);
      }
      if (!calls.length) return {};
      messages.push(vscode.LanguageModelChatMessage.Assistant([...(text ? [new vscode.LanguageModelTextPart(text)] : []), ...calls]));
      for (const call of calls) {
        let content: unknown[];
        try {
          const r = await lm.invokeTool!(call.name, { input: call.input, toolInvocationToken: request.toolInvocationToken }, token);
          content = r.content;
        } catch (e) {
          // Declined by the user, or failed: the model hears why and carries on.
          content = [new vscode.LanguageModelTextPart(`The tool was not run: ${(e as Error).message}`)];
        }
        messages.push(vscode.LanguageModelChatMessage.User([new vscode.LanguageModelToolResultPart(call.callId, content)]));
      }
    }
    return {};
  };
  const p = chat.createChatParticipant('maildesk.chat', handler);
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
  const cli = path.join(d.extensionUri.fsPath, 'dist', 'cli.js');
  const provider = {
    onDidChangeMcpServerDefinitions: changed.event,
    provideMcpServerDefinitions: () => {
      // The tools already reach chat in this window; the MCP server is for a CLI configuration
      // (its own data folder), offered only when the user names one.
      const file = vscode.workspace.getConfiguration().get<string>(MCP_CONFIG_SETTING, '').trim();
      if (!file) return [];
      // The extension host's runtime runs the bundled CLI as plain Node.
      return [new Ctor('MailDesk', process.execPath, [cli, '--config', file, 'mcp'], { ELECTRON_RUN_AS_NODE: '1' }, d.version)];
    },
  };
  registeredTools.mcpProvider = true;
  return [
    changed,
    lm.registerMcpServerDefinitionProvider('maildesk.mcp', provider),
    vscode.workspace.onDidChangeConfiguration((e) => e.affectsConfiguration(MCP_CONFIG_SETTING) && changed.fire()),
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
