import type { Page } from 'playwright-core';
import { runCommand } from './workbench';

/**
 * An extension's activation time as VS Code itself shows it in "Developer: Show Running
 * Extensions" (its ExtensionActivationTimes: codeLoadingTime + activateCallTime, the figure
 * extension authors and users compare). Opens that editor, reads the row of `displayName`, and
 * closes it again. Undefined when the row has no time (the extension has not activated).
 */
export async function runningExtensionActivationMs(page: Page, displayName: string, timeoutMs = 30_000): Promise<number | undefined> {
  await runCommand(page, 'Developer: Show Running Extensions');
  const row = page.locator('.runtime-extensions-editor .monaco-list-row').filter({ has: page.locator('.name', { hasText: displayName }) }).first();
  await row.waitFor({ state: 'visible', timeout: timeoutMs });
  const time = row.locator('.activation-time');
  const text = (await time.count()) ? await time.innerText() : '';
  await runCommand(page, 'View: Close Editor');
  // "123ms", or "Startup Activation: 123ms" for an extension activated during startup.
  const ms = /(\d+)\s*ms/.exec(text);
  return ms ? Number(ms[1]) : undefined;
}
