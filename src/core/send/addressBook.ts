/**
 * Address completion for To / Cc / Bcc: every address seen in the store (senders and
 * recipients), ranked by how often and how recently the user dealt with it. People the
 * user wrote to count more than people who wrote to the user, and mailing-list noise
 * (no-reply senders) counts least. Built from the store on first use and rebuilt only
 * after the store changed, so typing in the composer never scans the mailbox.
 */
import type { MailStore } from '../store/store';

export interface AddressSuggestion {
  address: string;
  /** The most recent non-empty display name seen with this address. */
  name: string;
  /** Messages the address appeared in (as sender or recipient). */
  count: number;
  /** ms since epoch of the newest of those messages. */
  lastSeen: number;
  score: number;
}

/** One appearance of an address in a message. */
export interface AddressSighting {
  address: string;
  name?: string;
  date: number;
  /** "sent": the user wrote to it; "received": it wrote to the user; "copied": it was a fellow recipient. */
  role: 'sent' | 'received' | 'copied';
}

// Recency half-life: someone written to last week outranks someone written to a lot years ago.
const HALF_LIFE_MS = 90 * 86_400_000;
const ROLE_WEIGHT: Record<AddressSighting['role'], number> = { sent: 3, received: 1, copied: 0.5 };
const NO_REPLY = /^(no-?reply|do-?not-?reply|mailer-daemon|postmaster|bounces?)([+.-]|@)/i;

/** Folds sightings into one entry per address (case-insensitive), scored. `self` addresses are left out. */
export function buildAddressIndex(sightings: Iterable<AddressSighting>, self: string[] = [], now = Date.now()): AddressSuggestion[] {
  const mine = new Set(self.map((s) => s.trim().toLowerCase()));
  const by = new Map<string, AddressSuggestion & { nameDate: number }>();
  for (const s of sightings) {
    const address = s.address.trim();
    const key = address.toLowerCase();
    if (!key.includes('@') || mine.has(key)) continue;
    let e = by.get(key);
    if (!e) by.set(key, (e = { address, name: '', count: 0, lastSeen: 0, score: 0, nameDate: -1 }));
    e.count++;
    e.lastSeen = Math.max(e.lastSeen, s.date);
    const name = (s.name ?? '').trim();
    if (name && name.toLowerCase() !== key && s.date >= e.nameDate) {
      e.name = name;
      e.nameDate = s.date;
    }
    const age = Math.max(0, now - s.date);
    e.score += ROLE_WEIGHT[s.role] * Math.pow(0.5, age / HALF_LIFE_MS) * (NO_REPLY.test(key) ? 0.01 : 1);
  }
  return [...by.values()].map(({ nameDate: _n, ...e }) => e).sort((a, b) => b.score - a.score || b.lastSeen - a.lastSeen);
}

/**
 * Suggestions for what the user has typed: every word of the query must start a word of
 * the name or a part of the address (local part, domain); whole-prefix matches first,
 * then by score. `exclude` leaves out addresses already in the field.
 */
export function completeAddresses(index: AddressSuggestion[], query: string, opts: { limit?: number; exclude?: string[] } = {}): AddressSuggestion[] {
  const q = query.trim().toLowerCase();
  const limit = opts.limit ?? 8;
  const excluded = new Set((opts.exclude ?? []).map((a) => a.trim().toLowerCase()));
  if (!q) return [];
  const words = q.split(/[\s,<>"]+/).filter(Boolean);
  const hits: Array<{ e: AddressSuggestion; rank: number }> = [];
  for (const e of index) {
    const addr = e.address.toLowerCase();
    if (excluded.has(addr)) continue;
    const name = e.name.toLowerCase();
    const parts = [...name.split(/[\s.,'"()-]+/), ...addr.split(/[@.+_-]+/), addr].filter(Boolean);
    if (!words.every((w) => parts.some((p) => p.startsWith(w)))) continue;
    const whole = addr.startsWith(q) || name.startsWith(q) ? 0 : 1;
    hits.push({ e, rank: whole });
  }
  hits.sort((a, b) => a.rank - b.rank || b.e.score - a.e.score);
  return hits.slice(0, limit).map((h) => h.e);
}

/** "Name <address>" or the bare address, as it goes into an address field. */
export function suggestionLabel(s: Pick<AddressSuggestion, 'name' | 'address'>): string {
  if (!s.name) return s.address;
  return /[",;<>@()[\]:\\]/.test(s.name) ? `"${s.name.replace(/["\\]/g, '\\$&')}" <${s.address}>` : `${s.name} <${s.address}>`;
}

interface AddrJson {
  name?: string;
  address?: string;
}

/** Messages read for the index at most (newest first): enough history, bounded cost. */
const MAX_MESSAGES = 20_000;

/** Every address sighting in the store's newest messages (all accounts, or one). */
export function storeSightings(store: MailStore, self: string[], accountId?: string): AddressSighting[] {
  const mine = new Set(self.map((s) => s.trim().toLowerCase()));
  const rows = store.messages.recentSenders(MAX_MESSAGES, accountId);
  const out: AddressSighting[] = [];
  for (const r of rows) {
    const date = r.date ?? 0;
    const fromMe = !!r.from_addr && mine.has(r.from_addr.toLowerCase());
    if (r.from_addr && !fromMe) out.push({ address: r.from_addr, name: r.from_name ?? undefined, date, role: 'received' });
    let data: { to?: AddrJson[]; cc?: AddrJson[] } = {};
    try {
      data = r.data ? (JSON.parse(r.data) as typeof data) : {};
    } catch {
      // A row with unreadable extra data still gives its sender.
    }
    for (const a of [...(Array.isArray(data.to) ? data.to : []), ...(Array.isArray(data.cc) ? data.cc : [])]) {
      if (a && typeof a.address === 'string' && a.address) out.push({ address: a.address, name: typeof a.name === 'string' ? a.name : undefined, date, role: fromMe ? 'sent' : 'copied' });
    }
  }
  return out;
}

/** The index over a store, rebuilt lazily after the store's messages changed. */
export class AddressBook {
  private index: AddressSuggestion[] | undefined;
  private readonly sub: { dispose(): void };

  constructor(
    private readonly store: MailStore,
    /** The user's own addresses (every account's), never suggested. */
    private readonly self: () => string[],
  ) {
    this.sub = store.onDidChange((c) => {
      if (c.messages || c.accounts.size) this.index = undefined;
    });
  }

  complete(query: string, opts: { limit?: number; exclude?: string[] } = {}): AddressSuggestion[] {
    if (!this.index) {
      const self = this.self();
      this.index = buildAddressIndex(storeSightings(this.store, self), self);
    }
    return completeAddresses(this.index, query, opts);
  }

  dispose(): void {
    this.sub.dispose();
  }
}
