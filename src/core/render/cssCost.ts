/**
 * Bounds what one declaration of a message's CSS can cost the renderer (issue 16: a
 * denial of service by mail). Before this, a reply nesting `transform:scale(50)` with
 * `filter:blur()` a few levels deep held headless Chromium for half a minute per frame: the
 * page kept its controls in place but stopped answering. The bounds are per declaration and
 * chosen so that NESTING cannot multiply them (a cap of "at most 50x" nested 20 deep is 50^20):
 *  - factors that multiply down the tree may only shrink: scale, zoom and matrices are
 *    capped at 1 (a product of factors <= 1 stays <= 1), skews and 3D are dropped (a skew's
 *    stretch compounds, 3D makes a compositing layer per element and perspective magnifies);
 *    a font size relative to its parent (em, %, larger) above 1x is bounded with min() by an
 *    absolute size, so em inside em cannot grow past it;
 *  - every length is bounded absolutely: an out-of-range literal is replaced by the cap, and
 *    anything computed (calc(), min(), viewport units times a factor) is wrapped in clamp(),
 *    so no arithmetic reaches past the cap either;
 *  - shadows get small radii and few layers (their cost is area x radius x layers); filter
 *    blurs are dropped (a nest of them costs area x depth at any radius);
 *  - what makes a compositing layer per element, redraws every frame or multiplies when
 *    nested is dropped: backdrop filters, blend modes, masks, reflections, will-change, 3D,
 *    animations, transitions, multi-column layout;
 *  - complexity is bounded: filter chains, shadow and background layers, polygon points,
 *    counter lists, generated content, and counters() (its text grows with depth).
 * Ordinary newsletters stay as they were: 600-800px tables, 8-40px type, 1-4 shadows of a few
 * px, no transforms or at most a shrink, are all far inside the caps, and in-range literals are
 * written back unchanged (no clamp() around them, the CSS does not grow).
 *
 * `value` is the sanitiser's checked value (strings double-quoted, url()s as placeholders);
 * returns the value to keep, or undefined to drop the declaration.
 */

/** Any box's width, height, margin, padding, position or gap: four times a wide screen, twice a long hero image. */
const MAX_LENGTH_PX = 10_000;
/** Type: a newsletter's hero figure is ~100px. */
const MAX_FONT_PX = 200;
/** Borders and outlines: newsletters' button borders are ~30px at most. */
const MAX_BORDER_PX = 200;
/** Letter and word spacing, paid once per character or word: a newsletter's tracking is a few px. */
const MAX_SPACING_PX = 200;
/** Shadows: offsets, spreads and blur radii (a blur's cost grows with its radius). */
const MAX_SHADOW_PX = 100;
const MAX_SHADOW_LAYERS = 4;
/** Colour filters in one chain (each is a pass over the element's pixels). */
const MAX_FILTER_FUNCS = 4;
/** Unitless line height (a factor of the font size). */
const MAX_LINE_HEIGHT = 10;
const MAX_TAB_SIZE = 16;
const MAX_BACKGROUND_LAYERS = 8;
const MAX_POLYGON_POINTS = 64;
const MAX_COUNTER_NAMES = 4;
/**
 * Generated text on ::before/::after and list markers (bullets, arrows, short labels). It is
 * laid out for every element a rule matches, text the markup never carried: 240 characters
 * on both pseudo-elements of 60000 empty elements froze Chromium's layout, 30 took ~0.1 s.
 */
const MAX_CONTENT_CHARS = 32;

/**
 * Dropped whole: each makes a compositing layer or a second rendering per element, or work on
 * every frame, or (multi-column layout) multiplies when nested: columns inside columns are
 * balanced level by level, and two dozen nested levels of column-count:10 froze Chromium's layout.
 */
const DROPPED = /^(?:-webkit-)?(?:backdrop-filter|mix-blend-mode|isolation|will-change|perspective|perspective-origin|transform-style|backface-visibility|box-reflect|mask(?:-.*)?|animation(?:-.*)?|transition(?:-.*)?|offset(?:-.*)?|columns|column-(?:count|width|span|fill|gap|rule.*))$/;

