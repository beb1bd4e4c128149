import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

export const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');
const VSCE_BIN = path.join(REPO_ROOT, 'node_modules', '.bin', 'vsce');

/**
 * Packages the extension in `extensionDir` into a .vsix with the repo's own @vscode/vsce and
 * returns its path. `--no-dependencies` because the extension is bundled by esbuild (and the
 * throwaway test extensions have none).
 */
export async function packageVsix(extensionDir: string, outFile?: string): Promise<string> {
  const out = path.resolve(outFile ?? path.join(extensionDir, 'extension.vsix'));
  await fs.promises.mkdir(path.dirname(out), { recursive: true });
  try {
    await execFileAsync(VSCE_BIN, ['package', '--no-dependencies', '--allow-missing-repository', '-o', out], {
      cwd: extensionDir,
      timeout: 120_000,
      maxBuffer: 16 * 1024 * 1024,
      // vsce asks y/N questions (missing LICENSE, ...) on a TTY; with no stdin it fails instead of hanging.
      env: { ...process.env, CI: 'true' },
    });
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(`vsce package failed in ${extensionDir}: ${e.message}\n${e.stdout ?? ''}\n${e.stderr ?? ''}`);
  }
  return out;
}

/**
 * Builds MailDesk itself the way a release is built (`npm run package`: esbuild --production,
 * then vsce) and returns dist/maildesk.vsix.
 */
export async function packageMailDesk(): Promise<string> {
  const out = path.join(REPO_ROOT, 'dist', 'maildesk.vsix');
  try {
    await execFileAsync('npm', ['run', '--silent', 'package'], { cwd: REPO_ROOT, timeout: 300_000, maxBuffer: 32 * 1024 * 1024 });
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(`npm run package failed: ${e.message}\n${e.stdout ?? ''}\n${e.stderr ?? ''}`);
  }
  if (!fs.existsSync(out)) throw new Error(`npm run package did not produce ${out}`);
  return out;
}
