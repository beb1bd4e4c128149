/**
 * Installation checks: the local store and the disk under it. They run once per Troubleshoot
 * run, before the accounts, and work without a store: when the data folder's store cannot be
 * opened, Troubleshoot runs on an in-memory stand-in and these checks say why and what to do.
 */
import * as l10n from '@vscode/l10n';
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

const showLog = () => ({ title: l10n.t('Show Log'), command: 'maildesk.showLog' });

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
  get title() {
    return l10n.t('Local mail store');
  },
  section: 'When to contact support',
  async run(ctx) {
    const { store } = ctx;
    if (ctx.storeProblem) {
      const e = ctx.storeProblem;
      return [
        {
          status: 'fail',
          detail: l10n.t('the mail store in {0} could not be opened: {1}; Troubleshoot ran without it (accounts from the store and sync history are not shown)', ctx.dataDir ?? '(memory)', e.message),
          remedy: l10n.t('{0}. Then run Troubleshoot again.', describeError(e.code).remedy),
          action: showLog(),
        },
      ];
    }
    if (store.saveFailure) {
      const f = store.saveFailure;
      return [
        {
          status: 'fail',
          detail: l10n.t('writing to the mail store fails since {0}: {1}. What failed to be written was not stored (mail is fetched again from the server; a draft stays in its editor)', iso(f.at), f.error.message),
          remedy: l10n.t('{0}. MailDesk writes again with the next change.', describeError('store.saveFailed').remedy),
          action: showLog(),
        },
      ];
    }
    const rec = rememberedRecovery(ctx);
    if (rec && fs.existsSync(rec.movedTo)) {
      return [
        {
          status: 'warn',
          detail: l10n.t('on {0} the mail store could not be read ({1}); it was moved aside to {2} ({3}) and a new store was started, which syncs mail again from the server', iso(rec.at), rec.reason, rec.movedTo, mb(rec.bytes)),
          remedy: l10n.t('Mail on the server comes back by itself. What lived only in the old file is not in the new one: {0}. Add accounts again where they are missing (MailDesk: Add IMAP Account), and send the moved file to support if you need any of that back; delete it once you do not.', LOCAL_ONLY_DATA),
          action: { title: l10n.t('Add IMAP Account'), command: 'maildesk.addImapAccount' },
        },
      ];
    }
    const file = store.path;
    if (!file) return [{ status: 'pass', detail: l10n.t('in-memory store (no data folder), schema {0}', store.schemaVersion) }];
    const written = store.lastCommitAt ? l10n.t('last change written {0}', iso(store.lastCommitAt)) : l10n.t('nothing written by this process yet');
    return [{ status: 'pass', detail: l10n.t('{0} opened, schema {1}, {2} on disk, {3}', file, store.schemaVersion, mb(storeBytes(file)), written) }];
  },
};

/** The store's size on disk: the file and its write-ahead log (commits not folded into the file yet). */
function storeBytes(file: string | undefined): number {
  if (!file) return 0;
  let n = 0;
  for (const f of [file, `${file}-wal`]) {
    try {
      n += fs.statSync(f).size;
    } catch {
      // no log (closed cleanly), or no file yet
    }
  }
  return n;
}

export const diskSpace: InstallationCheck = {
  id: 'disk.space',
  get title() {
    return l10n.t('Free space for the mail store');
  },
  section: 'When to contact support',
  async run(ctx) {
    const dir = ctx.dataDir ?? (ctx.store.path ? path.dirname(ctx.store.path) : undefined);
    if (!dir) return [{ status: 'skip', detail: l10n.t('no data folder: the store is kept in memory') }];
    let free: number;
    try {
      const st = fs.statfsSync(fs.existsSync(dir) ? dir : path.dirname(dir));
      free = st.bavail * st.bsize;
    } catch (e) {
      return [{ status: 'warn', detail: l10n.t('the free space of {0} could not be read: {1}', dir, (e as Error).message), remedy: l10n.t('Check that {0} exists and is readable for this user.', dir), action: showLog() }];
    }
    const size = storeBytes(ctx.store.path);
    // Writing needs room for the write-ahead log (cut back to 16 MB) and the pages it adds.
    const need = 20 * 1048576;
    const mount = mountOf(dir);
    const where = mount === dir ? dir : `${mount} (the disk of ${dir})`;
    if (free < need) {
      return [
        {
          status: 'fail',
          detail: l10n.t('{0} free on {1}, but writing to the {2} mail store needs {3}: new mail and changes cannot be stored', mb(free), where, mb(size), mb(need)),
          remedy: l10n.t('Free space on {0}: at least {1} more. MailDesk writes again with the next change.', where, mb(need - free)),
          action: showLog(),
        },
      ];
    }
    if (free < Math.max(size, 100 * 1048576)) {
      return [
        {
          status: 'warn',
          detail: l10n.t('only {0} free on {1} for a {2} mail store: a few more days of mail can fill it', mb(free), where, mb(size)),
          remedy: l10n.t('Free space on {0}: the store grows with every message and its body stored for offline reading.', where),
        },
      ];
    }
    return [{ status: 'pass', detail: l10n.t('{0} free on {1}; the mail store is {2}', mb(free), where, mb(size)) }];
  },
};
