/**
 * Triage: archive, delete, move, junk / not junk, read / unread, flag, mark all read, and
 * Undo for each. Every action is the store's local step at once (through MailDesk's
 * setFlags / moveMessage / deleteMessage) and the server's step later by the tasks job;
 * its inverse is kept as an undo record, applied the same way when the user undoes it.
 * Undo records live in the store (store.undo), so a restarted engine or a reloaded window
 * can still undo the last actions: the last UNDO_KEEP of the past UNDO_TTL_MS.
 *
 * Arguments and results are plain JSON (ids and paths, never rows), so the same calls
 * serve the extension, the CLI and an engine process speaking JSON-RPC.
 */
import * as l10n from '@vscode/l10n';
import { MailError } from '../errors';
import type { FolderRole, FolderRow, MailStore, MessageRow } from '../store/store';
import { archiveSource } from './gmailLabels';

/** One message as the list shows it: its id and the folder it is listed in. */
export interface MessageKey {
  messageId: number;
  folderId: number;
}

export type TriageAction =
  | { kind: 'archive' }
  /** To Trash; `permanent` (or a message already in Trash, or no Trash) removes it for good. */
  | { kind: 'delete'; permanent?: boolean }
  | { kind: 'move'; toPath: string }
  | { kind: 'junk' }
  | { kind: 'notJunk' }
  | { kind: 'read' }
  | { kind: 'unread' }
  | { kind: 'flag' }
  | { kind: 'unflag' };

export type TriageKind = TriageAction['kind'];

export interface TriageOptions {
  /** Each key stands for its whole conversation in that folder (the list shows one row per thread). */
  wholeThread?: boolean;
}

export interface TriageResult {
  /** False only when nothing was done because a permanent delete needs `permanent: true` first. */
  ok: boolean;
  kind: TriageKind;
  /** How many messages changed. */
  count: number;
  /** For a notification: "Archived 3 messages". */
  label: string;
  /** Present when the action can be undone (`undo(undoId)`). */
  undoId?: string;
  /** Where moved messages are now (archive, delete to Trash, move, junk, not junk). */
  moved: Array<{ messageId: number; fromFolderId: number; toFolderId: number }>;
  /** Set with ok: false: why the caller must confirm (a permanent delete). */
  confirm?: string;
}

export interface UndoResult {
  ok: boolean;
  /** "Undid: Archived 3 messages", or why nothing was undone. */
  label: string;
  /** Messages put back. */
  count: number;
  /** Messages that had changed again since (moved on by a sync, deleted) and were left alone. */
  skipped: number;
}

/** What triage needs of the core (MailDesk provides it). */
export interface TriageCore {
  readonly store: MailStore;
  setFlags(messageId: number, folderId: number, add: string[], remove: string[]): void;
  moveMessage(messageId: number, fromFolderId: number, toPath: string): void;
  deleteMessage(messageId: number, folderId: number, opts?: { permanent?: boolean }): void;
}

type UndoStep =
  | { kind: 'move'; messageId: number; nowFolderId: number; backToPath: string }
  | { kind: 'flags'; messageId: number; add: string[]; remove: string[] };

/** Undo records kept (the oldest go first); Undo is for the last few actions, not history. */
export const UNDO_KEEP = 50;
/** How long an action can be undone: long enough for a restart or a reload, short of yesterday's mail. */
export const UNDO_TTL_MS = 24 * 60 * 60_000;
/** Recent move targets per account, offered first in the move quick pick. */
const MAX_RECENT = 8;

const FLAG_OF: Partial<Record<TriageKind, { flag: string; set: boolean }>> = {
  read: { flag: '\\Seen', set: true },
  unread: { flag: '\\Seen', set: false },
  flag: { flag: '\\Flagged', set: true },
  unflag: { flag: '\\Flagged', set: false },
};

/**
 * Folder names that stand for a role on servers without SPECIAL-USE (a plain "Archive" or
 * "Trash" folder), so Archive and Delete work there as a user expects.
 */
/** Names a folder has for a role when the server marks none (no SPECIAL-USE). */
export const ROLE_NAMES: Partial<Record<FolderRole, RegExp>> = {
  archive: /^archives?$/i,
  trash: /^(trash|deleted items|deleted messages|bin)$/i,
  junk: /^(junk|spam|junk e-?mail|bulk mail)$/i,
};

