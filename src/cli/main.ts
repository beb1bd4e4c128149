/**
 * `maildesk`: the same sync and checks as the extension, without VS Code.
 * Every failure ends as one line naming the problem and the fix, and a non-zero exit.
 */
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import type { AccountConfig, MailDeskConfig } from '../core/config';
import { describeError, MailError, toMailError } from '../core/errors';
import type { EngineClient } from '../engine/client';
import { fromWireError } from '../engine/wire';
import type { JobInfo, VerifyReportWire } from '../shared/protocol/engine';
import { connectCli, findAccount, loadConfig } from './openCore';
import { bodiesProgressText } from '../core/sync/bodiesProgress';
import { doctorCommand } from './commands/doctor';
import { renderCommand } from './commands/render';
import { sendCommand } from './commands/send';
import { licenceCommand } from './commands/licence';
import { showCommand } from './commands/show';
import { mcpCommand } from './commands/mcp';
import { engineCommand } from './commands/engine';
import type { MessageRow } from '../core/store/store';
import { TRIAGE_COMMANDS, triageCommand } from './commands/triage';

export const USAGE = `Usage: maildesk [--config FILE] [--data DIR] COMMAND [options]

Commands:
  sync [--account ID] [--once]            sync selected folders (--once: until in step, then exit)
  folders --account ID                    list folders with roles, selection and counts
  folders select|unselect --account ID PATH...
  list --account ID --folder PATH [--limit N]   messages, newest first
  backfill --account ID --folder PATH     deep fetch of a folder's whole history
  jobs [--account ID]                     scheduled jobs: last run, status, next run, error
  test-incoming --account ID              test the incoming (IMAP) server step by step
  test-outgoing --account ID              test the outgoing (SMTP) server step by step
  send --account ID --to ADDR [--cc ADDR] [--bcc ADDR] --subject S (--body TEXT | --eml FILE) [--attach FILE] [--confirm-resend]
                                          send through the outgoing server; a copy lands in Sent once
  licence status | licence verify KEY     MailDesk Pro licence (status reads MAILDESK_LICENCE_KEY)
  show --account ID --folder PATH --uid N print one message (headers and text)
  archive|delete|flag --account ID (--folder PATH --uid N[,N] | --message-id ID) [--permanent] [--off]
  move --account ID (--folder PATH --uid N | --message-id ID) --to PATH
  mark read|unread|spam|not-spam|all-read --account ID (--folder PATH [--uid N] | --message-id ID)
                                          triage here and on the server (delete: to Trash; --permanent: for good)
  render FILE.eml [--allow-remote]        print the sanitised HTML exactly as the thread view shows it
  doctor [--account ID] [--out DIR] [--expected TEXT] [--happened TEXT] [--include-addresses]
                                          run every Troubleshoot check and write the support report
  accounts                                accounts in the configuration
  mcp                                     serve MailDesk's agent tools to an MCP client on stdio (never sends mail)
  engine                                  run the engine of the data folder headless until stopped
                                          (every other command connects to it, or hosts one itself)

Options:
  --config FILE   configuration (default ./maildesk.config.json)
  --data DIR      data folder (default ${defaultDataDir()})
  --json          machine-readable output
  -v, --verbose   log to stderr
  -h, --help      this help
`;

export function defaultDataDir(): string {
  if (process.env.MAILDESK_DATA) return process.env.MAILDESK_DATA;
  if (process.platform === 'win32') return path.join(process.env.APPDATA ?? path.join(os.homedir(), 'AppData', 'Roaming'), 'MailDesk');
  if (process.platform === 'darwin') return path.join(os.homedir(), 'Library', 'Application Support', 'MailDesk');
  return path.join(process.env.XDG_DATA_HOME ?? path.join(os.homedir(), '.local', 'share'), 'maildesk');
}

class UsageError extends Error {}

/** Page sizes from MAILDESK_IMAP_FIRST_PAGE / MAILDESK_IMAP_PAGE_SIZE (tuning and tests); defaults otherwise. */
interface Io {
  out(s: string): void;
  err(s: string): void;
}

function pickAccount(cfg: MailDeskConfig, id: string | undefined, required: boolean): AccountConfig[] {
  if (!id) {
    if (required) throw new UsageError('--account ID is required');
    return cfg.accounts;
  }
  const a = findAccount(cfg, id);
  return [a];
}

function fmtDate(ms: number | null): string {
  return ms ? new Date(ms).toISOString().replace('T', ' ').slice(0, 19) : '-';
}

function messageJson(m: MessageRow): Record<string, unknown> {
  return {
    uid: m.uid,
    messageId: m.messageId,
    subject: m.subject,
    from: m.fromName ? `${m.fromName} <${m.fromAddr}>` : m.fromAddr,
    fromAddress: m.fromAddr,
    date: new Date(m.date).toISOString(),
    flags: m.flags,
    size: m.size,
    hasAttachments: m.hasAttachments,
    local: m.origin === 'local',
  };
}

