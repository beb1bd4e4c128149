import { strict as assert } from 'node:assert';
import { parse as parseCss, type Declaration } from 'postcss';
import { boundCssCost } from '../../src/core/render/cssCost';
import { readCssValue } from '../../src/core/render/cssValue';
import { sanitizeHtml } from '../../src/core/render/sanitize';
import { costAttacks } from '../support/cssCostAttacks';

// Issue 16, denial of service by mail: what a message's CSS may cost the renderer. Every
// value below is generated (sizes x units x ways to compute them, factors x ways to write a
// transform, layers x counts), goes through the real sanitiser, and what comes out is checked
// by its own reading here: a length bounded absolutely, a factor that only shrinks, no blur,
// few layers, nothing that is a layer per element or work per frame.

/** Every declaration the sanitised HTML keeps, from its <style> block and its style attributes. */
function declsOf(html: string): Array<{ prop: string; value: string }> {
  const out: Array<{ prop: string; value: string }> = [];
  const r = sanitizeHtml(html, { allowRemote: true });
  const sheets = [...r.html.matchAll(/<style>([\s\S]*?)<\/style>/g)].map((m) => m[1]);
  const attrs = [...r.html.matchAll(/ style="([^"]*)"/g)].map((m) => `x{${m[1].replace(/&quot;/g, '"').replace(/&amp;/g, '&')}}`);
  for (const css of [...sheets, ...attrs]) parseCss(css).walkDecls((d: Declaration) => void out.push({ prop: d.prop.toLowerCase(), value: d.value }));
  return out;
}

/** The value split at `sep` (a comma or white space) outside any parentheses. */
function top(value: string, sep: ',' | ' '): string[] {
  const out = [''];
  let depth = 0;
  for (const c of value.trim()) {
    if (c === '(') depth++;
    else if (c === ')') depth--;
    if (depth === 0 && (sep === ',' ? c === ',' : /\s/.test(c))) {
      if (sep === ',' || out[out.length - 1] !== '') out.push('');
    } else out[out.length - 1] += c;
  }
  return out.filter((x) => x !== '');
}

const PX: Record<string, number> = { px: 1, pt: 4 / 3, pc: 16, in: 96, cm: 37.8, mm: 3.78, q: 0.95 };

/** The text inside the parentheses that open at s[i] ('(' at s[i]), and where it ends. */
function group(s: string, i: number): [string, number] {
  let depth = 0;
  for (let j = i; j < s.length; j++) {
    if (s[j] === '(') depth++;
    else if (s[j] === ')' && --depth === 0) return [s.slice(i + 1, j), j + 1];
  }
  throw new Error(`unbalanced: ${s}`);
}

/**
 * What is wrong with one kept length value, read on its own: every clamp()/min() the bound
 * wrote must end at a px cap within `cap`; what is outside them may hold no math and no
 * literal beyond the cap (font-relative at 200px a unit, viewport units at 40px).
 */
