/**
 * Offline bodies (the "bodies" job, src/core/sync/bodies.ts) against real servers:
 * `maildesk sync --once` stores every body within the window and `maildesk show` then works
 * with Dovecot stopped; the size cap leaves big messages for when they are opened; a process
 * killed mid-fetch resumes without fetching any body twice; new mail gets its body on the
 * next sync; Gmail and Graph fill bodies the same way against their local servers.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { main } from '../../src/cli/main';
import { GOOGLE_CLIENT_SECRET_KEY } from '../../src/core/auth/oauthConfig';
import { memorySecretStore, TokenStore } from '../../src/core/auth/tokens';
import type { AccountConfig, CredentialSource } from '../../src/core/config';
import { MailError } from '../../src/core/errors';
import type { Logger } from '../../src/core/log';
import { MailDesk } from '../../src/core/maildesk';
import { httpsNetworkClient } from '../../src/core/providers/graph/msalAuth';
import { addOutlookAccount } from '../../src/core/providers/graph/outlookAccount';
import { ImapProvider } from '../../src/core/providers/imap/imapProvider';
import type { BodyRef } from '../../src/core/providers/provider';
import { MailStore } from '../../src/core/store/store';
import { syncOnce } from '../../src/core/sync/once';
import { openMessage } from '../../src/core/threads/reading';
import { imapAccount, openCore, tempDir } from '../support/core';
import { requireDovecot, startDovecot, type Dovecot } from '../support/dovecot';
import { startGoogleServer } from '../support/googleServer';
import { FakeMicrosoft, simulateBrowser } from '../support/graphServer';
import { rawMessage } from '../support/rawmail';
import { rawSql } from '../support/rawStoreSql';

const DAY = 86_400_000;
const RECENT = 24;

function io(): { out: string; err: string; io: { out(s: string): void; err(s: string): void } } {
  const r = { out: '', err: '', io: { out: (s: string) => void (r.out += s), err: (s: string) => void (r.err += s) } };
  return r;
}

/** An IMAP provider that counts the bodies it fetched, and can fail (like a dropped connection) after `failAfter` of them. */
function countingImap(counter: { bodies: number; failAfter?: number }) {
  return (cfg: AccountConfig, creds: CredentialSource, logger: Logger) => {
    const p = new ImapProvider(cfg, creds, { logger });
    const fetchBodies = p.fetchBodies.bind(p);
    p.fetchBodies = (folder, refs, onBody) =>
      fetchBodies(folder, refs, (ref: BodyRef, raw: Buffer) => {
        if (counter.failAfter !== undefined && counter.bodies >= counter.failAfter) throw new MailError('server.unavailable', 'connection dropped (test)', { retryable: true });
        counter.bodies++;
        onBody(ref, raw);
      });
    return p;
  };
}

