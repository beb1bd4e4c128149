/**
 * The query language of the `search_mail` tool, the one people already type into Gmail:
 * `from:`, `to:`, `subject:` and free words go to the full-text index; `after:`, `before:`,
 * `is:unread|read|flagged`, `has:attachment` and `in:folder` become filters. Pure, so every
 * form is tested on its own.
 */

export interface AgentQuery {
  /** What goes to the full-text index (`toMatchExpression`): free words and field words. */
  text: string;
  /** Free words only (no field prefixes): what a server-side search is asked for. */
  words: string[];
  /** Field words, lower-cased, for checking matches the server found (headers only). */
  fields: { from: string[]; to: string[]; subject: string[] };
  /** Epoch ms, inclusive. */
  after?: number;
  /** Epoch ms, exclusive. */
  before?: number;
  unread?: boolean;
  flagged?: boolean;
  hasAttachment?: boolean;
  /** Folder path, name or role as typed (`in:inbox`, `in:"Lists/Rust"`). */
  folder?: string;
}

/** A query that cannot be understood; the message says what to write instead. */
export class QueryError extends Error {}

const TOKEN = /([A-Za-z]+):"([^"]*)"?|([A-Za-z]+):(\S*)|"([^"]*)"?|(\S+)/g;

/**
 * A day as typed: `2025-03-31`, `2025/3/31`, `today`, `yesterday`, or an age like `7d`,
 * `2w`, `3m`, `1y` (that long before today). Local midnight, as a person means a date.
 */
export function parseDay(value: string, now = Date.now()): number | undefined {
  const v = value.trim().toLowerCase();
  const today = new Date(now);
  const midnight = new Date(today.getFullYear(), today.getMonth(), today.getDate()).getTime();
  if (v === 'today') return midnight;
  if (v === 'yesterday') return new Date(today.getFullYear(), today.getMonth(), today.getDate() - 1).getTime();
  const age = /^(\d{1,4})([dwmy])$/.exec(v);
  if (age) {
    const n = Number(age[1]);
    const d = new Date(midnight);
    if (age[2] === 'd') d.setDate(d.getDate() - n);
    else if (age[2] === 'w') d.setDate(d.getDate() - 7 * n);
    else if (age[2] === 'm') d.setMonth(d.getMonth() - n);
    else d.setFullYear(d.getFullYear() - n);
    return d.getTime();
  }
  const m = /^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$/.exec(v);
  if (!m) return undefined;
  const [y, mo, da] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const d = new Date(y, mo - 1, da);
  // Reject 2025-02-31 rather than roll it over into March.
  if (d.getFullYear() !== y || d.getMonth() !== mo - 1 || d.getDate() !== da) return undefined;
  return d.getTime();
}

function words(value: string): string[] {
  return value
    .split(/\s+/)
    .map((w) => w.trim())
    .filter(Boolean);
}

/** Parses what an agent (or a person) typed; throws QueryError naming the part to fix. */
export function parseAgentQuery(input: string, now = Date.now()): AgentQuery {
  const q: AgentQuery = { text: '', words: [], fields: { from: [], to: [], subject: [] } };
  const text: string[] = [];
  for (const t of input.matchAll(TOKEN)) {
    const key = (t[1] ?? t[3])?.toLowerCase();
    const value = t[2] ?? t[4];
    if (key !== undefined && value !== undefined) {
      switch (key) {
        case 'from':
        case 'to':
        case 'cc':
        case 'subject': {
          const field = key === 'cc' ? 'to' : (key as 'from' | 'to' | 'subject');
          const ws = words(value);
          if (!ws.length) throw new QueryError(`"${key}:" needs a value, e.g. ${key}:hannah`);
          for (const w of ws) text.push(`${key}:${w}`);
          q.fields[field].push(...ws.map((w) => w.toLowerCase()));
          continue;
        }
        case 'after':
        case 'since':
        case 'before': {
          const d = parseDay(value, now);
          if (d === undefined) throw new QueryError(`"${key}:${value}" is not a date: write ${key}:2025-03-31, ${key}:today, ${key}:yesterday or ${key}:7d`);
          if (key === 'before') q.before = d;
          // "after:2025-03-31" includes that day, as in Gmail.
          else q.after = d;
          continue;
        }
        case 'is': {
          const v = value.toLowerCase();
          if (v === 'unread') q.unread = true;
          else if (v === 'read') q.unread = false;
          else if (v === 'flagged' || v === 'starred') q.flagged = true;
          else throw new QueryError(`"is:${value}" is not known: use is:unread, is:read or is:flagged`);
          continue;
        }
        case 'has': {
          if (!/^attachments?$/i.test(value)) throw new QueryError(`"has:${value}" is not known: use has:attachment`);
          q.hasAttachment = true;
          continue;
        }
        case 'in':
        case 'folder': {
          if (!value.trim()) throw new QueryError(`"${key}:" needs a folder, e.g. in:inbox or in:"Lists/Rust"`);
          q.folder = value.trim();
          continue;
        }
        default:
          // Not an operator ("re:budget", "10:30"): plain text.
          break;
      }
    }
    const free = words(t[5] ?? t[0]);
    text.push(...free);
    q.words.push(...free);
  }
  if (q.after !== undefined && q.before !== undefined && q.after >= q.before) {
    throw new QueryError('"after:" must be earlier than "before:"');
  }
  q.text = text.join(' ');
  return q;
}

/** Whether a query has anything at all to look for (an empty one would list the whole mailbox). */
export function isEmptyQuery(q: AgentQuery): boolean {
  return !q.text && q.after === undefined && q.before === undefined && q.unread === undefined && !q.flagged && !q.hasAttachment && !q.folder;
}
