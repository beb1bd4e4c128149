/**
 * Servers that misbehave: silent, greeting then silent, stalling, garbage, a line without end,
 * an endless literal, a dropped connection. Each ends within its limit (src/core/limits.ts,
 * made short here through the provider's options) with an error that names what happened,
 * and under a memory bound measured while it runs.
 */
import { strict as assert } from 'node:assert';
import * as http from 'node:http';
import * as net from 'node:net';
import type { Context } from '@microsoft/microsoft-graph-client';
import type { TokenStore } from '../../src/core/auth/tokens';
import type { AccountConfig } from '../../src/core/config';
import { MailError } from '../../src/core/errors';
import type { ConnectionLimits } from '../../src/core/limits';
import { RecentLog } from '../../src/core/log';
import { ImapProvider } from '../../src/core/providers/imap/imapProvider';
import { NodeTransport } from '../../src/core/providers/graph/graphProvider';
import { GmailProvider } from '../../src/core/providers/gmail/gmailProvider';
import { mapCredentials } from '../support/core';
import { startHostileImap, type HostileMode } from '../support/hostileImap';

const LIMITS: Partial<ConnectionLimits> = {
  connectMs: 1_000,
  greetingMs: 600,
  loginMs: 600,
  progressMs: 700,
  maxLineBytes: 256 * 1024,
  maxLiteralBytes: 1024 * 1024,
  maxResponseBytes: 3 * 1024 * 1024,
  maxUnparsedLines: 25,
};

/** Memory the test may grow by while a hostile server floods it (the limits above are ~1 MiB). */
const MEMORY_BOUND = 48 * 1024 * 1024;

function account(port: number): AccountConfig {
  return { id: 'h', provider: 'imap', email: 'h@example.test', imap: { host: '127.0.0.1', port, security: 'none', user: 'h' } };
}

/** Runs `fn`, sampling heap + buffers; returns its outcome, the time taken and the peak growth. */
async function measured<T>(fn: () => Promise<T>): Promise<{ value?: T; error?: unknown; ms: number; peak: number }> {
  global.gc?.();
  const used = () => {
    const m = process.memoryUsage();
    return m.heapUsed + m.arrayBuffers;
  };
  const base = used();
  let peak = 0;
  const t = setInterval(() => (peak = Math.max(peak, used() - base)), 10);
  const t0 = performance.now();
  try {
    const value = await fn();
    return { value, ms: performance.now() - t0, peak };
  } catch (error) {
    return { error, ms: performance.now() - t0, peak };
  } finally {
    clearInterval(t);
    peak = Math.max(peak, used() - base);
  }
}

