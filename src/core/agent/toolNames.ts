/**
 * The agent tools' names, in the order clients list them, without their schemas: VS Code
 * registers the tools by name at activation, and the schemas (zod) and runner in ./tools.ts load
 * only when a tool is first called (scripts/extensionBundles.mjs). test/unit/bundle.test.ts
 * checks this list against AGENT_TOOLS.
 */
export const AGENT_TOOL_NAMES: readonly string[] = ['search_mail', 'read_thread', 'list_unread', 'list_folders', 'draft_reply', 'draft_message', 'mark', 'archive'];
