/**
 * Step-by-step connection tests ("Test Incoming Server" / "Test Outgoing Server" in the
 * guide): DNS, TCP, TLS, then the protocol login, each timed, stopping at the first
 * failing step so the report names it.
 */
import * as dns from 'node:dns/promises';
import * as net from 'node:net';
import * as tls from 'node:tls';
import type { ServerConfig } from '../config';
import { withDeadline } from '../deadline';
import { toMailError, MailError } from '../errors';
import type { VerifyReport, VerifyStep } from './provider';

export class StepRunner {
  readonly steps: VerifyStep[] = [];
  error: MailError | undefined;

  async step<T>(name: VerifyStep['name'], fn: () => Promise<{ value: T; detail: string }>, context: string): Promise<T | undefined> {
    if (this.error) return undefined;
    const t0 = performance.now();
    try {
      const { value, detail } = await fn();
      this.steps.push({ name, ok: true, ms: Math.round(performance.now() - t0), detail });
      return value;
    } catch (e) {
      this.error = toMailError(e, context);
      this.steps.push({ name, ok: false, ms: Math.round(performance.now() - t0), detail: this.error.message });
      return undefined;
    }
  }

  report(server: string, capabilities?: string[]): VerifyReport {
    return { ok: !this.error, server, steps: this.steps, error: this.error, capabilities };
  }
}


/** DNS, TCP and (for implicit TLS) the TLS handshake with certificate checks. */
/** `ca`: extra certificate authorities to trust (an API endpoint's configured CA), as its provider does. */
export async function verifyTransport(r: StepRunner, s: ServerConfig, label: string, timeoutMs = 10_000, ca?: string | Buffer): Promise<void> {
  const isIp = net.isIP(s.host) !== 0;
  await r.step(
    'dns',
    async () => {
      if (isIp) return { value: s.host, detail: `${s.host} is an address` };
      const a = await withDeadline(dns.lookup(s.host), timeoutMs, 'DNS lookup');
      return { value: a.address, detail: `${s.host} → ${a.address}` };
    },
    label,
  );
  await r.step(
    'tcp',
    () =>
      withDeadline(
        new Promise<{ value: true; detail: string }>((resolve, reject) => {
          const sock = net.connect({ host: s.host, port: s.port });
          sock.once('connect', () => {
            sock.destroy();
            resolve({ value: true, detail: `port ${s.port} open` });
          });
          sock.once('error', reject);
        }),
        timeoutMs,
        `connection to ${s.host}:${s.port}`,
      ),
    label,
  );
  if (s.security !== 'tls') return;
  await r.step(
    'tls',
    () =>
      withDeadline(
        new Promise<{ value: true; detail: string }>((resolve, reject) => {
          const sock = tls.connect({
            host: s.host,
            port: s.port,
            servername: isIp ? undefined : s.host,
            rejectUnauthorized: !s.allowInvalidCertificate,
            ...(ca ? { ca } : {}),
          });
          sock.once('secureConnect', () => {
            const cert = sock.getPeerCertificate();
            const proto = sock.getProtocol();
            sock.destroy();
            const validTo = cert?.valid_to ? new Date(cert.valid_to) : undefined;
            const days = validTo ? Math.floor((validTo.getTime() - Date.now()) / 86_400_000) : undefined;
            resolve({ value: true, detail: `${proto ?? 'TLS'}, certificate for ${cert?.subject?.CN ?? '?'}${days !== undefined ? `, expires in ${days} days` : ''}` });
          });
          sock.once('error', reject);
        }),
        timeoutMs,
        'TLS handshake',
      ),
    label,
  );
}
