import * as assert from 'node:assert/strict';
import { type DraftDocument, draftFileName, formatDraftDocument, keptAttachments, parseDraftDocument } from '../../src/extension/compose/draftDocument';

const doc = (h: Partial<DraftDocument['headers']> = {}, body = 'Hello **Ann**.\n'): DraftDocument => ({
  headers: { from: 'Sam Rivera <sam@example.test>', to: '', cc: '', bcc: '', subject: '', ...h },
  body,
});

function parsed(text: string): DraftDocument {
  const r = parseDraftDocument(text);
  if (!r.ok) assert.fail(`expected a parse, got: ${r.problem}`);
  return r.doc;
}

function problem(text: string): string {
  const r = parseDraftDocument(text);
  if (r.ok) assert.fail(`expected a problem, parsed: ${JSON.stringify(r.doc)}`);
  return r.problem;
}

describe('compose in the editor: the header block', () => {
  it('formats a new message as front matter, one empty line, then the body', () => {
    assert.equal(
      formatDraftDocument(doc({ to: 'Ann Lee <ann@example.test>', subject: 'Plan' })),
      '---\nFrom: Sam Rivera <sam@example.test>\nTo: Ann Lee <ann@example.test>\nCc:\nBcc:\nSubject: Plan\n---\n\nHello **Ann**.\n',
    );
  });

  it('round-trips every field, the quote switch, attachments and a body with its own "---" and blank lines', () => {
    const cases: DraftDocument[] = [
      doc(),
      doc({ to: 'a@x.test, "Lee, Ann" <ann@x.test>', cc: 'c@x.test', bcc: 'b@x.test', subject: 'Re: Plan: v2 — ünïcode' }, '\n\nStarts with blank lines\n\n---\n\nand a rule.'),
      doc({ quote: true, attachments: ['a.pdf', 'b c.png'] }, ''),
      doc({ quote: false, attachments: ['weird, name.txt', 'other.txt'] }, 'x'),
    ];
    for (const d of cases) assert.deepEqual(parsed(formatDraftDocument(d)), d);
  });

  it('reads what a person types: any case, no space after the colon, missing optional lines, CRLF, folded recipients', () => {
    const d = parsed('\n---\r\nfrom:sam@example.test\r\nSUBJECT:  Hi \r\nto: a@x.test,\r\n  b@x.test\r\n---\r\nBody line 1\r\nline 2');
    assert.deepEqual(d, { headers: { from: 'sam@example.test', to: 'a@x.test, b@x.test', cc: '', bcc: '', subject: 'Hi' }, body: 'Body line 1\r\nline 2' });
  });

  it('keeps a subject on one line when formatting', () => {
    assert.match(formatDraftDocument(doc({ subject: 'two\nlines' })), /\nSubject: two lines\n/);
  });

  it('names the problem and the fix for a broken block', () => {
    assert.match(problem('Hello, no header'), /header block is missing.*must begin with a line "---"/);
    assert.match(problem('---\nFrom: a@x.test\nTo: b@x.test\nHello'), /not a header: write it as "Name: value"/);
    assert.match(problem('---\nFrom: a@x.test\nTo: b@x.test\n'), /not closed: add a line "---"/);
    assert.match(problem('---\nFrom: a@x.test\nReply-To: b@x.test\n---\n'), /"Reply-To" is not a header MailDesk knows\. Use From, To/);
    assert.match(problem('---\nFrom: a@x.test\nTo: b@x.test\nTo: c@x.test\n---\n'), /"To" is written twice\. Keep one To line/);
    assert.match(problem('---\nTo: b@x.test\n---\n'), /From line is missing/);
    assert.match(problem('---\nFrom: a@x.test\nQuote: maybe\n---\n'), /Quote: "maybe" is neither yes nor no/);
    assert.match(problem('---\n  b@x.test\nFrom: a@x.test\n---\n'), /begins with a space but there is no header above/);
  });

  it('keeps the attachments still listed, removes those left out, and refuses a name that is not attached', () => {
    const all = [{ n: 'a.pdf' }, { n: 'b.png' }, { n: 'a.pdf' }];
    const name = (a: { n: string }): string => a.n;
    assert.deepEqual(keptAttachments(all, name, undefined), { ok: true, kept: all });
    assert.deepEqual(keptAttachments(all, name, ['a.pdf', 'a.pdf']), { ok: true, kept: [all[0], all[2]] });
    const r = keptAttachments(all, name, ['b.png', 'new.doc']);
    assert.equal(r.ok, false);
    assert.match(!r.ok ? r.problem : '', /"new\.doc" is not attached to this message.*maildesk\.compose\.editor/);
  });

  it('names the tab after the subject, safe as a file name', () => {
    assert.equal(draftFileName('Re: Plan/Q3?', 'Reply'), 'Re- Plan-Q3-.md');
    assert.equal(draftFileName('  ', 'New Message'), 'New Message.md');
  });
});