/** px per unit, as an upper bound where the unit is relative (font-relative at MAX_FONT_PX, viewport units at a 4000px window). */
const UNIT_PX: Record<string, number> = {
  px: 1, pt: 4 / 3, pc: 16, in: 96, cm: 96 / 2.54, mm: 96 / 25.4, q: 96 / 101.6,
  em: MAX_FONT_PX, rem: MAX_FONT_PX, ex: MAX_FONT_PX, rex: MAX_FONT_PX, ch: MAX_FONT_PX, rch: MAX_FONT_PX, ic: MAX_FONT_PX, ric: MAX_FONT_PX, cap: MAX_FONT_PX, rcap: MAX_FONT_PX,
  lh: MAX_FONT_PX * MAX_LINE_HEIGHT, rlh: MAX_FONT_PX * MAX_LINE_HEIGHT,
};
/** Units whose size is known here: an out-of-range literal is replaced by the cap itself. */
const ABSOLUTE_UNITS = new Set(['px', 'pt', 'pc', 'in', 'cm', 'mm', 'q']);
/** Colours take percentages that are not lengths. */
const COLOUR_FNS = new Set(['rgb', 'rgba', 'hsl', 'hsla', 'hwb', 'lab', 'lch', 'oklab', 'oklch', 'color']);
const VIEWPORT_UNIT = /^(?:[sld]?v(?:w|h|i|b|min|max)|cq(?:w|h|i|b|min|max))$/;
const VIEWPORT_PX = 40;
const FONT_RELATIVE = new Set(['em', 'ex', 'ch', 'ic', 'cap', 'lh']);
const MATH = new Set(['calc', 'min', 'max', 'clamp']);

interface Caps {
  /** Bound of every length, in px. */
  px: number;
  /** Font-size semantics: em and % are relative to the parent's size (they multiply when nested). */
  font?: boolean;
}

class Drop extends Error {}

/** A token of a value: a string, a url placeholder, a function with its arguments, a number, a word or a delimiter. */
type Tok =
  | { t: 'str' | 'word' | 'delim' | 'ws'; s: string }
  | { t: 'num'; n: number; unit: string; s: string }
  | { t: 'fn'; name: string; args: Tok[]; s: string };

// Sticky (matched at lastIndex): the tokenizer never copies the rest of the value.
const NUM = /[+-]?(?:\d+(?:\.\d+)?|\.\d+)(?:[eE][+-]?\d+)?/y;
const UNIT = /%|-?[a-zA-Z_][-\w]*/y;
const WORD = /-?(?:[a-zA-Z_\u0080-\uffff]|--)[-\w\u0080-\uffff]*/y;
const WS = /\s+/y;
const HASH = /#[-\w\u0080-\uffff]*/y;

function tokenize(s: string): Tok[] {
  let i = 0;
  const at = (re: RegExp): string | undefined => {
    re.lastIndex = i;
    return re.exec(s)?.[0];
  };
  const read = (closing: boolean): Tok[] => {
    const out: Tok[] = [];
    while (i < s.length) {
      const c = s[i];
      let m: string | undefined;
      if (c === ')') {
        if (!closing) throw new Drop();
        i++;
        return out;
      }
      if (c === '"') {
        const end = s.indexOf('"', i + 1);
        if (end < 0) throw new Drop();
        out.push({ t: 'str', s: s.slice(i, end + 1) });
        i = end + 1;
      } else if (c === '\ue000') {
        const end = s.indexOf('\ue001', i);
        if (end < 0) throw new Drop();
        out.push({ t: 'str', s: s.slice(i, end + 1) });
        i = end + 1;
      } else if ((m = at(WS))) {
        out.push({ t: 'ws', s: ' ' });
        i += m.length;
      } else if (c === '#') {
        m = at(HASH)!;
        out.push({ t: 'word', s: m });
        i += m.length;
      } else if ((m = at(NUM)) !== undefined) {
        i += m.length;
        const u = at(UNIT) ?? '';
        i += u.length;
        out.push({ t: 'num', n: Number(m), unit: u.toLowerCase(), s: m + u });
      } else if ((m = at(WORD))) {
        i += m.length;
        if (s[i] === '(') {
          i++;
          const args = read(true);
          out.push({ t: 'fn', name: m.toLowerCase(), args, s: '' });
        } else {
          out.push({ t: 'word', s: m });
        }
      } else if (c === '(') {
        // A bare parenthesis: only inside a function it means something; outside, refuse it.
        throw new Drop();
      } else {
        out.push({ t: 'delim', s: c });
        i++;
      }
    }
    if (closing) throw new Drop();
    return out;
  };
  return read(false);
}

