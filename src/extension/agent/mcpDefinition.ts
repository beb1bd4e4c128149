/**
 * What VS Code's MCP server definition for MailDesk runs (VS Code 1.101+, src/extension/agent/agent.ts):
 * `maildesk mcp` from this extension's own files, as a client of the SAME engine as the window
 * (`--data` the window's data folder), so an MCP client in VS Code sees the window's mailboxes,
 * and the engine asks the window for passwords. No runtime import of 'vscode': unit and
 * integration tests build the definition and run exactly its command.
 *
 * The CLI takes its AI switches from a configuration file's `settings`, read at each call; the
 * window writes a file with its switches only (no accounts: those are the engine's), so turning
 * the tools off in VS Code's settings reaches a running `maildesk mcp` without a restart.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { agentSwitches } from '../../core/agent/switches';

/** The bundled CLI inside the extension (.vscodeignore ships it; it needs dist/engineWorker.js and sql.js beside it). */
export const CLI_BUNDLE = path.join('dist', 'cli.js');

/** The file in the window's data folder that holds the switches a `maildesk mcp` started from VS Code obeys. */
export function mcpSettingsFile(dataDir: string): string {
  return path.join(dataDir, 'mcp-settings.json');
}

export interface McpLaunch {
  label: string;
  command: string;
  args: string[];
  env: Record<string, string>;
}

export interface McpLaunchOptions {
  /** The runtime that runs the CLI: the extension host's own (`process.execPath`). */
  execPath: string;
  /** The installed extension's folder (`extensionUri.fsPath`). */
  extensionPath: string;
  /** The window's data folder (`globalStorageUri.fsPath`): the engine it is a client of. */
  dataDir: string;
  /** `maildesk.agent.mcpServer.configFile`: a CLI configuration, with the CLI's own data folder. */
  configFile?: string;
}

export function mcpServerLaunch(o: McpLaunchOptions): McpLaunch {
  const cli = path.join(o.extensionPath, CLI_BUNDLE);
  const configFile = o.configFile?.trim();
  // A user's CLI configuration brings its own accounts and passwords (environment variables), so it
  // keeps the CLI's own data folder: adding them to the window's mailboxes is not what it asked for.
  const args = configFile ? [cli, '--config', configFile, 'mcp'] : [cli, '--data', o.dataDir, '--config', mcpSettingsFile(o.dataDir), 'mcp'];
  // In desktop VS Code the extension host's runtime is Electron's: this makes it plain Node (a no-op for Node itself).
  return { label: 'MailDesk', command: o.execPath, args, env: { ELECTRON_RUN_AS_NODE: '1' } };
}

/**
 * Writes the switches the window's `maildesk mcp` obeys: only the agent's AI switches of `settings`
 * (flat `maildesk.*` keys), as a CLI configuration without accounts. Written whole and renamed into
 * place, so the CLI never reads half a file; unchanged content is not written again.
 */
export function writeMcpSettings(dataDir: string, settings: Record<string, unknown>): void {
  const file = mcpSettingsFile(dataDir);
  const text = `${JSON.stringify({ $comment: 'Written by MailDesk in VS Code for the maildesk mcp it starts: the AI switches of the window; the accounts are the engine\'s.', accounts: [], settings: agentSwitches(settings) }, null, 2)}\n`;
  try {
    if (fs.readFileSync(file, 'utf8') === text) return;
  } catch {
    // not written yet
  }
  fs.mkdirSync(dataDir, { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, text);
  fs.renameSync(tmp, file);
}
