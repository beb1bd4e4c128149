/**
 * How long and how much memory each hostile server costs with the default limits
 * (src/core/limits.ts): `npx tsx bench/hostileServers.ts`. Takes about a minute (the silent
 * and greet-then-silent servers wait out the 15 s greeting and 30 s login limits).
 */
import { RecentLog } from '../src/core/log';
import { ImapProvider } from '../src/core/providers/imap/imapProvider';
import { startHostileImap, type HostileMode } from '../test/support/hostileImap';

async function main(): Promise<void> {
  for (const mode of ['endlessLiteral', 'noLineEnd', 'garbage', 'closeAfterLogin', 'silent', 'greetThenSilent'] as HostileMode[]) {
    const srv = await startHostileImap(mode);
    const log = new RecentLog(undefined, 100_000);
    const p = new ImapProvider({ id: 'h', provider: 'imap', email: 'h@example.test', imap: { host: '127.0.0.1', port: srv.port, security: 'none', user: 'h' } }, { password: async () => 'pw' }, { logger: log });
    const used = (): number => {
      const m = process.memoryUsage();
      return m.heapUsed + m.arrayBuffers;
    };
    const base = used();
    let peak = 0;
    const t = setInterval(() => (peak = Math.max(peak, used() - base)), 10);
    const t0 = Date.now();
    let outcome = '';
    try {
      if (mode === 'silent' || mode === 'greetThenSilent') {
        const r = await p.verifyIncoming();
        outcome = `${r.error?.code}: ${r.error?.message}`;
      } else {
        await p.listFolders();
        outcome = 'no error (unexpected)';
      }
    } catch (e) {
      outcome = `${(e as { code?: string }).code}: ${(e as Error).message}`;
    }
    clearInterval(t);
    const mib = (n: number): string => (n / 1048576).toFixed(1);
    console.log(`${mode}: ${((Date.now() - t0) / 1000).toFixed(1)} s, memory peak +${mib(peak)} MiB, server pushed ${mib(srv.bytesSent())} MiB, ${log.recent().length} log lines; ${outcome}`);
    await p.close();
    await srv.stop();
  }
}

void main();
