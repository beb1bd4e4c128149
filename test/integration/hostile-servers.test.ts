/**
 * Servers that misbehave: silent, greeting then silent, stalling, garbage, a line without end,
 * an endless literal, a dropped connection. Each ends within its limit (src/core/limits.ts,
 * made short here through the provider's options) with an error that names what happened,
 * and under a memory bound measured while it runs.
 */
import { strict as assert } from 'node:assert';
import type { AccountConfig } from '../../src/core/config';
import { MailError } from '../../src/core/errors';
import type { ConnectionLimits } from '../../src/core/limits';
import { RecentLog } from '../../src/core/log';
import { ImapProvider } from '../../src/core/providers/imap/imapProvider';
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