/** "Archived 2 messages": one whole sentence per action and number, so each language can say it its way. */
const DONE: Record<TriageKind, (n: number) => string> = {
  archive: (n) => (n === 1 ? l10n.t('Archived 1 message') : l10n.t('Archived {0} messages', n)),
  delete: (n) => (n === 1 ? l10n.t('Moved to Trash 1 message') : l10n.t('Moved to Trash {0} messages', n)),
  move: (n) => (n === 1 ? l10n.t('Moved 1 message') : l10n.t('Moved {0} messages', n)),
  junk: (n) => (n === 1 ? l10n.t('Reported as spam 1 message') : l10n.t('Reported as spam {0} messages', n)),
  notJunk: (n) => (n === 1 ? l10n.t('Moved to Inbox (not spam) 1 message') : l10n.t('Moved to Inbox (not spam) {0} messages', n)),
  read: (n) => (n === 1 ? l10n.t('Marked as read 1 message') : l10n.t('Marked as read {0} messages', n)),
  unread: (n) => (n === 1 ? l10n.t('Marked as unread 1 message') : l10n.t('Marked as unread {0} messages', n)),
  flag: (n) => (n === 1 ? l10n.t('Flagged 1 message') : l10n.t('Flagged {0} messages', n)),
  unflag: (n) => (n === 1 ? l10n.t('Removed the flag from 1 message') : l10n.t('Removed the flag from {0} messages', n)),
};

/** `u12` for undo record 12: the id the caller keeps is opaque text. */
function undoIdOf(n: number): string {
  return `u${n}`;
}

function undoNumber(undoId: string): number | undefined {
  const m = /^u(\d+)$/.exec(undoId);
  return m ? Number(m[1]) : undefined;
}

function isUndoStep(v: unknown): v is UndoStep {
  if (!v || typeof v !== 'object') return false;
  const s = v as Record<string, unknown>;
  if (typeof s.messageId !== 'number') return false;
  if (s.kind === 'move') return typeof s.nowFolderId === 'number' && typeof s.backToPath === 'string';
  return s.kind === 'flags' && Array.isArray(s.add) && Array.isArray(s.remove);
}

export class TriageService {
  private readonly recent = new Map<string, string[]>();
  private readonly now: () => number;

  constructor(
    private readonly core: TriageCore,
    opts: { now?: () => number } = {},
  ) {
    this.now = opts.now ?? Date.now;
  }

  private get store(): MailStore {
    return this.core.store;
  }

  /** Applies an action to messages (or their conversations), locally at once. */
  apply(keys: MessageKey[], action: TriageAction, opts: TriageOptions = {}): TriageResult {
    // One commit for the action and its undo record: a crash leaves both or neither.
    return this.store.tx(() => this.applyNow(keys, action, opts));
  }

  private applyNow(keys: MessageKey[], action: TriageAction, opts: TriageOptions): TriageResult {
    const targets = this.expand(keys, opts.wholeThread === true);
    const flag = FLAG_OF[action.kind];
    if (flag) return this.applyFlag(targets, action.kind, flag.flag, flag.set);
    if (action.kind === 'delete') return this.applyDelete(targets, action.permanent === true);
    const steps: UndoStep[] = [];
    const moved: TriageResult['moved'] = [];
    const perAccount = this.byAccount(targets);
    for (const [accountId, rows] of perAccount) {
      const to = this.targetFolder(accountId, action);
      for (const { m, folder: listedIn } of rows) {
        // Gmail's Archive takes the message out of Inbox whatever folder it is used in.
        const folder = action.kind === 'archive' ? archiveSource(this.store, m.id, listedIn) : listedIn;
        if (!folder || folder.id === to.id) continue;
        this.core.moveMessage(m.id, folder.id, to.path);
        moved.push({ messageId: m.id, fromFolderId: folder.id, toFolderId: to.id });
        steps.push({ kind: 'move', messageId: m.id, nowFolderId: to.id, backToPath: folder.path });
      }
      if (action.kind === 'move') this.remember(accountId, to.path);
    }
    return this.result(action.kind, steps, moved);
  }

  /** Marks every unread message of a folder read; undo marks exactly those unread again. */
  markAllRead(folderId: number): TriageResult {
    const folder = this.store.getFolderById(folderId);
    if (!folder) throw new MailError('folder.notFound', `folder ${folderId} is not in the store`);
    const unread = this.store.messages.unreadIdsIn(folderId);
    const targets = unread.map((id) => ({ m: this.store.getMessage(id, folderId)!, folder })).filter((t) => t.m);
    return this.store.tx(() => this.applyFlag(targets, 'read', '\\Seen', true));
  }

