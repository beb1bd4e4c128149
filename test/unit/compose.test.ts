import * as assert from 'node:assert/strict';
import type { AccountConfig } from '../../src/core/config';
import { parseMessage, type ParsedMessage } from '../../src/core/mime/parse';
import {
  composeMessage,
  forwardDraft,
  forwardSubject,
  newMessageId,
  parseAddresses,
  replyDraft,
  replyReferences,
  replySubject,
} from '../../src/core/send/compose';
import { classifySendError, resolveDraftsFolder, resolveSentFolder } from '../../src/core/send/rules';
import { stripBcc } from '../../src/core/send/sender';
import type { FolderRow } from '../../src/core/store/store';

function parsed(p: Partial<ParsedMessage>): ParsedMessage {
  return { references: [], subject: '', to: [], cc: [], bcc: [], replyTo: [], htmlParts: [], bodyParts: [], attachments: [], headers: [], truncated: false, warnings: [], ...p };
}

function folder(path: string, role: FolderRow['role'] = null, remoteExists = true): FolderRow {
  return { id: path.length, accountId: 'a', path, name: path.split('/').pop()!, delimiter: '/', role, specialUse: null, selected: true, remoteExists, remoteTotal: 0, remoteUnread: 0 };
}

const account: AccountConfig = { id: 'a', provider: 'imap', email: 'me@example.test' };

describe('compose: addresses', () => {
  it('reads names with commas, groups and ";" separators, and names what is not an address', () => {
    const r = parseAddresses(['"Doe, Jane" <jane@example.test>; bob@example.test', 'Team: c@example.test, d@example.test;', 'not-an-address', 'Eve <eve@>']);
    assert.deepEqual(
      r.addresses.map((a) => a.address),
      ['jane@example.test', 'bob@example.test', 'c@example.test', 'd@example.test'],
    );
    assert.equal(r.addresses[0].name, 'Doe, Jane');
    assert.deepEqual(r.invalid, ['not-an-address', 'eve@']);
  });

  it('makes Message-IDs in the sender domain, never the same twice', () => {
    const a = newMessageId('me@example.test');
    assert.match(a, /^<[0-9a-f-]{36}@example\.test>$/);
    assert.notEqual(a, newMessageId('me@example.test'));
  });
});

describe('compose: the message', () => {
  it('keeps Bcc out of what is sent but in the copy, and puts every recipient in the envelope', async () => {
    const c = await composeMessage(
      { messageId: '<m1@example.test>', to: ['Ann <ann@example.test>'], cc: ['cc@example.test'], bcc: ['secret@example.test'], subject: 'Grüße', text: 'hello' },
      { name: 'Me', address: 'me@example.test' },
    );
    const sent = c.raw.toString();
    assert.doesNotMatch(sent, /^Bcc:/im);
    assert.match(c.rawWithBcc.toString(), /^Bcc: secret@example\.test/im);
    assert.match(sent, /^Message-ID: <m1@example\.test>/m);
    assert.match(sent, /^From: Me <me@example\.test>/m);
    assert.deepEqual(c.envelope, { from: 'me@example.test', to: ['ann@example.test', 'cc@example.test', 'secret@example.test'] });
    const back = await parseMessage(c.raw);
    assert.equal(back.subject, 'Grüße');
  });

  it('keeps the same Message-ID when the same draft is built again (a retry)', async () => {
    const d = { messageId: '<same@example.test>', to: ['a@example.test'], subject: 's', text: 't' };
    const one = await composeMessage(d, { address: 'me@example.test' }, [], new Date(0));
    const two = await composeMessage(d, { address: 'me@example.test' }, [], new Date(1000));
    assert.equal((await parseMessage(one.raw)).messageId, (await parseMessage(two.raw)).messageId);
  });

  it('writes text and HTML parts and attachments a reader can open', async () => {
    const c = await composeMessage(
      { messageId: '<att@example.test>', to: ['a@example.test'], subject: 's', text: 'plain', html: '<p>rich</p>' },
      { address: 'me@example.test' },
      [{ filename: 'notes.txt', content: Buffer.from('file body') }],
    );
    const m = await parseMessage(c.raw);
    assert.match(c.raw.toString(), /multipart\/alternative[\s\S]*text\/plain[\s\S]*plain[\s\S]*text\/html[\s\S]*<p>rich<\/p>/);
    assert.match(m.htmlParts[0], /rich/);
    assert.equal(m.attachments[0].filename, 'notes.txt');
    assert.equal(Buffer.from(m.attachments[0].content).toString(), 'file body');
  });

  it('removes Bcc (with folded lines) from a message given whole', () => {
    const raw = Buffer.from('From: a@x.test\r\nBcc: one@x.test,\r\n two@x.test\r\nSubject: s\r\n\r\nBcc: in the body stays\r\n');
    const out = stripBcc(raw).toString();
    assert.equal(out, 'From: a@x.test\r\nSubject: s\r\n\r\nBcc: in the body stays\r\n');
  });
});