function jobJson(j: JobInfo): Record<string, unknown> {
  return {
    id: j.id,
    account: j.accountId,
    folder: j.folderPath,
    kind: j.kind,
    status: j.status,
    lastRun: j.lastRun ? new Date(j.lastRun).toISOString() : null,
    lastSuccess: j.lastSuccess ? new Date(j.lastSuccess).toISOString() : null,
    nextRun: j.nextRun ? new Date(j.nextRun).toISOString() : null,
    attempts: j.attempts,
    error: j.errorMessage,
    errorCode: j.errorCode,
    progress: j.progress,
  };
}

function printVerify(io: Io, r: VerifyReportWire, json: boolean): void {
  if (json) {
    io.out(JSON.stringify({ ok: r.ok, server: r.server, steps: r.steps, capabilities: r.capabilities, error: r.error ? { code: r.error.code, message: r.error.message, remedy: r.error.remedy } : null }, null, 2) + '\n');
    return;
  }
  io.out(`${r.server}\n`);
  for (const s of r.steps) io.out(`  ${s.ok ? 'ok  ' : 'FAIL'} ${s.name.padEnd(12)} ${String(s.ms).padStart(5)} ms  ${s.detail}\n`);
  io.out(r.ok ? 'Passed.\n' : `Failed: ${fromWireError(r.error!).describe()}\n`);
}

