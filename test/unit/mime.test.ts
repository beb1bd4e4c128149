import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseMessage } from '../../src/core/mime/parse';

const fixture = (name: string): Buffer => readFileSync(join(__dirname, '..', 'fixtures', 'mail', name));
const HDR = 'From: Alice <alice@example.com>\r\nTo: bob@example.org\r\nSubject: big one\r\nDate: Tue, 03 Mar 2026 10:15:00 +0000\r\nMIME-Version: 1.0\r\n';

/**
 * The parse's own CPU time in ms (this process, user + system), not the wall clock: the bound
 * is there to catch work that grows with the input (a parser that walks 30 MB line by line),
 * and a busy machine that keeps the test waiting for a core must not fail it.
 */
async function timed<T>(f: () => Promise<T>): Promise<[T, number]> {
  const t = process.cpuUsage();
  const r = await f();
  const d = process.cpuUsage(t);
  return [r, Math.round((d.user + d.system) / 1000)];
}

describe('parseMessage', () => {
  it('reads headers, addresses, threading ids and the HTML alternative', async () => {
    const m = await parseMessage(fixture('alternative.eml'));
    assert.equal(m.subject, 'Quarterly report ✓');
    assert.deepEqual(m.from, { name: 'Alice Example', address: 'alice@example.com' });
    assert.deepEqual(m.to.map((a) => a.address), ['bob@example.org', 'carol@example.org']);
    assert.deepEqual(m.cc, [{ name: 'Team', address: 'team@example.org' }]);
    assert.equal(m.messageId, '<alt-1@example.com>');
    assert.equal(m.inReplyTo, '<prev@example.com>');
    assert.deepEqual(m.references, ['<root@example.com>', '<prev@example.com>']);
    assert.equal(m.date?.toISOString(), '2026-03-03T10:15:00.000Z');
    assert.equal(m.htmlParts.length, 1, 'one alternative shown, not both');
    assert.match(m.htmlParts[0], /report<\/a> is ready/, 'quoted-printable soft break decoded');
    assert.match(m.text ?? '', /report is at https:\/\/reports\.example\.com\/q1/);
    assert.equal(m.truncated, false);
  });

  it('keeps several HTML parts apart and in order with the text part between them', async () => {
    const m = await parseMessage(fixture('mixed-two-html.eml'));
    assert.equal(m.htmlParts.length, 2);
    assert.match(m.htmlParts[0], /First part/);
    assert.match(m.htmlParts[1], /Second part/);
    assert.deepEqual(m.bodyParts.map((b) => b.kind), ['html', 'text', 'html']);
    assert.equal(m.attachments.length, 1);
    assert.equal(m.attachments[0].filename, 'report.pdf');
    assert.equal(m.attachments[0].inline, false);
    assert.equal(Buffer.from(m.attachments[0].content).toString('latin1'), '%PDF-1.4\n');
  });

  it('exposes inline images with their Content-ID for cid: mapping', async () => {
    const m = await parseMessage(fixture('related-cid.eml'));
    assert.equal(m.attachments.length, 1);
    const a = m.attachments[0];
    assert.equal(a.contentId, 'logo@shop');
    assert.equal(a.inline, true);
    assert.equal(a.mimeType, 'image/png');
    assert.equal(a.id, 'part-1');
    assert.deepEqual([...a.content.subarray(0, 4)], [0x89, 0x50, 0x4e, 0x47]);
    assert.equal((await parseMessage(fixture('related-cid.eml'))).attachments[0].id, a.id, 'ids are stable');
  });

  it('shows a forwarded message with its headers', async () => {
    const m = await parseMessage(fixture('forwarded.eml'));
    assert.match(m.text ?? '', /Forwarded message[\s\S]*From: Alice <alice@example\.com>[\s\S]*Subject: hello/);
    assert.equal(m.htmlParts.length, 1);
  });

  it('decodes legacy charsets and derives plain text for HTML-only mail', async () => {
    const m = await parseMessage(fixture('html-only-latin1.eml'));
    assert.equal(m.subject, 'Café');
    assert.equal(m.from?.name, 'André');
    assert.match(m.htmlParts[0], /Café crème/);
    assert.match(m.text ?? '', /CAFÉ CRÈME/i);
    assert.match(m.text ?? '', /https:\/\/cafe\.example\/menu/);
  });

  it('never throws on garbage', async () => {
    for (const raw of [Buffer.alloc(0), Buffer.from('\x00\xff\xfe garbage'), Buffer.from('Content-Type: multipart/mixed; boundary=\r\n\r\n--\r\n--\r\n'), Buffer.from('Subject: x\r\nContent-Type: multipart/mixed; boundary="a"\r\n\r\n--a\r\nContent-Type: multipart/mixed; boundary="a"\r\n\r\n--a\r\n')]) {
      const m = await parseMessage(raw);
      assert.ok(Array.isArray(m.attachments));
    }
  });

  describe('limits', function () {
    this.timeout(20000);

    it('cuts a message with 10,000 parts at maxParts, quickly', async () => {
      let s = HDR + 'Content-Type: multipart/mixed; boundary="b"\r\n\r\n';
      for (let i = 0; i < 10000; i++) s += `--b\r\nContent-Type: text/plain\r\n\r\npart ${i}\r\n`;
      const [m, ms] = await timed(() => parseMessage(Buffer.from(s + '--b--\r\n')));
      assert.ok(ms < 2500, `took ${ms} ms`);
      assert.equal(m.truncated, true);
      assert.equal(m.subject, 'big one');
      assert.ok(m.bodyParts.length <= 500 && m.bodyParts.length > 400, `${m.bodyParts.length} parts`);
      assert.match(m.warnings.join(' '), /more than 500 MIME parts/);
    });

    it('cuts nesting depth 1000 at maxDepth, quickly', async () => {
      let s = HDR + 'Content-Type: multipart/mixed; boundary="b0"\r\n\r\n';
      for (let i = 0; i < 1000; i++) s += `--b${i}\r\nContent-Type: multipart/mixed; boundary="b${i + 1}"\r\n\r\n`;
      s += '--b1000\r\nContent-Type: text/plain\r\n\r\ndeep\r\n';
      const [m, ms] = await timed(() => parseMessage(Buffer.from(s)));
      assert.ok(ms < 2500, `took ${ms} ms`);
      assert.equal(m.truncated, true);
      assert.equal(m.from?.address, 'alice@example.com');
      assert.match(m.warnings.join(' '), /deeper than 20/);
    });

    it('nesting through message/rfc822 counts too', async () => {
      let s = HDR + 'Content-Type: message/rfc822\r\n\r\n';
      for (let i = 0; i < 200; i++) s += `Subject: level ${i}\r\nContent-Type: message/rfc822\r\n\r\n`;
      const [m, ms] = await timed(() => parseMessage(Buffer.from(s + 'Subject: bottom\r\n\r\nhi\r\n')));
      assert.ok(ms < 2500, `took ${ms} ms`);
      assert.equal(m.truncated, true);
    });

    it('reads only maxBytes of a 30 MB body of short lines, quickly', async () => {
      const raw = Buffer.concat([Buffer.from(HDR + 'Content-Type: text/plain\r\n\r\nfirst line\r\n'), Buffer.alloc(30 * 1024 * 1024, 'a\r\n')]);
      const [m, ms] = await timed(() => parseMessage(raw));
      assert.ok(ms < 3000, `took ${ms} ms`);
      assert.equal(m.truncated, true);
      assert.equal(m.subject, 'big one');
      assert.match(m.text ?? '', /^first line/);
      assert.match(m.warnings.join(' '), /only the first 26214400/);
    });

    it('drops a 5 MB header line but keeps the other headers and the body', async () => {
      const raw = Buffer.from('From: a@example.com\r\nX-Big: ' + 'x'.repeat(5 * 1024 * 1024) + '\r\nSubject: after the big one\r\n\r\nbody text\r\n');
      const [m, ms] = await timed(() => parseMessage(raw));
      assert.ok(ms < 2500, `took ${ms} ms`);
      assert.equal(m.truncated, true);
      assert.equal(m.subject, 'after the big one');
      assert.equal(m.from?.address, 'a@example.com');
      assert.match(m.text ?? '', /body text/);
      assert.ok(!m.headers.some((h) => h.key === 'x-big'));
    });

    it('parses a legitimate 24 MB attachment whole and quickly', async () => {
      const data = Buffer.alloc(18 * 1024 * 1024, 7);
      data.write('START', 0);
      data.write('END', data.length - 3);
      const b64 = data.toString('base64').replace(/.{76}/g, '$&\r\n');
      const raw = Buffer.from(`${HDR}Content-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n--x\r\nContent-Type: application/octet-stream; name=big.bin\r\nContent-Transfer-Encoding: base64\r\n\r\n${b64}\r\n--x\r\nContent-Type: text/plain\r\n\r\nafter\r\n--x--\r\n`);
      const [m, ms] = await timed(() => parseMessage(raw));
      assert.ok(ms < 3000, `took ${ms} ms`);
      assert.equal(m.truncated, false);
      assert.equal(m.attachments[0].size, data.length);
      assert.equal(Buffer.from(m.attachments[0].content).subarray(-3).toString(), 'END');
      assert.match(m.text ?? '', /see attached[\s\S]*after/);
    });

    it('honours smaller limits given by the caller and ignores nonsense ones', async () => {
      const raw = fixture('mixed-two-html.eml');
      const m = await parseMessage(raw, { maxParts: 2 });
      assert.equal(m.truncated, true);
      assert.equal(m.htmlParts.length, 1);
      const n = await parseMessage(raw, { maxParts: Number.NaN, maxBytes: -1 });
      assert.equal(n.truncated, false);
      assert.equal(n.htmlParts.length, 2);
    });
  });
});
