/**
 * Which message each fetched body belongs to, on disk before the database knows it.
 *
 * A body's blob is on disk the moment it arrives, but the row that points to it reaches disk
 * only with the next save of the database (sql.js saves the whole file, so saves are spaced
 * out). A process killed in between would fetch those bodies again. So each body also gets
 * a line here (account, provider id, Message-ID, blob), appended before its row is
 * committed; the next process puts back what the database lost (replay), and the file is
 * emptied once a save that began after the last commit has landed.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { bodyMissing, recordBodies } from './bodies';
import type { MailStore } from './store';

export interface JournalEntry {
  accountId: string;
  providerId: string;
  messageId: string | null;
  hash: string;
}

const journals = new WeakMap<MailStore, BodyJournal>();

/** The store's one journal (every folder's job appends to the same file). */
export function bodyJournal(store: MailStore): BodyJournal {
  let j = journals.get(store);
  if (!j) journals.set(store, (j = new BodyJournal(store)));
  return j;
}

export class BodyJournal {
  private readonly file: string | undefined;
  /** Date.now() of the last commit whose lines are in the file (0: the file holds nothing unsaved). */
  private lastCommitAt = 0;
  private replayed = false;

  constructor(private readonly store: MailStore) {
    this.file = store.path ? path.join(path.dirname(store.path), 'bodies.journal') : undefined;
  }

  /** Appends lines for bodies about to be committed (one write for the batch). */
  append(entries: JournalEntry[]): void {
    if (!this.file || !entries.length) return;
    const text = entries.map((e) => [e.accountId, e.providerId, e.messageId ?? '', e.hash].map((x) => x.replace(/[\t\n]/g, ' ')).join('\t') + '\n').join('');
    fs.appendFileSync(this.file, text);
  }

  committed(): void {
    this.lastCommitAt = Date.now();
  }

  /**
   * Once per process, before the first fetch: rows the database lost get their body back
   * when the blob is there and the Message-ID still matches. Returns how many.
   */
  async replay(): Promise<number> {
    if (this.replayed || !this.file) return 0;
    this.replayed = true;
    let text: string;
    try {
      text = fs.readFileSync(this.file, 'utf8');
    } catch {
      return 0;
    }
    const items: Array<{ id: number; hash: string }> = [];
    for (const line of text.split('\n')) {
      const [accountId, providerId, messageId, hash] = line.split('\t');
      if (!hash || !/^[0-9a-f]{64}$/.test(hash)) continue;
      const row = bodyMissing(this.store, accountId, providerId);
      if (!row || (row.messageId ?? '') !== messageId) continue;
      if (!this.store.blobs.has(hash)) continue;
      items.push({ id: row.id, hash });
    }
    if (items.length) recordBodies(this.store, items);
    // What was put back must be on disk before the lines that carry it go.
    await this.store.flush();
    fs.rmSync(this.file, { force: true });
    this.lastCommitAt = 0;
    return items.length;
  }

  /** Empties the file once a save that began after its last commit has landed. */
  trimIfSaved(): void {
    if (!this.file || !this.lastCommitAt) return;
    const s = this.store.lastSave;
    if (!s || s.at - s.ms <= this.lastCommitAt) return;
    fs.rmSync(this.file, { force: true });
    this.lastCommitAt = 0;
  }
}
