/**
 * The engine's handlers for the window's trees, status bar, badge, alerts and commands (accounts, folders, jobs, Add/Edit Account, Gmail and Outlook sign-in) (src/shared/protocol/engineAreas/window.ts).
 */
import { clearRefusedGrant } from '../../core/auth/tokens';
import { clearSignInFailures, recordSignInFailure } from '../../core/auth/signInRecord';
import type { MailDesk } from '../../core/maildesk';
import type { InboxNews, WindowRequests } from '../../shared/protocol/engineAreas/window';
import type { Engine } from '../engine';
import type { HandlersFor } from '../handlers';
import { fromWireError } from '../wire';

export function windowHandlers(engine: Engine, core: MailDesk): HandlersFor<WindowRequests> {
  void engine;
  const store = core.store;
  return {
    'window/mailboxes': (p) => {
      const accounts = store.listAccounts();
      const folders = accounts.flatMap((a) =>
        store.listFolders(a.id).map((f) => {
          const c = p.counts ? store.localCounts(f.id) : undefined;
          return { ...f, local: c?.total ?? null, localUnread: c?.unread ?? null };
        }),
      );
      return { accounts, folders, jobs: store.listJobs() };
    },

    'window/inboxNews': (p) => {
      const seen = new Map(p.seen.map((s) => [s.folderId, s.newest]));
      let unread = 0;
      const inboxes: InboxNews[] = [];
      for (const a of store.listAccounts()) {
        const inbox = store.folderByRole(a.id, 'inbox');
        if (!inbox) continue;
        unread += store.localCounts(inbox.id).unread;
        const newest = store.newestMessageId(inbox.id);
        const before = seen.get(inbox.id);
        const arrived = before === undefined || newest <= before ? [] : store.unreadArrivedAfter(inbox.id, before).map((m) => ({ from: m.fromName || m.fromAddr, subject: m.subject || '(no subject)' }));
        inboxes.push({ folderId: inbox.id, newest, arrived });
      }
      return { unread, inboxes };
    },

    'window/signInResult': (p) => {
      if (p.error) recordSignInFailure(store, p.who, fromWireError(p.error));
      else clearSignInFailures(store, p.who);
      return null;
    },

    'window/signedIn': (p) => (clearRefusedGrant(p.accountId), null),
  };
}