describe('hostile and broken IMAP servers (fake server in test/support/hostileImap.ts)', function () {
  const cleanup: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const f of cleanup.splice(0).reverse()) await f();
  });

  async function provider(mode: HostileMode, limits: Partial<ConnectionLimits> = {}): Promise<{ p: ImapProvider; log: RecentLog; sent: () => number }> {
    const srv = await startHostileImap(mode);
    cleanup.push(() => srv.stop());
    const log = new RecentLog(undefined, 10_000);
    const p = new ImapProvider(account(srv.port), mapCredentials({ h: 'pw' }), { logger: log, limits: { ...LIMITS, ...limits } });
    cleanup.push(() => p.close());
    return { p, log, sent: srv.bytesSent };
  }

  it('silent server (no greeting), security none: a timeout within the greeting limit, and no TLS advice', async () => {
    const { p } = await provider('silent');
    const r = await measured(() => p.verifyIncoming());
    const report = r.value!;
    assert.equal(report.ok, false);
    const e = report.error!;
    assert.equal(e.code, 'net.timeout', e.message);
    assert.match(e.message, /sent no greeting within 0\.6 s/);
    assert.doesNotMatch(e.describe() + (e.providerMessage ?? ''), /TLS|certificate/i);
    assert.ok(e.retryable);
    assert.ok(r.ms < 3_000, `took ${r.ms} ms`);
  });

  it('greets, then silent: the login gives up within its limit (not after the 5-minute socket timeout)', async () => {
    // The login's own deadline, not the (here shorter) limit for a command's progress.
    const { p } = await provider('greetThenSilent', { progressMs: 10_000 });
    const r = await measured(() => p.verifyIncoming());
    const e = r.value!.error!;
    assert.equal(e.code, 'net.timeout', e.message);
    assert.match(e.message, /greeted but did not complete the login within 0\.6 s/);
    assert.ok(r.ms < 4_000, `took ${r.ms} ms`);
  });

  it('stalls during a command: no byte for the progress limit ends it as a timeout', async () => {
    // The fake server stalls on the first command after LOGIN, which imapflow sends while still
    // connecting (LIST for the delimiter): a longer login limit leaves it to the progress limit.
    const { p } = await provider('stall', { loginMs: 10_000 });
    const r = await measured(() => p.listFolders());
    assert.ok(r.error instanceof MailError, String(r.error));
    assert.equal(r.error.code, 'net.timeout', r.error.message);
    assert.match(r.error.message, /sent nothing for 0\.7 s/);
    assert.ok(r.ms < 4_000, `took ${r.ms} ms`);
  });

  it('garbage without end: the connection is closed after the cap on unparseable lines, the log holds a few lines', async () => {
    const { p, log, sent } = await provider('garbage');
    const r = await measured(() => p.listFolders());
    assert.ok(r.error instanceof MailError, String(r.error));
    assert.equal(r.error.code, 'server.protocol', r.error.message);
    assert.match(r.error.message, /sent 25 lines that are not IMAP/);
    assert.ok(r.ms < 4_000, `took ${r.ms} ms`);
    assert.ok(r.peak < MEMORY_BOUND, `memory grew by ${r.peak} bytes`);
    // The server kept sending; the log did not follow it line for line.
    const lines = log.recent();
    assert.ok(lines.length <= 40, `${lines.length} log lines for ${sent()} bytes of garbage`);
    assert.ok(lines.every((l) => l.msg.length < 400), 'no raw flood in the log');
  });

  it('a line without end: stopped at the line limit, memory bounded', async () => {
    const { p, sent } = await provider('noLineEnd');
    const r = await measured(() => p.listFolders());
    assert.ok(r.error instanceof MailError, String(r.error));
    assert.equal(r.error.code, 'server.protocol', r.error.message);
    assert.match(r.error.message, /a line longer than 256 KiB without a line end/);
    assert.ok(r.ms < 4_000, `took ${r.ms} ms`);
    assert.ok(r.peak < MEMORY_BOUND, `memory grew by ${r.peak} bytes`);
    assert.ok(sent() < 64 * 1024 * 1024, `the server pushed ${sent()} bytes before the client stopped reading`);
  });

  it('an endless literal ({999999999}): refused at its announcement, memory bounded', async () => {
    const { p } = await provider('endlessLiteral');
    const r = await measured(() => p.listFolders());
    assert.ok(r.error instanceof MailError, String(r.error));
    assert.equal(r.error.code, 'server.protocol', r.error.message);
    assert.match(r.error.message, /literal of 953\.7 MiB, above MailDesk's limit of 1 MiB/);
    assert.ok(r.ms < 4_000, `took ${r.ms} ms`);
    assert.ok(r.peak < MEMORY_BOUND, `memory grew by ${r.peak} bytes`);
  });

  it('a connection dropped during a command is net.reset and retryable, never "does not exist"', async () => {
    const { p } = await provider('closeAfterLogin');
    const r = await measured(() => p.listFolders());
    assert.ok(r.error instanceof MailError, String(r.error));
    assert.equal(r.error.code, 'net.reset', r.error.message);
    assert.ok(r.error.retryable);
    assert.doesNotMatch(r.error.describe(), /does not exist|Select Folders/);
  });
});

