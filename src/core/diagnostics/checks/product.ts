/**
 * Pro parts: the AI switches, the AI provider, the licence and the Workflow Bridges. The
 * last three ask the same services the extension uses (src/core/ai, src/core/licence,
 * src/core/bridges), with the secrets the host attached to the store (env in the CLI).
 */
import * as l10n from '@vscode/l10n';
import { aiAvailability } from '../../ai/availability';
import { lastAiFailure } from '../../ai/failures';
import { AiService } from '../../ai/service';
import { BridgeService } from '../../bridges/service';
import { currentLicence, proHostFor, type ProHost } from '../../licence/pro';
import { accountTarget, openSettingsAction, type Check, type CheckContext, type CheckResult } from '../check';

/** An AI failure older than this is history, not the reason an action fails now. */
const RECENT_AI_FAILURE_MS = 3_600_000;

/** A bridge count not checked against the other system for this long may be stale. */
const STALE_LINK_MS = 24 * 3_600_000;

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
  get title() {
    return l10n.t('AI switches');
  },
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
          detail: l10n.t('{0} ({1})', off.map((o) => o.text).join('; '), states.join(', ')),
          remedy: l10n.t('Turn the switch back on in Settings ({0}); all AI switches are on by default and AI is off only where one is set off. AI also needs a configured AI provider and MailDesk Pro.', off.map((o) => o.key).join(', ')),
          action: openSettingsAction(off[0].key),
        },
      ];
    }
    return [{ status: 'pass', detail: l10n.t('all AI switches on ({0})', states.join(', ')) }];
  },
};

/** The core pieces a check needs to ask the Pro services (no mail is read by these checks). */
function proFor(ctx: CheckContext): { host: ProHost; ai: AiService; bridges: BridgeService } {
  const host = proHostFor(ctx.store, ctx.env);
  const core = { store: ctx.store, messageSource: () => Promise.reject(new Error('not used by Troubleshoot')) };
  const deps = { core, host, settings: () => ctx.settings, now: () => ctx.now, odoo: { timeoutMs: ctx.timeoutMs } };
  return { host, ai: new AiService(deps), bridges: new BridgeService(deps) };
}

export const aiProvider: Check = {
  id: 'ai.provider',
  get title() {
    return l10n.t('AI provider configured');
  },
  section: 'An AI action is unavailable (Pro)',
  async run(ctx) {
    const { host, ai } = proFor(ctx);
    const lic = await currentLicence(host, ctx.now);
    const p = await ai.providerState();
    if (!lic.pro) {
      // Basic with an AI provider set up: the user expects AI actions that are not shown.
      if (p.configured) {
        return [
          {
            status: 'warn',
            detail: l10n.t('Summarize current, Draft from context and Check with AI are not shown: this is MailDesk Basic ({0}), although an AI provider is configured ({1})', lic.message, p.detail),
            remedy: l10n.t('AI features are part of MailDesk Pro, not Basic: enter a Pro licence key with "MailDesk: Enter Licence Key" (see the licence check for why a key is not accepted).'),
            action: { title: l10n.t('Enter Licence Key'), command: 'maildesk.enterLicenceKey' },
          },
        ];
      }
      return [{ status: 'skip', detail: l10n.t('AI features are not part of MailDesk Basic ({0}) and no AI provider is configured', lic.message) }];
    }
    if (!p.configured) {
      return [
        {
          status: 'warn',
          detail: l10n.t('no AI provider is configured: {0}; Summarize current, Draft from context and Check with AI are greyed out', p.detail),
          remedy:
            'An administrator configures at least one provider: a VS Code language model (e.g. GitHub Copilot), or an OpenAI-compatible endpoint in Settings (maildesk.ai.openai.url, maildesk.ai.openai.model) with its key stored by "MailDesk: Set AI API Key".',
          action: openSettingsAction('maildesk.ai'),
        },
      ];
    }
    const failure = lastAiFailure(ctx.store);
    if (failure && failure.at > ctx.now - RECENT_AI_FAILURE_MS) {
      const when = new Date(failure.at).toISOString().replace(/\.\d+Z$/, 'Z');
      const limited = failure.code === 'server.rateLimited';
      return [
        {
          status: 'warn',
          detail: l10n.t('the AI provider ({0}) {1}: the last AI request, at {2}, ended with {3}: {4}', failure.model, limited ? 'is rate-limiting (HTTP 429)' : 'failed', when, failure.code, failure.error),
          remedy: limited
            ? 'The provider briefly rate-limits, most often on very long threads: try again in a minute. If it keeps happening, the administrator raises the provider\'s limit or picks another model (maildesk.ai.openai.model).'
            : 'Try the action again; if it fails again, check the AI provider settings (maildesk.ai.openai.url, maildesk.ai.openai.model) and its key ("MailDesk: Set AI API Key").',
          section: limited ? 'An AI action is unavailable (Pro)' : undefined,
          action: openSettingsAction('maildesk.ai'),
        },
      ];
    }
    const off = (['summarize', 'draft', 'check'] as const)
      .map((f) => aiAvailability({ feature: f, settings: ctx.settings, accountId: ctx.account.id, accountConfig: ctx.account.config, licence: lic, provider: { configured: true } }))
      .filter((a) => !a.available);
    return [{ status: 'pass', detail: `AI provider: ${p.detail}${off.length ? ` (switched off for this mailbox: ${off.map((a) => a.reason).join(' ')} See ai.switches.)` : ''}` }];
  },
};

