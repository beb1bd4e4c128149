/**
 * The engine's handlers for the window's trees, status bar, badge, alerts and commands (accounts, folders, jobs, Add/Edit Account, Gmail and Outlook sign-in) (src/shared/protocol/engineAreas/window.ts).
 */
import type { MailDesk } from '../../core/maildesk';
import type { WindowRequests } from '../../shared/protocol/engineAreas/window';
import type { Engine } from '../engine';
import type { HandlersFor } from '../handlers';

export function windowHandlers(engine: Engine, core: MailDesk): HandlersFor<WindowRequests> {
  void engine;
  void core;
  return {};
}
