/**
 * `npm run demo`: MailDesk's main job on a machine with no mail account and no system
 * package. Starts a local sandbox mail server (IMAP + SMTP, seeded with realistic mail),
 * syncs it with the real `maildesk` CLI code into a fresh data folder, shows what it got,
 * and stops what it started. `--keep` leaves the sandbox running so VS Code can use it.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { main as cli } from '../src/cli/main';
import { startSandbox } from '../src/sandbox/server';

const keep = process.argv.includes('--keep');

function section(title: string): void {
  process.stdout.write(`\n── ${title} ${'─'.repeat(Math.max(0, 70 - title.length))}\n`);
}

async function run(args: string[]): Promise<number> {
  process.stdout.write(`$ maildesk ${args.join(' ')}\n`);
  return cli(args);
}

async function demo(): Promise<number> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'maildesk-demo-'));
  const data = path.join(dir, 'data');
  const config = path.join(dir, 'maildesk.config.json');
  const sandbox = await startSandbox({ imapPort: keep ? 10143 : undefined, smtpPort: keep ? 10025 : undefined });
  let failed = 0;
  try {
    process.env.SANDBOX_PASSWORD = sandbox.password;
    const account = {
      id: 'sandbox',
      provider: 'imap',
      email: sandbox.email,
      name: 'Sandbox',
      imap: { host: sandbox.host, port: sandbox.imapPort, security: 'none', user: sandbox.user, passwordEnv: 'SANDBOX_PASSWORD' },
      smtp: { host: sandbox.host, port: sandbox.smtpPort, security: 'none', user: sandbox.user, passwordEnv: 'SANDBOX_PASSWORD' },
      folders: ['INBOX', 'Sent', 'Drafts', 'Archive'],
    };
    fs.writeFileSync(config, JSON.stringify({ accounts: [account] }, null, 2));

    section('A local sandbox mail server is running');
    process.stdout.write(`IMAP ${sandbox.host}:${sandbox.imapPort}, SMTP ${sandbox.host}:${sandbox.smtpPort}, user ${sandbox.user}\n`);
    process.stdout.write(`Configuration: ${config}\nData folder:   ${data}\n`);

    const base = ['--config', config, '--data', data];
    section('Test the incoming and outgoing servers');
    failed += (await run([...base, 'test-incoming', '--account', 'sandbox'])) ? 1 : 0;
    failed += (await run([...base, 'test-outgoing', '--account', 'sandbox'])) ? 1 : 0;

    section('Sync every selected folder until it is in step with the server');
    failed += (await run([...base, 'sync', '--once'])) ? 1 : 0;

    section('Folders, with what is held locally and on the server');
    failed += (await run([...base, 'folders', '--account', 'sandbox'])) ? 1 : 0;

    section('Inbox, newest first');
    failed += (await run([...base, 'list', '--account', 'sandbox', '--folder', 'INBOX', '--limit', '12'])) ? 1 : 0;

    section('New mail arrives; an incremental sync picks it up');
    sandbox.deliver(
      [
        'From: Priya Natarajan <priya@example.test>',
        `To: ${sandbox.email}`,
        'Subject: Demo: a message that just arrived',
        `Date: ${new Date().toUTCString()}`,
        `Message-ID: <demo-${Date.now()}@example.test>`,
        'Content-Type: text/plain; charset=utf-8',
        '',
        'This one was delivered while the demo was running.',
        '',
      ].join('\r\n'),
    );
    failed += (await run([...base, 'sync', '--once', '--account', 'sandbox'])) ? 1 : 0;
    failed += (await run([...base, 'list', '--account', 'sandbox', '--folder', 'INBOX', '--limit', '3'])) ? 1 : 0;

    section('Scheduled jobs (the "Scheduled Actions" of the guide)');
    failed += (await run([...base, 'jobs'])) ? 1 : 0;

    section('Troubleshoot: every documented check, and the support report');
    failed += (await run([...base, 'doctor', '--out', dir, '--expected', 'new mail in Inbox', '--happened', 'demo run'])) ? 1 : 0;

    section('Use the same sandbox from VS Code');
    process.stdout.write(
      [
        'Run `npm run demo -- --keep` to leave the sandbox running (IMAP 127.0.0.1:10143, SMTP 127.0.0.1:10025), then in VS Code:',
        '  1. Install the extension: `npm run package` and "Extensions: Install from VSIX…" with dist/maildesk.vsix',
        '     (or open this folder and press F5 to start an Extension Development Host).',
        '  2. Open the MailDesk view in the activity bar and run "MailDesk: Add IMAP Account".',
        `  3. Email ${sandbox.email}; incoming 127.0.0.1 port 10143 security "none"; outgoing 127.0.0.1 port 10025 "none";`,
        `     user ${sandbox.user}; password ${sandbox.password}.`,
        '',
      ].join('\n'),
    );
    if (keep) {
      process.stdout.write('Sandbox running; press Ctrl+C to stop it.\n');
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
    }
  } finally {
    await sandbox.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  section(failed ? `Demo finished with ${failed} failing step(s)` : 'Demo finished: sandbox stopped, temporary data removed');
  return failed ? 1 : 0;
}

demo().then(
  (code) => process.exit(code),
  (e) => {
    process.stderr.write(`demo: ${(e as Error).message}\n`);
    process.exit(1);
  },
);