  /** Puts back what an action changed (the last one when no id is given). An undo is used once. */
  undo(undoId?: string): UndoResult {
    const since = this.now() - UNDO_TTL_MS;
    const n = undoId === undefined ? undefined : undoNumber(undoId);
    const rec = n === undefined ? (undoId === undefined ? this.store.undo.latest(since) : undefined) : this.store.undo.get(n, since);
    if (!rec) {
      return {
        ok: false,
        label:
          undoId === undefined
            ? l10n.t('Nothing to undo')
            : l10n.t('Nothing to undo: that action was undone already or is too old (Undo keeps the last 50 actions of the past 24 hours)'),
        count: 0,
        skipped: 0,
      };
    }
    let count = 0;
    let skipped = 0;
    // Used once: the record goes in the same commit as the steps that put things back.
    this.store.tx(() => {
      this.store.undo.remove(rec.id);
      ({ count, skipped } = this.applyUndo(rec.steps));
    });
    return { ok: count > 0, label: l10n.t('Undid: {0}', rec.label), count, skipped };
  }

  private applyUndo(steps: unknown[]): { count: number; skipped: number } {
    let count = 0;
    let skipped = 0;
    // Newest step first, so a message touched twice in one record ends where it started.
    for (const s of [...steps].reverse()) {
      if (!isUndoStep(s)) {
        skipped++;
        continue;
      }
      if (s.kind === 'move') {
        if (!this.store.getMessage(s.messageId, s.nowFolderId)) {
          skipped++;
          continue;
        }
        this.core.moveMessage(s.messageId, s.nowFolderId, s.backToPath);
      } else {
        const m = this.store.getMessage(s.messageId);
        if (!m || m.folderId === null) {
          skipped++;
          continue;
        }
        this.core.setFlags(m.id, m.folderId, s.add, s.remove);
      }
      count++;
    }
    return { count, skipped };
  }

  /** The actions that can still be undone, newest first. */
  undoable(): Array<{ undoId: string; label: string; at: number }> {
    return this.store.undo.list(this.now() - UNDO_TTL_MS, UNDO_KEEP).map((u) => ({ undoId: undoIdOf(u.id), label: u.label, at: u.createdAt }));
  }

  /** Folders one can move messages of this account to: recent targets first, then the rest by path. */
  moveTargets(accountId: string, excludeFolderId?: number): Array<{ folderId: number; path: string; name: string; role: FolderRole | null; recent: boolean }> {
    const recent = this.recent.get(accountId) ?? [];
    const folders = this.store.listFolders(accountId).filter((f) => f.id !== excludeFolderId && f.remoteExists !== false);
    const rank = (f: FolderRow): number => {
      const r = recent.indexOf(f.path);
      return r < 0 ? recent.length : r;
    };
    return folders
      .sort((a, b) => rank(a) - rank(b) || a.path.localeCompare(b.path))
      .map((f) => ({ folderId: f.id, path: f.path, name: f.name, role: f.role, recent: recent.includes(f.path) }));
  }

  // ---- the actions -----------------------------------------------------------------

  private applyFlag(targets: Array<{ m: MessageRow; folder: FolderRow }>, kind: TriageKind, flag: string, set: boolean): TriageResult {
    const steps: UndoStep[] = [];
    const lower = flag.toLowerCase();
    for (const { m, folder } of targets) {
      const has = m.flags.some((f) => f.toLowerCase() === lower);
      if (has === set) continue;
      this.core.setFlags(m.id, folder.id, set ? [flag] : [], set ? [] : [flag]);
      steps.push({ kind: 'flags', messageId: m.id, add: set ? [] : [flag], remove: set ? [flag] : [] });
    }
    return this.result(kind, steps, []);
  }

  /** The folder with this role, or (no SPECIAL-USE on the server) the one named for it. */
  private roleFolder(accountId: string, role: FolderRole): FolderRow | undefined {
    const byRole = this.store.folderByRole(accountId, role);
    if (byRole) return byRole;
    const names = ROLE_NAMES[role];
    return names ? this.store.listFolders(accountId).find((f) => f.role === null && f.remoteExists && names.test(f.path)) : undefined;
  }

