/**
 * Driving VS Code's input boxes and quick picks the way a person does, waiting for each step
 * instead of sleeping. Shared by every e2e suite (the guided Add Account flow above all).
 */
import type { Page } from 'playwright-core';
import type { MailSandbox } from './mailServers';
import { activityBarItem, clickActivityBarItem, quickInputAccept, quickPickSelect, runCommand, treeItems, waitForNotification } from './workbench';

/** Polls `probe` until it returns a value; fails naming `what` (and the last error) after `timeoutMs`. */
export async function waitFor<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (e) {
      lastError = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? ` (${String(lastError)})` : ''}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Types `value` into the input box once it asks for `prompt`, accepts it, and waits for the flow to move on. */
export async function answer(page: Page, prompt: RegExp, value: string): Promise<void> {
  const widget = page.locator('.quick-input-widget');
  const message = widget.locator('.quick-input-message');
  await waitFor(async () => ((await widget.isVisible()) && prompt.test((await message.innerText()).trim()) ? true : undefined), `the input box asking ${prompt}`, 30_000);
  await widget.locator('.quick-input-box input').fill(value);
  await quickInputAccept(page);
  // The next step (or the end of the flow) replaces this prompt; wait so answers never cross.
  await waitFor(async () => (!(await widget.isVisible()) || !prompt.test((await message.innerText()).trim()) ? true : undefined), `the input box to move on from ${prompt}`, 15_000);
}

/** Picks `label` in the quick pick once it shows `placeholder`, and waits for it to close. */
export async function pick(page: Page, placeholder: string, label: string): Promise<void> {
  const input = page.locator('.quick-input-widget .quick-input-box input');
  await waitFor(async () => ((await input.isVisible()) && (await input.getAttribute('placeholder')) === placeholder ? true : undefined), `the pick "${placeholder}"`, 30_000);
  await quickPickSelect(page, label);
  await waitFor(async () => ((await input.getAttribute('placeholder').catch(() => null)) !== placeholder ? true : undefined), `the pick "${placeholder}" to close`, 15_000);
}

/** Escapes text for use inside a RegExp. */
export function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

interface Server {
  host: string;
  port: number;
  user: string;
}

/**
 * Runs "MailDesk: Add IMAP Account" and answers its questions as a person types them.
 * Without `smtp` the outgoing host is left empty, so only the incoming server is tested.
 */
export async function addImapAccount(page: Page, a: { email: string; name: string; password: string; imap: Server; smtp?: Server }): Promise<void> {
  await runCommand(page, 'MailDesk: Add IMAP Account');
  await answer(page, /^Email address/, a.email);
  await answer(page, /^Display name/, a.name);
  await answer(page, /^Incoming \(IMAP\) server host/, a.imap.host);
  await pick(page, 'Incoming server security', 'None');
  await answer(page, /^Incoming server port/, String(a.imap.port));
  await answer(page, /^Incoming server user name/, a.imap.user);
  await answer(page, /^Password for/, a.password);
  await answer(page, /^Outgoing \(SMTP\) server host/, a.smtp?.host ?? '');
  if (!a.smtp) return;
  await pick(page, 'Outgoing server security', 'None');
  await answer(page, /^Outgoing server port/, String(a.smtp.port));
  await answer(page, /^Outgoing server user name/, a.smtp.user);
}

/** Opens MailDesk's view and adds the sandbox's IMAP and SMTP account as `me`; resolves once its folders show. */
export async function addSandboxAccount(page: Page, m: MailSandbox, me: { email: string; name: string }): Promise<void> {
  await activityBarItem(page, 'MailDesk').waitFor({ state: 'visible', timeout: 30_000 });
  await clickActivityBarItem(page, 'MailDesk');
  await addImapAccount(page, {
    ...me,
    password: m.password,
    imap: { host: m.dovecot.host, port: m.dovecot.port, user: m.user },
    smtp: { host: m.smtp.host, port: m.smtp.port, user: m.user },
  });
  await waitForNotification(page, `${me.email} added with`, 60_000);
  await waitFor(async () => ((await treeItems(page, 'Mailboxes', 5000)).some((r) => r.label === 'Drafts') ? true : undefined), 'the folders in Mailboxes', 30_000);
}
