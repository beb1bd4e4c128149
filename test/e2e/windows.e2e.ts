import { strict as assert } from 'node:assert';
import { execFile, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { FrameLocator, Page } from 'playwright-core';
import { rawMessage } from '../support/rawmail';
import { sandboxSuite } from './lib/suite';
import { clickActivityBarItem, openFromTree, openWorkbench, quickInputAccept, quickPickSelect, runCommand, screenshot, setSideBarWidth, treeItems, type TreeRow, waitForNotification, webviewFrame, type Workbench } from './lib/workbench';
import { addImapAccount, waitFor } from './lib/flow';
import { REPO_ROOT } from './lib/vsix';

// Two VS Code windows on one profile: two browser pages on one code-server are two windows, each
// with its own extension host (real-vscode-e2e.md). One engine serves both: what one window does,
// the other shows; only the hosting window's process talks IMAP; when it closes, the other takes
// over and keeps syncing; a `maildesk` command beside them uses the same engine; a window opened
// after all closed finds everything.

const ME = { email: 'sam.rivera@example.test', name: 'Sam Rivera' };
const MAILBOXES = 'Mailboxes';

describe('Two VS Code windows share one MailDesk engine (code-server + headless Chromium)', function () {
  const suite = sandboxSuite({ name: 'windows', settings: { 'maildesk.sync.intervalSeconds': 15 } });
  const windows: Workbench[] = [];
  after(async () => {
    for (const w of windows) await w.close().catch(() => undefined);
  });

  const inboxIs = (total: number) => (rows: TreeRow[]) => rows.some((r) => r.label === 'Inbox' && new RegExp(`(^|· )${total}$`).test(r.description));
  const deliver = (subject: string) =>
    suite.mail.dovecot.append(suite.mail.user, 'INBOX', rawMessage({ from: 'CI Bot <ci@builds.example.test>', to: ME.email, subject, date: new Date(), text: 'Build result.' }));

  it('both windows show what either does; one set of IMAP connections; the other window takes over when the hosting one closes; nothing is lost', async () => {
    const m = suite.mail;
    const a = suite.page();
    await clickActivityBarItem(a, 'MailDesk');
    await setSideBarWidth(a, 470);
    await addImapAccount(a, { ...ME, password: m.password, imap: { host: m.dovecot.host, port: m.dovecot.port, user: m.user }, smtp: { host: m.smtp.host, port: m.smtp.port, user: m.user } });
    let total = m.folders.INBOX.total;
    await waitForTree(a, inboxIs(total), 90_000);
    const hostA = await waitFor(async () => ((await extensionHosts(suite.server.pid)).length === 1 ? (await extensionHosts(suite.server.pid))[0] : undefined), 'the first window’s extension host');

    // A second window: it shows the account and its mail at once, without a second sync.
    const second = await openWorkbench(suite.server.url);
    windows.push(second);
    const b = second.page;
    await clickActivityBarItem(b, 'MailDesk');
    await setSideBarWidth(b, 470);
    await waitForTree(b, inboxIs(total), 30_000);
    const hosts = await waitFor(async () => {
      const h = await extensionHosts(suite.server.pid);
      return h.length === 2 ? h : undefined;
    }, 'two extension hosts');
    const hostB = hosts.find((p) => p !== hostA)!;
    // Only the hosting window's process holds IMAP connections (after the second window settled).
    await new Promise((r) => setTimeout(r, 3000));
    assert.ok(imapConnections(hostA, m.dovecot.port) > 0, 'the hosting window syncs');
    assert.equal(imapConnections(hostB, m.dovecot.port), 0, 'the second window opens no IMAP connection of its own');

    // A write in the second window (Archive selected for sync) shows in the first.
    await runCommand(b, 'MailDesk: Select Folders for Sync');
    await quickPickSelect(b, 'Archive');
    await quickInputAccept(b);
    const archived = m.folders.Archive.total;
    const archiveShown = (rows: TreeRow[]) => rows.some((r) => r.label === 'Archive' && new RegExp(`(^|· )${archived}$`).test(r.description));
    await waitForTree(a, archiveShown, 60_000);
    await waitForTree(b, archiveShown, 30_000);

    // A `maildesk` command in a terminal beside the windows: it uses the same engine (no second
    // writer) and what it does shows in the windows (a message sent from the terminal is in Sent).
    const dataDir = path.join(suite.server.userDataDir, 'User', 'globalStorage', 'maildesk.maildesk');
    const configFile = path.join(suite.server.tempDir, 'maildesk.config.json');
    const accountId = 'sam.rivera-at-example.test';
    fs.writeFileSync(
      configFile,
      JSON.stringify({ accounts: [{ id: accountId, provider: 'imap', email: ME.email, name: ME.name, passwordEnv: 'MAILDESK_E2E_PASSWORD', imap: { host: m.dovecot.host, port: m.dovecot.port, security: 'none', user: m.user }, smtp: { host: m.smtp.host, port: m.smtp.port, security: 'none', user: m.user } }] }),
    );
    const sentBefore = m.smtp.received.length;
    const subject = `Sent from the terminal (${Date.now().toString(36)})`;
    // Not spawnSync: the SMTP sink runs in this process and must keep answering meanwhile.
    const cli = await runCli(['--config', configFile, '--data', dataDir, '-v', 'send', '--account', accountId, '--to', 'bob@example.test', '--subject', subject, '--body', 'Written beside two windows.'], { MAILDESK_E2E_PASSWORD: m.password });
    assert.equal(cli.status, 0, `maildesk send exited ${cli.status}: ${cli.stderr}\n${cli.stdout}`);
    assert.match(cli.stderr, new RegExp(`using the engine in process ${hostA}\\b`), 'the command used the window’s engine');
    assert.equal(m.smtp.received.length, sentBefore + 1, 'the message went out once');
    const sentTotal = m.folders.Sent.total + 1;
    await waitForTree(a, (rows) => rows.some((r) => r.label === 'Sent' && new RegExp(`(^|· )${sentTotal}$`).test(r.description)), 60_000);
    await waitForTree(b, (rows) => rows.some((r) => r.label === 'Sent' && new RegExp(`(^|· )${sentTotal}$`).test(r.description)), 30_000);

    // New mail reaches both windows.
    await deliver(`Build 1 is green (${Date.now().toString(36)})`);
    total++;
    await waitForTree(a, inboxIs(total), 45_000);
    await waitForTree(b, inboxIs(total), 15_000);
    await screenshot(b, 'windows-second');

    // The hosting window reloads (its extension host ends, as when a window closes): the other
    // window takes over the engine and keeps syncing; the reloaded one comes back as a client.
    await runCommand(a, 'Developer: Reload Window');
    await waitFor(async () => (processAlive(hostA) ? undefined : true), 'the first window’s extension host to end', 60_000);
    await waitFor(async () => (imapConnections(hostB, m.dovecot.port) > 0 ? true : undefined), 'the second window to take over the sync', 60_000);
    await deliver(`Build 2 is green (${Date.now().toString(36)})`);
    total++;
    await waitForTree(b, inboxIs(total), 60_000);
    await showMailDesk(a);
    await waitForTree(a, inboxIs(total), 60_000);
    const hostA2 = (await extensionHosts(suite.server.pid)).find((p) => p !== hostB)!;
    assert.equal(imapConnections(hostA2, m.dovecot.port), 0, 'the reloaded window is a client: no IMAP connection of its own');

    // Every window gone (both pages closed, their extension hosts ended), then a new window:
    // the account, the Archive selection and all the mail are there.
    await new Promise((r) => setTimeout(r, 3000));
    await second.close();
    await suite.wb.close();
    for (const pid of await extensionHosts(suite.server.pid)) process.kill(pid, 'SIGTERM');
    await waitFor(async () => ((await extensionHosts(suite.server.pid)).length === 0 ? true : undefined), 'every extension host to end', 60_000);
    const third = await openWorkbench(suite.server.url);
    windows.push(third);
    await clickActivityBarItem(third.page, 'MailDesk');
    await setSideBarWidth(third.page, 470);
    await waitForTree(third.page, (rows) => inboxIs(total)(rows) && archiveShown(rows) && rows.some((r) => r.label === 'Sent' && new RegExp(`(^|· )${sentTotal}$`).test(r.description)), 60_000);
    await screenshot(third.page, 'windows-reopened');
  });

  it('a draft typed in one window is continued in the other and seen back in the first; when both write at once, neither overwrites the other silently; a new window finds both edits', async () => {
    // The window left open by the test before; the account is there.
    const first = windows.at(-1)!;
    const a = first.page;
    await waitForTree(a, (rows) => rows.some((r) => r.label === 'Drafts'), 60_000);
    const second = await openWorkbench(suite.server.url);
    windows.push(second);
    const b = second.page;
    await clickActivityBarItem(b, 'MailDesk');
    await setSideBarWidth(b, 470);
    await waitForTree(b, (rows) => rows.some((r) => r.label === 'Drafts'), 60_000);

    // Window A: a new message, typed and left to autosave as a draft.
    const subject = `Offsite agenda (${Date.now().toString(36)})`;
    const typedInA = 'Dear Bob,\nfirst, the budget.';
    await runCommand(a, 'MailDesk: New Message');
    const fresh = await webviewFrame(a, 'New Message', 30_000);
    await fresh.locator('#subject input').fill(subject);
    const composeA = await waitFor(async () => webviewFrame(a, subject, 1000).catch(() => undefined), 'the compose tab to take the subject as its title');
    await composeA.locator('#to').fill('bob@partner.example.test');
    await composeA.locator('#body textarea').fill(typedInA);

    // Window B: the Drafts folder lists it (once A autosaved); opened there, it shows what A typed.
    const drafts = await openFromTree(b, MAILBOXES, 'Drafts', 'MailDesk: Drafts');
    const row = drafts.locator('#list li.msg', { hasText: subject });
    await row.waitFor({ state: 'visible', timeout: 30_000 });
    await row.click();
    const composeB = await webviewFrame(b, subject, 30_000);
    await waitFor(async () => ((await composeB.locator('#body textarea').inputValue()) === typedInA ? true : undefined), 'window B to show the body typed in A');
    assert.equal(await composeB.locator('#to').inputValue(), 'bob@partner.example.test');

    // B continues it and saves; A's open composer (nothing unsaved there) shows the continuation.
    const continued = `${typedInA}\nthen the offsite (written in B).`;
    await composeB.locator('#body textarea').fill(continued);
    await bodyIs(composeA, continued, 'window A’s composer to show B’s continuation');
    await screenshot(a, 'windows-draft-continued');

    // Both windows write at once (each before the other's autosave): the first save wins; the
    // other window is not saved over it but says so, and Reload shows the winner's text.
    const lineA = 'A: and dinner.';
    const lineB = 'B: and a boat trip.';
    await composeA.locator('#body textarea').fill(`${continued}\n${lineA}`);
    await composeB.locator('#body textarea').fill(`${continued}\n${lineB}`);
    const conflict = await waitFor(
      async () => {
        if (await composeA.locator('#conflict').isVisible()) return { loser: composeA, page: a, winnerLine: lineB, loserLine: lineA };
        if (await composeB.locator('#conflict').isVisible()) return { loser: composeB, page: b, winnerLine: lineA, loserLine: lineB };
        return undefined;
      },
      'one window to say the draft was changed in the other',
      30_000,
    );
    const winner = conflict.loser === composeA ? composeB : composeA;
    assert.match(await conflict.loser.locator('#conflict').innerText(), /changed in another window/);
    assert.equal(await conflict.loser.locator('#body textarea').inputValue(), `${continued}\n${conflict.loserLine}`, 'the losing window keeps its own text on screen until the user chooses');
    await screenshot(conflict.page, 'windows-draft-conflict');
    // The losing window's autosave did not overwrite the winner: had it saved, the winning window
    // (nothing unsaved there) would have reloaded its text; it still shows its own, well past an autosave.
    await new Promise((r) => setTimeout(r, 4000));
    assert.equal(await winner.locator('#body textarea').inputValue(), `${continued}\n${conflict.winnerLine}`);
    await conflict.loser.locator('#conflict-reload').click();
    const afterRace = `${continued}\n${conflict.winnerLine}`;
    await bodyIs(conflict.loser, afterRace, 'Reload to show the winning window’s text');
    assert.equal(await conflict.loser.locator('#conflict').isVisible(), false, 'the notice is gone after Reload');
    // The losing window adds its line again, now on top of the winner's: the other window follows.
    const both = `${afterRace}\n${conflict.loserLine}`;
    await conflict.loser.locator('#body textarea').fill(both);
    await bodyIs(winner, both, 'the other window to show both lines');

    // Both write at once again, and the window told of the conflict is closed without choosing:
    // what it had is kept as a separate draft, the other window's text stays in this one.
    await composeA.locator('#body textarea').fill(`${both}\nA: and a late checkout.`);
    await composeB.locator('#body textarea').fill(`${both}\nB: and a bus.`);
    const late = await waitFor(
      async () => {
        if (await composeA.locator('#conflict').isVisible()) return { loserPage: a, loserText: `${both}\nA: and a late checkout.`, winnerText: `${both}\nB: and a bus.` };
        if (await composeB.locator('#conflict').isVisible()) return { loserPage: b, loserText: `${both}\nB: and a bus.`, winnerText: `${both}\nA: and a late checkout.` };
        return undefined;
      },
      'one window to say the draft was changed in the other (again)',
      30_000,
    );
    await runCommand(late.loserPage, 'View: Close Editor');
    await waitForNotification(late.loserPage, 'kept as a separate draft', 30_000);

    // Every window closed, then a new one: the draft has every edit of both windows, and the
    // closed window's last text is the separate draft beside it.
    await new Promise((r) => setTimeout(r, 3000));
    await second.close();
    await first.close();
    for (const pid of await extensionHosts(suite.server.pid)) process.kill(pid, 'SIGTERM');
    await waitFor(async () => ((await extensionHosts(suite.server.pid)).length === 0 ? true : undefined), 'every extension host to end', 60_000);
    const next = await openWorkbench(suite.server.url);
    windows.push(next);
    await clickActivityBarItem(next.page, 'MailDesk');
    await setSideBarWidth(next.page, 470);
    await waitForTree(next.page, (rows) => rows.some((r) => r.label === 'Drafts'), 60_000);
    const list = await openFromTree(next.page, MAILBOXES, 'Drafts', 'MailDesk: Drafts');
    const again = list.locator('#list li.msg', { hasText: subject });
    await waitFor(async () => ((await again.count()) === 2 ? true : undefined), 'the draft and the closed window’s separate draft in Drafts', 30_000).catch(async (e) => {
      throw new Error(`${(e as Error).message}: ${await again.count()} rows`);
    });
    const bodies: string[] = [];
    for (const i of [0, 1]) {
      const rows = (await openFromTree(next.page, MAILBOXES, 'Drafts', 'MailDesk: Drafts')).locator('#list li.msg', { hasText: subject });
      await rows.nth(i).click();
      const reopened = await webviewFrame(next.page, subject, 30_000);
      const want = new Set([late.winnerText, late.loserText].filter((t) => !bodies.includes(t)));
      let last = '';
      bodies.push(
        await waitFor(async () => {
          last = await reopened.locator('#body textarea').inputValue();
          return want.has(last) ? last : undefined;
        }, `draft ${i + 1} to hold one of the two versions`).catch((e) => {
          throw new Error(`${(e as Error).message}; it holds:\n${last}`);
        }),
      );
      // Closed before the next one opens under the same title (opened and closed unchanged: nothing is saved).
      await runCommand(next.page, 'View: Close Editor');
      await waitFor(async () => ((await next.page.locator('.tabs-container .tab', { hasText: subject }).count()) === 0 ? true : undefined), 'the draft’s tab to close');
    }
    assert.deepEqual(bodies.sort(), [late.winnerText, late.loserText].sort(), 'both windows’ last texts are kept, each in one draft, every earlier edit in both');
    await screenshot(next.page, 'windows-draft-reopened');
  });
});

async function bodyIs(compose: FrameLocator, text: string, what: string): Promise<void> {
  let last = '';
  try {
    await waitFor(async () => ((last = await compose.locator('#body textarea').inputValue()) === text ? true : undefined), what, 30_000);
  } catch (e) {
    throw new Error(`${(e as Error).message}; the body was:\n${last}`);
  }
}

/** Opens MailDesk's side bar unless a reload brought it back already (a click would close it). */
async function showMailDesk(page: Page): Promise<void> {
  await page.locator('.monaco-workbench').waitFor({ state: 'visible', timeout: 60_000 });
  const header = page.locator('.pane-header', { hasText: MAILBOXES });
  if (await header.isVisible().catch(() => false)) return;
  await new Promise((r) => setTimeout(r, 2000));
  if (await header.isVisible().catch(() => false)) return;
  await clickActivityBarItem(page, 'MailDesk');
}

/** Runs the built `maildesk` CLI (dist/cli.js) and resolves with how it ended (killed after 60 s). */
function runCli(args: string[], env: Record<string, string>): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [path.join(REPO_ROOT, 'dist', 'cli.js'), ...args], { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 60_000 }, (err, stdout, stderr) =>
      resolve({ status: err ? ((err as { code?: unknown }).code as number | null) ?? null : 0, stdout, stderr }),
    );
  });
}

