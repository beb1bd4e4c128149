/**
 * Generated message CSS whose rendering cost explodes (issue 16: a denial of service by
 * mail), by class: factors that multiply down the tree (scale, zoom, matrices, skews, font
 * sizes in em or %, reflections), what is drawn over a magnified area (blurs, shadows,
 * backdrop filters), sheer sizes (1e9px, calc() and viewport units times big factors), layer
 * makers (blend modes, masks, will-change, 3D), complexity (shadow layers, filter chains,
 * polygons, columns, counters, huge generated content) and work every frame (animations,
 * transitions). Each class is written several ways (in a <style> block and inline, literal
 * and through calc()) and nested DEPTH levels deep, so that a cap that only holds for one
 * element does not hold here. Used by test/unit/cssCost.test.ts (every declaration through
 * the sanitiser) and test/integration/renderCostChromium.test.ts (the page in Chromium).
 */

export interface CostAttack {
  /** Class and a short name, e.g. `multiply/scale+blur`. */
  id: string;
  /** The declarations, as a message writes them (one element's worth). */
  decls: string;
  /** The message's HTML: the declarations on every level of a deep nest. */
  html: string;
}

/** How deep every attack nests its elements: deeper than any newsletter, shallow enough to parse quickly. */
export const DEPTH = 100;

/** `<div class=n>` DEPTH levels deep, some text at each level. */
function nest(attr: string): string {
  let s = '<p>Deep text</p>';
  for (let i = 0; i < DEPTH; i++) s = `<div ${attr}>Level ${i} ${s}</div>`;
  return s;
}

