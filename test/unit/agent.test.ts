import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { agentAccess } from '../../src/core/agent/access';
import { agentManifest } from '../../src/core/agent/manifest';
import { AgentMailbox, type AgentCore } from '../../src/core/agent/mailbox';
import { parseAgentQuery, parseDay } from '../../src/core/agent/query';
import { AGENT_TOOLS, runAgentTool, type AgentMailDesk } from '../../src/core/agent/tools';
import type { MailProvider } from '../../src/core/providers/provider';
import { type IncomingMessage, MailStore } from '../../src/core/store/store';
import { agentTools } from '../../src/core/diagnostics/checks/agent';
import { runChecks } from '../../src/core/diagnostics/runner';
import { MailDesk } from '../../src/core/maildesk';

const NOW = new Date(2025, 2, 15, 14, 30).getTime();
const day = (y: number, m: number, d: number) => new Date(y, m - 1, d).getTime();

describe('agent tools: query language', () => {
  it('sends free words and from:/to:/subject: to the full-text index, fields also kept for checking', () => {
    const q = parseAgentQuery('from:hannah migration subject:"data plan" to:alice@example.test', NOW);
    assert.equal(q.text, 'from:hannah migration subject:data subject:plan to:alice@example.test');
    assert.deepEqual(q.words, ['migration']);
    assert.deepEqual(q.fields, { from: ['hannah'], to: ['alice@example.test'], subject: ['data', 'plan'] });
  });

  it('turns after:, before:, is:, has: and in: into filters', () => {
    const q = parseAgentQuery('is:unread has:attachment in:"Lists/Rust" after:2025-03-01 before:2025/3/10 invoice', NOW);
    assert.equal(q.text, 'invoice');
    assert.equal(q.unread, true);
    assert.equal(q.hasAttachment, true);
    assert.equal(q.folder, 'Lists/Rust');
    assert.equal(q.after, day(2025, 3, 1));
    assert.equal(q.before, day(2025, 3, 10));
    assert.equal(parseAgentQuery('is:read', NOW).unread, false);
    assert.equal(parseAgentQuery('is:starred', NOW).flagged, true);
    assert.equal(parseAgentQuery('in:inbox', NOW).folder, 'inbox');
  });

  it('reads relative days from local midnight', () => {
    assert.equal(parseDay('today', NOW), day(2025, 3, 15));
    assert.equal(parseDay('yesterday', NOW), day(2025, 3, 14));
    assert.equal(parseDay('7d', NOW), day(2025, 3, 8));
    assert.equal(parseDay('2w', NOW), day(2025, 3, 1));
    assert.equal(parseDay('1m', NOW), day(2025, 2, 15));
    assert.equal(parseDay('1y', NOW), day(2024, 3, 15));
    assert.equal(parseDay('2025-02-31', NOW), undefined, 'no rolling over into March');
    assert.equal(parseDay('soon', NOW), undefined);
  });

  it('keeps words that only look like operators as text, and quoted phrases as words', () => {
    const q = parseAgentQuery('re:budget 10:30 "data migration"', NOW);
    assert.deepEqual(q.words, ['re:budget', '10:30', 'data', 'migration']);
    assert.equal(q.unread, undefined);
  });

  it('names the part to fix when it cannot understand a query', () => {
    assert.throws(() => parseAgentQuery('after:someday', NOW), /"after:someday" is not a date: write after:2025-03-31/);
    assert.throws(() => parseAgentQuery('is:important', NOW), /use is:unread, is:read or is:flagged/);
    assert.throws(() => parseAgentQuery('has:link', NOW), /use has:attachment/);
    assert.throws(() => parseAgentQuery('from:', NOW), /"from:" needs a value/);
    assert.throws(() => parseAgentQuery('after:2025-03-10 before:2025-03-01', NOW), /"after:" must be earlier than "before:"/);
  });
});

