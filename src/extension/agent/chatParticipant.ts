/**
 * The `@maildesk` chat participant's request handler and the callbacks of MailDesk's language
 * model tools, written against the parts of the VS Code API they use (`ChatApi`), which
 * agent.ts hands in as `vscode` itself. No runtime import of 'vscode' (words go through
 * @vscode/l10n, which has VS Code's bundle: src/extension/localize.ts), nor of the tools'
 * schemas, which load on first use: tests drive the handler with a scripted model and the
 * real tools over an engine (test/integration/chatParticipant.test.ts), as no chat model runs
 * in the test VS Code.
 */
import * as l10n from '@vscode/l10n';
import type * as vscode from 'vscode';
import type { AgentMailDesk } from '../../core/agent/tools';
import { AGENT_TOOL_NAMES } from '../../core/agent/toolNames';
import { chatInstructions, MAX_CHAT_ROUNDS } from '../../core/agent/chatPrompts';

/** What of the VS Code API the participant and the tools use. */
export interface ChatApi {
  LanguageModelChatMessage: Pick<typeof vscode.LanguageModelChatMessage, 'User' | 'Assistant'>;
  LanguageModelTextPart: typeof vscode.LanguageModelTextPart;
  LanguageModelToolCallPart: typeof vscode.LanguageModelToolCallPart;
  LanguageModelToolResultPart: typeof vscode.LanguageModelToolResultPart;
  LanguageModelToolResult: typeof vscode.LanguageModelToolResult;
  MarkdownString: typeof vscode.MarkdownString;
  ChatRequestTurn: typeof vscode.ChatRequestTurn;
  ChatResponseTurn: typeof vscode.ChatResponseTurn;
  ChatResponseMarkdownPart: typeof vscode.ChatResponseMarkdownPart;
  lm: {
    readonly tools: readonly vscode.LanguageModelToolInformation[];
    invokeTool(name: string, options: vscode.LanguageModelToolInvocationOptions<object>, token?: vscode.CancellationToken): Thenable<vscode.LanguageModelToolResult>;
    selectChatModels?(selector?: vscode.LanguageModelChatSelector): Thenable<vscode.LanguageModelChat[]>;
  };
}

/** The tools' runner (dist/extension-agentTools.js, loaded on first use). */
export type AgentToolsModule = Pick<typeof import('./agentTools'), 'findAgentTool' | 'runAgentTool'>;

/** The name a tool has in VS Code (tool names are shared by every extension). */
export function vscodeToolName(t: { name: string }): string {
  return `maildesk_${t.name}`;
}

/**
 * One language model tool: `prepareInvocation` asks before a tool that changes something (the
 * confirmation VS Code shows), `invoke` runs it on the window's agent mailbox.
 */
export function agentLanguageModelTool(api: ChatApi, toolName: string, tools: () => Promise<AgentToolsModule>, mail: () => Promise<AgentMailDesk>): vscode.LanguageModelTool<Record<string, unknown>> {
  return {
    async prepareInvocation(options) {
      const t = (await tools()).findAgentTool(toolName)!;
      const parsed = t.input.safeParse(options.input ?? {});
      const c = parsed.success ? t.confirm?.(parsed.data) : undefined;
      return {
        invocationMessage: l10n.t('MailDesk: {0}', t.title),
        confirmationMessages: c ? { title: c.title, message: new api.MarkdownString().appendText(c.message) } : undefined,
      };
    },
    async invoke(options) {
      // A token means chat called it (agent mode or @maildesk); without one, another extension did.
      const client = options.toolInvocationToken !== undefined ? 'VS Code chat' : 'VS Code extension';
      const r = await (await tools()).runAgentTool(await mail(), toolName, options.input, client);
      return new api.LanguageModelToolResult([new api.LanguageModelTextPart(r.text)]);
    },
  };
}

/**
 * `@maildesk`: the user's chat model, given the command's instructions and MailDesk's tools
 * only, works through them (each call goes through `lm.invokeTool`, so VS Code asks before a
 * change) for at most MAX_CHAT_ROUNDS turns. With the tools off, or no mailbox with AI on,
 * the model is not asked at all: the user reads why.
 */
export function chatRequestHandler(api: ChatApi, mail: () => Promise<AgentMailDesk>): vscode.ChatRequestHandler {
  return async (request, context, stream, token) => {
    const status = await (await mail()).agentStatus();
    if (!status.enabled) {
      stream.markdown(status.reason);
      return {};
    }
    const model = request.model ?? (await api.lm.selectChatModels?.())?.[0];
    if (!model) {
      stream.markdown(l10n.t('No chat model is available. Pick one in the chat view (for example GitHub Copilot) and ask again.'));
      return {};
    }
    const mine = new Set(AGENT_TOOL_NAMES.map((name) => vscodeToolName({ name })));
    const tools: vscode.LanguageModelChatTool[] = api.lm.tools.filter((t) => mine.has(t.name)).map((t) => ({ name: t.name, description: t.description, inputSchema: t.inputSchema }));
    const messages: vscode.LanguageModelChatMessage[] = [api.LanguageModelChatMessage.User(chatInstructions(request.command))];
    // Earlier turns of this conversation with @maildesk, as text.
    for (const h of context.history) {
      if (h instanceof api.ChatRequestTurn) messages.push(api.LanguageModelChatMessage.User(h.prompt));
      else if (h instanceof api.ChatResponseTurn) {
        const text = h.response.map((p) => (p instanceof api.ChatResponseMarkdownPart ? p.value.value : '')).join('');
        if (text) messages.push(api.LanguageModelChatMessage.Assistant(text));
      }
    }
    messages.push(api.LanguageModelChatMessage.User(request.prompt || (request.command ? `/${request.command}` : '')));
    for (let round = 0; round < MAX_CHAT_ROUNDS && !token.isCancellationRequested; round++) {
      const res = await model.sendRequest(messages, { tools, justification: l10n.t('MailDesk lets the chat model read the mail you ask about and save drafts, through its tools.') }, token);
      const calls: vscode.LanguageModelToolCallPart[] = [];
      let text = '';
      for await (const part of res.stream) {
        if (part instanceof api.LanguageModelTextPart) {
          text += part.value;
          stream.markdown(part.value);
        } else if (part instanceof api.LanguageModelToolCallPart) calls.push(part);
      }
      if (!calls.length) return {};
      messages.push(api.LanguageModelChatMessage.Assistant([...(text ? [new api.LanguageModelTextPart(text)] : []), ...calls]));
      for (const call of calls) {
        let content: unknown[];
        if (!mine.has(call.name)) {
          // Only MailDesk's tools were offered: a model naming another is answered, not obeyed.
          content = [new api.LanguageModelTextPart(`There is no tool "${call.name}" here; use the maildesk_ tools.`)];
        } else {
          try {
            const r = await api.lm.invokeTool(call.name, { input: call.input, toolInvocationToken: request.toolInvocationToken }, token);
            content = r.content;
          } catch (e) {
            // Declined by the user, or failed: the model hears why and carries on.
            content = [new api.LanguageModelTextPart(`The tool was not run: ${(e as Error).message}`)];
          }
        }
        messages.push(api.LanguageModelChatMessage.User([new api.LanguageModelToolResultPart(call.callId, content)]));
      }
    }
    return {};
  };
}
