/**
 * Colour themes for screenshots, and a check that a webview's @vscode-elements components are
 * painted in the theme's colours: their styles are constructable stylesheets adopted by each
 * shadow root, which the page's Content-Security-Policy must let through (an element whose
 * styles were refused draws as unstyled text, which no other assertion would notice).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import type { FrameLocator, Page } from 'playwright-core';
import { ARTIFACTS_DIR, quickInputType, runCommand } from './workbench';
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
 * Switches the colour theme with the theme picker (Preferences: Color Theme) and waits until
 * the workbench and the webview in `frame` have it, keep it, and show it on screen. (Writing
 * `workbench.colorTheme` into settings.json was tried: a high contrast theme set that way
 * was never applied.)
 */
export async function setColorTheme(page: Page, frame: FrameLocator, theme: Theme): Promise<void> {
  // The picker previews each theme the cursor passes: a choice is certain once it stays.
  for (let attempt = 1; ; attempt++) {
    await chooseTheme(page, frame, theme);
    await page.waitForTimeout(1000);
    if (await showsTheme(page, frame, theme)) return;
    if (attempt === 3) throw new Error(`${theme.label} did not stay after being chosen ${attempt} times`);
  }
}

async function chooseTheme(page: Page, frame: FrameLocator, theme: Theme): Promise<void> {
  await runCommand(page, 'Preferences: Color Theme');
  await quickInputType(page, theme.label);
  await page.locator('.quick-input-widget .quick-input-list .monaco-list-row .label-name', { hasText: new RegExp(`^${theme.label}$`) }).first().waitFor({ state: 'visible', timeout: 15_000 });
  // Enter accepts the row the filter leaves focused: the theme typed.
  await page.locator('.quick-input-widget .quick-input-box input').press('Enter');
  await page.locator('.quick-input-widget').waitFor({ state: 'hidden', timeout: 15_000 });
  const has = (): Promise<boolean> => showsTheme(page, frame, theme);
  await waitFor(async () => ((await has()) ? true : undefined), `the ${theme.label} theme in the workbench and the webview`, 20_000);
  // On screen too: the side bar's pixels light or dark as the theme is.
  const box = await page.locator('.part.sidebar').first().boundingBox();
  if (!box) throw new Error('no side bar to check the theme on screen');
  await waitFor(
    async () => {
      const png = await page.screenshot({ clip: { x: box.x + box.width / 2, y: box.y + box.height - 4, width: 1, height: 1 } });
      return paintedAs(theme, pixelAt(png, 0, 0)) ? true : undefined;
    },
    `the ${theme.label} theme on screen`,
    15_000,
  );
}

/** Whether the workbench and the webview in `frame` have `theme`, by class and by painted colour. */
export async function showsTheme(page: Page, frame: FrameLocator, theme: Theme): Promise<boolean> {
  const bench = ((await page.locator('.monaco-workbench').first().getAttribute('class')) ?? '').split(/\s+/);
  const view = ((await frame.locator('body').getAttribute('class').catch(() => '')) ?? '').split(/\s+/);
  if (!bench.includes(theme.workbench) || !view.includes(theme.kind)) return false;
  // The classes are not the colours: the side bar must be painted light or dark too.
  const sideBar = await page.locator('.part.sidebar').first().evaluate((e) => getComputedStyle(e).backgroundColor);
  return theme.kind === 'vscode-light' ? luminance(sideBar) > 0.5 : luminance(sideBar) < 0.2;
}

/**
 * A screenshot of the page in `theme`, checked: a pixel of its side bar must have the theme's
 * lightness, so a shot named after a theme never shows another one (else it is taken again).
 */
export async function themeScreenshot(page: Page, name: string, theme: Theme): Promise<string> {
  await fs.promises.mkdir(ARTIFACTS_DIR, { recursive: true });
  const file = path.join(ARTIFACTS_DIR, `${name.replace(/[^\w.-]+/g, '_')}.png`);
  const box = await page.locator('.part.sidebar').first().boundingBox();
  const size = page.viewportSize();
  if (!box || !size) throw new Error('no side bar or viewport to check the screenshot by');
  for (let attempt = 1; ; attempt++) {
    const png = await page.screenshot({ clip: { x: 0, y: 0, width: size.width, height: size.height } });
    if (paintedAs(theme, pixelAt(png, Math.round(box.x + box.width / 2), Math.round(box.y + box.height - 4)))) {
      await fs.promises.writeFile(file, png);
      return file;
    }
    if (attempt === 5) throw new Error(`every screenshot for ${name} showed the workbench in another theme than ${theme.label}`);
    await page.waitForTimeout(1000);
  }
}

/** The pixel at (x, y) of a PNG as Chromium writes them (8-bit RGB or RGBA, not interlaced). */
function pixelAt(png: Buffer, x: number, y: number): [number, number, number] {
  let at = 8;
  let width = 0;
  let colourType = 6;
  const idat: Buffer[] = [];
  while (at < png.length) {
    const len = png.readUInt32BE(at);
    const type = png.toString('latin1', at + 4, at + 8);
    const data = png.subarray(at + 8, at + 8 + len);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      colourType = data[9];
    }
    if (type === 'IDAT') idat.push(data);
    at += 12 + len;
  }
  if (colourType !== 2 && colourType !== 6) throw new Error(`unexpected PNG colour type ${colourType}`);
  const bpp = colourType === 6 ? 4 : 3;
  const stride = width * bpp;
  const raw = zlib.inflateSync(Buffer.concat(idat));
  let prev = Buffer.alloc(stride);
  let row = prev;
  for (let r = 0; r <= y; r++) {
    const filter = raw[r * (stride + 1)];
    const src = raw.subarray(r * (stride + 1) + 1, (r + 1) * (stride + 1));
    row = Buffer.alloc(stride);
    for (let i = 0; i < stride; i++) {
      const a = i >= bpp ? row[i - bpp] : 0;
      const b = prev[i];
      const c = i >= bpp ? prev[i - bpp] : 0;
      let p = 0;
      if (filter === 1) p = a;
      else if (filter === 2) p = b;
      else if (filter === 3) p = (a + b) >> 1;
      else if (filter === 4) {
        const pa = Math.abs(b - c);
        const pb = Math.abs(a - c);
        const pc = Math.abs(a + b - 2 * c);
        p = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      }
      row[i] = (src[i] + p) & 0xff;
    }
    prev = row;
  }
  return [row[x * bpp], row[x * bpp + 1], row[x * bpp + 2]];
}

/** Whether a colour (r, g, b) is as light or as dark as `theme` paints its side bar. */
function paintedAs(theme: Theme, [r, g, b]: [number, number, number]): boolean {
  const l = luminance(`rgb(${r}, ${g}, ${b})`);
  return theme.kind === 'vscode-light' ? l > 0.5 : l < 0.2;
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
