/**
 * Colour themes for screenshots, and a check that a webview's @vscode-elements components are
 * painted in the theme's colours: their styles are constructable stylesheets adopted by each
 * shadow root, which the page's Content-Security-Policy must let through (an element whose
 * styles were refused draws as unstyled text, which no other assertion would notice).
 */
import type { FrameLocator, Page } from 'playwright-core';
import { quickInputType, runCommand } from './workbench';
import { waitFor } from './flow';

/** VS Code's built-in themes, with the class a webview's body gets under each. */
export const THEMES = [
  { label: 'Light Modern', kind: 'vscode-light', workbench: 'vs', slug: 'light' },
  { label: 'Dark High Contrast', kind: 'vscode-high-contrast', workbench: 'hc-black', slug: 'hc' },
  // Last: the theme the suites start in, so what follows runs as before.
  { label: 'Dark Modern', kind: 'vscode-dark', workbench: 'vs-dark', slug: 'dark' },
] as const;

export type Theme = (typeof THEMES)[number];

/**
 * Switches the colour theme and waits until the workbench and the webview in `frame` have it.
 * The picker previews the theme under the cursor and puts the old one back when it closes
 * without a choice: a theme seen in the page is not yet chosen, so the picker must have
 * closed and the theme must still be there after it.
 */
export async function setColorTheme(page: Page, frame: FrameLocator, theme: Theme): Promise<void> {
  const has = async (): Promise<boolean> => {
    const bench = ((await page.locator('.monaco-workbench').first().getAttribute('class')) ?? '').split(/\s+/);
    const view = ((await frame.locator('body').getAttribute('class').catch(() => '')) ?? '').split(/\s+/);
    return bench.includes(theme.workbench) && view.includes(theme.kind);
  };
  for (let attempt = 1; ; attempt++) {
    await runCommand(page, 'Preferences: Color Theme');
    await quickInputType(page, theme.label);
    const row = page.locator('.quick-input-widget .quick-input-list .monaco-list-row .label-name', { hasText: new RegExp(`^${theme.label}$`) }).first();
    await row.waitFor({ state: 'visible', timeout: 15_000 });
    // Enter accepts the row the filter leaves focused: the theme typed.
    await page.locator('.quick-input-widget .quick-input-box input').press('Enter');
    await page.locator('.quick-input-widget').waitFor({ state: 'hidden', timeout: 15_000 });
    const ok = await waitFor(async () => ((await has()) ? true : undefined), `the ${theme.label} theme in the workbench and the webview`, 15_000).catch(() => false);
    if (ok) {
      await page.waitForTimeout(500);
      if (await has()) return;
    }
    if (attempt === 3) throw new Error(`the ${theme.label} theme did not stay chosen`);
  }
}

export interface Painted {
  /** The colour the component's inner part is painted with. */
  painted: string;
  /** The theme's colour for it (the CSS variable VS Code gives the webview), resolved the same way. */
  expected: string;
}

/**
 * The `property` colour of the element matched by `inner` inside the shadow root of the
 * component `host`, beside the colour `cssVar` resolves to on this page.
 */
export async function componentColour(frame: FrameLocator, host: string, inner: string, property: 'backgroundColor' | 'color' | 'borderTopColor', cssVar: string): Promise<Painted> {
  return frame.locator(host).first().evaluate(
    (el, a) => {
      const part = el.shadowRoot?.querySelector(a.inner);
      if (!part) throw new Error(`${el.localName} has no "${a.inner}" in its shadow root (the component was never defined)`);
      // A probe painted with the variable, through the CSSOM (allowed by a CSP without inline styles).
      const probe = document.createElement('div');
      probe.style.setProperty(a.property === 'color' ? 'color' : a.property === 'borderTopColor' ? 'border-top-color' : 'background-color', `var(${a.cssVar})`);
      probe.style.setProperty('border-top-style', 'solid');
      document.body.appendChild(probe);
      const expected = getComputedStyle(probe)[a.property];
      probe.remove();
      return { painted: getComputedStyle(part)[a.property], expected };
    },
    { inner, property, cssVar },
  );
}

/** Whether the codicon font is loaded in the frame (font-src allows the extension's own files only). */
export async function codiconFontLoaded(frame: FrameLocator): Promise<boolean> {
  return frame.locator('body').evaluate(async () => {
    await document.fonts.ready;
    let loaded = false;
    document.fonts.forEach((f) => {
      if (f.family.replace(/"/g, '') === 'codicon' && f.status === 'loaded') loaded = true;
    });
    return loaded;
  });
}

export interface Contrast {
  fg: string;
  bg: string;
  ratio: number;
}

/**
 * WCAG contrast between the text colour of the element `selector` matches (the first) and the
 * background it is painted on: the nearest of it and its ancestors with an opaque background.
 */
export async function textContrast(frame: FrameLocator, selector: string): Promise<Contrast> {
  // Plain loops inside evaluate: the test runner's compiler wraps named inner functions in a
  // helper the page does not have.
  const { fg, bg } = await frame.locator(selector).first().evaluate((el) => {
    let bg = 'rgb(0, 0, 0)';
    for (let e: Element | null = el; e; e = e.parentElement) {
      const c = getComputedStyle(e).backgroundColor;
      const alpha = /rgba\([^)]*,\s*([\d.]+)\)/.exec(c);
      if (!alpha || Number(alpha[1]) > 0.5) {
        bg = c;
        break;
      }
    }
    return { fg: getComputedStyle(el).color, bg };
  });
  const ratio = (luminance(fg) + 0.05) / (luminance(bg) + 0.05);
  return { fg, bg, ratio: ratio >= 1 ? ratio : 1 / ratio };
}

/** WCAG relative luminance of a CSS rgb()/rgba() colour (its alpha is not blended in). */
function luminance(css: string): number {
  const [r, g, b] = (css.match(/[\d.]+/g) ?? []).slice(0, 3).map((v) => {
    const s = Number(v) / 255;
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}
