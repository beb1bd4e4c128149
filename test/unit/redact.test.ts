import { strict as assert } from 'node:assert';
import * as os from 'node:os';
import type { AccountConfig } from '../../src/core/config';
import type { CheckOutcome } from '../../src/core/diagnostics/check';
import { collectMessageTexts, collectSecrets, Redactor } from '../../src/core/diagnostics/redact';
import { buildReport, renderMarkdown } from '../../src/core/diagnostics/report';
import { MailDesk } from '../../src/core/maildesk';

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
const b64url = (s: string) => b64(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');

// Every kind of secret the issue names, as real-looking values.
const PASSWORD = 'Tr0ub4dor&3-horse';
const SMTP_PASSWORD = 'Sm7p-Only-Pass!';
const GOOGLE_ACCESS = 'ya29.a0AfH6SMBxAccessTokenValue9Zq';
const GOOGLE_REFRESH = '1//0gRefreshTokenValueXYZ123abc';
const MS_ACCESS = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1c2VyIn0.c2lnbmF0dXJlLXNpZw';
const AUTH_CODE = '4/0AX4XfWhAuthCodeQq7zz';
const PKCE_VERIFIER = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk';
const GOOGLE_CLIENT_SECRET = 'GOCSPX-clientSecretValue123';
const MS_CLIENT_SECRET = 'Qx8Q~abcDEFghiJKLmnoPQRstuVWXyz0123456';
const SUBJECT = 'Merger talks with Contoso Q3';
const BODY = 'The board approved the acquisition price of 4.2 million.';
const ADDRESS = 'carol.private@contoso.example';
const HOME = os.homedir();

/** What a leak of each would look like, in every encoding the issue names. */
function forbidden(): string[] {
  const secrets = [PASSWORD, SMTP_PASSWORD, GOOGLE_ACCESS, GOOGLE_REFRESH, MS_ACCESS, AUTH_CODE, PKCE_VERIFIER, GOOGLE_CLIENT_SECRET, MS_CLIENT_SECRET];
  return [
    ...secrets.flatMap((s) => [s, b64(s), b64url(s), encodeURIComponent(s)]),
    b64(`\0alice\0${PASSWORD}`),
    b64(`user=${ADDRESS}\x01auth=Bearer ${GOOGLE_ACCESS}\x01\x01`),
    b64(`alice:${PASSWORD}`),
    SUBJECT,
    BODY,
    'carol.private',
    '/home/bob',
    'C:\\Users\\Bob',
    `${HOME}/projects`,
  ];
}

describe('support report redaction', () => {
  let core: MailDesk;
  const account: AccountConfig = {
    id: 'work',
    provider: 'imap',
    email: ADDRESS,
    imap: { host: 'imap.example.test', port: 993, security: 'tls', user: ADDRESS, passwordEnv: 'WORK_PW' },
    smtp: { host: 'smtp.example.test', port: 465, security: 'tls', user: ADDRESS, passwordEnv: 'WORK_SMTP_PW' },
  };
  const env = { WORK_PW: PASSWORD, WORK_SMTP_PW: SMTP_PASSWORD, G_SECRET: GOOGLE_CLIENT_SECRET };

  beforeEach(async () => {
    core = await MailDesk.open({
      credentials: {
        async password(_a, server) {
          return server === 'imap' ? PASSWORD : SMTP_PASSWORD;
        },
      },
    });
    core.store.upsertAccount(account);
    core.store.upsertFolders('work', [{ path: 'INBOX', name: 'INBOX', role: 'inbox', specialUse: '\\Inbox' }], () => true);
    const inbox = core.store.getFolder('work', 'INBOX')!;
    core.store.upsertMessages(inbox.id, [{ providerId: '1:1:1', uid: 1, subject: SUBJECT, snippet: BODY, from: { name: 'Carol', address: ADDRESS }, flags: [] }]);
  });
  afterEach(() => core.close());

  async function report(opts: { includeAddresses?: boolean } = {}) {
    const log = (msg: string, fields?: Record<string, unknown>) => core.log.log('warn', msg, fields);
    // Log lines as a careless protocol trace or error text could write them.
    log(`C: A1 AUTHENTICATE PLAIN ${b64(`\0alice\0${PASSWORD}`)}`);
    log(`C: ${b64(`user=${ADDRESS}\x01auth=Bearer ${GOOGLE_ACCESS}\x01\x01`)}`);
    log(`S: 334 VXNlcm5hbWU6`);
    log(`C: ${b64(PASSWORD)}`);
    log(`login failed with password ${PASSWORD} for ${ADDRESS}`);
    log(`POST /token grant_type=refresh_token&refresh_token=${GOOGLE_REFRESH}&client_secret=${GOOGLE_CLIENT_SECRET}`);
    log(`Authorization: Bearer ${MS_ACCESS}`);
    log(`authorization: Basic ${b64(`alice:${PASSWORD}`)}`);
    log(`redirect http://127.0.0.1:53123/callback?code=${encodeURIComponent(AUTH_CODE)}&state=abc`);
    log(`token request {"code_verifier":"${PKCE_VERIFIER}","client_secret":"${MS_CLIENT_SECRET}"}`);
    log(`verifier was ${PKCE_VERIFIER}`);
    log(`access token ${GOOGLE_ACCESS} expired; id ${b64url(GOOGLE_ACCESS)}`);
    log(`fetch of "${SUBJECT}" failed: ${BODY}`);
    log(`APPEND Sent {120}\r\nFrom: ${ADDRESS}\r\nSubject: ${SUBJECT}\r\n\r\n${BODY}\r\n`);
    log(`store at ${HOME}/projects/maildesk and /home/bob/.config/maildesk and C:\\Users\\Bob\\AppData`);
    log('tokens saved', { accessToken: GOOGLE_ACCESS, refreshToken: GOOGLE_REFRESH, code: 'auth.failed', folder: 'INBOX' });
    const outcomes: CheckOutcome[] = [
      {
        id: 'auth.status',
        account: 'work',
        title: 'Authorization',
        status: 'fail',
        detail: `Login failed: IMAP imap.example.test:993: the server rejected ${ADDRESS} / ${PASSWORD} [server said: NO [AUTHENTICATIONFAILED]]`,
        remedy: 'Check the user name and password',
        section: 'Mailbox is disconnected',
        ms: 1,
      },
    ];
    const redactor = new Redactor({
      secrets: await collectSecrets([account], {
        credentials: { password: async (_a, s) => (s === 'imap' ? PASSWORD : SMTP_PASSWORD) },
        oauth: { google: { clientId: 'id', clientSecretEnv: 'G_SECRET' } },
        env,
      }),
      messageTexts: collectMessageTexts(core.store, ['work']),
      includeAddresses: opts.includeAddresses,
    });
    const r = buildReport({
      host: core,
      outcomes,
      version: '0.1.0',
      app: 'cli',
      expected: `a reply from ${ADDRESS} about "${SUBJECT}"`,
      happened: `nothing since I changed the password to ${PASSWORD}`,
      redactor,
    });
    return { json: JSON.stringify(r), md: renderMarkdown(r), report: r };
  }

  it('no password, token, code, verifier, client secret, SASL blob, subject, body, home path or address reaches the JSON or the Markdown', async () => {
    const { json, md } = await report();
    for (const [name, text] of [
      ['JSON', json],
      ['Markdown', md],
    ] as const) {
      for (const f of forbidden()) assert.ok(!text.includes(f), `${name} report contains "${f}"`);
    }
  });

  it('keeps what support needs: hosts, error codes, the server\'s words, masked addresses, the check and its remedy', async () => {
    const { json, report: r } = await report();
    assert.match(json, /imap\.example\.test/);
    assert.match(json, /AUTHENTICATIONFAILED/);
    assert.equal(r.accounts[0].email, 'c***@contoso.example');
    assert.equal(r.accounts[0].incoming?.user, 'c***@contoso.example');
    assert.equal(r.checks[0].remedy, 'Check the user name and password');
    assert.equal(r.expected, `a reply from c***@contoso.example about "[REDACTED message text]"`);
    const line = r.log.find((l) => l.msg === 'tokens saved')!;
    assert.deepEqual(line.fields, { accessToken: '[REDACTED]', refreshToken: '[REDACTED]', code: 'auth.failed', folder: 'INBOX' });
    assert.ok(r.log.some((l) => l.msg === 'C: A1 AUTHENTICATE PLAIN [REDACTED]'));
    assert.ok(r.log.some((l) => l.msg.startsWith('store at ~/projects/maildesk and ~/.config/maildesk and ~\\AppData')));
  });

  it('keeps addresses when the user chooses to include them, and still hides the secrets', async () => {
    const { json } = await report({ includeAddresses: true });
    assert.ok(json.includes(ADDRESS));
    for (const s of [PASSWORD, GOOGLE_ACCESS, SUBJECT]) assert.ok(!json.includes(s));
  });

  it('redacts patterns without knowing the values', () => {
    const r = new Redactor({ homeDirs: ['/home/zed'] });
    const cases: Array<[string, string]> = [
      ['Authorization: Bearer abc.def-ghi', 'Authorization: [REDACTED]'],
      ['AUTH XOAUTH2 dXNlcj1hQGIuYwFhdXRoPUJlYXJlciB4eXoBAQ==', 'AUTH XOAUTH2 [REDACTED]'],
      ['a1 LOGIN alice "hunter2!"', 'a1 LOGIN alice [REDACTED]'],
      ['?code=4%2F0AX4Xf&state=1', '?code=[REDACTED]&state=[REDACTED]'],
      ['"refresh_token": "whatever-it-is"', '"refresh_token": "[REDACTED]"'],
      ['password=hunter2', 'password=[REDACTED]'],
      ['Subject: Lunch?', 'Subject: [REDACTED]'],
      ['/home/zed/x and /Users/amy/y', '~/x and ~/y'],
      ['mail to bob.smith@example.org', 'mail to b***@example.org'],
      ['the user name or password was rejected', 'the user name or password was rejected'],
      ['job work:sync:INBOX failed: net.timeout', 'job work:sync:INBOX failed: net.timeout'],
    ];
    for (const [input, want] of cases) assert.equal(r.text(input), want, input);
  });
});

describe('Redactor: account ids made from addresses', () => {
  it('masks "bob-at-example.test" like the address it came from, unless addresses are included', () => {
    const masked = new Redactor({}).text('Account bob.stone-at-example.test failed');
    if (masked.includes('bob.stone')) throw new Error(`address leaked: ${masked}`);
    if (!masked.includes('b***-at-example.test')) throw new Error(`unexpected mask: ${masked}`);
    const kept = new Redactor({ includeAddresses: true }).text('Account bob.stone-at-example.test failed');
    if (!kept.includes('bob.stone-at-example.test')) throw new Error(`included address was masked: ${kept}`);
  });
});