const CLASSES: Array<[string, string[]]> = [
  [
    'multiply',
    [
      'transform:scale(50);filter:blur(30px)',
      'scale:50;filter:blur(20px)',
      'scale:5000%;filter:blur(10px) blur(10px)',
      'transform:scale(calc(10 * 5)) rotate(1deg);filter:blur(calc(1px * 100))',
      'transform:matrix(50,0,0,50,0,0);filter:drop-shadow(0 0 80px red)',
      'transform:scaleX(40) scaleY(40);box-shadow:0 0 300px red',
      'transform:skewX(80deg) skewY(80deg);filter:blur(5px)',
      'transform:skew(60deg,60deg) scale(1.5);text-shadow:0 0 100px red',
      'zoom:30;filter:blur(15px)',
      'zoom:3000%;box-shadow:0 0 200px 50px red',
      'font-size:3em;text-shadow:0 0 200px red',
      'font-size:400%;line-height:5',
      'font:bold 2.5em/9 serif;letter-spacing:2em',
      'font-size:larger;font-size:calc(1em * 3)',
      '-webkit-box-reflect:below 0;filter:blur(4px)',
      'box-reflect:right 0',
      'width:200%;height:200%;filter:blur(8px)',
    ],
  ],
  [
    'size',
    [
      'width:1e9px;height:1e9px;filter:blur(50px)',
      'width:calc(1e6 * 100vw);height:calc(100vh * 1e6);box-shadow:0 0 100px red',
      'min-width:999999999px;min-height:1e8em;background:linear-gradient(red,blue)',
      'padding:1e7px;margin:1e7px 0;border:1e7px solid red',
      'outline:1e8px solid red;outline-offset:1e8px',
      'letter-spacing:1e6px;word-spacing:1e6px;text-indent:1e9px',
      'line-height:1e9;font-size:1e9px',
      'border-width:99999vw;border-style:solid;border-radius:1e9px',
      'width:max(1e9px,1px);height:clamp(1e9px,1e9px,1e9px)',
      'inset:-1e9px;position:absolute;width:1e9in',
      'tab-size:1e9;white-space:pre',
      'column-count:1000000;column-gap:1px',
      'columns:100000 1px',
      '-webkit-text-stroke:1e6px red',
      'display:grid;grid-template-columns:repeat(1000000, 1px);grid-template-rows:repeat(1000000, minmax(1px, 1fr))',
      'display:grid;grid-template-columns:repeat(auto-fill, 0.01px);grid-auto-rows:0.01px;grid-column:span 100000',
      'border:200px solid;border-image:linear-gradient(red,blue) 1 / 0.01px round;width:10000px;height:10000px',
      'border:200px solid;border-image-source:repeating-linear-gradient(red,blue 1px);border-image-slice:1;border-image-width:0.001;border-image-repeat:repeat;border-image-outset:100',
      'background:linear-gradient(red,blue);background-size:0.01px 0.01px;width:10000px;height:10000px',
    ],
  ],
  [
    'layers',
    [
      'backdrop-filter:blur(100px);-webkit-backdrop-filter:blur(100px) saturate(3)',
      'mix-blend-mode:difference;isolation:isolate;filter:opacity(0.99)',
      'will-change:transform,opacity,filter',
      'perspective:1px;transform:translate3d(0,0,-100px)',
      'transform-style:preserve-3d;backface-visibility:hidden;rotate:x 45deg',
      'translate:0 0 500px;scale:2 2 2',
      'filter:grayscale(1) invert(1) sepia(1) contrast(2)',
      'opacity:0.99;filter:brightness(1.1)',
      'mask-image:linear-gradient(red,transparent);-webkit-mask-image:radial-gradient(red,blue);mask-size:1px 1px',
    ],
  ],
  [
    'complexity',
    [
      `box-shadow:${Array.from({ length: 60 }, (_, i) => `0 0 ${i * 20}px ${i}px red`).join(',')}`,
      `text-shadow:${Array.from({ length: 60 }, (_, i) => `${i}px ${i}px ${i * 10}px red`).join(',')}`,
      `filter:${Array.from({ length: 40 }, () => 'blur(3px)').join(' ')}`,
      `filter:${Array.from({ length: 20 }, (_, i) => `drop-shadow(${i}px ${i}px ${i * 10}px red)`).join(' ')}`,
      `clip-path:polygon(${Array.from({ length: 2000 }, (_, i) => `${(i * 37) % 100}% ${(i * 53) % 100}%`).join(',')})`,
      `background:${Array.from({ length: 200 }, (_, i) => `radial-gradient(circle at ${i % 100}% 50%, red, transparent 1px)`).join(',')}`,
      `counter-reset:${Array.from({ length: 500 }, (_, i) => `c${i} 1`).join(' ')};counter-increment:${Array.from({ length: 500 }, (_, i) => `c${i}`).join(' ')}`,
    ],
  ],
  [
    // Everything the bounds let through, at their caps, on every level: the caps themselves must be cheap.
    'caps',
    [
      `transform:rotate(45deg) scale(1);filter:grayscale(1) invert(1) sepia(1) contrast(2);opacity:.9;width:10000px;height:10000px;border-radius:50%;overflow:hidden;box-shadow:${Array.from({ length: 4 }, (_, i) => `${i}px 0 100px 100px red`).join(',')}`,
      `font-size:200px;line-height:10;letter-spacing:200px;text-shadow:${Array.from({ length: 4 }, (_, i) => `${i * 30}px 0 100px red`).join(',')};outline:200px solid red;outline-offset:200px;border:200px dashed blue`,
      `clip-path:polygon(${Array.from({ length: 64 }, (_, i) => `${(i * 37) % 100}% ${(i * 53) % 100}%`).join(',')});overflow:scroll;position:relative;z-index:1;padding:10000px 0 0 10000px`,
      `background:${Array.from({ length: 8 }, (_, i) => `repeating-radial-gradient(circle at ${i * 10}% 50%, red, blue 1px, red 2px)`).join(',')};background-size:1px 1px;width:10000px;height:10000px`,
    ],
  ],
  [
    'animate',
    [
      'animation:md-spin 1ms linear infinite;animation-name:spin',
      'animation-duration:1ms;animation-iteration-count:infinite',
      'transition:all 1ms;transition-property:transform',
      '-webkit-animation:x 1ms infinite',
    ],
  ],
];