export const licence: Check = {
  id: 'licence',
  get title() {
    return l10n.t('Licence');
  },
  section: 'An AI action is unavailable (Pro)',
  async run(ctx) {
    const { host } = proFor(ctx);
    const s = await currentLicence(host, ctx.now);
    const action = { title: l10n.t('Enter Licence Key'), command: 'maildesk.enterLicenceKey' };
    switch (s.state) {
      case 'valid':
        return [{ status: 'pass', detail: s.message }];
      case 'none':
        // Basic is a complete product: nothing to check, nothing wrong.
        return [{ status: 'skip', detail: l10n.t('MailDesk Basic: no licence key is entered (Basic is fully usable; AI and Workflow Bridges need Pro)') }];
      case 'wrongProduct':
      case 'notYetValid':
        return [{ status: 'warn', detail: s.message, remedy: s.remedy, action }];
      default:
        return [{ status: 'warn', detail: l10n.t('{0}; MailDesk runs as Basic', s.message), remedy: s.remedy, action }];
    }
  },
};

export const bridges: Check = {
  id: 'bridges',
  get title() {
    return l10n.t('Workflow Bridges');
  },
  section: 'A Workflow Bridge action is missing on a record',
  async run(ctx) {
    const { bridges: svc } = proFor(ctx);
    const actions = await svc.actionsFor(ctx.account.id);
    const enabled = actions.filter((a) => a.state !== 'not-enabled');
    if (!enabled.length) {
      // Bridges set up somewhere (Odoo, another mailbox) but not here: the user misses an action on this mailbox.
      const elsewhere = Object.keys(ctx.settings).filter((k) => /^maildesk\.bridges\.account\./.test(k) && k !== `maildesk.bridges.account.${ctx.account.id}` && ctx.settings[k]);
      const odoo = typeof ctx.settings['maildesk.odoo.url'] === 'string' && (ctx.settings['maildesk.odoo.url'] as string).trim();
      const remedy = `Enable the bridges for this mailbox in Settings (maildesk.bridges.account.${ctx.account.id}: the bridge ids, e.g. ["crm", "helpdesk"]) or, as an administrator, for every account (maildesk.bridges.enabled). Every bridge requires MailDesk Pro.`;
      if (odoo || elsewhere.length) {
        return [
          {
            status: 'warn',
            detail: `no Workflow Bridge is enabled on this mailbox, so Create lead, Create ticket, Link to order and the other bridge actions are not shown on its mail, although ${odoo ? `Odoo is configured (${odoo})` : ''}${odoo && elsewhere.length ? ' and ' : ''}${elsewhere.length ? `bridges are enabled on other mailboxes (${elsewhere.join(', ')})` : ''}`,
            remedy,
            action: openSettingsAction(`maildesk.bridges.account.${ctx.account.id}`),
          },
        ];
      }
      return [{ status: 'skip', detail: l10n.t('no Workflow Bridge is set up (no Odoo connection, none enabled on any mailbox)'), remedy }];
    }
    const out: CheckResult[] = [];
    const ok = enabled.filter((a) => a.available);
    if (enabled.some((a) => a.state === 'no-licence')) {
      out.push({
        status: 'warn',
        detail: l10n.t('{0} {1} enabled on this mailbox, but every bridge requires MailDesk Pro', enabled.map((a) => a.label).join(', '), enabled.length === 1 ? 'is' : 'are'),
        remedy: l10n.t('Enter a Pro licence key with "MailDesk: Enter Licence Key".'),
        action: { title: l10n.t('Enter Licence Key'), command: 'maildesk.enterLicenceKey' },
      });
      return out;
    }
    for (const a of enabled.filter((x) => !x.available)) {
      const remedy =
        a.state === 'not-installed'
          ? `Install the matching Workflow Bridge module in Odoo (${a.app}); until then "${a.label}" is not shown.`
          : a.state === 'no-access'
            ? `Ask your Odoo administrator for read access to ${a.app}.`
            : 'Check the Odoo connection settings (maildesk.odoo.url, maildesk.odoo.database, maildesk.odoo.user) and the API key ("MailDesk: Set Odoo API Key").';
      out.push({ status: 'warn', detail: l10n.t('{0} ({1}): {2}', a.label, a.app, a.reason), remedy });
    }
    // Smart-button counts come from the links; a link not checked for a day may count a record that is gone.
    const links = ctx.store.bridgeLinks.staleness(ctx.account.id, ctx.now - STALE_LINK_MS);
    if (links && links.stale > 0) {
      out.push({
        status: 'warn',
        detail: l10n.t('{0} of {1} linked record(s) were not checked against Odoo for more than a day (oldest check {2}): a smart-button count on those records may be out of date', links.stale, links.n, new Date(links.oldest ?? 0).toISOString().replace(/\.\d+Z$/, 'Z')),
        remedy: l10n.t('Refresh the form in Odoo and open the linked conversation in MailDesk: the count updates on the next synchronisation.'),
        section: 'A Workflow Bridge action is missing on a record',
        action: { title: l10n.t('Refresh'), command: 'maildesk.refresh', args: [accountTarget(ctx.account.id)] },
      });
    }
    if (ok.length) out.push({ status: 'pass', detail: `offered on this mailbox: ${ok.map((a) => `${a.label} (${a.app})`).join(', ')}${links?.n ? `; ${links.n} linked record(s), checked within a day` : ''}` });
    return out;
  },
};
