import fs from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';
import type { Browser, BrowserContext, FrameLocator, Locator, Page, Request } from 'playwright-core';

export const CHROMIUM_PATH = '/usr/bin/chromium';
export const ARTIFACTS_DIR = path.resolve(__dirname, '..', 'artifacts');

export interface RecordedRequest {
  url: string;
  method: string;
  resourceType: string;
  /** URL of the frame that made it ('' for service workers): tells webview loads apart. */
  frameUrl: string;
}

export interface Workbench {
  browser: Browser;
  context: BrowserContext;
  page: Page;
  /** Every request the page, its (webview) iframes and service workers made, in order. */
  requests: RecordedRequest[];
  /**
   * Browser console lines as '[type] text', plus uncaught page errors as '[pageerror] ...'.
   * The extension host's console.log shows up here too, prefixed '[Extension Host]'.
   */
  consoleMessages: string[];
  close(): Promise<void>;
}

export interface OpenWorkbenchOptions {
  viewport?: { width: number; height: number };
  /** Milliseconds for waitForWorkbench; 0 to skip waiting. */
  waitTimeoutMs?: number;
}

/** Launches headless Debian Chromium on the code-server URL and waits for the workbench. */
export async function openWorkbench(url: string, opts: OpenWorkbenchOptions = {}): Promise<Workbench> {
  if (!fs.existsSync(CHROMIUM_PATH)) throw new Error(`${CHROMIUM_PATH} not found; run: node test/e2e/install.mjs`);
  const browser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-dev-shm-usage',
    ],
  });
  try {
    const context = await browser.newContext({
      viewport: opts.viewport ?? { width: 1400, height: 900 },
      // The workbench uses the clipboard for copy commands; without this they fail silently.
      permissions: ['clipboard-read', 'clipboard-write'],
    });
    const requests: RecordedRequest[] = [];
    const seen = new WeakSet<Request>();
    const record = (req: Request): void => {
      // The same request is reported to both page and context listeners; keep it once.
      if (seen.has(req)) return;
      seen.add(req);
      let frameUrl = '';
      try {
        frameUrl = req.frame().url();
      } catch {
        // Service-worker requests have no frame.
      }
      requests.push({ url: req.url(), method: req.method(), resourceType: req.resourceType(), frameUrl });
    };
    // context catches popups and service workers (webview resources go through one); page catches
    // the main frame and every nested iframe.
    context.on('request', record);
    const page = await context.newPage();
    page.on('request', record);
    const consoleMessages: string[] = [];
    page.on('pageerror', (err) => consoleMessages.push(`[pageerror] ${err.message}`));
    page.on('console', (msg) => consoleMessages.push(`[${msg.type()}] ${msg.text()}`));
    await page.goto(url, { waitUntil: 'domcontentloaded' });
    if (opts.waitTimeoutMs !== 0) await waitForWorkbench(page, opts.waitTimeoutMs);
    let closed = false;
    return {
      browser,
      context,
      page,
      requests,
      consoleMessages,
      close: async () => {
        if (closed) return;
        closed = true;
        await browser.close();
      },
    };
  } catch (err) {
    await browser.close();
    throw err;
  }
}

/**
 * Waits until the workbench is laid out and the extension host has connected (the remote
 * indicator in the status bar shows once the remote connection is up).
 */
export async function waitForWorkbench(page: Page, timeoutMs = 60_000): Promise<void> {
  await page.locator('.monaco-workbench').waitFor({ state: 'visible', timeout: timeoutMs });
  await page.locator('.part.activitybar').waitFor({ state: 'visible', timeout: timeoutMs });
  await page.locator('.part.statusbar').waitFor({ state: 'visible', timeout: timeoutMs });
  // Extensions register their views/commands only after the extension host is up.
  await page
    .locator('.part.statusbar #status\\.host, .part.statusbar [id="status.host"], .statusbar-item.remote-kind')
    .first()
    .waitFor({ state: 'attached', timeout: timeoutMs })
    .catch(() => undefined);
}

const QUICK_INPUT = '.quick-input-widget';

