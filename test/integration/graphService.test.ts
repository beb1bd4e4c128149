/**
 * Outlook as Microsoft Graph behaves (issue 17), against the local Graph made to follow the
 * documentation: no request over 4 MB, attachments of 3 MB and more through upload sessions,
 * messages of 1, 3, 10 and 30 MB sent once, a 504 after Outlook accepted a message never
 * retried (one delivered copy, "may have been sent").
 */
import * as assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import * as https from 'node:https';
import type { AccountConfig, OAuthConfig } from '../../src/core/config';
import { memorySecretStore } from '../../src/core/auth/tokens';
import type { MailError } from '../../src/core/errors';
import type { MailDesk } from '../../src/core/maildesk';
import type { GraphProvider } from '../../src/core/providers/graph/graphProvider';
import { composeMessage } from '../../src/core/send/compose';
import { httpsNetworkClient } from '../../src/core/providers/graph/msalAuth';
import { splitAttachments } from '../../src/core/providers/graph/mimeSplit';
import { addOutlookAccount } from '../../src/core/providers/graph/outlookAccount';
import { syncOnce } from '../../src/core/sync/once';
import { FakeMicrosoft, GRAPH_REQUEST_LIMIT, simulateBrowser } from '../support/graphServer';
import { openCore } from '../support/core';

const MB = 1024 * 1024;