function write(toks: Tok[]): string {
  return toks.map((t) => (t.t === 'fn' ? `${t.name}(${write(t.args)})` : t.s)).join('');
}

/** The top-level comma-separated layers of a value. */
function layers(toks: Tok[]): Tok[][] {
  const out: Tok[][] = [[]];
  for (const t of toks) {
    if (t.t === 'delim' && t.s === ',') out.push([]);
    else out[out.length - 1].push(t);
  }
  return out;
}

const fmt = (n: number): string => String(Math.round(n * 1000) / 1000);

/** The largest px a literal length can stand for, or undefined when it is not a length. */
function literalPx(t: { n: number; unit: string }, caps: Caps): number | undefined {
  if (t.unit === '%') return caps.font ? (Math.abs(t.n) / 100) * MAX_FONT_PX : Math.abs(t.n) <= 100 ? 0 : Infinity;
  if (caps.font && FONT_RELATIVE.has(t.unit)) return Math.abs(t.n) <= 1 ? 0 : Infinity;
  if (VIEWPORT_UNIT.test(t.unit)) return Math.abs(t.n) * VIEWPORT_PX;
  const f = UNIT_PX[t.unit];
  return f === undefined ? undefined : Math.abs(t.n) * f;
}

/** An absolute literal (px, pt…) as px, or undefined. */
function absolutePx(toks: Tok[]): number | undefined {
  const v = toks.filter((x) => x.t !== 'ws');
  if (v.length !== 1 || v[0].t !== 'num' || !ABSOLUTE_UNITS.has(v[0].unit)) return undefined;
  return v[0].n * UNIT_PX[v[0].unit];
}

/**
 * `clamp(M, …, N)` with absolute literal bounds within the cap (or, for a font size, which
 * cannot be negative, `min(…, N)`): bounded whatever is inside, so left as it is. That is
 * what this module writes, so sanitising the output again changes nothing.
 */
function boundedAlready(t: Extract<Tok, { t: 'fn' }>, caps: Caps): boolean {
  const a = layers(t.args);
  const hi = absolutePx(a[a.length - 1]);
  if (hi === undefined || hi > caps.px) return false;
  if (t.name === 'min') return caps.font === true && a.length >= 2;
  if (t.name !== 'clamp' || a.length !== 3) return false;
  const lo = absolutePx(a[0]);
  // clamp() gives its minimum when the minimum is above the maximum: both must be in range, in order.
  return lo !== undefined && lo >= (caps.font ? 0 : -caps.px) && lo <= hi;
}

/** Every length bounded: in-range literals as they are, out-of-range absolute ones replaced by the cap, the rest clamp()ed. */
function boundLengths(toks: Tok[], caps: Caps): Tok[] {
  const lo = caps.font ? '0px' : `-${caps.px}px`;
  const wrap = (inner: string): Tok => ({ t: 'word', s: caps.font ? `min(${inner}, ${caps.px}px)` : `clamp(${lo}, ${inner}, ${caps.px}px)` });
  return toks.map((t) => {
    if (t.t === 'num') {
      if (!t.unit) return t;
      const px = literalPx(t, caps);
      if (px === undefined || px <= caps.px) return t;
      if (ABSOLUTE_UNITS.has(t.unit)) return { t: 'word', s: `${t.n < 0 ? '-' : ''}${caps.px}px` };
      return wrap(t.s);
    }
    if (t.t === 'fn') {
      if (MATH.has(t.name)) return boundedAlready(t, caps) ? t : wrap(write([t]));
      if (COLOUR_FNS.has(t.name)) return t;
      return { ...t, args: boundLengths(t.args, caps) };
    }
    if (t.t === 'word' && caps.font && /^larger$/i.test(t.s)) throw new Drop();
    return t;
  });
}

