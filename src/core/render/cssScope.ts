/**
 * Selectors of a message's `<style>` blocks, checked and scoped to that message.
 *
 * Every rule the message keeps is rewritten to start at the element that holds the message
 * (MAIL_SCOPE, inside the message's own shadow root), so that even outside a shadow root it
 * can only match the message's own elements. The parser below knows a small, closed part of
 * the selector grammar and refuses everything else (the rule is dropped):
 *  - `html`, `body` and `:root` are the message's own box: leading ones become MAIL_SCOPE,
 *    anywhere else the rule is dropped;
 *  - no `:host`, `::part`, `::slotted`, `:scope` or unknown pseudo-classes (ways out of a
 *    shadow root or into state we do not know);
 *  - attribute selectors compare values only on presentational attributes the message wrote
 *    itself: never on link targets, titles, sources or `data-*` (a selector that can read an
 *    attribute can send it out through a background image);
 *  - no class or id in the reader's own namespaces (`md-*`, `maildesk*`).
 * The text returned is rebuilt from what was checked: no escapes, comments or strings that
 * a browser could read differently.
 */

/** The element inside each message part's shadow root that holds the message. */
export const MAIL_SCOPE_CLASS = 'md-mail';
const SCOPE = `.${MAIL_SCOPE_CLASS}`;

export interface ScopedSelector {
  /** The selector list, each selector starting at the message's box. */
  selector: string;
  /**
   * The rule depends on what the reader does (hover, focus, visited): a remote load in it
   * would tell the sender so. The caller keeps such rules but not their remote loads.
   */
  dynamic: boolean;
  /** The subject (last compound) of each selector: what the rule's declarations land on. */
  subjects: Subject[];
}

/** A selector's subject as far as it narrows the elements matched: for generatedContent.ts. */
export interface Subject {
  /** Element type, lower case ('' or '*' for any). */
  type: string;
  /** Classes and ids the element must have (those inside :not(), :is() and the like excluded). */
  classes: string[];
  ids: string[];
  /** It names ::before or ::after: a box of generated content per element, given a `content`. */
  generates: boolean;
}

// Attributes whose value a selector may compare: all written by the message itself and
// none of them carries a URL or anything we add (link targets, cid names, blocked markers).
const VALUE_ATTRS = new Set([
  'class', 'align', 'valign', 'dir', 'lang', 'width', 'height', 'bgcolor', 'color', 'border', 'face', 'size', 'type',
  'colspan', 'rowspan', 'nowrap', 'cellpadding', 'cellspacing', 'span', 'start', 'frame', 'rules', 'scope', 'noshade', 'clear',
]);
const STATIC_PSEUDO = new Set(['first-child', 'last-child', 'only-child', 'first-of-type', 'last-of-type', 'only-of-type', 'empty', 'link', 'any-link']);
const DYNAMIC_PSEUDO = new Set(['hover', 'active', 'focus', 'focus-visible', 'focus-within', 'visited', 'target']);
// Pseudo-elements the reader brings about (selecting text): as dynamic as :hover.
const DYNAMIC_PSEUDO_ELEMENTS = new Set(['selection']);
const NTH_PSEUDO = new Set(['nth-child', 'nth-last-child', 'nth-of-type', 'nth-last-of-type']);
const LIST_PSEUDO = new Set(['not', 'is', 'where', 'has']);
const PSEUDO_ELEMENTS = new Set(['before', 'after', 'first-line', 'first-letter', 'marker', 'selection', 'placeholder']);
// Pseudo-elements that are a box of their own once they have a `content` (generatedContent.ts).
const GENERATED_PSEUDO_ELEMENTS = new Set(['before', 'after']);
// CSS2 let these four be written with one colon.
const LEGACY_PSEUDO_ELEMENTS = new Set(['before', 'after', 'first-line', 'first-letter']);
const NTH_ARG = /^\s*(?:odd|even|[+-]?\d*n(?:\s*[+-]\s*\d+)?|[+-]?\d+)\s*$/i;
// Sticky (matched at lastIndex): the parser never copies the rest of the selector.
const IDENT = /-?(?:[_a-zA-Z\u0080-\uffff]|--)[-_a-zA-Z0-9\u0080-\uffff]*/y;
const ATTR_OP = /[~|^$*]?=/y;
const ATTR_FLAG = /[is](?![-_a-zA-Z0-9])/iy;
const READER_NAME = /^(?:md-|maildesk)/i;

class Refused extends Error {}

interface Compound {
  text: string;
  subject: Subject;
  /** `html`, `body`, `:root`, or our own scope written back: the message's box itself. */
  rootLike: boolean;
  dynamic: boolean;
}

interface Complex {
  /** combinator before each compound ('' for the first one unless relative). */
  parts: Array<{ comb: string; compound: Compound }>;
}