function lengthProblems(value: string, cap: number, font: boolean): string[] {
  const problems: string[] = [];
  let rest = '';
  for (let i = 0; i < value.length; ) {
    const m = /^(clamp|min|max|calc)\(/i.exec(value.slice(i));
    if (m && !/[-\w]$/.test(value.slice(0, i))) {
      const [inner, end] = group(value, i + m[1].length);
      const last = /,\s*(-?[\d.]+(?:e[+-]?\d+)?)(px|pt|pc|in|cm|mm|q)\s*$/i.exec(inner);
      const first = /^\s*(-?[\d.]+(?:e[+-]?\d+)?)(px|pt|pc|in|cm|mm|q)\s*,/i.exec(inner);
      const hi = last ? Number(last[1]) * PX[last[2].toLowerCase()] : Infinity;
      if (!/^(clamp|min)$/i.test(m[1]) || hi > cap) problems.push(`unbounded math: ${value.slice(i, end)}`);
      // min() bounds only from above: kept for font sizes (never negative); a clamp() needs both bounds in range and in order.
      if (m[1].toLowerCase() === 'min' && !font) problems.push(`min() without a lower bound: ${inner}`);
      if (m[1].toLowerCase() === 'clamp' && (!first || Number(first[1]) * PX[first[2].toLowerCase()] < -cap || Number(first[1]) * PX[first[2].toLowerCase()] > hi)) problems.push(`clamp without a lower bound in range: ${inner}`);
      rest += ' B ';
      i = end;
    } else {
      rest += value[i++];
    }
  }
  for (const t of rest.matchAll(/(?<![-\w#.])([+-]?(?:\d+(?:\.\d+)?|\.\d+)(?:e[+-]?\d+)?)(%|[a-z]+)?/gi)) {
    const n = Math.abs(Number(t[1]));
    const u = (t[2] ?? '').toLowerCase();
    let px = 0;
    if (u in PX) px = n * PX[u];
    else if (/^(?:r?em|r?ex|r?ch|r?ic|r?cap)$/.test(u)) px = font && !u.startsWith('r') ? (n > 1 ? Infinity : 0) : n * 200;
    else if (/^r?lh$/.test(u)) px = n * 2000;
    else if (/^(?:[sld]?v(?:w|h|i|b|min|max)|cq\w+)$/.test(u)) px = n * 40;
    else if (u === '%') px = n > 100 ? Infinity : 0;
    if (px > cap + 1e-6) problems.push(`${t[0]} beyond ${cap}px`);
  }
  return problems;
}

const capOf = (prop: string): { cap: number; font: boolean } =>
  prop === 'font-size' || prop === 'font'
    ? { cap: 200, font: true }
    : /^(?:border|outline)(?:-(?:top|right|bottom|left))?(?:-width|-offset)?$|^-webkit-text-stroke/.test(prop)
      ? { cap: 200, font: false }
      : /^(?:letter|word)-spacing$/.test(prop)
        ? { cap: 200, font: false }
        : /shadow$/.test(prop)
          ? { cap: 100, font: false }
          : { cap: 10_000, font: false };

/** The largest stretch a kept transform, scale or zoom value can make (must be <= 1 so nesting cannot multiply it). */
function stretchOf(prop: string, value: string): number {
  const factor = (a: string): number => {
    const s = a.trim();
    const c = /^clamp\(\s*(-?[\d.]+)\s*,[\s\S]*,\s*(-?[\d.]+)\s*\)$/i.exec(s);
    if (c) return Math.max(Math.abs(Number(c[1])), Math.abs(Number(c[2])));
    const n = /^(-?[\d.e+]+)(%?)$/i.exec(s);
    if (!n) return Infinity;
    return Math.abs(Number(n[1])) / (n[2] ? 100 : 1);
  };
  if (prop === 'zoom') return /^(?:normal|reset)$/i.test(value) ? 1 : factor(value);
  if (prop === 'scale') return value === 'none' ? 1 : Math.max(...top(value, ' ').map(factor));
  let total = 1;
  for (let i = 0; i < value.length; ) {
    const m = /^([a-z0-9]+)\(/i.exec(value.slice(i));
    if (!m) {
      i++;
      continue;
    }
    const [inner, end] = group(value, i + m[1].length);
    const name = m[1].toLowerCase();
    const args = top(inner, ',');
    if (/^scale[xy]?$/.test(name)) total *= Math.max(...args.map(factor));
    else if (name === 'matrix') {
      const [a, b, c, d] = args.map(Number);
      const tr = a * a + b * b + c * c + d * d;
      const det = a * d - b * c;
      total *= Math.sqrt((tr + Math.sqrt(Math.max(0, tr * tr - 4 * det * det))) / 2);
    } else if (!/^(?:rotate|translate[xy]?)$/.test(name)) return Infinity;
    i = end;
  }
  return total;
}

/** Properties none of whose values may be kept. */
const NEVER = /^(?:-webkit-)?(?:backdrop-filter|mix-blend-mode|isolation|will-change|perspective|perspective-origin|transform-style|backface-visibility|box-reflect|mask.*|animation.*|transition.*|columns|column-.*)$/;

/** Everything wrong with one kept declaration. */
function declProblems({ prop, value }: { prop: string; value: string }): string[] {
  const p = prop.replace(/^-webkit-(?=transform|filter|box-shadow)/, '');
  const at = `${prop}:${value}`;
  if (NEVER.test(prop)) return [`${at}: never kept`];
  const out: string[] = [];
  if (/counters\(|skew|translate3d|3d\(|perspective\(/i.test(value)) out.push(`${at}: multiplies with depth`);
  if (p === 'filter' && (/blur\(|drop-shadow\(/i.test(value) || (value.match(/\(/g) ?? []).length > 4)) out.push(`${at}: a blur or a long chain`);
  if (/shadow$/.test(p) && top(value, ',').length > 4) out.push(`${at}: more than 4 shadows`);
  if ((p === 'transform' || p === 'scale' || p === 'zoom') && stretchOf(p, value) > 1 + 1e-9) out.push(`${at}: stretches (${stretchOf(p, value)})`);
  if (p === 'rotate' && top(value, ' ').length > 1) out.push(`${at}: a 3D rotation`);
  if ((p === 'translate' || p === 'scale') && top(value, ' ').length > 2) out.push(`${at}: 3D`);
  if (p === 'line-height' || p === 'font') {
    const lh = p === 'font' ? /\/\s*([\d.e+]+)(?![\w%])/.exec(value)?.[1] : /^([\d.e+]+)$/.exec(value)?.[1];
    if (lh !== undefined && Number(lh) > 10) out.push(`${at}: line height factor`);
  }
  if (/^(?:counter-(?:reset|increment|set))$/.test(p) && value.split(/\s+/).filter((w) => /^[a-z_-]/i.test(w)).length > 4) out.push(`${at}: counter list`);
  if (/^(?:content|quotes|list-style(?:-type)?)$/.test(p) && value.replace(/counter\([^)]*\)/g, '').length > 40) out.push(`${at}: long content`);
  if (/^(?:content|all)$/.test(p) && /(?:^|[^-\w])(?:(?:no-)?(?:open|close)-quote|revert(?:-layer)?)(?![-\w])/i.test(value)) out.push(`${at}: quote depth`);
  if (/^(?:clip-path|shape-outside)$/.test(p) && (value.match(/,/g) ?? []).length > 64) out.push(`${at}: polygon`);
  if (/^background(?:-image)?$/.test(p) && top(value, ',').length > 8) out.push(`${at}: background layers`);
  if (p !== 'transform' && p !== 'scale' && p !== 'zoom' && !/^(?:line-height|tab-size)$/.test(p) && !/color|rgb|hsl/i.test(value)) {
    const { cap, font } = capOf(p);
    const lengthPart = p === 'font' ? value.replace(/\/.*$/, '') : value;
    out.push(...lengthProblems(lengthPart, cap, font).map((x) => `${at}: ${x}`));
  }
  return out;
}

/** The declaration through the sanitiser, in a <style> block and in a style attribute: each problem of what is kept. */
function problemsFor(prop: string, value: string): string[] {
  const html = `<style>p{${prop}:${value}}</style><p style="${`${prop}:${value}`.replace(/"/g, '&quot;')}">x</p>`;
  return declsOf(html).flatMap(declProblems);
}

describe('message CSS: what it may cost the renderer (issue 16, denial of service)', function () {
  // Thousands of generated values through the whole sanitiser, on a shared machine.
  this.timeout(30_000);
  it('generated attacks of every class (multiply, size, layers, complexity, animate, content): nothing kept is unbounded', () => {
    const attacks = costAttacks();
    assert.ok(attacks.length >= 40, `${attacks.length} attacks`);
    let kept = 0;
    const problems: string[] = [];
    for (const a of attacks) {
      const decls = declsOf(a.html);
      kept += decls.length;
      for (const d of decls) problems.push(...declProblems(d).map((x) => `${a.id}: ${x}`));
    }
    assert.deepEqual(problems, []);
    // The check reads something: many of the attacks' declarations are kept, bounded.
    assert.ok(kept > 60, `${kept} declarations kept`);
  });

  it('lengths: any size, unit and way of computing it stays within its property\'s cap', () => {
    const props = [
      'width', 'height', 'min-width', 'max-height', 'margin', 'margin-left', 'padding', 'padding-top', 'top', 'left', 'inset', 'gap', 'border-radius',
      'text-indent', 'letter-spacing', 'word-spacing', 'border', 'border-width', 'border-left-width', 'outline', 'outline-width', 'outline-offset', 'font-size',
      'background-size', 'background-position', 'flex-basis', '-webkit-text-stroke-width', 'translate', 'transform-origin', 'border-spacing', 'box-shadow', 'text-shadow',
    ];
    const sizes = ['1e9', '20001', '-1e9', '250', '3'];
    const units = ['px', 'in', 'cm', 'pt', 'em', 'rem', 'ex', 'vw', 'vh', 'vmax', '%', 'lh', 'cqw'];
    const forms = (v: string): string[] => [v, `calc(${v} * 1)`, `calc(1px * ${v.replace(/[a-z%]+$/, '')})`, `max(${v}, 1px)`, `min(${v}, ${v})`, `clamp(1px, ${v}, ${v})`, `${v} auto`, `0 0 ${v} ${v}`];
    const problems: string[] = [];
    let n = 0;
    for (const prop of props) {
      for (const [k, size] of sizes.entries()) {
        for (const unit of units) {
          for (const v of forms(`${size}${unit}`).filter((_, f) => (f + k) % 2 === 0 || f === 0)) {
            problems.push(...problemsFor(prop, v));
            n++;
          }
        }
      }
    }
    assert.ok(n > 1500, `${n} values`);
    assert.deepEqual(problems.slice(0, 20), []);
  });

  it('font sizes relative to the parent (em, %, larger) cannot grow down a nest: above 1x they are bounded by an absolute size', () => {
    for (const v of ['2em', '150%', '1.01em', 'calc(1em * 3)', 'max(2em, 10px)']) {
      const out = declsOf(`<p style="font-size:${v}">x</p>`);
      assert.equal(out.length, 1, v);
      assert.match(out[0].value, /^(?:min|clamp)\([\s\S]*, 200px\)$/, v);
    }
    assert.deepEqual(declsOf('<p style="font-size:larger">x</p>'), []);
    // At most 1x is a shrink: kept as written.
    for (const v of ['1em', '0.8em', '90%', 'smaller', '14px', 'x-large']) assert.deepEqual(declsOf(`<p style="font-size:${v}">x</p>`), [{ prop: 'font-size', value: v }], v);
    assert.deepEqual(declsOf('<p style="font:bold 3em/1e9 serif">x</p>'), [{ prop: 'font', value: 'bold min(3em, 200px)/10 serif' }]);
  });

  it('factors: scale, zoom and matrices may only shrink, however they are written; skews and 3D are dropped', () => {
    const factors = ['1.0001', '2', '50', '1e9', '-50', '0.5', '-1', '0.001'];
    const problems: string[] = [];
    let kept = 0;
    for (const f of factors) {
      const pct = `${Number(f) * 100}%`;
      const values: Array<[string, string]> = [
        ['transform', `scale(${f})`], ['transform', `scale(${f}, ${f})`], ['transform', `scaleX(${f}) scaleY(${f})`], ['transform', `scale(${pct})`],
        ['transform', `scale(calc(${f} * 1))`], ['transform', `translate(10px) rotate(45deg) scale(${f})`], ['transform', `matrix(${f},0,0,${f},0,0)`],
        ['transform', `matrix(1,${f},0,1,0,0)`], ['transform', `skew(${f}deg)`], ['transform', `skewX(80deg) skewY(80deg)`], ['transform', `translate3d(0,0,${f}px)`],
        ['transform', `scale3d(${f},${f},${f})`], ['transform', `perspective(1px) scale(${f})`], ['-webkit-transform', `scale(${f})`], ['scale', f], ['scale', `${f} ${f}`],
        ['scale', `${f} ${f} ${f}`], ['scale', pct], ['zoom', f], ['zoom', pct], ['zoom', `calc(${f} * 2)`], ['rotate', `x ${f}deg`], ['translate', `0 0 ${f}px`],
      ];
      for (const [prop, v] of values) {
        const out = declsOf(`<p style="${prop}:${v}">x</p>`);
        kept += out.length;
        problems.push(...out.flatMap(declProblems));
      }
    }
    assert.deepEqual(problems, []);
    assert.ok(kept > 40, `${kept} kept (shrunk, not all dropped)`);
    assert.deepEqual(declsOf('<p style="transform:scale(0.5) rotate(10deg)">x</p>'), [{ prop: 'transform', value: 'scale(0.5) rotate(10deg)' }]);
    assert.deepEqual(declsOf('<p style="zoom:30">x</p>'), [{ prop: 'zoom', value: '1' }]);
  });

  it('blurs, shadows and layers: no blur in a filter, few shadows and filter functions, nothing that is a layer per element or work per frame', () => {
    const problems: string[] = [];
    for (const count of [1, 2, 4, 5, 12, 80]) {
      for (const radius of ['2px', '100px', '1e6px', 'calc(1px * 1e9)', '30vw']) {
        const list = (f: (i: number) => string, sep: string): string => Array.from({ length: count }, (_, i) => f(i)).join(sep);
        problems.push(...problemsFor('box-shadow', list((i) => `${i}px ${i}px ${radius} ${radius} red`, ',')));
        problems.push(...problemsFor('text-shadow', list((i) => `${i}px 0 ${radius} red`, ', ')));
        problems.push(...problemsFor('filter', list(() => `blur(${radius})`, ' ')));
        problems.push(...problemsFor('-webkit-filter', list((i) => `drop-shadow(${i}px 0 ${radius} red)`, ' ')));
        problems.push(...problemsFor('filter', list((i) => `grayscale(${i % 2}) brightness(1.1)`, ' ')));
        problems.push(...problemsFor('background', list((i) => `linear-gradient(${i}deg, red, blue ${radius})`, ',')));
        problems.push(...problemsFor('clip-path', `polygon(${list((i) => `${i}% ${radius}`, ',')}${count < 3 ? ',0 0,1px 1px' : ''})`));
        problems.push(...problemsFor('counter-reset', list((i) => `c${i} 1e9`, ' ')));
      }
    }
    for (const [prop, v] of [
      ['backdrop-filter', 'blur(2px)'], ['-webkit-backdrop-filter', 'none'], ['mix-blend-mode', 'multiply'], ['isolation', 'isolate'], ['will-change', 'auto'],
      ['perspective', '100px'], ['transform-style', 'preserve-3d'], ['backface-visibility', 'hidden'], ['-webkit-box-reflect', 'below 0'], ['mask', 'linear-gradient(red,blue)'],
      ['-webkit-mask-image', 'linear-gradient(red,blue)'], ['mask-size', '1px'], ['animation', 'spin 1ms infinite'], ['animation-name', 'md-spin'], ['-webkit-animation', 'x 1s'],
      ['transition', 'all 1ms'], ['transition-property', 'transform'], ['column-count', '2'], ['columns', '3 100px'], ['column-width', '10px'], ['-webkit-column-count', '2'],
      ['offset-path', 'inset(0)'],
    ]) {
      assert.deepEqual(declsOf(`<style>p{${prop}:${v}}</style><p style="${prop}:${v}">x</p>`), [], `${prop}:${v}`);
    }
    assert.deepEqual(problems, []);
    assert.deepEqual(declsOf('<p style="box-shadow:0 2px 4px rgba(0,0,0,.2), 0 0 1px #ccc">x</p>'), [{ prop: 'box-shadow', value: '0 2px 4px rgba(0,0,0,.2), 0 0 1px #ccc' }]);
    assert.deepEqual(declsOf('<p style="box-shadow:0 0 1e6px 9e9px red">x</p>'), [{ prop: 'box-shadow', value: '0 0 100px 100px red' }]);
  });

  it('generated content: no counters() (its text grows with the depth), no strings over 32 characters repeated on every element', () => {
    assert.deepEqual(declsOf('<style>p::before{content:counters(c, ".")}</style><p>x</p>'), []);
    for (const prop of ['content', 'quotes', 'list-style-type', 'list-style']) {
      assert.deepEqual(declsOf(`<style>p::before{${prop}:"${'x'.repeat(33)}"}</style><p>x</p>`), [], prop);
      assert.deepEqual(declsOf(`<style>p::before{${prop}:"${'x'.repeat(20)}" "${'x'.repeat(13)}"}</style><p>x</p>`), [], prop);
      assert.equal(declsOf(`<style>p::before{${prop}:"${'x'.repeat(32)}"}</style><p>x</p>`).length, 1, prop);
    }
    assert.deepEqual(declsOf('<style>p::before{content:"\\2022 - " counter(item)}</style><p>x</p>'), [{ prop: 'content', value: '"•- " counter(item)' }]);
    assert.deepEqual(declsOf('<style>p{counter-reset:a b c d e}</style><p>x</p>'), []);
  });

  it('generated content on many elements: a message\'s rules build at most 2,000 boxes of it; past that a rule keeps its other declarations and loses its content', () => {
    const out = (html: string): string => sanitizeHtml(html, { allowRemote: false }).html;
    const styleOf = (html: string): string => /<style>([^<]*)<\/style>/.exec(out(html))?.[1] ?? '';
    const many = (n: number, tag = '<i></i>'): string => tag.repeat(n);
    // A few elements, or a class or id only a few have: kept.
    assert.match(styleOf(`<style>i::before{content:"w";color:red}</style>${many(900)}`), /::before\{content:"w";color:red\}/);
    assert.match(styleOf(`<style>.c::after{content:"w"}</style>${many(10, '<i class="c"></i>')}${many(60_000)}`), /\.c::after\{content:"w"\}/);
    assert.match(styleOf(`<style>i#only:before{content:"w"}</style><i id="only"></i>${many(60_000)}`), /content:"w"/);
    // Every element of a type, a universal subject, or a class on all of them: the content goes, the colour stays.
    for (const [sel, body] of [
      ['i::before,i::after', many(60_000)],
      ['*::before', many(3_000, '<b></b>')],
      ['div > .c::after', many(2_001, '<i class="c"></i>')],
      [':not(.x)::before', many(3_000, '<i class="x"></i>')],
      ['p :is(.a, .b)::before', many(3_000, '<i class="a"></i>')],
    ]) {
      const kept = styleOf(`<style>${sel}{content:"w";color:red}</style>${body}`);
      assert.doesNotMatch(kept, /content/, sel);
      assert.match(kept, /color:red/, sel);
    }
    // The budget is the message's: two rules of 1,500 each, the second loses its content.
    const two = styleOf(`<style>.a::before{content:"1"}.b::before{content:"2"}</style>${many(1_500, '<i class="a"></i>')}${many(1_500, '<i class="b"></i>')}`);
    assert.match(two, /\.a::before\{content:"1"\}/);
    assert.doesNotMatch(two, /content:"2"/);
    // Sanitising the output again changes nothing.
    const html = `<style>.a::before{content:"1"}.b::before{content:"2";color:red}</style>${many(1_500, '<i class="a"></i>')}${many(1_500, '<i class="b"></i>')}`;
    assert.equal(out(out(html)), out(html));
  });

  it('quotation marks: past 500 <q> elements the rest are spans (Chromium\'s cost for them grows with the square of their number); their text stays', () => {
    const html = sanitizeHtml('<q>a</q>'.repeat(2_000), { allowRemote: false }).html;
    assert.equal((html.match(/<q>a<\/q>/g) ?? []).length, 500);
    assert.equal((html.match(/<span>a<\/span>/g) ?? []).length, 1_500);
    assert.equal(sanitizeHtml(html, { allowRemote: false }).html, html);
    const few = '<p>He said <q>yes</q> and <q>no</q>.</p>';
    assert.match(sanitizeHtml(few, { allowRemote: false }).html, /<q>yes<\/q> and <q>no<\/q>/);
  });

  it('quotation marks from message CSS are fixed text: open-quote and close-quote never reach the browser\'s count of quote depth, nor does revert', () => {
    assert.deepEqual(declsOf('<style>b::before{content:open-quote}b::after{content:CLOSE-QUOTE}</style><b>x</b>'), [
      { prop: 'content', value: '"\u201c"' },
      { prop: 'content', value: '"\u201d"' },
    ]);
    assert.deepEqual(declsOf('<p style="content:open-quote &quot;x&quot; close-quote">x</p>'), [{ prop: 'content', value: '"\u201c" "x" "\u201d"' }]);
    // The marks that only count: nothing to show, so no box at all.
    assert.deepEqual(declsOf('<style>b::before{content:no-open-quote}b::after{content:no-close-quote}</style><b>x</b>'), [
      { prop: 'content', value: 'none' },
      { prop: 'content', value: 'none' },
    ]);
    // Escapes are read as the browser reads them.
    assert.deepEqual(declsOf('<style>b::before{content:\\6f pen-quote}</style><b>x</b>'), [{ prop: 'content', value: '"\u201c"' }]);
    // revert brings back the browser's own marks on <q>: dropped, alone or through `all`.
    for (const d of ['content:revert', 'content:revert-layer', 'all:revert', 'all:REVERT-LAYER']) {
      assert.deepEqual(declsOf(`<style>q::before{${d}}</style><q>x</q>`), [], d);
    }
    // What does not touch quote depth stays as it was.
    assert.deepEqual(declsOf('<style>b::before{content:"open-quote"}i{all:initial}</style><b>x</b><i>y</i>'), [
      { prop: 'content', value: '"open-quote"' },
      { prop: 'all', value: 'initial' },
    ]);
  });

  it('list item numbers (<li value>) are counter-set: list-item, the same numbers without Chromium\'s work for every element after the item', () => {
    const out = (html: string): string => sanitizeHtml(html, { allowRemote: false }).html;
    assert.equal(out('<ol><li>a</li><li value="5">b</li><li value=" -2x">c</li></ol>'), '<ol><li>a</li><li style="counter-set:list-item 5">b</li><li style="counter-set:list-item -2">c</li></ol>');
    // The message's own style comes after, so it still wins; a value HTML would not read is none.
    assert.equal(out('<li value="+3" style="counter-set:list-item 9;color:red">a</li><li value="x5">b</li><li value="">c</li>'), '<li style="counter-set:list-item 3;counter-set:list-item 9;color:red">a</li><li>b</li><li>c</li>');
    assert.equal(out('<li value="99999999999999">a</li>'), '<li style="counter-set:list-item 2147483647">a</li>');
    // No value attribute reaches the page, and sanitising the output again changes nothing.
    const many = out(`<ol>${'<li value="5">x</li>'.repeat(2_000)}</ol>`);
    assert.doesNotMatch(many, /value=/);
    assert.equal(out(many), many);
  });

  it('is a fixed point: the bounded output, bounded again, is the same (so sanitising twice changes nothing)', () => {
    const values: Array<[string, string]> = [
      ['width', 'calc(1e6 * 100vw)'], ['width', '200%'], ['height', 'max(1e9px, 1px)'], ['margin', '1e9px calc(2em * 1e9) 0 auto'], ['font-size', '3em'], ['font-size', 'calc(1em * 3)'],
      ['font', 'bold 2.5em/1e9 serif'], ['transform', 'scale(calc(10 * 5)) translate(1e9px, calc(1px * 1e9))'], ['scale', 'calc(50) 2'], ['zoom', 'calc(3 * 1)'], ['tab-size', '1e9'],
      ['line-height', '1e9'], ['box-shadow', '0 0 calc(1px * 1e9) red'], ['letter-spacing', '1e6em'], ['width', 'clamp(-1e9px, 50%, 600px)'], ['width', 'clamp(-50px, 1e9px, 600px)'], ['width', 'clamp(1e9px, 1px, 1px)'], ['width', 'min(100%, 600px)'],
    ];
    for (const [prop, v] of values) {
      const once = boundCssCost(prop, v);
      assert.ok(once !== undefined, `${prop}:${v} is kept`);
      assert.equal(boundCssCost(prop, once), once, `${prop}:${v}`);
    }
    const html = `<style>p{${values.map(([p, v]) => `${p}:${v}`).join(';')}}</style><p style="${values.map(([p, v]) => `${p}:${v}`).join(';')}">x</p>`;
    const first = sanitizeHtml(html, { allowRemote: false }).html;
    assert.equal(sanitizeHtml(first, { allowRemote: false }).html, first);
  });

  it('ordinary newsletters keep every declaration as written (the caps are far above what they use)', () => {
    // What the bench's newsletters, the sandbox's and the common templates write.
    const realistic = [
      'width:600px', 'max-width:640px', 'width:100%', 'height:auto', 'margin:0 auto', 'margin:0 0 0 .8ex', 'padding:8px 16px', 'padding:0', 'padding-left:1ex',
      'font-size:14px', 'font-size:22px', 'font-size:48px', 'font-size:0.9em', 'font-size:12pt', 'font-size:x-large', 'font:14px/1.5 Arial, sans-serif', 'font:bold 16px/20px Helvetica',
      'font-family:"Helvetica Neue", Helvetica, Arial, sans-serif', 'line-height:1.5', 'line-height:150%', 'line-height:24px', 'letter-spacing:1px', 'letter-spacing:0.05em',
      'text-indent:-9999px', 'border:1px solid #eee', 'border-bottom:1px solid #eee', 'border-left:1px solid #ccc', 'border-collapse:collapse', 'border-radius:4px',
      'border-radius:50%', 'border-top:12px solid #0b62d6', 'outline:none', 'box-shadow:0 2px 4px rgba(0,0,0,.2)', 'box-shadow:0 1px 3px rgba(0, 0, 0, 0.12), 0 1px 2px rgba(0, 0, 0, 0.24)',
      'text-shadow:0 1px 0 #fff', 'background:#f4f4f4', 'background-color:#ffffff', 'background:linear-gradient(90deg, #ff0080 0%, #7928ca 100%)', 'background-size:cover',
      'background-position:center top', 'color:#555', 'color:rgb(85, 85, 85)', 'display:none', 'max-height:0', 'overflow:hidden', 'mso-hide:all', 'opacity:0',
      'transform:rotate(-2deg)', 'transform:translate(-50%, -50%)', 'transform:scale(0.9)', 'filter:grayscale(100%)', 'top:50%', 'left:50%', 'min-width:320px',
      'height:1px', 'width:1px', '-webkit-text-size-adjust:100%', '-ms-text-size-adjust:100%', 'text-decoration:underline', 'vertical-align:top', 'border-spacing:0',
      'table-layout:fixed', 'word-break:break-word', 'content:"\\2022"', 'list-style:none', 'cursor:pointer', 'tab-size:4', 'gap:12px', 'flex:1 1 200px',
    ];
    const changed: string[] = [];
    for (const d of realistic) {
      const i = d.indexOf(':');
      const prop = d.slice(0, i);
      const value = readCssValue(d.slice(i + 1))!.text;
      const out = boundCssCost(prop, value);
      if (out !== value) changed.push(`${d} → ${out}`);
    }
    assert.deepEqual(changed, []);
    // And through the whole sanitiser: a newsletter's <style> and attributes come out as before (only scoped).
    const html =
      '<style>body{background:#f4f4f4} .wrap{max-width:640px;margin:0 auto;background:#fff} .col h3{color:#333;font-size:16px} a:hover{text-decoration:underline} @media (max-width:600px){.wrap{width:100%!important}}</style>' +
      '<table class="wrap"><tr><td class="col" style="padding:8px;border-bottom:1px solid #eee"><h3 style="margin:0">Item</h3></td></tr></table>';
    const out = sanitizeHtml(html, { allowRemote: false }).html;
    assert.match(out, /\.md-mail \.wrap\{max-width:640px;margin:0 auto;background:#fff\}/);
    assert.match(out, /@media \(max-width:600px\)\{\.md-mail \.wrap\{width:100% !important\}\}/);
    assert.match(out, /style="padding:8px;border-bottom:1px solid #eee"/);
  });
});
