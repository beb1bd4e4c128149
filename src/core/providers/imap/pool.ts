/**
 * A small bounded pool of IMAP connections per account: one connection per folder
 * being synced at a time (a connection has one selected mailbox), never more than
 * `max` (Gmail allows about 15 per account; classic hosts often fewer).
 */
import type { ImapFlow } from 'imapflow';

export class ConnectionPool {
  private readonly idle: ImapFlow[] = [];
  private readonly waiters: Array<(c: ImapFlow | Error) => void> = [];
  private open = 0;
  private closed = false;

  constructor(private readonly create: () => Promise<ImapFlow>, readonly max: number) {}

  async acquire(): Promise<ImapFlow> {
    if (this.closed) throw new Error('connection pool is closed');
    while (this.idle.length) {
      const c = this.idle.pop()!;
      if (c.usable) return c;
      this.open--;
    }
    if (this.open < this.max) {
      this.open++;
      try {
        return await this.create();
      } catch (e) {
        this.open--;
        this.wakeOne();
        throw e;
      }
    }
    return new Promise<ImapFlow>((resolve, reject) => {
      this.waiters.push((c) => (c instanceof Error ? reject(c) : resolve(c)));
    });
  }

  private wakeOne(): void {
    const w = this.waiters.shift();
    if (!w) return;
    this.acquire().then(w, (e: Error) => w(e));
  }

  release(c: ImapFlow, broken = false): void {
    if (broken || !c.usable || this.closed) {
      this.open--;
      c.close();
      this.wakeOne();
      return;
    }
    const w = this.waiters.shift();
    if (w) w(c);
    else this.idle.push(c);
  }

  async use<T>(fn: (c: ImapFlow) => Promise<T>): Promise<T> {
    const c = await this.acquire();
    let broken = false;
    try {
      return await fn(c);
    } catch (e) {
      broken = !c.usable;
      throw e;
    } finally {
      this.release(c, broken);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    const all = this.idle.splice(0);
    for (const w of this.waiters.splice(0)) w(new Error('connection pool is closed'));
    await Promise.all(
      all.map(async (c) => {
        try {
          await Promise.race([c.logout(), new Promise((r) => setTimeout(r, 1000))]);
        } catch {
          /* closing anyway */
        }
        c.close();
      }),
    );
    this.open = 0;
  }
}
