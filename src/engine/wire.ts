/**
 * Conversions between the core's objects and the engine protocol's plain data (no class,
 * Buffer or Date crosses the boundary), and the store reads several requests share.
 */
import { MailError } from '../core/errors';
import type { MailStore } from '../core/store/store';
import type { VerifyReport } from '../core/providers/provider';
import type { SendInput, SendResult } from '../core/send/sender';
import { jobId } from '../core/sync/jobId';
import type { BodiesSummary, FolderInfo, JobInfo, SendInputWire, SendResultWire, VerifyReportWire, WireError } from '../shared/protocol/engine';

export function toWireError(e: MailError): WireError {
  // The remedy travels too: an error may carry its own (an SMTP login refused names Test Outgoing Server).
  const w: WireError = { code: e.code, message: e.message, retryable: e.retryable, offline: e.offline, remedy: e.remedy };
  if (e.providerMessage !== undefined) w.providerMessage = e.providerMessage;
  if (e.retryAfter !== undefined) w.retryAfter = e.retryAfter;
  return w;
}

export function fromWireError(w: WireError): MailError {
  return new MailError(w.code, w.message, { retryable: w.retryable, offline: w.offline, providerMessage: w.providerMessage, retryAfter: w.retryAfter, remedy: w.remedy });
}

export function verifyToWire(r: VerifyReport): VerifyReportWire {
  return { ok: r.ok, server: r.server, steps: r.steps.map((s) => ({ name: s.name, ok: s.ok, ms: s.ms, detail: s.detail })), error: r.error ? toWireError(r.error) : undefined, capabilities: r.capabilities };
}

export function sendResultToWire(r: SendResult): SendResultWire {
  const { error, ...rest } = r;
  return { ...rest, error: error ? toWireError(error) : undefined };
}

export function sendInputFromWire(i: SendInputWire): SendInput {
  if ('rawBase64' in i) return { raw: Buffer.from(i.rawBase64, 'base64') };
  if ('draftId' in i) return { draftId: i.draftId };
  return i.draft;
}

export function folderInfos(store: MailStore, accountId: string): FolderInfo[] {
  return store.listFolders(accountId).map((f) => {
    const c = store.localCounts(f.id);
    return { ...f, local: c.total, localUnread: c.unread, backfillDone: store.getSyncState(f.id).backfillDone, bodies: bodiesSummary(store.getJob(jobId(accountId, 'bodies', f.path))?.progress) };
  });
}

export function jobInfos(store: MailStore, accountIds?: string[]): JobInfo[] {
  return store
    .listJobs()
    .filter((j) => !accountIds || accountIds.includes(j.accountId))
    .map((j) => ({ ...j, folderPath: j.folderId !== null ? store.getFolderById(j.folderId)?.path ?? null : null }));
}

/** A folder's offline bodies for `sync --once --json`: stored of total (within the window, under the size cap), their bytes, and how many are over the cap. */
export function bodiesSummary(p: Record<string, unknown> | null | undefined): BodiesSummary | null {
  if (!p || p.phase !== 'bodies') return null;
  const n = (k: string): number => (typeof p[k] === 'number' ? (p[k] as number) : 0);
  return { stored: n('fetched'), total: n('total'), bytes: n('bytes'), overCap: n('overCap') };
}
