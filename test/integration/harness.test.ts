import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import * as nodemailer from 'nodemailer';
import { startDovecot, requireDovecot, type Dovecot } from '../support/dovecot';
import { startSmtp, type SmtpServer, type SmtpOptions } from '../support/smtp';
import { rawMessage } from '../support/rawmail';
import { closedPort, ephemeralPortLow, freePort, isPortOpen } from '../support/ports';

function msg(i: number, extra: Partial<Parameters<typeof rawMessage>[0]> = {}): string {
  return rawMessage({
    from: 'Carol <carol@example.test>',
    to: 'alice@example.test',
    subject: `Message ${i}`,
    date: new Date(Date.UTC(2024, 0, 1) + i * 60_000),
    text: `Body of message ${i}\n`,
    ...extra,
  });
}

describe('test harness: Dovecot', function () {
  let dv: Dovecot;

  before(async function () {
    requireDovecot(this);
    dv = await startDovecot({ specialFolders: ['Trash', 'Junk', 'Archive'], extraFolders: ['Lists/Rust'] });
  });
  after(async () => {
    await dv?.dispose();
  });

  it('lets alice log in and shows INBOX, Sent and Drafts with their special-use flags', async () => {
    const c = await dv.connect('alice');
    try {
      const boxes = await c.list();
      const byPath = new Map(boxes.map((b) => [b.path, b]));
      assert.equal(byPath.get('INBOX')?.specialUse, '\\Inbox');
      assert.equal(byPath.get('Sent')?.specialUse, '\\Sent');
      assert.equal(byPath.get('Drafts')?.specialUse, '\\Drafts');
      assert.equal(byPath.get('Trash')?.specialUse, '\\Trash');
      assert.equal(byPath.get('Junk')?.specialUse, '\\Junk');
      assert.equal(byPath.get('Archive')?.specialUse, '\\Archive');
      assert.ok(byPath.has('Lists/Rust'), 'nested extra folder is listed with "/" as separator');
      assert.equal(byPath.get('Lists/Rust')?.delimiter, '/');
    } finally {
      await c.logout();
    }
  });

  it('offers CONDSTORE, QRESYNC and IDLE', async () => {
    const c = await dv.connect('alice');
    try {
      for (const cap of ['CONDSTORE', 'QRESYNC', 'IDLE', 'UIDPLUS', 'MOVE', 'SPECIAL-USE']) {
        assert.ok(c.capabilities.has(cap), `${cap} missing from ${[...c.capabilities.keys()].join(' ')}`);
      }
    } finally {
      await c.logout();
    }
  });

  it('refuses a wrong password', async () => {
    const err = await dv.connect('alice', 'wrong').then(
      (c) => c.logout().then(() => null),
      (e: unknown) => e as { authenticationFailed?: boolean },
    );
    assert.ok(err, 'login with a wrong password succeeded');
    assert.equal(err.authenticationFailed, true);
  });

  it('seeds 2,000 messages into the Maildir with their flags and dates', async function () {
    this.timeout(30_000);
    const seen = (i: number): boolean => i % 3 === 0;
    dv.seedMaildir(
      'alice',
      'Archive',
      Array.from({ length: 2000 }, (_, i) => ({
        raw: msg(i),
        flags: seen(i) ? ['\\Seen'] : i === 7 ? ['\\Flagged', '$Forwarded'] : [],
        date: new Date(Date.UTC(2024, 0, 1) + i * 60_000),
      })),
    );
    const c = await dv.connect('alice');
    try {
      const st = await c.status('Archive', { messages: true, unseen: true, highestModseq: true });
      assert.ok(st);
      assert.equal(st.messages, 2000);
      assert.equal(st.unseen, 2000 - Array.from({ length: 2000 }, (_, i) => i).filter(seen).length);

      const lock = await c.getMailboxLock('Archive');
      try {
        const rows: Array<{ uid: number; subject: string; seen: boolean; flags: Set<string>; date: Date }> = [];
        for await (const m of c.fetch('1:*', { uid: true, flags: true, envelope: true, internalDate: true })) {
          rows.push({
            uid: m.uid,
            subject: m.envelope?.subject ?? '',
            seen: !!m.flags?.has('\\Seen'),
            flags: m.flags ?? new Set(),
            date: new Date(m.internalDate ?? 0),
          });
        }
        assert.equal(rows.length, 2000);
        rows.forEach((r, i) => {
          // UIDs follow the seeding order, so message i has UID i+1.
          assert.equal(r.uid, i + 1);
          assert.equal(r.subject, `Message ${i}`);
          assert.equal(r.seen, seen(i), `\\Seen of message ${i}`);
          assert.equal(r.date.getTime(), Date.UTC(2024, 0, 1) + i * 60_000);
        });
        assert.ok(rows[7].flags.has('\\Flagged') && rows[7].flags.has('$Forwarded'));
      } finally {
        lock.release();
      }
    } finally {
      await c.logout();
    }
  });

  it('picks up messages seeded while it runs, into nested folders too', async () => {
    dv.seedMaildir('alice', 'Lists/Rust', [{ raw: msg(1, { subject: 'Rust 1.80 released' }) }]);
    dv.seedMaildir('alice', 'Lists/Rust', [{ raw: msg(2, { subject: 'Rust 1.81 released' }), flags: ['\\Seen'] }]);
    const c = await dv.connect('alice');
    try {
      const st = await c.status('Lists/Rust', { messages: true, unseen: true, uidNext: true });
      assert.ok(st);
      assert.equal(st.messages, 2);
      assert.equal(st.unseen, 1);
      assert.equal(st.uidNext, 3);
    } finally {
      await c.logout();
    }
  });

  it('appends, changes flags and expunges as another client would, bumping HIGHESTMODSEQ', async () => {
    const uid = await dv.append('alice', 'Work/Clients', msg(1, { subject: 'Contract' }), ['\\Seen']);
    assert.equal(uid, 1);
    const c = await dv.connect('alice');
    const modseq = async (): Promise<bigint> => {
      const st = await c.status('Work/Clients', { highestModseq: true });
      assert.ok(st && st.highestModseq !== undefined);
      return BigInt(st.highestModseq);
    };
    try {
      const before = await modseq();
      await dv.setFlags('alice', 'Work/Clients', uid, ['\\Flagged'], ['\\Seen']);
      assert.ok((await modseq()) > before, 'flag change did not raise HIGHESTMODSEQ');
      const lock = await c.getMailboxLock('Work/Clients');
      try {
        const m = await c.fetchOne(String(uid), { flags: true }, { uid: true });
        assert.ok(m);
        assert.deepEqual([...(m.flags ?? [])].filter((f) => f !== '\\Recent').sort(), ['\\Flagged']);
      } finally {
        lock.release();
      }
    } finally {
      await c.logout();
    }
    await dv.expunge('alice', 'Work/Clients', [uid]);
    // A fresh session: STATUS on a mailbox this session has selected reports its own view.
    const c2 = await dv.connect('alice');
    const st = await c2.status('Work/Clients', { messages: true });
    await c2.logout();
    assert.ok(st);
    assert.equal(st.messages, 0);
  });

  it('gives a deleted and recreated folder a new UIDVALIDITY', async () => {
    await dv.append('alice', 'Reset', msg(1));
    const c1 = await dv.connect('alice');
    const st1 = await c1.status('Reset', { uidValidity: true, messages: true });
    await c1.logout();
    await dv.deleteFolder('alice', 'Reset');
    await dv.createFolder('alice', 'Reset');
    const c2 = await dv.connect('alice');
    const st2 = await c2.status('Reset', { uidValidity: true, messages: true });
    await c2.logout();
    assert.ok(st1 && st2);
    assert.equal(st1.messages, 1);
    assert.equal(st2.messages, 0);
    assert.notEqual(String(st2.uidValidity), String(st1.uidValidity));
  });

  it('keeps the mail across stop and start on the same port', async () => {
    dv.seedMaildir('bob', 'INBOX', [{ raw: msg(1) }, { raw: msg(2) }]);
    const c1 = await dv.connect('bob');
    const st1 = await c1.status('INBOX', { messages: true, uidValidity: true });
    await c1.logout();

    const port = dv.port;
    await dv.stop();
    assert.equal(await isPortOpen(port), false, 'port still open after stop()');
    const refused = await dv.connect('bob').then(
      (c) => c.logout().then(() => null),
      (e: unknown) => e as { code?: string },
    );
    assert.equal(refused?.code, 'ECONNREFUSED');

    await dv.start();
    assert.equal(dv.port, port);
    const c2 = await dv.connect('bob');
    const st2 = await c2.status('INBOX', { messages: true, uidValidity: true });
    await c2.logout();
    assert.ok(st1 && st2);
    assert.equal(st2.messages, 2);
    assert.equal(String(st2.uidValidity), String(st1.uidValidity));
  });

  it('parses rawMessage output as the intended envelope and MIME structure', async () => {
    const raw = rawMessage({
      from: 'Zoë <zoe@example.test>',
      to: ['alice@example.test', 'bob@example.test'],
      subject: 'Re: Café plans',
      messageId: 'reply-1@example.test',
      inReplyTo: 'orig-1@example.test',
      references: ['orig-1@example.test'],
      text: 'See you there.\n',
      html: '<p>See you <b>there</b>.</p>',
      attachments: [{ filename: 'plan.txt', contentType: 'text/plain', content: 'plan' }],
    });
    assert.equal(raw, rawMessage({
      from: 'Zoë <zoe@example.test>',
      to: ['alice@example.test', 'bob@example.test'],
      subject: 'Re: Café plans',
      messageId: 'reply-1@example.test',
      inReplyTo: 'orig-1@example.test',
      references: ['orig-1@example.test'],
      text: 'See you there.\n',
      html: '<p>See you <b>there</b>.</p>',
      attachments: [{ filename: 'plan.txt', contentType: 'text/plain', content: 'plan' }],
    }), 'rawMessage is not deterministic');
    assert.doesNotMatch(raw, /[^\r]\n/, 'bare LF in message');
    const uid = await dv.append('alice', 'INBOX', raw);
    const c = await dv.connect('alice');
    const lock = await c.getMailboxLock('INBOX');
    try {
      const m = await c.fetchOne(String(uid), { envelope: true, bodyStructure: true }, { uid: true });
      assert.ok(m && m.envelope && m.bodyStructure);
      assert.equal(m.envelope.subject, 'Re: Café plans');
      assert.equal(m.envelope.messageId, '<reply-1@example.test>');
      assert.equal(m.envelope.inReplyTo, '<orig-1@example.test>');
      assert.equal(m.envelope.from?.[0]?.name, 'Zoë');
      assert.equal(m.envelope.to?.length, 2);
      assert.equal(m.bodyStructure.type, 'multipart/mixed');
      const kids = m.bodyStructure.childNodes ?? [];
      assert.equal(kids[0]?.type, 'multipart/alternative');
      assert.equal(kids[1]?.disposition, 'attachment');
      assert.equal(kids[1]?.dispositionParameters?.filename, 'plan.txt');
    } finally {
      lock.release();
      await c.logout();
    }
  });

  it('refuses to start on a port someone else took while it was stopped', async () => {
    const other = await startDovecot();
    try {
      await other.stop();
      const squatter = net.createServer().listen(other.port, '127.0.0.1');
      await new Promise((r) => squatter.once('listening', r));
      try {
        await assert.rejects(other.start(), /already in use/);
      } finally {
        await new Promise((r) => squatter.close(r));
      }
      await other.start();
      const c = await other.connect('alice');
      await c.logout();
    } finally {
      await other.dispose();
    }
  });

  it('names the Sent folder without the \\Sent flag when asked (provider without special-use)', async () => {
    const plain = await startDovecot({ sentSpecialUse: false, sentName: 'Sent Items' });
    try {
      const c = await plain.connect('alice');
      const boxes = await c.list();
      await c.logout();
      const sent = boxes.find((b) => b.path === 'Sent Items');
      assert.ok(sent, 'Sent Items missing');
      // imapflow guesses specialUse from well-known names ('Sent Items' -> \\Sent), so check
      // what the server said: no \\Sent attribute in LIST.
      assert.ok(!sent.flags.has('\\Sent'), 'server still flags Sent Items as \\Sent');
      assert.notEqual(sent.specialUseSource, 'extension');
      assert.ok(!boxes.some((b) => b.flags.has('\\Sent')), 'some folder still has \\Sent');
    } finally {
      await plain.dispose();
    }
    assert.equal(fs.existsSync(plain.dir), false, 'dispose() left the temp folder');
  });
});

