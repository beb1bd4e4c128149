/**
 * Connection checks: OAuth configuration, authorization, Test Incoming / Outgoing Server and
 * the provider endpoints. The two server tests run once per account (the runner shares them),
 * so checks that read the same test never connect twice.
 */
import * as l10n from '@vscode/l10n';
import type { AccountConfig } from '../../config';
import { describeError, type MailError, type MailErrorCode } from '../../errors';
import type { VerifyReport, VerifyStep } from '../../providers/provider';
import { StepRunner, verifyTransport } from '../../providers/verify';
import { withDeadline } from '../../deadline';
import { GOOGLE_TESTING_EXPIRY } from '../../auth/oauthConfig';
import { diagnosticError } from '../timeout';
import { accountTarget, openSettingsAction, type Check, type CheckAction, type CheckContext } from '../check';

const AUTH_CODES = new Set<MailErrorCode>(['auth.failed', 'auth.expired', 'auth.reauthRequired', 'auth.accessDenied', 'config.missingPassword']);

const PROVIDER_LABEL: Record<string, string> = { imap: 'IMAP', gmail: 'Gmail', outlook: 'Outlook / Microsoft 365' };

export function providerLabel(provider: string): string {
  return PROVIDER_LABEL[provider] ?? provider;
}

/** "dns ok 0 ms (…) · tcp ok 1 ms (…) · login FAILED 12 ms (…)": every step timed, the failing one named. */
export function formatSteps(steps: VerifyStep[]): string {
  return steps.map((s) => `${s.name} ${s.ok ? 'ok' : 'FAILED'} ${s.ms} ms (${s.detail})`).join(' · ');
}

/** The error as the server or the socket said it, plus our one-line reading of it. */
export function exactError(e: MailError): string {
  const pm = e.providerMessage && !e.message.includes(e.providerMessage) ? ` [server said: ${e.providerMessage}]` : '';
  return `${e.message}${pm}`;
}

function causeCode(e: MailError): string {
  const c = e.cause as { code?: unknown } | undefined;
  return typeof c?.code === 'string' ? c.code : '';
}

/** The TLS failure told apart: expired, untrusted, wrong host name, or no TLS on that port. */
export function tlsRemedy(e: MailError, host: string): string {
  const text = `${causeCode(e)} ${e.message} ${e.providerMessage ?? ''}`;
  if (/CERT_HAS_EXPIRED|expired/i.test(text)) {
    return `The server's certificate has expired. The mail provider must renew it; until then MailDesk refuses the connection (only for a private server you trust: set allowInvalidCertificate in the account's server settings).`;
  }
  if (/ALTNAME|does not match|Hostname\/IP/i.test(text)) {
    return `The server's certificate is not issued for "${host}". Use the host name the certificate names (edit the account: remove it and add it again with MailDesk: Add IMAP Account), then Test Incoming Server.`;
  }
  if (/SELF_SIGNED|self[- ]signed|UNABLE_TO_VERIFY|unable to get local issuer|unable to verify/i.test(text)) {
    return `The server's certificate is self-signed or not issued by a trusted authority. Ask the administrator for a proper certificate (only for a private server you trust: set allowInvalidCertificate in the account's server settings).`;
  }
  if (/wrong version number|packet length|unknown protocol|EPROTO/i.test(text)) {
    return `The server does not speak TLS on this port: choose the security that matches the port (TLS on 993/465, STARTTLS on 143/587), then Test Incoming Server.`;
  }
  return describeError('net.tls').remedy;
}

export function oauthClientMissing(cfg: AccountConfig, ctx: CheckContext): string | undefined {
  if (cfg.provider === 'imap') return undefined;
  const s = ctx.settings;
  if (cfg.provider === 'gmail') {
    const g = ctx.oauth.google ?? {};
    const clientId = g.clientId ?? (s['maildesk.oauth.google.clientId'] as string | undefined);
    if (!clientId) return 'no Google OAuth client id is configured (oauth.google.clientId)';
    if (g.clientSecretEnv && !ctx.env[g.clientSecretEnv]) return `the Google client secret is missing: the environment variable ${g.clientSecretEnv} (oauth.google.clientSecretEnv) is not set`;
    return undefined;
  }
  const m = ctx.oauth.microsoft ?? {};
  const clientId = m.clientId ?? (s['maildesk.oauth.microsoft.clientId'] as string | undefined);
  if (!clientId) return 'no Microsoft OAuth client id (application id) is configured (oauth.microsoft.clientId)';
  return undefined;
}

