/**
 * `maildesk mcp`: the agent tools for any MCP client (Claude Desktop, Copilot CLI, Cursor, a
 * script) over stdio. stdout carries only MCP's JSON-RPC; logs and errors go to stderr.
 * Mail keeps syncing while the server runs, so the agent sees new mail. The AI switches
 * are read from the configuration file's `settings` at each call, so turning
 * `maildesk.ai.feature.tools.enabled` off takes effect without a restart.
 */
import * as fs from 'node:fs';
import type { Readable, Writable } from 'node:stream';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { toMailError } from '../../core/errors';
import type { EngineClient } from '../../engine/client';
import { engineAgent } from '../../engine/agentClient';
import { createAgentMcpServer } from '../../core/agent/mcpServer';
import { AGENT_TOOLS } from '../../core/agent/tools';
import { connectCli, loadConfig } from '../openCore';
import { maildeskVersion } from './doctor';

export interface McpArgs {
  config: string;
  dataDir: string;
  verbose?: boolean;
  /** Tests: other streams than the process's own. */
  stdin?: Readable;
  stdout?: Writable;
}

/** The configuration file's flat `maildesk.*` settings, read again when the file changes. */
export function fileSettings(file: string): () => Record<string, unknown> {
  let cached: { stamp: string; settings: Record<string, unknown> } | undefined;
  return () => {
    try {
      const st = fs.statSync(file);
      // A file replaced by a rename (as VS Code writes its switches) is a new inode, maybe within the same millisecond.
      const stamp = `${st.mtimeMs}:${st.ino}:${st.size}`;
      if (cached && cached.stamp === stamp) return cached.settings;
      const raw = JSON.parse(fs.readFileSync(file, 'utf8')) as { settings?: unknown };
      const settings = raw.settings && typeof raw.settings === 'object' ? (raw.settings as Record<string, unknown>) : {};
      cached = { stamp, settings };
      return settings;
    } catch {
      // Unreadable now (being saved): keep the last good settings; none at all means AI stays off.
      return cached?.settings ?? { 'maildesk.ai.enabled': false };
    }
  };
}

export async function mcpCommand(args: McpArgs, io: { err(s: string): void }): Promise<number> {
  let core: EngineClient | undefined;
  try {
    const cfg = loadConfig(args.config);
    // A client of the data folder's engine (or its host for this command's duration).
    core = await connectCli(cfg, { dataDir: args.dataDir, err: io.err, verbose: args.verbose });
    for (const a of cfg.accounts) {
      const folders = await core.request('folders/list', { accountId: a.id }).catch(() => []);
      if (folders.length) continue;
      await core.request('folders/list', { accountId: a.id, refresh: true }).catch((e) => io.err(`maildesk mcp: ${a.id}: ${toMailError(e).describe()}\n`));
    }
    const settings = fileSettings(args.config);
    const agent = engineAgent(core, settings);
    const server = createAgentMcpServer(agent, { version: maildeskVersion() });
    const stdin = args.stdin ?? process.stdin;
    const transport = new StdioServerTransport(stdin, args.stdout ?? process.stdout);
    const closed = new Promise<void>((resolve) => {
      transport.onclose = resolve;
      // The client closing the pipe is how an MCP stdio session ends.
      stdin.once('end', resolve);
      stdin.once('close', resolve);
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    await server.connect(transport);
    // Sync starts once the client is answered: the tools work on the store from the first call.
    await core.request('engine/startSync', {});
    await core.request('agent/registered', { input: { surface: 'cli', tools: AGENT_TOOLS.length, participant: false, mcpProvider: false }, settings: settings() });
    io.err(`maildesk mcp: serving ${cfg.accounts.length} account(s) on stdio\n`);
    await closed;
    await server.close().catch(() => undefined);
    return 0;
  } catch (e) {
    io.err(`maildesk mcp: ${toMailError(e).describe()}\n`);
    return toMailError(e).code.startsWith('config.') ? 2 : 1;
  } finally {
    if (core) await core.close().catch(() => undefined);
  }
}