/** Opens the command palette, picks the command whose label is `title` (e.g. 'MailDesk: Add Account') and runs it. */
export async function runCommand(page: Page, title: string, timeoutMs = 15_000): Promise<void> {
  const widget = page.locator(QUICK_INPUT);
  // F1 is not bound to the palette in some browsers' focus states; Ctrl+Shift+P is the fallback.
  // A loaded host can take seconds to act on a key, so each try waits longer than the last,
  // and a key is pressed again only while the palette is still closed.
  const deadline = Date.now() + timeoutMs;
  for (let attempt = 0; !(await widget.isVisible()); attempt++) {
    if (Date.now() > deadline) throw new Error(`the command palette did not open within ${timeoutMs} ms (F1, Ctrl+Shift+P)`);
    await focusWorkbench(page);
    await page.keyboard.press(attempt % 2 === 0 ? 'F1' : 'Control+Shift+P');
    await widget.waitFor({ state: 'visible', timeout: 2000 + 2000 * attempt }).catch(() => undefined);
  }
  const input = widget.locator('.quick-input-box input');
  await input.fill(`>${title}`);
  // Pick the exact row, not whatever is first (recently used commands float to the top).
  const row = widget.locator('.quick-input-list .monaco-list-row').filter({
    has: page.locator('.label-name', { hasText: exactText(title) }),
  });
  await row.first().waitFor({ state: 'visible', timeout: timeoutMs });
  await row.first().click();
  await widget.waitFor({ state: 'hidden', timeout: timeoutMs }).catch(() => undefined);
}

/** Clicks an activity-bar icon by its aria-label (the view container title, e.g. 'MailDesk'). */
export async function clickActivityBarItem(page: Page, ariaLabel: string, timeoutMs = 15_000): Promise<void> {
  const item = activityBarItem(page, ariaLabel);
  await item.waitFor({ state: 'visible', timeout: timeoutMs });
  await item.click();
}

/** The activity-bar entry whose aria-label starts with `ariaLabel` (VS Code appends the keybinding). */
export function activityBarItem(page: Page, ariaLabel: string): Locator {
  return page
    .locator('.part.activitybar .action-item')
    .filter({ has: page.locator(`.action-label[aria-label^="${cssString(ariaLabel)}"]`) })
    .or(page.locator(`.part.activitybar .action-item[aria-label^="${cssString(ariaLabel)}"]`))
    .first();
}

/** Types into the open InputBox or QuickPick (replacing what is there). */
export async function quickInputType(page: Page, text: string, timeoutMs = 15_000): Promise<void> {
  const input = page.locator(`${QUICK_INPUT} .quick-input-box input`);
  await input.waitFor({ state: 'visible', timeout: timeoutMs });
  await input.fill(text);
}

/** Accepts the open InputBox/QuickPick (Enter: the typed value, or the focused pick). */
export async function quickInputAccept(page: Page, timeoutMs = 15_000): Promise<void> {
  const input = page.locator(`${QUICK_INPUT} .quick-input-box input`);
  await input.waitFor({ state: 'visible', timeout: timeoutMs });
  await input.press('Enter');
}

export interface QuickInputState {
  /** Prompt / placeholder / validation message shown by the InputBox or QuickPick. */
  placeholder: string;
  message: string;
  items: string[];
}

/** What the open quick input shows: the user's view of an InputBox/QuickPick step. */
export async function quickInputState(page: Page, timeoutMs = 15_000): Promise<QuickInputState> {
  const widget = page.locator(QUICK_INPUT);
  await widget.waitFor({ state: 'visible', timeout: timeoutMs });
  const placeholder = (await widget.locator('.quick-input-box input').getAttribute('placeholder')) ?? '';
  const message = (await textOr(widget.locator('.quick-input-message'))).trim();
  const items = await widget.locator('.quick-input-list .monaco-list-row .label-name').allInnerTexts();
  return { placeholder, message, items: items.map((s) => s.trim()) };
}

/** Picks the QuickPick row whose label is exactly `label`. */
export async function quickPickSelect(page: Page, label: string, timeoutMs = 15_000): Promise<void> {
  const row = page
    .locator(`${QUICK_INPUT} .quick-input-list .monaco-list-row`)
    .filter({ has: page.locator('.label-name', { hasText: exactText(label) }) })
    .first();
  await row.waitFor({ state: 'visible', timeout: timeoutMs });
  await row.click();
}

