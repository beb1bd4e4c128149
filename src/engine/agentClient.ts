/**
 * The agent tools' view of the mailbox (AgentMailDesk) through the engine: each call carries
 * this client's `maildesk.*` settings, read at the call, so switching the tools off needs no
 * restart; a refusal comes back as the AgentRefusal the tools turn into their answer.
 */
import { AgentRefusal } from '../core/agent/mailbox';
import type { AgentMailDesk } from '../core/agent/tools';
import { MailError } from '../core/errors';
import type { EngineRequests } from '../shared/protocol/engine';
import type { EngineClient } from './client';

type AgentMethod = Extract<keyof EngineRequests, `agent/${string}`>;

export function engineAgent(client: EngineClient, settings: () => Record<string, unknown>): AgentMailDesk {
  const call = async <M extends AgentMethod>(method: M, input: EngineRequests[M]['params']['input']): Promise<EngineRequests[M]['result']> => {
    try {
      return await client.request(method, { input, settings: settings() } as EngineRequests[M]['params']);
    } catch (e) {
      if (e instanceof MailError && e.code === 'agent.refused') throw new AgentRefusal(e.message);
      throw e;
    }
  };
  return {
    agentStatus: () => call('agent/status', {}),
    agentSearch: (input) => call('agent/search', input),
    agentReadThread: (input) => call('agent/readThread', input),
    agentListUnread: (input) => call('agent/listUnread', input),
    agentListFolders: (input) => call('agent/listFolders', input),
    agentSaveDraft: (input) => call('agent/saveDraft', input),
    agentMark: (input) => call('agent/mark', input),
    agentArchive: (input) => call('agent/archive', input),
    agentRecordCall: async (input) => void (await call('agent/recordCall', input)),
  };
}