class SelectorParser {
  private i = 0;
  dynamic = false;

  constructor(private readonly s: string) {}

  parseTop(): Complex[] {
    const list = this.list(false, false);
    this.ws();
    if (this.i < this.s.length) throw new Refused();
    return list;
  }

  private ws(): boolean {
    const start = this.i;
    while (this.i < this.s.length && /[ \t\n\r\f]/.test(this.s[this.i])) this.i++;
    return this.i > start;
  }

  /** The match of a sticky regex at the cursor, if any (the cursor does not move). */
  private at(re: RegExp): string | undefined {
    re.lastIndex = this.i;
    return re.exec(this.s)?.[0];
  }

  private ident(): string {
    const m = this.at(IDENT);
    if (!m) throw new Refused();
    this.i += m.length;
    return m;
  }

  /** A selector list; inside `:not()`/`:is()`/`:where()`/`:has()` when nested. */
  private list(nested: boolean, relative: boolean): Complex[] {
    const out: Complex[] = [this.complex(nested, relative)];
    for (;;) {
      this.ws();
      if (this.s[this.i] !== ',') break;
      this.i++;
      out.push(this.complex(nested, relative));
    }
    return out;
  }

  private complex(nested: boolean, relative: boolean): Complex {
    const parts: Complex['parts'] = [];
    this.ws();
    let comb = '';
    if (relative && /[>+~]/.test(this.s[this.i] ?? '')) {
      comb = this.s[this.i++];
      this.ws();
    }
    parts.push({ comb, compound: this.compound(nested) });
    for (;;) {
      const hadWs = this.ws();
      const c = this.s[this.i];
      if (c === undefined || c === ',' || c === ')') break;
      if (c === '>' || c === '+' || c === '~') {
        this.i++;
        this.ws();
        parts.push({ comb: c, compound: this.compound(nested) });
      } else if (hadWs) {
        parts.push({ comb: ' ', compound: this.compound(nested) });
      } else {
        throw new Refused();
      }
    }
    return { parts };
  }

  private compound(nested: boolean): Compound {
    let text = '';
    let type = '';
    const simples: string[] = [];
    let dynamic = false;
    const c0 = this.s[this.i];
    if (c0 === '*') {
      this.i++;
      type = '*';
    } else if (c0 !== undefined && this.at(IDENT)) {
      type = this.ident().toLowerCase();
    }
    if (this.s[this.i] === '|') throw new Refused(); // namespaces
    text += type;
    let pseudoElement = false;
    const subject: Subject = { type, classes: [], ids: [], generates: false };
    for (;;) {
      const c = this.s[this.i];
      if (c === '.' || c === '#') {
        this.i++;
        const name = this.ident();
        if (READER_NAME.test(name) && !(c === '.' && name === MAIL_SCOPE_CLASS)) throw new Refused();
        simples.push(`${c}${name}`);
        (c === '.' ? subject.classes : subject.ids).push(name);
      } else if (c === '[') {
        this.i++;
        simples.push(this.attribute());
      } else if (c === ':' && this.s[this.i + 1] === ':') {
        this.i += 2;
        const name = this.ident().toLowerCase();
        if (pseudoElement || !PSEUDO_ELEMENTS.has(name) || this.s[this.i] === '(') throw new Refused();
        pseudoElement = true;
        if (DYNAMIC_PSEUDO_ELEMENTS.has(name)) dynamic = true;
        if (GENERATED_PSEUDO_ELEMENTS.has(name)) subject.generates = true;
        simples.push(`::${name}`);
      } else if (c === ':') {
        this.i++;
        const name = this.ident().toLowerCase();
        if (LEGACY_PSEUDO_ELEMENTS.has(name) && this.s[this.i] !== '(') {
          if (pseudoElement) throw new Refused();
          pseudoElement = true;
          if (GENERATED_PSEUDO_ELEMENTS.has(name)) subject.generates = true;
          simples.push(`::${name}`);
          continue;
        }
        if (pseudoElement && !DYNAMIC_PSEUDO.has(name)) throw new Refused();
        simples.push(this.pseudoClass(name, () => (dynamic = true)));
      } else {
        break;
      }
    }
    if (!type && simples.length === 0) throw new Refused();
    text += simples.join('');
    const isRootType = type === 'html' || type === 'body';
    const isRootPseudo = type === '' && simples.length === 1 && simples[0] === ':root';
    const isOurScope = type === '' && simples.length === 1 && simples[0] === SCOPE;
    if ((isRootType && simples.length > 0) || (!isRootPseudo && simples.includes(':root'))) throw new Refused();
    if (simples.includes(SCOPE) && !isOurScope) throw new Refused();
    const rootLike = (isRootType && simples.length === 0) || isRootPseudo || isOurScope;
    if (rootLike && nested) throw new Refused();
    if (dynamic) this.dynamic = true;
    return { text, subject, rootLike, dynamic };
  }