export interface TreeRow {
  label: string;
  description: string;
  /** aria-label of the row: label, description and tooltip as a screen reader hears them. */
  ariaLabel: string;
  /** 1 for top-level rows. */
  level: number;
  /** undefined for leaves. */
  expanded: boolean | undefined;
}

/** The pane (view) in the side bar whose header title is `viewTitle`, expanded if it was collapsed. */
export async function viewPane(page: Page, viewTitle: string, timeoutMs = 15_000): Promise<Locator> {
  const pane = page
    .locator('.part.sidebar .pane, .part.auxiliarybar .pane, .part.panel .pane')
    .filter({ has: page.locator('.pane-header h3.title', { hasText: exactText(viewTitle) }) })
    .first();
  await pane.waitFor({ state: 'visible', timeout: timeoutMs });
  const header = pane.locator('.pane-header').first();
  if ((await header.getAttribute('aria-expanded')) === 'false') await header.click();
  return pane;
}

/** Visible rows of a tree view, top to bottom (only rendered rows: scroll for long trees). */
export async function treeItems(page: Page, viewTitle: string, timeoutMs = 15_000): Promise<TreeRow[]> {
  const pane = await viewPane(page, viewTitle, timeoutMs);
  const rows = pane.locator('.pane-body .monaco-list-row');
  await rows.first().waitFor({ state: 'visible', timeout: timeoutMs });
  return rows.evaluateAll((els) =>
    els
      .map((el) => ({
        top: parseFloat((el as HTMLElement).style.top || '0'),
        label: (el.querySelector('.label-name')?.textContent ?? '').trim(),
        description: (el.querySelector('.label-description')?.textContent ?? '').trim(),
        ariaLabel: el.getAttribute('aria-label') ?? '',
        level: Number(el.getAttribute('aria-level') ?? '1'),
        expanded: el.hasAttribute('aria-expanded') ? el.getAttribute('aria-expanded') === 'true' : undefined,
      }))
      // Rendered rows are absolutely positioned and recycled; DOM order is not screen order.
      .sort((a, b) => a.top - b.top)
      .map(({ top: _top, ...row }) => row),
  );
}

/** Clicks the tree row labelled `label` in the view `viewTitle`. */
export async function clickTreeItem(page: Page, viewTitle: string, label: string, timeoutMs = 15_000): Promise<void> {
  const pane = await viewPane(page, viewTitle, timeoutMs);
  const row = pane.locator('.monaco-list-row').filter({ has: page.locator('.label-name', { hasText: exactText(label) }) }).first();
  await row.click({ timeout: timeoutMs });
}

export interface NotificationInfo {
  message: string;
  /** Source line, e.g. 'Source: MailDesk (Extension)'; empty when VS Code hides it. */
  source: string;
  buttons: string[];
  /** Links in the message (command links offering a fix, for instance). */
  links: string[];
}

/** Notification toasts currently on screen, newest first. */
export async function notifications(page: Page): Promise<NotificationInfo[]> {
  return page.locator('.notifications-toasts .notification-toast').evaluateAll((els) =>
    els
      .filter((el) => (el as HTMLElement).offsetParent !== null)
      .map((el) => ({
        message: (el.querySelector('.notification-list-item-message')?.textContent ?? '').trim(),
        source: (el.querySelector('.notification-list-item-source')?.textContent ?? '').trim(),
        buttons: Array.from(el.querySelectorAll('.notification-list-item-buttons-container .monaco-button')).map((b) =>
          (b.textContent ?? '').trim(),
        ),
        links: Array.from(el.querySelectorAll('.notification-list-item-message a')).map((a) => (a.textContent ?? '').trim()),
      })),
  );
}

/** Waits for a toast whose message matches, and returns it. */
export async function waitForNotification(page: Page, message: string | RegExp, timeoutMs = 15_000): Promise<NotificationInfo> {
  const toast = page.locator('.notifications-toasts .notification-toast').filter({
    has: page.locator('.notification-list-item-message', { hasText: message }),
  });
  await toast.first().waitFor({ state: 'visible', timeout: timeoutMs });
  const matches = (n: NotificationInfo): boolean => (typeof message === 'string' ? n.message.includes(message) : message.test(n.message));
  const found = (await notifications(page)).find(matches);
  if (found) return found;
  // It was on screen (the wait above saw it) and is already leaving: another toast can push it
  // into the notification center.
  const text = await toast.first().locator('.notification-list-item-message').innerText({ timeout: 1000 }).catch(() => undefined);
  if (text !== undefined) return { message: text, source: '', buttons: [], links: [] };
  // Gone before its text could be read again: the wait above saw a toast saying `message`
  // (its buttons and links are unknown now, so a caller checking them still fails).
  return { message: String(message), source: '', buttons: [], links: [] };
}

