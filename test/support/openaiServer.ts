/**
 * A fake OpenAI-compatible endpoint on 127.0.0.1: POST /v1/chat/completions answered with
 * server-sent events (stream: true), or with scripted failures (429 with Retry-After, 500).
 * Every request body is kept, so tests can check exactly what MailDesk sent.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeReply {
  status?: number;
  retryAfter?: string;
  /** Pieces streamed one event each. */
  chunks?: string[];
  /** Wait between pieces (to cancel mid-stream). */
  delayMs?: number;
}

export interface ReceivedRequest {
  path: string;
  headers: http.IncomingHttpHeaders;
  raw: string;
  body: { model?: string; stream?: boolean; messages?: Array<{ role: string; content: string }> };
}

export class FakeOpenAiServer {
  readonly requests: ReceivedRequest[] = [];
  /** Replies used in order; when empty, `fallback`. */
  readonly queue: FakeReply[] = [];
  fallback: FakeReply = { chunks: ['Summary: ', 'all good.'] };
  private server: http.Server | undefined;
  private sockets = new Set<import('node:net').Socket>();
  port = 0;

  get url(): string {
    return `http://127.0.0.1:${this.port}/v1`;
  }

  async start(): Promise<this> {
    this.server = http.createServer((req, res) => {
      let raw = '';
      req.on('data', (c: Buffer) => (raw += c.toString('utf8')));
      req.on('end', () => void this.answer(req, res, raw));
    });
    this.server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  private async answer(req: http.IncomingMessage, res: http.ServerResponse, raw: string): Promise<void> {
    let body: ReceivedRequest['body'] = {};
    try {
      body = JSON.parse(raw) as ReceivedRequest['body'];
    } catch {
      /* kept as raw */
    }
    this.requests.push({ path: req.url ?? '', headers: req.headers, raw, body });
    if (req.method !== 'POST' || req.url !== '/v1/chat/completions') {
      res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: 'not found' } }));
      return;
    }
    const r = this.queue.shift() ?? this.fallback;
    if (r.status && r.status !== 200) {
      const h: Record<string, string> = { 'content-type': 'application/json' };
      if (r.retryAfter) h['retry-after'] = r.retryAfter;
      res.writeHead(r.status, h).end(JSON.stringify({ error: { message: r.status === 429 ? 'Rate limit reached for requests' : 'upstream failure' } }));
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    for (const piece of r.chunks ?? []) {
      if (res.destroyed) return;
      res.write(`data: ${JSON.stringify({ id: 'chatcmpl-1', object: 'chat.completion.chunk', choices: [{ index: 0, delta: { content: piece } }] })}\n\n`);
      if (r.delayMs) await new Promise((d) => setTimeout(d, r.delayMs));
    }
    res.end('data: [DONE]\n\n');
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }
}
