/**
 * Any OpenAI-compatible chat endpoint (OpenAI, Azure OpenAI, Ollama, LM Studio):
 * POST /v1/chat/completions with `stream: true`, the answer read as server-sent events.
 * 429 and 5xx are retried with exponential back-off and jitter, honouring Retry-After;
 * when the provider keeps refusing, the error says so in words ("the provider is
 * rate-limiting; try again in a minute"), never a silent failure.
 */
import { MailError } from '../errors';
import { abortError, type AiModel, type ChatMessage, type ChatOptions } from './provider';

export interface OpenAiOptions {
  /** Base URL ("https://api.openai.com/v1", "http://127.0.0.1:11434/v1") or the full chat completions URL. */
  url: string;
  model: string;
  apiKey?: string;
  maxInputTokens?: number;
  /** Attempts after the first (default 3). */
  retries?: number;
  backoffBaseMs?: number;
  /** Longest single wait; a Retry-After beyond it ends the retries at once. */
  maxWaitMs?: number;
  fetch?: typeof fetch;
}

export function chatCompletionsUrl(base: string): string {
  const u = base.replace(/\/+$/, '');
  if (/\/chat\/completions$/.test(u)) return u;
  if (/\/v\d+$/.test(u) || /\/openai\/deployments\/[^/]+$/.test(u)) return `${u}/chat/completions`;
  return `${u}/v1/chat/completions`;
}

/** Splits a server-sent event stream into the `data:` payloads of its events. */
export class SseParser {
  private buf = '';

  /** Feeds text; returns the data of every event completed by it. */
  push(text: string): string[] {
    this.buf += text.replace(/\r\n?/g, '\n');
    const out: string[] = [];
    let i: number;
    while ((i = this.buf.indexOf('\n\n')) >= 0) {
      const block = this.buf.slice(0, i);
      this.buf = this.buf.slice(i + 2);
      const data = block
        .split('\n')
        .filter((l) => l.startsWith('data:'))
        .map((l) => l.slice(5).replace(/^ /, ''));
      if (data.length) out.push(data.join('\n'));
    }
    return out;
  }

  /** What is left when the stream ends without a final blank line. */
  flush(): string[] {
    const rest = this.buf;
    this.buf = '';
    return rest.trim() ? this.push(`${rest}\n\n`) : [];
  }
}

/** Seconds or an HTTP date, as ms from now; undefined when absent or unreadable. */
export function retryAfterMs(header: string | null, now = Date.now()): number | undefined {
  if (!header) return undefined;
  const s = Number(header);
  if (Number.isFinite(s) && s >= 0) return s * 1000;
  const t = Date.parse(header);
  return Number.isNaN(t) ? undefined : Math.max(0, t - now);
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortError());
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(t);
      reject(abortError());
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

async function errorText(res: Response): Promise<string> {
  try {
    const t = await res.text();
    try {
      const j = JSON.parse(t) as { error?: { message?: string } | string; message?: string };
      const m = typeof j.error === 'string' ? j.error : j.error?.message ?? j.message;
      if (m) return String(m).slice(0, 300);
    } catch {
      /* not JSON */
    }
    return t.slice(0, 300);
  } catch {
    return '';
  }
}

export class OpenAiCompatibleModel implements AiModel {
  readonly id: string;
  readonly label: string;
  readonly maxInputTokens: number;
  private readonly endpoint: string;

  constructor(private readonly o: OpenAiOptions) {
    this.endpoint = chatCompletionsUrl(o.url);
    this.id = `openai:${o.model}`;
    let host = o.url;
    try {
      host = new URL(this.endpoint).host;
    } catch {
      /* shown as given */
    }
    this.label = `${o.model} at ${host}`;
    this.maxInputTokens = o.maxInputTokens ?? 8000;
  }

