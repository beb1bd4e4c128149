/**
 * "Why a sent email can seem to disappear": a sent message shows in Sent at once as a local
 * entry, and the next sync replaces it with the provider's copy. This check tells the user
 * that the swap they see is normal (and how many entries are waiting for it), and warns when
 * the swap left both copies showing. Where the copy never arrives is sent.mapping's part.
 */
import * as l10n from '@vscode/l10n';
import { accountTarget, type Check } from '../check';

const SWAP_WINDOW_MS = 3_600_000;

export const sentSwap: Check = {
  id: 'sent.swap',
  get title() {
    return l10n.t('Sent: local entries replaced by the provider\'s copy');
  },
  section: 'Why a sent email can seem to "disappear"',
  async run(ctx) {
    const { store, account, now } = ctx;
    const sent = store.folderByRole(account.id, 'sent');
    if (!sent) return [{ status: 'skip', detail: l10n.t('no Sent folder is known for this account yet (see sent.mapping)') }];
    // Both copies visible: the local entry and the provider's copy with the same Message-ID.
    const both = store.diagnostics.localEntriesBesideServerCopy(sent.id);
    if (both) {
      return [
        {
          status: 'warn',
          detail: l10n.t('{0} sent message(s) show twice in "{1}": the local entry and the provider\'s copy were not swapped', both, sent.path),
          remedy: l10n.t('Refresh the account: the next sync replaces the local entry with the provider\'s copy. If both stay, send this report to support (no mail is lost: the provider keeps its copy).'),
          action: { title: l10n.t('Refresh'), command: 'maildesk.refresh', args: [accountTarget(account.id)] },
        },
      ];
    }
    const waiting = store.diagnostics.localEntriesSince(sent.id, now - SWAP_WINDOW_MS);
    const how = 'a sent message shows in Sent at once as a local entry, and the next sync replaces it with the provider\'s copy, so it may seem to vanish and reappear: that brief swap is normal and avoids duplicates';
    return [{ status: 'pass', detail: waiting ? `${waiting} message(s) sent in the last hour are local entries in "${sent.path}" waiting for the provider's copy; ${how}` : `no sent message is waiting for its provider copy in "${sent.path}"; ${how}` }];
  },
};
