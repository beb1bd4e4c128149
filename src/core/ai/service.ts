/**
 * The AI actions: "Summarize current", "Draft from context" and "Check with AI". Each asks
 * `aiAvailability` first and sends nothing when it says no. What is sent is the current
 * thread (or draft) as text: headers, bodies without attachment contents, trimmed to the
 * model's budget. Drafts are saved for the user to edit, never sent from here.
 */
import { MailError } from '../errors';
import type { DraftRef } from '../drafts/drafts';
import { currentLicence, AI_API_KEY_SECRET, type ProHost } from '../licence/pro';
import { proDataOf, type ProCore, type ProData, type ProThread } from '../licence/proData';
import type { Address } from '../mime/parse';
import { htmlToPlainText } from '../render/text';
import type { Draft } from '../send/compose';
import { aiAvailability, aiProviderSettings, type AiAvailability, type AiFeature } from './availability';
import { checkDraftLocally, type DraftFinding } from './draftCheck';
import { recordingModel } from './failures';
import { OpenAiCompatibleModel, type OpenAiOptions } from './openai';
import { checkPrompt, draftPrompt, summarizePrompt } from './prompts';
import type { AiModel, ChatOptions } from './provider';
import { trimThread, type AiThreadMessage, type TrimReport } from './trim';

export type AiCore = ProCore;

export interface AiServiceDeps {
  /** The mail the services read: `data` (e.g. through the engine), else the store of `core`. */
  core?: AiCore;
  data?: ProData;
  host: ProHost;
  /** `maildesk.*` settings, read at each use (flat keys or nested objects). */
  settings: () => Record<string, unknown>;
  now?: () => number;
  /** Tests: fetch, retries and back-off of the OpenAI-compatible client. */
  openai?: Partial<OpenAiOptions>;
}

export interface ProviderState {
  configured: boolean;
  /** Which provider would be used, or why none can be. */
  detail: string;
}

/** Space kept for the instructions and the answer, out of the model's input budget. */
const RESERVED_TOKENS = 1200;

function fmtAddr(a?: Address): string {
  return a ? (a.name && a.name !== a.address ? `${a.name} <${a.address}>` : a.address) : '';
}

export { messageForModel } from '../licence/proData';

export function draftForModel(d: Draft, from: string): AiThreadMessage {
  const list = (v: Draft['to']): string | undefined => (v?.length ? v.map((a) => (typeof a === 'string' ? a : fmtAddr({ name: a.name ?? '', address: a.address }))).join(', ') : undefined);
  return {
    from,
    to: list(d.to),
    cc: list(d.cc),
    subject: d.subject,
    text: (d.text ?? (d.html ? htmlToPlainText(d.html) : '')).trim(),
    attachments: (d.attachments ?? []).map((a) => a.filename ?? 'attachment'),
  };
}

export interface SummaryResult {
  text: string;
  model: string;
  trimmed: TrimReport;
}

export interface DraftResult {
  draft: Draft;
  /** Set when compose's API saved it (then it is in Drafts, ready to edit). */
  saved?: DraftRef;
  /** What happened, for the notification. */
  note: string;
}

export interface CheckResult {
  local: DraftFinding[];
  /** The model's review; absent when AI is unavailable (then `unavailable` says why). */
  ai?: string;
  unavailable?: string;
}

export class AiService {
  private readonly data: ProData;

  constructor(private readonly d: AiServiceDeps) {
    this.data = proDataOf(d);
  }

  /** Which provider is configured (for `aiAvailability` and Troubleshoot's `ai.provider`). */
  async providerState(): Promise<ProviderState> {
    const s = aiProviderSettings(this.d.settings());
    const models = s.choice !== 'openai' && this.d.host.hostModels ? await this.d.host.hostModels().catch(() => []) : [];
    const openaiReady = !!(s.openai.url && s.openai.model);
    if (s.choice !== 'openai' && models.length) return { configured: true, detail: `VS Code language model ${models[0].label}` };
    if (s.choice !== 'vscode' && openaiReady) return { configured: true, detail: `OpenAI-compatible endpoint: model ${s.openai.model} at ${s.openai.url}` };
    if (s.choice === 'vscode') return { configured: false, detail: this.d.host.hostModels ? 'maildesk.ai.provider is "vscode" but VS Code offers no language model (install or sign in to one, e.g. GitHub Copilot)' : 'maildesk.ai.provider is "vscode", which only works inside VS Code' };
    if (s.openai.url && !s.openai.model) return { configured: false, detail: 'maildesk.ai.openai.url is set but maildesk.ai.openai.model is empty' };
    if (!s.openai.url && s.openai.model) return { configured: false, detail: 'maildesk.ai.openai.model is set but maildesk.ai.openai.url is empty' };
    return { configured: false, detail: this.d.host.hostModels ? 'VS Code offers no language model and no OpenAI-compatible endpoint is set' : 'no OpenAI-compatible endpoint is set' };
  }