describe('test harness: SMTP', function () {
  const servers: SmtpServer[] = [];
  async function smtp(opts?: SmtpOptions): Promise<SmtpServer> {
    const s = await startSmtp(opts);
    servers.push(s);
    return s;
  }
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.stop()));
  });

  function transport(s: SmtpServer, auth: { user: string; pass: string } | null = { user: 'alice', pass: 'secret' }) {
    return nodemailer.createTransport({
      host: s.host,
      port: s.port,
      secure: false,
      ignoreTLS: true,
      ...(auth ? { auth } : {}),
      connectionTimeout: 5000,
      greetingTimeout: 5000,
      socketTimeout: 5000,
    });
  }
  const mail = {
    from: 'alice@example.test',
    to: ['bob@example.test', 'carol@example.test'],
    subject: 'Lunch?',
    text: 'At noon.',
    messageId: '<lunch-1@example.test>',
  };
  type SendError = Error & { responseCode?: number; code?: string };
  const sendErr = (t: nodemailer.Transporter): Promise<SendError> =>
    t.sendMail(mail).then(
      () => assert.fail('sending succeeded but should have failed'),
      (e: SendError) => e,
    );

  it('receives a message sent by nodemailer with AUTH', async () => {
    const s = await smtp();
    const info = await transport(s).sendMail(mail);
    assert.deepEqual(info.rejected, []);
    assert.equal(s.received.length, 1);
    assert.equal(s.attempts, 1);
    const r = s.received[0];
    assert.equal(r.from, 'alice@example.test');
    assert.deepEqual(r.to, ['bob@example.test', 'carol@example.test']);
    assert.equal(r.messageId, '<lunch-1@example.test>');
    assert.equal(r.user, 'alice');
    assert.match(r.raw.toString(), /Subject: Lunch\?/);
  });

  it('refuses a wrong password, and any password under the rejectAuth fault', async () => {
    const s = await smtp();
    const e1 = await sendErr(transport(s, { user: 'alice', pass: 'nope' }));
    assert.equal(e1.code, 'EAUTH');
    assert.equal(e1.responseCode, 535);
    s.setFault({ kind: 'rejectAuth' });
    const e2 = await sendErr(transport(s));
    assert.equal(e2.code, 'EAUTH');
    assert.equal(s.received.length, 0);
  });

  it('requires AUTH unless authOptional', async () => {
    const s = await smtp();
    const e = await sendErr(transport(s, null));
    assert.equal(e.responseCode, 530);
    const open = await smtp({ authOptional: true });
    await transport(open, null).sendMail(mail);
    assert.equal(open.received.length, 1);
  });

  it('rejects recipients with the scripted code', async () => {
    const s = await smtp({ fault: { kind: 'rejectRcpt', code: 550, message: '5.1.1 No such user' } });
    const e = await sendErr(transport(s));
    assert.equal(e.responseCode, 550);
    assert.match(e.message, /No such user/);
    assert.equal(s.attempts, 0);
  });

  it('rejects DATA with a temporary error a given number of times, then accepts', async () => {
    const s = await smtp({ fault: { kind: 'rejectData', code: 451, message: '4.7.1 Try again later', times: 1 } });
    const t = transport(s);
    const e = await sendErr(t);
    assert.equal(e.responseCode, 451);
    await t.sendMail(mail);
    assert.equal(s.attempts, 2);
    assert.equal(s.received.length, 1);
  });

  it('rejects DATA permanently', async () => {
    const s = await smtp();
    s.setFault({ kind: 'rejectData', code: 554, message: '5.7.1 Message rejected as spam' });
    const e = await sendErr(transport(s));
    assert.equal(e.responseCode, 554);
    assert.equal(s.received.length, 0);
  });

  it('drops the connection after DATA without a reply', async () => {
    const s = await smtp({ fault: { kind: 'dropAfterData' } });
    const e = await sendErr(transport(s));
    assert.equal(e.responseCode, undefined);
    assert.match(`${e.code} ${e.message}`, /ECONNECTION|closed|ECONNRESET/i);
    assert.equal(s.attempts, 1);
    assert.equal(s.received.length, 0);
  });

  it('refuses a message over the SIZE limit with 552', async () => {
    const s = await smtp({ size: 1024 });
    const t = transport(s);
    const e = await t.sendMail({ ...mail, text: 'x'.repeat(5000) }).then(
      () => assert.fail('oversized message accepted'),
      (err: SendError) => err,
    );
    assert.equal(e.responseCode, 552);
  });

  it('stops and frees its port', async () => {
    const s = await startSmtp();
    assert.equal(await isPortOpen(s.port), true);
    await s.stop();
    assert.equal(await isPortOpen(s.port), false);
  });

  it('speaks implicit TLS with the given certificate', async function () {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'maildesk-smtp-tls-'));
    try {
      execFileSync('openssl', [
        'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=127.0.0.1',
        '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem'),
      ], { stdio: 'ignore' });
      const key = fs.readFileSync(path.join(dir, 'key.pem'), 'utf8');
      const cert = fs.readFileSync(path.join(dir, 'cert.pem'), 'utf8');
      const s = await smtp({ tls: { key, cert } });
      const tlsTransport = (ca?: string) =>
        nodemailer.createTransport({ host: s.host, port: s.port, secure: true, auth: { user: 'alice', pass: 'secret' }, tls: ca ? { ca } : {} });
      const untrusted = await sendErr(tlsTransport());
      assert.match(untrusted.message, /self-signed certificate/);
      await tlsTransport(cert).sendMail(mail);
      assert.equal(s.received.length, 1);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  describe('with saveToSent (Gmail/Outlook style)', function () {
    let dv: Dovecot;
    before(async function () {
      requireDovecot(this);
      dv = await startDovecot();
    });
    after(async () => {
      await dv?.dispose();
    });

    it('puts a copy of every accepted message in the Sent folder', async () => {
      const s = await smtp({ saveToSent: { imapPort: dv.port, user: 'alice', password: 'secret' } });
      await transport(s).sendMail(mail);
      const c = await dv.connect('alice');
      const lock = await c.getMailboxLock('Sent');
      try {
        const all = [];
        for await (const m of c.fetch('1:*', { envelope: true, flags: true })) all.push(m);
        assert.equal(all.length, 1);
        assert.equal(all[0].envelope?.messageId, '<lunch-1@example.test>');
        assert.ok(all[0].flags?.has('\\Seen'));
      } finally {
        lock.release();
        await c.logout();
      }
    });
  });
});

describe('test harness: ports', () => {
  it('freePort gives a port nothing listens on', async () => {
    const p = await freePort();
    assert.ok(p > 0 && p < 65536);
    assert.equal(await isPortOpen(p), false);
  });

  it('closedPort gives a port nothing listens on, below the range listen(0) takes its ports from', async () => {
    const p = await closedPort();
    const low = ephemeralPortLow();
    assert.ok(p >= 1024 && p < low, `${p} is below ${low}`);
    assert.equal(await isPortOpen(p), false);
  });
});
