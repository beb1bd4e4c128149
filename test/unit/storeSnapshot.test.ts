import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Database } from 'sql.js';
import { noopLogger } from '../../src/core/log';
import { writeSnapshot } from '../../src/core/store/memfsSnapshot';
import { readDatabase } from '../../src/core/store/persistence';
import { loadSqlJs, patchSqlJs } from '../../src/core/store/sqlite';
import { type IncomingMessage, MailStore } from '../../src/core/store/store';

function incoming(folderId: number, uid: number): IncomingMessage {
  return {
    providerId: `${folderId}:7:${uid}`,
    uid,
    messageId: `<m${uid}@example.test>`,
    subject: `Message ${uid} ${'padding '.repeat(20)}`,
    from: { name: 'Bob', address: 'bob@example.test' },
    date: Date.UTC(2024, 0, 1) + uid * 60_000,
    flags: [],
  };
}

async function storeAt(dir: string, extra: Parameters<typeof MailStore.open>[0] = {}): Promise<{ store: MailStore; inbox: number }> {
  const store = await MailStore.open({ dir, saveDelayMs: 60_000, ...extra });
  store.upsertAccount({ id: 'alice', provider: 'imap', email: 'alice@example.test', imap: { host: '127.0.0.1', port: 1143, security: 'none', user: 'alice' } });
  store.upsertFolders('alice', [{ path: 'INBOX', name: 'INBOX', role: 'inbox' }], () => true);
  return { store, inbox: store.getFolder('alice', 'INBOX')!.id };
}

async function reopenCopy(file: string, fn: (s: MailStore) => void): Promise<void> {
  const copy = fs.mkdtempSync(path.join(os.tmpdir(), 'maildesk-snapshot-copy-'));
  try {
    fs.copyFileSync(file, path.join(copy, 'maildesk.db'));
    const s = await MailStore.open({ dir: copy });
    try {
      fn(s);
    } finally {
      s.close();
    }
  } finally {
    fs.rmSync(copy, { recursive: true, force: true });
  }
}

