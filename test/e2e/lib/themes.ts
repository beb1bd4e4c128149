/**
 * Colour themes for screenshots, and a check that a webview's @vscode-elements components are
 * painted in the theme's colours: their styles are constructable stylesheets adopted by each
 * shadow root, which the page's Content-Security-Policy must let through (an element whose
 * styles were refused draws as unstyled text, which no other assertion would notice).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { FrameLocator, Page } from 'playwright-core';
import { waitFor } from './flow';

/** VS Code's built-in themes: the name shown, the id settings use, the classes the workbench and a webview's body get. */
export const THEMES = [
  { label: 'Light Modern', id: 'Default Light Modern', kind: 'vscode-light', workbench: 'vs', slug: 'light' },
  { label: 'Dark High Contrast', id: 'Default High Contrast', kind: 'vscode-high-contrast', workbench: 'hc-black', slug: 'hc' },
  // Last: the theme the suites start in, so what follows runs as before.
  { label: 'Dark Modern', id: 'Default Dark Modern', kind: 'vscode-dark', workbench: 'vs-dark', slug: 'dark' },
] as const;

export type Theme = (typeof THEMES)[number];

/**
 * Switches the colour theme the way Settings does, by `workbench.colorTheme` in the user's
 * settings.json (VS Code applies a change to that file at once), and waits until the
 * workbench and the webview in `frame` have it and keep it. Not through the theme picker:
 * it previews the theme under the cursor, and a preview still pending when the choice is
 * made can put the old theme back a moment later (seen: a screenshot "in Light Modern"
 * drawn dark after both had reported the light theme).
 */
export async function setColorTheme(page: Page, frame: FrameLocator, theme: Theme, userDataDir: string): Promise<void> {
  const file = path.join(userDataDir, 'User', 'settings.json');
  const settings = JSON.parse(await fs.promises.readFile(file, 'utf8').catch(() => '{}')) as Record<string, unknown>;
  settings['workbench.colorTheme'] = theme.id;
  await fs.promises.writeFile(file, JSON.stringify(settings, null, 2));
  const has = async (): Promise<boolean> => {
    const bench = ((await page.locator('.monaco-workbench').first().getAttribute('class')) ?? '').split(/\s+/);
    const view = ((await frame.locator('body').getAttribute('class').catch(() => '')) ?? '').split(/\s+/);
    if (!bench.includes(theme.workbench) || !view.includes(theme.kind)) return false;
    // The classes are not the colours: the side bar must be painted light or dark too.
    const sideBar = await page.locator('.part.sidebar').first().evaluate((e) => getComputedStyle(e).backgroundColor);
    return theme.kind === 'vscode-light' ? luminance(sideBar) > 0.5 : luminance(sideBar) < 0.2;
  };
  await waitFor(async () => ((await has()) ? true : undefined), `the ${theme.label} theme in the workbench and the webview`, 20_000);
  // Kept for a while, not only reached.
  await page.waitForTimeout(1500);
  if (!(await has())) throw new Error(`the ${theme.label} theme did not stay`);
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
