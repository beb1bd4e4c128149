/**
 * One interface for every AI provider: VS Code's language models (adapter in
 * src/extension/pro/lm.ts) and OpenAI-compatible HTTP endpoints (./openai.ts).
 */
export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface ChatOptions {
  signal?: AbortSignal;
  /** Each piece of the answer as it arrives (the thread view shows the summary growing). */
  onText?: (chunk: string) => void;
}

export interface AiModel {
  readonly id: string;
  /** Shown to the user ("GPT-4o via VS Code", "llama3 at http://localhost:11434"). */
  readonly label: string;
  /** What the model takes in one request; threads are trimmed to fit. */
  readonly maxInputTokens: number;
  /** Streams the answer and resolves with all of it. Rejects with an AbortError when cancelled. */
  chat(messages: ChatMessage[], opts?: ChatOptions): Promise<string>;
}

export function isCancelled(e: unknown): boolean {
  return !!e && typeof e === 'object' && ((e as { name?: string }).name === 'AbortError' || (e as { code?: string }).code === 'ABORT_ERR');
}

export function abortError(): Error {
  const e = new Error('the AI request was cancelled');
  e.name = 'AbortError';
  return e;
}