describe('agent tools: switches', () => {
  const acc = (id: string, config: Record<string, unknown> = {}) => ({ id, config: { id, provider: 'imap', email: `${id}@example.test`, ...config } }) as never;

  it('are on by default, and off only where a switch is explicitly off', () => {
    assert.deepEqual(agentAccess({}, [acc('a'), acc('b')]).visible.map((a: { id: string }) => a.id), ['a', 'b']);
    for (const off of [false, 0, '0', 'false']) {
      const r = agentAccess({ 'maildesk.ai.enabled': off }, [acc('a')]);
      assert.equal(r.enabled, false);
      assert.equal(r.setting, 'maildesk.ai.enabled');
      assert.deepEqual(r.visible, []);
    }
    const f = agentAccess({ maildesk: { ai: { feature: { tools: { enabled: false } } } } }, [acc('a')]);
    assert.equal(f.enabled, false, 'nested settings as VS Code returns them');
    assert.match(f.reason, /maildesk\.ai\.feature\.tools\.enabled/);
    assert.equal(agentAccess({ 'maildesk.ai.feature.summarize.enabled': false }, [acc('a')]).visible.length, 1, "another feature's switch does not matter");
  });

  it('leave out a mailbox whose "Enable AI features" is off (setting or account config), and say when none is left', () => {
    const r = agentAccess({ 'maildesk.ai.account.b.enabled': false }, [acc('a'), acc('b'), acc('c', { aiEnabled: false })]);
    assert.deepEqual(r.visible.map((a: { id: string }) => a.id), ['a']);
    assert.deepEqual(r.hidden.map((h) => h.id), ['b', 'c']);
    const none = agentAccess({ 'maildesk.ai.account.a.enabled': false }, [acc('a')]);
    assert.equal(none.visible.length, 0);
    assert.match(none.reason, /No mailbox is available to MailDesk tools/);
  });
});

describe('agent tools: one definition', () => {
  it("package.json's languageModelTools, participant and MCP provider are generated from it (npx tsx scripts/agent-manifest.ts)", () => {
    // package.json names its words as "%key%" (package.nls.json holds the English).
    const nls = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'package.nls.json'), 'utf8')) as Record<string, string>;
    const english = (_k: string, v: unknown): unknown => (typeof v === 'string' && /^%.+%$/.test(v) ? (nls[v.slice(1, -1)] ?? v) : v);
    const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8'), english) as { contributes: Record<string, unknown> };
    const m = agentManifest();
    for (const key of Object.keys(m)) assert.deepEqual(pkg.contributes[key], m[key], `contributes.${key} differs from src/core/agent: run npx tsx scripts/agent-manifest.ts, then node scripts/package-nls.mjs`);
    const settings = (pkg.contributes.configuration as { properties: Record<string, unknown> }).properties ?? (pkg.contributes.configuration as Array<{ properties: Record<string, unknown> }>)[0].properties;
    assert.ok(settings['maildesk.ai.feature.tools.enabled'], 'the tools have their own switch');
  });

  it('every changing tool asks for confirmation and says it is not read-only; none sends or deletes', () => {
    for (const t of AGENT_TOOLS) {
      assert.equal(!!t.confirm, !t.annotations.readOnlyHint, `${t.name}: confirmation iff it changes something`);
      assert.doesNotMatch(t.name, /send|delete|remove/);
    }
  });

  it('runAgentTool answers bad input and unknown tools with a message, and notes every call without content', async () => {
    const recorded: Array<{ client: string; tool: string; ok: boolean }> = [];
    const md = { agentRecordCall: async (c: { client: string; tool: string; ok: boolean }) => void recorded.push(c) } as unknown as AgentMailDesk;
    const bad = await runAgentTool(md, 'read_thread', { nope: 1 }, 'test');
    assert.equal(bad.isError, true);
    assert.match(bad.text, /The input of read_thread is not valid: id:/);
    const unknown = await runAgentTool(md, 'send_mail', {}, 'test');
    assert.equal(unknown.isError, true);
    assert.deepEqual(recorded, [{ client: 'test', tool: 'read_thread', ok: false }]);
  });
});

