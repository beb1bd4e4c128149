/**
 * What a reader sees of MailDesk's own controls in a thread page: the message-isolation tests
 * compare it between a conversation with harmless messages and one with hostile CSS, in
 * headless Chromium (test/integration/isolationChromium.test.ts) and in VS Code's webview
 * (test/e2e/isolation.e2e.ts).
 */

/** One control, read from the page. */
export interface ControlView {
  sel: string;
  missing?: boolean;
  text?: string;
  visible?: boolean;
  left?: number;
  width?: number;
  height?: number;
  /** elementFromPoint inside the control is the control (or inside it): nothing covers it. */
  hitOk?: boolean;
  hitWhat?: string;
  /** Computed look: size, font, colours, opacity, visibility, placement, transforms, generated content. */
  look?: string;
}

export interface ControlsSeen {
  controls: ControlView[];
  /** The page's own look (<html> and <body>): filters, zoom, transforms, font, colours. */
  look: string;
}

/**
 * Runs in the page, through Playwright's `locator.evaluate`, so it is self-contained: its source
 * is what goes to the browser, and it has no named inner function either (a build that keeps
 * names wraps those in a helper the page does not have). `page` selectors are read once;
 * `message` selectors inside each message (`.md-msg`), named `#<index> <selector>`.
 */
export function readControlsInPage(_root: Element, sels: { page: string[]; message: string[] }): ControlsSeen {
  const targets: Array<[string, HTMLElement | null]> = sels.page.map((s) => [s, document.querySelector<HTMLElement>(s)]);
  document.querySelectorAll<HTMLElement>('.md-msg').forEach((m, i) => {
    for (const s of sels.message) targets.push([`#${i} ${s}`, m.querySelector<HTMLElement>(s)]);
  });
  const controls = targets.map(([sel, el]): ControlView => {
    if (!el) return { sel, missing: true };
    el.scrollIntoView({ block: 'center', inline: 'center' });
    const r = el.getBoundingClientRect();
    // Near the start of a wide control (a message's header row spans the page), at the middle of a small one.
    const hit = document.elementFromPoint(r.left + Math.min(r.width / 2, 20), r.top + r.height / 2);
    const cs = getComputedStyle(el);
    const gen = ['::before', '::after'].map((p) => getComputedStyle(el, p).content).join(' ');
    return {
      sel,
      text: el.innerText.trim(),
      visible: el.checkVisibility({ opacityProperty: true, visibilityProperty: true }) && r.width > 0 && r.height > 0,
      left: Math.round(r.left),
      width: Math.round(r.width),
      height: Math.round(r.height),
      hitOk: !!hit && (hit === el || el.contains(hit)),
      hitWhat: hit ? `${hit.tagName.toLowerCase()}.${String(hit.className)}` : 'nothing',
      look: [cs.fontSize, cs.fontFamily, cs.color, cs.backgroundColor, cs.opacity, cs.visibility, cs.display, cs.position, cs.transform, cs.filter, cs.zoom, cs.letterSpacing, gen].join('|'),
    };
  });
  const look = [document.documentElement, document.body]
    .map((e) => {
      const cs = getComputedStyle(e);
      return [cs.filter, cs.zoom, cs.transform, cs.fontSize, cs.fontFamily, cs.color, cs.backgroundColor].join('|');
    })
    .join(' / ');
  return { controls, look };
}