/** Declarations and their nested messages, every class. */
export function costAttacks(): CostAttack[] {
  const out: CostAttack[] = [];
  for (const [cls, list] of CLASSES) {
    for (const [i, decls] of list.entries()) {
      // Alternate the way in: a rule for every level, or the same style attribute on each.
      const html = i % 2 === 0 ? `<style>.n{${decls}}</style>${nest('class="n"')}` : nest(`style="${decls.replace(/"/g, '&quot;')}"`);
      out.push({ id: `${cls}/${i}/${decls.slice(0, 40)}`, decls, html });
    }
  }
  // Many elements side by side rather than deep, each with everything at its cap: the cost per element times thousands.
  const maxed = 'filter:grayscale(1) invert(1) sepia(1) contrast(2);opacity:.9;border-radius:50%;overflow:hidden;box-shadow:0 0 100px 100px red,0 0 100px red,0 0 100px red,0 0 100px red;text-shadow:0 0 100px red,0 0 100px red,0 0 100px red,0 0 100px red;transform:rotate(3deg);position:relative;z-index:2;display:inline-block;width:300px;height:300px';
  out.push({ id: 'many/maxed', decls: maxed, html: `<style>.m{${maxed}}</style>${'<span class="m">x</span>'.repeat(3000)}` });
  // Thousands of scrolling boxes (a scroller is a layer with scrollbars of its own), nested in a scroller each.
  out.push({ id: 'many/scrollers', decls: '', html: `<style>.s{overflow:scroll;display:inline-block;width:60px;height:60px;position:relative;z-index:1}</style>${'<span class="s"><span class="s">x</span></span>'.repeat(3000)}` });
  // Generated text at its cap on both pseudo-elements of tens of thousands of tiny elements: text the markup never carried.
  out.push({ id: 'many/generated-text', decls: '', html: `<style>i::before,i::after{content:"${'w '.repeat(15)}"}</style>${'<i></i>'.repeat(60_000)}` });
  // Quotation marks the browser generates itself, on tens of thousands of <q>: no CSS at all (Chromium's quote depth bookkeeping is quadratic).
  out.push({ id: 'many/quotes', decls: '', html: '<q>q</q>'.repeat(20_000) });
  // Quote depth counted again for every element after a quote: quotes from CSS on an element
  // budget's worth of boxes, the browser's own <q> marks brought back by revert, then thousands
  // of plain elements.
  const after = '<span>x</span>'.repeat(18_000);
  out.push({ id: 'many/open-quotes', decls: 'content:open-quote', html: `<style>b::before{content:open-quote}b::after{content:no-close-quote}</style>${'<b></b>'.repeat(2_000)}${after}` });
  // Numbered list items: an item with its own number makes Chromium renumber every element after it.
  out.push({ id: 'many/list-values', decls: '', html: `<ol>${'<li value="5">x</li>'.repeat(2_000)}${'<li>y</li>'.repeat(10_000)}</ol>` });
  out.push({ id: 'many/quotes-revert', decls: 'all:revert', html: `<style>q::before,q::after{all:revert}</style>${'<q>q</q>'.repeat(500)}${after}` });
  // Presentational attributes as big as the markup allows, nested: sizes the sanitiser keeps as HTML, not CSS.
  let tables = '<p>Deep text</p>';
  for (let i = 0; i < DEPTH; i++) tables = `<table width="1000000000" height="1000000000" cellpadding="100000000" cellspacing="100000000" border="100000000" bgcolor="#fff"><tr><td width="1e9" height="99999999" colspan="1000" rowspan="65534">${tables}<img width="1000000000" height="1000000000" alt="x" src="data:image/gif;base64,R0lGODlhAQABAIAAAP///wAAACH5BAEAAAAALAAAAAABAAEAAAICRAEAOw=="></td></tr></table>`;
  out.push({ id: 'attrs/huge-sizes', decls: '', html: tables });
  // Generated content that multiplies: a long string on every element, counters() down a deep nest.
  const long = 'x'.repeat(20_000);
  out.push({ id: 'content/long', decls: `content:"${long}"`, html: `<style>*::before,*::after{content:"${long}"}</style>${nest('class="n"')}` });
  out.push({
    id: 'content/counters',
    decls: 'counter-reset:c;content:counters(c,".")',
    html: `<style>.n{counter-reset:c 5}.n::before{counter-increment:c 1e9;content:counters(c,"....................")}</style>${nest('class="n"')}`,
  });
  return out;
}