  private attribute(): string {
    this.ws();
    const name = this.ident().toLowerCase();
    if (this.s[this.i] === '|' && this.s[this.i + 1] !== '=') throw new Refused();
    this.ws();
    if (this.s[this.i] === ']') {
      this.i++;
      return `[${name}]`;
    }
    const op = this.at(ATTR_OP);
    if (!op) throw new Refused();
    // Comparing the value reads it: only attributes the message wrote itself and that carry
    // nothing of ours (see VALUE_ATTRS).
    if (!VALUE_ATTRS.has(name)) throw new Refused();
    this.i += op.length;
    this.ws();
    let value: string;
    const q = this.s[this.i];
    if (q === '"' || q === "'") {
      const end = this.s.indexOf(q, this.i + 1);
      if (end < 0) throw new Refused();
      value = this.s.slice(this.i + 1, end);
      this.i = end + 1;
    } else {
      value = this.ident();
    }
    // eslint-disable-next-line no-control-regex
    if (/["\\<>\u0000-\u001f\u007f]/.test(value)) throw new Refused();
    // A class comparison that names the reader's namespace matches nothing of the message (its
    // md-* classes are removed): it can only be meant for the reader.
    if (name === 'class' && /md-|maildesk/i.test(value)) throw new Refused();
    this.ws();
    let flag = '';
    const f = this.at(ATTR_FLAG);
    if (f) {
      flag = ` ${f.toLowerCase()}`;
      this.i++;
      this.ws();
    }
    if (this.s[this.i] !== ']') throw new Refused();
    this.i++;
    return `[${name}${op}"${value}"${flag}]`;
  }

  private pseudoClass(name: string, markDynamic: () => void): string {
    if (this.s[this.i] !== '(') {
      if (name === 'root') return ':root';
      if (STATIC_PSEUDO.has(name)) return `:${name}`;
      if (DYNAMIC_PSEUDO.has(name)) {
        markDynamic();
        return `:${name}`;
      }
      throw new Refused(); // :host, :scope, :defined, :lang… and anything new
    }
    this.i++;
    let out: string;
    if (NTH_PSEUDO.has(name)) {
      const end = this.s.indexOf(')', this.i);
      const arg = end < 0 ? '' : this.s.slice(this.i, end);
      if (!NTH_ARG.test(arg)) throw new Refused();
      this.i = end;
      out = `:${name}(${arg.replace(/\s+/g, '').toLowerCase()})`;
    } else if (LIST_PSEUDO.has(name)) {
      const inner = this.list(true, name === 'has');
      this.ws();
      out = `:${name}(${inner.map(serialise).join(',')})`;
      if (inner.some((c) => c.parts.some((p) => p.compound.dynamic))) markDynamic();
    } else {
      throw new Refused(); // :host(), :host-context(), :lang(), :dir(), :state()…
    }
    if (this.s[this.i] !== ')') throw new Refused();
    this.i++;
    return out;
  }
}

function serialise(c: Complex): string {
  return c.parts.map((p, k) => (k === 0 ? (p.comb ? `${p.comb} ` : '') : p.comb === ' ' ? ' ' : ` ${p.comb} `) + p.compound.text).join('');
}

/** One selector starting at the message's box: leading html/body/:root become the box itself. */
function scopeComplex(c: Complex): string {
  let k = 0;
  while (k < c.parts.length && c.parts[k].compound.rootLike) {
    // `body + x` or `html ~ x` name siblings of the document: nothing of the message.
    if (k > 0 && c.parts[k].comb !== ' ' && c.parts[k].comb !== '>') throw new Refused();
    k++;
  }
  const rest = c.parts.slice(k);
  if (rest.some((p) => p.compound.rootLike)) throw new Refused();
  if (rest.length && k > 0 && rest[0].comb !== ' ' && rest[0].comb !== '>') throw new Refused();
  if (!rest.length) return SCOPE;
  // The message's <body> became a <div> inside the box, so `body > x` is a descendant of it.
  return `${SCOPE} ${serialise({ parts: [{ comb: '', compound: rest[0].compound }, ...rest.slice(1)] })}`;
}

/**
 * Checks and scopes a selector list whose CSS escapes and comments are already resolved.
 * Returns undefined when the rule must be dropped.
 */
export function scopeSelectorList(decoded: string): ScopedSelector | undefined {
  if (decoded.length > 4096) return undefined;
  try {
    const p = new SelectorParser(decoded);
    const list = p.parseTop();
    return { selector: list.map(scopeComplex).join(','), dynamic: p.dynamic, subjects: list.map((c) => c.parts[c.parts.length - 1].compound.subject) };
  } catch (e) {
    if (e instanceof Refused) return undefined;
    throw e;
  }
}