  private applyDelete(targets: Array<{ m: MessageRow; folder: FolderRow }>, permanent: boolean): TriageResult {
    const forGood = targets.filter(({ folder }) => {
      const trash = this.roleFolder(folder.accountId, 'trash');
      return permanent || !trash || trash.id === folder.id;
    });
    if (forGood.length && !permanent) {
      const n = forGood.length;
      return {
        ok: false,
        kind: 'delete',
        count: 0,
        label: l10n.t('Nothing deleted'),
        moved: [],
        confirm:
          n === 1
            ? l10n.t('This message is in Trash or in an account without Trash: deleting removes it for good, on the server too.')
            : l10n.t('These {0} messages are in Trash or in an account without Trash: deleting removes them for good, on the server too.', n),
      };
    }
    const steps: UndoStep[] = [];
    const moved: TriageResult['moved'] = [];
    for (const { m, folder } of targets) {
      if (permanent) {
        this.core.deleteMessage(m.id, folder.id, { permanent: true });
        continue;
      }
      const trash = this.roleFolder(folder.accountId, 'trash')!;
      this.core.moveMessage(m.id, folder.id, trash.path);
      moved.push({ messageId: m.id, fromFolderId: folder.id, toFolderId: trash.id });
      steps.push({ kind: 'move', messageId: m.id, nowFolderId: trash.id, backToPath: folder.path });
    }
    if (permanent) return { ok: true, kind: 'delete', count: targets.length, label: targets.length === 1 ? l10n.t('Deleted 1 message for good') : l10n.t('Deleted {0} messages for good', targets.length), moved: [] };
    return this.result('delete', steps, moved);
  }

  private targetFolder(accountId: string, action: TriageAction): FolderRow {
    if (action.kind === 'move') {
      const f = this.store.getFolder(accountId, action.toPath);
      if (!f) throw new MailError('folder.notFound', `account "${accountId}" has no folder "${action.toPath}"; pick one of its folders (Select Folders for Sync lists them)`);
      return f;
    }
    const role: FolderRole = action.kind === 'archive' ? 'archive' : action.kind === 'junk' ? 'junk' : 'inbox';
    // Gmail has no Archive folder: archiving there is leaving the Inbox for All Mail.
    const f = this.roleFolder(accountId, role) ?? (role === 'archive' ? this.store.folderByRole(accountId, 'all') : undefined);
    if (!f) {
      const name = role === 'archive' ? 'Archive' : role === 'junk' ? 'Junk (spam)' : 'Inbox';
      throw new MailError('folder.notFound', `account "${accountId}" has no ${name} folder; create one named "${name.split(' ')[0]}" on the server (or use Move to pick a folder)`, { retryable: false });
    }
    return f;
  }

  // ---- helpers -----------------------------------------------------------------------

  private result(kind: TriageKind, steps: UndoStep[], moved: TriageResult['moved']): TriageResult {
    const count = steps.length;
    const label = DONE[kind](count);
    if (!count) return { ok: true, kind, count, label, moved };
    const now = this.now();
    let n = 0;
    this.store.tx(() => {
      n = this.store.undo.add(label, steps, now);
      this.store.undo.prune(UNDO_KEEP, now - UNDO_TTL_MS);
    });
    return { ok: true, kind, count, label, undoId: undoIdOf(n), moved };
  }

  private remember(accountId: string, path: string): void {
    const list = (this.recent.get(accountId) ?? []).filter((p) => p !== path);
    list.unshift(path);
    this.recent.set(accountId, list.slice(0, MAX_RECENT));
  }

  /** The rows behind the keys (and their conversations in the same folder), each once. */
  private expand(keys: MessageKey[], wholeThread: boolean): Array<{ m: MessageRow; folder: FolderRow }> {
    const out: Array<{ m: MessageRow; folder: FolderRow }> = [];
    const seen = new Set<string>();
    for (const k of keys) {
      const folder = this.store.getFolderById(k.folderId);
      if (!folder) throw new MailError('folder.notFound', `folder ${k.folderId} is not in the store`);
      const ids = wholeThread ? this.threadIdsIn(k.messageId, folder.id) : [k.messageId];
      for (const id of ids) {
        const key = `${id}:${folder.id}`;
        if (seen.has(key)) continue;
        const m = this.store.getMessage(id, folder.id);
        if (!m) {
          if (id === k.messageId) throw new MailError('folder.notFound', `message ${id} is no longer in ${folder.path} (moved or deleted); refresh the list`);
          continue;
        }
        seen.add(key);
        out.push({ m, folder });
      }
    }
    return out;
  }

  private threadIdsIn(messageId: number, folderId: number): number[] {
    const ids = this.store.messages.sameThreadIn(folderId, messageId);
    return ids.includes(messageId) ? ids : [messageId, ...ids];
  }

  private byAccount(targets: Array<{ m: MessageRow; folder: FolderRow }>): Map<string, Array<{ m: MessageRow; folder: FolderRow }>> {
    const out = new Map<string, Array<{ m: MessageRow; folder: FolderRow }>>();
    for (const t of targets) {
      const list = out.get(t.folder.accountId) ?? [];
      list.push(t);
      out.set(t.folder.accountId, list);
    }
    return out;
  }
}
