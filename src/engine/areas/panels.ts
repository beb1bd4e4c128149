/**
 * The engine's handlers for Troubleshoot, Pro (licence, AI, bridges), agent mode and the triage commands in VS Code (src/shared/protocol/engineAreas/panels.ts).
 */
import type { MailDesk } from '../../core/maildesk';
import type { PanelRequests } from '../../shared/protocol/engineAreas/panels';
import type { Engine } from '../engine';
import type { HandlersFor } from '../handlers';

export function panelsHandlers(engine: Engine, core: MailDesk): HandlersFor<PanelRequests> {
  void engine;
  const store = core.store;
  return {
    'triage/folder': (p) => {
      const f = store.getFolderById(p.folderId);
      return f ? { accountId: f.accountId, path: f.path } : null;
    },
    'triage/moveTargets': async (p) => {
      const accountId = p.accountId || store.getFolderById(p.folderId)?.accountId;
      if (!accountId) return null;
      return { accountId, targets: await core.moveTargets(accountId, p.folderId) };
    },
    'triage/allFlagged': (p) => p.keys.every((k) => store.getMessage(k.messageId, k.folderId)?.flags.some((f) => f.toLowerCase() === '\\flagged')),
  };
}
