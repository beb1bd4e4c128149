/**
 * Bounds how many boxes of generated content a message can make the renderer build (issue 16:
 * a denial of service by mail). cssCost.ts bounds one declaration; this bounds the count of
 * elements it lands on, which no single declaration shows:
 *  - `content` on ::before/::after is a box per matching element. In Chromium 156 each costs
 *    20–70 µs of layout whatever its text: 30 characters on both pseudo-elements of 60,000
 *    empty elements held the page 2.7 s, 2,000 take ~0.1 s. A message's rules together may
 *    generate at most MAX_GENERATED_BOXES; a rule that would pass it keeps its other
 *    declarations and loses its `content` (no box at all).
 *  - `<q>` gets quotation marks from the browser's own style sheet, and Chromium's bookkeeping
 *    of quote depth is quadratic: 1,000 took 0.24 s, 4,000 1.6 s, 10,000 8.4 s to load (and
 *    60,000 never did). It also grows with every element after a quote (500 `<q>` then 19,500
 *    spans: 1.9 s), so the part's style sheet (isolate.ts) gives `<q>` its marks as fixed text
 *    and cssCost.ts turns message CSS's open-quote and close-quote into text too. The marks
 *    are still two boxes per `<q>`: past MAX_QUOTE_ELEMENTS a `<q>` becomes a `<span>`, its
 *    text stays, without the marks.
 *
 * The count of elements a rule can match is read from the message's markup before it is
 * sanitised (an upper bound: sanitising only removes elements) and from the rule's subjects
 * as the selector parser read them (cssScope.ts: the compound the pseudo-element is on): no
 * more elements than have its id, each of its classes, or its type. Anything the subject does
 * not narrow (`*`, `:not(.x)`, `:is(.a, .b)`) counts every element.
 */
import type { Subject } from './cssScope';

/** Boxes of generated content (::before, ::after) one message may create: ~0.1 s of layout. */
export const MAX_GENERATED_BOXES = 2_000;
/** `<q>` elements shown as such (their quotation marks are generated content too). */
export const MAX_QUOTE_ELEMENTS = 500;

/** How many elements of the message have each type, class and id. */
export interface ElementCounts {
  total: number;
  byTag: Map<string, number>;
  byClass: Map<string, number>;
  byId: Map<string, number>;
}

export function newElementCounts(): ElementCounts {
  return { total: 0, byTag: new Map(), byClass: new Map(), byId: new Map() };
}

const bump = (m: Map<string, number>, k: string): void => {
  m.set(k, (m.get(k) ?? 0) + 1);
};

/** Counts one start tag (`name` lower case, attribute names lower case). */
export function countElement(counts: ElementCounts, name: string, attribs: Record<string, string>): void {
  counts.total++;
  bump(counts.byTag, name);
  if (attribs.id) bump(counts.byId, attribs.id.trim());
  // A class attribute naming a class twice still puts one element in it.
  if (attribs.class) for (const c of new Set(attribs.class.split(/\s+/).filter(Boolean))) bump(counts.byClass, c);
}

/**
 * How many boxes of generated content a rule with these subjects (cssScope.ts) builds at most,
 * once it has a `content`: 0 when none of them names ::before or ::after. A subject matches no
 * more elements than have its id, each of its classes, or its type.
 */
export function generatedBoxes(subjects: Subject[], counts: ElementCounts): number {
  let n = 0;
  for (const s of subjects) {
    if (!s.generates) continue;
    let bound = counts.total;
    if (s.type && s.type !== '*') bound = Math.min(bound, counts.byTag.get(s.type) ?? 0);
    for (const c of s.classes) bound = Math.min(bound, counts.byClass.get(c) ?? 0);
    for (const id of s.ids) bound = Math.min(bound, counts.byId.get(id) ?? 0);
    n += bound;
  }
  return n;
}
