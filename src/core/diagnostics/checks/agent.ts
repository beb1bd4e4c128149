/**
 * The agent tools: whether they are offered (and where: VS Code's language model tools,
 * `@maildesk`, the MCP server definition), whether the AI switches let them see this
 * mailbox, and which clients called them lately. Names and counts only: never a query,
 * an id or an answer.
 */
import * as l10n from '@vscode/l10n';
import { agentAccess } from '../../agent/access';
import { agentCalls, agentHosts, type AgentHostInfo } from '../../agent/mailbox';
import { AGENT_TOOLS } from '../../agent/tools';
import { openSettingsAction, type Check } from '../check';

function iso(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');
}

function registeredWhere(host: AgentHostInfo): string {
  const what =
    host.surface === 'vscode'
      ? `VS Code: ${host.tools} language model tool(s)${host.participant ? ', @maildesk chat participant' : ', no chat participant (this VS Code has no chat API)'}${host.mcpProvider ? ', MCP server definition provider' : ''}`
      : `\`maildesk mcp\`: ${host.tools} tools`;
  return `${what} (registered ${iso(host.at)})`;
}

export const agentTools: Check = {
  id: 'agent.tools',
  get title() {
    return l10n.t('Agent tools');
  },
  section: 'An AI action is unavailable (Pro)',
  async run(ctx) {
    const access = agentAccess(ctx.settings, [ctx.account]);
    const hosts = agentHosts(ctx.store);
    const where = hosts.length
      ? hosts.map(registeredWhere).join('; ')
      : `${AGENT_TOOLS.length} tools for \`maildesk mcp\`; not registered in VS Code on this data folder yet`;
    const calls = agentCalls(ctx.store);
    const byClient = new Map<string, string[]>();
    for (const c of calls) byClient.set(c.client, [...(byClient.get(c.client) ?? []), `${c.tool} ×${c.calls}${c.errors ? ` (${c.errors} refused or failed)` : ''}`]);
    const callers = calls.length
      ? `recent callers: ${[...byClient].map(([client, tools]) => `${client}: ${tools.join(', ')}`).join('; ')}; last call ${iso(calls[0].lastAt)}`
      : 'no agent has called them yet';
    if (!access.enabled) {
      return [{ status: 'warn', detail: l10n.t('{0} ({1}; {2})', access.reason, where, callers), remedy: l10n.t('Turn {0} back on in Settings (or in the CLI configuration\'s "settings") if agents should use MailDesk.', String(access.setting)), action: openSettingsAction(access.setting ?? 'maildesk.ai') }];
    }
    if (!access.visible.length) {
      const key = `maildesk.ai.account.${ctx.account.id}.enabled`;
      return [{ status: 'warn', detail: l10n.t('agent tools cannot see this mailbox: "Enable AI features" is off ({0}); its mail never appears in their answers ({1}; {2})', key, where, callers), remedy: l10n.t('Turn on {0} if agents should read and draft mail in this mailbox.', key), action: openSettingsAction(key) }];
    }
    return [{ status: 'pass', detail: l10n.t('agent tools can read this mailbox and save drafts, never send ({0}); {1}', where, callers) }];
  },
};
