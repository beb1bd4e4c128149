/**
 * The settings the agent tools obey, by key. A module without imports: the window's startup
 * bundle uses it (the settings a `maildesk mcp` it starts reads, src/extension/agent/mcpDefinition.ts)
 * as well as the tools' own bundle.
 */

export const TOOLS_FEATURE_KEY = 'maildesk.ai.feature.tools.enabled';

/**
 * Only the settings the tools obey: the global AI switch, the tools' own switch and each
 * mailbox's "Enable AI features" (`maildesk.ai.account.<account id>.enabled`). Nothing else
 * (OAuth clients, AI endpoints) is handed on.
 */
export function agentSwitches(settings: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(settings)) {
    if (k === 'maildesk.ai.enabled' || k === TOOLS_FEATURE_KEY || (k.startsWith('maildesk.ai.account.') && k.endsWith('.enabled'))) out[k] = v;
  }
  return out;
}
