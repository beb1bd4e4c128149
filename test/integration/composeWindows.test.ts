/**
 * One draft written from two windows: two EngineClients on one engine (the hosting window over
 * its MessagePort, a second window over the engine's socket), against Dovecot. What one window
 * saves the other opens; a window whose form is older than the draft is refused (save and
 * journal), never overwriting the other's text; the other window is told of every save; the
 * revision survives the engine (a takeover keeps refusing the stale window). And a reply
 * reopened from Drafts knows the message it answers, so "Send + Archive" archives that
 * conversation here and on the server.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import { EngineClient } from '../../src/engine/client';
import type { ComposeMeta } from '../../src/core/send/composeForm';
import type { ComposeFields } from '../../src/shared/protocol/compose';
import type { ComposeDraftSaved, ComposeSaved, ComposeStale } from '../../src/shared/protocol/engineAreas/compose';
import { imapAccount, tempDir } from '../support/core';
import { requireDovecot, startDovecot, type Dovecot } from '../support/dovecot';
import { rawMessage } from '../support/rawmail';
import { type EngineHere, startEngineHere, stopEngineHere } from '../support/engineHere';

const USER = 'twowin';
const PASSWORD = 'two-windows-secret';
const ORIGINAL = { subject: 'Offsite dates', messageId: '<offsite-1@partner.example.test>' };

const fields = (f: Partial<ComposeFields> = {}): ComposeFields => ({ accountId: USER, to: '', cc: '', bcc: '', subject: '', body: '', format: 'markdown', includeQuote: false, ...f });

function saved(r: ComposeSaved | ComposeStale | null): ComposeSaved {
  assert.ok(r, 'the account exists');
  assert.ok(!('stale' in r), `saved, not refused as stale (${JSON.stringify(r)})`);
  return r;
}

describe('one draft written from two windows (two engine clients, Dovecot)', function () {
  let dv: Dovecot;
  let dataDir: string;
  let run: EngineHere | undefined;
  /** The second window: a client over the engine's socket, as a later VS Code window is. */
  let b: EngineClient | undefined;

  before(async function () {
    requireDovecot(this);
    dv = await startDovecot({ users: { [USER]: PASSWORD }, specialFolders: ['Archive'] });
    await dv.append(USER, 'INBOX', rawMessage({ from: 'Ann Lee <ann@partner.example.test>', to: `${USER}@example.test`, subject: ORIGINAL.subject, messageId: ORIGINAL.messageId, text: 'Which week suits you?' }));
    dataDir = tempDir('maildesk-compose-windows-');
    run = await startEngineHere(dataDir, { [USER]: PASSWORD });
    await run.client.request('accounts/add', { account: { ...imapAccount(USER, dv.port), folders: ['INBOX', 'Archive'] } });
    const synced = await run.client.request('sync/once', { accountIds: [USER] });
    assert.ok(synced.ok, synced.failed.map((j) => j.errorMessage).join('; '));
    b = await EngineClient.connect({ dataDir, kind: 'vscode' });
    assert.equal(b.hosting, false, 'the second window is a client of the running engine');
  });
  after(async () => {
    await b?.close().catch(() => undefined);
    await stopEngineHere(run);
    await dv?.dispose();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('B opens what A typed, continues it; A is told, A’s stale save and journal are refused and B’s text stays; Keep mine saves over on purpose; of two saves on one revision one wins', async () => {
    const a = run!.client;
    const toA: ComposeDraftSaved[] = [];
    const toB: ComposeDraftSaved[] = [];
    const subA = a.on('compose/draftSaved', (e) => toA.push(e));
    const subB = b!.on('compose/draftSaved', (e) => toB.push(e));
    try {
      // Window A: a new message, typed and autosaved (revision 0 → 1).
      const meta: ComposeMeta = { accountId: USER, messageId: '<two-windows-1@example.test>', fields: fields({ to: 'bob@partner.example.test', subject: 'Agenda', body: 'First, the budget.' }), kind: 'New Message', pending: true, initialBody: '' };
      assert.deepEqual(await a.request('compose/journal', { meta, revision: 0, writer: 'A' }), { stale: false, revision: 0 });
      const s1 = saved(await a.request('compose/save', { meta, attachments: [], remote: true, revision: 0, writer: 'A' }));
      assert.equal(s1.revision, 1);
      assert.equal(s1.server, 'saved');
      const metaA: ComposeMeta = { ...meta, draftId: s1.draftId, pending: false };
      await a.request('compose/journal', { meta: metaA, revision: 1, writer: 'A' });

      // Window B finds it in the Drafts folder's list and opens it: A's text, at revision 1.
      await b!.request('sync/once', { accountIds: [USER] });
      const inDrafts = ((await b!.request('messages/list', { accountId: USER, folderPath: 'Drafts' })) ?? []).find((m) => m.subject === 'Agenda');
      assert.ok(inDrafts, 'the draft is in the Drafts folder’s list');
      const ref = await b!.request('compose/draftForMessage', { messageId: inDrafts.id, folderId: inDrafts.folderId });
      assert.equal(ref.draftId, s1.draftId, 'the same draft, not a copy');
      const openedB = await b!.request('compose/openDraft', ref);
      assert.equal(openedB.revision, 1);
      assert.equal(openedB.meta?.fields.body, 'First, the budget.');

      // B continues it and saves (revision 2); A is told who saved what.
      const metaB: ComposeMeta = { ...openedB.meta!, draftId: openedB.id, fields: { ...openedB.meta!.fields, body: 'First, the budget.\nThen the offsite.' }, pending: true };
      await b!.request('compose/journal', { meta: metaB, revision: 1, writer: 'B' });
      const s2 = saved(await b!.request('compose/save', { meta: metaB, attachments: [], remote: true, revision: 1, writer: 'B' }));
      assert.equal(s2.revision, 2);
      assert.equal(s2.draftId, s1.draftId);
      await waitUntil(() => toA.some((e) => e.revision === 2), 'window A to be told of B’s save');
      assert.deepEqual(toA.find((e) => e.revision === 2), { accountId: USER, messageId: meta.messageId, draftId: s1.draftId, revision: 2, writer: 'B' });

      // A's composer still holds its old form and autosaves on revision 1: refused, nothing written.
      const staleA: ComposeMeta = { ...metaA, fields: { ...metaA.fields, body: 'First, the budget. (typed in A, before it saw B)' }, pending: true };
      assert.deepEqual(await a.request('compose/journal', { meta: staleA, revision: 1, writer: 'A' }), { stale: true, revision: 2 }, 'the journal of a stale form is refused');
      assert.deepEqual(await a.request('compose/save', { meta: staleA, attachments: [], remote: true, revision: 1, writer: 'A' }), { stale: { revision: 2 } });
      const now = await a.request('compose/openDraft', { accountId: USER, draftId: s1.draftId });
      assert.equal(now.text.trim(), 'First, the budget.\nThen the offsite.', 'the draft row keeps B’s text');
      assert.equal(now.meta?.fields.body, 'First, the budget.\nThen the offsite.', 'the journal keeps B’s form');
      assert.equal(now.revision, 2);

      // "Reload" in A is that openDraft; A continues on revision 2 and B sees it.
      const metaA2: ComposeMeta = { ...now.meta!, draftId: now.id, fields: { ...now.meta!.fields, body: `${now.meta!.fields.body}\nAnd dinner.` }, pending: true };
      const s3 = saved(await a.request('compose/save', { meta: metaA2, attachments: [], remote: false, revision: 2, writer: 'A' }));
      assert.equal(s3.revision, 3);
      await waitUntil(() => toB.some((e) => e.revision === 3 && e.writer === 'A'), 'window B to be told of A’s save');
      assert.equal((await b!.request('compose/openDraft', ref)).text.trim(), 'First, the budget.\nThen the offsite.\nAnd dinner.');

      // "Keep mine" in B (a stale form saved on the revision the refusal named) overwrites on purpose.
      const keep = await b!.request('compose/save', { meta: { ...metaB, fields: { ...metaB.fields, body: 'B insists.' } }, attachments: [], remote: false, revision: 2, writer: 'B' });
      assert.ok(keep && 'stale' in keep && keep.stale.revision === 3);
      assert.equal(saved(await b!.request('compose/save', { meta: { ...metaB, fields: { ...metaB.fields, body: 'B insists.' } }, attachments: [], remote: false, revision: keep.stale.revision, writer: 'B' })).revision, 4);

      // Two windows saving on the same revision at the same moment: exactly one is written.
      const race = await Promise.all([
        a.request('compose/save', { meta: { ...metaA2, fields: { ...metaA2.fields, body: 'race A' } }, attachments: [], remote: false, revision: 4, writer: 'A' }),
        b!.request('compose/save', { meta: { ...metaB, fields: { ...metaB.fields, body: 'race B' } }, attachments: [], remote: false, revision: 4, writer: 'B' }),
      ]);
      const won = race.filter((r) => r && !('stale' in r));
      assert.equal(won.length, 1, `one save wins: ${JSON.stringify(race)}`);
      const winner = race[0] === won[0] ? 'race A' : 'race B';
      assert.equal((await a.request('compose/openDraft', ref)).text.trim(), winner, 'the draft holds the winner’s text, the loser was told');
    } finally {
      subA.dispose();
      subB.dispose();
    }
  });

  it('the revision survives the engine: after a takeover the stale window is still refused, and a new window finds the draft with both windows’ edits', async () => {
    const a = run!.client;
    const meta: ComposeMeta = { accountId: USER, messageId: '<two-windows-2@example.test>', fields: fields({ to: 'bob@partner.example.test', subject: 'Survives', body: 'from A' }), kind: 'New Message', pending: true, initialBody: '' };
    const s1 = saved(await a.request('compose/save', { meta, attachments: [], remote: false, revision: 0, writer: 'A' }));
    const opened = await b!.request('compose/openDraft', { accountId: USER, draftId: s1.draftId });
    saved(await b!.request('compose/save', { meta: { ...meta, draftId: s1.draftId, fields: { ...meta.fields, body: 'from A\nand from B' } }, attachments: [], remote: false, revision: opened.revision, writer: 'B' }));

    // Every window goes; a new engine opens the folder.
    await b!.close();
    b = undefined;
    await stopEngineHere(run);
    run = await startEngineHere(dataDir, { [USER]: PASSWORD });
    const c = run.client;
    const again = await c.request('compose/openDraft', { accountId: USER, draftId: s1.draftId });
    assert.equal(again.text.trim(), 'from A\nand from B');
    assert.equal(again.revision, 2);
    assert.deepEqual(await c.request('compose/save', { meta: { ...meta, draftId: s1.draftId }, attachments: [], remote: false, revision: 1, writer: 'A' }), { stale: { revision: 2 } }, 'a form from before the takeover is still refused');
    b = await EngineClient.connect({ dataDir, kind: 'vscode' });
  });

  it('a reply reopened from Drafts knows the message it answers: Send + Archive archives that conversation here and on the server', async () => {
    const a = run!.client;
    const inbox = ((await a.request('messages/list', { accountId: USER, folderPath: 'INBOX' })) ?? []).find((m) => m.subject === ORIGINAL.subject);
    assert.ok(inbox, 'the original is in INBOX');
    const prefill = await a.request('compose/prefill', { messageId: inbox.id, folderId: inbox.folderId, mode: 'reply' });
    const meta: ComposeMeta = { accountId: USER, messageId: prefill.messageId, fields: fields({ to: prefill.to, subject: prefill.subject, body: 'The second week.' }), quote: prefill.quote, inReplyTo: prefill.inReplyTo, references: prefill.references, kind: 'Reply', pending: true, initialBody: '' };
    const s = saved(await a.request('compose/save', { meta, attachments: [], remote: true, revision: 0, writer: 'A' }));

    // Reopened (another window, or after a restart): the message it answers comes with it.
    const reopened = await b!.request('compose/openDraft', { accountId: USER, draftId: s.draftId });
    assert.equal(reopened.inReplyTo, ORIGINAL.messageId);
    assert.deepEqual(reopened.replyingTo, { messageId: inbox.id, folderId: inbox.folderId }, 'the original in INBOX');
    // A new message has nothing to archive.
    const plain = saved(await a.request('compose/save', { meta: { accountId: USER, messageId: '<no-reply-1@example.test>', fields: fields({ subject: 'Not a reply' }), kind: 'New Message', pending: true, initialBody: '' }, attachments: [], remote: false }));
    assert.equal((await b!.request('compose/openDraft', { accountId: USER, draftId: plain.draftId })).replyingTo, undefined);

    // What "Send + Archive" runs once the message went out: Archive of that conversation.
    const r = await b!.request('triage/apply', { keys: [reopened.replyingTo!], action: { kind: 'archive' }, opts: { wholeThread: true } });
    assert.ok(r.undoId, 'archived, with Undo');
    const pushed = await b!.request('triage/push', { accountId: USER, sinceTaskId: 0 });
    assert.deepEqual(pushed.failed, []);
    assert.ok([...(await dv.flagsBySubject(USER, 'Archive')).keys()].includes(ORIGINAL.subject), 'in Archive on the server');
    assert.ok(![...(await dv.flagsBySubject(USER, 'INBOX')).keys()].includes(ORIGINAL.subject), 'no longer in INBOX on the server');
  });
});

async function waitUntil(ok: () => boolean, what: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
