import * as assert from 'assert';
import * as net from 'net';
import { ImapFlow, type StatusObject } from 'imapflow';
import * as nodemailer from 'nodemailer';
import { startSandbox, type Sandbox } from '../../src/sandbox/server';
import { generateMailbox } from '../../src/sandbox/mailgen';

function client(sb: Sandbox, pass = sb.password): ImapFlow {
  return new ImapFlow({ host: sb.host, port: sb.imapPort, secure: false, auth: { user: sb.user, pass }, logger: false, doSTARTTLS: false });
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

function waitFor<T>(fn: () => T | undefined, ms = 3000): Promise<T> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const tick = () => {
      const v = fn();
      if (v !== undefined) return resolve(v);
      if (Date.now() - started > ms) return reject(new Error('timed out'));
      setTimeout(tick, 25);
    };
    tick();
  });
}

describe('sandbox mail server', () => {
  let sb: Sandbox;
  let imap: ImapFlow | undefined;

  before(async () => {
    sb = await startSandbox();
  });
  afterEach(async () => {
    if (imap) await imap.logout().catch(() => imap?.close());
    imap = undefined;
  });
  after(async () => {
    await sb.stop();
  });

  it('listens on two free ports on 127.0.0.1 with the seeded account', () => {
    assert.strictEqual(sb.host, '127.0.0.1');
    assert.ok(sb.imapPort > 0 && sb.smtpPort > 0 && sb.imapPort !== sb.smtpPort);
    assert.match(sb.email, /@example\.test$/);
  });

  it('refuses a wrong password', async () => {
    const bad = client(sb, 'wrong');
    await assert.rejects(bad.connect());
    bad.close();
  });

  it('lists the folders with special-use flags and per-folder counts', async () => {
    imap = client(sb);
    await imap.connect();
    const folders = await imap.list();
    const byUse = new Map(folders.filter((f) => f.specialUse).map((f) => [f.specialUse, f.path]));
    assert.strictEqual(byUse.get('\\Inbox'), 'INBOX');
    assert.strictEqual(byUse.get('\\Sent'), 'Sent');
    assert.strictEqual(byUse.get('\\Drafts'), 'Drafts');
    assert.strictEqual(byUse.get('\\Archive'), 'Archive');
    const website = folders.find((f) => f.path === 'Projects/Website');
    assert.ok(website, 'nested user folder');
    assert.strictEqual(website.delimiter, '/');

    const inbox = await status(imap, 'INBOX');
    assert.ok(inbox.messages! > 50, `${inbox.messages} in INBOX`);
    assert.ok(inbox.unseen! > 0, 'some unread');
    assert.strictEqual((await status(imap, 'Drafts')).messages, 1);
  });

  it('fetches the newest 10 of INBOX with envelope and flags, and STOREs \\Seen', async () => {
    imap = client(sb);
    await imap.connect();
    const lock = await imap.getMailboxLock('INBOX');
    try {
      const mailbox = imap.mailbox as { exists: number; uidValidity: bigint };
      assert.ok(mailbox.exists > 10);
      const from = mailbox.exists - 9;
      const newest = [];
      for await (const m of imap.fetch(`${from}:*`, { uid: true, envelope: true, flags: true, internalDate: true, bodyStructure: true })) newest.push(m);
      assert.strictEqual(newest.length, 10);
      for (const m of newest) {
        assert.ok(m.envelope?.subject, 'subject');
        assert.match(m.envelope?.from?.[0]?.address ?? '', /@/);
        assert.match(m.envelope?.messageId ?? '', /^<.+@.+>$/);
        assert.ok(m.flags instanceof Set);
      }
      // Dates rise with UIDs, like a real mailbox filled over time.
      const dates = newest.map((m) => new Date(m.envelope!.date!).getTime());
      assert.ok(dates.every((d, i) => i === 0 || d >= dates[i - 1]));
      assert.ok(newest.some((m) => /multipart/.test(m.bodyStructure?.type ?? '')));

      const unread = newest.find((m) => !m.flags!.has('\\Seen'));
      assert.ok(unread, 'an unread message among the newest');
      await imap.messageFlagsAdd(String(unread.uid), ['\\Seen'], { uid: true });
      const again = await imap.fetchOne(String(unread.uid), { flags: true }, { uid: true });
      assert.ok(again && again.flags!.has('\\Seen'));
      const unseen = await imap.search({ seen: false }, { uid: true });
      assert.ok(Array.isArray(unseen) && !unseen.includes(unread.uid));
    } finally {
      lock.release();
    }
  });

  it('sends through SMTP: the message lands in Sent, and in INBOX when addressed to me (pushed by IDLE)', async () => {
    imap = client(sb);
    await imap.connect();
    await imap.mailboxOpen('INBOX');
    let announced: number | undefined;
    imap.on('exists', (e: { count: number }) => (announced = e.count));
    void imap.idle();

    const sentBefore = (await statusOnOtherConnection(sb, 'Sent')).messages!;
    let messageId = '';
    const transport = nodemailer.createTransport({ host: sb.host, port: sb.smtpPort, secure: false, ignoreTLS: true, auth: { user: sb.user, pass: sb.password } });
    try {
      const info = await transport.sendMail({
        from: { name: 'Sam Rivera', address: sb.email },
        to: [{ name: 'Zoë Lefèvre', address: 'zoe@acme.example.test' }, sb.email],
        subject: 'Sandbox round trip ✅',
        text: 'Hello from the sandbox test.',
      });
      assert.deepStrictEqual(info.rejected, []);
      messageId = info.messageId;
    } finally {
      transport.close();
    }

    const count = await waitFor(() => announced);
    assert.ok(count > 0, 'IDLE announced the new INBOX message');

    const other = client(sb);
    await other.connect();
    try {
      const sent = await status(other, 'Sent');
      assert.strictEqual(sent.messages, sentBefore + 1);
      await other.mailboxOpen('Sent');
      const last = await other.fetchOne('*', { envelope: true, flags: true, source: true });
      assert.ok(last);
      assert.strictEqual(last.envelope!.subject, 'Sandbox round trip ✅');
      assert.ok(last.flags!.has('\\Seen'));
      assert.ok(last.source!.toString().includes('Hello from the sandbox test.'));

      await other.mailboxOpen('INBOX');
      // hoodiecrow's SEARCH matches raw header text, and nodemailer RFC 2047-encodes this
      // subject, so search by Message-ID.
      const hits = await other.search({ header: { 'message-id': messageId } }, { uid: true });
      assert.ok(Array.isArray(hits) && hits.length === 1, 'delivered to my own INBOX');
      const delivered = await other.fetchOne(String(hits[0]), { flags: true, source: true }, { uid: true });
      assert.ok(delivered && !delivered.flags!.has('\\Seen'), 'new mail is unread');
      assert.match(delivered.source!.toString(), /^Return-Path: </);
    } finally {
      await other.logout();
    }
  });

  it('refuses SMTP with a wrong password', async () => {
    const transport = nodemailer.createTransport({ host: sb.host, port: sb.smtpPort, secure: false, ignoreTLS: true, auth: { user: sb.user, pass: 'nope' } });
    try {
      await assert.rejects(transport.sendMail({ from: sb.email, to: 'x@example.test', subject: 'x', text: 'x' }), (err: { code?: string; responseCode?: number }) => err.code === 'EAUTH' && err.responseCode === 535);
    } finally {
      transport.close();
    }
  });

  it('deliver() adds new mail and APPEND / MOVE / EXPUNGE work', async () => {
    imap = client(sb);
    await imap.connect();
    const before = (await status(imap, 'INBOX')).messages!;
    sb.deliver('From: Ops <ops@example.test>\r\nTo: sam.rivera@example.test\r\nSubject: Server restarted\r\nMessage-ID: <restart@example.test>\r\n\r\nAll good.\r\n');
    assert.strictEqual((await status(imap, 'INBOX')).messages, before + 1);
    assert.throws(() => sb.deliver('Subject: x\r\n\r\nx', 'No such folder'));

    const appended = await imap.append('Drafts', 'From: sam.rivera@example.test\r\nSubject: note to self\r\n\r\ndraft', ['\\Draft']);
    assert.ok(appended && typeof appended === 'object' && appended.uid, 'APPENDUID returned');
    assert.strictEqual((await status(imap, 'Drafts')).messages, 2);
    await imap.mailboxOpen('Drafts');
    assert.ok(await imap.messageDelete(String(appended.uid), { uid: true }));
    assert.strictEqual((await status(imap, 'Drafts')).messages, 1, 'UID EXPUNGE removed the draft');

    await imap.mailboxOpen('INBOX');
    const [uid] = (await imap.search({ header: { 'message-id': '<restart@example.test>' } }, { uid: true })) as number[];
    assert.ok(uid);
    const moved = await imap.messageMove(String(uid), 'Archive', { uid: true });
    assert.ok(moved && moved.uidMap && moved.uidMap.size === 1, 'COPYUID from MOVE');
    assert.strictEqual((await status(imap, 'INBOX')).messages, before);
  });

  it('with CONDSTORE enabled, MODSEQ rises when flags change', async () => {
    imap = client(sb);
    await imap.connect();
    assert.ok(imap.enabled.has('CONDSTORE'), 'ENABLE CONDSTORE acknowledged');
    const box = await imap.mailboxOpen('Archive');
    const before = box.highestModseq!;
    assert.ok(before > 0n);
    await imap.messageFlagsAdd('1', ['\\Flagged']);
    const m = await imap.fetchOne('1', { flags: true, uid: true });
    assert.ok(m && m.modseq! > before);
    const after = await status(imap, 'Archive');
    assert.ok(after.highestModseq! > before);
  });

  it('condstore: false hides CONDSTORE; stop() closes both ports', async () => {
    const plain = await startSandbox({ condstore: false, messages: generateMailbox({ count: 20, sizeProfile: 'demo', seed: 3 }) });
    try {
      const c = client(plain);
      await c.connect();
      assert.ok(!c.capabilities.has('CONDSTORE'));
      assert.ok(!c.enabled.has('CONDSTORE'));
      const box = await c.mailboxOpen('INBOX');
      assert.ok(!box.highestModseq);
      // A client still connected must not keep the server alive.
      assert.ok(await portOpen(plain.imapPort));
      assert.ok(await portOpen(plain.smtpPort));
      const closed = new Promise<void>((resolve) => c.once('close', () => resolve()));
      await plain.stop();
      await closed;
    } finally {
      await plain.stop();
    }
    assert.strictEqual(await portOpen(plain.imapPort), false);
    assert.strictEqual(await portOpen(plain.smtpPort), false);
  });
});

async function status(c: ImapFlow, path: string): Promise<StatusObject> {
  const st = await c.status(path, { messages: true, unseen: true, uidNext: true, highestModseq: true });
  assert.ok(st, `STATUS ${path}`);
  return st;
}

async function statusOnOtherConnection(sb: Sandbox, path: string): Promise<StatusObject> {
  const c = client(sb);
  await c.connect();
  try {
    return await status(c, path);
  } finally {
    await c.logout();
  }
}
