import { generateMailbox, type GeneratedMessage } from '../../../src/sandbox/mailgen';
import { startDovecot, type Dovecot } from '../../support/dovecot';
import { startSmtp, type SmtpServer } from '../../support/smtp';

/** What the sandbox was seeded with, per folder: what the Mailboxes view must end up showing. */
export interface SeededFolder {
  path: string;
  total: number;
  unread: number;
  /** Conversations with at least one message here (the rows of a list grouped by thread). */
  threads: number;
  /** Subject of the message with the latest Date (the first row of a newest-first list). */
  newestSubject: string;
}

export interface MailSandbox {
  dovecot: Dovecot;
  smtp: SmtpServer;
  /** Dovecot user (login) whose mailbox is seeded, with its password. */
  user: string;
  password: string;
  /** A second Dovecot user with (almost) empty mail, for the wrong-password scenario. */
  otherUser: string;
  otherPassword: string;
  /** Seeded folders by IMAP path (INBOX, Sent, Drafts, Archive). */
  folders: Record<string, SeededFolder>;
  messages: GeneratedMessage[];
  /** Stops SMTP and Dovecot (by its pid) and removes Dovecot's temp folder. Safe to call twice. */
  stop(): Promise<void>;
}

/** Folders seeded; Archive is a real folder with mail that MailDesk does not select by default. */
export const SANDBOX_FOLDERS = { INBOX: 0.55, Sent: 0.2, Drafts: 0.07, Archive: 0.18 } as const;

/**
 * Starts a private Dovecot and SMTP server on 127.0.0.1 and seeds the first user's mailbox with
 * `count` realistic messages (src/sandbox/mailgen.ts, demo profile): a few dozen in INBOX, Sent and
 * Drafts, and some in Archive.
 */
export async function startMailSandbox(count = 90): Promise<MailSandbox> {
  const user = 'alice';
  const password = 'secret';
  const otherUser = 'bob';
  const otherPassword = 'hunter2-bob';
  const dovecot = await startDovecot({ users: { [user]: password, [otherUser]: otherPassword }, extraFolders: ['Archive'] });
  let smtp: SmtpServer | undefined;
  try {
    smtp = await startSmtp({ users: { [user]: password, [otherUser]: otherPassword } });
    const messages = generateMailbox({ sizeProfile: 'demo', count, seed: 7, folders: { ...SANDBOX_FOLDERS } });
    const folders: Record<string, SeededFolder> = {};
    for (const path of Object.keys(SANDBOX_FOLDERS)) {
      const inFolder = messages.filter((m) => m.folder === path);
      dovecot.seedMaildir(
        user,
        path,
        inFolder.map((m) => ({ raw: m.raw, flags: m.flags, date: m.date })),
      );
      const newest = [...inFolder].sort((a, b) => b.date.getTime() - a.date.getTime())[0];
      folders[path] = {
        path,
        total: inFolder.length,
        unread: inFolder.filter((m) => !m.flags.includes('\\Seen')).length,
        threads: new Set(inFolder.map((m) => m.threadKey)).size,
        newestSubject: newest?.subject ?? '',
      };
    }
    const stopSmtp = smtp.stop.bind(smtp);
    let stopped = false;
    return {
      dovecot,
      smtp,
      user,
      password,
      otherUser,
      otherPassword,
      folders,
      messages,
      stop: async () => {
        if (stopped) return;
        stopped = true;
        await stopSmtp().catch(() => undefined);
        await dovecot.dispose();
      },
    };
  } catch (err) {
    await smtp?.stop().catch(() => undefined);
    await dovecot.dispose();
    throw err;
  }
}
