/**
 * Gmail's per-user quota (15,000 units a minute; messages.get and messages.list cost 5,
 * history.list 2, messages.send 100) as a token bucket: requests wait for units
 * instead of running into 429s. The bucket starts with a tenth of a minute's worth so a
 * burst at start-up cannot spend the whole minute at once.
 */
export const GMAIL_UNITS = {
  labelsList: 1,
  labelsGet: 1,
  getProfile: 1,
  messagesList: 5,
  messagesGet: 5,
  historyList: 2,
  messagesModify: 5,
  messagesTrash: 5,
  messagesDelete: 10,
  messagesSend: 100,
  draftsCreate: 10,
  draftsUpdate: 15,
  draftsList: 5,
  draftsDelete: 10,
} as const;

export class TokenBucket {
  private tokens: number;
  private last: number;
  private readonly perMs: number;
  private readonly capacity: number;
  private queue: Promise<void> = Promise.resolve();
  /** Total ms spent waiting for units (Troubleshoot, tests). */
  waitedMs = 0;

  constructor(
    unitsPerMinute: number,
    private readonly now: () => number = Date.now,
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
  ) {
    this.perMs = unitsPerMinute / 60_000;
    this.capacity = Math.max(unitsPerMinute / 10, GMAIL_UNITS.messagesSend);
    this.tokens = this.capacity;
    this.last = now();
  }

  private refill(): void {
    const t = this.now();
    this.tokens = Math.min(this.capacity, this.tokens + (t - this.last) * this.perMs);
    this.last = t;
  }

  /** Waits until `units` are available and takes them; callers are served in order. */
  take(units: number): Promise<void> {
    const p = this.queue.then(async () => {
      this.refill();
      while (this.tokens < units) {
        const ms = Math.ceil((units - this.tokens) / this.perMs);
        this.waitedMs += ms;
        await this.sleep(ms);
        this.refill();
      }
      this.tokens -= units;
    });
    this.queue = p.catch(() => undefined);
    return p;
  }

  /** The provider said "too many": spend what is left so the next requests wait. */
  drain(): void {
    this.refill();
    this.tokens = Math.min(this.tokens, 0);
  }
}

/** Runs `fn` over items with at most `limit` at once, keeping order of results. */
export async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