/** Clicks a button on the toast whose message matches. */
export async function clickNotificationButton(page: Page, message: string | RegExp, button: string, timeoutMs = 15_000): Promise<void> {
  const toast = page
    .locator('.notifications-toasts .notification-toast')
    .filter({ has: page.locator('.notification-list-item-message', { hasText: message }) })
    .first();
  await toast.locator('.notification-list-item-buttons-container .monaco-button', { hasText: exactText(button) }).first().click({ timeout: timeoutMs });
}

/** Clicks a link in the message of the toast whose message matches. */
export async function clickNotificationLink(page: Page, message: string | RegExp, link: string, timeoutMs = 15_000): Promise<void> {
  const toast = page
    .locator('.notifications-toasts .notification-toast')
    .filter({ has: page.locator('.notification-list-item-message', { hasText: message }) })
    .first();
  await toast.locator('.notification-list-item-message a', { hasText: exactText(link) }).first().click({ timeout: timeoutMs });
}

export interface DialogInfo {
  message: string;
  detail: string;
  buttons: string[];
}

/** The modal dialog on screen (showErrorMessage/showInformationMessage with `modal: true`), waiting for it. */
export async function dialogState(page: Page, timeoutMs = 15_000): Promise<DialogInfo> {
  const box = page.locator('.monaco-dialog-box').first();
  await box.waitFor({ state: 'visible', timeout: timeoutMs });
  return box.evaluate((el) => ({
    message: (el.querySelector('.dialog-message-text')?.textContent ?? '').trim(),
    detail: (el.querySelector('.dialog-message-detail')?.textContent ?? '').trim(),
    buttons: Array.from(el.querySelectorAll('.dialog-buttons .monaco-button')).map((b) => (b.textContent ?? '').trim()),
  }));
}

/** Clicks a button of the modal dialog on screen. */
export async function clickDialogButton(page: Page, button: string, timeoutMs = 15_000): Promise<void> {
  const box = page.locator('.monaco-dialog-box').first();
  await box.locator('.dialog-buttons .monaco-button', { hasText: exactText(button) }).first().click({ timeout: timeoutMs });
  await box.waitFor({ state: 'hidden', timeout: timeoutMs });
}

/**
 * Hovers the tree row labelled `label` and returns the text of the hover (the TreeItem tooltip),
 * as a person sees it when pointing at the row. `contains` tells its hover from any other one
 * still on screen (e.g. a status-bar item's).
 */
export async function treeItemHover(page: Page, viewTitle: string, label: string, contains: string | RegExp, timeoutMs = 15_000): Promise<string> {
  const pane = await viewPane(page, viewTitle, timeoutMs);
  const row = pane.locator('.monaco-list-row').filter({ has: page.locator('.label-name', { hasText: exactText(label) }) }).first();
  const hover = page.locator('.workbench-hover, .monaco-hover').filter({ visible: true, hasText: contains }).first();
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    // Moving away and back restarts the hover delay when a previous hover was dismissed.
    await page.mouse.move(0, 0);
    await row.hover({ timeout: Math.max(1000, deadline - Date.now()) });
    try {
      await hover.waitFor({ state: 'visible', timeout: 3000 });
      return (await hover.innerText()).trim();
    } catch (err) {
      if (Date.now() > deadline) throw err;
    }
  }
}

/**
 * Drags the sash between the side bar and the editor so the side bar is `width` px wide, as a
 * person does to read long tree rows.
 */
