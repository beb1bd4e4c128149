import { strict as assert } from 'node:assert';
import { MailError, toMailError } from '../../src/core/errors';
import { DEFAULT_LIMITS, formatBytes, resolveLimits } from '../../src/core/limits';
import { imapflowLogger, RecentLog, type LogLine } from '../../src/core/log';
import { DEFAULT_PARSE_LIMITS } from '../../src/core/mime/parse';
import { serverIdentity } from '../../src/core/providers/imap/imapProvider';
import type { ImapFlow } from 'imapflow';

describe('connection limits (src/core/limits.ts)', () => {
  it('the largest literal is above what the MIME parser reads of a message and far below a GiB', () => {
    assert.ok(DEFAULT_LIMITS.maxLiteralBytes >= 2 * DEFAULT_PARSE_LIMITS.maxBytes);
    assert.ok(DEFAULT_LIMITS.maxLiteralBytes <= 256 * 1024 * 1024);
    assert.ok(DEFAULT_LIMITS.maxResponseBytes > DEFAULT_LIMITS.maxLiteralBytes, 'room for the framing of a maximal literal');
    assert.ok(DEFAULT_LIMITS.maxLineBytes < 1024 * 1024 * 1024);
  });

  it('the login budget ends before a command would be called stalled', () => {
    assert.ok(DEFAULT_LIMITS.connectMs + DEFAULT_LIMITS.greetingMs + DEFAULT_LIMITS.loginMs <= DEFAULT_LIMITS.progressMs);
  });

  it('overrides take only usable numbers', () => {
    const l = resolveLimits({ greetingMs: 500, progressMs: -1, maxLineBytes: Number.NaN });
    assert.equal(l.greetingMs, 500);
    assert.equal(l.progressMs, DEFAULT_LIMITS.progressMs);
    assert.equal(l.maxLineBytes, DEFAULT_LIMITS.maxLineBytes);
    assert.equal(formatBytes(1024 * 1024), '1 MiB');
    assert.equal(formatBytes(999_999_999), '953.7 MiB');
  });
});

describe('errors of silent and closing servers', () => {
  it("imapflow's greeting timeout is a timeout without TLS advice", () => {
    const e = toMailError(Object.assign(new Error('Failed to receive greeting from server in required time. Maybe should use TLS?'), { code: 'GREETING_TIMEOUT' }), 'IMAP h:143');
    assert.equal(e.code, 'net.timeout');
    assert.ok(e.retryable);
    assert.doesNotMatch(`${e.describe()} ${e.providerMessage ?? ''}`, /TLS|certificate/i);
  });

  it("imapflow's close before the session began is a dropped connection, retryable", () => {
    const e = toMailError(Object.assign(new Error('Unexpected close'), { code: 'ClosedAfterConnectText' }), 'IMAP');
    assert.equal(e.code, 'net.reset');
    assert.ok(e.retryable);
  });

  it('a remedy given with the error wins over the table', () => {
    const e = new MailError('auth.failed', 'the outgoing server rejected the login', { remedy: 'Use Test Outgoing Server' });
    assert.match(e.describe(), /Test Outgoing Server$/);
    assert.match(new MailError('auth.failed', 'x').describe(), /Test Incoming Server/);
  });
});

describe('log lines', () => {
  function capture(): { log: RecentLog; out: LogLine[] } {
    const out: LogLine[] = [];
    const log = new RecentLog({ log: (level, msg, fields) => out.push({ time: '', level, msg, fields }) }, 1000);
    return { log, out };
  }

  it('a line repeated is counted, not repeated; the count is written when another line comes', () => {
    const { log, out } = capture();
    for (let i = 0; i < 250; i++) log.log('error', 'IMAP connection error: Socket timeout', { account: 'a', cid: `c${i}` });
    log.log('info', 'something else');
    const msgs = out.map((l) => l.msg);
    assert.equal(msgs[0], 'IMAP connection error: Socket timeout');
    assert.match(msgs[1], /repeated 10 times so far/);
    assert.match(msgs[2], /repeated 100 times so far/);
    assert.match(msgs[3], /repeated 249 times in all/);
    assert.equal(msgs[4], 'something else');
    assert.equal(out.length, 5);
    assert.equal(log.recent().length, 5);
  });

  it('different fields are different lines', () => {
    const { log, out } = capture();
    log.log('warn', 'x', { folder: 'A' });
    log.log('warn', 'x', { folder: 'B' });
    assert.equal(out.length, 2);
  });

  it('an unparseable server line is counted and logged short, never raw and whole', () => {
    const out: LogLine[] = [];
    const log = { log: (level: LogLine['level'], msg: string) => out.push({ time: '', level, msg }) };
    let seen = 0;
    const l = imapflowLogger(log, { account: 'a' }, { onUnparsed: () => ++seen < 3 });
    const raw = 'A1 LOGIN alice secret-password ' + 'x'.repeat(5000);
    for (let i = 0; i < 5; i++) l.error({ src: 's', msg: raw, payloadBytes: raw.length, err: new Error('parse'), cid: 'c' });
    l.info({ src: 'c', msg: 'A1 LOGIN alice secret-password', cid: 'c' });
    assert.equal(seen, 5);
    assert.equal(out.length, 2, 'logged until the connection gave up, then silent; client lines never');
    assert.ok(out.every((o) => o.msg.length < 120));
    assert.match(out[0].msg, /unparseable line from the server \(5031 bytes\)/);
  });
});

describe('server identity for the support report', () => {
  it('greeting and ID name, version and vendor only', () => {
    const fake = { greeting: 'Dovecot ready.\u0000', serverInfo: { name: 'Dovecot', version: '2.3.21', 'support-url': 'mailto:admin@corp', os: 'Linux' } } as unknown as ImapFlow;
    assert.equal(serverIdentity(fake), 'greeting "Dovecot ready.?"; ID: name Dovecot, version 2.3.21');
    assert.equal(serverIdentity({ greeting: '', serverInfo: null } as unknown as ImapFlow), 'no greeting text; ID: not answered');
  });
});