/** The guide's re-authorization button per provider: Gmail re-runs the Google sign-in, Outlook connects Graph again. */
export function reauthAction(provider: 'gmail' | 'outlook', accountId: string): CheckAction {
  return provider === 'gmail'
    ? { title: l10n.t('Sign in to Google Again'), command: 'maildesk.signInGoogleAgain', args: [accountTarget(accountId)] }
    : { title: l10n.t('Connect Microsoft Graph (OAuth)'), command: 'maildesk.connectMicrosoftGraph', args: [accountTarget(accountId)] };
}

function serverAction(kind: 'incoming' | 'outgoing', accountId: string) {
  return kind === 'incoming'
    ? { title: l10n.t('Test Incoming Server'), command: 'maildesk.testIncoming', args: [accountTarget(accountId)] }
    : { title: l10n.t('Test Outgoing Server'), command: 'maildesk.testOutgoing', args: [accountTarget(accountId)] };
}

export const oauthConfigured: Check = {
  id: 'oauth.configured',
  get title() {
    return l10n.t('OAuth client configured');
  },
  section: '"OAuth not configured"',
  async run(ctx) {
    const cfg = ctx.account.config;
    if (cfg.provider === 'imap') return [{ status: 'skip', detail: l10n.t('password account (IMAP): no OAuth sign-in is used') }];
    const missing = oauthClientMissing(cfg, ctx);
    const who = cfg.provider === 'gmail' ? 'Google' : 'Microsoft';
    if (missing) {
      return [
        {
          status: 'fail',
          detail: l10n.t('OAuth not configured: {0}, so the {1} sign-in cannot start', missing, providerLabel(cfg.provider)),
          remedy: l10n.t('An administrator configures the {0} OAuth client once (setting maildesk.oauth.{1}.clientId, or "oauth" in the CLI configuration file); then start the mailbox sign-in again.', who, cfg.provider === 'gmail' ? 'google' : 'microsoft'),
          action: openSettingsAction(`maildesk.oauth`),
        },
      ];
    }
    // Gmail sign-ins that end after about a week: the OAuth app's "Testing" publishing status.
    const acc = ctx.account;
    if (cfg.provider === 'gmail' && acc.stateCode === 'auth.reauthRequired') {
      return [{ status: 'warn', detail: l10n.t('{0} OAuth client id is configured, but Google ended the sign-in: {1}', who, acc.stateReason ?? 'invalid_grant'), remedy: l10n.t('Sign in to Google again. {0}', GOOGLE_TESTING_EXPIRY) }];
    }
    return [{ status: 'pass', detail: l10n.t('{0} OAuth client id is configured', who) }];
  },
};

