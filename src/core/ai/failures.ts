/**
 * The last failure of an AI request, remembered in the store so Troubleshoot can report a
 * provider that rate-limits (429) or fails after the user saw it, with when it happened.
 * A later successful request clears it.
 */
import { toMailError } from '../errors';
import type { MailStore } from '../store/store';
import { isCancelled, type AiModel } from './provider';

const KEY = 'ai.lastFailure';

export interface AiFailure {
  model: string;
  code: string;
  error: string;
  at: number;
}

export function lastAiFailure(store: MailStore): AiFailure | undefined {
  try {
    const raw = store.getSetting(KEY);
    return raw ? (JSON.parse(raw) as AiFailure) : undefined;
  } catch {
    return undefined;
  }
}

/** The same model, its requests' failures remembered (a cancel by the user is not a failure). */
export function recordingModel(store: MailStore, model: AiModel): AiModel {
  const remember = (v: string | undefined) => {
    try {
      if (v === undefined) {
        if (store.getSetting(KEY)) store.setSetting(KEY, '');
      } else store.setSetting(KEY, v);
    } catch {
      // Troubleshoot's memory only: the request's own result is what matters here.
    }
  };
  const wrapped = Object.create(model) as AiModel & { chat: AiModel['chat'] };
  wrapped.chat = async (messages, opts) => {
    try {
      const r = await model.chat(messages, opts);
      remember(undefined);
      return r;
    } catch (e) {
      if (!isCancelled(e)) {
        const err = toMailError(e, model.label);
        remember(JSON.stringify({ model: model.label, code: err.code, error: err.message, at: Date.now() } satisfies AiFailure));
      }
      throw e;
    }
  };
  return wrapped;
}