/** A unitless factor capped at `max` in magnitude (math clamp()ed), or a percentage at max*100%. */
function boundFactor(t: Tok, max: number): Tok {
  if (t.t === 'num') {
    if (t.unit === '') return Math.abs(t.n) <= max ? t : { t: 'word', s: fmt(Math.sign(t.n) * max) };
    if (t.unit === '%') return Math.abs(t.n) <= max * 100 ? t : { t: 'word', s: `${fmt(Math.sign(t.n) * max * 100)}%` };
    throw new Drop();
  }
  if (t.t === 'fn' && MATH.has(t.name)) {
    const written = write([t]);
    // Ours already (sanitising the output again changes nothing).
    if (written.startsWith(`clamp(${-max}, `) && written.endsWith(`, ${max})`) && layers(t.args).length === 3) return t;
    return { t: 'word', s: `clamp(${-max}, ${written}, ${max})` };
  }
  throw new Drop();
}

const args = (f: Extract<Tok, { t: 'fn' }>): Tok[][] => layers(f.args).map((a) => a.filter((x) => x.t !== 'ws'));

/** A transform list whose linear part can only shrink (so nesting cannot multiply it), with bounded translations. */
function boundTransform(toks: Tok[]): Tok[] {
  const fns = toks.filter((t) => t.t !== 'ws');
  if (fns.length === 1 && fns[0].t === 'word' && /^none$/i.test(fns[0].s)) return toks;
  if (fns.length > 8) throw new Drop();
  const len: Caps = { px: MAX_LENGTH_PX };
  return fns.flatMap((f, k): Tok[] => {
    if (f.t !== 'fn') throw new Drop();
    const sep: Tok[] = k ? [{ t: 'ws', s: ' ' }] : [];
    const a = args(f);
    switch (f.name) {
      case 'scale':
      case 'scalex':
      case 'scaley':
        if (a.length > 2 || a.some((x) => x.length !== 1)) throw new Drop();
        return [...sep, { t: 'fn', name: f.name, s: '', args: a.flatMap((x, i) => [...(i ? [{ t: 'delim', s: ',' } as Tok] : []), boundFactor(x[0], 1)]) }];
      case 'rotate':
        return [...sep, f];
      case 'translate':
      case 'translatex':
      case 'translatey':
        return [...sep, { ...f, args: boundLengths(f.args, len) }];
      case 'matrix': {
        const n = a.map((x) => (x.length === 1 && x[0].t === 'num' && x[0].unit === '' ? x[0].n : NaN));
        if (n.length !== 6 || n.some((x) => !Number.isFinite(x))) throw new Drop();
        // Largest stretch of [[a c] [b d]]: its largest singular value.
        const [p, q, r, s2] = n;
        const tr = p * p + q * q + r * r + s2 * s2;
        const det = p * s2 - q * r;
        const sigma = Math.sqrt((tr + Math.sqrt(Math.max(0, tr * tr - 4 * det * det))) / 2);
        if (sigma > 1 + 1e-9) throw new Drop();
        const clampT = (x: number): string => fmt(Math.max(-MAX_LENGTH_PX, Math.min(MAX_LENGTH_PX, x)));
        return [...sep, { t: 'word', s: `matrix(${n.slice(0, 4).map(fmt).join(',')},${clampT(n[4])},${clampT(n[5])})` }];
      }
      default:
        // skew (its stretch compounds when nested), 3D functions (a layer each, and perspective magnifies), anything else.
        throw new Drop();
    }
  });
}