export const authStatus: Check = {
  id: 'auth.status',
  get title() {
    return l10n.t('Authorization');
  },
  section: 'Mailbox is disconnected',
  async run(ctx) {
    const { account } = ctx;
    const cfg = account.config;
    // Both servers' logins: a changed password usually breaks both, and it is one finding.
    const [incoming, outgoing] = await Promise.all([ctx.incoming(), cfg.provider === 'imap' && !cfg.smtp ? Promise.resolve(undefined) : ctx.outgoing()]);
    const err = incoming.error;
    if (err && err.code === 'oauth.notConfigured' && oauthClientMissing(cfg, ctx)) {
      return [{ status: 'skip', detail: l10n.t('the sign-in cannot start until OAuth is configured (see oauth.configured)') }];
    }
    const refused = [incoming, outgoing].filter((r): r is VerifyReport => !!r?.error && AUTH_CODES.has(r.error.code));
    if (refused.length) {
      const first = refused[0].error!;
      const d = describeError(first.code);
      const action =
        cfg.provider !== 'imap'
          ? reauthAction(cfg.provider, account.id)
          : first.code === 'auth.failed' || first.code === 'config.missingPassword'
            ? { title: l10n.t('Enter Password'), command: 'maildesk.enterPassword', args: [accountTarget(account.id)] }
            : serverAction(refused[0] === incoming ? 'incoming' : 'outgoing', account.id);
      // A Gmail grant that ends every week is the "Testing" publishing status: say so with the fix.
      const weekly = cfg.provider === 'gmail' && first.code === 'auth.reauthRequired' && !first.message.includes(GOOGLE_TESTING_EXPIRY) ? ` If this happens about every 7 days: ${GOOGLE_TESTING_EXPIRY}` : '';
      return [{ status: 'fail', detail: l10n.t('{0}: {1}', d.title, refused.map((r) => exactError(r.error!)).join('; ')), remedy: first.remedy + weekly, section: d.section, action }];
    }
    const pausedForAuth = account.state === 'reauth' || (account.state === 'disconnected' && !!account.stateCode && (AUTH_CODES.has(account.stateCode as MailErrorCode) || account.stateCode === 'oauth.notConfigured'));
    const since = account.stateAt ? ` since ${new Date(account.stateAt).toISOString()}` : '';
    if (!incoming.ok) {
      // The server was not reached: the login was never tried, unless sync already recorded why it stopped.
      if (pausedForAuth) {
        const d = describeError((account.stateCode as MailErrorCode) ?? 'auth.failed') ?? describeError('auth.failed');
        return [{ status: 'fail', detail: l10n.t('sync stopped{0}: {1}', since, String(account.stateReason ?? account.stateCode)), remedy: d.remedy, section: d.section, action: cfg.provider !== 'imap' ? reauthAction(cfg.provider, account.id) : serverAction('incoming', account.id) }];
      }
      return [{ status: 'skip', detail: l10n.t('the server was not reached, so the login was not tried (see incoming.connect)') }];
    }
    if (pausedForAuth) {
      return [
        {
          status: 'warn',
          detail: l10n.t('the login works now, but sync is paused{0} after: {1}', since, String(account.stateReason ?? account.stateCode)),
          remedy: cfg.provider === 'imap' ? 'Enter the password again (MailDesk: Enter Password): that resumes sync. No synced mail is lost.' : `Sign in again (${reauthAction(cfg.provider, account.id).title}): that resumes sync. No synced mail is lost.`,
          action: cfg.provider === 'imap' ? { title: l10n.t('Enter Password'), command: 'maildesk.enterPassword', args: [accountTarget(account.id)] } : reauthAction(cfg.provider, account.id),
        },
      ];
    }
    const logins = [incoming, outgoing].flatMap((r) => {
      const l = r?.steps.find((s) => s.name === 'login' && s.ok);
      return l ? [`${r!.server}: ${l.detail} (${l.ms} ms)`] : [];
    });
    return [{ status: 'pass', detail: logins.join('; ') || 'authorized' }];
  },
};

function serverCheck(kind: 'incoming' | 'outgoing'): Check {
  const label = kind === 'incoming' ? 'Test Incoming Server' : 'Test Outgoing Server';
  return {
    id: `${kind}.connect`,
    title: `${kind === 'incoming' ? 'Incoming' : 'Outgoing'} server (${label})`,
    section: kind === 'incoming' ? 'Mailbox is disconnected' : 'If sending failed',
    async run(ctx) {
      const cfg = ctx.account.config;
      const server = kind === 'incoming' ? cfg.imap : cfg.smtp;
      if (kind === 'outgoing' && cfg.provider === 'imap' && !cfg.smtp) {
        return [
          {
            status: 'warn',
            detail: l10n.t('no outgoing (SMTP) server is configured: this account cannot send'),
            remedy: l10n.t("Open Edit Account (the account's context menu in Mailboxes), fill in the outgoing server, then Test Outgoing Server; in the CLI, add \"smtp\" to the account in the configuration file."),
            action: { title: l10n.t('Edit Account'), command: 'maildesk.editAccount', args: [accountTarget(ctx.account.id)] },
          },
        ];
      }
      const report: VerifyReport = kind === 'incoming' ? await ctx.incoming() : await ctx.outgoing();
      const steps = formatSteps(report.steps);
      const err = report.error;
      if (err && err.code === 'oauth.notConfigured' && oauthClientMissing(cfg, ctx)) {
        return [{ status: 'skip', detail: l10n.t('not tested: OAuth is not configured (see oauth.configured)') }];
      }
      if (err && AUTH_CODES.has(err.code)) {
        // Reached and refused: the connection itself works; auth.status carries the failure.
        return [{ status: 'pass', detail: l10n.t('{0} reached; the login was refused (see auth.status). {1}', report.server, steps) }];
      }
      if (err) {
        const failed = report.steps.find((s) => !s.ok);
        const d = describeError(err.code);
        const remedy = err.code === 'net.tls' && server ? tlsRemedy(err, server.host) : err.remedy;
        return [
          {
            status: 'fail',
            detail: `${report.server}: ${failed ? `step "${failed.name}" failed` : 'failed'}: ${exactError(err)}${steps ? `. Steps: ${steps}` : ''}`,
            remedy: `${remedy}${kind === 'outgoing' ? l10n.t(' Unsent messages stay in Drafts.') : ''}`,
            section: d.section,
            action: serverAction(kind, ctx.account.id),
          },
        ];
      }
      const warnings: string[] = [];
      const tls = report.steps.find((s) => s.name === 'tls');
      const days = tls ? /expires in (-?\d+) days/.exec(tls.detail) : null;
      if (days && Number(days[1]) < 14) warnings.push(`the server's certificate expires in ${days[1]} days`);
      if (server && server.security === 'none' && !isLoopback(server.host)) warnings.push(`the connection to ${server.host} is not encrypted (security "none"): the password travels in clear text`);
      if (warnings.length) {
        return [
          {
            status: 'warn',
            detail: l10n.t('{0}. Steps: {1}', warnings.join('; '), steps),
            remedy: l10n.t('Use TLS or STARTTLS for this server, and have the administrator renew the certificate before it expires.'),
            action: serverAction(kind, ctx.account.id),
          },
        ];
      }
      const total = report.steps.reduce((a, s) => a + s.ms, 0);
      return [{ status: 'pass', detail: l10n.t('{0} passed in {1} ms: {2}', report.server, total, steps) }];
    },
  };
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.');
}

