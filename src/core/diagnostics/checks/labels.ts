/**
 * "Gmail uses labels, not folders": one message under several labels shows in several places,
 * which is Gmail's way and not duplication. This check says how many messages that is (so the
 * user reads it as normal), and warns only when a label really holds the same mail twice.
 */
import { ALL_MAIL_PATH } from '../../providers/gmail/gmailProvider';
import { accountTarget, type Check } from '../check';

export const gmailLabels: Check = {
  id: 'gmail.labels',
  title: 'Gmail labels (one message in several places)',
  section: 'Gmail uses labels, not folders',
  async run(ctx) {
    const { store, account } = ctx;
    if (account.config.provider !== 'gmail') return [{ status: 'skip', detail: `${account.config.provider === 'imap' ? 'IMAP' : 'Outlook'} folders hold each message once: labels are a Gmail feature` }];
    const selected = store.listFolders(account.id).filter((f) => f.selected && f.path !== ALL_MAIL_PATH);
    if (!selected.length) return [{ status: 'skip', detail: 'no label is selected for sync yet' }];
    const ids = selected.map((f) => f.id);
    const marks = ids.map(() => '?').join(',');
    const multi =
      store.get<{ n: number }>(
        `SELECT COUNT(*) AS n FROM (SELECT message_id FROM memberships WHERE folder_id IN (${marks}) AND missing_since IS NULL GROUP BY message_id HAVING COUNT(*) > 1)`,
        ids,
      )?.n ?? 0;
    const example = multi
      ? store.all<{ path: string }>(
          `SELECT f.path FROM memberships ms JOIN folders f ON f.id = ms.folder_id
           WHERE ms.message_id = (SELECT message_id FROM memberships WHERE folder_id IN (${marks}) AND missing_since IS NULL GROUP BY message_id HAVING COUNT(*) > 1 LIMIT 1)
             AND ms.folder_id IN (${marks}) ORDER BY f.path`,
          [...ids, ...ids],
        ).map((r) => r.path)
      : [];
    // The same mail stored twice in one label is a real duplicate, not a label.
    const twice = store.all<{ path: string; n: number }>(
      `SELECT f.path AS path, COUNT(*) AS n FROM (
         SELECT ms.folder_id, m.message_id FROM memberships ms JOIN messages m ON m.id = ms.message_id
         WHERE ms.folder_id IN (${marks}) AND ms.missing_since IS NULL AND m.message_id IS NOT NULL
         GROUP BY ms.folder_id, m.message_id HAVING COUNT(*) > 1) d JOIN folders f ON f.id = d.folder_id GROUP BY f.path`,
      ids,
    );
    if (twice.length) {
      return [
        {
          status: 'warn',
          detail: `the same message is stored twice in one label: ${twice.map((t) => `"${t.path}" (${t.n} message(s))`).join(', ')}; this is not a Gmail label showing mail in two places`,
          remedy: 'Refresh the account; if the copies stay, send this report to support (the mail on Gmail is not affected).',
          action: { title: 'Refresh', command: 'maildesk.refresh', args: [accountTarget(account.id)] },
        },
      ];
    }
    const explain = multi
      ? `${multi} message(s) carry several of the selected labels and so show in each of them (e.g. one in ${example.map((p) => `"${p}"`).join(' and ')}): that is normal Gmail behaviour, one message with several labels, not duplication`
      : 'no message carries more than one of the selected labels';
    return [{ status: 'pass', detail: `${explain}; All Mail shows every message once more by design` }];
  },
};
