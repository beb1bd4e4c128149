import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { doctorCommand } from '../../src/cli/commands/doctor';
import { main } from '../../src/cli/main';
import type { SupportReport } from '../../src/core/diagnostics/report';
import { runTroubleshoot } from '../../src/core/diagnostics/troubleshoot';
import { MailError } from '../../src/core/errors';
import { syncOnce } from '../../src/core/sync/once';
import { imapAccount, openCore, tempDir } from '../support/core';
import { requireDovecot, startDovecot, type Dovecot } from '../support/dovecot';
import { seedMessages } from '../support/seed';

/**
 * A broken store or a full disk never looks like success: a damaged or 0-byte store is moved
 * aside and Troubleshoot says so; a full disk fails the save with "free space on …", leaves no
 * temporary file, makes `sync --once` exit non-zero, and `doctor` still prints its report.
 */

const PW = 'Pw-store-7Hq2x';

function capture(): { io: { out(s: string): void; err(s: string): void }; out: () => string; err: () => string } {
  let out = '';
  let err = '';
  return { io: { out: (s) => (out += s), err: (s) => (err += s) }, out: () => out, err: () => err };
}

describe('A broken store or a full disk: Troubleshoot reports it, nothing looks like success', function () {
  this.timeout(60_000);
  let dv: Dovecot;
  const dirs: string[] = [];

  before(async function () {
    requireDovecot(this);
    dv = await startDovecot({ users: { damaged: PW, empty: PW, full: PW, readonly: PW } });
  });

  after(async () => {
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
    await dv?.dispose();
  });

  function configFile(user: string): string {
    const dir = tempDir('maildesk-sf-cfg-');
    dirs.push(dir);
    const a = imapAccount(user, dv.port);
    a.imap!.passwordEnv = 'MD_SF_PW';
    const file = path.join(dir, 'maildesk.config.json');
    fs.writeFileSync(file, JSON.stringify({ accounts: [a] }));
    return file;
  }

  for (const [user, bytes, reason] of [
    ['damaged', Buffer.from('SQLite format 3\0'.padEnd(4096, 'x')), /not a readable SQLite database/],
    ['empty', Buffer.alloc(0), /empty \(0 bytes\)/],
  ] as const) {
    it(`a ${user === 'empty' ? '0-byte' : 'damaged'} store: doctor writes a report, store.health warns with the moved file and the local-only data, and a fresh store syncs again`, async () => {
      dv.seedMaildir(user, 'INBOX', seedMessages(4, user));
      const dataDir = tempDir('maildesk-sf-data-');
      const out = tempDir('maildesk-sf-out-');
      dirs.push(dataDir, out);
      fs.writeFileSync(path.join(dataDir, 'maildesk.db'), bytes);
      const c = capture();
      const code = await doctorCommand({ config: configFile(user), dataDir, out, json: false, env: { MD_SF_PW: PW }, timeoutMs: 5000 }, c.io);
      // The user is told at once, on stderr, where the damaged file went.
      assert.match(c.err(), /could not be read .* moved aside to .*maildesk\.db\.damaged-/);
      const report = JSON.parse(fs.readFileSync(path.join(out, 'maildesk-support-report.json'), 'utf8')) as SupportReport;
      const store = report.checks.find((x) => x.id === 'store.health')!;
      assert.equal(store.status, 'warn', store.detail);
      assert.match(store.detail, reason);
      // (The temporary folder's random name is masked by the redactor, so only the file name is matched.)
      assert.match(store.detail, /moved aside to .*\.db\.damaged-\d{4}-\d\d-\d\dT\d\d-\d\d-\d\dZ/);
      assert.match(store.remedy, /drafts and messages waiting to be sent/);
      assert.deepEqual(store.action, { title: 'Add IMAP Account', command: 'maildesk.addImapAccount' });
      assert.match(c.out(), /^WARN store\.health .*moved aside/m);
      assert.match(c.out(), /^ {5}fix: Add IMAP Account \(maildesk\.addImapAccount\)$/m);
      assert.equal(code, 0, c.out());
      const moved = fs.readdirSync(dataDir).filter((f) => f.startsWith('maildesk.db.damaged-'));
      assert.equal(moved.length, 1);
      assert.deepEqual(fs.readFileSync(path.join(dataDir, moved[0])), bytes);
      // The fresh store syncs the mail again from the server.
      const core = await openCore(dataDir, { [user]: PW });
      try {
        core.ensureAccount(imapAccount(user, dv.port));
        await core.refreshFolders(user);
        const r = await syncOnce(core, [user]);
        assert.ok(r.ok, r.failed.map((j) => j.errorMessage).join('; '));
        const inbox = core.store.getFolder(user, 'INBOX')!;
        assert.equal(core.store.localCounts(inbox.id).total, 4);
      } finally {
        await core.close();
      }
    });
  }

  it('a full disk (a 6 MB tmpfs): the write fails with "free space on …" and stores nothing, sync --once exits 1, doctor prints the report and leaves no 0-byte JSON', async function () {
    if (process.getuid?.() !== 0) {
      console.warn('SKIPPED: mounting a small tmpfs needs root (CI runs as root)');
      this.skip();
    }
    const mnt = tempDir('maildesk-sf-tmpfs-');
    dirs.push(mnt);
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=6m', 'tmpfs', mnt], { stdio: 'pipe' });
    } catch (e) {
      console.warn(`SKIPPED: cannot mount a tmpfs here: ${(e as Error).message}`);
      this.skip();
    }
    try {
      const dataDir = path.join(mnt, 'data');
      const out = path.join(mnt, 'reports');
      dv.seedMaildir('full', 'INBOX', seedMessages(5, 'full'));
      const core = await openCore(dataDir, { full: PW });
      try {
        core.ensureAccount(imapAccount('full', dv.port));
        assert.ok((await syncOnce(core, ['full'])).ok);
        await core.store.flush();
        // Fill the disk to the last byte.
        const filler = fs.openSync(path.join(mnt, 'filler'), 'w');
        const chunk = Buffer.alloc(64 * 1024, 1);
        try {
          for (;;) fs.writeSync(filler, chunk);
        } catch (e) {
          assert.equal((e as NodeJS.ErrnoException).code, 'ENOSPC');
        }
        try {
          for (;;) fs.writeSync(filler, chunk, 0, 512);
        } catch {
          // full to the block
        }
        fs.closeSync(filler);
        assert.throws(
          () => core.store.setSetting('test.change', 'x'.repeat(100_000)),
          (e: unknown) => e instanceof MailError && e.code === 'store.saveFailed' && /the disk is full \(ENOSPC\)/.test(e.message) && e.message.includes(`free space on ${mnt}`),
        );
        assert.equal(core.store.getSetting('test.change'), undefined, 'the write that failed stored nothing');
        assert.equal(core.store.listAccounts().length, 1, 'what was stored before is still read');
        const run = await runTroubleshoot(core, { accounts: ['full'], timeoutMs: 5000, dataDir });
        const health = run.outcomes.find((o) => o.id === 'store.health')!;
        assert.equal(health.status, 'fail', health.detail);
        assert.match(health.detail, /writing to the mail store fails since .*free space on/);
        assert.match(health.remedy, /Free space on the disk/);
        const disk = run.outcomes.find((o) => o.id === 'disk.space')!;
        assert.equal(disk.status, 'fail', disk.detail);
        assert.match(disk.remedy, new RegExp(`Free space on ${mnt.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
        assert.ok(health.firstSeen, 'a failing check says since when');
      } finally {
        // Closing folds the log into the file, which may fail on the full disk: the log is kept then.
        await core.close().catch(() => undefined);
      }

      // `maildesk sync --once` on the full disk: new mail, a write that fails, exit 1 with the fix.
      dv.seedMaildir('full', 'INBOX', seedMessages(3, 'more', { start: 10 }));
      const cfg = configFile('full');
      const s = capture();
      process.env.MD_SF_PW = PW;
      let code: number;
      try {
        code = await main(['sync', '--once', '--config', cfg, '--data', dataDir], s.io);
      } finally {
        delete process.env.MD_SF_PW;
      }
      assert.notEqual(code, 0, `sync --once on a full disk exited 0: ${s.out()} ${s.err()}`);
      assert.doesNotMatch(s.out(), /In step/);
      assert.match(s.err(), /free space on /);

      // doctor: the report reaches stdout before any file, and no 0-byte JSON is left.
      const d = capture();
      const dcode = await doctorCommand({ config: cfg, dataDir, out, json: false, env: { MD_SF_PW: PW }, timeoutMs: 5000 }, d.io);
      assert.equal(dcode, 1);
      assert.match(d.out(), /^FAIL disk\.space +.*free on/m);
      assert.match(d.err(), /the support report could not be written to .*free space on/);
      assert.match(d.out(), /# MailDesk support report/);
      for (const f of ['maildesk-support-report.json', 'maildesk-support-report.md']) {
        const p = path.join(out, f);
        assert.ok(!fs.existsSync(p) || fs.statSync(p).size > 0, `${f} is not left empty`);
      }
    } finally {
      execFileSync('umount', ['-l', mnt], { stdio: 'pipe' });
    }
  });

  it('a read-only data folder: doctor, with no engine able to start, fails store.health naming the folder and the fix, reports it (engine "none") and writes the report elsewhere, or prints it when the report folder is read-only too', async function () {
    if (process.getuid?.() !== 0) {
      console.warn('SKIPPED: remounting a tmpfs read-only needs root (CI runs as root)');
      this.skip();
    }
    const mnt = tempDir('maildesk-sf-ro-');
    dirs.push(mnt);
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=32m', 'tmpfs', mnt], { stdio: 'pipe' });
    } catch (e) {
      console.warn(`SKIPPED: cannot mount a tmpfs here: ${(e as Error).message}`);
      this.skip();
    }
    try {
      const dataDir = path.join(mnt, 'data');
      dv.seedMaildir('readonly', 'INBOX', seedMessages(3, 'ro'));
      const core = await openCore(dataDir, { readonly: PW });
      core.ensureAccount(imapAccount('readonly', dv.port));
      assert.ok((await syncOnce(core, ['readonly'])).ok);
      await core.close();
      // Root ignores file modes: only a read-only mount refuses root's writes (and Linux remounts
      // read-only only a disk no one writes to, so the store is closed first).
      execFileSync('mount', ['-o', 'remount,ro', mnt], { stdio: 'pipe' });
      assert.throws(() => fs.writeFileSync(path.join(dataDir, 'probe'), 'x'), /EROFS/);

      // doctor: no engine can start on a read-only folder; the checks still run and say why.
      const cfg = configFile('readonly');
      const out = tempDir('maildesk-sf-ro-out-');
      dirs.push(out);
      const d = capture();
      const code = await doctorCommand({ config: cfg, dataDir, out, json: false, env: { MD_SF_PW: PW }, timeoutMs: 5000 }, d.io);
      assert.equal(code, 1, d.out());
      assert.match(d.err(), /not writable \(EROFS\)/);
      assert.match(d.out(), /^FAIL store\.health +the mail store in .* could not be opened: .*not writable \(EROFS\).*Troubleshoot ran without it/m);
      assert.match(d.out(), /^ {5}fix: Show Log \(maildesk\.showLog\)$/m);
      const report = JSON.parse(fs.readFileSync(path.join(out, 'maildesk-support-report.json'), 'utf8')) as SupportReport;
      const health = report.checks.find((c) => c.id === 'store.health')!;
      assert.equal(health.status, 'fail');
      assert.match(health.remedy, /make the folder writable again\)?.*Then run Troubleshoot again/);
      assert.equal(report.engine?.state, 'none');
      assert.match(report.engine?.reason ?? '', /no engine could open the data folder: .*not writable \(EROFS\)/);
      assert.match(fs.readFileSync(path.join(out, 'maildesk-support-report.md'), 'utf8'), /## Engine\n\n- No engine is running: no engine could open the data folder/);

      // The report folder on the same read-only disk: the report is printed, and no file is left.
      const roOut = path.join(mnt, 'reports');
      const p = capture();
      assert.equal(await doctorCommand({ config: cfg, dataDir, out: roOut, json: false, env: { MD_SF_PW: PW }, timeoutMs: 5000 }, p.io), 1);
      assert.match(p.err(), /the support report could not be written to .*\(pass --out FOLDER to write it elsewhere\); it follows on standard output instead/);
      assert.match(p.out(), /# MailDesk support report[\s\S]*### Failing checks[\s\S]*\*\*store\.health\*\*/);
      assert.ok(!fs.existsSync(roOut));
    } finally {
      execFileSync('umount', ['-l', mnt], { stdio: 'pipe' });
    }
  });
});