  async availability(feature: AiFeature, accountId?: string): Promise<AiAvailability> {
    const licence = await currentLicence(this.d.host, this.d.now?.() ?? Date.now());
    const account = accountId ? await this.data.account(accountId) : undefined;
    // The provider is only looked up when everything else allows AI.
    const base = aiAvailability({ feature, settings: this.d.settings(), accountId, accountConfig: account?.config, licence, provider: { configured: true } });
    if (!base.available) return base;
    return aiAvailability({ feature, settings: this.d.settings(), accountId, accountConfig: account?.config, licence, provider: await this.providerState() });
  }

  private async require(feature: AiFeature, accountId: string): Promise<AiModel> {
    const a = await this.availability(feature, accountId);
    if (!a.available) throw new MailError('config.invalid', a.reason);
    const model = await this.model();
    if (!model) throw new MailError('config.invalid', 'No AI provider is configured');
    // Failures (a 429 above all) are remembered for Troubleshoot's ai.provider check.
    return recordingModel((f) => this.data.recordAiOutcome(f), model);
  }

  /** The model to use now: VS Code's first (unless the setting says otherwise), else the endpoint. */
  async model(): Promise<AiModel | undefined> {
    const s = aiProviderSettings(this.d.settings());
    if (s.choice !== 'openai' && this.d.host.hostModels) {
      const models = await this.d.host.hostModels().catch(() => []);
      if (models.length) return models[0];
    }
    if (s.choice === 'vscode' || !s.openai.url || !s.openai.model) return undefined;
    const apiKey = await this.d.host.secrets.get(AI_API_KEY_SECRET);
    return new OpenAiCompatibleModel({ url: s.openai.url, model: s.openai.model, apiKey, maxInputTokens: s.openai.maxInputTokens, ...this.d.openai });
  }

  /** The thread as the model sees it: every message's headers and text, attachments by name. */
  threadText(accountId: string, threadKey: string): Promise<ProThread> {
    return this.data.thread(accountId, threadKey);
  }

  private fit(model: AiModel, msgs: AiThreadMessage[]): { messages: AiThreadMessage[]; report: TrimReport } {
    return trimThread(msgs, Math.max(256, model.maxInputTokens - RESERVED_TOKENS));
  }

  async summarize(accountId: string, threadKey: string, opts: ChatOptions = {}): Promise<SummaryResult> {
    const model = await this.require('summarize', accountId);
    const { messages } = await this.threadText(accountId, threadKey);
    const t = this.fit(model, messages);
    const text = await model.chat(summarizePrompt(t.messages), opts);
    return { text, model: model.label, trimmed: t.report };
  }

  /** A reply to the thread's last message from someone else, written by the model, saved as a draft to edit. */
  async draftFromContext(accountId: string, threadKey: string, opts: ChatOptions & { instructions?: string } = {}): Promise<DraftResult> {
    const model = await this.require('draft', accountId);
    const acc = await this.data.account(accountId);
    if (!acc) throw new MailError('config.unknownAccount', `no account "${accountId}"`);
    const { messages } = await this.threadText(accountId, threadKey);
    const t = this.fit(model, messages);
    const body = (await model.chat(draftPrompt(t.messages, acc.name ? `${acc.name} <${acc.config.email}>` : acc.config.email, opts.instructions), opts)).trim();
    const reply = await this.data.replyDraft(accountId, threadKey);
    const escaped = body.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
    const draft: Draft = {
      ...reply,
      text: `${body}\n${reply.text ?? ''}`,
      html: `${escaped.split(/\n{2,}/).map((p) => `<p>${p.replace(/\n/g, '<br>')}</p>`).join('')}${reply.html ?? ''}`,
    };
    if (!this.data.saveDraft) return { draft, note: 'Compose is not available in this version, so the draft was not saved: its text is shown for you to copy.' };
    const saved = await this.data.saveDraft(accountId, draft);
    return { draft, saved, note: 'The reply draft is in Drafts, ready for you to edit. It is not sent until you send it.' };
  }

  /** Reviews a draft: the local checks always, the model's review when AI is available. */
  async checkDraft(accountId: string, draft: Draft, opts: ChatOptions & { threadKey?: string } = {}): Promise<CheckResult> {
    const acc = await this.data.account(accountId);
    let context: AiThreadMessage[] = [];
    let participants: string[] = [];
    if (opts.threadKey) {
      // Parsed locally (nothing leaves the machine for the local checks).
      const t = await this.threadText(accountId, opts.threadKey);
      context = t.messages;
      participants = t.participants;
    }
    const local = checkDraftLocally(draft as Parameters<typeof checkDraftLocally>[0], { participants, self: acc ? [acc.config.email] : [] });
    const a = await this.availability('check', accountId);
    if (!a.available) return { local, unavailable: a.reason };
    const model = await this.require('check', accountId);
    const mine = draftForModel(draft, acc?.config.email ?? '');
    const t = this.fit(model, [...context, mine]);
    const ai = await model.chat(checkPrompt(t.messages[t.messages.length - 1], t.messages.slice(0, -1)), opts);
    return { local, ai };
  }
}
