import * as assert from 'assert';
import PostalMime from 'postal-mime';
import { generateMailbox, generateStream, renderMessage, REMOTE_BANNER_URL, type GeneratedMessage } from '../../src/sandbox/mailgen';

const NOW = new Date('2026-06-15T12:00:00Z');

function header(m: GeneratedMessage, name: string): string | undefined {
  const head = m.raw.toString('latin1', 0, m.raw.indexOf('\r\n\r\n'));
  const match = new RegExp(`^${name}: (.*(?:\\r\\n[ \\t].*)*)`, 'mi').exec(head);
  return match ? match[1].replace(/\r\n[ \t]+/g, ' ') : undefined;
}

describe('mailgen', () => {
  it('gives byte-identical mail for the same seed and different mail for another seed', () => {
    const a = generateMailbox({ seed: 11, count: 60, now: NOW, sizeProfile: 'demo' });
    const b = generateMailbox({ seed: 11, count: 60, now: NOW, sizeProfile: 'demo' });
    const c = generateMailbox({ seed: 12, count: 60, now: NOW, sizeProfile: 'demo' });
    assert.strictEqual(a.length, 60);
    assert.deepStrictEqual(
      a.map((m) => [m.messageId, m.folder, m.flags]),
      b.map((m) => [m.messageId, m.folder, m.flags]),
    );
    assert.ok(a.every((m, i) => m.raw.equals(b[i].raw)));
    assert.notDeepStrictEqual(a.map((m) => m.messageId), c.map((m) => m.messageId));
  });

  it('uses CRLF only, 7-bit bytes and lines a mail server accepts', () => {
    for (const m of generateMailbox({ seed: 3, count: 120, now: NOW, sizeProfile: 'demo' })) {
      const text = m.raw.toString('latin1');
      assert.ok(!/[^\r]\n/.test(text), `bare LF in ${m.subject}`);
      assert.ok(!/[\x80-\xff]/.test(text), `8-bit byte in ${m.subject}`);
      assert.ok(text.split('\r\n').every((l) => l.length <= 998), `long line in ${m.subject}`);
    }
  });

  it('spreads dates over past months, oldest first, all before now', () => {
    const mail = generateMailbox({ seed: 5, count: 200, now: NOW, sizeProfile: 'demo' });
    const times = mail.map((m) => m.date.getTime());
    assert.ok(times.every((t, i) => i === 0 || t >= times[i - 1]));
    assert.ok(times[times.length - 1] < NOW.getTime());
    assert.ok(NOW.getTime() - times[0] > 90 * 86400000, 'oldest message is months old');
  });

  it('builds threads whose replies carry Re:, In-Reply-To and the References chain across Inbox and Sent', () => {
    const mail = generateMailbox({ seed: 42, count: 150, now: NOW, sizeProfile: 'demo' });
    const byId = new Map(mail.map((m) => [m.messageId, m]));
    const threads = new Map<string, GeneratedMessage[]>();
    for (const m of mail) threads.set(m.threadKey, [...(threads.get(m.threadKey) ?? []), m]);
    const multi = [...threads.values()].filter((t) => t.length > 1);
    assert.ok(multi.length >= 5, `only ${multi.length} threads`);
    assert.ok(multi.some((t) => t.some((m) => m.folder === 'Sent') && t.some((m) => m.folder === 'INBOX')), 'a thread spans Inbox and Sent');

    for (const thread of multi) {
      const [root, ...replies] = thread;
      assert.strictEqual(root.threadKey, root.messageId);
      assert.strictEqual(header(root, 'In-Reply-To'), undefined);
      for (const reply of replies) {
        assert.strictEqual(reply.subject, 'Re: ' + root.subject);
        const parentId = header(reply, 'In-Reply-To');
        assert.ok(parentId && byId.has(parentId), 'In-Reply-To names an earlier message');
        const parent = byId.get(parentId!)!;
        assert.strictEqual(parent.threadKey, root.messageId);
        assert.ok(parent.date < reply.date);
        const refs = header(reply, 'References')!.split(' ');
        assert.strictEqual(refs[0], root.messageId, 'References start at the thread root');
        assert.strictEqual(refs[refs.length - 1], parentId, 'References end at the parent');
      }
    }
    // Whoever I answered shows the reply arrow.
    const answered = mail.filter((m) => m.flags.includes('\\Answered'));
    assert.ok(answered.length > 0);
    assert.ok(answered.every((m) => mail.some((s) => s.folder === 'Sent' && header(s, 'In-Reply-To') === m.messageId)));
  });

  it('demo profile has the messages the demo shows off', async () => {
    const mail = generateMailbox({ seed: 42, count: 150, now: NOW, sizeProfile: 'demo' });
    const inbox = mail.filter((m) => m.folder === 'INBOX');
    const drafts = mail.filter((m) => m.folder === 'Drafts');
    assert.strictEqual(drafts.length, 1);
    assert.deepStrictEqual([...drafts[0].flags].sort(), ['\\Draft', '\\Seen']);
    assert.ok(inbox.some((m) => !m.flags.includes('\\Seen')), 'some unread');
    assert.ok(mail.some((m) => m.flags.includes('\\Flagged')), 'some flagged');
    assert.ok(mail.every((m) => m.folder !== 'Sent' || m.flags.includes('\\Seen')));
    for (const folder of ['INBOX', 'Sent', 'Archive', 'Projects/Website']) assert.ok(mail.some((m) => m.folder === folder), folder);

    const newsletter = inbox.find((m) => m.raw.includes(REMOTE_BANNER_URL));
    assert.ok(newsletter, 'a newsletter with a remote image');
    const nl = await PostalMime.parse(newsletter.raw);
    assert.ok(nl.html && nl.html.includes(`<img src="${REMOTE_BANNER_URL}"`));
    assert.ok(nl.html.includes('<table'));
    assert.ok(nl.headers.some((h) => h.key === 'list-unsubscribe'));

    const parsed = await Promise.all(inbox.map((m) => PostalMime.parse(m.raw)));
    const withPdf = parsed.find((p) => p.attachments.some((a) => a.mimeType === 'application/pdf'));
    assert.ok(withPdf, 'a message with a PDF');
    const pdf = withPdf.attachments.find((a) => a.mimeType === 'application/pdf')!;
    assert.match(pdf.filename ?? '', /\.pdf$/);
    assert.strictEqual(Buffer.from(pdf.content as ArrayBuffer).subarray(0, 5).toString(), '%PDF-');

    const withInline = parsed.find((p) => p.attachments.some((a) => a.related && a.contentId));
    assert.ok(withInline, 'a message with an inline image');
    const img = withInline.attachments.find((a) => a.contentId)!;
    assert.strictEqual(img.mimeType, 'image/png');
    assert.ok(withInline.html!.includes(`cid:${img.contentId!.replace(/[<>]/g, '')}`), 'HTML refers to the inline image');
    assert.strictEqual(Buffer.from(img.content as ArrayBuffer).subarray(1, 4).toString(), 'PNG');
  });

  it('every message parses, with the subject, sender and Unicode names it was built with', async () => {
    const mail = generateMailbox({ seed: 9, count: 150, now: NOW, sizeProfile: 'demo' });
    let unicodeNames = 0;
    let unicodeSubjects = 0;
    for (const m of mail) {
      const p = await PostalMime.parse(m.raw);
      assert.strictEqual(p.subject, m.subject);
      assert.strictEqual(p.from?.address, m.from);
      assert.strictEqual(p.messageId, m.messageId);
      assert.ok(p.text && p.text.length > 20, 'has a text body');
      assert.ok(p.html && p.html.includes('</html>'), 'has an HTML body');
      const names = [p.from, ...(p.to ?? []), ...(p.cc ?? [])].map((a) => a?.name ?? '');
      if (names.some((n) => /[^\t\r\n -~]/.test(n))) unicodeNames++;
      if (/[^\t\r\n -~]/.test(p.subject ?? '')) unicodeSubjects++;
    }
    assert.ok(unicodeNames > 0, 'RFC 2047 names decode to Unicode');
    assert.ok(unicodeSubjects > 0, 'RFC 2047 subjects decode to Unicode');
  });

  it('bench profile: mostly 2–30 KB, about 2% with 100 KB–2 MB attachments, fast enough for 10k', async function () {
    this.timeout(30000);
    // CPU time of this process, not the wall clock: a busy CI host must not fail it.
    const started = process.cpuUsage();
    let count = 0;
    const plain: number[] = [];
    const withAttachment: GeneratedMessage[] = [];
    for (const m of generateStream({ seed: 1, count: 10000, now: NOW, sizeProfile: 'bench' })) {
      count++;
      if (m.raw.includes('\r\nContent-Disposition: attachment')) withAttachment.push(m);
      else plain.push(m.raw.length);
    }
    const used = process.cpuUsage(started);
    const elapsed = Math.round((used.user + used.system) / 1000);
    assert.strictEqual(count, 10000);
    // About 3 s of CPU on this machine; the bound is for work that grows out of proportion.
    assert.ok(elapsed < 15000, `10k messages took ${elapsed} ms`);
    assert.ok(plain.every((n) => n >= 2048 && n <= 30 * 1024), `sizes ${Math.min(...plain)}..${Math.max(...plain)}`);
    plain.sort((a, b) => a - b);
    const median = plain[plain.length >> 1];
    assert.ok(median > 4000 && median < 16000, `median ${median}`);
    assert.ok(withAttachment.length >= 120 && withAttachment.length <= 300, `${withAttachment.length} with attachments`);

    // Decoded attachment sizes follow the asked range; check a sample by parsing.
    for (const m of withAttachment.slice(0, 25)) {
      const p = await PostalMime.parse(m.raw);
      assert.strictEqual(p.attachments.length, 1);
      const a = p.attachments[0];
      const size = (a.content as ArrayBuffer).byteLength;
      assert.ok(size >= 95 * 1024 && size <= 2.1 * 1024 * 1024, `${a.filename} is ${size} bytes`);
      assert.ok(['application/pdf', 'image/png', 'text/csv'].includes(a.mimeType), a.mimeType);
    }
  });

  it('renderMessage takes attachment sizes from the caller', async () => {
    const raw = renderMessage({
      from: { name: 'Zoë Lefèvre', address: 'zoe@example.test' },
      to: [{ name: 'Sam Rivera', address: 'sam@example.test' }],
      subject: 'Überblick ✅ Q3',
      date: NOW,
      messageId: '<one@example.test>',
      paragraphs: ['Hello', 'See attached.'],
      attachments: [
        { kind: 'csv', filename: 'data.csv', size: 5000 },
        { kind: 'png', filename: 'shot.png', size: 150000 },
      ],
    });
    const p = await PostalMime.parse(raw);
    assert.strictEqual(p.subject, 'Überblick ✅ Q3');
    assert.strictEqual(p.from?.name, 'Zoë Lefèvre');
    const [csv, png] = p.attachments;
    assert.strictEqual((csv.content as ArrayBuffer).byteLength, 5000);
    assert.ok(Math.abs((png.content as ArrayBuffer).byteLength - 150000) < 2000);
  });
});
