/**
 * The engine's handlers for the composer (src/extension/compose): drafts, send, address book, attachments (src/shared/protocol/engineAreas/compose.ts).
 */
import type { MailDesk } from '../../core/maildesk';
import type { ComposeRequests } from '../../shared/protocol/engineAreas/compose';
import type { Engine } from '../engine';
import type { HandlersFor } from '../handlers';

export function composeHandlers(engine: Engine, core: MailDesk): HandlersFor<ComposeRequests> {
  void engine;
  void core;
  return {};
}
