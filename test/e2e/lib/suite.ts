/**
 * What every e2e suite does around its tests: skip loudly without code-server, leave a
 * screenshot and the logs behind when a test fails, and stop everything it started even
 * when a step of the teardown fails. `sandboxSuite` is the whole frame for the suites that
 * drive MailDesk against the mail sandbox (Dovecot + SMTP).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { codeServerInstalled, startCodeServer, type CodeServer } from './codeServer';
import { startMailSandbox, type MailSandbox } from './mailServers';
import { packageMailDesk } from './vsix';
import { notifications, openWorkbench, screenshot, type Workbench } from './workbench';

export function skipWithoutCodeServer(ctx: Mocha.Context): void {
  if (codeServerInstalled()) return;
  console.warn('  e2e skipped: code-server is not installed; run `node test/e2e/install.mjs`');
  ctx.skip();
}

/** After a failed test: a screenshot, the notifications, the extension host log and `more`. */
export async function reportFailure(
  test: Mocha.Test | undefined,
  prefix: string,
  wb: Workbench | undefined,
  server: CodeServer | undefined,
  more: Array<() => Promise<string> | string> = [],
): Promise<void> {
  if (test?.state !== 'failed' || !wb) return;
  const file = await screenshot(wb.page, `${prefix}-${test.title}`).catch(() => '');
  console.warn(`  screenshot: ${file}`);
  console.warn(`  notifications: ${JSON.stringify(await notifications(wb.page).catch(() => []))}`);
  if (server) console.warn((await server.extensionHostLog().catch(() => '')).slice(-3000));
  for (const m of more) console.warn(await Promise.resolve().then(m).catch((e) => `(${e})`));
}

/** Runs every step even when one before it failed: nothing may outlive the run. */
export async function stopAll(steps: Array<[what: string, stop: (() => Promise<unknown>) | undefined]>): Promise<void> {
  for (const [what, stop] of steps) await stop?.().catch((e) => console.warn(`${what}: ${e}`));
}

export interface SandboxSuiteOptions {
  /** Names the temporary folder and failure screenshots. */
  name: string;
  /** Messages seeded into the sandbox's Inbox (startMailSandbox's default when absent). */
  messages?: number;
  settings?: Record<string, unknown>;
  viewport?: { width: number; height: number };
  /** More mail or state, before code-server starts. */
  seed?: (mail: MailSandbox) => Promise<void>;
  /** More extensions to install beside MailDesk: writes them under `dir` and returns their .vsix paths. */
  extraExtensions?: (dir: string) => Promise<string[]>;
  /** Extra logs to print when a test fails. */
  failureLogs?: (server: CodeServer) => Array<() => Promise<string>>;
}

export interface SandboxSuite {
  readonly mail: MailSandbox;
  readonly server: CodeServer;
  readonly wb: Workbench;
  page(): Page;
}

/** Registers the suite's before/afterEach/after hooks; call it at the top of a describe(). */
export function sandboxSuite(o: SandboxSuiteOptions): SandboxSuite {
  let tmp = '';
  let mail: MailSandbox | undefined;
  let server: CodeServer | undefined;
  let wb: Workbench | undefined;

  before(async function () {
    skipWithoutCodeServer(this);
    tmp = await fs.promises.mkdtemp(path.join(os.tmpdir(), `maildesk-e2e-${o.name}-`));
    const workspaceDir = path.join(tmp, 'workspace');
    await fs.promises.mkdir(workspaceDir, { recursive: true });
    const [vsixPath, sandbox] = await Promise.all([packageMailDesk(), startMailSandbox(o.messages)]);
    mail = sandbox;
    await o.seed?.(sandbox);
    const extraVsixPaths = o.extraExtensions ? await o.extraExtensions(path.join(tmp, 'extensions')) : undefined;
    server = await startCodeServer({ vsixPath, extraVsixPaths, workspaceDir, settings: o.settings });
    wb = await openWorkbench(server.url, o.viewport ? { viewport: o.viewport } : undefined);
  });

  afterEach(async function () {
    await reportFailure(this.currentTest, `failed-${o.name}`, wb, server, server ? o.failureLogs?.(server) : undefined);
  });

  after(async () => {
    await stopAll([
      ['closing the browser', wb && (() => wb!.close())],
      ['stopping code-server', server && (() => server!.stop())],
      ['stopping the mail servers', mail && (() => mail!.stop())],
      ['removing the temporary folder', tmp ? () => fs.promises.rm(tmp, { recursive: true, force: true }) : undefined],
    ]);
  });

  return {
    get mail() {
      return mail!;
    },
    get server() {
      return server!;
    },
    get wb() {
      return wb!;
    },
    page: () => wb!.page,
  };
}
