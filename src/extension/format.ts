/**
 * Words the trees and the status bar show. Kept free of `vscode` so the wording
 * is tested in plain Node: its words go through @vscode/l10n, which the extension
 * configures with VS Code's bundle for the display language (English without one).
 */
import * as l10n from '@vscode/l10n';
import type { VerifyReport } from '../core/providers/provider';
import type { AccountRow, FolderRole, FolderRow, JobRow } from '../core/store/store';
import { bodiesProgressText } from '../core/sync/bodiesProgress';

/** "just now", "2 min ago", "3 h ago", "4 days ago". */
export function ago(ms: number, now = Date.now()): string {
  const s = Math.max(0, Math.round((now - ms) / 1000));
  if (s < 45) return l10n.t('just now');
  return l10n.t('{0} ago', span(s));
}

/** "now", "in 1 min", "in 2 h". */
export function until(ms: number, now = Date.now()): string {
  const s = Math.round((ms - now) / 1000);
  if (s <= 0) return l10n.t('now');
  if (s < 60) return l10n.t('in {0} s', s);
  return l10n.t('in {0}', span(s));
}

function span(s: number): string {
  const m = Math.round(s / 60);
  if (m < 60) return l10n.t('{0} min', Math.max(1, m));
  const h = Math.round(m / 60);
  if (h < 48) return l10n.t('{0} h', h);
  return l10n.t('{0} days', Math.round(h / 24));
}

/** Tree description of a folder: "3 unread · 120", or "not synced" for an unselected one. */
export function folderDescription(folder: Pick<FolderRow, 'selected' | 'remoteExists'>, local: { total: number; unread: number }): string {
  if (!folder.remoteExists) return folder.selected ? l10n.t('gone from server') : l10n.t('not on server');
  if (!folder.selected) return l10n.t('not synced');
  return local.unread ? l10n.t('{0} unread · {1}', local.unread, local.total) : `${local.total}`;
}

/** Local and server counts side by side, so a half-filled folder is visible. */
export function folderCountsTooltip(folder: Pick<FolderRow, 'path' | 'selected' | 'remoteTotal' | 'remoteUnread' | 'remoteExists'>, local: { total: number; unread: number }): string {
  const server = folder.remoteTotal === null ? l10n.t('not known yet') : l10n.t('{0} messages, {1} unread', folder.remoteTotal, folder.remoteUnread ?? 0);
  const lines = [folder.path, l10n.t('Local: {0} messages, {1} unread', local.total, local.unread), l10n.t('Server: {0}', server)];
  if (!folder.selected) lines.push(l10n.t('Not selected for sync: use Select Folders for Sync to fill it.'));
  if (!folder.remoteExists) lines.push(l10n.t('This folder no longer exists on the server.'));
  return lines.join('\n');
}

const ROLE_ORDER: Array<FolderRole | null> = ['inbox', 'drafts', 'sent', 'archive', 'all', 'flagged', 'important', 'junk', 'trash'];

/** Inbox, Drafts, Sent, … first, then the rest by path, like every mail client. */
export function compareFolders(a: Pick<FolderRow, 'role' | 'path'>, b: Pick<FolderRow, 'role' | 'path'>): number {
  const ra = a.role ? ROLE_ORDER.indexOf(a.role) : -1;
  const rb = b.role ? ROLE_ORDER.indexOf(b.role) : -1;
  const ka = ra < 0 ? ROLE_ORDER.length : ra;
  const kb = rb < 0 ? ROLE_ORDER.length : rb;
  return ka - kb || a.path.localeCompare(b.path);
}

/**
 * The folder's name as people know it: IMAP calls the inbox "INBOX" (RFC 3501 fixes that name),
 * every mail client shows "Inbox".
 */
export function folderLabel(f: Pick<FolderRow, 'path' | 'name'>): string {
  if (f.path.toUpperCase() === 'INBOX') return l10n.t('Inbox');
  return f.name || f.path;
}

export function accountLabel(a: Pick<AccountRow, 'name' | 'email'>): string {
  return a.name?.trim() || a.email;
}

export function accountStateText(a: Pick<AccountRow, 'state' | 'stateReason'>): string {
  switch (a.state) {
    case 'connected':
      return l10n.t('connected');
    case 'disconnected':
      return a.stateReason ? l10n.t('disconnected: {0}', a.stateReason) : l10n.t('disconnected');
    case 'reauth':
      return a.stateReason ? l10n.t('re-authorization required: {0}', a.stateReason) : l10n.t('re-authorization required');
    default:
      return l10n.t('not connected yet');
  }
}

