/**
 * Colour themes for screenshots, and a check that a webview's @vscode-elements components are
 * painted in the theme's colours: their styles are constructable stylesheets adopted by each
 * shadow root, which the page's Content-Security-Policy must let through (an element whose
 * styles were refused draws as unstyled text, which no other assertion would notice).
 */
import type { FrameLocator, Page } from 'playwright-core';
import { quickInputType, quickPickSelect, runCommand } from './workbench';
import { waitFor } from './flow';

/** VS Code's built-in themes, with the class a webview's body gets under each. */
export const THEMES = [
  { label: 'Light Modern', kind: 'vscode-light', slug: 'light' },
  { label: 'Dark High Contrast', kind: 'vscode-high-contrast', slug: 'hc' },
  // Last: the theme the suites start in, so what follows runs as before.
  { label: 'Dark Modern', kind: 'vscode-dark', slug: 'dark' },
] as const;

export type Theme = (typeof THEMES)[number];

/** Switches the colour theme and waits until the webview in `frame` has it. */
export async function setColorTheme(page: Page, frame: FrameLocator, theme: Theme): Promise<void> {
  await runCommand(page, 'Preferences: Color Theme');
  await quickInputType(page, theme.label);
  await quickPickSelect(page, theme.label);
  await waitFor(async () => ((await frame.locator('body').getAttribute('class'))?.split(/\s+/).includes(theme.kind) ? true : undefined), `the ${theme.label} theme in the webview`, 15_000);
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
