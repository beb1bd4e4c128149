/**
 * Pro parts: the AI switches (settings exist now), and AI providers, licence and Workflow
 * Bridges, which are not part of this version yet: those report `skip` with the reason until
 * their issues land and replace them with real checks.
 */
import { openSettingsAction, type Check } from '../check';

/** The AI actions the guide names, by the feature key of their switch. */
export const AI_FEATURES: Record<string, string> = {
  summarize: 'Summarize current',
  draft: 'Draft from context',
  check: 'Check with AI',
};

/** Off only when explicitly set off ("AI is off only if one of these is set to 0"). */
function isOff(v: unknown): boolean {
  return v === false || v === 0 || v === '0' || v === 'false';
}

export const aiSwitches: Check = {
  id: 'ai.switches',
  title: 'AI switches',
  section: 'An AI action is unavailable (Pro)',
  async run(ctx) {
    const s = ctx.settings;
    const features = new Set(Object.keys(AI_FEATURES));
    for (const k of Object.keys(s)) {
      const m = /^maildesk\.ai\.feature\.(.+)\.enabled$/.exec(k);
      if (m) features.add(m[1]);
    }
    const cfg = ctx.account.config as unknown as Record<string, unknown>;
    const accountKey = `maildesk.ai.account.${ctx.account.id}.enabled`;
    const off: Array<{ key: string; text: string }> = [];
    const states: string[] = [];
    const global = s['maildesk.ai.enabled'];
    states.push(`maildesk.ai.enabled=${isOff(global) ? 'off' : 'on'}`);
    if (isOff(global)) off.push({ key: 'maildesk.ai.enabled', text: 'maildesk.ai.enabled is off: every AI action is turned off system-wide' });
    for (const f of features) {
      const key = `maildesk.ai.feature.${f}.enabled`;
      const v = s[key];
      states.push(`${f}=${isOff(v) ? 'off' : 'on'}`);
      if (isOff(v)) off.push({ key, text: `${key} is off: "${AI_FEATURES[f] ?? f}" is unavailable` });
    }
    const accountValue = s[accountKey] ?? cfg.aiEnabled;
    states.push(`account "Enable AI features"=${isOff(accountValue) ? 'off' : 'on'}`);
    if (isOff(accountValue)) off.push({ key: accountKey, text: `"Enable AI features" is off for this mailbox (${accountKey}): no AI action works on its mail` });
    if (off.length) {
      return [
        {
          status: 'warn',
          detail: `${off.map((o) => o.text).join('; ')} (${states.join(', ')})`,
          remedy: `Turn the switch back on in Settings (${off.map((o) => o.key).join(', ')}); all AI switches are on by default and AI is off only where one is set off. AI also needs a configured AI provider and MailDesk Pro.`,
          action: openSettingsAction(off[0].key),
        },
      ];
    }
    return [{ status: 'pass', detail: `all AI switches on (${states.join(', ')})` }];
  },
};

function notYet(id: string, title: string, section: string, what: string): Check {
  return {
    id,
    title,
    section,
    async run() {
      return [{ status: 'skip', detail: `${what} not part of this version of MailDesk yet` }];
    },
  };
}

export const aiProvider = notYet('ai.provider', 'AI provider configured', 'An AI action is unavailable (Pro)', 'AI providers are');
export const licence = notYet('licence', 'Licence', 'When to contact support', 'Licensing (Basic / Pro) is');
export const bridges = notYet('bridges', 'Workflow Bridges', 'A Workflow Bridge action is missing on a record', 'Workflow Bridges are');
