/**
 * The cheap local part of "Check with AI": no model, no network, so it also runs when AI
 * is off. It catches the classic mistakes: an attachment promised but not attached, and
 * recipients that look wrong (a typo in a well-known domain, an address that cannot be
 * delivered, someone outside the conversation on a reply).
 */
import { stripQuoted, stripSignature } from './trim';

export interface DraftFinding {
  kind: 'attachment' | 'recipient';
  message: string;
}

export interface DraftForCheck {
  to?: Array<{ name?: string; address: string } | string>;
  cc?: Array<{ name?: string; address: string } | string>;
  bcc?: Array<{ name?: string; address: string } | string>;
  subject?: string;
  text?: string;
  attachments?: Array<{ filename?: string }>;
}

// Words that promise a file, in the languages MailDesk users write most.
const ATTACH_WORDS =
  /\b(?:attach(?:ed|ing|ment|ments)?|enclos(?:ed|ing)|(?:please )?find (?:the )?(?:file|document)s? (?:below|here)|anbei|angehängt|im anhang|anhang|beigefügt|ci-joint|pièce jointe|en pj|adjunto|in allegato)\b/i;

/** True when the draft's own text (not the quoted history) says something is attached. */
export function mentionsAttachment(text: string): boolean {
  return ATTACH_WORDS.test(stripSignature(stripQuoted(text)));
}

const COMMON_DOMAINS = ['gmail.com', 'googlemail.com', 'outlook.com', 'hotmail.com', 'yahoo.com', 'icloud.com', 'gmx.de', 'gmx.net', 'web.de', 'live.com', 'proton.me', 'protonmail.com'];

function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++) d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
  return d[a.length][b.length];
}

function addressOf(r: { address: string } | string): string {
  const s = typeof r === 'string' ? r : r.address;
  const m = /<([^>]+)>/.exec(s);
  return (m ? m[1] : s).trim();
}

/**
 * Local findings for a draft. `participants`: addresses already in the conversation (for a
 * reply); `self`: the sender's own addresses.
 */
export function checkDraftLocally(draft: DraftForCheck, opts: { participants?: string[]; self?: string[] } = {}): DraftFinding[] {
  const out: DraftFinding[] = [];
  const text = draft.text ?? '';
  if (mentionsAttachment(`${draft.subject ?? ''}\n${text}`) && !(draft.attachments ?? []).length) {
    out.push({ kind: 'attachment', message: 'The message says something is attached, but nothing is attached.' });
  }
  const all = [...(draft.to ?? []), ...(draft.cc ?? []), ...(draft.bcc ?? [])].map(addressOf);
  if (!all.length) out.push({ kind: 'recipient', message: 'The message has no recipient.' });
  const participants = new Set((opts.participants ?? []).map((a) => a.toLowerCase()));
  const self = new Set((opts.self ?? []).map((a) => a.toLowerCase()));
  const seen = new Set<string>();
  for (const a of all) {
    const lower = a.toLowerCase();
    if (seen.has(lower)) {
      out.push({ kind: 'recipient', message: `${a} is a recipient more than once.` });
      continue;
    }
    seen.add(lower);
    const m = /^[^\s@]+@([^\s@]+\.[^\s@]+)$/.exec(a);
    if (!m) {
      out.push({ kind: 'recipient', message: `"${a}" is not a complete e-mail address.` });
      continue;
    }
    const domain = m[1].toLowerCase();
    const near = COMMON_DOMAINS.find((d) => d !== domain && editDistance(d, domain) <= 2 && Math.abs(d.length - domain.length) <= 2);
    if (near && !COMMON_DOMAINS.includes(domain)) out.push({ kind: 'recipient', message: `${a}: did you mean @${near}?` });
    if (participants.size && !participants.has(lower) && !self.has(lower)) {
      out.push({ kind: 'recipient', message: `${a} was not part of this conversation so far.` });
    }
  }
  return out;
}
