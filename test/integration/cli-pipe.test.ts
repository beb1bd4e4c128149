/**
 * The built CLI writes all of its output before it exits, into a pipe read slowly: a reader
 * that starts late and takes its time still gets every byte (`maildesk list --json | …`).
 */
import { strict as assert } from 'node:assert';
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { main } from '../../src/cli/main';
import { requireDovecot, startDovecot, type Dovecot } from '../support/dovecot';
import { tempDir } from '../support/core';
import { seedMessages } from '../support/seed';

const ROOT = path.resolve(__dirname, '..', '..');
const PW = 'MAILDESK_PIPE_TEST_PW';
const TOTAL = 3000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs bin/maildesk.js with stdout into a pipe that is read late and slowly. */
async function slowlyRead(args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  const child = spawn(process.execPath, [path.join(ROOT, 'bin', 'maildesk.js'), ...args], { env: { ...process.env, [PW]: 'secret' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  // The reader starts late: the pipe is full long before, and the CLI has finished its work.
  await sleep(1_500);
  const chunks: Buffer[] = [];
  for await (const chunk of child.stdout) {
    chunks.push(chunk as Buffer);
    await sleep(2);
  }
  return { code: await exited, out: Buffer.concat(chunks).toString('utf8'), err };
}

describe('maildesk CLI into a slow pipe', function () {
  let dv: Dovecot;
  let dir: string;
  let base: string[];

  before(async function () {
    requireDovecot(this);
    execFileSync(process.execPath, ['esbuild.mjs'], { cwd: ROOT, stdio: 'pipe' });
    dv = await startDovecot({ users: { alice: 'secret' } });
    dv.seedMaildir('alice', 'INBOX', seedMessages(TOTAL, 'Pipe'));
    dir = tempDir();
    const config = path.join(dir, 'config.json');
    fs.writeFileSync(
      config,
      JSON.stringify({ accounts: [{ id: 'alice', email: 'alice@example.test', imap: { host: '127.0.0.1', port: dv.port, security: 'none', user: 'alice', passwordEnv: PW } }] }),
    );
    base = ['--config', config, '--data', path.join(dir, 'data')];
    process.env[PW] = 'secret';
    let err = '';
    const code = await main([...base, 'sync', '--once'], { out: () => undefined, err: (s) => (err += s) });
    delete process.env[PW];
    assert.equal(code, 0, err);
  });
  after(async () => {
    await dv?.dispose();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it(`list --json of ${TOTAL} messages is whole, valid JSON`, async () => {
    const r = await slowlyRead([...base, 'list', '--json', '--account', 'alice', '--folder', 'INBOX', '--limit', String(TOTAL)]);
    assert.equal(r.code, 0, r.err);
    assert.ok(r.out.length > 64 * 1024, `only ${r.out.length} bytes`);
    const list = JSON.parse(r.out) as Array<{ subject: string }>;
    assert.equal(list.length, TOTAL);
    assert.equal(list[0].subject, `Pipe ${TOTAL - 1}`);
    assert.equal(list[TOTAL - 1].subject, 'Pipe 0');
  });

  it(`plain list of ${TOTAL} messages has every line`, async () => {
    const r = await slowlyRead([...base, 'list', '--account', 'alice', '--folder', 'INBOX', '--limit', String(TOTAL)]);
    assert.equal(r.code, 0, r.err);
    const lines = r.out.split('\n').filter(Boolean);
    assert.equal(lines.length, TOTAL, `stderr: ${r.err}`);
    assert.match(lines[TOTAL - 1], /Pipe 0\b/);
  });
});
