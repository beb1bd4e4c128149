/**
 * What agent mode runs once a tool is called or @maildesk is asked: the tools' schemas (zod)
 * and runner, and the engine's agent mailbox. A bundle of its own (dist/extension-agentTools.js,
 * scripts/extensionBundles.mjs), loaded on first use: activation registers the tools by name only.
 * One bundle for both, so the AgentRefusal the mailbox throws is the class the runner checks.
 */
export { AGENT_TOOLS, findAgentTool, runAgentTool } from '../../core/agent/tools';
export { engineAgent } from '../../engine/agentClient';
