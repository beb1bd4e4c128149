/**
 * Reads one CSS declaration value the way a browser tokenizes it, and gives back a text that
 * a browser tokenizes the same way again, so what the sanitiser checks is what the page gets.
 *
 * Resolving escapes over the whole value first (what the sanitiser once did) is not enough:
 * `"a\22 }"` is one string to a browser, but decoded it reads `"a"}` and, written into a
 * `<style>` block, closes the rule (the next text became an unscoped rule, `:host` included);
 * in a `style` attribute `'\27 ;position:fixed'` became a second declaration. Here:
 *  - strings are read with their escapes and written back in double quotes; a string whose
 *    text would need an escape (a quote, a backslash, a line break) is refused;
 *  - outside strings an escape may only stand for a name character, never for `{ } ; ( " ' /`;
 *  - comments outside strings become a space, and `/*` inside a string stays text;
 *  - `url(...)`, quoted or not, becomes a placeholder (PLACEHOLDER_START index PLACEHOLDER_END)
 *    with its URL read out, so no `url(` inside a string is ever taken for a load;
 *  - `{`, `}`, `;`, `!`, `<` and the placeholder characters outside strings refuse the value.
 * Returns undefined when the value must be dropped.
 */

export const PLACEHOLDER_START = '\ue000';
export const PLACEHOLDER_END = '\ue001';

export interface CssValue {
  /** The value, with each url() as PLACEHOLDER_START + index + PLACEHOLDER_END. */
  text: string;
  /** The URLs of the url()s, in order, as written (escapes resolved). */
  urls: string[];
}

const NAME_CHAR = /^[-_a-zA-Z0-9\u0080-\udfff\uf900-\uffff]$/;
const NEWLINE = /[\r\n\f]/;

/** The escape at s[i] (a backslash not followed by a line break): its character and where it ends. */
function escapeAt(s: string, i: number): [string, number] {
  const m = /^([0-9a-fA-F]{1,6})(?:\r\n|[ \t\r\n\f])?/.exec(s.slice(i + 1, i + 9));
  if (m) {
    const cp = parseInt(m[1], 16);
    const ch = cp === 0 || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) ? '\ufffd' : String.fromCodePoint(cp);
    return [ch, i + 1 + m[0].length];
  }
  if (i + 1 >= s.length) return ['\ufffd', i + 1];
  const cp = s.codePointAt(i + 1)!;
  const ch = String.fromCodePoint(cp);
  return [ch, i + 1 + ch.length];
}

export function readCssValue(s: string): CssValue | undefined {
  let text = '';
  const urls: string[] = [];
  let i = 0;

  /** A string starting at s[i]; its text, or undefined if it has no end on its line. */
  const readString = (): string | undefined => {
    const q = s[i++];
    let v = '';
    while (i < s.length) {
      const c = s[i];
      if (c === q) {
        i++;
        return v;
      }
      if (NEWLINE.test(c)) return undefined;
      if (c === '\\') {
        const n = s[i + 1];
        if (n === undefined) {
          i++;
        } else if (n === '\r' && s[i + 2] === '\n') {
          i += 3;
        } else if (NEWLINE.test(n)) {
          i += 2;
        } else {
          const [ch, j] = escapeAt(s, i);
          v += ch;
          i = j;
        }
        continue;
      }
      v += c;
      i++;
    }
    // Unterminated: fine at the end of a sheet, but ours never ends here.
    return undefined;
  };
  const safeString = (v: string | undefined): v is string => v !== undefined && !/["\\<\r\n\f\ue000\ue001]/.test(v);
  const skipWs = (): void => {
    while (i < s.length && /[ \t\r\n\f]/.test(s[i])) i++;
  };

  while (i < s.length) {
    const c = s[i];
    if (c === '/' && s[i + 1] === '*') {
      const end = s.indexOf('*/', i + 2);
      if (end < 0) break; // an open comment runs to the end
      text += ' ';
      i = end + 2;
      continue;
    }
    if (c === '"' || c === "'") {
      const v = readString();
      if (!safeString(v)) return undefined;
      text += `"${v}"`;
      continue;
    }
    if (c === '\\') {
      const n = s[i + 1];
      if (n === undefined || NEWLINE.test(n)) return undefined;
      const [ch, j] = escapeAt(s, i);
      if (!NAME_CHAR.test(ch) && !/^[\ud800-\udbff][\udc00-\udfff]$/.test(ch)) return undefined;
      text += ch;
      i = j;
      continue;
    }
    if (c === '(' && /(?:^|[^-_a-zA-Z0-9\u0080-\uffff])url$/i.test(text)) {
      // `url(`: its argument is a URL, quoted or not, and nothing else.
      i++;
      skipWs();
      let url: string | undefined;
      if (s[i] === '"' || s[i] === "'") {
        url = readString();
        if (!safeString(url)) return undefined;
      } else {
        // eslint-disable-next-line no-control-regex
        const m = /^[^\s"'()\\\u0000-\u001f\u007f\ue000\ue001]*/.exec(s.slice(i))![0];
        url = m;
        i += m.length;
      }
      skipWs();
      if (s[i] !== ')') return undefined;
      i++;
      text = `${text.slice(0, -3)}${PLACEHOLDER_START}${urls.length}${PLACEHOLDER_END}`;
      urls.push(url);
      continue;
    }
    if (/[{};!<\ue000\ue001]/.test(c)) return undefined;
    text += c;
    i++;
  }
  return { text, urls };
}