describe('offline bodies', function () {
  this.timeout(120_000);
  let dv: Dovecot;
  const dirs: string[] = [];
  const cores: MailDesk[] = [];

  before(async function () {
    requireDovecot(this);
    dv = await startDovecot({ users: { ann: 'secret', cap: 'secret', kill: 'secret' } });
    const now = Date.now();
    for (const user of ['ann', 'cap', 'kill']) {
      const msgs = Array.from({ length: RECENT }, (_, i) => ({
        raw: rawMessage({ from: 'Bo <bo@example.test>', to: `${user}@example.test`, subject: `Recent ${i + 1}`, messageId: `r${i + 1}.${user}@example.test`, date: new Date(now - (RECENT - i) * 3600_000), text: `word${i + 1} recent body\n` }),
        flags: ['\\Seen'],
      }));
      const old = { raw: rawMessage({ from: 'Old <old@example.test>', to: `${user}@example.test`, subject: 'Ancient', messageId: `old.${user}@example.test`, date: new Date(now - 400 * DAY), text: 'fossil\n' }) };
      dv.seedMaildir(user, 'INBOX', [old, ...msgs]);
    }
    // One big message for the size cap: a 300 KB attachment.
    dv.seedMaildir('cap', 'INBOX', [
      {
        raw: rawMessage({ from: 'Bo <bo@example.test>', to: 'cap@example.test', subject: 'Big', messageId: 'big@example.test', date: new Date(now - 3600_000 / 2), text: 'see attachment\n', attachments: [{ filename: 'big.bin', contentType: 'application/octet-stream', content: Buffer.alloc(300_000, 7) }] }),
      },
    ]);
  });
  afterEach(async () => {
    for (const c of cores.splice(0)) await c.close().catch(() => undefined);
    if (dv && !dv.running) await dv.start();
  });
  after(async () => {
    await dv?.dispose();
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });

  const dir = (): string => {
    const d = tempDir();
    dirs.push(d);
    return d;
  };

  it('sync --once stores every body within the window; show then works with Dovecot stopped', async () => {
    const data = dir();
    const config = path.join(data, 'config.json');
    const acc = { ...imapAccount('ann', dv.port), imap: { ...imapAccount('ann', dv.port).imap!, passwordEnv: 'MAILDESK_TEST_BODIES_PW' }, bodies: { days: 90 } };
    fs.writeFileSync(config, JSON.stringify({ accounts: [acc] }));
    process.env.MAILDESK_TEST_BODIES_PW = 'secret';
    try {
      const sync = io();
      assert.equal(await main(['sync', '--once', '--config', config, '--data', data], sync.io), 0, sync.err);
      assert.match(sync.out, new RegExp(`INBOX .*, bodies: ${RECENT} of ${RECENT} \\(\\d+ KB\\)`), 'the summary says how many bodies are stored');

      // What the CLI left on disk: every body of the window, not the 400-day-old one.
      const store = await MailStore.open({ dir: data });
      try {
        const rows = rawSql(store).all<{ subject: string; blob: string | null }>('SELECT subject, body_blob AS blob FROM messages ORDER BY subject');
        assert.equal(rows.length, RECENT + 1);
        assert.deepEqual(rows.filter((r) => !r.blob).map((r) => r.subject), ['Ancient'], 'only the message outside the window has no body');
        for (const r of rows) if (r.blob) assert.ok(store.blobs.has(r.blob), `the body of ${r.subject} is on disk`);
        const job = store.getJob('ann:bodies:INBOX')!;
        assert.equal(job.status, 'done');
        assert.equal(job.progress?.fetched, RECENT);
        assert.equal(job.progress?.total, RECENT);
        assert.ok((job.progress?.bytes as number) > RECENT * 100, 'bytes are counted');
      } finally {
        store.close();
      }

      await dv.stop();
      for (const uid of [2, 13, RECENT + 1]) {
        const shown = io();
        assert.equal(await main(['show', '--config', config, '--data', data, '--account', 'ann', '--folder', 'INBOX', '--uid', String(uid)], shown.io), 0, shown.err);
        assert.match(shown.out, new RegExp(`^Subject: Recent ${uid - 1}$`, 'm'));
        assert.match(shown.out, new RegExp(`word${uid - 1} recent body`));
      }
      // Outside the window the body was never fetched: with the server down, show says so.
      const old = io();
      assert.equal(await main(['show', '--config', config, '--data', data, '--account', 'ann', '--folder', 'INBOX', '--uid', '1'], old.io), 1);
      assert.match(old.err, /maildesk show: /);
    } finally {
      delete process.env.MAILDESK_TEST_BODIES_PW;
    }
  });

  it('leaves messages above the size cap for when they are opened', async () => {
    const counter = { bodies: 0 };
    const c = await openCore(undefined, { cap: 'secret' }, { providerFactory: countingImap(counter) });
    cores.push(c);
    await c.addAccount({ ...imapAccount('cap', dv.port), bodies: { days: 'all', maxBytes: 100_000 } });
    const r = await syncOnce(c, ['cap']);
    assert.ok(r.ok, r.failed.map((j) => j.errorMessage).join('; '));
    const inbox = c.store.getFolder('cap', 'INBOX')!;
    const big = c.store.listMessages(inbox.id, { limit: 100 }).find((m) => m.subject === 'Big')!;
    assert.ok(big.size > 100_000);
    assert.equal(big.bodyBlob, null, 'the big message is not fetched ahead');
    assert.equal(counter.bodies, RECENT + 1, 'every other message (the old one too: days "all") is');
    const job = c.store.getJob('cap:bodies:INBOX')!;
    assert.deepEqual({ fetched: job.progress?.fetched, total: job.progress?.total, overCap: job.progress?.overCap }, { fetched: RECENT + 1, total: RECENT + 1, overCap: 1 });

    const opened = await openMessage(c, big.id, inbox.id, { allowRemote: false });
    assert.equal(opened.rendered.parsed.attachments[0]?.filename, 'big.bin', 'opening it fetches it');
    assert.ok(c.store.getMessage(big.id, inbox.id)!.bodyBlob);
  });

  it('a process killed mid-fetch resumes without fetching any body twice; new mail gets its body on the next sync', async () => {
    const data = dir();
    // Headers first, saved on close (bodies off).
    const a = await openCore(data, { kill: 'secret' }, { bodies: { days: 0 } });
    await a.addAccount({ ...imapAccount('kill', dv.port) });
    await a.store.flush();
    assert.ok((await syncOnce(a, ['kill'], { maxAttempts: 1 })).ok);
    assert.equal(rawSql(a.store).get<{ n: number }>('SELECT COUNT(*) AS n FROM messages WHERE body_blob IS NOT NULL')!.n, 0, 'bodies off: none fetched');
    await a.close();
    // Bodies for all mail, with the connection dropping after 10 bodies.
    const first = { bodies: 0, failAfter: 10 };
    const a2 = await openCore(data, { kill: 'secret' }, { providerFactory: countingImap(first), bodies: { days: 'all' } });
    await a2.store.flush();
    await a2.scheduler.runJob(a2.store.getJob('kill:bodies:INBOX')!);
    assert.equal(first.bodies, 10);
    assert.equal(a2.store.getJob('kill:bodies:INBOX')!.status, 'error');
    // What a kill leaves on disk right now: the database and its write-ahead log, the blobs.
    const copy = dir();
    fs.cpSync(data, copy, { recursive: true });
    await a2.close();

    const second = { bodies: 0 };
    const b = await openCore(copy, { kill: 'secret' }, { providerFactory: countingImap(second), bodies: { days: 'all' } });
    cores.push(b);
    const r = await syncOnce(b, ['kill']);
    assert.ok(r.ok, r.failed.map((j) => j.errorMessage).join('; '));
    assert.equal(second.bodies, RECENT + 1 - 10, 'the 10 bodies fetched before the kill are not fetched again');
    assert.equal(rawSql(b.store).get<{ n: number }>('SELECT COUNT(*) AS n FROM messages WHERE body_blob IS NULL')!.n, 0, 'and every body is stored');

    await dv.append('kill', 'INBOX', rawMessage({ from: 'New <new@example.test>', to: 'kill@example.test', subject: 'Fresh', messageId: 'fresh@example.test', date: new Date(), text: 'just arrived\n' }));
    for (const j of b.store.listJobs('kill')) if (j.kind === 'sync') b.store.updateJob(j.id, { status: 'pending', nextRun: 0 });
    assert.ok((await syncOnce(b, ['kill'])).ok);
    assert.equal(second.bodies, RECENT + 1 - 10 + 1, 'the new message, and only it');
    const fresh = rawSql(b.store).all<{ blob: string | null }>(`SELECT body_blob AS blob FROM messages WHERE subject = 'Fresh'`);
    assert.ok(fresh[0]?.blob);
  });
});

