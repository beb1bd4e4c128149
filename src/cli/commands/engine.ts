/**
 * `maildesk engine`: hosts the engine of the data folder headless (sync on a server) until
 * SIGINT or SIGTERM. Every other command, and every VS Code window on this data folder,
 * connects to it. Passwords come from this process's environment, as for any command.
 * Exit 0 stopped (or handed over to a newer MailDesk), 1 another engine already runs.
 */
import * as fs from 'node:fs';
import type { MailDeskConfig } from '../../core/config';
import { toMailError } from '../../core/errors';
import { connectCli, loadConfig } from '../openCore';
import type { CommandIo } from './render';

export interface EngineArgs {
  dataDir: string;
  /** Configuration whose accounts are saved to the engine (optional: the store keeps them). */
  config?: string;
  verbose?: boolean;
}

export async function engineCommand(args: EngineArgs, io: CommandIo): Promise<number> {
  try {
    const cfg: MailDeskConfig | undefined = args.config && fs.existsSync(args.config) ? loadConfig(args.config) : undefined;
    const c = await connectCli(cfg, { dataDir: args.dataDir, err: io.err, verbose: args.verbose });
    if (!c.hosting) {
      const pid = c.engineInfo?.pid;
      await c.close();
      io.err(`maildesk: an engine already runs for ${args.dataDir}${pid ? ` (process ${pid})` : ''}; commands and windows use it. Stop it first to run one here.\n`);
      return 1;
    }
    const stopped = new Promise<string>((resolve) => {
      c.onHostedEngineStopped(resolve);
      process.once('SIGINT', () => resolve('interrupted'));
      process.once('SIGTERM', () => resolve('terminated'));
    });
    await c.request('engine/startSync', {});
    // Every account now (folder lists first), not at its next scheduled run.
    await c.request('sync/now', {});
    io.err(`maildesk: engine running for ${args.dataDir} (process ${process.pid}); stop with Ctrl+C\n`);
    const why = await stopped;
    await c.close();
    io.err(`maildesk: engine stopped: ${why}\n`);
    return 0;
  } catch (e) {
    io.err(`maildesk: ${toMailError(e).describe()}\n`);
    return 1;
  }
}
