/**
 * Which mailboxes the agent tools may see. The tools bring no model of their own (the
 * agent's model is the user's), so they need no licence; but they obey the AI switches:
 * the global one, their own feature switch and each mailbox's "Enable AI features". A
 * mailbox with AI off is not hidden behind an error: it does not exist for the tools.
 */
import { accountAiSetting, isSwitchOff } from '../ai/availability';
import { settingValue } from '../licence/pro';
import type { AccountRow } from '../store/store';
import { TOOLS_FEATURE_KEY } from './switches';

export { TOOLS_FEATURE_KEY };

export interface AgentAccess {
  /** False when a switch turns every tool off; `reason` then names it and the fix. */
  enabled: boolean;
  reason: string;
  /** The setting that turned the tools off, when one did. */
  setting?: string;
  /** Mailboxes the tools may read and change. */
  visible: AccountRow[];
  /** Mailboxes left out because their "Enable AI features" is off (for Troubleshoot only). */
  hidden: Array<{ id: string; setting: string }>;
}

/** Off only when a switch is explicitly off, like every other AI switch. */
export function agentAccess(settings: Record<string, unknown>, accounts: AccountRow[]): AgentAccess {
  if (isSwitchOff(settingValue(settings, 'maildesk.ai.enabled'))) {
    return {
      enabled: false,
      setting: 'maildesk.ai.enabled',
      reason: 'MailDesk tools are off because AI is turned off for all mailboxes (setting maildesk.ai.enabled). Turn it on to let an agent use MailDesk.',
      visible: [],
      hidden: [],
    };
  }
  if (isSwitchOff(settingValue(settings, TOOLS_FEATURE_KEY))) {
    return {
      enabled: false,
      setting: TOOLS_FEATURE_KEY,
      reason: `MailDesk tools are turned off (setting ${TOOLS_FEATURE_KEY}). Turn it on to let an agent use MailDesk.`,
      visible: [],
      hidden: [],
    };
  }
  const visible: AccountRow[] = [];
  const hidden: AgentAccess['hidden'] = [];
  for (const a of accounts) {
    if (isSwitchOff(accountAiSetting(settings, a.id, a.config))) hidden.push({ id: a.id, setting: `maildesk.ai.account.${a.id}.enabled` });
    else visible.push(a);
  }
  if (!visible.length) {
    // Whether there are mailboxes with AI off is itself not said: they are invisible.
    return {
      enabled: true,
      reason: 'No mailbox is available to MailDesk tools: either no account is set up, or "Enable AI features" is off for every mailbox (setting maildesk.ai.account.<account id>.enabled).',
      visible,
      hidden,
    };
  }
  return { enabled: true, reason: '', visible, hidden };
}

