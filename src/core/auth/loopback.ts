/**
 * The loopback redirect of a desktop OAuth sign-in (RFC 8252 §7.3): a one-shot HTTP
 * listener on http://127.0.0.1:<free port>/ that waits for the browser to come back
 * with `code` (or `error`) and the `state` we sent. It takes exactly one answer with
 * the right state, answers the browser with a small page, and closes; a request with
 * a wrong or missing state is refused and does not end the wait (a stray or forged
 * request must not cancel a real sign-in). The code is never logged.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { MailError } from '../errors';

export interface LoopbackAnswer {
  code?: string;
  error?: string;
  errorDescription?: string;
}

export interface LoopbackListener {
  /** The redirect URI to register in the authorization request. */
  readonly redirectUri: string;
  /** Resolves with the one answer; rejects on timeout or `close()`. */
  readonly answer: Promise<LoopbackAnswer>;
  close(): void;
}

export interface LoopbackOptions {
  state: string;
  /** How long the user has to finish in the browser (default 5 minutes). */
  timeoutMs?: number;
  /** Path of the redirect (default "/"). */
  path?: string;
}

const page = (title: string, text: string) =>
  `<!doctype html><html><head><meta charset="utf-8"><title>${title}</title></head>` +
  `<body style="font-family:sans-serif;margin:3em"><h1>${title}</h1><p>${text}</p></body></html>`;

export async function startLoopback(o: LoopbackOptions): Promise<LoopbackListener> {
  const path = o.path ?? '/';
  let settle: { resolve(a: LoopbackAnswer): void; reject(e: Error): void } | undefined;
  const answer = new Promise<LoopbackAnswer>((resolve, reject) => (settle = { resolve, reject }));
  // Callers may await `answer` late; an early rejection must not count as unhandled.
  answer.catch(() => undefined);
  let done = false;
  const timeout: { timer?: NodeJS.Timeout } = {};

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (req.method !== 'GET' || url.pathname !== path || done) {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('Not found');
      return;
    }
    const q = url.searchParams;
    if (q.get('state') !== o.state) {
      res.writeHead(400, { 'Content-Type': 'text/html; charset=utf-8' }).end(page('MailDesk sign-in', 'This answer does not belong to the sign-in MailDesk started. Start the sign-in again from VS Code.'));
      return;
    }
    const a: LoopbackAnswer = { code: q.get('code') ?? undefined, error: q.get('error') ?? undefined, errorDescription: q.get('error_description') ?? undefined };
    if (!a.code && !a.error) {
      res.writeHead(400, { 'Content-Type': 'text/html; charset=utf-8' }).end(page('MailDesk sign-in', 'The answer carries neither a code nor an error.'));
      return;
    }
    done = true;
    const ok = !!a.code && !a.error;
    res
      .writeHead(ok ? 200 : 400, { 'Content-Type': 'text/html; charset=utf-8', Connection: 'close' })
      .end(ok ? page('Signed in', 'MailDesk received the authorization. You can close this tab and return to VS Code.') : page('Sign-in not completed', 'MailDesk did not get access. You can close this tab; VS Code shows what to do next.'));
    finish();
    settle?.resolve(a);
  });

  function finish(): void {
    if (timeout.timer) clearTimeout(timeout.timer);
    server.close();
    server.closeAllConnections?.();
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  timeout.timer = setTimeout(() => {
    if (done) return;
    done = true;
    finish();
    settle?.reject(new MailError('auth.accessDenied', `the sign-in was not completed in the browser within ${Math.round((o.timeoutMs ?? 300_000) / 1000)} seconds`, { retryable: false }));
  }, o.timeoutMs ?? 300_000);
  timeout.timer.unref?.();

  return {
    redirectUri: `http://127.0.0.1:${port}${path}`,
    answer,
    close() {
      if (done) return;
      done = true;
      finish();
      settle?.reject(new MailError('auth.accessDenied', 'the sign-in was cancelled', { retryable: false }));
    },
  };
}
