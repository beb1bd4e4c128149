/**
 * Troubleshoot without a store: when the engine could not open the data folder's store (the
 * catch block of src/extension/extension.ts), the window has no engine, only an in-memory
 * stand-in core, and the checks run here on it so the report says what is wrong with the
 * store and how to fix it. This is the one place the panel holds a core; every other run is
 * the engine's `diagnostics/run` (the same pipeline, src/core/diagnostics/troubleshoot.ts).
 */
import { secretCredentials, type SecretStore } from '../../core/config';
import type { MailError } from '../../core/errors';
import type { Logger } from '../../core/log';
import { MailDesk } from '../../core/maildesk';
import { runTroubleshoot, troubleshootPanelReport } from '../../core/diagnostics/troubleshoot';
import type { DiagnosticsParams } from '../../shared/protocol/engine';
import type { PanelReport, ProgressEvent } from './viewModel';

export interface StandInRun {
  standIn: MailDesk;
  secrets: SecretStore;
  storeProblem?: MailError;
  dataDir?: string;
}

/** The in-memory core the checks run on when there is no store (nothing is written to disk). */
export function openStandIn(secrets: SecretStore, logger: Logger): Promise<MailDesk> {
  return MailDesk.open({ credentials: secretCredentials(secrets), logger, idle: false });
}

export async function runOnStandIn(s: StandInRun, p: DiagnosticsParams, onProgress: (e: ProgressEvent) => void): Promise<PanelReport> {
  const run = await runTroubleshoot(s.standIn, {
    settings: p.settings,
    syncIntervalMs: p.syncIntervalMs,
    credentials: secretCredentials(s.secrets),
    storeProblem: s.storeProblem,
    dataDir: s.dataDir,
    onProgress,
  });
  run.secrets.push(...p.secrets);
  const engine = { state: 'none' as const, reason: s.storeProblem ? `no engine could open the data folder: ${s.storeProblem.message}` : 'no engine is running for this window' };
  return troubleshootPanelReport(s.standIn, run, { version: p.version, app: p.app, vscodeVersion: p.vscodeVersion, expected: p.expected, happened: p.happened, when: p.when, engine });
}
