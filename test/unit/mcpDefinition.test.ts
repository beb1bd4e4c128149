/**
 * The MCP server definition a VS Code window offers (src/extension/agent/mcpDefinition.ts): the
 * extension's own CLI, run by the extension host's runtime as Node, on the window's data folder,
 * with a settings file that holds the AI switches and nothing else, which the CLI re-reads.
 * test/integration/mcpWindow.test.ts runs the command against a window's engine.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { fileSettings } from '../../src/cli/commands/mcp';
import { loadConfig } from '../../src/cli/openCore';
import { agentSwitches } from '../../src/core/agent/switches';
import { CLI_BUNDLE, mcpServerLaunch, mcpSettingsFile, writeMcpSettings } from '../../src/extension/agent/mcpDefinition';

const ROOT = path.resolve(__dirname, '..', '..');

describe('the MCP server definition of a window', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'maildesk-mcpdef-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('runs the bundled CLI with the host runtime as Node, on the window\'s data folder', () => {
    const dataDir = path.join(dir, 'globalStorage', 'maildesk.maildesk');
    const l = mcpServerLaunch({ execPath: '/opt/VS Code/code', extensionPath: '/ext/maildesk-0.1.0', dataDir });
    assert.equal(l.label, 'MailDesk');
    assert.equal(l.command, '/opt/VS Code/code');
    assert.deepEqual(l.env, { ELECTRON_RUN_AS_NODE: '1' });
    assert.deepEqual(l.args, [path.join('/ext/maildesk-0.1.0', 'dist', 'cli.js'), '--data', dataDir, '--config', mcpSettingsFile(dataDir), 'mcp']);
    // The CLI reads them as its global options and the mcp command (src/cli/main.ts).
    const parsed = parseArgs({ args: l.args.slice(1), allowPositionals: true, options: { data: { type: 'string' }, config: { type: 'string' } } });
    assert.deepEqual({ ...parsed.values }, { data: dataDir, config: mcpSettingsFile(dataDir) });
    assert.deepEqual(parsed.positionals, ['mcp']);
  });

  it('with a CLI configuration set, runs that configuration on the CLI\'s own data folder', () => {
    const l = mcpServerLaunch({ execPath: 'node', extensionPath: '/ext', dataDir: '/data', configFile: ' /home/a/maildesk.config.json ' });
    assert.deepEqual(l.args, [path.join('/ext', 'dist', 'cli.js'), '--config', '/home/a/maildesk.config.json', 'mcp']);
    assert.equal(mcpServerLaunch({ execPath: 'node', extensionPath: '/ext', dataDir: '/data', configFile: '  ' }).args[1], '--data', 'a blank setting is no setting');
  });

  it('points at a file the package ships, beside the engine worker it starts', () => {
    const shipped = fs.readFileSync(path.join(ROOT, '.vscodeignore'), 'utf8').split('\n');
    for (const f of [CLI_BUNDLE, path.join('dist', 'engineWorker.js'), path.join('dist', 'sql-wasm.js'), path.join('dist', 'sql-wasm.wasm')]) {
      assert.ok(shipped.includes(`!${f.split(path.sep).join('/')}`), `.vscodeignore ships ${f}`);
    }
  });

  it('hands the CLI only the AI switches, as a configuration it loads and re-reads', () => {
    const settings = {
      'maildesk.ai.enabled': true,
      'maildesk.ai.feature.tools.enabled': true,
      'maildesk.ai.feature.summarize.enabled': false,
      'maildesk.ai.account.work.enabled': false,
      'maildesk.ai.account.alice@example.test.enabled': true,
      'maildesk.ai.openai.url': 'https://llm.example.test',
      'maildesk.oauth.google.clientId': 'client-id',
      'maildesk.agent.mcpServer.configFile': '',
    };
    const want = { 'maildesk.ai.enabled': true, 'maildesk.ai.feature.tools.enabled': true, 'maildesk.ai.account.work.enabled': false, 'maildesk.ai.account.alice@example.test.enabled': true };
    assert.deepEqual(agentSwitches(settings), want);
    writeMcpSettings(dir, settings);
    const file = mcpSettingsFile(dir);
    assert.deepEqual(loadConfig(file).accounts, [], 'a configuration without accounts: they are the engine\'s');
    const read = fileSettings(file);
    assert.deepEqual(read(), want);
    assert.doesNotMatch(fs.readFileSync(file, 'utf8'), /client-id|llm\.example/);
    // Rewritten at once (a rename, possibly in the same millisecond): the next call sees it.
    writeMcpSettings(dir, { 'maildesk.ai.feature.tools.enabled': false });
    assert.deepEqual(read(), { 'maildesk.ai.feature.tools.enabled': false });
    assert.deepEqual(fs.readdirSync(dir), ['mcp-settings.json'], 'no temporary file is left');
  });
});