  async chat(messages: ChatMessage[], opts: ChatOptions = {}): Promise<string> {
    const f = this.o.fetch ?? fetch;
    const retries = this.o.retries ?? 3;
    const base = this.o.backoffBaseMs ?? 1000;
    const maxWait = this.o.maxWaitMs ?? 20_000;
    const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'text/event-stream' };
    // Azure uses api-key; everyone else a bearer token. Sending both is harmless.
    if (this.o.apiKey) {
      headers.authorization = `Bearer ${this.o.apiKey}`;
      if (/azure/i.test(this.endpoint)) headers['api-key'] = this.o.apiKey;
    }
    const body = JSON.stringify({ model: this.o.model, messages, stream: true });
    for (let attempt = 0; ; attempt++) {
      if (opts.signal?.aborted) throw abortError();
      let res: Response;
      try {
        res = await f(this.endpoint, { method: 'POST', headers, body, signal: opts.signal });
      } catch (e) {
        if (opts.signal?.aborted) throw abortError();
        if (attempt < retries) {
          await sleep(Math.random() * base * 2 ** attempt, opts.signal);
          continue;
        }
        throw new MailError('net.refused', `the AI provider at ${this.label} cannot be reached (${(e as Error).message})`, { cause: e });
      }
      if (res.ok) return this.read(res, opts);
      const status = res.status;
      const text = await errorText(res);
      const transient = status === 429 || status >= 500;
      const after = retryAfterMs(res.headers.get('retry-after'));
      if (transient && attempt < retries && (after === undefined || after <= maxWait)) {
        // Full jitter, but never sooner than the provider asked.
        const backoff = Math.random() * base * 2 ** attempt;
        await sleep(Math.min(maxWait, Math.max(after ?? 0, backoff)), opts.signal);
        continue;
      }
      if (status === 429) {
        throw new MailError('server.rateLimited', 'the provider is rate-limiting; try again in a minute', {
          providerMessage: text,
          retryAfter: after !== undefined ? Math.ceil(after / 1000) : undefined,
        });
      }
      if (status >= 500) throw new MailError('server.unavailable', `the AI provider failed (HTTP ${status}${text ? `: ${text}` : ''}); try again in a minute`, { providerMessage: text });
      if (status === 401 || status === 403) throw new MailError('auth.failed', `the AI provider refused the API key (HTTP ${status}${text ? `: ${text}` : ''})`, { providerMessage: text });
      if (status === 404) throw new MailError('config.invalid', `the AI provider has no model "${this.o.model}" at ${this.endpoint} (HTTP 404${text ? `: ${text}` : ''})`, { providerMessage: text });
      throw new MailError('server.protocol', `the AI provider refused the request (HTTP ${status}${text ? `: ${text}` : ''})`, { providerMessage: text });
    }
  }

  private async read(res: Response, opts: ChatOptions): Promise<string> {
    if (!res.body) throw new MailError('server.protocol', 'the AI provider sent an empty answer');
    const type = res.headers.get('content-type') ?? '';
    // A server that ignores stream:true answers with one JSON document.
    if (type.includes('application/json')) {
      const j = (await res.json()) as { choices?: Array<{ message?: { content?: string } }> };
      const text = j.choices?.[0]?.message?.content ?? '';
      if (text) opts.onText?.(text);
      return text;
    }
    const parser = new SseParser();
    const decoder = new TextDecoder();
    let out = '';
    const handle = (data: string): boolean => {
      if (data.trim() === '[DONE]') return true;
      let j: { choices?: Array<{ delta?: { content?: string | null }; message?: { content?: string } }>; error?: { message?: string } };
      try {
        j = JSON.parse(data) as typeof j;
      } catch {
        return false;
      }
      if (j.error) throw new MailError('server.unavailable', `the AI provider stopped with an error: ${j.error.message ?? 'unknown'}; try again in a minute`);
      const piece = j.choices?.[0]?.delta?.content ?? j.choices?.[0]?.message?.content ?? '';
      if (piece) {
        out += piece;
        opts.onText?.(piece);
      }
      return false;
    };
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        for (const d of parser.push(decoder.decode(chunk, { stream: true }))) if (handle(d)) return out;
      }
      for (const d of parser.flush()) if (handle(d)) return out;
    } catch (e) {
      if (opts.signal?.aborted) throw abortError();
      throw e;
    }
    return out;
  }
}
