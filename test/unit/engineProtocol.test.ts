/**
 * The engine protocol's plain-data rules and the endpoint that makes one engine per folder:
 * errors and reports survive JSON and structured clone and come back as the same MailError;
 * one data folder, however spelled, gives one address, and two folders two.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { memorySecretStore } from '../../src/core/auth/tokens';
import { envCredentials, passwordSecretKey, secretCredentials } from '../../src/core/config';
import { MailError } from '../../src/core/errors';
import { secretAnswers } from '../../src/engine/secretAnswers';
import { engineEndpoint, listenExclusive } from '../../src/engine/endpoint';
import { fromWireError, sendInputFromWire, toWireError, verifyToWire } from '../../src/engine/wire';

describe('engine protocol: plain data across the boundary', () => {
  it('a MailError crosses as a WireError and comes back with its code, flags and remedy', () => {
    const e = new MailError('server.rateLimited', 'slow down', { providerMessage: 'Too many', retryAfter: 30 });
    const w = structuredClone(JSON.parse(JSON.stringify(toWireError(e))));
    const back = fromWireError(w);
    assert.ok(back instanceof MailError);
    assert.equal(back.code, 'server.rateLimited');
    assert.equal(back.retryable, e.retryable);
    assert.equal(back.offline, e.offline);
    assert.equal(back.providerMessage, 'Too many');
    assert.equal(back.retryAfter, 30);
    assert.equal(back.describe(), e.describe());
  });

  it('a verify report is the same after JSON, its error included', () => {
    const r = verifyToWire({ ok: false, server: 'IMAP 127.0.0.1:1', steps: [{ name: 'tcp', ok: false, ms: 3, detail: 'refused' }], error: new MailError('net.refused', 'connection refused') });
    assert.deepEqual(JSON.parse(JSON.stringify(r)), JSON.parse(JSON.stringify(structuredClone(r))));
    assert.equal(r.error?.code, 'net.refused');
    assert.equal(JSON.parse(JSON.stringify(r)).steps[0].detail, 'refused');
  });

  it('a raw message crosses as base64 and arrives as the same bytes', () => {
    const raw = Buffer.from('Subject: é\r\n\r\n\u0000\u00ff', 'utf8');
    const input = sendInputFromWire(JSON.parse(JSON.stringify({ rawBase64: raw.toString('base64') })));
    assert.ok('raw' in input);
    assert.deepEqual(input.raw, raw);
  });
});

describe('engine endpoint: one address per data folder, and it is a lock', () => {
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'maildesk-endpoint-'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('gives one address for two spellings of a folder, another for another folder', () => {
    const a = path.join(dir, 'a');
    fs.mkdirSync(a);
    fs.symlinkSync(a, path.join(dir, 'link'));
    assert.equal(engineEndpoint(path.join(dir, 'x', '..', 'a')).address, engineEndpoint(a).address);
    assert.equal(engineEndpoint(path.join(dir, 'link')).address, engineEndpoint(a).address);
    assert.notEqual(engineEndpoint(path.join(dir, 'b')).address, engineEndpoint(a).address);
    assert.match(engineEndpoint(a, 'linux').address, /^\0maildesk-[0-9a-f]{24}$/);
    assert.match(engineEndpoint(a, 'win32').address, /^\\\\\.\\pipe\\maildesk-[0-9a-f]{24}$/);
    assert.equal(engineEndpoint(a, 'darwin').kind, 'file');
  });

  it('a second listener on the same folder is refused until the first closes', async () => {
    const ep = engineEndpoint(path.join(dir, 'lock'));
    const first = net.createServer();
    const second = net.createServer();
    await listenExclusive(first, ep);
    await assert.rejects(listenExclusive(second, ep), (e: NodeJS.ErrnoException) => e.code === 'EADDRINUSE');
    await new Promise<void>((r) => first.close(() => r()));
    await listenExclusive(second, ep);
    await new Promise<void>((r) => second.close(() => r()));
  });

  it('a file endpoint (macOS) recovers from a stale socket file and refuses while one is live', async function () {
    if (process.platform === 'win32') this.skip();
    const ep = { kind: 'file' as const, address: path.join(dir, 's.sock') };
    // A stale file: a socket bound and then abandoned without unlinking (as after kill -9).
    const dead = net.createServer();
    await new Promise<void>((r) => dead.listen(ep.address, () => r()));
    const copy = `${ep.address}.keep`;
    fs.linkSync(ep.address, copy);
    await new Promise<void>((r) => dead.close(() => r()));
    fs.renameSync(copy, ep.address);
    assert.ok(fs.existsSync(ep.address), 'the stale socket file is there');
    const live = net.createServer();
    const release = await listenExclusive(live, ep);
    const other = net.createServer();
    await assert.rejects(listenExclusive(other, ep), (e: NodeJS.ErrnoException) => e.code === 'EADDRINUSE');
    release();
    await new Promise<void>((r) => live.close(() => r()));
    assert.ok(!fs.existsSync(ep.address));
  });
});

describe('engine secrets: what a client answers', () => {
  const account = { id: 'a', provider: 'imap' as const, email: 'a@example.test', imap: { host: 'h', port: 143, security: 'none' as const, user: 'a', passwordEnv: 'MAILDESK_UNIT_PW' } };

  it('a stored password is given; a missing one is answered with why, as plain data', async () => {
    const store = memorySecretStore({ [passwordSecretKey('a', 'imap')]: 'pw1' });
    const answers = secretAnswers(secretCredentials(store), store);
    assert.deepEqual(await answers.password(account, 'imap'), { password: 'pw1' });
    const env = secretAnswers(envCredentials({}), store);
    const r = JSON.parse(JSON.stringify(await env.password(account, 'imap')));
    assert.equal(r.missing.code, 'config.missingPassword');
    assert.match(r.missing.message, /MAILDESK_UNIT_PW.*not set/);
  });

  it('tokens handed back by the engine land in the client store, and are read and deleted there', async () => {
    const store = memorySecretStore();
    const answers = secretAnswers(secretCredentials(store), store);
    await answers.set('maildesk.oauth.tokens.a', '{"refreshToken":"r2"}');
    assert.equal(store.map.get('maildesk.oauth.tokens.a'), '{"refreshToken":"r2"}');
    assert.equal(await answers.get('maildesk.oauth.tokens.a'), '{"refreshToken":"r2"}');
    await answers.delete('maildesk.oauth.tokens.a');
    assert.equal(await answers.get('maildesk.oauth.tokens.a'), undefined);
  });
});
