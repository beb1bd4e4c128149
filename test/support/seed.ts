import type { SeedMessage } from './dovecot';
import { rawMessage } from './rawmail';

export interface PlainSeed {
  /** Number of the first message (its subject and minute): lets a later batch continue a series. */
  start?: number;
  from?: string;
  to?: string;
  flags?: (i: number) => string[];
}

/** `n` plain messages "<prefix> <i>", a minute apart from 2025-01-01, for seeding a Dovecot folder. */
export function seedMessages(n: number, prefix = 'Msg', o: PlainSeed = {}): SeedMessage[] {
  return Array.from({ length: n }, (_, k) => {
    const i = (o.start ?? 0) + k;
    return {
      raw: rawMessage({
        from: o.from ?? 'Bob <bob@example.test>',
        to: o.to ?? 'someone@example.test',
        subject: `${prefix} ${i}`,
        date: new Date(Date.UTC(2025, 0, 1) + i * 60_000),
        text: `hello ${i}\n`,
      }),
      flags: o.flags?.(i),
    };
  });
}