async function waitForTree(page: Page, ok: (rows: TreeRow[]) => boolean, timeoutMs: number): Promise<TreeRow[]> {
  let last: TreeRow[] = [];
  try {
    return await waitFor(
      async () => {
        last = await treeItems(page, MAILBOXES, 5000).catch(() => []);
        return ok(last) ? last : undefined;
      },
      `the ${MAILBOXES} view`,
      timeoutMs,
    );
  } catch (e) {
    throw new Error(`${(e as Error).message}; it showed:\n${last.map((r) => `${'  '.repeat(r.level)}${r.label} — ${r.description}`).join('\n')}`);
  }
}

/** Extension host processes under code-server (one per window). */
async function extensionHosts(serverPid: number): Promise<number[]> {
  const out = execFileSync('ps', ['-eo', 'pid=,pgid=,args='], { encoding: 'utf8' });
  const group = Number(execFileSync('ps', ['-o', 'pgid=', '-p', String(serverPid)], { encoding: 'utf8' }).trim());
  return out
    .split('\n')
    .map((l) => /^\s*(\d+)\s+(\d+)\s+(.*)$/.exec(l))
    .filter((x): x is RegExpExecArray => !!x && Number(x[2]) === group && /--type=extensionHost/.test(x[3]))
    .map((x) => Number(x[1]));
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Established TCP connections of process `pid` to 127.0.0.1:`port` (its sockets' inodes in /proc/net/tcp). */
function imapConnections(pid: number, port: number): number {
  let inodes: Set<string>;
  try {
    inodes = new Set(
      fs
        .readdirSync(`/proc/${pid}/fd`)
        .map((fd) => {
          try {
            return /^socket:\[(\d+)\]$/.exec(fs.readlinkSync(`/proc/${pid}/fd/${fd}`))?.[1];
          } catch {
            return undefined;
          }
        })
        .filter((x): x is string => !!x),
    );
  } catch {
    return 0;
  }
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  return fs
    .readFileSync('/proc/net/tcp', 'utf8')
    .split('\n')
    .slice(1)
    .map((l) => l.trim().split(/\s+/))
    // remote address is column 2 (addr:port), state column 3 (01 = ESTABLISHED), inode column 9
    .filter((c) => c.length > 9 && c[2].endsWith(`:${hexPort}`) && c[3] === '01' && inodes.has(c[9])).length;
}
