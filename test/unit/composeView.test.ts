import * as assert from 'node:assert/strict';
import { parseMessage } from '../../src/core/mime/parse';
import { composeMessage, replyDraft } from '../../src/core/send/compose';
import { MailStore } from '../../src/core/store/store';
import { deleteMeta, pendingMetas, readMeta, writeMeta } from '../../src/engine/areas/composeJournal';
import { addressText, attachmentList, completionItem, type ComposeMeta, isUntouched, sendProblem, signatureOf, toDraft } from '../../src/extension/compose/model';
import { applyCompletion, currentToken, parseComposeMessage, type ComposeFields } from '../../src/shared/protocol/compose';

const fields = (f: Partial<ComposeFields> = {}): ComposeFields => ({ accountId: 'a', to: '', cc: '', bcc: '', subject: '', body: '', format: 'markdown', includeQuote: true, ...f });
const meta = (m: Partial<ComposeMeta> = {}): ComposeMeta => ({ accountId: 'a', messageId: '<m1@example.test>', fields: fields(), kind: 'New Message', pending: true, initialBody: '', ...m });
const ME = { name: 'Sam Rivera', address: 'sam@example.test' };

describe('compose view model: the draft that is saved and sent', () => {
  it('a reply built from the original keeps In-Reply-To, References, "Re:" and the quote below the text', async () => {
    const original = await parseMessage(
      Buffer.from(
        'Message-ID: <orig@example.test>\r\nReferences: <root@example.test>\r\nFrom: Ann Lee <ann@example.test>\r\nTo: sam@example.test, bob@example.test\r\nCc: Sam Rivera <SAM@example.test>\r\n' +
          'Subject: Re: Budget\r\nDate: Mon, 2 Jun 2025 09:00:00 +0000\r\nContent-Type: text/plain\r\n\r\nCan you check the numbers?\r\n',
      ),
    );
    const d = replyDraft(original, { all: true, self: [ME.address], from: ME });
    const m = meta({ kind: 'Reply All', fields: fields({ to: addressText(d.to), cc: addressText(d.cc), subject: d.subject!, body: 'Looks **right**.' }), quote: { html: d.html!, text: d.text! }, inReplyTo: d.inReplyTo, references: d.references });
    assert.equal(m.fields.to, 'Ann Lee <ann@example.test>');
    assert.equal(m.fields.cc, 'bob@example.test', 'reply all: without myself, without duplicates');
    const built = await composeMessage({ ...toDraft(m, ME, []), messageId: m.messageId }, ME);
    const p = await parseMessage(built.raw);
    assert.equal(p.subject, 'Re: Budget', 'no "Re: Re:"');
    assert.equal(p.inReplyTo, '<orig@example.test>');
    assert.deepEqual(p.references, ['<root@example.test>', '<orig@example.test>']);
    assert.match(p.text ?? '', /^Looks \*\*right\*\*\.\n\nOn .*Ann Lee <ann@example\.test> wrote:\n> Can you check the numbers\?/);
    assert.match(p.htmlParts[0], /<p>Looks <strong>right<\/strong>\.<\/p>.*<blockquote/s);
  });

  it('leaves the quote out when the user unticks "Include the original message"', () => {
    const d = toDraft(meta({ fields: fields({ body: 'Hi', includeQuote: false }), quote: { html: '<blockquote>q</blockquote>', text: '> q' } }), ME, []);
    assert.equal(d.text, 'Hi\n');
    assert.doesNotMatch(d.html ?? '', /blockquote/);
  });

  it('Send is refused with the reason for missing or malformed recipients', () => {
    assert.equal(sendProblem(fields({ subject: 'x' })), 'Add at least one recipient in To, Cc or Bcc.');
    assert.match(sendProblem(fields({ to: 'ann@example.test, bob at example' }))!, /not an e-mail address: "bob at example"/);
    assert.equal(sendProblem(fields({ bcc: 'ann@example.test' })), undefined);
  });

  it('a new message closed untouched is not kept; anything written is', () => {
    const sig = '\n\n-- \nSam';
    assert.ok(isUntouched(meta({ initialBody: sig, fields: fields({ body: sig }) }), 0));
    assert.ok(!isUntouched(meta({ initialBody: sig, fields: fields({ body: `Hi${sig}` }) }), 0));
    assert.ok(!isUntouched(meta({ fields: fields({ subject: 'x' }) }), 0));
    assert.ok(!isUntouched(meta(), 1), 'an attachment counts');
    assert.ok(!isUntouched(meta({ kind: 'Reply' }), 0), 'a reply is kept');
  });

  it('the journal survives in the store and lists only drafts with unsaved changes', async () => {
    const store = await MailStore.open({});
    try {
      writeMeta(store, meta({ messageId: '<a@x>', pending: true, fields: fields({ body: 'typed just before the crash' }) }));
      writeMeta(store, meta({ messageId: '<b@x>', pending: false }));
      assert.deepEqual(pendingMetas(store).map((m) => m.fields.body), ['typed just before the crash']);
      assert.equal(readMeta(store, 'a', '<b@x>')?.pending, false);
      deleteMeta(store, 'a', '<a@x>');
      assert.deepEqual(pendingMetas(store), []);
    } finally {
      store.close();
    }
  });
});

