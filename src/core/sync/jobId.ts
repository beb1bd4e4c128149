/**
 * A job's id in the store. Apart from ./scheduler.ts so that the engine's wire conversions,
 * which VS Code's extension loads at activation, do not load the scheduler (and the store,
 * providers and parsers behind it) with them.
 */
import type { JobKind } from '../store/store';

export function jobId(accountId: string, kind: JobKind, folderPath?: string): string {
  return folderPath === undefined ? `${accountId}:${kind}` : `${accountId}:${kind}:${folderPath}`;
}