describe('saving the store in slices (copy-on-write snapshot of the in-memory file)', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'maildesk-snapshot-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('this sql.js build gives access to the database file, and the patch finds its shape', async () => {
    const SQL = await loadSqlJs();
    assert.ok(SQL.memFile, 'sql.js loaded without file access: saves would export the whole database');
    assert.equal(patchSqlJs('module.exports = function () {}'), undefined, 'an unknown build is left alone');
  });

  it('writes the file exactly as it was when the save began, while writes land between slices', async () => {
    const SQL = await loadSqlJs();
    const db: Database = new SQL.Database();
    db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT); CREATE INDEX t_v ON t(v)');
    db.exec('BEGIN');
    for (let i = 0; i < 3000; i++) db.run('INSERT INTO t(v) VALUES (?)', [`row ${i} ${'x'.repeat(100)}`]);
    db.exec('COMMIT');
    const mem = SQL.memFile!((db as unknown as { filename: string }).filename);
    const before = mem.bytes().slice();
    const file = path.join(dir, 'snap.db');
    const fd = fs.openSync(file, 'w');
    let round = 0;
    const r = await writeSnapshot(mem, fd, {
      sliceBytes: 8192,
      pause: async () => {
        // Updates all over the file, inserts that grow it, deletes: every kind of page write.
        round++;
        db.run('UPDATE t SET v = ? WHERE id % 7 = ?', [`changed in round ${round}`, round % 7]);
        db.run('INSERT INTO t(v) VALUES (?)', ['y'.repeat(3000)]);
        db.run('DELETE FROM t WHERE id = ?', [round * 3]);
      },
    });
    fs.closeSync(fd);
    assert.ok(r.slices > 10, `only ${r.slices} slices`);
    assert.ok(r.keptBlocks > 0, 'no block was changed during the save, so copy-on-write was not exercised');
    assert.deepEqual(fs.readFileSync(file), Buffer.from(before));
    const saved = new SQL.Database(fs.readFileSync(file));
    assert.equal(saved.exec('SELECT COUNT(*) FROM t')[0].values[0][0], 3000);
    assert.equal(saved.exec("PRAGMA integrity_check")[0].values[0][0], 'ok');
    saved.close();
    // The live database kept every change.
    assert.ok(Number(db.exec("SELECT COUNT(*) FROM t WHERE v LIKE 'changed%'")[0].values[0][0]) > 0);
    db.close();
  });

  it('gives up, without touching the old file, when the database file shrinks during the save', async () => {
    const SQL = await loadSqlJs();
    const db: Database = new SQL.Database();
    db.exec('CREATE TABLE t (v TEXT)');
    db.exec('BEGIN');
    for (let i = 0; i < 500; i++) db.run('INSERT INTO t VALUES (?)', ['z'.repeat(1000)]);
    db.exec('COMMIT');
    const mem = SQL.memFile!((db as unknown as { filename: string }).filename);
    const fd = fs.openSync(path.join(dir, 'snap.db'), 'w');
    await assert.rejects(
      writeSnapshot(mem, fd, {
        sliceBytes: 4096,
        pause: async () => {
          db.exec('DELETE FROM t; VACUUM');
        },
      }),
      /shrank/,
    );
    fs.closeSync(fd);
    db.close();
  });

  it('a background save keeps what was committed before it began; later commits go to the next save', async () => {
    const { store, inbox } = await storeAt(dir, { saveSliceBytes: 4096 });
    store.upsertMessages(inbox, Array.from({ length: 300 }, (_, i) => incoming(inbox, i + 1)));
    // Every export() of any sql.js database counts (the store's own database is out of reach:
    // no code outside the store gets it).
    const proto = (await loadSqlJs()).Database.prototype as Database;
    const exportOnce = proto.export;
    let exports = 0;
    proto.export = function (this: Database) {
      exports++;
      return exportOnce.call(this);
    };
    try {
      const saving = store.saveInBackground();
      // Commits while the slices go out.
      for (let i = 0; i < 20; i++) {
        store.upsertMessages(inbox, [incoming(inbox, 1000 + i)]);
        store.updateFlags(inbox, [{ uid: i + 1, flags: ['\\Seen'] }]);
        await new Promise((r) => setImmediate(r));
      }
      await saving;
      assert.ok(store.lastSave && store.lastSave.bytes > 100_000);
      const file = path.join(dir, 'maildesk.db');
      await reopenCopy(file, (s) => {
        assert.equal(s.uidBounds(inbox).count, 300);
        assert.equal(s.localCounts(inbox).unread, 300);
      });
      store.saveNow();
      await reopenCopy(file, (s) => {
        assert.equal(s.uidBounds(inbox).count, 320);
        assert.equal(s.localCounts(inbox).unread, 300);
      });
      assert.equal(exports, 0, 'a save exported the whole database on the store’s thread');
    } finally {
      proto.export = exportOnce;
    }
    store.close();
  });

  it('flush() resolves once what was committed before it is on disk, even when a save was already under way', async () => {
    const { store, inbox } = await storeAt(dir, { saveSliceBytes: 4096 });
    store.upsertMessages(inbox, Array.from({ length: 200 }, (_, i) => incoming(inbox, i + 1)));
    // A save starts (its snapshot has 200), then a commit lands while it writes.
    const earlier = store.saveInBackground();
    store.upsertMessages(inbox, [incoming(inbox, 900)]);
    await store.flush();
    await earlier;
    const file = path.join(dir, 'maildesk.db');
    await reopenCopy(file, (s) => assert.equal(s.uidBounds(inbox).count, 201));
    // Nothing new: resolves at once, writes nothing.
    const before = fs.statSync(file).mtimeMs;
    await store.flush();
    assert.equal(fs.statSync(file).mtimeMs, before);
    store.close();
  });

  it('closing during a background save saves everything and leaves no temporary file', async () => {
    const { store, inbox } = await storeAt(dir, { saveSliceBytes: 4096 });
    store.upsertMessages(inbox, Array.from({ length: 200 }, (_, i) => incoming(inbox, i + 1)));
    const saving = store.saveInBackground();
    store.upsertMessages(inbox, [incoming(inbox, 500)]);
    store.close();
    await saving;
    assert.deepEqual(fs.readdirSync(dir).filter((f) => f.endsWith('.tmp')), []);
    const again = await MailStore.open({ dir });
    assert.equal(again.uidBounds(inbox).count, 201);
    again.close();
  });

  it('reserving room moves the in-memory file without changing a byte, and SQLite goes on using it', async () => {
    const SQL = await loadSqlJs();
    const db: Database = new SQL.Database();
    db.exec("CREATE TABLE t (v TEXT); INSERT INTO t VALUES ('before')");
    const mem = SQL.memFile!((db as unknown as { filename: string }).filename);
    const before = mem.bytes().slice();
    mem.reserve(8 * 1024 * 1024);
    assert.ok(mem.capacity() >= 8 * 1024 * 1024);
    assert.deepEqual(mem.bytes(), before);
    db.exec("INSERT INTO t VALUES ('after')");
    assert.equal(db.exec('SELECT COUNT(*) FROM t')[0].values[0][0], 2);
    assert.deepEqual(new SQL.Database(mem.bytes().slice()).exec('SELECT v FROM t ORDER BY rowid')[0].values, [['before'], ['after']]);
    db.close();
  });

  it('a store that saves keeps room ahead of its file, so MEMFS does not copy it a little at a time', async () => {
    const { store } = await storeAt(dir);
    const mem = (store as unknown as { memFile: { capacity(): number; bytes(): Uint8Array } }).memFile;
    assert.ok(mem.capacity() - mem.bytes().length >= 64 * 1024 * 1024);
    // What the support report says about it.
    assert.equal(store.stats().saves, 'sliced');
    assert.equal(store.stats().bytes, mem.bytes().length);
    store.close();
  });

  it('a stored database is opened in place, in an array with room to grow, and SQLite reads, writes and saves it', async () => {
    const { store, inbox } = await storeAt(dir);
    store.upsertMessages(inbox, Array.from({ length: 200 }, (_, i) => incoming(inbox, i + 1)));
    store.close();
    const size = fs.statSync(path.join(dir, 'maildesk.db')).size;
    // Read as a start reads it: the file as it was on disk, byte for byte, already in the big
    // array (sql.js's own way leaves it in an array of its size, which keepRoom then copies).
    const SQL = await loadSqlJs();
    const read = await readDatabase(SQL, dir, noopLogger);
    const mem = SQL.memFile!((read.db as unknown as { filename: string }).filename);
    assert.equal(mem.bytes().length, size);
    assert.deepEqual(Buffer.from(mem.bytes()), fs.readFileSync(path.join(dir, 'maildesk.db')));
    assert.ok(mem.capacity() >= 512 * 1024 * 1024);
    assert.equal(read.db.exec('SELECT COUNT(*) FROM memberships')[0].values[0][0], 200);
    read.db.close();
    const again = await MailStore.open({ dir, saveDelayMs: 60_000 });
    assert.equal(again.uidBounds(inbox).count, 200);
    again.upsertMessages(inbox, [incoming(inbox, 201)]);
    assert.equal(again.uidBounds(inbox).count, 201);
    again.close();
    await reopenCopy(path.join(dir, 'maildesk.db'), (s) => assert.equal(s.uidBounds(inbox).count, 201));
  });

  it('without file access (another sql.js build) the store still saves, by export', async () => {
    const { store, inbox } = await storeAt(dir, { sliceSaves: false });
    assert.equal(store.stats().saves, 'export');
    store.upsertMessages(inbox, [incoming(inbox, 1), incoming(inbox, 2)]);
    await store.saveInBackground();
    assert.ok(store.stats().lastSave!.bytes > 0);
    store.upsertMessages(inbox, [incoming(inbox, 3)]);
    store.close();
    const again = await MailStore.open({ dir });
    assert.equal(again.uidBounds(inbox).count, 3);
    again.close();
  });
});
