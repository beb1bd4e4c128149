/**
 * The engine's handlers for Troubleshoot, Pro (licence, AI, bridges), agent mode and the triage commands in VS Code (src/shared/protocol/engineAreas/panels.ts).
 */
import type { MailDesk } from '../../core/maildesk';
import type { PanelRequests } from '../../shared/protocol/engineAreas/panels';
import type { Engine } from '../engine';
import type { HandlersFor } from '../handlers';

export function panelsHandlers(engine: Engine, core: MailDesk): HandlersFor<PanelRequests> {
  void engine;
  void core;
  return {};
}
