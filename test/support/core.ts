/** Builds a MailDesk core pointed at a test Dovecot (and optionally an SMTP server). */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { AccountConfig, CredentialSource } from '../../src/core/config';
import { MailDesk } from '../../src/core/maildesk';
import { streamLogger } from '../../src/core/log';

export function imapAccount(id: string, imapPort: number, opts: { user?: string; smtpPort?: number; folders?: string[] } = {}): AccountConfig {
  const user = opts.user ?? id;
  return {
    id,
    provider: 'imap',
    email: `${user}@example.test`,
    imap: { host: '127.0.0.1', port: imapPort, security: 'none', user },
    smtp: opts.smtpPort ? { host: '127.0.0.1', port: opts.smtpPort, security: 'none', user } : undefined,
    folders: opts.folders,
  };
}

/** Passwords from a map the test can change (e.g. to simulate a wrong password). */
export function mapCredentials(passwords: Record<string, string>): CredentialSource {
  return {
    async password(account) {
      const p = passwords[account.id];
      if (p === undefined) throw new Error(`no test password for ${account.id}`);
      return p;
    },
  };
}

export function tempDir(prefix = 'maildesk-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export async function openCore(dataDir: string | undefined, passwords: Record<string, string>, extra: Partial<Parameters<typeof MailDesk.open>[0]> = {}): Promise<MailDesk> {
  return MailDesk.open({
    dataDir,
    credentials: mapCredentials(passwords),
    logger: process.env.MAILDESK_TEST_LOG ? streamLogger((s) => process.stderr.write(s), 'debug') : undefined,
    idle: false,
    backoffBaseMs: 50,
    ...extra,
  });
}