describe('agent tools: local search and changes', () => {
  let store: MailStore;
  let box: AgentMailbox;
  let settings: Record<string, unknown>;
  const flagged: Array<[number, number, string[], string[]]> = [];
  const moved: Array<[number, number, string]> = [];

  const msg = (uid: number, extra: Partial<IncomingMessage>): IncomingMessage => ({
    providerId: `p${uid}`,
    uid,
    messageId: `<m${uid}@example.test>`,
    subject: `Message ${uid}`,
    from: { name: 'Bob', address: 'bob@example.test' },
    to: [{ address: 'a@example.test' }],
    date: new Date(2025, 2, uid).getTime(),
    flags: ['\\Seen'],
    ...extra,
  });

  beforeEach(async () => {
    flagged.length = 0;
    moved.length = 0;
    settings = {};
    store = await MailStore.open({});
    for (const id of ['a', 'b']) {
      store.upsertAccount({ id, provider: 'imap', email: `${id}@example.test`, imap: { host: '127.0.0.1', port: 1, security: 'none', user: id } });
      store.upsertFolders(id, [{ path: 'INBOX', name: 'Inbox', role: 'inbox' }, { path: 'Archive', name: 'Archive', role: 'archive' }, { path: 'Trash', name: 'Trash', role: 'trash' }], () => true);
    }
    const inbox = store.getFolder('a', 'INBOX')!.id;
    store.upsertMessages(inbox, [
      msg(1, { subject: 'Invoice March', from: { name: 'Billing', address: 'billing@vendor.example' }, flags: [], hasAttachments: true }),
      msg(2, { subject: 'Lunch' }),
      msg(3, { subject: 'Invoice February', flags: ['\\Seen', '\\Flagged'] }),
    ]);
    store.upsertMessages(store.getFolder('a', 'Trash')!.id, [msg(4, { subject: 'Invoice old spam' })]);
    store.upsertMessages(store.getFolder('b', 'INBOX')!.id, [msg(5, { providerId: 'q5', subject: 'Invoice for b', flags: [] })]);
    const core: AgentCore = {
      store,
      messageSource: () => Promise.reject(new Error('not used')),
      setFlags: (m, f, add, remove) => void flagged.push([m, f, add, remove]),
      moveMessage: (m, f, to) => void moved.push([m, f, to]),
      saveDraft: () => Promise.reject(new Error('not used')),
      provider: () => ({}) as MailProvider,
    };
    box = new AgentMailbox(core, () => settings);
  });
  afterEach(() => store.close());

  const subjects = async (query: string, account?: string) => (await box.search({ query, account })).messages.map((m) => m.subject);

  it('combines words with filters, newest first, leaving Trash out unless asked', async () => {
    assert.deepEqual(await subjects('invoice'), ['Invoice for b', 'Invoice February', 'Invoice March']);
    assert.deepEqual(await subjects('invoice', 'a'), ['Invoice February', 'Invoice March']);
    assert.deepEqual(await subjects('invoice is:unread', 'a@example.test'), ['Invoice March']);
    assert.deepEqual(await subjects('is:flagged'), ['Invoice February']);
    assert.deepEqual(await subjects('has:attachment'), ['Invoice March']);
    assert.deepEqual(await subjects('from:billing'), ['Invoice March']);
    assert.deepEqual(await subjects('invoice in:trash'), ['Invoice old spam']);
    assert.deepEqual(await subjects(`after:2025-03-02 before:2025-03-04 in:inbox`, 'a'), ['Invoice February', 'Lunch']);
    await assert.rejects(box.search({ query: 'in:Nowhere' }), /no folder "Nowhere"; the folders are: Archive, INBOX, Trash/);
    await assert.rejects(box.search({ query: '  ' }), /the query is empty/);
  });

  it('a mailbox with AI off is neither searched nor reachable by id', async () => {
    settings = { 'maildesk.ai.account.b.enabled': false };
    assert.deepEqual(await subjects('invoice'), ['Invoice February', 'Invoice March']);
    await assert.rejects(box.search({ query: 'invoice', account: 'b' }), /there is no mailbox "b"; the mailboxes are: a \(a@example\.test\)/);
    const bId = String(store.messages.idByProviderId('b', 'q5')!);
    const r = await box.mark({ ids: [bId], action: 'read' });
    assert.equal(r[0].ok, false);
    assert.match(r[0].detail, /there is no message/);
    await assert.rejects(box.readThread({ id: bId }), /there is no message/);
    assert.deepEqual(flagged, []);
    assert.deepEqual((await box.listFolders({})).map((m) => m.account), ['a']);
  });

  it('marks and archives through the core, from the Inbox to the archive-role folder', async () => {
    const [hit] = (await box.search({ query: 'subject:march' })).messages;
    const inbox = store.getFolder('a', 'INBOX')!.id;
    assert.deepEqual(await box.mark({ ids: [hit.id], action: 'flag' }), [{ id: hit.id, ok: true, detail: 'marked flag' }]);
    assert.deepEqual(flagged, [[Number(hit.id), inbox, ['\\Flagged'], []]]);
    assert.deepEqual(await box.archive({ ids: [hit.id, 'x'] }), [
      { id: hit.id, ok: true, detail: 'moved from INBOX to Archive' },
      { id: 'x', ok: false, detail: '"x" is not a message id: use an id from search_mail or list_unread' },
    ]);
    assert.deepEqual(moved, [[Number(hit.id), inbox, 'Archive']]);
    await assert.rejects(box.mark({ ids: [hit.id], action: 'delete' as never }), /"delete" is not an action/);
  });

  it('lists unread mail per folder, newest first (not again under All Mail), and keeps a call log without content', async () => {
    store.upsertFolders('a', [{ path: '[Gmail]/All Mail', name: 'All Mail', role: 'all' }], () => true);
    store.upsertMessages(store.getFolder('a', '[Gmail]/All Mail')!.id, [msg(1, { subject: 'Invoice March', flags: [] })]);
    const u = await box.listUnread({});
    assert.deepEqual(u.map((f) => [f.account, f.folder, f.unread, f.messages.map((m) => m.subject)]), [
      ['a', 'INBOX', 1, ['Invoice March']],
      ['b', 'INBOX', 1, ['Invoice for b']],
    ]);
    box.recordCall('MCP: test', 'search_mail', true, 1000);
    box.recordCall('MCP: test', 'search_mail', false, 2000);
    box.recordCall('VS Code chat', 'read_thread', true, 3000);
    assert.deepEqual(box.calls(), [
      { client: 'VS Code chat', tool: 'read_thread', calls: 1, errors: 0, lastAt: 3000, lastOk: true },
      { client: 'MCP: test', tool: 'search_mail', calls: 2, errors: 1, lastAt: 2000, lastOk: false },
    ]);
  });
});