describe('compose: replies and forwards', () => {
  it('"Re:" and "Fwd:" never stack', () => {
    assert.equal(replySubject('Lunch'), 'Re: Lunch');
    assert.equal(replySubject('Re: Lunch'), 'Re: Lunch');
    assert.equal(replySubject('RE: Re[2]: AW: Lunch'), 'Re: Lunch');
    assert.equal(replySubject('Fwd: Lunch'), 'Re: Fwd: Lunch');
    assert.equal(forwardSubject('Lunch'), 'Fwd: Lunch');
    assert.equal(forwardSubject('Fwd: FW: Lunch'), 'Fwd: Lunch');
    assert.equal(forwardSubject('Re: Lunch'), 'Fwd: Re: Lunch');
    assert.equal(replySubject(''), 'Re:');
  });

  it('References: the parent chain plus the parent; In-Reply-To alone when there is no chain', () => {
    assert.deepEqual(replyReferences({ messageId: '<c@x>', inReplyTo: '<b@x>', references: ['<a@x>', '<b@x>'] }), ['<a@x>', '<b@x>', '<c@x>']);
    assert.deepEqual(replyReferences({ messageId: '<c@x>', inReplyTo: '<b@x>', references: [] }), ['<b@x>', '<c@x>']);
    assert.deepEqual(replyReferences({ messageId: '<a@x>', references: [] }), ['<a@x>']);
    const long = Array.from({ length: 40 }, (_, i) => `<r${i}@x>`);
    const r = replyReferences({ messageId: '<new@x>', references: long });
    assert.equal(r.length, 20);
    assert.equal(r[0], '<r0@x>');
    assert.equal(r[r.length - 1], '<new@x>');
  });

  const parent = parsed({
    messageId: '<p@x>',
    references: ['<root@x>'],
    subject: 'Plans',
    from: { name: 'Bob', address: 'bob@example.test' },
    to: [{ name: 'Me', address: 'ME@example.test' }, { name: 'Ann', address: 'ann@example.test' }],
    cc: [{ name: '', address: 'carl@example.test' }],
    date: new Date(Date.UTC(2026, 0, 2, 10, 0)),
    text: 'line one\n> older\n',
    htmlParts: ['<p onclick="x()">hi <img src="https://tracker.test/p.gif"></p>'],
  });

  it('reply goes to the sender, reply-all adds the others but never me', () => {
    const r = replyDraft(parent, { self: ['me@example.test'] });
    assert.deepEqual((r.to as Array<{ address: string }>).map((a) => a.address), ['bob@example.test']);
    assert.deepEqual(r.cc, []);
    const all = replyDraft(parent, { all: true, self: ['me@example.test'] });
    assert.deepEqual((all.cc as Array<{ address: string }>).map((a) => a.address), ['ann@example.test', 'carl@example.test']);
    assert.equal(all.subject, 'Re: Plans');
    assert.equal(all.inReplyTo, '<p@x>');
    assert.deepEqual(all.references, ['<root@x>', '<p@x>']);
  });

  it('quotes the parent: ">" in text, a sanitised blockquote in HTML', () => {
    const r = replyDraft(parent, { self: [] });
    assert.match(r.text!, /Bob <bob@example\.test> wrote:\n> line one\n>> older/);
    assert.match(r.html!, /<blockquote[^>]*>/);
    assert.doesNotMatch(r.html!, /onclick|tracker\.test/);
  });

  it('replying to my own sent message goes to its recipients', () => {
    const mine = parsed({ ...parent, from: { name: 'Me', address: 'me@example.test' }, to: [{ name: 'Ann', address: 'ann@example.test' }] });
    const r = replyDraft(mine, { self: ['me@example.test'] });
    assert.deepEqual((r.to as Array<{ address: string }>).map((a) => a.address), ['ann@example.test']);
  });

  it('forward carries the original header block and attachments', () => {
    const f = forwardDraft(
      parsed({ ...parent, attachments: [{ id: '1', filename: 'a.pdf', mimeType: 'application/pdf', size: 3, inline: false, content: new Uint8Array([1, 2, 3]) }] }),
    );
    assert.equal(f.subject, 'Fwd: Plans');
    assert.match(f.text!, /Forwarded message[\s\S]*From: Bob <bob@example\.test>[\s\S]*Subject: Plans/);
    assert.equal(f.attachments?.[0].filename, 'a.pdf');
    assert.deepEqual([...f.attachments![0].content!], [1, 2, 3]);
  });
});

