import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import { storeOpenProblem } from '../../src/core/diagnostics/troubleshoot';
import { MailError } from '../../src/core/errors';
import { loadSqlJs } from '../../src/core/store/sqlite';
import { MailStore } from '../../src/core/store/store';

describe('the store on disk, page by page (diskFiles.ts)', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'maildesk-disk-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('this sql.js build is routed to disk: a database far bigger than its page cache grows the file, not SQLite\'s memory', async () => {
    const SQL = await loadSqlJs();
    assert.ok(SQL.openOnDisk, 'the shipped sql.js build can keep a database on disk');
    const wasmBefore = SQL.wasmBytes!();
    const file = path.join(dir, 'big.db');
    const { db, disk } = SQL.openOnDisk(file);
    try {
      db.exec('PRAGMA locking_mode = EXCLUSIVE; PRAGMA cache_size = -4096; PRAGMA journal_mode = WAL');
      db.exec('CREATE TABLE t (x BLOB)');
      const st = db.prepare('INSERT INTO t VALUES (?)');
      const row = new Uint8Array(64 * 1024).fill(7);
      for (let c = 0; c < 10; c++) {
        db.exec('BEGIN');
        for (let i = 0; i < 16; i++) st.run([row]);
        db.exec('COMMIT');
      }
      st.free();
      assert.equal(db.exec('SELECT COUNT(*), SUM(LENGTH(x)) FROM t')[0].values[0].join(), `160,${160 * 64 * 1024}`);
      const onDisk = fs.statSync(file).size + fs.statSync(`${file}-wal`).size;
      assert.ok(onDisk > 10 * 1024 * 1024, `10 MB written, ${onDisk} bytes on disk`);
      const grown = SQL.wasmBytes!() - wasmBefore;
      assert.ok(grown < 8 * 1024 * 1024, `SQLite's memory grew ${grown} bytes for a 10 MB database with a 4 MB cache`);
    } finally {
      db.close();
      disk.release();
    }
    assert.ok(fs.existsSync(file), 'closing a database leaves its file');
  });

  it('the log is written once per commit, not once per frame, and holds the commit when COMMIT returns', async function () {
    if (process.platform !== 'linux') this.skip(); // the log's descriptor is found through /proc
    const SQL = await loadSqlJs();
    const file = path.join(dir, 'runs.db');
    const { db, disk } = SQL.openOnDisk!(file);
    const writes: number[] = [];
    // node:fs itself (the module's own object: the import above is a view of it with getters only).
    const nodeFs = createRequire(__filename)('node:fs') as { writeSync: typeof fs.writeSync };
    const writeSync = nodeFs.writeSync;
    try {
      db.exec('PRAGMA locking_mode = EXCLUSIVE; PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL');
      db.exec('CREATE TABLE t (x BLOB)');
      const before = fs.statSync(`${file}-wal`).size;
      nodeFs.writeSync = ((fd: number, ...rest: unknown[]) => {
        if (fs.readlinkSync(`/proc/self/fd/${fd}`).endsWith('-wal')) writes.push(fd);
        return (writeSync as (...a: unknown[]) => number)(fd, ...rest);
      }) as typeof fs.writeSync;
      const st = db.prepare('INSERT INTO t VALUES (?)');
      db.exec('BEGIN');
      for (let i = 0; i < 40; i++) st.run([new Uint8Array(3000).fill(i)]);
      db.exec('COMMIT');
      st.free();
      nodeFs.writeSync = writeSync;
      const frames = (fs.statSync(`${file}-wal`).size - before) / (24 + 4096);
      assert.ok(frames >= 40, `${frames} frames appended`);
      // Two writes per frame before (header, page); now one per 256 KB of frames.
      assert.ok(writes.length <= Math.ceil((frames * (24 + 4096)) / (256 * 1024)) + 1, `${writes.length} writes for ${frames} frames`);
      // What a process killed now leaves: the file and its log as they are on disk.
      const copy = path.join(dir, 'copy.db');
      fs.copyFileSync(file, copy);
      fs.copyFileSync(`${file}-wal`, `${copy}-wal`);
      const again = SQL.openOnDisk!(copy);
      try {
        again.db.exec('PRAGMA locking_mode = EXCLUSIVE; PRAGMA journal_mode = WAL');
        assert.equal(again.db.exec('SELECT COUNT(*) FROM t')[0].values[0][0], 40);
      } finally {
        again.db.close();
        again.disk.release();
      }
    } finally {
      nodeFs.writeSync = writeSync;
      db.close();
      disk.release();
    }
  });

  it('a write the disk refuses (ENOSPC) fails with the store\'s error naming the fix, stores nothing, and reads go on', async () => {
    if (!fs.existsSync('/dev/full')) return;
    const store = await MailStore.open({ dir });
    store.setSetting('before', '1');
    store.close();
    // The write-ahead log on a device that is always full: every commit needs it.
    fs.symlinkSync('/dev/full', path.join(dir, 'maildesk.db-wal'));
    const full = await MailStore.open({ dir });
    try {
      const failed: MailError[] = [];
      full.onSaveFailed((e) => failed.push(e));
      assert.throws(
        () => full.setSetting('after', 'x'.repeat(10_000)),
        (e: unknown) => e instanceof MailError && e.code === 'store.saveFailed' && /the disk is full \(ENOSPC\); free space on /.test(e.message),
      );
      assert.equal(full.getSetting('after'), undefined);
      assert.equal(full.getSetting('before'), '1');
      assert.equal(failed.length, 1, 'told to listeners (the engine tells every window)');
      assert.match(full.saveFailure!.error.message, /ENOSPC/);
    } finally {
      full.close();
    }
  });

  it('a store that cannot be opened says why, as node:fs did (a folder in the file\'s place: EISDIR), so Troubleshoot can name the fix', async () => {
    fs.mkdirSync(path.join(dir, 'maildesk.db'));
    fs.writeFileSync(path.join(dir, 'maildesk.db', 'in-the-way'), '');
    const e = await MailStore.open({ dir }).then(
      () => assert.fail('opened'),
      (err: unknown) => err,
    );
    assert.equal((e as NodeJS.ErrnoException).code, 'EISDIR');
    const problem = storeOpenProblem(e, dir);
    assert.match(problem.message, /could not be opened \(EISDIR/);
    assert.match(problem.message, /read and write/);
  });
});
