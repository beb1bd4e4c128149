/**
 * A message written in a text editor (editorCompose.ts): a header block between two `---`
 * lines, front matter as in Markdown files (VS Code's Markdown preview hides it), then the
 * Markdown body.
 *
 *     ---
 *     From: Sam Rivera <sam@example.test>
 *     To: Ann Lee <ann@example.test>
 *     Cc:
 *     Bcc:
 *     Subject: Quarterly plan
 *     ---
 *
 *     The body, in **Markdown**.
 *
 * `Quote: yes|no` appears for a reply or forward (whether the original goes below the text) and
 * `Attachments: a.pdf, b.png` when there are any (a name left out removes that attachment).
 * A long recipient list may go on over several lines that begin with a space.
 *
 * Free of `vscode`, so it is unit-tested in plain Node. Parsing never guesses: anything it does
 * not understand is a problem named with its fix, and nothing is saved or sent.
 */
import * as l10n from '@vscode/l10n';

export interface DraftHeaders {
  /** The account as "Name <email>" (or the address alone). */
  from: string;
  to: string;
  cc: string;
  bcc: string;
  subject: string;
  /** Only for a reply or forward: whether the original is quoted below the text. */
  quote?: boolean;
  /** Names of the attachments kept; absent when the block has no Attachments line. */
  attachments?: string[];
}

export interface DraftDocument {
  headers: DraftHeaders;
  body: string;
}

export type DraftParse = { ok: true; doc: DraftDocument } | { ok: false; problem: string };

const FENCE = '---';
const KEYS = ['From', 'To', 'Cc', 'Bcc', 'Subject', 'Quote', 'Attachments'] as const;
type Key = (typeof KEYS)[number];

/** One line's value: newlines (never allowed in a header) become spaces. */
function oneLine(v: string): string {
  return v.replace(/\s*[\r\n]+\s*/g, ' ').trim();
}

/** The document's text for a message: the header block, one empty line, the body. */
export function formatDraftDocument(doc: DraftDocument): string {
  const h = doc.headers;
  const lines = [FENCE, `From: ${oneLine(h.from)}`, `To: ${oneLine(h.to)}`, `Cc: ${oneLine(h.cc)}`, `Bcc: ${oneLine(h.bcc)}`, `Subject: ${oneLine(h.subject)}`];
  if (h.quote !== undefined) lines.push(`Quote: ${h.quote ? 'yes' : 'no'}`);
  // A comma inside a file name would split it on the way back: the list uses "; " then.
  if (h.attachments?.length) lines.push(`Attachments: ${h.attachments.map(oneLine).join(h.attachments.some((n) => n.includes(',')) ? '; ' : ', ')}`);
  lines.push(FENCE, '');
  // Trailing spaces after "To:" on empty lines are dropped, so editors that trim them change nothing.
  return `${lines.map((l) => l.replace(/\s+$/, '')).join('\n')}\n${doc.body}`;
}

/** The header block and body of a document's text, or the first problem found in it. */
export function parseDraftDocument(text: string): DraftParse {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const howTo = l10n.t('The message must begin with a line "---", then the lines From:, To:, Cc:, Bcc: and Subject:, then another "---" line, then the text.');
  // Empty lines before the block are forgiven (an editor may keep one at the top).
  let i = 0;
  while (i < lines.length && !lines[i].trim()) i++;
  if (lines[i]?.trim() !== FENCE) return { ok: false, problem: l10n.t('The header block is missing. {0}', howTo) };
  const values = new Map<Key, string>();
  let last: Key | undefined;
  for (i++; i < lines.length; i++) {
    const line = lines[i];
    if (line.trim() === FENCE) break;
    if (!line.trim()) continue;
    if (/^[ \t]/.test(line)) {
      // A folded line goes on with the header above it.
      if (!last) return { ok: false, problem: l10n.t('Line {0} begins with a space but there is no header above it to continue. {1}', i + 1, howTo) };
      values.set(last, `${values.get(last)} ${line.trim()}`.trim());
      continue;
    }
    const m = /^([A-Za-z-]+)[ \t]*:(.*)$/.exec(line);
    if (!m) return { ok: false, problem: l10n.t('Line {0} ("{1}") is not a header: write it as "Name: value" ({2}), or end the header block with "---".', i + 1, line.trim(), KEYS.join(', ')) };
    const key = KEYS.find((k) => k.toLowerCase() === m[1].toLowerCase());
    if (!key) return { ok: false, problem: l10n.t('Line {0}: "{1}" is not a header MailDesk knows. Use {2}.', i + 1, m[1], KEYS.join(', ')) };
    if (values.has(key)) return { ok: false, problem: l10n.t('Line {0}: "{1}" is written twice. Keep one {1} line (put several addresses on one line, separated by commas).', i + 1, key) };
    values.set(key, m[2].trim());
    last = key;
  }
  if (i >= lines.length) return { ok: false, problem: l10n.t('The header block is not closed: add a line "---" after the Subject line. {0}', howTo) };
  if (!values.has('From')) return { ok: false, problem: l10n.t('The From line is missing: add "From: " with one of your accounts (e.g. "From: Sam Rivera <sam@example.test>").') };
  let quote: boolean | undefined;
  const q = values.get('Quote');
  if (q !== undefined) {
    if (/^(yes|y|true|on)$/i.test(q)) quote = true;
    else if (/^(no|n|false|off)$/i.test(q)) quote = false;
    else return { ok: false, problem: l10n.t('Quote: "{0}" is neither yes nor no. Write "Quote: yes" to put the original below your text, or "Quote: no" to leave it out.', q) };
  }
  const a = values.get('Attachments');
  const attachments = a === undefined ? undefined : a.split(a.includes(';') ? ';' : ',').map((s) => s.trim()).filter(Boolean);
  // The body begins after the closing line and the one empty line the format puts there.
  let rest = lines.slice(i + 1);
  if (rest.length && !rest[0].trim()) rest = rest.slice(1);
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  return {
    ok: true,
    doc: {
      headers: {
        from: values.get('From') ?? '',
        to: values.get('To') ?? '',
        cc: values.get('Cc') ?? '',
        bcc: values.get('Bcc') ?? '',
        subject: values.get('Subject') ?? '',
        ...(quote !== undefined ? { quote } : {}),
        ...(attachments !== undefined ? { attachments } : {}),
      },
      body: rest.join(eol),
    },
  };
}

/**
 * Which attachments the block keeps: each listed name takes one attachment of that name. A name
 * that matches none is a problem (files are attached elsewhere, not by typing a name).
 */
export function keptAttachments<T>(all: T[], nameOf: (a: T) => string, listed: string[] | undefined): { ok: true; kept: T[] } | { ok: false; problem: string } {
  if (listed === undefined) return { ok: true, kept: all };
  const left = [...all];
  const kept: T[] = [];
  for (const name of listed) {
    const at = left.findIndex((a) => nameOf(a) === name);
    if (at < 0) {
      return {
        ok: false,
        problem: l10n.t(
          '"{0}" is not attached to this message. The Attachments line only lists the files already attached (delete a name to remove that file); to attach a new file, use the message composer (setting maildesk.compose.editor: "panel").',
          name,
        ),
      };
    }
    kept.push(left.splice(at, 1)[0]);
  }
  return { ok: true, kept };
}

/** A name for the document's tab: the subject (or what is being written), safe as a file name. */
export function draftFileName(subject: string, kind: string): string {
  const base = (oneLine(subject) || kind).replace(/[\\/:*?"<>|#%]+/g, '-').slice(0, 80).trim() || 'Message';
  return `${base}.md`;
}