describe('send rules', () => {
  it('Sent folder: the configured one, else \\Sent, else the usual names; a missing one names the fix', () => {
    assert.equal(resolveSentFolder(account, [folder('INBOX', 'inbox'), folder('Gesendet', 'sent'), folder('Sent')]).path, 'Gesendet');
    assert.equal(resolveSentFolder(account, [folder('INBOX', 'inbox'), folder('Archive/Sent'), folder('Sent Items')]).path, 'Sent Items');
    assert.equal(resolveSentFolder({ ...account, sentFolder: 'Out' }, [folder('Out'), folder('Sent', 'sent')]).path, 'Out');
    assert.throws(() => resolveSentFolder(account, [folder('INBOX', 'inbox'), folder('Outgoing')]), (e: Error & { code?: string }) => {
      assert.equal(e.code, 'folder.notFound');
      assert.match(e.message, /sentFolder/);
      assert.match(e.message, /Select Folders for Sync/);
      assert.match(e.message, /Outgoing/);
      return true;
    });
    assert.throws(() => resolveSentFolder({ ...account, sentFolder: 'Gone' }, [folder('Gone', null, false), folder('Sent', 'sent')]), /"Gone".*does not exist/);
    assert.equal(resolveDraftsFolder([folder('INBOX', 'inbox'), folder('Drafts')])?.path, 'Drafts');
  });

  it('classifies SMTP failures: 4xx retried, 5xx not, lost answer after DATA is "maybe sent"', () => {
    const t = (e: object) => {
      const f = classifySendError(Object.assign(new Error('x'), e));
      return [f.error.code, f.retry, f.maybeSent];
    };
    assert.deepEqual(t({ code: 'EMESSAGE', command: 'DATA', responseCode: 451, response: '451 4.3.0 later' }), ['send.tempFailure', true, false]);
    assert.deepEqual(t({ code: 'EMESSAGE', command: 'DATA', responseCode: 554, response: '554 5.7.1 no' }), ['send.rejected', false, false]);
    assert.deepEqual(t({ code: 'EENVELOPE', command: 'RCPT TO', responseCode: 550, response: '550 5.1.1 unknown user' }), ['send.rejected', false, false]);
    assert.deepEqual(t({ code: 'EMESSAGE', command: 'DATA', responseCode: 552, response: '552 5.3.4 too big' }), ['send.tooLarge', false, false]);
    assert.deepEqual(t({ code: 'EAUTH', command: 'AUTH PLAIN', responseCode: 535, response: '535 bad' }), ['auth.failed', false, false]);
    assert.deepEqual(t({ code: 'ECONNECTION', command: 'CONN', dataSent: true }), ['net.reset', false, true]);
    assert.deepEqual(t({ code: 'ECONNECTION', command: 'CONN', message: 'Connection closed unexpectedly' }), ['net.reset', true, false]);
    assert.deepEqual(t({ code: 'ESOCKET', response: 'connect ECONNREFUSED 127.0.0.1:1' }), ['net.refused', true, false]);
    assert.match(classifySendError(Object.assign(new Error('x'), { code: 'EENVELOPE', command: 'RCPT TO', responseCode: 550, response: '550 5.1.1 unknown user' })).error.message, /refused the recipients: 550 5\.1\.1 unknown user/);
  });
});