/** Shadows: few layers, every length within MAX_SHADOW_PX. */
function boundShadow(toks: Tok[]): Tok[] {
  if (layers(toks).length > MAX_SHADOW_LAYERS) throw new Drop();
  return boundLengths(toks, { px: MAX_SHADOW_PX });
}

/**
 * Filters: a short chain of colour functions. blur() and drop-shadow() are dropped whatever
 * their radius: every filtered element blurs everything under it, so a nest of them costs
 * area x depth (24 nested blur(20px) took Chromium ~3 s a frame, 10000px boxes froze it),
 * and mail clients that show newsletters (Gmail, Outlook) do not render filters at all.
 */
function boundFilter(toks: Tok[]): Tok[] {
  const fns = toks.filter((t) => t.t !== 'ws');
  if (fns.length === 1 && fns[0].t === 'word' && /^none$/i.test(fns[0].s)) return toks;
  if (fns.length > MAX_FILTER_FUNCS) throw new Drop();
  return fns.flatMap((f, k): Tok[] => {
    if (f.t !== 'fn' || f.name === 'blur' || f.name === 'drop-shadow') throw new Drop();
    return k ? [{ t: 'ws', s: ' ' }, f] : [f];
  });
}

/** Lengths by property: the cap that fits what a newsletter does with it. */
function lengthCapsFor(prop: string): Caps {
  if (prop === 'font-size' || prop === 'font') return { px: MAX_FONT_PX, font: true };
  if (/^(?:border|outline)(?:-(?:top|right|bottom|left|block|inline)(?:-(?:start|end))?)?(?:-width|-offset)?$/.test(prop) || prop === '-webkit-text-stroke' || prop === '-webkit-text-stroke-width') return { px: MAX_BORDER_PX };
  if (prop === 'letter-spacing' || prop === 'word-spacing') return { px: MAX_SPACING_PX };
  return { px: MAX_LENGTH_PX };
}

/** `font`: its size (before a `/`) has font semantics, its line height (after it) those of line-height. */
function boundFont(toks: Tok[]): Tok[] {
  const slash = toks.findIndex((t) => t.t === 'delim' && t.s === '/');
  if (slash < 0) return boundLengths(toks, { px: MAX_FONT_PX, font: true });
  return [...boundLengths(toks.slice(0, slash + 1), { px: MAX_FONT_PX, font: true }), ...boundLineHeight(toks.slice(slash + 1))];
}

/** A line height: a factor of the font size (unitless or %) within MAX_LINE_HEIGHT, or a bounded length. */
function boundLineHeight(toks: Tok[]): Tok[] {
  return boundLengths(
    toks.map((t): Tok => (t.t === 'num' && (t.unit === '' || t.unit === '%') ? { t: 'word', s: write([boundFactor(t, MAX_LINE_HEIGHT)]) } : t)),
    { px: MAX_LENGTH_PX },
  );
}

/** A count bounded to `max` (a tab size), or a literal length; nothing computed (no template computes one). */
function boundCount(toks: Tok[], max: number): Tok[] {
  return toks.map((t) => {
    if (t.t === 'fn') throw new Drop();
    if (t.t === 'num' && t.unit === '') return t.n <= max ? t : { t: 'word', s: String(max) };
    return t;
  });
}

function hasFn(toks: Tok[], name: string): boolean {
  return toks.some((t) => t.t === 'fn' && (t.name === name || hasFn(t.args, name)));
}

/**
 * Quotation marks that take part in the browser's count of quote depth (`open-quote`,
 * `close-quote` and their `no-` forms) become fixed text or nothing. Chromium updates that
 * count for every element laid out after a quote: 2,000 empty elements with
 * `::before{content:open-quote}` followed by 18,000 plain ones held the page 4.8 s, the same
 * page without them 0.5 s. `revert` (alone or through `all`) would bring back the browser's
 * own `<q>` marks (isolate.ts replaces them with fixed text), so that declaration goes.
 * Returns undefined to drop the declaration.
 */
