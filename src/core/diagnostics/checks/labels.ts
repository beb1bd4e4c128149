/**
 * "Gmail uses labels, not folders": one message under several labels shows in several places,
 * which is Gmail's way and not duplication. This check says how many messages that is (so the
 * user reads it as normal), and warns only when a label really holds the same mail twice.
 */
import * as l10n from '@vscode/l10n';
import { ALL_MAIL_PATH } from '../../providers/gmail/gmailProvider';
import { accountTarget, type Check } from '../check';

export const gmailLabels: Check = {
  id: 'gmail.labels',
  get title() {
    return l10n.t('Gmail labels (one message in several places)');
  },
  section: 'Gmail uses labels, not folders',
  async run(ctx) {
    const { store, account } = ctx;
    if (account.config.provider !== 'gmail') return [{ status: 'skip', detail: l10n.t('{0} folders hold each message once: labels are a Gmail feature', account.config.provider === 'imap' ? 'IMAP' : 'Outlook') }];
    const selected = store.listFolders(account.id).filter((f) => f.selected && f.path !== ALL_MAIL_PATH);
    if (!selected.length) return [{ status: 'skip', detail: l10n.t('no label is selected for sync yet') }];
    const ids = selected.map((f) => f.id);
    const multi = store.diagnostics.inSeveralFolders(ids);
    const example = multi ? store.diagnostics.foldersOfOneShared(ids) : [];
    // The same mail stored twice in one label is a real duplicate, not a label.
    const twice = store.diagnostics.duplicatesPerFolder(ids);
    if (twice.length) {
      return [
        {
          status: 'warn',
          detail: `the same message is stored twice in one label: ${twice.map((t) => `"${t.path}" (${t.n} message(s))`).join(', ')}; this is not a Gmail label showing mail in two places`,
          remedy: l10n.t('Refresh the account; if the copies stay, send this report to support (the mail on Gmail is not affected).'),
          action: { title: l10n.t('Refresh'), command: 'maildesk.refresh', args: [accountTarget(account.id)] },
        },
      ];
    }
    const explain = multi
      ? `${multi} message(s) carry several of the selected labels and so show in each of them (e.g. one in ${example.map((p) => `"${p}"`).join(' and ')}): that is normal Gmail behaviour, one message with several labels, not duplication`
      : 'no message carries more than one of the selected labels';
    return [{ status: 'pass', detail: l10n.t('{0}; All Mail shows every message once more by design', explain) }];
  },
};
