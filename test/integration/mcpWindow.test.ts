/**
 * The MCP server VS Code lists for MailDesk (1.101+): the command line the window's definition
 * gives (src/extension/agent/mcpDefinition.ts), run exactly as given from the files the VSIX
 * ships (`vsce ls`), joins the engine the window runs on its data folder. An SDK client lists the
 * tools and finds the window's mail; a draft reaches the server with the password only the
 * window has; the switches the window writes reach the running server; and nothing is sent.
 */
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { agentHosts } from '../../src/core/agent/mailbox';
import { runAgentTool } from '../../src/core/agent/tools';
import { engineAgent } from '../../src/engine/agentClient';
import { mcpServerLaunch, writeMcpSettings, type McpLaunch } from '../../src/extension/agent/mcpDefinition';
import { imapAccount, tempDir } from '../support/core';
import { requireDovecot, startDovecot, type Dovecot } from '../support/dovecot';
import { startEngineHere, stopEngineHere, type EngineHere } from '../support/engineHere';
import { rawMessage } from '../support/rawmail';
import { startSmtp, type SmtpServer } from '../support/smtp';

const ROOT = path.resolve(__dirname, '..', '..');

/** The extension as installed from its VSIX: only the files `vsce ls` packages. */
function installedExtension(dir: string): string {
  const files = execFileSync(path.join(ROOT, 'node_modules', '.bin', 'vsce'), ['ls', '--no-dependencies'], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, CI: 'true' } })
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  assert.ok(files.includes('package.json'), `vsce ls listed the package: ${files.slice(0, 5).join(', ')}`);
  for (const f of files) {
    fs.mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
    fs.copyFileSync(path.join(ROOT, f), path.join(dir, f));
  }
  return dir;
}

