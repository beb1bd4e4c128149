/**
 * VS Code's Language Model API as an AI provider: the models the user already has in VS Code
 * (e.g. GitHub Copilot). Checked at run time, since hosts without it (older builds, some
 * forks) simply have no `vscode.lm`.
 */
import * as vscode from 'vscode';
import { MailError } from '../../core/errors';
import { abortError, type AiModel, type ChatMessage, type ChatOptions } from '../../core/ai/provider';

class VsCodeModel implements AiModel {
  readonly id: string;
  readonly label: string;
  readonly maxInputTokens: number;

  constructor(private readonly m: vscode.LanguageModelChat) {
    this.id = `vscode:${m.id}`;
    this.label = `${m.name} (${m.vendor}) in VS Code`;
    this.maxInputTokens = m.maxInputTokens || 8000;
  }

  async chat(messages: ChatMessage[], opts: ChatOptions = {}): Promise<string> {
    // The API has no system role: instructions go first, as a user message.
    const msgs = messages.map((m) => (m.role === 'assistant' ? vscode.LanguageModelChatMessage.Assistant(m.content) : vscode.LanguageModelChatMessage.User(m.content)));
    const cts = new vscode.CancellationTokenSource();
    const onAbort = (): void => cts.cancel();
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      if (opts.signal?.aborted) throw abortError();
      const res = await this.m.sendRequest(msgs, { justification: vscode.l10n.t('MailDesk sends the open conversation (or draft) to this model for the AI action you chose.') }, cts.token);
      let out = '';
      for await (const piece of res.text) {
        if (opts.signal?.aborted) throw abortError();
        out += piece;
        opts.onText?.(piece);
      }
      return out;
    } catch (e) {
      if (opts.signal?.aborted) throw abortError();
      if (e instanceof vscode.LanguageModelError) {
        if (/quota|rate/i.test(`${e.code} ${e.message}`)) throw new MailError('server.rateLimited', vscode.l10n.t('the provider is rate-limiting; try again in a minute'), { providerMessage: e.message });
        if (e.code === vscode.LanguageModelError.NoPermissions().code) throw new MailError('auth.accessDenied', vscode.l10n.t('VS Code did not allow MailDesk to use {0}: {1}', this.m.name, e.message));
        throw new MailError('server.unavailable', vscode.l10n.t('{0} failed: {1}', this.m.name, e.message));
      }
      throw e;
    } finally {
      opts.signal?.removeEventListener('abort', onAbort);
      cts.dispose();
    }
  }
}

/** The chat models VS Code offers now (none when the API is missing). */
export async function vscodeModels(): Promise<AiModel[]> {
  const lm = (vscode as { lm?: typeof vscode.lm }).lm;
  if (!lm || typeof lm.selectChatModels !== 'function') return [];
  const family = vscode.workspace.getConfiguration('maildesk.ai').get<string>('vscode.family', '');
  const models = await lm.selectChatModels(family ? { family } : undefined);
  return models.map((m) => new VsCodeModel(m));
}
