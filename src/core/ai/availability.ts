/**
 * Whether an AI action may run, and if not, the one reason the user reads in the greyed
 * button's tooltip and in Troubleshoot. Pure: the UI, the actions and the checks all ask it.
 */
import { settingString, settingValue } from '../licence/pro';

export type AiFeature = 'summarize' | 'draft' | 'check';

export const AI_FEATURE_LABELS: Record<AiFeature, string> = {
  summarize: 'Summarize current',
  draft: 'Draft from context',
  check: 'Check with AI',
};

/** Off only when explicitly set off ("AI is off only if one of these is set to 0"). */
export function isSwitchOff(v: unknown): boolean {
  return v === false || v === 0 || v === '0' || v === 'false';
}

/** The account's "Enable AI features": setting `maildesk.ai.account.<id>.enabled`, else the account's `aiEnabled`. */
export function accountAiSetting(settings: Record<string, unknown>, accountId: string, accountConfig?: unknown): unknown {
  const v = settingValue(settings, `maildesk.ai.account.${accountId}.enabled`);
  if (v !== undefined) return v;
  return accountConfig && typeof accountConfig === 'object' ? (accountConfig as Record<string, unknown>).aiEnabled : undefined;
}

export interface AiContext {
  feature: AiFeature;
  settings: Record<string, unknown>;
  accountId?: string;
  accountConfig?: unknown;
  /** Whether a Pro licence is in force (and, if not, why). */
  licence: { pro: boolean; message?: string };
  /** Whether at least one provider is configured (and which, or why none). */
  provider: { configured: boolean; detail?: string };
}

export type AiBlock = 'licence' | 'ai-off' | 'feature-off' | 'account-off' | 'no-provider';

export interface AiAvailability {
  available: boolean;
  /** Empty when available. */
  reason: string;
  blockedBy?: AiBlock;
  /** The setting to open to fix it, when there is one. */
  setting?: string;
}

/** First the licence, then the switches from widest to narrowest, then the provider. */
export function aiAvailability(ctx: AiContext): AiAvailability {
  const label = AI_FEATURE_LABELS[ctx.feature];
  const s = ctx.settings;
  if (!ctx.licence.pro) {
    return { available: false, blockedBy: 'licence', reason: `${label} needs MailDesk Pro; AI features are not part of Basic${ctx.licence.message ? ` (${ctx.licence.message})` : ''}. Run "MailDesk: Enter Licence Key".` };
  }
  if (isSwitchOff(s['maildesk.ai.enabled'] ?? settingValue(s, 'maildesk.ai.enabled'))) {
    return { available: false, blockedBy: 'ai-off', setting: 'maildesk.ai.enabled', reason: `AI is turned off for all mailboxes (setting maildesk.ai.enabled).` };
  }
  const fkey = `maildesk.ai.feature.${ctx.feature}.enabled`;
  if (isSwitchOff(settingValue(s, fkey))) {
    return { available: false, blockedBy: 'feature-off', setting: fkey, reason: `"${label}" is turned off (setting ${fkey}).` };
  }
  if (ctx.accountId && isSwitchOff(accountAiSetting(s, ctx.accountId, ctx.accountConfig))) {
    const akey = `maildesk.ai.account.${ctx.accountId}.enabled`;
    return { available: false, blockedBy: 'account-off', setting: akey, reason: `"Enable AI features" is off for this mailbox (setting ${akey}).` };
  }
  if (!ctx.provider.configured) {
    return {
      available: false,
      blockedBy: 'no-provider',
      setting: 'maildesk.ai.provider',
      reason: `No AI provider is configured${ctx.provider.detail ? ` (${ctx.provider.detail})` : ''}: an administrator sets one up (a VS Code language model, or an OpenAI-compatible endpoint in maildesk.ai.openai.url and maildesk.ai.openai.model).`,
    };
  }
  return { available: true, reason: '' };
}

export type ProviderChoice = 'auto' | 'vscode' | 'openai';

export interface AiProviderSettings {
  choice: ProviderChoice;
  openai: { url: string; model: string; maxInputTokens: number };
}

export function aiProviderSettings(settings: Record<string, unknown>): AiProviderSettings {
  const c = settingString(settings, 'maildesk.ai.provider');
  const max = Number(settingValue(settings, 'maildesk.ai.openai.maxInputTokens'));
  return {
    choice: c === 'vscode' || c === 'openai' ? c : 'auto',
    openai: {
      url: settingString(settings, 'maildesk.ai.openai.url'),
      model: settingString(settings, 'maildesk.ai.openai.model'),
      maxInputTokens: Number.isFinite(max) && max >= 512 ? max : 8000,
    },
  };
}