export async function main(argv: string[], io: Io = { out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(s) }): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        config: { type: 'string' },
        data: { type: 'string' },
        account: { type: 'string' },
        folder: { type: 'string' },
        limit: { type: 'string' },
        once: { type: 'boolean' },
        json: { type: 'boolean' },
        verbose: { type: 'boolean', short: 'v' },
        help: { type: 'boolean', short: 'h' },
        out: { type: 'string' },
        expected: { type: 'string' },
        happened: { type: 'string' },
        'include-addresses': { type: 'boolean' },
        uid: { type: 'string' },
        to: { type: 'string', multiple: true },
        cc: { type: 'string', multiple: true },
        bcc: { type: 'string', multiple: true },
        attach: { type: 'string', multiple: true },
        subject: { type: 'string' },
        body: { type: 'string' },
        eml: { type: 'string' },
        'confirm-resend': { type: 'boolean' },
        'allow-remote': { type: 'boolean' },
        'message-id': { type: 'string' },
        permanent: { type: 'boolean' },
        off: { type: 'boolean' },
      },
    });
  } catch (e) {
    io.err(`maildesk: ${(e as Error).message}. Run \`maildesk --help\` for usage.\n`);
    return 2;
  }
  const { values: o, positionals } = parsed;
  const [command, ...rest] = positionals;
  if (o.help || !command) {
    io.out(USAGE);
    return o.help ? 0 : 2;
  }
  const json = o.json === true;
  let core: EngineClient | undefined;
  if (command === 'engine') return engineCommand({ dataDir: path.resolve(o.data ?? defaultDataDir()), config: path.resolve(o.config ?? 'maildesk.config.json'), verbose: o.verbose }, io);
  if (command === 'send') {
    return sendCommand(
      {
        config: path.resolve(o.config ?? 'maildesk.config.json'),
        dataDir: path.resolve(o.data ?? defaultDataDir()),
        account: o.account,
        to: o.to ?? [],
        cc: o.cc ?? [],
        bcc: o.bcc ?? [],
        subject: o.subject,
        body: o.body,
        eml: o.eml,
        attach: o.attach ?? [],
        json,
        confirmResend: o['confirm-resend'],
        verbose: o.verbose,
      },
      io,
    );
  }
  if (command === 'licence' || command === 'license') return licenceCommand({ sub: rest[0], key: rest[1], json }, io);
  if (command === 'render') return renderCommand({ file: rest[0], allowRemote: o['allow-remote'] === true }, io);
  if (command === 'show') {
    return showCommand(
      { config: path.resolve(o.config ?? 'maildesk.config.json'), dataDir: path.resolve(o.data ?? defaultDataDir()), account: o.account, folder: o.folder, uid: o.uid, json, verbose: o.verbose },
      io,
    );
  }
  if (command === 'mcp') {
    // stdout belongs to the MCP protocol: everything else goes to stderr.
    return mcpCommand({ config: path.resolve(o.config ?? 'maildesk.config.json'), dataDir: path.resolve(o.data ?? defaultDataDir()), verbose: o.verbose }, io);
  }
  if ((TRIAGE_COMMANDS as readonly string[]).includes(command)) {
    return triageCommand(
      {
        command,
        sub: rest[0],
        config: path.resolve(o.config ?? 'maildesk.config.json'),
        dataDir: path.resolve(o.data ?? defaultDataDir()),
        account: o.account,
        folder: o.folder,
        uid: o.uid,
        messageId: o['message-id'],
        to: o.to?.[0],
        permanent: o.permanent,
        off: o.off,
        json,
        verbose: o.verbose,
      },
      io,
    );
  }
  if (command === 'doctor') {
    // Opens its own core, prints its own errors, and exits 1 when a check failed.
    return doctorCommand(
      {
        config: path.resolve(o.config ?? 'maildesk.config.json'),
        dataDir: path.resolve(o.data ?? defaultDataDir()),
        account: o.account,
        out: o.out,
        json,
        expected: o.expected,
        happened: o.happened,
        includeAddresses: o['include-addresses'],
        verbose: o.verbose,
      },
      io,
    );
  }
  try {
    const cfg = loadConfig(path.resolve(o.config ?? 'maildesk.config.json'));
    const open = async (): Promise<EngineClient> => {
      core = await connectCli(cfg, { dataDir: o.data ?? defaultDataDir(), err: io.err, verbose: o.verbose });
      return core;
    };

    switch (command) {
      case 'accounts': {
        const list = cfg.accounts.map((a) => ({ id: a.id, provider: a.provider, email: a.email, imap: a.imap ? `${a.imap.host}:${a.imap.port} (${a.imap.security})` : null, smtp: a.smtp ? `${a.smtp.host}:${a.smtp.port} (${a.smtp.security})` : null }));
        io.out(json ? JSON.stringify(list, null, 2) + '\n' : list.map((a) => `${a.id}\t${a.provider}\t${a.email}\tin: ${a.imap ?? '-'}\tout: ${a.smtp ?? '-'}\n`).join(''));
        return 0;
      }
      case 'sync': {
        const accounts = pickAccount(cfg, o.account, false);
        const c = await open();
        if (!o.once) {
          const begin = async (): Promise<void> => {
            for (const a of accounts) await c.request('folders/list', { accountId: a.id, refresh: true });
            await c.request('engine/startSync', {});
          };
          await begin();
          // The engine's host went away: this command took over (or joined the next engine); sync goes on.
          c.onDidReconnect(() => begin().catch((e) => io.err(`maildesk: ${toMailError(e).describe()}\n`)));
          io.err(`maildesk: syncing ${accounts.map((a) => a.id).join(', ')} until interrupted (Ctrl+C)\n`);
          await new Promise<void>((resolve) => {
            process.once('SIGINT', resolve);
            process.once('SIGTERM', resolve);
          });
          await c.close();
          core = undefined;
          return 0;
        }
        const progress = o.verbose ? c.on('sync/progress', (j) => io.err(`${j.id}: ${j.status}${j.progress ? ` ${JSON.stringify(j.progress)}` : ''}\n`)) : undefined;
        const r = await c.request('sync/once', { accountIds: accounts.map((a) => a.id), refreshFolders: true });
        progress?.dispose();
        const summary = r.accounts.map((a) => ({
          account: a.account,
          state: a.state,
          folders: a.folders.map((f) => ({ path: f.path, role: f.role, local: f.local, server: f.remoteTotal, backfillDone: f.backfillDone, bodies: f.bodies })),
        }));
        if (json) io.out(JSON.stringify({ ok: r.ok, ms: r.ms, accounts: summary, failed: r.failed.map(jobJson) }, null, 2) + '\n');
        else {
          for (const a of summary) {
            io.out(`${a.account}: ${a.state}\n`);
            for (const f of a.folders) io.out(`  ${f.path.padEnd(24)} ${String(f.local).padStart(6)} local / ${String(f.server ?? '?').padStart(6)} on server${f.backfillDone ? '' : ' (history still filling)'}${f.bodies ? `, ${bodiesProgressText({ phase: 'bodies', fetched: f.bodies.stored, ...f.bodies })}` : ''}\n`);
          }
          for (const j of r.failed) io.err(`maildesk: ${j.id}: ${j.errorMessage}\n`);
          io.out(`${r.ok ? 'In step' : 'Finished with errors'} after ${(r.ms / 1000).toFixed(1)} s.\n`);
        }
        return r.ok ? 0 : 1;
      }
      case 'folders': {
        const sub = rest[0];
        const [a] = pickAccount(cfg, o.account, true);
        if (sub === 'select' || sub === 'unselect') {
          const paths = rest.slice(1);
          if (!paths.length) throw new UsageError(`folders ${sub} needs at least one folder path`);
          const c = await open();
          await c.request('folders/select', { accountId: a.id, paths, selected: sub === 'select' });
          io.out(json ? JSON.stringify({ ok: true, [sub === 'select' ? 'selected' : 'unselected']: paths }) + '\n' : `${sub === 'select' ? 'Selected' : 'Unselected'} ${paths.join(', ')}.\n`);
          return 0;
        }
        if (sub) throw new UsageError(`unknown folders subcommand "${sub}" (use select or unselect)`);
        const c = await open();
        const rows = (await c.request('folders/list', { accountId: a.id, refresh: true })).map((f) => ({
          path: f.path,
          role: f.role,
          selected: f.selected,
          existsOnServer: f.remoteExists,
          local: f.local,
          localUnread: f.localUnread,
          server: f.remoteTotal,
          serverUnread: f.remoteUnread,
        }));
        if (json) io.out(JSON.stringify(rows, null, 2) + '\n');
        else {
          io.out(`${'FOLDER'.padEnd(26)} ${'ROLE'.padEnd(8)} SYNC  LOCAL  SERVER\n`);
          for (const f of rows) io.out(`${f.path.padEnd(26)} ${(f.role ?? '').padEnd(8)} ${f.selected ? 'yes ' : 'no  '} ${String(f.local).padStart(6)} ${String(f.server ?? '?').padStart(7)}\n`);
        }
        return 0;
      }
      case 'list': {
        const [a] = pickAccount(cfg, o.account, true);
        if (!o.folder) throw new UsageError('--folder PATH is required');
        const limit = o.limit ? Number(o.limit) : 50;
        if (!Number.isInteger(limit) || limit < 1) throw new UsageError('--limit must be a positive whole number');
        const c = await open();
        const msgs = await c.request('messages/list', { accountId: a.id, folderPath: o.folder, limit });
        if (!msgs) throw new MailError('folder.notFound', `account "${a.id}" has no synced folder "${o.folder}" (run \`maildesk folders --account ${a.id}\`)`);
        if (json) io.out(JSON.stringify(msgs.map(messageJson), null, 2) + '\n');
        else for (const m of msgs) io.out(`${fmtDate(m.date)}  ${m.flags.includes('\\Seen') ? ' ' : '*'}${m.flags.includes('\\Flagged') ? '!' : ' '} ${(m.fromName || m.fromAddr).slice(0, 24).padEnd(24)}  ${m.subject}\n`);
        return 0;
      }
      case 'backfill': {
        const [a] = pickAccount(cfg, o.account, true);
        if (!o.folder) throw new UsageError('--folder PATH is required');
        const c = await open();
        await c.request('folders/backfill', { accountId: a.id, path: o.folder });
        const r = await c.request('sync/once', { accountIds: [a.id] });
        const f = (await c.request('folders/list', { accountId: a.id })).find((x) => x.path === o.folder)!;
        const out = { ok: r.ok, folder: f.path, local: f.local, server: f.remoteTotal, failed: r.failed.map(jobJson) };
        io.out(json ? JSON.stringify(out, null, 2) + '\n' : `${f.path}: ${out.local} local / ${out.server ?? '?'} on server.\n`);
        for (const j of r.failed) if (!json) io.err(`maildesk: ${j.id}: ${j.errorMessage}\n`);
        return r.ok ? 0 : 1;
      }
      case 'jobs': {
        const accounts = pickAccount(cfg, o.account, false);
        const c = await open();
        const jobs = await c.request('jobs/list', { accountIds: accounts.map((a) => a.id) });
        if (json) io.out(JSON.stringify(jobs.map(jobJson), null, 2) + '\n');
        else {
          io.out(`${'JOB'.padEnd(34)} ${'STATUS'.padEnd(8)} ${'LAST RUN'.padEnd(19)}  ${'NEXT RUN'.padEnd(19)}  ERROR\n`);
          for (const j of jobs) io.out(`${j.id.padEnd(34)} ${j.status.padEnd(8)} ${fmtDate(j.lastRun).padEnd(19)}  ${fmtDate(j.nextRun).padEnd(19)}  ${j.errorMessage ?? ''}\n`);
        }
        return 0;
      }
      case 'test-incoming':
      case 'test-outgoing': {
        const [a] = pickAccount(cfg, o.account, true);
        const c = await open();
        const r = await c.request(command === 'test-incoming' ? 'accounts/testIncoming' : 'accounts/testOutgoing', { account: a });
        printVerify(io, r, json);
        return r.ok ? 0 : 1;
      }
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`maildesk: ${e.message}. Run \`maildesk --help\` for usage.\n`);
      return 2;
    }
    const err = toMailError(e);
    if (process.env.MAILDESK_DEBUG) io.err(String((e as Error).stack) + '\n');
    const msg = err.code === 'internal' ? `${err.message}. ${describeError('internal').remedy}` : err.describe();
    if (json) io.out(JSON.stringify({ ok: false, error: { code: err.code, message: err.message, remedy: err.remedy } }) + '\n');
    io.err(`maildesk: ${msg}\n`);
    return err.code.startsWith('config.') ? 2 : 1;
  } finally {
    if (core) await core.close().catch(() => undefined);
  }
}