describe('the MCP server definition of a VS Code window (maildesk mcp on the window\'s engine)', function () {
  this.timeout(120_000);
  let dv: Dovecot;
  let smtp: SmtpServer;
  let dir: string;
  let dataDir: string;
  let here: EngineHere;
  let launch: McpLaunch;
  let client: Client | undefined;
  let stderr = '';

  async function call(name: string, args: Record<string, unknown>): Promise<{ text: string; isError: boolean; data: Record<string, unknown> }> {
    const r = (await client!.callTool({ name, arguments: args })) as { content: Array<{ text?: string }>; isError?: boolean; structuredContent?: Record<string, unknown> };
    return { text: r.content.map((c) => c.text ?? '').join('\n'), isError: r.isError === true, data: r.structuredContent ?? {} };
  }

  const serverDrafts = async (): Promise<string[]> => (await dv.messages('alice', 'Drafts')).map((m) => m.subject);

  before(async function () {
    requireDovecot(this);
    execFileSync(process.execPath, ['esbuild.mjs'], { cwd: ROOT, stdio: 'pipe' });
    dv = await startDovecot();
    smtp = await startSmtp();
    dir = tempDir('maildesk-mcp-window-');
    dataDir = path.join(dir, 'globalStorage');
    dv.seedMaildir('alice', 'INBOX', [
      { raw: rawMessage({ from: 'Hannah Weber <hannah@example.test>', to: 'alice@example.test', subject: 'Data migration plan', date: new Date(Date.UTC(2025, 2, 3, 9)), text: 'The cutover moves to Thursday night.\n' }) },
    ]);
    // The window: it hosts the engine of its data folder and keeps the password (SecretStorage).
    here = await startEngineHere(dataDir, { work: 'secret' });
    await here.client.request('accounts/add', { account: { ...imapAccount('work', dv.port, { user: 'alice', smtpPort: smtp.port }), name: 'Alice' } });
    const synced = await here.client.request('sync/once', { accountIds: ['work'] });
    assert.ok(synced.ok, synced.failed.map((j) => `${j.id}: ${j.errorMessage}`).join('; '));

    // What agent.ts does at registration and in provideMcpServerDefinitions.
    writeMcpSettings(dataDir, { 'maildesk.ai.enabled': true, 'maildesk.oauth.google.clientId': 'not-for-the-cli', 'maildesk.ai.openai.url': 'http://127.0.0.1:1' });
    launch = mcpServerLaunch({ execPath: process.execPath, extensionPath: installedExtension(path.join(dir, 'extension')), dataDir });
  });

  after(async () => {
    await client?.close().catch(() => undefined);
    await stopEngineHere(here);
    await smtp?.stop();
    await dv?.dispose();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('runs the installed extension\'s CLI with the window\'s data folder, and hands on only the AI switches', () => {
    assert.ok(fs.existsSync(launch.args[0]), `${launch.args[0]} is in the installed extension`);
    assert.deepEqual(launch.args.slice(1), ['--data', dataDir, '--config', path.join(dataDir, 'mcp-settings.json'), 'mcp']);
    const written = JSON.parse(fs.readFileSync(launch.args[4], 'utf8')) as { accounts: unknown[]; settings: Record<string, unknown> };
    assert.deepEqual(written.accounts, []);
    assert.deepEqual(written.settings, { 'maildesk.ai.enabled': true });
  });

  it('an MCP client running exactly that command lists the tools and reads the window\'s mail through the window\'s engine', async () => {
    // What registerAgent tells the engine for Troubleshoot.
    await here.client.request('agent/registered', { input: { surface: 'vscode', tools: 8, participant: true, mcpProvider: true }, settings: {} });
    // No password in its environment: only the window has it.
    const transport = new StdioClientTransport({ command: launch.command, args: launch.args, env: launch.env, stderr: 'pipe' });
    transport.stderr?.on('data', (d) => (stderr += String(d)));
    client = new Client({ name: 'vscode-mcp-test', version: '1.0.0' });
    await client.connect(transport);

    const { tools } = await client.listTools();
    assert.deepEqual(tools.map((t) => t.name), ['search_mail', 'read_thread', 'list_unread', 'list_folders', 'draft_reply', 'draft_message', 'mark', 'archive']);
    // The same engine: hosted in this process (the window), now with the MCP server as its second client.
    const status = await here.client.request('engine/status', {});
    assert.equal(status.pid, process.pid);
    assert.equal(status.clients, 2, `the MCP server joined the window's engine (stderr: ${stderr})`);
    // Troubleshoot still sees the window's registration beside the MCP server's.
    for (let i = 0; i < 50 && agentHosts(here.engine.hostedCore.store).length < 2; i++) await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(agentHosts(here.engine.hostedCore.store).map((h) => h.surface).sort(), ['cli', 'vscode']);

    const found = await call('search_mail', { query: 'from:hannah' });
    assert.equal(found.isError, false, found.text);
    const hits = found.data.messages as Array<{ id: string; subject: string; account: string }>;
    assert.deepEqual(hits.map((h) => [h.account, h.subject]), [['work', 'Data migration plan']]);

    // Saving the server copy needs the IMAP password, which only the window can answer.
    const draft = await call('draft_reply', { id: hits[0].id, body: 'Thursday works.' });
    assert.equal(draft.isError, false, draft.text);
    assert.equal(draft.data.server, 'saved', draft.text);
    assert.deepEqual(await serverDrafts(), ['Re: Data migration plan']);
    assert.equal(smtp.attempts, 0, 'nothing was sent');
  });

  it('obeys the switches the window writes, without a restart', async () => {
    writeMcpSettings(dataDir, { 'maildesk.ai.feature.tools.enabled': false });
    const off = await call('search_mail', { query: 'from:hannah' });
    assert.equal(off.isError, true, off.text);
    assert.match(off.text, /MailDesk tools are turned off \(setting maildesk\.ai\.feature\.tools\.enabled\)/);
    assert.doesNotMatch(off.text, /migration/i);

    writeMcpSettings(dataDir, { 'maildesk.ai.account.work.enabled': false });
    const hidden = await call('list_folders', {});
    assert.equal(hidden.isError, true, hidden.text);
    assert.match(hidden.text, /No mailbox is available/);

    writeMcpSettings(dataDir, {});
    assert.equal((await call('search_mail', { query: 'from:hannah' })).isError, false);
  });

  it('applies each client\'s own switches to its own calls, also when they reach the engine together', async () => {
    // The window has the tools on; the MCP server's switches (another window's, say) have them off.
    writeMcpSettings(dataDir, { 'maildesk.ai.feature.tools.enabled': false });
    const window = engineAgent(here.client, () => ({ 'maildesk.ai.enabled': true }));
    const [mine, theirs] = await Promise.all([
      // Free words: each search also asks the server, so the engine interleaves the calls.
      Promise.all(Array.from({ length: 8 }, () => runAgentTool(window, 'search_mail', { query: 'thursday' }, 'test window'))),
      Promise.all(Array.from({ length: 8 }, () => call('search_mail', { query: 'thursday' }))),
    ]);
    for (const r of mine) assert.match(r.text, /Data migration plan/);
    for (const r of theirs) {
      assert.equal(r.isError, true, r.text);
      assert.doesNotMatch(r.text, /migration/i);
    }
    writeMcpSettings(dataDir, {});
  });

  it('leaves the window\'s engine serving the window when the MCP client goes', async () => {
    await client!.close();
    client = undefined;
    for (let i = 0; i < 50 && (await here.client.request('engine/status', {})).clients !== 1; i++) await new Promise((r) => setTimeout(r, 100));
    assert.equal((await here.client.request('engine/status', {})).clients, 1);
    const folders = await here.client.request('folders/list', { accountId: 'work' });
    assert.ok(folders.some((f) => f.path === 'INBOX'));
  });
});