/** An HTTP server that answers every request by streaming without end, or by trickling a byte now and then. */
async function hostileHttp(mode: 'endless' | 'trickle'): Promise<{ base: string; sent: () => number; stop: () => Promise<void> }> {
  let sent = 0;
  const timers = new Set<NodeJS.Timeout>();
  const server = http.createServer((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.write('{"value":[');
    const chunk = Buffer.alloc(64 * 1024, 0x20);
    const t = setInterval(
      () => {
        if (res.destroyed) return clearInterval(t);
        if (mode === 'trickle') {
          res.write(' ');
          sent++;
          return;
        }
        // As fast as the client reads.
        while (!res.destroyed && res.write(chunk)) sent += chunk.length;
      },
      mode === 'trickle' ? 50 : 5,
    );
    timers.add(t);
    res.on('close', () => clearInterval(t));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as net.AddressInfo).port;
  return {
    base: `http://127.0.0.1:${port}`,
    sent: () => sent,
    stop: () =>
      new Promise<void>((r) => {
        for (const t of timers) clearInterval(t);
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** An SMTP "server" that accepts the connection and then says nothing, or greets and then stalls. */
async function hostileSmtp(mode: 'silent' | 'greetThenSilent'): Promise<{ port: number; stop: () => Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('error', () => undefined);
    if (mode === 'greetThenSilent') s.write('220 relay.example.test ESMTP ready\r\n');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    port: (server.address() as net.AddressInfo).port,
    stop: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

describe('hostile SMTP and HTTP API servers (limits from src/core/limits.ts, made short)', function () {
  const cleanup: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const f of cleanup.splice(0).reverse()) await f();
  });
  const HTTP_LIMITS: Partial<ConnectionLimits> = { httpRequestMs: 800, httpMaxResponseBytes: 1024 * 1024 };

  for (const mode of ['silent', 'greetThenSilent'] as const) {
    it(`SMTP ${mode === 'silent' ? 'server without a greeting' : 'server that greets, then stalls'}: Test Outgoing Server ends within its limit, without TLS advice`, async () => {
      const srv = await hostileSmtp(mode);
      cleanup.push(() => srv.stop());
      const acc: AccountConfig = { ...account(1), smtp: { host: '127.0.0.1', port: srv.port, security: 'none', user: 'h' } };
      const p = new ImapProvider(acc, mapCredentials({ h: 'pw' }), { limits: { ...LIMITS, smtpSocketMs: 700 } });
      cleanup.push(() => p.close());
      const r = await measured(() => p.verifyOutgoing());
      const e = r.value!.error!;
      assert.ok(e, 'no error');
      assert.equal(e.code, 'net.timeout', e.message);
      assert.doesNotMatch(e.describe(), /TLS|certificate/i);
      assert.ok(r.ms < 4_000, `took ${r.ms} ms`);
    });
  }

  it('Graph: a response without end is cut at the size limit, memory bounded', async () => {
    const srv = await hostileHttp('endless');
    cleanup.push(() => srv.stop());
    const t = new NodeTransport(undefined, 60_000, HTTP_LIMITS);
    const ctx: Context = { request: `${srv.base}/v1.0/me/messages`, options: { method: 'GET' } };
    const r = await measured(() => t.execute(ctx));
    assert.ok(r.error instanceof MailError, String(r.error));
    assert.equal(r.error.code, 'server.protocol');
    assert.match(r.error.message, /sent a response larger than 1 MiB/);
    assert.ok(r.ms < 4_000, `took ${r.ms} ms`);
    assert.ok(r.peak < MEMORY_BOUND, `memory grew by ${r.peak} bytes`);
  });

  it('Graph: a response trickling a byte now and then ends at the request deadline', async () => {
    const srv = await hostileHttp('trickle');
    cleanup.push(() => srv.stop());
    const t = new NodeTransport(undefined, 60_000, HTTP_LIMITS);
    const r = await measured(() => t.execute({ request: `${srv.base}/v1.0/me/messages`, options: { method: 'GET' } }));
    assert.ok(r.error instanceof Error, String(r.error));
    assert.match(r.error.message, /did not finish its answer within 0\.8 s/);
    assert.equal((r.error as NodeJS.ErrnoException).code, 'ETIMEDOUT');
    assert.ok(srv.sent() > 3, 'the server was still sending');
    assert.ok(r.ms < 4_000, `took ${r.ms} ms`);
  });

  for (const mode of ['endless', 'trickle'] as const) {
    it(`Gmail API: a response ${mode === 'endless' ? 'without end is cut at the size limit' : 'trickling a byte now and then ends at the request deadline'}`, async () => {
      const srv = await hostileHttp(mode);
      cleanup.push(() => srv.stop());
      const tokens: TokenStore = {
        load: async () => ({ refreshToken: 'r', accessToken: 'a', expiresAt: Date.now() + 3_600_000 }),
        save: async () => undefined,
        delete: async () => undefined,
      } as unknown as TokenStore;
      const p = new GmailProvider({
        account: { id: 'g', provider: 'gmail', email: 'g@example.test' },
        settings: async () => ({ clientId: 'c', clientSecret: 's', authUrl: `${srv.base}/auth`, tokenUrl: `${srv.base}/token`, apiRootUrl: `${srv.base}/` }),
        tokens,
        maxRetries: 1,
        limits: HTTP_LIMITS,
      });
      const r = await measured(() => p.listFolders());
      assert.ok(r.error instanceof MailError, String(r.error));
      if (mode === 'endless') {
        assert.equal(r.error.code, 'server.protocol', r.error.message);
        assert.match(r.error.message, /labels\.list: Gmail sent a response larger than MailDesk's limit of 1 MiB/);
      } else {
        assert.equal(r.error.code, 'net.timeout', r.error.message);
        assert.match(r.error.message, /labels\.list: Gmail did not finish its answer within 0\.8 s/);
        assert.ok(r.error.retryable);
      }
      assert.ok(r.ms < 6_000, `took ${r.ms} ms`);
      assert.ok(r.peak < MEMORY_BOUND, `memory grew by ${r.peak} bytes`);
    });
  }
});
