/**
 * The words the Mailboxes and Sync Jobs views and the status bar show. These run in
 * plain Node: src/extension/format.ts has no `vscode` import on purpose.
 */
import * as assert from 'node:assert/strict';
import { MailError } from '../../src/core/errors';
import { bodiesProgressText } from '../../src/core/sync/bodiesProgress';
import {
  accountIdFor,
  compareFolders,
  compareJobs,
  defaultPort,
  folderCountsTooltip,
  folderDescription,
  jobDescription,
  jobLabel,
  needsPassword,
  statusText,
  verifyReportLines,
} from '../../src/extension/format';
import { parseWebviewMessage } from '../../src/shared/protocol/messageList';

const NOW = Date.UTC(2025, 0, 10, 12, 0, 0);
const MIN = 60_000;

describe('extension wording', () => {
  it('a synced folder shows "3 unread · 120"; an unselected one says "not synced"', () => {
    assert.equal(folderDescription({ selected: true, remoteExists: true }, { total: 120, unread: 3 }), '3 unread · 120');
    assert.equal(folderDescription({ selected: true, remoteExists: true }, { total: 120, unread: 0 }), '120');
    assert.equal(folderDescription({ selected: false, remoteExists: true }, { total: 0, unread: 0 }), 'not synced');
  });

  it('the folder tooltip shows local and server counts side by side', () => {
    const t = folderCountsTooltip({ path: 'INBOX', selected: true, remoteExists: true, remoteTotal: 500, remoteUnread: 7 }, { total: 120, unread: 3 });
    assert.match(t, /Local: 120 messages, 3 unread/);
    assert.match(t, /Server: 500 messages, 7 unread/);
  });

  it('a job reads "Inbox · sync" with status, last and next run', () => {
    assert.equal(jobLabel({ kind: 'sync' }, 'Inbox'), 'Inbox · sync');
    assert.equal(jobLabel({ kind: 'maintenance' }, undefined), 'Account · maintenance');
    assert.equal(jobDescription({ status: 'ok', lastRun: NOW - 2 * MIN, nextRun: NOW + MIN, progress: null }, NOW), 'ok · last run 2 min ago · next in 1 min');
    assert.equal(jobDescription({ status: 'pending', lastRun: null, nextRun: NOW, progress: null }, NOW), 'pending · never run · next now');
    assert.equal(
      jobDescription({ status: 'running', lastRun: NOW - 5 * 1000, nextRun: NOW + MIN, progress: { fetched: 40, total: 120, phase: 'fill' } }, NOW),
      'running (fill) 40/120 · last run just now',
    );
  });

  it('a bodies job says how many bodies of how many are stored, and their bytes, whatever its state', () => {
    const progress = { phase: 'bodies', fetched: 1234, total: 10000, bytes: 45_600_000, overCap: 0 };
    assert.equal(
      jobDescription({ status: 'running', lastRun: NOW - 5 * 1000, nextRun: NOW, progress }, NOW),
      'running (bodies: 1,234 of 10,000, 45.6 MB) · last run just now',
    );
    assert.equal(
      jobDescription({ status: 'done', lastRun: NOW - 2 * MIN, nextRun: null, progress: { ...progress, fetched: 10000, overCap: 3 } }, NOW),
      'done (bodies: 10,000 of 10,000, 45.6 MB, 3 over the size cap fetched on open) · last run 2 min ago',
    );
    assert.equal(bodiesProgressText(progress), 'bodies: 1,234 of 10,000 (45.6 MB)', 'the status bar and the report');
    assert.equal(bodiesProgressText({ fetched: 1, total: 2, phase: 'fill' }), undefined, 'other jobs keep their own description');
  });

  it('the status bar names disconnected accounts before syncing, and says all is well otherwise', () => {
    assert.deepEqual(statusText(2, 0), { text: '$(sync~spin) MailDesk: syncing 2 folders', kind: 'syncing' });
    assert.deepEqual(statusText(0, 0), { text: '$(check) MailDesk', kind: 'ok' });
    assert.deepEqual(statusText(3, 1), { text: '$(error) MailDesk: 1 account disconnected', kind: 'error' });
  });

  it('folders list Inbox, Drafts, Sent first, then the rest alphabetically', () => {
    const folders = [
      { path: 'Zeta', role: null },
      { path: 'Sent', role: 'sent' as const },
      { path: 'Archive/2020', role: null },
      { path: 'INBOX', role: 'inbox' as const },
      { path: 'Drafts', role: 'drafts' as const },
    ];
    assert.deepEqual(folders.sort(compareFolders).map((f) => f.path), ['INBOX', 'Drafts', 'Sent', 'Archive/2020', 'Zeta']);
  });

  it('jobs list Inbox first, each folder sync before its backfill, account-wide jobs last', () => {
    const inbox = { role: 'inbox' as const, path: 'INBOX' };
    const sent = { role: 'sent' as const, path: 'Sent' };
    const jobs = [
      { name: 'maint', kind: 'maintenance' },
      { name: 'sent-backfill', kind: 'backfill', folder: sent },
      { name: 'inbox-backfill', kind: 'backfill', folder: inbox },
      { name: 'sent-sync', kind: 'sync', folder: sent },
      { name: 'inbox-sync', kind: 'sync', folder: inbox },
    ];
    assert.deepEqual(jobs.sort(compareJobs).map((j) => j.name), ['inbox-sync', 'inbox-backfill', 'sent-sync', 'sent-backfill', 'maint']);
  });

  it('only a login problem offers "Enter Password"', () => {
    assert.equal(needsPassword('auth.failed'), true);
    assert.equal(needsPassword('config.missingPassword'), true);
    assert.equal(needsPassword('net.refused'), false);
  });

  it('account ids are safe for secret keys and unique', () => {
    assert.equal(accountIdFor('Ann.Example+work@Mail.example.com', []), 'ann.example-work-at-mail.example.com');
    assert.equal(accountIdFor('ann@example.com', ['ann-at-example.com']), 'ann-at-example.com-2');
  });

  it('ports default by security', () => {
    assert.equal(defaultPort('imap', 'tls'), 993);
    assert.equal(defaultPort('imap', 'starttls'), 143);
    assert.equal(defaultPort('smtp', 'tls'), 465);
    assert.equal(defaultPort('smtp', 'starttls'), 587);
  });

  it('a server test lists every step with its time, then the problem and the fix', () => {
    const lines = verifyReportLines({
      ok: false,
      steps: [
        { name: 'dns', ok: true, ms: 3.4, detail: '127.0.0.1' },
        { name: 'login', ok: false, ms: 120, detail: 'rejected' },
      ],
      error: new MailError('auth.failed', 'the server rejected the user name or password'),
    });
    assert.equal(lines[0], '✓ dns  3 ms  127.0.0.1');
    assert.equal(lines[1], '✗ login  120 ms  rejected');
    assert.match(lines[3], /^the server rejected the user name or password\. Check the user name and password/);
  });

  it('the host drops malformed webview messages', () => {
    assert.deepEqual(parseWebviewMessage({ type: 'toggleRead', messageId: 5 }), { type: 'toggleRead', messageId: 5 });
    assert.equal(parseWebviewMessage({ type: 'toggleRead', messageId: '5; DROP' }), undefined);
    assert.equal(parseWebviewMessage({ type: 'runCommand' }), undefined);
    assert.equal(parseWebviewMessage(null), undefined);
  });

  it('a row action names one of the row commands (archive, reportSpam, delete) and nothing else', () => {
    assert.deepEqual(parseWebviewMessage({ type: 'rowAction', messageId: 7, action: 'archive' }), { type: 'rowAction', messageId: 7, action: 'archive' });
    assert.deepEqual(parseWebviewMessage({ type: 'rowAction', messageId: 7, action: 'reportSpam' }), { type: 'rowAction', messageId: 7, action: 'reportSpam' });
    // The host runs `maildesk.<action>`: any other command name is dropped.
    assert.equal(parseWebviewMessage({ type: 'rowAction', messageId: 7, action: 'deletePermanently' }), undefined);
    assert.equal(parseWebviewMessage({ type: 'rowAction', messageId: 7, action: 'removeAccount' }), undefined);
    assert.equal(parseWebviewMessage({ type: 'rowAction', messageId: '7', action: 'delete' }), undefined);
  });
});
