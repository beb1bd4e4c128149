/**
 * What happens when the store file cannot be trusted: a file that cannot be read (or is
 * empty: a save cut off before its first byte is not a new store) is moved aside as
 * `maildesk.db.damaged-<time>` and a fresh store starts, which syncs again from the server;
 * and a save that fails (disk full, folder not writable) becomes one MailError naming the
 * folder to free space on. Both are kept on the store so Troubleshoot can report them.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { MailError } from '../errors';

/** What lives only in the store, so it is not on any server to sync back. */
export const LOCAL_ONLY_DATA =
  'accounts added in VS Code, drafts and messages waiting to be sent, changes not yet applied on the server (flags, moves, deletions), local Sent entries, allowed senders, Workflow Bridge links and MailDesk settings kept in the store';

/** The store setting that remembers the last damaged store moved aside. */
export const RECOVERED_SETTING = 'store.recovered';

/** A damaged store that was moved aside when the store opened. */
export interface StoreRecovery {
  /** Where the damaged file is now. */
  movedTo: string;
  /** Why it could not be used: "empty (0 bytes)" or the reader's error. */
  reason: string;
  at: number;
  bytes: number;
}

/** The last save that failed, until a save succeeds. */
export interface SaveFailure {
  at: number;
  error: MailError;
}

/** `maildesk.db.damaged-2026-12-06T11-24-11Z`: sortable, and legal in every file system. */
export function damagedName(file: string, at: number): string {
  return `${file}.damaged-${new Date(at).toISOString().replace(/\.\d+Z$/, 'Z').replace(/:/g, '-')}`;
}

/** Moves the damaged file aside; throws store.corrupt naming the file when even that fails. */
export function moveAside(file: string, reason: string, bytes: number, now = Date.now()): StoreRecovery {
  const movedTo = damagedName(file, now);
  try {
    fs.renameSync(file, movedTo);
    // Its write-ahead log and journal belong to it: a new store beside them would read them as its own.
    for (const side of ['-wal', '-journal']) if (fs.existsSync(file + side)) fs.renameSync(file + side, movedTo + side);
  } catch (e) {
    throw new MailError('store.corrupt', `the mail store ${file} is damaged (${reason}) and could not be moved aside: ${(e as Error).message}`, { cause: e });
  }
  return { movedTo, reason, at: now, bytes };
}

/** The folder's mount point, for "free space on …" (the folder itself when it cannot be told). */
export function mountOf(dir: string): string {
  try {
    const mounts = fs
      .readFileSync('/proc/mounts', 'utf8')
      .split('\n')
      .map((l) => l.split(' ')[1]?.replace(/\\040/g, ' '))
      .filter((m): m is string => !!m);
    const real = fs.realpathSync(dir);
    const best = mounts.filter((m) => real === m || real.startsWith(m.endsWith('/') ? m : m + '/')).sort((a, b) => b.length - a.length)[0];
    return best ?? dir;
  } catch {
    return dir;
  }
}

/** One error for every way a save can fail, naming the folder and what to do there. */
export function saveError(e: unknown, file: string): MailError {
  if (e instanceof MailError) return e;
  const code = (e as NodeJS.ErrnoException)?.code;
  const dir = path.dirname(file);
  const text = e instanceof Error ? e.message : String(e);
  if (code === 'ENOSPC' || code === 'EDQUOT') {
    const mount = mountOf(dir);
    return new MailError('store.saveFailed', `the mail store could not be written in ${dir}: the disk is full (${code}); free space on ${mount === dir ? dir : `${mount} (the disk of ${dir})`}`, { cause: e, providerMessage: text });
  }
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
    return new MailError('store.saveFailed', `the mail store could not be written in ${dir}: the folder is not writable (${code}); make ${dir} writable for this user`, { cause: e, providerMessage: text });
  }
  return new MailError('store.saveFailed', `the mail store could not be written in ${dir}: ${text}`, { cause: e, providerMessage: text });
}

/** What the user is told once, when a damaged store was moved aside. */
export function recoveryNotice(r: StoreRecovery): string {
  return `the mail store could not be read (${r.reason}), so it was moved aside to ${r.movedTo} and a new one was started: mail on the server syncs again. Only what lived in that file alone is not in the new one (${LOCAL_ONLY_DATA}); keep the moved file for support`;
}