export const incomingConnect = serverCheck('incoming');
export const outgoingConnect = serverCheck('outgoing');

/**
 * Endpoints an API provider needs from this machine: the configured ones (CLI `oauth`, or the
 * VS Code settings) where they are overridden, the provider's public ones where not.
 */
function providerEndpoints(cfg: AccountConfig, ctx: CheckContext): string[] {
  const setting = (k: string) => (typeof ctx.settings[k] === 'string' && (ctx.settings[k] as string).trim()) || undefined;
  if (cfg.provider === 'gmail') {
    const g = ctx.oauth.google ?? {};
    const auth = g.authBaseUrl ?? setting('maildesk.oauth.google.authBaseUrl');
    const api = g.apiBaseUrl ?? setting('maildesk.oauth.google.apiBaseUrl');
    // The browser's consent page is accounts.google.com only when the auth base is not overridden.
    return auth ? [auth, api ?? 'https://gmail.googleapis.com'] : ['https://oauth2.googleapis.com', 'https://accounts.google.com', api ?? 'https://gmail.googleapis.com'];
  }
  const m = ctx.oauth.microsoft ?? {};
  return [m.authority ?? setting('maildesk.oauth.microsoft.authority') ?? 'https://login.microsoftonline.com', m.graphBaseUrl ?? setting('maildesk.oauth.microsoft.graphBaseUrl') ?? 'https://graph.microsoft.com'];
}

export const networkProvider: Check = {
  id: 'network.provider',
  get title() {
    return l10n.t('Provider endpoints reachable');
  },
  section: 'Authorization succeeds but mail does not sync',
  async run(ctx) {
    const cfg = ctx.account.config;
    if (cfg.provider === 'imap') return [{ status: 'skip', detail: l10n.t('IMAP account: no Gmail, Graph or OAuth endpoints are used (the server itself is tested by incoming.connect)') }];
    const urls = [...new Set(providerEndpoints(cfg, ctx))];
    const results = await Promise.all(
      urls.map(async (u) => {
        let url: URL;
        try {
          url = new URL(u);
        } catch {
          return { u, ok: false, text: `${u} is not a valid URL` };
        }
        const https = url.protocol === 'https:';
        const r = new StepRunner();
        try {
          // One budget for all steps of one endpoint: a black-holed network costs one timeout.
          await withDeadline(verifyTransport(r, { host: url.hostname, port: Number(url.port) || (https ? 443 : 80), security: https ? 'tls' : 'none', user: '' }, url.host, ctx.timeoutMs, ctx.endpointCa), ctx.timeoutMs, url.host);
        } catch (e) {
          r.error ??= diagnosticError(e, url.host);
        }
        return { u, ok: !r.error, text: r.error ? `${url.host}: ${exactError(r.error)}` : `${url.host} ok (${r.steps.reduce((a, s) => a + s.ms, 0)} ms)` };
      }),
    );
    const bad = results.filter((r) => !r.ok);
    if (bad.length) {
      return [
        {
          status: 'fail',
          detail: l10n.t('not reachable from this machine: {0}', bad.map((b) => b.text).join('; ')),
          remedy: l10n.t('Confirm this machine has outbound internet access to the provider (firewall, proxy, outbound rules) and that the provider\'s API is available. MailDesk retries automatically.'),
          // Once the way out is open, the connection test says so at once.
          action: serverAction('incoming', ctx.account.id),
        },
      ];
    }
    return [{ status: 'pass', detail: results.map((r) => r.text).join('; ') }];
  },
};

