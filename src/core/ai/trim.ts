/**
 * Fitting a thread into a model's budget. Pure, so every step is tested on its own. What
 * goes first is what the model least needs: quoted history (the quoted messages are in the
 * thread anyway) and signatures; then the bodies of the oldest messages; last, the end of
 * the newest one. The newest message always stays.
 */

export interface AiThreadMessage {
  from: string;
  to?: string;
  cc?: string;
  date?: string;
  subject?: string;
  text: string;
  /** File names only: attachment contents are never sent. */
  attachments?: string[];
}

export interface TrimReport {
  quotesRemoved: number;
  signaturesRemoved: number;
  /** Older messages whose bodies were left out. */
  bodiesDropped: number;
  /** The newest message was cut short. */
  truncated: boolean;
}

/** Rough token count (about four characters a token in European languages): conservative on purpose. */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 3.5);
}

const ATTRIBUTION = /^(?:On .{3,200}(?:wrote|schrieb|a écrit|escribió)\s*:|Am .{3,200}schrieb .{1,100}:|Le .{3,200}a écrit\s*:)\s*$/i;
const ORIGINAL = /^(?:-{2,}\s*(?:Original Message|Ursprüngliche Nachricht|Message d'origine)\s*-{2,}|_{10,})\s*$/i;
const OUTLOOK_HEADER = /^(?:From|Von|De)\s*:\s.+$/i;

/** The message without quoted history: "> " lines, their "On … wrote:" line, and Outlook's "Original Message" tail. */
export function stripQuoted(text: string): string {
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i];
    if (ORIGINAL.test(l.trim())) break;
    // Outlook's plain reply header: "From: …" followed by "Sent:"/"Date:" within two lines.
    if (OUTLOOK_HEADER.test(l.trim()) && out.length && lines.slice(i + 1, i + 3).some((n) => /^(?:Sent|Date|Gesendet|Envoyé)\s*:/i.test(n.trim()))) break;
    if (/^\s*>/.test(l)) continue;
    if (ATTRIBUTION.test(l.trim())) {
      // Only when quoted lines follow (or the attribution wrapped onto two lines).
      const next = lines.slice(i + 1).find((n) => n.trim() !== '');
      if (next === undefined || /^\s*>/.test(next)) continue;
    }
    out.push(l);
  }
  return out.join('\n').replace(/\n{3,}/g, '\n\n').trim();
}

const SIGN_OFF_LINES = /^(?:Sent from my (?:iPhone|iPad|Android|mobile|phone|Galaxy).*|Get Outlook for (?:iOS|Android).*|Von meinem iPhone gesendet)$/i;

/** The message without its signature: from the "-- " delimiter on, and mobile sign-offs. */
export function stripSignature(text: string): string {
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  let end = lines.length;
  for (let i = lines.length - 1; i >= 0; i--) {
    if (lines[i] === '-- ' || lines[i] === '--') {
      // A signature is short; a "--" far from the end is part of the text.
      if (lines.length - i <= 15) end = i;
      break;
    }
  }
  const kept = lines.slice(0, end).filter((l) => !SIGN_OFF_LINES.test(l.trim()));
  return kept.join('\n').trim();
}

/** How a message is written out for the model; the trimming counts exactly this. */
export function formatForModel(m: AiThreadMessage): string {
  const head = [`From: ${m.from}`];
  if (m.to) head.push(`To: ${m.to}`);
  if (m.cc) head.push(`Cc: ${m.cc}`);
  if (m.date) head.push(`Date: ${m.date}`);
  if (m.subject) head.push(`Subject: ${m.subject}`);
  if (m.attachments?.length) head.push(`Attachments: ${m.attachments.join(', ')}`);
  return `${head.join('\n')}\n\n${m.text}`;
}

export function threadTokens(msgs: AiThreadMessage[]): number {
  return msgs.reduce((n, m) => n + estimateTokens(formatForModel(m)) + 8, 0);
}

/**
 * The thread trimmed to `budgetTokens`, step by step, stopping as soon as it fits:
 * 1. quoted history removed, 2. signatures removed, 3. bodies of the oldest messages
 * replaced by a note, 4. the newest message cut at the budget.
 */
export function trimThread(messages: AiThreadMessage[], budgetTokens: number): { messages: AiThreadMessage[]; report: TrimReport } {
  const report: TrimReport = { quotesRemoved: 0, signaturesRemoved: 0, bodiesDropped: 0, truncated: false };
  let msgs = messages.map((m) => ({ ...m }));
  const fits = (): boolean => threadTokens(msgs) <= budgetTokens;
  if (fits()) return { messages: msgs, report };

  msgs = msgs.map((m) => {
    const t = stripQuoted(m.text);
    if (t !== m.text.trim()) report.quotesRemoved++;
    return { ...m, text: t };
  });
  if (fits()) return { messages: msgs, report };

  msgs = msgs.map((m) => {
    const t = stripSignature(m.text);
    if (t !== m.text.trim()) report.signaturesRemoved++;
    return { ...m, text: t };
  });
  if (fits()) return { messages: msgs, report };

  for (let i = 0; i < msgs.length - 1 && !fits(); i++) {
    msgs[i] = { ...msgs[i], text: '[earlier message left out to fit the model]' };
    report.bodiesDropped++;
  }
  if (fits()) return { messages: msgs, report };

  // Still too long: drop the left-out notes entirely, then cut the newest message.
  msgs = msgs.slice(-1);
  const last = msgs[0];
  const note = '\n[…the rest of this message was left out to fit the model]';
  const overhead = estimateTokens(formatForModel({ ...last, text: note })) + 8 + 1;
  const chars = Math.max(0, Math.floor((budgetTokens - overhead) * 3.5));
  msgs[0] = { ...last, text: `${last.text.slice(0, chars)}${note}` };
  report.truncated = true;
  return { messages: msgs, report };
}