describe('Troubleshoot: agent.tools', () => {
  let core: MailDesk;
  beforeEach(async () => {
    core = await MailDesk.open({ credentials: { password: async () => 'x' } });
    core.store.upsertAccount({ id: 'w', provider: 'imap', email: 'w@example.test', imap: { host: '127.0.0.1', port: 1, security: 'none', user: 'w' } });
  });
  afterEach(() => core.close());
  const run = async (settings: Record<string, unknown>) => (await runChecks(core, { checks: [agentTools], settings }))[0];

  it('passes with where the tools are registered and who called them, without any content', async () => {
    const none = await run({});
    assert.equal(none.status, 'pass');
    assert.match(none.detail, /not registered in VS Code on this data folder yet.*no agent has called them yet/);
    await core.agentRegistered({ surface: 'vscode', tools: 8, participant: true, mcpProvider: false });
    await core.agentRecordCall({ client: 'VS Code chat', tool: 'search_mail', ok: true });
    await core.agentRecordCall({ client: 'MCP: Claude Desktop 1.0', tool: 'read_thread', ok: false });
    const r = await run({});
    assert.equal(r.status, 'pass');
    assert.match(r.detail, /VS Code: 8 language model tool\(s\), @maildesk chat participant/);
    assert.match(r.detail, /recent callers: MCP: Claude Desktop 1\.0: read_thread ×1 \(1 refused or failed\); VS Code chat: search_mail ×1/);
  });

  it('keeps the window\'s registration when a `maildesk mcp` joins its engine', async () => {
    await core.agentRegistered({ surface: 'vscode', tools: 8, participant: false, mcpProvider: true });
    await new Promise((r) => setTimeout(r, 5));
    await core.agentRegistered({ surface: 'cli', tools: 8, participant: false, mcpProvider: false });
    const r = await run({});
    assert.match(r.detail, /`maildesk mcp`: 8 tools \(registered [^)]+\); VS Code: 8 language model tool\(s\), no chat participant \(this VS Code has no chat API\), MCP server definition provider/);
    // The record an older MailDesk kept (the last registration only) still reads.
    core.store.setSetting('agent.host', JSON.stringify({ surface: 'vscode', tools: 7, participant: true, mcpProvider: false, at: 1000 }));
    assert.match((await run({})).detail, /VS Code: 7 language model tool\(s\), @maildesk chat participant \(registered 1970-01-01T00:00:01Z\)/);
  });

  it('warns and names the setting when a switch keeps the tools from this mailbox', async () => {
    const off = await run({ 'maildesk.ai.feature.tools.enabled': false });
    assert.equal(off.status, 'warn');
    assert.match(off.detail, /MailDesk tools are turned off/);
    assert.deepEqual(off.action?.args, ['maildesk.ai.feature.tools.enabled']);
    const account = await run({ 'maildesk.ai.account.w.enabled': '0' });
    assert.equal(account.status, 'warn');
    assert.match(account.detail, /cannot see this mailbox: "Enable AI features" is off \(maildesk\.ai\.account\.w\.enabled\)/);
  });
});
