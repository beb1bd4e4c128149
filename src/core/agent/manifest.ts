/**
 * The agent tools as VS Code's static manifest declares them (package.json `contributes`),
 * built from the one definition in tools.ts. scripts/agent-manifest.ts writes it; a unit
 * test checks that package.json holds exactly this.
 */
import { CHAT_COMMANDS } from './chatPrompts';
import { AGENT_TOOLS, inputJsonSchema } from './tools';

/** What a person reads in the tools picker (the model reads the full description). */
const USER_DESCRIPTIONS: Record<string, string> = {
  search_mail: 'Search your mail in MailDesk (from:, subject:, after:, is:unread, in:folder …)',
  read_thread: 'Read a conversation as plain text (quotes, signatures and attachment contents left out)',
  list_unread: 'List unread mail per folder',
  list_folders: 'List your mailboxes and folders',
  draft_reply: 'Save a reply in Drafts (never sent)',
  draft_message: 'Save a new message in Drafts (never sent)',
  mark: 'Mark messages read, unread, flagged or unflagged',
  archive: 'Move messages to Archive',
};

export function agentManifest(): Record<string, unknown[]> {
  return {
    languageModelTools: AGENT_TOOLS.map((t) => ({
      name: `maildesk_${t.name}`,
      toolReferenceName: `maildesk_${t.name}`,
      displayName: `MailDesk: ${t.title}`,
      modelDescription: t.description,
      userDescription: USER_DESCRIPTIONS[t.name] ?? t.title,
      canBeReferencedInPrompt: true,
      icon: '$(mail)',
      tags: ['maildesk', 'email'],
      inputSchema: inputJsonSchema(t),
    })),
    chatParticipants: [
      {
        id: 'maildesk.chat',
        name: 'maildesk',
        fullName: 'MailDesk',
        description: 'Ask about your mail: summarize, triage unread mail, draft replies (never sent)',
        isSticky: true,
        commands: Object.entries(CHAT_COMMANDS).map(([name, description]) => ({ name, description })),
      },
    ],
    mcpServerDefinitionProviders: [{ id: 'maildesk.mcp', label: 'MailDesk' }],
  };
}
