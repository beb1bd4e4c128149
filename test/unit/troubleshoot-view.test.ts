import { strict as assert } from 'node:assert';
import type { Check } from '../../src/core/diagnostics/check';
import { accountTarget, openSettingsAction } from '../../src/core/diagnostics/check';
import { aiSwitches } from '../../src/core/diagnostics/checks/product';
import { applyHistory } from '../../src/core/diagnostics/history';
import { Redactor } from '../../src/core/diagnostics/redact';
import { buildReport } from '../../src/core/diagnostics/report';
import { runChecks, type CheckProgress } from '../../src/core/diagnostics/runner';
import { MailDesk } from '../../src/core/maildesk';
import {
  buildViewModel,
  flattenSettings,
  isAllowedActionCommand,
  progressLine,
  reportPaths,
  resolveAction,
  saveReportFiles,
  userStory,
} from '../../src/extension/troubleshoot/viewModel';
import { parseTroubleshootMessage } from '../../src/shared/protocol/troubleshoot';

const PASSWORD = 'hunter2-Sup3rSecret';

/** Checks with fixed answers, so the view's grouping and buttons are what is under test. */
const fixed: Check[] = [
  {
    id: 'incoming.connect',
    title: 'Incoming server',
    section: 'Mailbox is disconnected',
    async run(ctx) {
      return ctx.account.id === 'home'
        ? [{ status: 'fail', detail: `IMAP 127.0.0.1:1143: login failed for jane@example.com (sent password ${PASSWORD})`, remedy: 'Enter the password again.', action: { title: 'Enter Password', command: 'maildesk.enterPassword', args: [accountTarget('home')] } }]
        : [{ status: 'pass', detail: 'IMAP 127.0.0.1:1143: login ok in 12 ms', action: { title: 'Test Incoming Server', command: 'maildesk.testIncoming', args: [accountTarget('work')] } }];
    },
  },
  {
    id: 'folders.selection',
    title: 'Folders selected for sync',
    section: '"0 emails"',
    async run(ctx) {
      return ctx.account.id === 'work'
        ? [{ status: 'warn', detail: 'Archive holds 3 messages on the server but is not selected for sync', remedy: 'Select it in Select Folders for Sync.', action: { title: 'Select Folders for Sync', command: 'maildesk.selectFolders', args: [accountTarget('work')] } }]
        : [{ status: 'skip', detail: 'the incoming server test failed' }];
    },
  },
  {
    id: 'evil',
    title: 'A check whose action is not one of ours',
    section: 'x',
    async run() {
      return [{ status: 'fail', detail: 'boom', remedy: 'r', action: { title: 'Run', command: 'workbench.action.terminal.sendSequence', args: [{ text: 'rm -rf ~\n' }] } }];
    },
  },
  {
    id: 'ai.switches',
    title: 'AI switches',
    section: 'AI',
    async run() {
      return [{ status: 'warn', detail: 'maildesk.ai.enabled is off', remedy: 'Turn it on.', action: openSettingsAction('maildesk.ai.enabled') }];
    },
  },
];