export async function setSideBarWidth(page: Page, width: number): Promise<void> {
  const sidebar = page.locator('.part.sidebar');
  const box = await sidebar.boundingBox();
  if (!box) throw new Error('the side bar is not visible');
  const edge = box.x + box.width;
  const y = box.y + box.height / 2;
  await page.mouse.move(edge, y);
  await page.mouse.down();
  await page.mouse.move(box.x + width, y, { steps: 8 });
  await page.mouse.up();
  // Off the sash, or it stays drawn highlighted in the next screenshot.
  await page.mouse.move(box.x + width + 200, y);
  const after = await sidebar.boundingBox();
  if (!after || Math.abs(after.width - width) > 8) throw new Error(`the side bar is ${after?.width} px wide, wanted ${width}`);
}

/**
 * Moves the mouse off to a neutral spot and waits for hovers to go, so they do not cover a
 * screenshot. (Not Escape: that would also hide the notification toasts.)
 */
export async function dismissHover(page: Page, timeoutMs = 5000): Promise<void> {
  const editor = await page.locator('.part.editor').boundingBox();
  await page.mouse.move(editor ? editor.x + editor.width / 2 : 700, editor ? editor.y + editor.height - 5 : 800);
  await page.locator('.workbench-hover, .monaco-hover').filter({ visible: true }).first().waitFor({ state: 'hidden', timeout: timeoutMs }).catch(() => undefined);
}

/**
 * The content frame of the webview (panel or view) titled `title`. Webviews live in two nested
 * iframes: the outer `iframe.webview` host, and the extension's `iframe#active-frame` inside it,
 * which is the one that carries the title. Visible webviews win over hidden (retained) ones.
 */
export async function webviewFrame(page: Page, title: string, timeoutMs = 15_000): Promise<FrameLocator> {
  const deadline = Date.now() + timeoutMs;
  const inner = `iframe#active-frame[title="${cssString(title)}"]`;
  for (;;) {
    const outers = page.locator('iframe.webview');
    const count = await outers.count();
    let hidden: Locator | undefined;
    for (let i = 0; i < count; i++) {
      const outer = outers.nth(i);
      const matches = await outer.contentFrame().locator(inner).count().catch(() => 0);
      if (matches === 0) continue;
      if (await outer.isVisible()) return ready(outer);
      hidden ??= outer;
    }
    if (hidden) return ready(hidden);
    if (Date.now() > deadline) throw new Error(`no webview titled "${title}" within ${timeoutMs} ms`);
    await page.waitForTimeout(200);
  }

  async function ready(outer: Locator): Promise<FrameLocator> {
    const frame = outer.contentFrame().frameLocator(inner);
    await frame.locator('body').waitFor({ state: 'attached', timeout: Math.max(1000, deadline - Date.now()) });
    return frame;
  }
}

/** Saves a full-window PNG to test/e2e/artifacts/<name>.png and returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  await fs.promises.mkdir(ARTIFACTS_DIR, { recursive: true });
  const file = path.join(ARTIFACTS_DIR, `${name.replace(/[^\w.-]+/g, '_')}.png`);
  // Finish CSS transitions first, or a toast that just appeared is caught half faded in.
  await page.screenshot({ path: file, animations: 'disabled' });
  return file;
}

async function focusWorkbench(page: Page): Promise<void> {
  // Keyboard shortcuts go nowhere until something in the workbench has focus.
  const active = await page.evaluate(() => document.activeElement?.tagName ?? '');
  if (active === '' || active === 'BODY') {
    await page.locator('.part.statusbar').click({ position: { x: 2, y: 2 } }).catch(() => undefined);
  }
}

async function textOr(loc: Locator): Promise<string> {
  return (await loc.count()) > 0 ? (await loc.first().textContent()) ?? '' : '';
}

function exactText(s: string): RegExp {
  return new RegExp(`^\\s*${s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*$`);
}

function cssString(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/"/g, '\\"');
}

/**
 * Clicks a tree row that opens a webview, and returns the webview. A click on a row that a
 * tree refresh replaced in the same instant is lost (VS Code logs "Actual command not found"),
 * so it clicks again until the webview is there.
 */
export async function openFromTree(page: Page, viewTitle: string, label: string, webviewTitle: string, timeoutMs = 45_000): Promise<FrameLocator> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    await clickTreeItem(page, viewTitle, label, 10_000);
    try {
      return await webviewFrame(page, webviewTitle, 5000);
    } catch (e) {
      if (Date.now() > deadline) throw e;
    }
  }
}