/** Short state for the tree row; the full reason (with the fix) is in the tooltip. */
export function accountStateShort(a: Pick<AccountRow, 'state' | 'stateCode'>, title: (code: string) => string | undefined): string {
  const why = a.stateCode ? title(a.stateCode) : undefined;
  if (a.state === 'disconnected') return why ? l10n.t('disconnected: {0}', why) : l10n.t('disconnected');
  if (a.state === 'reauth') return l10n.t('re-authorization required');
  return a.state === 'connected' ? l10n.t('connected') : l10n.t('not connected yet');
}

const KIND_ORDER = ['sync', 'fill', 'backfill', 'bodies', 'tasks', 'maintenance'];

/** Jobs in folder order (Inbox first), each folder's sync before its backfill; account-wide jobs last. */
export function compareJobs(
  a: { kind: string; folder?: Pick<FolderRow, 'role' | 'path'> },
  b: { kind: string; folder?: Pick<FolderRow, 'role' | 'path'> },
): number {
  if (!!a.folder !== !!b.folder) return a.folder ? -1 : 1;
  return (a.folder && b.folder ? compareFolders(a.folder, b.folder) : 0) || KIND_ORDER.indexOf(a.kind) - KIND_ORDER.indexOf(b.kind);
}

/** "Inbox · sync", or "Account · maintenance" for account-wide jobs. */
export function jobLabel(job: Pick<JobRow, 'kind'>, folderName: string | undefined): string {
  return `${folderName ?? l10n.t('Account')} · ${job.kind}`;
}

/** "ok · last run 2 min ago · next in 1 min"; a running job shows its progress instead. */
export function jobDescription(job: Pick<JobRow, 'status' | 'lastRun' | 'nextRun' | 'progress'>, now = Date.now()): string {
  const parts: string[] = [];
  // A bodies job says how far it got whatever its state: "done (bodies: 2,000 of 2,000, 47.0 MB)".
  const bodies = bodiesProgressText(job.progress, { inline: true });
  if (bodies) {
    parts.push(`${job.status} (${bodies})`);
  } else if (job.status === 'running') {
    const p = job.progress as { fetched?: number; total?: number; phase?: string } | null;
    let s = 'running';
    if (p?.phase) s += ` (${p.phase})`;
    if (typeof p?.fetched === 'number') s += typeof p.total === 'number' ? ` ${p.fetched}/${p.total}` : ` ${p.fetched}`;
    parts.push(s);
  } else {
    parts.push(job.status);
  }
  parts.push(job.lastRun ? l10n.t('last run {0}', ago(job.lastRun, now)) : l10n.t('never run'));
  if (job.nextRun && job.status !== 'running' && job.status !== 'paused' && job.status !== 'done') parts.push(l10n.t('next {0}', until(job.nextRun, now)));
  return parts.join(' · ');
}

/** The status-bar text: a disconnected account outranks syncing, which the user cannot act on. */
export function statusText(syncingFolders: number, troubled: number): { text: string; kind: 'syncing' | 'error' | 'ok' } {
  if (troubled) return { text: troubled === 1 ? l10n.t('$(error) MailDesk: 1 account disconnected') : l10n.t('$(error) MailDesk: {0} accounts disconnected', troubled), kind: 'error' };
  if (syncingFolders) return { text: syncingFolders === 1 ? l10n.t('$(sync~spin) MailDesk: syncing 1 folder') : l10n.t('$(sync~spin) MailDesk: syncing {0} folders', syncingFolders), kind: 'syncing' };
  return { text: '$(check) MailDesk', kind: 'ok' };
}

/** Account ids are used in file and secret names: keep them to safe characters and unique. */
export function accountIdFor(email: string, taken: Iterable<string>): string {
  const base = email.trim().toLowerCase().replace(/@/g, '-at-').replace(/[^a-z0-9._-]+/g, '-').replace(/^[-.]+|[-.]+$/g, '') || 'account';
  const used = new Set(taken);
  let id = base;
  for (let n = 2; used.has(id); n++) id = `${base}-${n}`;
  return id;
}

export type SecurityChoice = 'tls' | 'starttls' | 'none';

export function defaultPort(server: 'imap' | 'smtp', security: SecurityChoice): number {
  if (server === 'imap') return security === 'tls' ? 993 : 143;
  return security === 'tls' ? 465 : security === 'starttls' ? 587 : 25;
}

/** One line per step of a server test: "✓ login  120 ms  logged in as ann". */
export function verifyReportLines(report: Pick<VerifyReport, 'steps' | 'ok' | 'error'>): string[] {
  const lines = report.steps.map((s) => `${s.ok ? '✓' : '✗'} ${s.name}  ${Math.round(s.ms)} ms  ${s.detail}`.trimEnd());
  if (!report.ok && report.error) lines.push('', report.error.describe());
  return lines;
}

/** Whether entering the password again is the fix for this error code. */
export function needsPassword(code: string | null | undefined): boolean {
  return code === 'auth.failed' || code === 'config.missingPassword';
}
