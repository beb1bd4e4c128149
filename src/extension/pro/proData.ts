/**
 * The mail MailDesk Pro reads in this window, through the engine: the AI actions and the
 * Workflow Bridges run here (VS Code's models, other extensions' bridges, SecretStorage),
 * the threads, drafts and links are the engine's (`pro/*` requests, src/engine/areas/panels.ts).
 */
import type { ProData } from '../../core/licence/proData';
import type { EngineClient } from '../../engine/client';

export function engineProData(engine: EngineClient): ProData {
  return {
    account: async (accountId) => (await engine.request('accounts/get', { accountId })) ?? undefined,
    thread: (accountId, threadKey) => engine.request('pro/thread', { accountId, threadKey }),
    replyDraft: (accountId, threadKey) => engine.request('pro/replyDraft', { accountId, threadKey }),
    saveDraft: (accountId, draft) => engine.request('pro/saveDraft', { accountId, draft }),
    recordAiOutcome: async (failure) => void (await engine.request('pro/recordAiOutcome', { failure: failure ?? null })),
    bridgeEmail: async (accountId, threadKey) => {
      const e = await engine.request('pro/bridgeEmail', { accountId, threadKey });
      return {
        ...e,
        attachments: e.attachments.map(({ contentBase64, ...a }) => {
          let bytes: Uint8Array | undefined;
          // Decoded only if a bridge reads it ("Save attachments").
          return { ...a, content: () => (bytes ??= Buffer.from(contentBase64, 'base64')) };
        }),
      };
    },
    links: (accountId, threadKey) => engine.request('pro/links', { accountId, threadKey }),
    addLinks: async (accountId, messageId, bridge, records, now) => void (await engine.request('pro/addLinks', { accountId, messageId, bridge, records, now })),
    updateLinks: async (accountId, records, now) => void (await engine.request('pro/updateLinks', { accountId, records, now })),
  };
}
