/**
 * The engine's handlers for Troubleshoot, Pro (licence, AI, bridges), agent mode and the triage commands in VS Code (src/shared/protocol/engineAreas/panels.ts).
 */
import { storeProData } from '../../core/licence/proData';
import type { MailDesk } from '../../core/maildesk';
import type { PanelRequests } from '../../shared/protocol/engineAreas/panels';
import type { Engine } from '../engine';
import type { HandlersFor } from '../handlers';

export function panelsHandlers(engine: Engine, core: MailDesk): HandlersFor<PanelRequests> {
  void engine;
  const store = core.store;
  const pro = storeProData(core);
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

    'pro/thread': (p) => pro.thread(p.accountId, p.threadKey),
    'pro/replyDraft': (p) => pro.replyDraft(p.accountId, p.threadKey),
    'pro/saveDraft': (p) => pro.saveDraft!(p.accountId, p.draft),
    'pro/recordAiOutcome': async (p) => (await pro.recordAiOutcome(p.failure ?? undefined), null),
    'pro/bridgeEmail': async (p) => {
      const e = await pro.bridgeEmail(p.accountId, p.threadKey);
      return { ...e, attachments: e.attachments.map((a) => ({ filename: a.filename, mimeType: a.mimeType, size: a.size, contentBase64: Buffer.from(a.content()).toString('base64') })) };
    },
    'pro/links': (p) => pro.links(p.accountId, p.threadKey),
    'pro/addLinks': async (p) => (await pro.addLinks(p.accountId, p.messageId, p.bridge, p.records, p.now), null),
    'pro/updateLinks': async (p) => (await pro.updateLinks(p.accountId, p.records, p.now), null),
  };
}
