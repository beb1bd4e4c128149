/**
 * Reading through the engine, as a VS Code window does it (src/extension/threadView.ts and
 * messageList.ts): a real engine on a MessagePort, its client, and Dovecot. The list's rows,
 * the conversation's page (built and sanitised in the engine), mark-read-on-open, remote
 * content per message and per sender, attachments, View Source and search all arrive as
 * plain data.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import type { EngineClient } from '../../src/engine/client';
import type { ThreadPageParams } from '../../src/shared/protocol/engineAreas/reading';
import { requireDovecot, startDovecot, type Dovecot } from '../support/dovecot';
import { imapAccount, tempDir } from '../support/core';
import { type EngineHere, startEngineHere, stopEngineHere } from '../support/engineHere';
import { rawMessage } from '../support/rawmail';

const WEBVIEW = { cspSource: 'vscode-webview://x', nonce: 'bm9uY2U=', scriptSrc: 'vscode-webview://x/thread.js', cssHref: 'vscode-webview://x/thread.css' };
const PDF = Buffer.from('%PDF-1.4 not really a pdf \u0000\u00ff', 'latin1');

/** Survives JSON unchanged: nothing but plain data crossed. */
function plain<T>(v: T): T {
  assert.deepEqual(JSON.parse(JSON.stringify(v)), v);
  return v;
}

