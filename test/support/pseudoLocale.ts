/**
 * A pseudo-locale ("qps-ploc") bundle made from l10n/bundle.l10n.json, as translators' tools
 * make one: every message in brackets with its vowels accented, placeholders left alone. Words
 * that come out like that were translated; English ones were not.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');
const ACCENT: Record<string, string> = { a: 'á', e: 'é', i: 'í', o: 'ó', u: 'ú' };

export function pseudo(message: string): string {
  // Vowels outside "{0}" placeholders (theirs are digits anyway).
  return `[${message.replace(/[aeiou](?![^{]*\})/g, (c) => ACCENT[c] ?? c)}]`;
}

/** Writes bundle.l10n.qps-ploc.json into `dir` and returns its path. */
export function writePseudoBundle(dir: string): string {
  const english = JSON.parse(fs.readFileSync(path.join(ROOT, 'l10n', 'bundle.l10n.json'), 'utf8')) as Record<string, string>;
  const file = path.join(dir, 'bundle.l10n.qps-ploc.json');
  fs.writeFileSync(file, JSON.stringify(Object.fromEntries(Object.keys(english).map((k) => [k, pseudo(k)]))));
  return file;
}
