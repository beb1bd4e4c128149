/**
 * The engine's handlers for reading (src/extension/threadView.ts, messageList.ts, mailFocus.ts): message lists, threads, rendered messages, search, source (src/shared/protocol/engineAreas/reading.ts).
 */
import type { MailDesk } from '../../core/maildesk';
import type { ReadingRequests } from '../../shared/protocol/engineAreas/reading';
import type { Engine } from '../engine';
import type { HandlersFor } from '../handlers';

export function readingHandlers(engine: Engine, core: MailDesk): HandlersFor<ReadingRequests> {
  void engine;
  void core;
  return {};
}