describe('offline bodies through the API providers', function () {
  this.timeout(60_000);

  it('Gmail: concurrent messages.get (raw) fill every body of the window, once each', async () => {
    const g = await startGoogleServer({ email: 'ana@gmail.example' });
    let core: MailDesk | undefined;
    try {
      const now = Date.now();
      for (let i = 0; i < 12; i++) {
        g.addMessage(`From: Bo <bo@example.test>\nTo: ana@gmail.example\nSubject: g${i}\nMessage-ID: <g${i}@example.test>\n\ngmail body ${i}\n`, ['INBOX'], now - i * 3600_000);
      }
      g.addMessage(`From: Bo <bo@example.test>\nTo: ana@gmail.example\nSubject: old\nMessage-ID: <gold@example.test>\n\nold body\n`, ['INBOX'], now - 400 * DAY);
      const secrets = memorySecretStore({ [GOOGLE_CLIENT_SECRET_KEY]: g.clientSecret });
      await new TokenStore(secrets).save('g', { refreshToken: g.issueRefreshToken() });
      core = await MailDesk.open({ credentials: { password: async () => Promise.reject(new Error('none')) }, secrets, oauth: { google: { clientId: g.clientId, authBaseUrl: g.baseUrl, apiBaseUrl: g.baseUrl } }, idle: false, backoffBaseMs: 20 });
      await core.addAccount({ id: 'g', provider: 'gmail', email: 'ana@gmail.example', bodies: { days: 30 } });
      const r = await syncOnce(core, ['g']);
      assert.ok(r.ok, r.failed.map((j) => j.errorMessage).join('; '));
      const rows = rawSql(core.store).all<{ subject: string; blob: string | null }>('SELECT subject, body_blob AS blob FROM messages');
      assert.equal(rows.length, 13);
      assert.deepEqual(rows.filter((x) => !x.blob).map((x) => x.subject), ['old'], 'every body of the window, not the old one');
      assert.equal(g.count('messages.get:raw'), 12, 'each body fetched once');
      const job = core.store.getJob('g:bodies:INBOX')!;
      assert.deepEqual({ status: job.status, fetched: job.progress?.fetched, total: job.progress?.total }, { status: 'done', fetched: 12, total: 12 });
    } finally {
      await core?.close();
      await g.close();
    }
  });

  it('Graph: /$value, at most 4 in flight, fill every body of the window', async () => {
    const ms = new FakeMicrosoft({ latencyMs: 20 });
    await ms.start();
    let core: MailDesk | undefined;
    try {
      const now = Date.now();
      for (let i = 0; i < 14; i++) ms.addMessage('inbox', { subject: `o${i}`, date: new Date(now - i * 3600_000), body: `outlook body ${i}` });
      const secrets = memorySecretStore();
      const oauth = { microsoft: { clientId: ms.clientId, tenant: 'organizations', authority: ms.authority, graphBaseUrl: ms.base } };
      core = await openCore(undefined, {}, { secrets, oauth, graph: { ca: ms.cert, msalNetworkClient: httpsNetworkClient({ ca: ms.cert }) } });
      await addOutlookAccount(core, { id: 'o', provider: 'outlook', email: ms.user.email, bodies: { days: 30 } }, async (url) => void (await simulateBrowser(url, ms.cert)), {
        settings: oauth.microsoft,
        secrets,
        networkClient: httpsNetworkClient({ ca: ms.cert }),
      });
      ms.maxInFlight = 0;
      const r = await syncOnce(core, ['o']);
      assert.ok(r.ok, r.failed.map((j) => j.errorMessage).join('; '));
      const inbox = core.store.folderByRole('o', 'inbox')!;
      const msgs = core.store.listMessages(inbox.id, { limit: 100 });
      assert.equal(msgs.length, 14);
      assert.ok(msgs.every((m) => m.bodyBlob), 'every body of the window is stored');
      assert.equal(ms.requests.filter((q) => q.method === 'GET' && /\/\$value$/.test(q.path)).length, 14, 'each fetched once');
      assert.ok(ms.maxInFlight <= 4, `max in flight ${ms.maxInFlight}`);
      const opened = await openMessage(core, msgs[0].id, inbox.id, { allowRemote: false });
      assert.match(opened.rendered.parsed.text ?? '', /outlook body 0/);
    } finally {
      await core?.close();
      await ms.stop();
    }
  });
});
