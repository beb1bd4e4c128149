/**
 * `maildesk mcp` as an MCP client sees it: the SDK's Client spawns the built CLI against
 * Dovecot and the SMTP sink, lists the tools and calls every one. Drafts land in the
 * server's Drafts and nothing is sent; a mailbox with AI off is invisible; with the tools'
 * switch or the global AI switch off every call says so and returns no mail.
 */
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { main } from '../../src/cli/main';
import { MailStore } from '../../src/core/store/store';
import { agentCalls } from '../../src/core/agent/mailbox';
import { requireDovecot, startDovecot, type Dovecot } from '../support/dovecot';
import { tempDir } from '../support/core';
import { rawMessage } from '../support/rawmail';
import { startSmtp, type SmtpServer } from '../support/smtp';
import { BOBS_PRIVATE, HANNAHS_PLAN } from '../support/agentMail';

const ROOT = path.resolve(__dirname, '..', '..');
const PW = 'MAILDESK_MCP_TEST_PW';

interface CallResult {
  text: string;
  isError: boolean;
  data: Record<string, unknown>;
}

describe('maildesk mcp (MCP client against the built CLI)', function () {
  this.timeout(120_000);
  let dv: Dovecot;
  let smtp: SmtpServer;
  let dir: string;
  let configFile: string;
  let dataDir: string;
  let client: Client;
  let stderr = '';
  const transportErrors: Error[] = [];

  const writeConfig = (settings: Record<string, unknown>): void => {
    const server = (user: string, port: number) => ({ host: '127.0.0.1', port, security: 'none', user, passwordEnv: PW });
    fs.writeFileSync(
      configFile,
      JSON.stringify({
        accounts: [
          { id: 'work', email: 'alice@example.test', name: 'Alice', imap: server('alice', dv.port), smtp: server('alice', smtp.port) },
          { id: 'private', email: 'bob@example.test', imap: server('bob', dv.port), smtp: server('bob', smtp.port) },
        ],
        settings,
      }),
    );
    // The server re-reads the file when its modification time changes: make sure it does.
    const t = new Date(Date.now() + Math.floor(Math.random() * 1000) * 1000);
    fs.utimesSync(configFile, t, t);
  };

  async function call(name: string, args: Record<string, unknown>): Promise<CallResult> {
    const r = (await client.callTool({ name, arguments: args })) as { content: Array<{ type: string; text?: string }>; isError?: boolean; structuredContent?: Record<string, unknown> };
    return { text: r.content.map((c) => c.text ?? '').join('\n'), isError: r.isError === true, data: r.structuredContent ?? {} };
  }

  const serverMessages = (user: string, folder: string) => dv.messages(user, folder);

  async function until(what: string, check: () => Promise<boolean>): Promise<void> {
    for (let i = 0; i < 100; i++) {
      if (await check()) return;
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.fail(`gave up waiting: ${what}`);
  }

  let migrationId = '';
  let invoiceId = '';

  before(async function () {
    requireDovecot(this);
    execFileSync(process.execPath, ['esbuild.mjs'], { cwd: ROOT, stdio: 'pipe' });
    dv = await startDovecot({ specialFolders: ['Archive'] });
    smtp = await startSmtp();
    dir = tempDir('maildesk-mcp-');
    dataDir = path.join(dir, 'data');
    configFile = path.join(dir, 'maildesk.config.json');
    writeConfig({ 'maildesk.ai.account.private.enabled': false });
    process.env[PW] = 'secret';
    dv.seedMaildir('alice', 'INBOX', [
      HANNAHS_PLAN,
      {
        raw: rawMessage({
          from: 'Billing <billing@vendor.example>',
          to: 'alice@example.test',
          subject: 'Invoice 4711',
          date: new Date(Date.UTC(2025, 2, 4, 9)),
          text: 'Please find the invoice attached.\n',
          attachments: [{ filename: 'invoice-4711.pdf', contentType: 'application/pdf', content: 'PDFBYTES-NOT-FOR-THE-AGENT' }],
        }),
      },
      {
        raw: rawMessage({ from: 'News <news@example.test>', to: 'alice@example.test', subject: 'Weekly digest', date: new Date(Date.UTC(2025, 2, 5, 9)), text: 'Nothing new.\n' }),
      },
    ]);
    dv.seedMaildir('bob', 'INBOX', [BOBS_PRIVATE]);
    let out = '';
    let err = '';
    const code = await main(['--config', configFile, '--data', dataDir, 'sync', '--once'], { out: (s) => (out += s), err: (s) => (err += s) });
    assert.equal(code, 0, `sync --once failed: ${out}${err}`);

    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [path.join(ROOT, 'dist', 'cli.js'), '--config', configFile, '--data', dataDir, 'mcp'],
      env: { ...(process.env as Record<string, string>), [PW]: 'secret' },
      stderr: 'pipe',
    });
    transport.stderr?.on('data', (d) => (stderr += String(d)));
    client = new Client({ name: 'maildesk-test', version: '1.0.0' });
    client.onerror = (e) => transportErrors.push(e);
    await client.connect(transport);
  });

  after(async () => {
    delete process.env[PW];
    await client?.close().catch(() => undefined);
    await smtp?.stop();
    await dv?.dispose();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('lists every tool, with read-only and changing tools told apart by their annotations', async () => {
    const { tools } = await client.listTools();
    assert.deepEqual(tools.map((t) => t.name), ['search_mail', 'read_thread', 'list_unread', 'list_folders', 'draft_reply', 'draft_message', 'mark', 'archive']);
    const byName = new Map(tools.map((t) => [t.name, t]));
    for (const n of ['search_mail', 'read_thread', 'list_unread', 'list_folders']) assert.equal(byName.get(n)!.annotations?.readOnlyHint, true, n);
    for (const n of ['draft_reply', 'draft_message', 'mark', 'archive']) assert.equal(byName.get(n)!.annotations?.readOnlyHint, false, n);
    assert.equal(byName.get('archive')!.annotations?.destructiveHint, true);
    assert.ok(!tools.some((t) => /send|delete/.test(t.name)), 'no tool sends or deletes');
    assert.deepEqual((byName.get('read_thread')!.inputSchema as { required?: string[] }).required, ['id']);
  });

  it('search_mail finds a seeded message by sender and by body text, and never mail of a mailbox with AI off', async () => {
    const bySender = await call('search_mail', { query: 'from:hannah' });
    assert.equal(bySender.isError, false, bySender.text);
    const hits = bySender.data.messages as Array<{ id: string; subject: string; account: string; from: string; date: string }>;
    assert.deepEqual(hits.map((h) => h.subject), ['Data migration plan'], 'only the work mailbox is searched');
    assert.equal(hits[0].account, 'work');
    assert.equal(hits[0].from, 'Hannah Weber <hannah@example.test>');
    assert.equal(hits[0].date, '2025-03-03T09:00:00.000Z');
    migrationId = hits[0].id;
    assert.match(bySender.text, new RegExp(`id ${migrationId} .*Data migration plan`));

    // Only in the body, which was never downloaded: the server's search finds it.
    const byBody = await call('search_mail', { query: 'zeppelin' });
    assert.equal(byBody.isError, false, byBody.text);
    assert.deepEqual((byBody.data.messages as Array<{ id: string }>).map((h) => h.id), [migrationId]);
    assert.doesNotMatch(byBody.text, /Private/);

    const filtered = await call('search_mail', { query: 'is:unread has:attachment in:inbox after:2025-03-04' });
    const f = filtered.data.messages as Array<{ id: string; subject: string }>;
    assert.deepEqual(f.map((h) => h.subject), ['Invoice 4711']);
    invoiceId = f[0].id;

    const named = await call('search_mail', { query: 'zeppelin', account: 'private' });
    assert.equal(named.isError, true);
    assert.match(named.text, /no mailbox "private"/);
    assert.doesNotMatch(named.text, /bob@example\.test/, 'a mailbox with AI off is not even named');

    const bad = await call('search_mail', { query: 'after:someday' });
    assert.equal(bad.isError, true);
    assert.match(bad.text, /not a date: write after:2025-03-31/);
  });

  it('read_thread returns the text without quoted history and signature, attachments by name only', async () => {
    const t = await call('read_thread', { id: migrationId });
    assert.equal(t.isError, false, t.text);
    assert.match(t.text, /the cutover of the zeppelin cluster moves to Thursday night/);
    assert.match(t.text, /From: Hannah Weber <hannah@example\.test>/);
    assert.doesNotMatch(t.text, /quokka/, 'quoted history is trimmed');
    assert.doesNotMatch(t.text, /Head of Platform Operations/, 'the signature is trimmed');

    const inv = await call('read_thread', { id: invoiceId });
    assert.match(inv.text, /Attachments \(names only\): invoice-4711\.pdf/);
    assert.doesNotMatch(JSON.stringify(inv), /PDFBYTES/, 'attachment contents are never read');

    const privateId = (await call('search_mail', { query: 'from:hannah' })).data.messages as Array<{ id: string }>;
    const guessed = String(Math.max(...privateId.map((m) => Number(m.id))) + 10);
    const other = await call('read_thread', { id: guessed });
    assert.equal(other.isError, true);
    for (let id = 1; id < 20; id++) {
      const r = await call('read_thread', { id: String(id) });
      assert.doesNotMatch(r.text, /Only for Bob/, `message ${id} of the mailbox with AI off was readable`);
    }
  });

  it('list_unread and list_folders show only the mailbox with AI on', async () => {
    const u = await call('list_unread', {});
    const folders = u.data.folders as Array<{ account: string; folder: string; unread: number; messages: Array<{ subject: string }> }>;
    assert.deepEqual(folders.map((f) => `${f.account}/${f.folder}`), ['work/INBOX']);
    assert.equal(folders[0].unread, 2);
    assert.deepEqual(folders[0].messages.map((m) => m.subject), ['Weekly digest', 'Invoice 4711'], 'newest first');

    const l = await call('list_folders', {});
    const boxes = l.data.mailboxes as Array<{ account: string; folders: Array<{ path: string; role: string | null }> }>;
    assert.deepEqual(boxes.map((b) => b.account), ['work']);
    assert.ok(boxes[0].folders.some((f) => f.path === 'Archive' && f.role === 'archive'));
    assert.doesNotMatch(l.text, /bob@example|private|passwordEnv|secret/i);
  });

  it('draft_reply saves exactly one draft on the server, updates it in place, and sends nothing', async () => {
    const r = await call('draft_reply', { id: migrationId, body: 'Thursday works for us. We pay Friday.' });
    assert.equal(r.isError, false, r.text);
    assert.equal(r.data.server, 'saved');
    assert.match(r.text, /NOT sent/);
    let drafts = await serverMessages('alice', 'Drafts');
    assert.equal(drafts.length, 1);
    assert.equal(drafts[0].subject, 'Re: Data migration plan');
    assert.match(drafts[0].text, /We pay Friday/);
    assert.match(drafts[0].text, /^In-Reply-To: <.+>/m);

    const again = await call('draft_reply', { id: migrationId, body: 'Thursday works. We pay on Friday morning.', draftId: r.data.draftId });
    assert.equal(again.data.draftId, r.data.draftId);
    drafts = await serverMessages('alice', 'Drafts');
    assert.equal(drafts.length, 1, 'the update replaced the server copy');
    assert.match(drafts[0].text, /Friday morning/);

    const m = await call('draft_message', { to: ['Carol <carol@example.test>'], subject: 'Lunch', body: 'Lunch on Tuesday?' });
    assert.equal(m.isError, false, m.text);
    drafts = await serverMessages('alice', 'Drafts');
    assert.deepEqual(drafts.map((d) => d.subject).sort(), ['Lunch', 'Re: Data migration plan']);
    assert.equal(smtp.received.length, 0, 'nothing reached the SMTP server');
    assert.equal(smtp.attempts, 0);
  });

  it('mark and archive change the server copy', async () => {
    const mk = await call('mark', { ids: [invoiceId], action: 'read' });
    assert.deepEqual(mk.data.results, [{ id: invoiceId, ok: true, detail: 'marked read' }]);
    await until('Invoice 4711 is \\Seen on the server', async () => (await serverMessages('alice', 'INBOX')).some((x) => x.subject === 'Invoice 4711' && x.flags.includes('\\Seen')));

    const digest = ((await call('search_mail', { query: 'subject:digest' })).data.messages as Array<{ id: string }>)[0].id;
    const ar = await call('archive', { ids: [digest] });
    assert.deepEqual(ar.data.results, [{ id: digest, ok: true, detail: 'moved from INBOX to Archive' }]);
    await until('Weekly digest is in Archive on the server', async () => (await serverMessages('alice', 'Archive')).some((x) => x.subject === 'Weekly digest'));
    assert.ok(!(await serverMessages('alice', 'INBOX')).some((x) => x.subject === 'Weekly digest'));
  });

  it('with the tools switch, the global AI switch or the mailbox\'s AI off, every call says so and returns no mail', async () => {
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ 'maildesk.ai.feature.tools.enabled': false }, /MailDesk tools are turned off \(setting maildesk\.ai\.feature\.tools\.enabled\)/],
      [{ 'maildesk.ai.enabled': false }, /AI is turned off for all mailboxes \(setting maildesk\.ai\.enabled\)/],
      [{ 'maildesk.ai.account.work.enabled': false, 'maildesk.ai.account.private.enabled': false }, /No mailbox is available to MailDesk tools/],
    ];
    for (const [settings, reason] of cases) {
      writeConfig(settings);
      const calls: Array<[string, Record<string, unknown>]> = [
        ['search_mail', { query: 'zeppelin' }],
        ['read_thread', { id: migrationId }],
        ['list_unread', {}],
        ['list_folders', {}],
        ['draft_reply', { id: migrationId, body: 'x' }],
        ['draft_message', { to: ['x@example.test'], subject: 'x', body: 'x' }],
        ['mark', { ids: [invoiceId], action: 'unread' }],
        ['archive', { ids: [invoiceId] }],
      ];
      for (const [name, args] of calls) {
        const r = await call(name, args);
        assert.equal(r.isError, true, `${name} ran with ${JSON.stringify(settings)}: ${r.text}`);
        assert.match(r.text, reason, name);
        assert.doesNotMatch(r.text, /Hannah|zeppelin cluster|Invoice|digest/, `${name} returned mail`);
      }
    }
    assert.equal((await serverMessages('alice', 'Drafts')).length, 2, 'no draft was saved while off');
    writeConfig({ 'maildesk.ai.account.private.enabled': false });
    assert.equal((await call('search_mail', { query: 'from:hannah' })).isError, false, 'back on without a restart');
  });

  it('stdout carried only MCP messages; the calls are noted for Troubleshoot by client and tool, without content', async () => {
    assert.deepEqual(transportErrors.map((e) => e.message), []);
    await client.close();
    const store = await MailStore.open({ dir: dataDir });
    try {
      const calls = agentCalls(store);
      const search = calls.find((c) => c.tool === 'search_mail');
      assert.ok(search, `no record of search_mail in ${JSON.stringify(calls)}; stderr: ${stderr}`);
      assert.match(search.client, /^MCP: maildesk-test/);
      assert.ok(search.calls >= 5);
      assert.ok(search.errors >= 3);
      assert.doesNotMatch(JSON.stringify(calls), /zeppelin|hannah|Friday/i, 'no input or answer is kept');
    } finally {
      store.close();
    }
  });
});