describe('Troubleshoot view model', () => {
  let core: MailDesk;
  beforeEach(async () => {
    core = await MailDesk.open({ credentials: { password: async () => PASSWORD } });
    core.store.upsertAccount({ id: 'work', provider: 'imap', email: 'john.doe@example.com', imap: { host: '127.0.0.1', port: 1143, security: 'none', user: 'john' } });
    core.store.upsertAccount({ id: 'home', provider: 'imap', email: 'jane@example.com', imap: { host: '127.0.0.1', port: 1143, security: 'none', user: 'jane' } });
  });
  afterEach(() => core.close());

  async function view(includeAddresses = false) {
    const outcomes = await runChecks(core, { checks: fixed });
    const redactor = new Redactor({ secrets: [PASSWORD], includeAddresses });
    const report = buildReport({ host: core, outcomes, version: '0.1.0', app: 'vscode', vscodeVersion: '1.100.3', redactor, expected: 'mail in Inbox', happened: '0 emails', when: '2025-01-01T10:00:00.000Z' });
    return { outcomes, report, ...buildViewModel({ report, outcomes, includeAddresses, ms: 1234 }) };
  }

  it('groups by account with the worst status and counts, problems first, and shows addresses masked', async () => {
    const { model } = await view();
    assert.deepEqual(model.groups.map((g) => g.heading).sort(), ['Account home (IMAP, j***@example.com)', 'Account work (IMAP, j***@example.com)']);
    const work = model.groups.find((g) => g.account === 'work')!;
    const home = model.groups.find((g) => g.account === 'home')!;
    assert.equal(work.worst, 'fail');
    assert.deepEqual(work.counts, { pass: 1, warn: 2, fail: 1, skip: 0 });
    // fail, then the warnings in registry order, then what passed.
    assert.deepEqual(work.checks.map((c) => `${c.status}:${c.id}`), ['fail:evil', 'warn:folders.selection', 'warn:ai.switches', 'pass:incoming.connect']);
    assert.deepEqual(home.checks.map((c) => c.status), ['fail', 'fail', 'warn', 'skip']);
    assert.deepEqual(model.counts, { pass: 1, warn: 3, fail: 3, skip: 1 });
    assert.equal(model.worst, 'fail');
    assert.equal(model.expected, 'mail in Inbox');
    assert.equal(model.happened, '0 emails');
    assert.equal(model.ms, 1234);
  });

  it('says since when each problem is there and when it last passed, as the report does; nothing for what passes', async () => {
    const t0 = Date.parse('2026-12-06T09:02:10.000Z');
    const t1 = t0 + 600_000;
    applyHistory(core.store, await runChecks(core, { checks: fixed }), t0);
    const outcomes = applyHistory(core.store, await runChecks(core, { checks: fixed }), t1);
    const report = buildReport({ host: core, outcomes, version: '0.1.0', app: 'vscode', redactor: new Redactor({ secrets: [PASSWORD] }) });
    const { model } = buildViewModel({ report, outcomes, includeAddresses: false, ms: 1 });
    const checks = model.groups.flatMap((g) => g.checks.map((c) => ({ ...c, account: g.account })));
    const failing = checks.find((c) => c.id === 'incoming.connect' && c.account === 'home')!;
    assert.equal(failing.firstSeen, '2026-12-06T09:02:10.000Z');
    assert.equal(failing.lastSuccess, null);
    const passing = checks.find((c) => c.id === 'incoming.connect' && c.account === 'work')!;
    assert.equal(passing.firstSeen, null);
    assert.equal(passing.lastSuccess, new Date(t1).toISOString());
    for (const c of checks) {
      const r = report.checks.find((x) => x.id === c.id && x.account === c.account)!;
      assert.deepEqual([c.firstSeen, c.lastSuccess], [r.firstSeen, r.lastSuccess], `${c.id} [${c.account}]`);
    }
  });

  it('shows what the report says: the password and the address never reach the panel unless addresses are included', async () => {
    const masked = await view(false);
    const text = JSON.stringify(masked.model);
    assert.ok(!text.includes(PASSWORD), 'password leaked into the panel');
    assert.ok(!text.includes('jane@example.com'));
    const login = masked.model.groups.find((g) => g.account === 'home')!.checks.find((c) => c.id === 'incoming.connect')!;
    assert.match(login.detail, /login failed for j\*\*\*@example\.com \(sent password \[REDACTED\]\)/);
    assert.equal(login.detail, masked.report.checks.find((c) => c.id === 'incoming.connect' && c.account === 'home')!.detail);

    const open = await view(true);
    assert.equal(open.model.includeAddresses, true);
    const home = open.model.groups.find((g) => g.account === 'home')!;
    assert.equal(home.heading, 'Account home (IMAP, jane@example.com)');
    assert.match(home.checks.find((c) => c.id === 'incoming.connect')!.detail, /jane@example\.com/);
    assert.ok(!JSON.stringify(open.model).includes(PASSWORD));
  });

  it('gives a button only to warnings and failures with one of our commands, and each index runs that check\'s own action', async () => {
    const { model, actions } = await view();
    const buttons = model.groups.flatMap((g) => g.checks.filter((c) => c.action).map((c) => ({ account: g.account, id: c.id, ...c.action! })));
    assert.deepEqual(
      buttons.map((b) => `${b.account}/${b.id}: ${b.title}`).sort(),
      ['home/ai.switches: Open Settings', 'home/incoming.connect: Enter Password', 'work/ai.switches: Open Settings', 'work/folders.selection: Select Folders for Sync'],
    );
    assert.equal(new Set(buttons.map((b) => b.index)).size, actions.length, 'one index per button');
    // The passing Test Incoming Server and the foreign terminal command got no button.
    assert.ok(!actions.some((a) => a.command === 'maildesk.testIncoming' || a.command.startsWith('workbench.action.terminal')));
    for (const b of buttons) {
      const a = resolveAction(actions, b.index)!;
      assert.equal(a.title, b.title);
    }
    const button = (account: string, id: string) => buttons.find((b) => b.account === account && b.id === id)!.index;
    const select = resolveAction(actions, button('work', 'folders.selection'))!;
    assert.deepEqual([select.command, select.args], ['maildesk.selectFolders', [{ kind: 'account', accountId: 'work' }]]);
    const password = resolveAction(actions, button('home', 'incoming.connect'))!;
    assert.deepEqual([password.command, password.args], ['maildesk.enterPassword', [{ kind: 'account', accountId: 'home' }]]);
    const settings = resolveAction(actions, button('work', 'ai.switches'))!;
    assert.deepEqual([settings.command, settings.args], ['workbench.action.openSettings', ['maildesk.ai.enabled']]);
  });

  it('refuses an index it did not hand out, and a message that names a command', async () => {
    const { actions } = await view();
    for (const bad of [-1, actions.length, 1.5, '0', NaN, undefined, null]) assert.equal(resolveAction(actions, bad), undefined, `index ${String(bad)}`);
    assert.equal(resolveAction([{ title: 'x', command: 'workbench.action.terminal.new' }], 0), undefined);
    assert.equal(isAllowedActionCommand('maildesk.selectFolders'), true);
    assert.equal(isAllowedActionCommand('workbench.action.openSettings'), true);
    assert.equal(isAllowedActionCommand('workbench.action.terminal.sendSequence'), false);

    assert.deepEqual(parseTroubleshootMessage({ type: 'runAction', index: 2, command: 'workbench.action.terminal.new' }), { type: 'runAction', index: 2 });
    assert.equal(parseTroubleshootMessage({ type: 'runAction', index: -1 }), undefined);
    assert.equal(parseTroubleshootMessage({ type: 'runAction', index: '1' }), undefined);
    assert.equal(parseTroubleshootMessage({ type: 'executeCommand', command: 'x' }), undefined);
    assert.equal(parseTroubleshootMessage({ type: 'setIncludeAddresses', value: 'yes' }), undefined);
    assert.deepEqual(parseTroubleshootMessage({ type: 'setIncludeAddresses', value: true }), { type: 'setIncludeAddresses', value: true });
    assert.equal(parseTroubleshootMessage('runAgain'), undefined);
  });

  it('VS Code settings flattened the way the checks read them: a feature switch off turns ai.switches to warn', async () => {
    // What JSON.stringify(getConfiguration('maildesk')) gives.
    const nested = { ai: { enabled: true, feature: { summarize: { enabled: true }, draft: { enabled: false }, check: { enabled: true } } }, sync: { intervalSeconds: 120, idle: true } };
    const flat = flattenSettings(nested);
    assert.equal(flat['maildesk.ai.feature.draft.enabled'], false);
    assert.equal(flat['maildesk.sync.intervalSeconds'], 120);
    const [ai] = (await runChecks(core, { checks: [aiSwitches], settings: flat, accounts: ['work'] }));
    assert.equal(ai.status, 'warn');
    assert.match(ai.detail, /"Draft from context" is unavailable/);
    assert.deepEqual(ai.action?.args, ['maildesk.ai.feature.draft.enabled']);
  });

  it('progress lines, report file names and the user\'s story', () => {
    const p: CheckProgress = { phase: 'done', check: 'incoming.connect', account: 'home', done: 3, total: 26, outcome: { id: 'incoming.connect', account: 'home', title: 't', status: 'fail', detail: '', remedy: '', section: '', ms: 1 } };
    assert.equal(progressLine(p), '3/26 incoming.connect [home]: FAILED');
    assert.equal(progressLine({ ...p, phase: 'start', outcome: undefined }), undefined);
    assert.deepEqual(reportPaths('/tmp/x/maildesk-support-report.md'), { md: '/tmp/x/maildesk-support-report.md', json: '/tmp/x/maildesk-support-report.json' });
    assert.deepEqual(reportPaths('/tmp/x/ticket-42'), { md: '/tmp/x/ticket-42.md', json: '/tmp/x/ticket-42.json' });
    assert.deepEqual(reportPaths('/tmp/x/r.JSON'), { md: '/tmp/x/r.md', json: '/tmp/x/r.json' });
    const now = new Date('2025-02-03T04:05:06.000Z');
    assert.deepEqual(userStory(undefined, undefined, now), {});
    assert.deepEqual(userStory('  ', '', now), {});
    assert.deepEqual(userStory(' new mail ', undefined, now), { expected: 'new mail', happened: undefined, when: '2025-02-03T04:05:06.000Z' });
  });

  it('Save report writes both files or neither: a full disk or a read-only folder leaves no half report and says what to do', async () => {
    const paths = { md: '/reports/r.md', json: '/reports/r.json' };
    const texts = { md: '# report', json: '{}' };
    const disk = (failOn: string | undefined, error: string) => {
      const files = new Map<string, string>();
      return {
        files,
        write: async (p: string, t: string) => {
          // A write that fails part-way leaves what it wrote, as a full disk does.
          files.set(p, p === failOn ? '' : t);
          if (p === failOn) throw new Error(error);
        },
        remove: async (p: string) => void files.delete(p),
      };
    };
    const ok = disk(undefined, '');
    await saveReportFiles(ok, paths, texts);
    assert.deepEqual([...ok.files], [['/reports/r.md', '# report'], ['/reports/r.json', '{}']]);
    const full = disk('/reports/r.json', 'ENOSPC: no space left on device, write');
    await assert.rejects(saveReportFiles(full, paths, texts), /^Error: The support report could not be saved in \/reports: the disk is full\. Nothing was left there; the report is still in this panel: use Copy report, or Save report to another folder\.$/);
    assert.equal(full.files.size, 0, 'no half report is left');
    const ro = disk('/reports/r.md', 'EROFS: read-only file system, open');
    await assert.rejects(saveReportFiles(ro, paths, texts), /could not be saved in \/reports: the folder is not writable/);
    assert.equal(ro.files.size, 0);
  });
});
