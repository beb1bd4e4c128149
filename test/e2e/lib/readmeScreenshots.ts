/**
 * The README shows a few screenshots of the real UI. The e2e suites take them on every run
 * (test/e2e/artifacts); they replace the README's copies only when asked, so a test run
 * leaves the working tree as it found it: MAILDESK_UPDATE_SCREENSHOTS=1 npm run test:e2e
 */
import fs from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from './vsix';

export async function updateReadmeScreenshot(from: string, name: string): Promise<void> {
  if (process.env.MAILDESK_UPDATE_SCREENSHOTS !== '1') return;
  const dir = path.join(REPO_ROOT, 'docs', 'screenshots');
  await fs.promises.mkdir(dir, { recursive: true });
  await fs.promises.copyFile(from, path.join(dir, name));
}
