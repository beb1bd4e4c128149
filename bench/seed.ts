/**
 * Seeds the bench mailbox: N realistic messages (src/sandbox/mailgen.ts, 'bench' profile)
 * written straight into INBOX's Maildir, and nine more folders filled with hard links to
 * INBOX's files. Links cost one syscall each and no space, so the ten-folder figure does
 * not double seeding time or tmpfs use at 100,000 messages.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { generateStream } from '../src/sandbox/mailgen';
import type { Dovecot, SeedMessage } from '../test/support/dovecot';

export interface SeedStats {
  messages: number;
  bytes: number;
  medianBytes: number;
  withAttachment: number;
  /** Messages of 100 KB or more (the attachment-bearing ones). */
  large: number;
  generateMs: number;
  writeMs: number;
  linkMs: number;
  otherFolders: Record<string, number>;
}

const CHUNK = 500;

export function seedBench(d: Dovecot, user: string, count: number, otherFolders: string[]): SeedStats {
  const sizes: number[] = [];
  let bytes = 0;
  let withAttachment = 0;
  let generateMs = 0;
  let writeMs = 0;
  // A fixed `now` keeps every run's mailbox byte-identical, so figures are comparable.
  const gen = generateStream({ count, seed: 42, sizeProfile: 'bench', folders: { INBOX: 1 }, now: new Date(Date.UTC(2026, 0, 15)) });
  for (;;) {
    let t = performance.now();
    const chunk: SeedMessage[] = [];
    for (let r = gen.next(); ; r = gen.next()) {
      if (r.done) break;
      const m = r.value;
      chunk.push({ raw: m.raw, flags: m.flags, date: m.date });
      sizes.push(m.raw.length);
      bytes += m.raw.length;
      if (/^Content-Disposition: attachment/im.test(m.raw.subarray(0, Math.min(m.raw.length, 64 * 1024)).toString('latin1'))) withAttachment++;
      if (chunk.length >= CHUNK) break;
    }
    generateMs += performance.now() - t;
    if (!chunk.length) break;
    t = performance.now();
    d.seedMaildir(user, 'INBOX', chunk);
    writeMs += performance.now() - t;
  }

  // Spread: message i goes to folder (i % 10) when that is not 0, i.e. N/10 per folder.
  const t = performance.now();
  const inboxCur = path.join(d.dir, 'mail', user, 'cur');
  const files = fs.readdirSync(inboxCur).sort();
  const counts: Record<string, number> = {};
  otherFolders.forEach((folder, k) => {
    d.seedMaildir(user, folder, []); // creates the Maildir++ folder with the right owner
    const cur = path.join(d.dir, 'mail', user, '.' + folder.replace(/\//g, '.'), 'cur');
    let n = 0;
    for (let i = k + 1; i < files.length; i += otherFolders.length + 1) {
      fs.linkSync(path.join(inboxCur, files[i]), path.join(cur, files[i]));
      n++;
    }
    counts[folder] = n;
  });
  const linkMs = performance.now() - t;

  sizes.sort((a, b) => a - b);
  return {
    messages: count,
    bytes,
    medianBytes: sizes[Math.floor(sizes.length / 2)] ?? 0,
    withAttachment,
    large: sizes.filter((s) => s >= 100 * 1024).length,
    generateMs,
    writeMs,
    linkMs,
    otherFolders: counts,
  };
}