describe('compose protocol', () => {
  it('Send + Archive is a send with archive: true; anything else there is dropped', () => {
    assert.deepEqual(parseComposeMessage({ type: 'send', fields: fields(), archive: true }), { type: 'send', fields: fields(), archive: true });
    assert.deepEqual(parseComposeMessage({ type: 'send', fields: fields(), archive: false }), { type: 'send', fields: fields() }, 'a plain send archives nothing');
    assert.deepEqual(parseComposeMessage({ type: 'send', fields: fields() }), { type: 'send', fields: fields() });
    assert.equal(parseComposeMessage({ type: 'send', fields: fields(), archive: 'yes' }), undefined);
  });

  it('drops malformed messages from the page', () => {
    assert.equal(parseComposeMessage({ type: 'send', fields: { ...fields(), format: 'html' } }), undefined);
    assert.deepEqual(parseComposeMessage({ type: 'checkAi', fields: fields() }), { type: 'checkAi', fields: fields() }, 'Check with AI carries the draft as typed');
    assert.equal(parseComposeMessage({ type: 'checkAi' }), undefined);
    assert.equal(parseComposeMessage({ type: 'changed', fields: { ...fields(), to: 5 } }), undefined);
    assert.equal(parseComposeMessage({ type: 'removeAttachment', index: -1 }), undefined);
    assert.equal(parseComposeMessage({ type: 'complete', field: 'from', query: 'a', requestId: 1 }), undefined);
    assert.equal(parseComposeMessage({ type: 'runCommand' }), undefined);
    assert.deepEqual(parseComposeMessage({ type: 'complete', field: 'cc', query: 'an', requestId: 3 }), { type: 'complete', field: 'cc', query: 'an', requestId: 3 });
    assert.deepEqual(parseComposeMessage({ type: 'send', fields: fields({ to: 'a@x.test' }) }), { type: 'send', fields: fields({ to: 'a@x.test' }) });
  });

  it('carries the choices of a draft changed in another window: Reload, Keep mine, and a form kept because it had changes on the way', () => {
    assert.deepEqual(parseComposeMessage({ type: 'reload' }), { type: 'reload' });
    assert.deepEqual(parseComposeMessage({ type: 'keepMine', extra: 1 }), { type: 'keepMine' }, 'nothing else crosses');
    assert.deepEqual(parseComposeMessage({ type: 'replaceRefused', fields: fields({ body: 'mine' }) }), { type: 'replaceRefused', fields: fields({ body: 'mine' }) });
    assert.equal(parseComposeMessage({ type: 'replaceRefused' }), undefined, 'a refusal without the form is dropped');
    assert.equal(parseComposeMessage({ type: 'replaceRefused', fields: { ...fields(), body: 7 } }), undefined);
    assert.deepEqual(parseComposeMessage({ type: 'changed', fields: fields(), gen: 2 }), { type: 'changed', fields: fields(), gen: 2 }, 'a change says which version from the other window it follows');
    assert.deepEqual(parseComposeMessage({ type: 'changed', fields: fields() }), { type: 'changed', fields: fields() });
    assert.equal(parseComposeMessage({ type: 'changed', fields: fields(), gen: -1 }), undefined);
    assert.equal(parseComposeMessage({ type: 'changed', fields: fields(), gen: '2' }), undefined);
  });

  it('completes the address being typed, after commas outside quotes', () => {
    assert.deepEqual(currentToken('"Lee, Ann" <a@x>, jo'), { start: 18, token: 'jo' });
    assert.deepEqual(currentToken('"Lee, An'), { start: 0, token: '"Lee, An' });
    const r = applyCompletion('ann@x.test; jo', 14, 'Joanna Park <joanna@x.test>');
    assert.deepEqual(r, { value: 'ann@x.test; Joanna Park <joanna@x.test>, ', caret: 41 });
    const mid = applyCompletion('jo, bob@x.test', 2, 'joanna@x.test');
    assert.equal(mid.value, 'joanna@x.test, bob@x.test');
  });
});

describe('compose view model: what the window adds to the engine\'s data', () => {
  const account = { id: 'a', label: 'Sam Rivera <sam@example.test>', from: ME, signature: 'Sam (stored)' };

  it('the signature setting of the window wins over the one in the store, per account', () => {
    assert.equal(signatureOf(account, { a: 'Sam (setting)' }), 'Sam (setting)');
    assert.equal(signatureOf(account, { b: 'someone else' }), 'Sam (stored)');
    assert.equal(signatureOf(account, { a: 42 }), 'Sam (stored)', 'a setting that is not text is ignored');
    assert.equal(signatureOf(account, undefined), 'Sam (stored)');
  });

  it('lists attachments by name and size, files by their base name', () => {
    assert.deepEqual(attachmentList([{ path: '/home/sam/q3/report.pdf', size: 12 }, { filename: 'fwd.txt', blob: 'ab12', size: 3 }, { blob: 'cd34' }]), [
      { name: 'report.pdf', size: 12 },
      { name: 'fwd.txt', size: 3 },
      { name: 'attachment', size: 0 },
    ]);
  });

  it('says in how many messages a suggested address was seen', () => {
    assert.deepEqual(completionItem({ label: 'Ann <ann@x.test>', count: 1 }), { label: 'Ann <ann@x.test>', detail: '1 message' });
    assert.equal(completionItem({ label: 'b@x.test', count: 3 }).detail, '3 messages');
  });
});
