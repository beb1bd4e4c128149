/**
 * Every Troubleshoot check, in the order a report lists them: connection first (a dead server
 * explains most other symptoms), then folders, sending, sync, and the Pro parts.
 */
import type { Check, InstallationCheck } from './check';
import { authStatus, incomingConnect, networkProvider, oauthConfigured, outgoingConnect } from './checks/connection';
import { foldersSelection, sentMapping } from './checks/folders';
import { gmailLabels } from './checks/labels';
import { mailMissing } from './checks/missing';
import { aiProvider, aiSwitches, bridges, licence } from './checks/product';
import { sentSwap } from './checks/sentSwap';
import { signInFailuresCheck } from './checks/signIn';
import { diskSpace, storeHealth } from './checks/store';
import { draftsUnsent, syncProgress } from './checks/sync';
import { agentTools } from './checks/agent';

/** Checks about the whole installation, run once before the accounts' checks. */
export const INSTALLATION_CHECKS: readonly InstallationCheck[] = [storeHealth, diskSpace, signInFailuresCheck];

export const CHECKS: readonly Check[] = [
  oauthConfigured,
  authStatus,
  incomingConnect,
  outgoingConnect,
  networkProvider,
  mailMissing,
  foldersSelection,
  gmailLabels,
  sentMapping,
  sentSwap,
  draftsUnsent,
  syncProgress,
  aiSwitches,
  aiProvider,
  agentTools,
  licence,
  bridges,
];

export function findCheck(id: string): Check | undefined {
  return CHECKS.find((c) => c.id === id);
}
