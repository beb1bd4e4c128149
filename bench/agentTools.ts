/**
 * How long an agent waits on `maildesk mcp`: start-up to a ready MCP session, and each tool
 * call's round trip (median of runs), on an Inbox of N synced messages in a private Dovecot.
 *
 *   node esbuild.mjs && npx tsx bench/agentTools.ts [--messages 10000] [--runs 7]
 *
 * Progress goes to stderr; stdout carries only the table.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { main } from '../src/cli/main';
import { startDovecot } from '../test/support/dovecot';
import { tempDir } from '../test/support/core';
import { seedMessages } from '../test/support/seed';

const ROOT = path.resolve(__dirname, '..');

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function bench(): Promise<void> {
  const { values } = parseArgs({ options: { messages: { type: 'string', default: '10000' }, runs: { type: 'string', default: '7' } } });
  const n = Number(values.messages);
  const runs = Number(values.runs);
  const dv = await startDovecot();
  const dir = tempDir('maildesk-agent-bench-');
  try {
    dv.seedMaildir('alice', 'INBOX', seedMessages(n, 'Bench', { flags: (i) => (i % 4 ? ['\\Seen'] : []) }));
    const config = path.join(dir, 'maildesk.config.json');
    const data = path.join(dir, 'data');
    const server = { host: '127.0.0.1', port: dv.port, security: 'none', user: 'alice', passwordEnv: 'BENCH_PW' };
    fs.writeFileSync(config, JSON.stringify({ accounts: [{ id: 'a', email: 'alice@example.test', imap: server, folders: ['INBOX'] }] }));
    process.env.BENCH_PW = 'secret';
    process.stderr.write(`[agent-bench] syncing ${n} messages\n`);
    const code = await main(['--config', config, '--data', data, 'sync', '--once'], { out: () => undefined, err: (s) => process.stderr.write(s) });
    if (code !== 0) throw new Error('sync --once failed');

    const t0 = performance.now();
    const client = new Client({ name: 'agent-bench', version: '1' });
    await client.connect(new StdioClientTransport({ command: process.execPath, args: [path.join(ROOT, 'dist', 'cli.js'), '--config', config, '--data', data, 'mcp'], env: { ...(process.env as Record<string, string>) }, stderr: 'ignore' }));
    const ready = performance.now() - t0;
    const rows: Array<[string, number]> = [['start-up to a ready MCP session (once)', ready]];
    const call = async (name: string, args: Record<string, unknown>): Promise<string> => {
      const r = (await client.callTool({ name, arguments: args })) as { content: Array<{ text?: string }>; isError?: boolean };
      const text = r.content.map((c) => c.text ?? '').join('');
      if (r.isError) throw new Error(`${name}: ${text}`);
      return text;
    };
    const id = /id (\d+) /.exec(await call('search_mail', { query: 'subject:bench', limit: 1 }))![1];
    const cases: Array<[string, string, Record<string, unknown>]> = [
      ['search_mail "from:bob subject:bench" (local index)', 'search_mail', { query: 'from:bob subject:bench' }],
      ['search_mail "hello" (local index + IMAP SEARCH)', 'search_mail', { query: 'hello' }],
      ['search_mail "is:unread after:2025-01-02"', 'search_mail', { query: 'is:unread after:2025-01-02' }],
      ['read_thread (body cached after the first run)', 'read_thread', { id }],
      ['list_unread', 'list_unread', {}],
      ['list_folders', 'list_folders', {}],
    ];
    for (const [label, name, args] of cases) {
      const ms: number[] = [];
      for (let i = 0; i < runs; i++) {
        const s = performance.now();
        await call(name, args);
        ms.push(performance.now() - s);
      }
      rows.push([label, median(ms)]);
    }
    await client.close();
    process.stdout.write(`maildesk mcp, ${n} messages in INBOX, median of ${runs} runs\n`);
    for (const [label, ms] of rows) process.stdout.write(`${label.padEnd(52)} ${ms.toFixed(0).padStart(6)} ms\n`);
  } finally {
    delete process.env.BENCH_PW;
    await dv.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

bench().then(
  () => process.exit(0),
  (e) => {
    process.stderr.write(`[agent-bench] ${(e as Error).stack}\n`);
    process.exit(1);
  },
);
