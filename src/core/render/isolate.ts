/**
 * How a sanitised body part is put into a page: in its own declarative shadow root (parsed
 * by the browser, no script needed), so the part's CSS matches nothing outside it: not the
 * reader's controls, not the other parts, not the other messages. The sanitiser scopes every
 * rule of the part to MAIL_SCOPE_CLASS as well, so the rules stay inside the part even where
 * the HTML ends up without its shadow root (quoted in a reply).
 *
 * Why not a sandboxed srcdoc iframe per message (bench/isolation.ts, 50 newsletters in
 * headless Chromium, medians of 9): the shadow roots cost what the unisolated page cost
 * (763 vs 746 KB, ~27k nodes, load+layout within noise of it), while iframes made the page
 * 1088 KB (srcdoc escaping), 104 documents instead of 4, about 2x the time to a laid-out page
 * and 6x the JS heap, and they need a script in the page to size every frame and to catch
 * its link clicks (so `maildesk render`'s script-free page would break). What an iframe adds
 * is a CSP per message; here the page's img-src opens only the origins the allowed messages
 * load from (remoteOrigins in src/core/threads/page.ts), and every other message's remote
 * loads are already gone from its HTML.
 */
import { MAIL_SCOPE_CLASS } from './cssScope';

/**
 * The base look of a message inside its shadow root (the page's CSS does not reach in).
 * Written with low specificity so the message's own rules, all scoped to MAIL_SCOPE_CLASS,
 * win inside its box.
 */
const PART_CSS =
  `:host{display:block}` +
  `.${MAIL_SCOPE_CLASS}{position:relative;color:#222;font:14px/1.45 system-ui,sans-serif;overflow-wrap:break-word}` +
  `img{max-width:100%;height:auto}` +
  `img[data-maildesk-blocked]{display:inline-block;min-width:16px;min-height:16px;border:1px dashed #bbb}` +
  `a[data-maildesk-href]{color:#0b62d6;cursor:pointer}` +
  // Chromium's own marks for <q> (open-quote, close-quote) keep a count of quote depth that it
  // updates for every element laid out after a quote: 500 <q> followed by 19,500 spans held
  // the page 1.9 s, the same marks as fixed text 0.7 s. Fixed text it is, nested one level.
  `q::before{content:"\\201C"}q::after{content:"\\201D"}q q::before{content:"\\2018"}q q::after{content:"\\2019"}`;

/**
 * One body part as the page holds it. The host element (class `md-part`) is styled by the
 * page with layout and paint containment, so nothing inside can be drawn over the reader.
 */
export function isolatedPartHtml(sanitisedHtml: string): string {
  return `<div class="md-part"><template shadowrootmode="open"><style>${PART_CSS}</style><div class="${MAIL_SCOPE_CLASS}">${sanitisedHtml}</div></template></div>`;
}