function withoutQuoteDepth(toks: Tok[]): Tok[] | undefined {
  if (toks.some((t) => t.t === 'word' && /^revert(?:-layer)?$/i.test(t.s))) return undefined;
  const out: Tok[] = [];
  for (const t of toks) {
    if (t.t !== 'word' || !/^(?:no-)?(?:open|close)-quote$/i.test(t.s)) out.push(t);
    else if (/^open/i.test(t.s)) out.push({ t: 'str', s: '"\u201c"' });
    else if (/^close/i.test(t.s)) out.push({ t: 'str', s: '"\u201d"' });
  }
  // `no-open-quote` alone leaves nothing to show: no box at all.
  return out.some((t) => t.t !== 'ws') ? out : [{ t: 'word', s: 'none' }];
}

export function boundCssCost(prop: string, value: string): string | undefined {
  const p = prop.replace(/^-webkit-(?=box-shadow|filter|transform)/, '');
  if (DROPPED.test(p)) return undefined;
  let toks: Tok[];
  try {
    toks = tokenize(value);
    if (hasFn(toks, 'counters') || hasFn(toks, 'skew') || hasFn(toks, 'skewx') || hasFn(toks, 'skewy')) return undefined;
    if (hasFn(toks, 'translate3d')) return undefined;
    if (p === 'content' || p === 'quotes' || p === 'list-style' || p === 'list-style-type') {
      const text = toks.filter((t) => t.t === 'str' && t.s.startsWith('"')).reduce((n, t) => n + t.s.length - 2, 0);
      if (text > MAX_CONTENT_CHARS) return undefined;
    }
    if (p === 'content' || p === 'all') {
      const quoted = withoutQuoteDepth(toks);
      if (!quoted) return undefined;
      toks = quoted;
    }
    if (/^counter-(?:reset|increment|set)$/.test(p) && toks.filter((t) => t.t === 'word').length > MAX_COUNTER_NAMES) return undefined;
    if (/^(?:background|background-image)$/.test(p) && layers(toks).length > MAX_BACKGROUND_LAYERS) return undefined;
    if ((p === 'clip-path' || p === 'shape-outside') && toks.some((t) => t.t === 'fn' && t.name === 'polygon' && layers(t.args).length > MAX_POLYGON_POINTS)) return undefined;
    switch (p) {
      case 'transform':
        toks = boundTransform(toks);
        break;
      case 'scale': {
        const v = toks.filter((t) => t.t !== 'ws');
        if (v.length === 1 && v[0].t === 'word' && /^none$/i.test(v[0].s)) break;
        if (v.length > 2) return undefined; // a third factor is 3D
        toks = v.flatMap((t, i) => [...(i ? [{ t: 'ws', s: ' ' } as Tok] : []), boundFactor(t, 1)]);
        break;
      }
      case 'rotate': {
        // One angle; an axis makes it 3D.
        const v = toks.filter((t) => t.t !== 'ws');
        if (v.length !== 1) return undefined;
        break;
      }
      case 'translate':
        if (toks.filter((t) => t.t !== 'ws').length > 2) return undefined;
        toks = boundLengths(toks, { px: MAX_LENGTH_PX });
        break;
      case 'zoom': {
        const v = toks.filter((t) => t.t !== 'ws');
        if (v.length !== 1) return undefined;
        if (v[0].t === 'word' && /^(?:normal|reset)$/i.test(v[0].s)) break;
        toks = [boundFactor(v[0], 1)];
        break;
      }
      case 'filter':
        toks = boundFilter(toks);
        break;
      case 'box-shadow':
      case 'text-shadow':
        toks = boundShadow(toks);
        break;
      case 'font':
        toks = boundFont(toks);
        break;
      case 'line-height':
        toks = boundLineHeight(toks);
        break;
      case 'tab-size':
      case '-moz-tab-size':
        toks = boundLengths(boundCount(toks, MAX_TAB_SIZE), { px: MAX_LENGTH_PX });
        break;
      default:
        toks = boundLengths(toks, lengthCapsFor(p));
    }
  } catch (e) {
    if (e instanceof Drop) return undefined;
    throw e;
  }
  return write(toks);
}
