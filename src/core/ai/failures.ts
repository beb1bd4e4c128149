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

/** Keeps the last AI request's failure (undefined: it succeeded, which clears it). */
export function rememberAiOutcome(store: MailStore, failure: AiFailure | undefined): void {
  try {
    if (failure === undefined) {
      if (store.getSetting(KEY)) store.setSetting(KEY, '');
    } else store.setSetting(KEY, JSON.stringify(failure));
  } catch {
    // Troubleshoot's memory only: the request's own result is what matters here.
  }
}

/**
 * The same model, its requests' failures remembered through `record` (a cancel by the user is
 * not a failure); where they are kept is the store's (rememberAiOutcome), directly or through the engine.
 */
export function recordingModel(record: (failure: AiFailure | undefined) => Promise<void>, model: AiModel): AiModel {
  const remember = (f: AiFailure | undefined): void => void record(f).catch(() => undefined);
  const wrapped = Object.create(model) as AiModel & { chat: AiModel['chat'] };
  wrapped.chat = async (messages, opts) => {
    try {
      const r = await model.chat(messages, opts);
      remember(undefined);
      return r;
    } catch (e) {
      if (!isCancelled(e)) {
        const err = toMailError(e, model.label);
        remember({ model: model.label, code: err.code, error: err.message, at: Date.now() });
      }
      throw e;
    }
  };
  return wrapped;
}
