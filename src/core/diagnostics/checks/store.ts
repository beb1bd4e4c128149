/**
 * Installation checks: the local store and the disk under it. They run once per Troubleshoot
 * run, before the accounts, and work without a store: when the data folder's store cannot be
 * opened, Troubleshoot runs on an in-memory stand-in and these checks say why and what to do.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describeError } from '../../errors';
import { LOCAL_ONLY_DATA, mountOf, RECOVERED_SETTING, type StoreRecovery } from '../../store/recovery';
import type { InstallationCheck } from '../check';

function iso(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');
}

function mb(bytes: number): string {
  return `${(bytes / 1048576).toFixed(1)} MB`;
}

const SHOW_LOG = { title: 'Show Log', command: 'maildesk.showLog' };

function rememberedRecovery(ctx: { store: { recovered?: StoreRecovery; getSetting(k: string): string | undefined } }): StoreRecovery | undefined {
  if (ctx.store.recovered) return ctx.store.recovered;
  try {
    const raw = ctx.store.getSetting(RECOVERED_SETTING);
    return raw ? (JSON.parse(raw) as StoreRecovery) : undefined;
  } catch {
    return undefined;
  }
}

export const storeHealth: InstallationCheck = {
  id: 'store.health',
  title: 'Local mail store',
  section: 'When to contact support',
  async run(ctx) {
    const { store } = ctx;
    if (ctx.storeProblem) {
      const e = ctx.storeProblem;
      return [
        {
          status: 'fail',
          detail: `the mail store in ${ctx.dataDir ?? '(memory)'} could not be opened: ${e.message}; Troubleshoot ran without it (accounts from the store and sync history are not shown)`,
          remedy: `${describeError(e.code).remedy}. Then run Troubleshoot again.`,
          action: SHOW_LOG,
        },
      ];
    }
    if (store.saveFailure) {
      const f = store.saveFailure;
      return [
        {
          status: 'fail',
          detail: `saving the mail store fails since ${iso(f.at)}: ${f.error.message}. Changes since the last save${store.lastSave ? ` (${iso(store.lastSave.at)})` : ''} are only in memory`,
          remedy: `${describeError('store.saveFailed').remedy}. Keep MailDesk open until a save succeeds: closing it now loses those changes.`,
          action: SHOW_LOG,
        },
      ];
    }
    const rec = rememberedRecovery(ctx);
    if (rec && fs.existsSync(rec.movedTo)) {
      return [
        {
          status: 'warn',
          detail: `on ${iso(rec.at)} the mail store could not be read (${rec.reason}); it was moved aside to ${rec.movedTo} (${mb(rec.bytes)}) and a new store was started, which syncs mail again from the server`,
          remedy: `Mail on the server comes back by itself. What lived only in the old file is not in the new one: ${LOCAL_ONLY_DATA}. Add accounts again where they are missing (MailDesk: Add IMAP Account), and send the moved file to support if you need any of that back; delete it once you do not.`,
          action: { title: 'Add IMAP Account', command: 'maildesk.addImapAccount' },
        },
      ];
    }
    const file = store.path;
    if (!file) return [{ status: 'pass', detail: `in-memory store (no data folder), schema ${store.schemaVersion}` }];
    const saved = store.lastSave ? `last saved ${iso(store.lastSave.at)} (${mb(store.lastSave.bytes)} in ${Math.round(store.lastSave.ms)} ms)` : 'not saved by this process yet';
    return [{ status: 'pass', detail: `${file} opened, schema ${store.schemaVersion}, ${saved}` }];
  },
};

/** Room a save needs: the store is written whole to a temporary file beside it, then renamed. */
function storeBytes(file: string | undefined): number {
  try {
    return file ? fs.statSync(file).size : 0;
  } catch {
    return 0;
  }
}

export const diskSpace: InstallationCheck = {
  id: 'disk.space',
  title: 'Free space for the mail store',
  section: 'When to contact support',
  async run(ctx) {
    const dir = ctx.dataDir ?? (ctx.store.path ? path.dirname(ctx.store.path) : undefined);
    if (!dir) return [{ status: 'skip', detail: 'no data folder: the store is kept in memory' }];
    let free: number;
    try {
      const st = fs.statfsSync(fs.existsSync(dir) ? dir : path.dirname(dir));
      free = st.bavail * st.bsize;
    } catch (e) {
      return [{ status: 'warn', detail: `the free space of ${dir} could not be read: ${(e as Error).message}`, remedy: `Check that ${dir} exists and is readable for this user.`, action: SHOW_LOG }];
    }
    const size = storeBytes(ctx.store.path);
    const need = size + 1048576;
    const mount = mountOf(dir);
    const where = mount === dir ? dir : `${mount} (the disk of ${dir})`;
    if (free < need) {
      return [
        {
          status: 'fail',
          detail: `${mb(free)} free on ${where}, but a save of the ${mb(size)} mail store needs ${mb(need)}: saves fail and new mail is kept only in memory`,
          remedy: `Free space on ${where}: at least ${mb(need - free)} more. MailDesk saves again with the next change.`,
          action: SHOW_LOG,
        },
      ];
    }
    if (free < Math.max(3 * size, 50 * 1048576)) {
      return [
        {
          status: 'warn',
          detail: `only ${mb(free)} free on ${where} for a ${mb(size)} mail store: a few more days of mail can fill it`,
          remedy: `Free space on ${where}: a save needs room for a second copy of the store while it writes.`,
        },
      ];
    }
    return [{ status: 'pass', detail: `${mb(free)} free on ${where}; the mail store is ${mb(size)}` }];
  },
};
