/**
 * The composer as a client of the engine (src/engine/areas/compose.ts), over a real
 * EngineClient and MessagePort, against Dovecot and the SMTP sink: a reply and a forward are
 * filled in from the stored message (forwarded attachments cross as blobs, not bytes); a draft
 * saved through the protocol opens again with its attachments and its journal; address
 * suggestions come from the stored mail; a journal left pending by a window that closed is
 * saved by the next engine, once, and never one a window is writing now; Send goes out once.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import { MailError } from '../../src/core/errors';
import { parseMessage } from '../../src/core/mime/parse';
import { type ComposeMeta, toDraft } from '../../src/core/send/composeForm';
import type { ComposeFields } from '../../src/shared/protocol/compose';
import { imapAccount, tempDir } from '../support/core';
import { requireDovecot, startDovecot, type Dovecot } from '../support/dovecot';
import { rawMessage } from '../support/rawmail';
import { startSmtp, type SmtpServer } from '../support/smtp';
import { type EngineHere, startEngineHere, stopEngineHere } from '../support/engineHere';

const USER = 'writer';
const PASSWORD = 'compose-secret';
const ORIGINAL = { subject: 'Budget review', messageId: '<budget-1@partner.example.test>' };
const REPORT = Buffer.from('%PDF-1.4 quarterly numbers\n');

type Running = EngineHere;
const startEngine = (dataDir: string): Promise<Running> => startEngineHere(dataDir, { [USER]: PASSWORD });
const stopEngine = stopEngineHere;

const fields = (f: Partial<ComposeFields> = {}): ComposeFields => ({ accountId: USER, to: '', cc: '', bcc: '', subject: '', body: '', format: 'markdown', includeQuote: false, ...f });

describe('compose through the engine (Dovecot + SMTP)', function () {
  let dv: Dovecot;
  let smtp: SmtpServer;
  let dataDir: string;
  let run: Running | undefined;

  before(async function () {
    requireDovecot(this);
    dv = await startDovecot({ users: { [USER]: PASSWORD } });
    smtp = await startSmtp({ users: { [USER]: PASSWORD } });
    await dv.append(
      USER,
      'INBOX',
      rawMessage({
        from: 'Ann Lee <ann@partner.example.test>',
        to: [`${USER}@example.test`, 'Bob Park <bob@partner.example.test>'],
        subject: ORIGINAL.subject,
        messageId: ORIGINAL.messageId,
        text: 'Could you check the numbers?',
        attachments: [{ filename: 'report.pdf', contentType: 'application/pdf', content: REPORT }],
      }),
    );
    dataDir = tempDir('maildesk-compose-engine-');
    run = await startEngine(dataDir);
    await run.client.request('accounts/add', { account: imapAccount(USER, dv.port, { smtpPort: smtp.port }) });
    const synced = await run.client.request('sync/once', { accountIds: [USER] });
    assert.ok(synced.ok, 'the account syncs');
  });
  after(async () => {
    await stopEngine(run);
    await smtp?.stop();
    await dv?.dispose();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  async function original(): Promise<{ messageId: number; folderId: number }> {
    const rows = await run!.client.request('messages/list', { accountId: USER, folderPath: 'INBOX' });
    const row = rows?.find((r) => r.subject === ORIGINAL.subject);
    assert.ok(row, 'the original is stored');
    return { messageId: row.id, folderId: row.folderId };
  }

  it('lists the accounts for From, with their identity and label', async () => {
    const accounts = await run!.client.request('compose/accounts', {});
    assert.deepEqual(
      accounts.map((a) => [a.id, a.label, a.from.address, a.signature]),
      [[USER, `${USER}@example.test`, `${USER}@example.test`, '']],
    );
  });

  it('fills in Reply all and Forward from the stored message; the forwarded file crosses as a blob', async () => {
    const key = await original();
    const all = await run!.client.request('compose/prefill', { ...key, mode: 'replyAll' });
    assert.equal(all.kind, 'Reply All');
    assert.equal(all.accountId, USER);
    assert.equal(all.to, 'Ann Lee <ann@partner.example.test>');
    assert.equal(all.cc, 'Bob Park <bob@partner.example.test>', 'reply all: the others, without myself');
    assert.equal(all.subject, `Re: ${ORIGINAL.subject}`);
    assert.equal(all.inReplyTo, ORIGINAL.messageId);
    assert.match(all.quote.text, /> Could you check the numbers\?/);
    assert.match(all.messageId, /^<.+@example\.test>$/);
    assert.deepEqual(all.attachments, [], 'a reply carries no attachments');

    const fwd = await run!.client.request('compose/prefill', { ...key, mode: 'forward' });
    assert.equal(fwd.kind, 'Forward');
    assert.equal(fwd.to, '');
    assert.equal(fwd.subject, `Fwd: ${ORIGINAL.subject}`);
    assert.equal(fwd.attachments.length, 1);
    const [att] = fwd.attachments;
    assert.equal(att.filename, 'report.pdf');
    assert.equal(att.size, REPORT.length);
    assert.ok(att.blob && !('content' in att), 'a blob hash, not the bytes');
  });

  it('a message that is gone says so, as a MailError with its fix', async () => {
    await assert.rejects(run!.client.request('compose/prefill', { messageId: 987654, folderId: 1, mode: 'reply' }), (e: unknown) => e instanceof MailError && e.code === 'folder.notFound' && /no longer in the store/.test(e.message) && /Refresh the folder/.test(e.describe()));
  });

  it('saves a forward as a draft, opens it again with its attachment and journal, lists it, and discards it', async () => {
    const { client } = run!;
    const fwd = await client.request('compose/prefill', { ...(await original()), mode: 'forward' });
    const meta: ComposeMeta = {
      accountId: USER,
      messageId: fwd.messageId,
      fields: fields({ to: 'carol@partner.example.test', subject: fwd.subject, body: 'See the **report**.', includeQuote: true }),
      quote: fwd.quote,
      kind: 'Forward',
      pending: true,
      initialBody: '',
    };
    const saved = await client.request('compose/save', { meta, attachments: fwd.attachments, remote: false });
    assert.ok(saved && !('stale' in saved));
    assert.equal(saved.server, 'skipped');
    assert.deepEqual(saved.attachments.map((a) => [a.filename, a.size]), [['report.pdf', REPORT.length]]);
    await client.request('compose/journal', { meta: { ...meta, draftId: saved.draftId, pending: false } });

    const d = await client.request('compose/openDraft', { accountId: USER, draftId: saved.draftId });
    assert.equal(d.messageId, fwd.messageId, 'the same Message-ID');
    assert.equal(d.to, 'carol@partner.example.test');
    assert.equal(d.status, 'draft');
    assert.deepEqual(d.attachments.map((a) => [a.filename, a.size]), [['report.pdf', REPORT.length]]);
    assert.equal(d.meta?.fields.body, 'See the **report**.', 'the Markdown source comes back from the journal');
    assert.equal(d.meta?.fields.format, 'markdown');

    const list = await client.request('compose/listDrafts', {});
    assert.deepEqual(list.map((a) => [a.accountId, a.accountLabel]), [[USER, `${USER}@example.test`]]);
    assert.ok(list[0].drafts.some((x) => x.id === saved.draftId && x.subject === fwd.subject && x.to.includes('carol@partner.example.test')));

    await client.request('compose/discard', { accountId: USER, messageId: fwd.messageId, draftId: saved.draftId });
    assert.ok(!(await client.request('compose/listDrafts', {}))[0].drafts.some((x) => x.id === saved.draftId), 'discarded');
    await assert.rejects(client.request('compose/openDraft', { accountId: USER, draftId: saved.draftId }), (e: unknown) => e instanceof MailError && e.code === 'folder.notFound');
  });

  it('suggests addresses from the stored mail, never my own, and leaves out those already typed', async () => {
    const { client } = run!;
    const found = await client.request('compose/complete', { query: 'ann', exclude: [], limit: 8 });
    assert.deepEqual(found.map((s) => s.label), ['Ann Lee <ann@partner.example.test>']);
    assert.ok(found[0].count >= 1);
    assert.deepEqual(await client.request('compose/complete', { query: 'writer', exclude: [], limit: 8 }), [], 'not my own address');
    assert.deepEqual(await client.request('compose/complete', { query: 'ann', exclude: ['ann@partner.example.test'], limit: 8 }), []);
  });

  it('sends a reply through mail/send once, with In-Reply-To and the quote, and the journal is dropped', async () => {
    const { client } = run!;
    const reply = await client.request('compose/prefill', { ...(await original()), mode: 'reply' });
    const meta: ComposeMeta = { accountId: USER, messageId: reply.messageId, fields: fields({ to: reply.to, subject: reply.subject, body: 'Looks **right**.', includeQuote: true }), quote: reply.quote, inReplyTo: reply.inReplyTo, references: reply.references, kind: 'Reply', pending: true, initialBody: '' };
    await client.request('compose/journal', { meta });
    const before = smtp.received.length;
    const [acc] = await client.request('compose/accounts', {});
    const r = await client.request('mail/send', { accountId: USER, input: { draft: toDraft(meta, acc.from, []) } });
    assert.ok(r.ok, `sent (${r.error?.message ?? ''})`);
    assert.equal(smtp.received.length, before + 1, 'exactly one message went out');
    const sent = await parseMessage(smtp.received[before].raw);
    assert.equal(sent.subject, `Re: ${ORIGINAL.subject}`);
    assert.equal(sent.inReplyTo, ORIGINAL.messageId);
    assert.match(sent.text ?? '', /^Looks \*\*right\*\*\.[\s\S]*> Could you check the numbers\?/);
    await client.request('compose/discard', { accountId: USER, messageId: reply.messageId });
    assert.ok(!(await client.request('compose/listDrafts', {}))[0].drafts.some((x) => x.messageId === reply.messageId), 'no draft is left of a sent message');
  });

  it('a journal left pending by a closed window is saved by the next engine, once; a draft being written now is left alone', async () => {
    const lost: ComposeMeta = { accountId: USER, messageId: '<lost-1@example.test>', fields: fields({ to: 'dana@partner.example.test', subject: 'Typed before the crash', body: 'the last *words*' }), kind: 'New Message', pending: true, initialBody: '' };
    const untouched: ComposeMeta = { accountId: USER, messageId: '<empty-1@example.test>', fields: fields(), kind: 'New Message', pending: true, initialBody: '' };
    await run!.client.request('compose/journal', { meta: lost });
    await run!.client.request('compose/journal', { meta: untouched, flush: true });
    // This engine's own journals are windows' drafts in progress: not recovered here.
    const here = await run!.client.request('compose/recover', {});
    assert.deepEqual(here, { recovered: [], failed: [] });

    // The window closes; the next engine on the folder catches up.
    await stopEngine(run);
    run = await startEngine(dataDir);
    const { client } = run;
    const writing: ComposeMeta = { ...lost, messageId: '<writing-1@example.test>', fields: fields({ subject: 'Being written in another window' }) };
    await client.request('compose/journal', { meta: writing });
    const r = await client.request('compose/recover', {});
    assert.deepEqual(r.failed, []);
    assert.deepEqual(r.recovered.map((x) => x.messageId), [lost.messageId], 'only the lost draft; the untouched one is dropped, the one being written is left alone');
    const d = await client.request('compose/openDraft', { accountId: USER, draftId: r.recovered[0].draftId });
    assert.equal(d.subject, 'Typed before the crash');
    assert.equal(d.to, 'dana@partner.example.test');
    assert.equal(d.meta?.pending, false, 'the journal is caught up');
    assert.equal(d.meta?.fields.body, 'the last *words*');
    const drafts = (await client.request('compose/listDrafts', {}))[0].drafts;
    assert.ok(!drafts.some((x) => x.messageId === untouched.messageId || x.messageId === writing.messageId), 'no draft for the untouched message nor for the one being written');
    assert.deepEqual(await client.request('compose/recover', {}), { recovered: [], failed: [] }, 'once per engine');
  });

  it('the last keystroke sent as the window closes is written: close() lets requests in flight finish', async () => {
    const last: ComposeMeta = { accountId: USER, messageId: '<closing-1@example.test>', fields: fields({ to: 'dana@partner.example.test', subject: 'Typed as the window closed', body: 'the very last words' }), kind: 'New Message', pending: true, initialBody: '' };
    // Not awaited: the journal leaves in the same tick as the close, as on a window's shutdown.
    const journaled = run!.client.request('compose/journal', { meta: last, flush: true });
    await stopEngine(run);
    await journaled;
    run = await startEngine(dataDir);
    const r = await run.client.request('compose/recover', {});
    // (The draft the previous test left being written is recovered now too: its window is gone.)
    assert.ok(r.recovered.some((x) => x.messageId === last.messageId), `the next engine finds the journal of the closing window: ${JSON.stringify(r.recovered)}`);
  });
});