describe('Outlook as Microsoft Graph behaves (4 MB requests, upload sessions, no double send)', function () {
  this.timeout(60_000);
  let ms: FakeMicrosoft;
  let core: MailDesk | undefined;

  async function signedIn(): Promise<MailDesk> {
    const secrets = memorySecretStore();
    const oauth: OAuthConfig = { microsoft: { clientId: ms.clientId, tenant: 'organizations', authority: ms.authority, graphBaseUrl: ms.base } };
    core = await openCore(undefined, {}, { secrets, oauth, send: { sentCheckDelaysMs: [] }, graph: { ca: ms.cert, msalNetworkClient: httpsNetworkClient({ ca: ms.cert }) } });
    const cfg: AccountConfig = { id: 'o', provider: 'outlook', email: ms.user.email };
    await addOutlookAccount(core, cfg, (url) => simulateBrowser(url, ms.cert).then(() => undefined), { settings: oauth.microsoft, secrets, networkClient: httpsNetworkClient({ ca: ms.cert }) });
    await syncOnce(core, ['o']);
    return core;
  }
  const c = () => core!;

  beforeEach(async () => {
    ms = new FakeMicrosoft();
    await ms.start();
  });
  afterEach(async () => {
    await core?.close();
    core = undefined;
    await ms.stop();
  });

  it('the local Graph refuses a request over 4 MB with 413, as Graph does', async () => {
    const token = ms.issueAccessToken();
    const status = (bytes: number) =>
      new Promise<number>((resolve, reject) => {
        const body = Buffer.alloc(bytes, 65);
        const req = https.request(`${ms.base}/v1.0/me/sendMail`, { method: 'POST', ca: ms.cert, headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'text/plain', 'Content-Length': body.length } }, (x) => {
          x.resume();
          resolve(x.statusCode ?? 0);
        });
        req.on('error', reject);
        req.end(body);
      });
    assert.equal(await status(GRAPH_REQUEST_LIMIT + 1), 413);
    assert.equal(ms.sent.length, 0);
  });

  it('1, 3, 10 and 30 MB messages are sent once each, every request under 4 MB, big attachments through upload sessions', async () => {
    await signedIn();
    for (const size of [1, 3, 10, 30]) {
      const content = randomBytes(size * MB);
      const before = ms.sent.length;
      const r = await c().send('o', { to: ['bob@fabrikam.test'], subject: `${size} MB`, text: 'attached', attachments: [{ filename: `f${size}.bin`, content }] });
      assert.ok(r.ok, `${size} MB: ${r.error?.message}`);
      assert.equal(ms.sent.length - before, 1, `${size} MB sent once`);
      const sent = ms.sent[ms.sent.length - 1];
      if (size === 1) assert.ok(sent.raw.includes('f1.bin'), 'small: in the MIME of one sendMail');
      else assert.deepEqual(sent.attachments, [{ name: `f${size}.bin`, size: size * MB }], `${size} MB: the whole file arrived as an attachment`);
    }
    assert.ok(ms.requestBytes.every((q) => q.bytes <= GRAPH_REQUEST_LIMIT), `largest request ${Math.max(...ms.requestBytes.map((q) => q.bytes))} bytes`);
    assert.ok(ms.rangePuts.length >= Math.ceil(43 / 4), 'ranges of at most 4 MB');
    assert.ok(ms.rangePuts.every((p) => !p.authorization && p.bytes <= GRAPH_REQUEST_LIMIT), 'pre-authenticated URL: no Authorization header');
    assert.equal(ms.requests.filter((q) => /createUploadSession/.test(q.path)).length, 3, '3, 10 and 30 MB through upload sessions');
    assert.equal(ms.inFolder('drafts').length, 0, 'no helper draft left behind');
    await syncOnce(c(), ['o']);
    const sentItems = c().store.listMessages(c().store.folderByRole('o', 'sent')!.id, { limit: 100 }).map((m) => m.subject);
    for (const size of [1, 3, 10, 30]) assert.equal(sentItems.filter((s) => s === `${size} MB`).length, 1, `${size} MB once in Sent Items`);
  });

  it('a draft with a 10 MB attachment is saved in Drafts through an upload session', async () => {
    await signedIn();
    const ref = await c().saveDraft('o', { to: ['bob@fabrikam.test'], subject: 'big draft', text: 'x', attachments: [{ filename: 'd.bin', content: randomBytes(10 * MB) }] });
    assert.equal(ref.server, 'saved', ref.serverError);
    const drafts = ms.inFolder('drafts');
    assert.equal(drafts.length, 1);
    assert.deepEqual(drafts[0].attachments?.map((a) => [a.name, a.size]), [['d.bin', 10 * MB]]);
    assert.ok(ms.requestBytes.every((q) => q.bytes <= GRAPH_REQUEST_LIMIT));
  });

  it('a message over 4 MB that has no attachment to take out fails before sending, with send.tooLarge naming the limit', async () => {
    await signedIn();
    const before = ms.requests.length;
    const r = await c().send('o', { to: ['bob@fabrikam.test'], subject: 'long text', text: 'word '.repeat(1_000_000) });
    assert.equal(r.ok, false);
    assert.equal(r.error?.code, 'send.tooLarge');
    assert.match(r.error!.message, /at most 3 MB/);
    assert.equal(ms.sent.length, 0);
    assert.deepEqual(ms.requests.slice(before).filter((q) => q.method === 'POST').map((q) => q.path), [], 'no sendMail and no draft create went out');
  });

  it('a draft whose text alone outgrows one 4 MB request is refused before any request, on the first save and on a later save (PATCH), naming the limit', async () => {
    await signedIn();
    const long = 'word '.repeat(1_000_000); // 5 MB of text: no attachment to take out
    const ref = await c().saveDraft('o', { to: ['bob@fabrikam.test'], subject: 'grows', text: 'short for now' });
    assert.equal(ref.server, 'saved', ref.serverError);
    const [draft] = ms.inFolder('drafts');
    const before = ms.requests.length;
    const grown = await c().saveDraft('o', { ...c().openDraft('o', ref.id), text: long });
    assert.equal(grown.server, 'failed');
    assert.match(grown.serverError!, /one request of at most 4 MB.*at most 3 MB.*the text of this one is 5 MB.*attachment/);
    const after = ms.requests.slice(before);
    assert.deepEqual(after.filter((q) => q.method !== 'GET').map((q) => `${q.method} ${q.path}`), [], 'no PATCH and no create went out');
    assert.equal(ms.inFolder('drafts')[0].body, draft.body, 'the server draft keeps its last good version');
    const first = await c().saveDraft('o', { to: ['bob@fabrikam.test'], subject: 'long from the start', text: long, attachments: [{ filename: 'a.bin', content: randomBytes(4 * MB) }] });
    assert.equal(first.server, 'failed');
    assert.match(first.serverError!, /the text of this one is 5 MB/, 'the size named is the text, not the text and attachment');
    assert.ok(ms.requests.every((q) => q.status !== 413), 'nothing was refused by Graph as too large: refused here first');
    assert.ok(ms.requestBytes.every((q) => q.bytes <= GRAPH_REQUEST_LIMIT));
  });

  it('a message or draft over the 150 MB Exchange Online takes at all fails before any request, naming that limit', async () => {
    await signedIn();
    const p = c().provider('o') as GraphProvider;
    const huge = Buffer.concat([Buffer.from('To: bob@fabrikam.test\r\nSubject: huge\r\nMessage-ID: <huge@x>\r\n\r\n'), Buffer.alloc(151 * MB, 97)]);
    const before = ms.requests.length;
    const tooLarge = (e: unknown) => (e as MailError).code === 'send.tooLarge' && /Exchange Online\) accepts .* of at most 150 MB; this one is 151 MB/.test((e as MailError).message);
    await assert.rejects(p.sendMessage(huge, { from: ms.user.email, to: ['bob@fabrikam.test'] }), tooLarge);
    await assert.rejects(p.saveDraftRemote(huge, { messageId: '<huge@x>' }), tooLarge);
    assert.deepEqual(ms.requests.slice(before).map((q) => `${q.method} ${q.path}`), [], 'nothing went to Graph');
  });

  it('a mailbox with a 20 MB send limit refuses a 30 MB message: send.tooLarge with Outlook\'s limit, nothing sent, no helper draft left', async () => {
    await ms.stop();
    ms = new FakeMicrosoft({ maxSendBytes: 20 * MB });
    await ms.start();
    await signedIn();
    const r = await c().send('o', { to: ['bob@fabrikam.test'], subject: 'too big here', text: 'x', attachments: [{ filename: 't.bin', content: randomBytes(30 * MB) }] });
    assert.equal(r.ok, false);
    assert.equal(r.error?.code, 'send.tooLarge');
    assert.match(r.error!.message, /ErrorMessageSizeExceeded.*20 MB/);
    assert.equal(r.maybeSent, undefined);
    assert.equal(ms.sent.length, 0);
    assert.equal(ms.inFolder('drafts').filter((m) => m.subject === 'too big here').length, 1, 'only the draft kept for the user');
  });

  it('a 504 after Outlook accepted sendMail: one delivered copy, never retried, "may have been sent" until the user confirms', async () => {
    await signedIn();
    ms.acceptThenFail(/^\/me\/sendMail$/, 1, 504);
    const r = await c().send('o', { to: ['bob@fabrikam.test'], subject: 'exactly once', text: 'x' });
    assert.equal(r.ok, false);
    assert.equal(r.maybeSent, true);
    assert.match(r.error!.message, /may have been sent/);
    assert.equal(ms.sent.length, 1, 'one delivered copy: the RetryHandler did not post it again');
    assert.equal(ms.requests.filter((q) => q.path.startsWith('/v1.0/me/sendMail')).length, 1);
    const [d] = c().listDrafts('o');
    assert.equal(d.maybeSent, true, 'the draft says it may have been sent');
    const again = await c().send('o', { draftId: d.id });
    assert.equal(again.ok, false);
    assert.equal(ms.sent.length, 1, 'not resent without confirmation');
  });

  it('a 504 after Outlook sent a big message (draft + upload + send): one copy, "may have been sent"', async () => {
    await signedIn();
    ms.acceptThenFail(/^\/me\/messages\/[^/]+\/send$/, 1, 504);
    const r = await c().send('o', { to: ['bob@fabrikam.test'], subject: 'big once', text: 'x', attachments: [{ filename: 'b.bin', content: randomBytes(5 * MB) }] });
    assert.equal(r.ok, false);
    assert.equal(r.maybeSent, true);
    assert.equal(ms.sent.length, 1);
    assert.equal(ms.requests.filter((q) => /\/send$/.test(q.path)).length, 1);
  });

  it('a failure while the attachments go up sends nothing, says so, and leaves no helper draft in Outlook', async () => {
    await signedIn();
    ms.acceptThenFail(/\/attachments\/createUploadSession$/, 1, 503);
    const r = await c().send('o', { to: ['bob@fabrikam.test'], subject: 'not yet', text: 'x', attachments: [{ filename: 'n.bin', content: randomBytes(5 * MB) }] });
    assert.equal(r.ok, false);
    assert.equal(r.maybeSent, undefined, 'nothing was sent: no "may have been sent"');
    assert.equal(r.error?.code, 'send.tempFailure');
    assert.match(r.error!.message, /before it was sent/);
    assert.equal(ms.sent.length, 0);
    assert.equal(ms.requests.filter((q) => /\/send$|sendMail/.test(q.path)).length, 0);
    assert.equal(ms.inFolder('drafts').filter((m) => m.subject === 'not yet').length, 1, 'the helper draft went; only the draft the sender saves for the user is there');
    assert.ok(ms.requests.some((q) => q.method === 'DELETE'), 'the helper draft was deleted');
  });

  it('splitting keeps the rest of the MIME byte for byte and takes out exactly the big attachments', async () => {
    const small = Buffer.from('small text file\n');
    const big = randomBytes(3 * MB);
    const m = await composeMessage({ messageId: '<split@x>', to: ['b@x.test'], subject: 'Grüße', text: 'body' }, { address: 'a@x.test' }, [
      { filename: 'klein.txt', content: small },
      { filename: 'Bericht größer.bin', content: big, contentType: 'application/octet-stream' },
    ]);
    const s = splitAttachments(m.raw, 1 * MB, 3 * MB)!;
    assert.deepEqual(s.attachments.map((a) => [a.name, a.contentType, a.content.equals(big)]), [['Bericht größer.bin', 'application/octet-stream', true]]);
    const rest = s.rest.toString('latin1');
    assert.ok(rest.includes('Message-ID: <split@x>') && rest.includes('klein.txt') && !rest.includes('Bericht'));
    assert.equal(m.raw.toString('latin1').startsWith(rest.slice(0, rest.indexOf('klein.txt'))), true, 'headers and body unchanged');
    assert.equal(splitAttachments(Buffer.from('Subject: x\r\n\r\nplain'), 10, 0), undefined, 'not multipart: nothing to split');
  });
});
