/**
 * "Try the Sandbox": a demo mailbox that the engine serves itself, so someone with no mail
 * account (or no network) can try MailDesk in VS Code. The sandbox's IMAP and SMTP servers
 * (src/sandbox/server.ts, realistic generated mail) listen on 127.0.0.1 in the engine's own
 * thread, and the account is an ordinary IMAP account pointing at them: every view, action and
 * check works on it as on a real one. Nothing leaves the computer.
 *
 * The sandbox keeps its mail in memory. When the engine stops (the last window closes, or
 * another window takes over), the sandbox stops with it; the next engine starts a fresh one
 * for the saved account (on the same ports when they are free) and syncs it like a server
 * that was reset.
 */
import type { AccountConfig } from '../core/config';
import { MailError } from '../core/errors';
import type { MailDesk } from '../core/maildesk';
import type { Sandbox } from '../sandbox/server';

type SandboxServer = typeof import('../sandbox/server');
/**
 * Loaded on first use: the sandbox's servers and mail generator are not needed otherwise.
 * require() rather than import(): the bundle (CJS) and the tests' loader both resolve it.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const sandboxServer = (): SandboxServer => require('../sandbox/server') as SandboxServer;

export const SANDBOX_ACCOUNT_ID = 'sandbox';

export interface SandboxStarted {
  accountId: string;
  email: string;
  /** False when the sandbox account was there already (the command was run again). */
  added: boolean;
}

/** Whether an account is the engine's own sandbox (its password is the sandbox's, no secret). */
export function isSandboxAccount(account: AccountConfig): boolean {
  return account.sandbox === true;
}

export class SandboxHost {
  private running: Promise<Sandbox> | undefined;

  constructor(private readonly core: MailDesk) {}

  /** The password the sandbox's servers take: a documented constant, not a secret. */
  static async password(): Promise<string> {
    return sandboxServer().SANDBOX_PASSWORD;
  }

  /** Starts the sandbox (once) and adds its account, or says it is there already. */
  async start(): Promise<SandboxStarted> {
    const existing = this.core.store.getAccount(SANDBOX_ACCOUNT_ID);
    if (existing && !isSandboxAccount(existing.config)) {
      // An account the user named "sandbox" themselves is never replaced.
      throw new MailError('config.invalid', `an account with the id "${SANDBOX_ACCOUNT_ID}" exists and is not the sandbox; remove that account (or give it another id) to try the sandbox`);
    }
    const sandbox = await this.serve(existing?.config);
    const cfg = accountFor(sandbox);
    if (existing) {
      this.core.ensureAccount(cfg);
      return { accountId: cfg.id, email: cfg.email, added: false };
    }
    await this.core.addAccount(cfg);
    return { accountId: cfg.id, email: cfg.email, added: true };
  }

  /**
   * At the engine's start: a saved sandbox account gets its servers again (before sync runs,
   * so its first connection finds them), on the saved ports when they are free.
   */
  async restore(): Promise<void> {
    const saved = this.core.store.getAccount(SANDBOX_ACCOUNT_ID)?.config;
    if (!saved || !isSandboxAccount(saved)) return;
    const sandbox = await this.serve(saved);
    this.core.ensureAccount(accountFor(sandbox, saved));
  }

  /** Called when an account is removed: the sandbox's servers stop with its account. */
  async removed(accountId: string): Promise<void> {
    if (accountId === SANDBOX_ACCOUNT_ID) await this.stop();
  }

  async stop(): Promise<void> {
    const r = this.running;
    this.running = undefined;
    if (r) await (await r.catch(() => undefined))?.stop();
  }

  private serve(saved: AccountConfig | undefined): Promise<Sandbox> {
    this.running ??= (async () => {
      const { startSandbox } = sandboxServer();
      try {
        return await startSandbox({ imapPort: saved?.imap?.port, smtpPort: saved?.smtp?.port });
      } catch {
        // The saved ports are taken (another program, or a sandbox of another data folder).
        return startSandbox({});
      }
    })();
    const r = this.running;
    r.catch(() => {
      if (this.running === r) this.running = undefined;
    });
    return r;
  }
}

/** The account that reaches a running sandbox; user settings of a saved one (name, folders, bodies) are kept. */
function accountFor(s: Sandbox, saved?: AccountConfig): AccountConfig {
  const server = (port: number): NonNullable<AccountConfig['imap']> => ({ host: s.host, port, security: 'none', user: s.user });
  return {
    ...saved,
    id: SANDBOX_ACCOUNT_ID,
    provider: 'imap',
    email: s.email,
    name: saved?.name ?? 'Sandbox',
    imap: { ...saved?.imap, ...server(s.imapPort) },
    smtp: { ...saved?.smtp, ...server(s.smtpPort) },
    sandbox: true,
  };
}