describe('reading through the engine (MessagePort client, Dovecot)', function () {
  this.timeout(60_000);
  let dv: Dovecot;
  let dir: string;
  let here: EngineHere | undefined;
  let client: EngineClient;
  let inboxId: number;

  before(async function () {
    requireDovecot(this);
    dv = await startDovecot({ users: { reader: 'secret' } });
    const at = (daysAgo: number) => new Date(Date.now() - daysAgo * 86_400_000);
    dv.seedMaildir('reader', 'INBOX', [
      { raw: rawMessage({ from: 'Ann <ann@example.test>', to: 'reader@example.test', subject: 'Trip plan', messageId: 't1@example.test', date: at(5), text: 'Shall we go to the lighthouse?\n' }), flags: ['\\Seen'] },
      {
        raw: rawMessage({
          from: 'Ann <ann@example.test>',
          to: 'reader@example.test',
          subject: 'Re: Trip plan',
          messageId: 't3@example.test',
          inReplyTo: 't2@example.test',
          references: ['t1@example.test', 't2@example.test'],
          date: at(3),
          html: '<p>Bring the <b>binoculars</b>.</p><img src="https://tracker.example.test/open.gif"><script>alert(1)</script>',
          attachments: [{ filename: 'map.pdf', contentType: 'application/pdf', content: PDF }],
        }),
      },
      { raw: rawMessage({ from: 'Zed <zed@example.test>', to: 'reader@example.test', subject: 'Other', messageId: 'z1@example.test', date: at(4), text: 'Unrelated.\n' }), flags: ['\\Seen'] },
    ]);
    dv.seedMaildir('reader', 'Sent', [
      { raw: rawMessage({ from: 'Me <reader@example.test>', to: 'ann@example.test', subject: 'Re: Trip plan', messageId: 't2@example.test', inReplyTo: 't1@example.test', date: at(4), text: 'Yes! Saturday.\n' }), flags: ['\\Seen'] },
    ]);
    dir = tempDir('maildesk-engine-reading-');
    here = await startEngineHere(dir, { reader: 'secret' });
    client = here.client;
    await client.request('accounts/add', { account: imapAccount('reader', dv.port) });
    await client.request('folders/select', { accountId: 'reader', paths: ['Sent'], selected: true });
    const r = await client.request('sync/once', { accountIds: ['reader'] });
    assert.ok(r.ok, `sync failed: ${r.failed.map((j) => j.errorMessage).join('; ')}`);
    inboxId = r.accounts[0].folders.find((f) => f.path === 'INBOX')!.id;
  });
  after(async () => {
    await stopEngineHere(here);
    await dv?.dispose();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  const page = (p: Partial<ThreadPageParams> & Pick<ThreadPageParams, 'accountId' | 'threadKey' | 'keepFolderId'>) =>
    client.request('reading/thread', { remoteAllowed: [], markRead: false, webview: WEBVIEW, ...p });

  it("lists a folder's rows per conversation or per message, newest first, with Load more", async () => {
    const grouped = plain(await client.request('reading/listPage', { folderId: inboxId, limit: 100, grouped: true }));
    assert.ok(grouped);
    assert.equal(grouped.folder.path, 'INBOX');
    assert.equal(grouped.account?.email, 'reader@example.test');
    assert.equal(grouped.drafts, false);
    assert.deepEqual(grouped.items.map((i) => i.subject), ['Re: Trip plan', 'Other']);
    assert.equal(grouped.items[0].threadCount, 3, 'the thread counts its reply in Sent');
    assert.equal(grouped.items[0].unread, true);
    assert.equal(grouped.hasMore, false);
    const flat = await client.request('reading/listPage', { folderId: inboxId, limit: 2, grouped: false });
    assert.deepEqual(flat?.items.map((i) => i.subject), ['Re: Trip plan', 'Other']);
    assert.equal(flat?.hasMore, true, 'a third message is waiting');
    assert.equal(await client.request('reading/listPage', { folderId: 999_999, limit: 10, grouped: true }), null);
  });

  it('opens a conversation: the page is sanitised in the engine, the newest (unread) message expanded and marked read', async () => {
    const list = await client.request('reading/listPage', { folderId: inboxId, limit: 100, grouped: false });
    const newest = list!.items.find((i) => i.subject === 'Re: Trip plan')!;
    const loc = plain(await client.request('reading/locate', { messageId: newest.id, folderId: inboxId }));
    assert.ok(loc);
    assert.equal(loc.folderId, inboxId);
    const p = plain(await page({ accountId: loc.accountId, threadKey: loc.threadKey, keepFolderId: loc.folderId, markRead: true }));
    assert.equal(p.subject, 'Trip plan');
    assert.equal(p.rows.length, 3, 'Inbox and Sent messages of the thread');
    assert.deepEqual(p.expanded, [newest.id]);
    assert.match(p.html, /binoculars/);
    assert.doesNotMatch(p.html, /alert\(1\)/, 'the message script is gone');
    assert.match(p.html, /nonce-bm9uY2U=/);
    assert.match(p.html, /<script nonce="bm9uY2U=" src="vscode-webview:\/\/x\/thread\.js">/);
    assert.doesNotMatch(p.html, /img-src[^;]*tracker\.example\.test/, 'remote content stays blocked');
    assert.match(p.html, /map\.pdf/);
    assert.deepEqual(p.warnings, []);
    const after = await client.request('reading/listPage', { folderId: inboxId, limit: 100, grouped: false });
    assert.equal(after!.items.find((i) => i.id === newest.id)!.unread, false, 'marked read on open');
    assert.deepEqual(await client.request('reading/threadIds', { accountId: loc.accountId, threadKey: loc.threadKey, keepFolderId: inboxId }), p.rows.map((r) => r.id));
    assert.equal(await client.request('reading/locate', { messageId: 999_999, folderId: inboxId }), null);
  });

  it('remote content: allowed for one message opens its origin only; allowed for the sender lasts', async () => {
    const list = await client.request('reading/listPage', { folderId: inboxId, limit: 100, grouped: false });
    const newest = list!.items.find((i) => i.subject === 'Re: Trip plan')!;
    const loc = (await client.request('reading/locate', { messageId: newest.id, folderId: inboxId }))!;
    const base = { accountId: loc.accountId, threadKey: loc.threadKey, keepFolderId: inboxId };
    const once = await page({ ...base, remoteAllowed: [newest.id], expanded: [newest.id] });
    assert.match(once.html, /img-src[^;]*https:\/\/tracker\.example\.test/);
    const again = await page({ ...base, expanded: [newest.id] });
    assert.doesNotMatch(again.html, /img-src[^;]*tracker\.example\.test/, 'the choice belongs to the window, not kept by the engine');
    await client.request('reading/allowSender', { address: 'Ann@Example.test' });
    const always = await page({ ...base, expanded: [newest.id] });
    assert.match(always.html, /img-src[^;]*https:\/\/tracker\.example\.test/);
  });

  it('gives an attachment as the same bytes, the source as text, and finds mail by body text', async () => {
    const list = await client.request('reading/listPage', { folderId: inboxId, limit: 100, grouped: false });
    const newest = list!.items.find((i) => i.subject === 'Re: Trip plan')!;
    const loc = (await client.request('reading/locate', { messageId: newest.id, folderId: inboxId }))!;
    const p = await page({ accountId: loc.accountId, threadKey: loc.threadKey, keepFolderId: inboxId, expanded: [newest.id] });
    const attachmentId = /data-md-att="([^"]+)"/.exec(p.html)?.[1];
    assert.ok(attachmentId, 'the page names the attachment');
    const a = plain(await client.request('reading/attachment', { messageId: newest.id, folderId: inboxId, attachmentId }));
    assert.equal(a?.filename, 'map.pdf');
    assert.deepEqual(Buffer.from(a!.contentBase64, 'base64'), PDF);
    assert.equal(await client.request('reading/attachment', { messageId: newest.id, folderId: inboxId, attachmentId: 'nope' }), null);
    const source = await client.request('reading/source', { messageId: newest.id, folderId: inboxId });
    assert.match(source, /Message-ID: <t3@example\.test>/i);
    const hits = plain(await client.request('reading/search', { query: 'binoculars', limit: 10 }));
    assert.deepEqual(hits.map((h) => h.messageId), [newest.id]);
    assert.deepEqual(await client.request('reading/search', { query: '   ', limit: 10 }), []);
  });

  it('toggles flags from the list and marks read one message at a time', async () => {
    const list = await client.request('reading/listPage', { folderId: inboxId, limit: 100, grouped: false });
    const other = list!.items.find((i) => i.subject === 'Other')!;
    await client.request('reading/toggleFlag', { messageId: other.id, folderId: inboxId, flag: '\\Flagged' });
    let now = await client.request('reading/listPage', { folderId: inboxId, limit: 100, grouped: false });
    assert.equal(now!.items.find((i) => i.id === other.id)!.flagged, true);
    await client.request('reading/toggleFlag', { messageId: other.id, folderId: inboxId, flag: '\\Seen' });
    now = await client.request('reading/listPage', { folderId: inboxId, limit: 100, grouped: false });
    assert.equal(now!.items.find((i) => i.id === other.id)!.unread, true);
    assert.equal(await client.request('reading/markRead', { messageId: other.id, folderId: inboxId }), true);
    assert.equal(await client.request('reading/markRead', { messageId: other.id, folderId: inboxId }), false, 'already read');
  });
});
