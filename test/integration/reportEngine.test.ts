import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { doctorCommand } from '../../src/cli/commands/doctor';
import type { SupportReport } from '../../src/core/diagnostics/report';
import { renderMarkdown } from '../../src/core/diagnostics/report';
import { tempDir } from '../support/core';

/**
 * The support report's "engine" section with a real engine in another process: `maildesk
 * engine` hosts it, `maildesk doctor` joins it as a client, and the report says which process
 * hosts the engine and who is connected, so support can tell one engine from two.
 */

const CLI = path.resolve(__dirname, '..', '..', 'bin', 'maildesk.js');

describe('Support report: the engine section names the hosting process and its clients', function () {
  this.timeout(60_000);
  const dirs: string[] = [];
  after(() => {
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });

  it('`maildesk doctor` beside a running `maildesk engine`: the engine is hosted by that headless process, and doctor is listed as its client', async () => {
    const dir = tempDir('maildesk-report-engine-');
    dirs.push(dir);
    const config = path.join(dir, 'maildesk.config.json');
    fs.writeFileSync(config, JSON.stringify({ accounts: [] }));
    const data = path.join(dir, 'data');
    const engine = spawn(process.execPath, [CLI, '--config', config, '--data', data, 'engine'], { stdio: ['ignore', 'ignore', 'pipe'] });
    try {
      let err = '';
      engine.stderr!.on('data', (d) => (err += d));
      await new Promise<void>((resolve, reject) => {
        engine.once('exit', (code) => reject(new Error(`the engine exited (${code}) before it ran:\n${err}`)));
        const poll = setInterval(() => {
          if (/engine running for/.test(err)) {
            clearInterval(poll);
            resolve();
          }
        }, 50);
      });
      const out = path.join(dir, 'out');
      let text = '';
      const code = await doctorCommand({ config, dataDir: data, out, json: false, env: {}, timeoutMs: 5000 }, { out: (s) => (text += s), err: () => undefined });
      assert.equal(code, 0, text);
      const report = JSON.parse(fs.readFileSync(path.join(out, 'maildesk-support-report.json'), 'utf8')) as SupportReport;
      const e = report.engine!;
      assert.equal(e.state, 'running');
      // `maildesk engine` is a CLI process like any `maildesk` command: the pid tells which one.
      assert.equal(e.host, 'cli');
      assert.equal(e.pid, engine.pid, 'hosted by the `maildesk engine` process, not by doctor');
      assert.notEqual(e.pid, process.pid);
      assert.ok(
        e.clients?.some((c) => c.kind === 'cli' && c.pid === process.pid && !c.viaHost),
        `doctor is a client over the socket: ${JSON.stringify(e.clients)}`,
      );
      assert.match(renderMarkdown(report), new RegExp(`## Engine\\n\\n- Hosted by a \`maildesk\` command, process ${engine.pid}, in a worker thread;[^\\n]*\\n- Data folder: [^\\n]*\\n- Clients \\(\\d\\): [^\\n]*cli process ${process.pid}`));
    } finally {
      engine.kill('SIGTERM');
      if (engine.exitCode === null) await new Promise((r) => engine.once('exit', r));
    }
  });
});
