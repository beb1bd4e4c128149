/**
 * A new store starts as a copy of an empty store migrated at build time
 * (src/core/store/storeTemplate.ts): the copy must be the store the migrations make, the build
 * must ship the one the bundles look for, and the copy must never land on what is already there.
 */
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { writeStoreTemplate } from '../../scripts/storeTemplate';
import { noopLogger } from '../../src/core/log';
import { readDatabase } from '../../src/core/store/persistence';
import { MIGRATIONS } from '../../src/core/store/schema';
import { loadSqlJs } from '../../src/core/store/sqlite';
import { MailStore } from '../../src/core/store/store';
import { shippedStoreTemplate, storeTemplateName } from '../../src/core/store/storeTemplate';

const ROOT = path.resolve(__dirname, '..', '..');

/** Every row of every table, the schema's text and the file's settings: what a store holds. */
async function dump(file: string): Promise<Record<string, unknown>> {
  const SQL = await loadSqlJs();
  const db = new SQL.Database(fs.readFileSync(file));
  try {
    const rows = (sql: string): unknown[][] => db.exec(sql)[0]?.values ?? [];
    const out: Record<string, unknown> = {
      schema: rows("SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name"),
    };
    for (const p of ['user_version', 'page_size', 'auto_vacuum', 'encoding', 'application_id']) out[p] = rows(`PRAGMA ${p}`);
    for (const [name] of rows("SELECT name FROM sqlite_master WHERE type = 'table' AND sql NOT LIKE 'CREATE VIRTUAL%' ORDER BY name")) {
      out[`rows of ${String(name)}`] = rows(`SELECT * FROM "${String(name)}"`);
    }
    return out;
  } finally {
    db.close();
  }
}

describe('a new store from the template', () => {
  let dir: string;
  let template: Uint8Array;

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'maildesk-template-'));
    await writeStoreTemplate(path.join(dir, 'dist'));
    template = shippedStoreTemplate(path.join(dir, 'dist'))!;
    assert.ok(template, 'the template unpacks to a SQLite file');
  });

  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('holds what running the migrations holds: schema, settings and rows', async () => {
    const migrated = path.join(dir, 'migrated');
    (await MailStore.open({ dir: migrated })).close();
    const copied = path.join(dir, 'copied');
    const { db, disk } = await readDatabase(await loadSqlJs(), copied, noopLogger, () => template);
    db.close();
    disk?.release();
    // The copy, opened as a store: nothing left to migrate, closed like any store.
    const store = await MailStore.open({ dir: copied });
    assert.equal(store.schemaVersion, MIGRATIONS.length);
    store.close();
    const want = await dump(path.join(migrated, 'maildesk.db'));
    assert.ok((want.schema as unknown[]).length > 30, 'the migrations made the schema');
    assert.ok('rows of message_fts_stat' in want || 'rows of message_fts_segdir' in want, 'the full-text table\'s own tables are compared');
    assert.deepEqual(await dump(path.join(copied, 'maildesk.db')), want);
  });

  it('is written whole under its name, private, with no temporary file left', async () => {
    const d = path.join(dir, 'whole');
    const { db, disk } = await readDatabase(await loadSqlJs(), d, noopLogger, () => template);
    db.close();
    disk?.release();
    const file = path.join(d, 'maildesk.db');
    assert.deepEqual(new Uint8Array(fs.readFileSync(file)), new Uint8Array(template));
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
    assert.deepEqual(fs.readdirSync(d), ['maildesk.db']);
  });

  it('is never written over a store, nor beside a log or journal left without their file', async () => {
    const SQL = await loadSqlJs();
    const existing = path.join(dir, 'existing');
    const s = await MailStore.open({ dir: existing });
    s.setSetting('kept', 'yes');
    s.close();
    let asked = 0;
    const counting = (): Uint8Array => (asked++, template);
    const a = await readDatabase(SQL, existing, noopLogger, counting);
    assert.deepEqual(a.db.exec("SELECT value FROM settings WHERE key = 'kept'")[0]?.values, [['yes']]);
    a.db.close();
    a.disk?.release();
    assert.equal(asked, 0, 'an existing store does not even read the template');

    for (const side of ['-wal', '-journal']) {
      const d = path.join(dir, `orphan${side}`);
      fs.mkdirSync(d);
      fs.writeFileSync(path.join(d, `maildesk.db${side}`), '');
      const r = await readDatabase(SQL, d, noopLogger, counting);
      r.db.close();
      r.disk?.release();
      assert.equal(asked, 0, `not beside a lone maildesk.db${side}`);
    }
  });

  it('starts the new store when a damaged one is moved aside', async () => {
    const d = path.join(dir, 'damaged');
    fs.mkdirSync(d);
    fs.writeFileSync(path.join(d, 'maildesk.db'), 'not a database at all, but long enough to be read as one'.repeat(100));
    const r = await readDatabase(await loadSqlJs(), d, noopLogger, () => template);
    r.db.close();
    r.disk?.release();
    assert.ok(r.recovered, 'the damaged file was moved aside');
    assert.deepEqual(new Uint8Array(fs.readFileSync(path.join(d, 'maildesk.db'))), new Uint8Array(template));
  });

  it('removes a copy a crash left half-written and starts again', async () => {
    const d = path.join(dir, 'crashed');
    fs.mkdirSync(d);
    fs.writeFileSync(path.join(d, 'maildesk.db.new.tmp'), Buffer.from(template).subarray(0, 1000));
    const r = await readDatabase(await loadSqlJs(), d, noopLogger, () => template);
    r.db.close();
    r.disk?.release();
    assert.deepEqual(fs.readdirSync(d), ['maildesk.db']);
    assert.deepEqual(new Uint8Array(fs.readFileSync(path.join(d, 'maildesk.db'))), new Uint8Array(template));
  });

  it('is named by the migrations, so a bundle never starts from another version\'s template', () => {
    assert.match(storeTemplateName(), /^store-template-[0-9a-f]{16}\.db\.gz$/);
    assert.equal(shippedStoreTemplate(path.join(dir, 'nowhere')), undefined);
    const other = path.join(dir, 'other');
    fs.mkdirSync(other);
    fs.writeFileSync(path.join(other, 'store-template-0000000000000000.db.gz'), fs.readFileSync(path.join(dir, 'dist', storeTemplateName())));
    assert.equal(shippedStoreTemplate(other), undefined, 'a template of other migrations is not read');
    fs.writeFileSync(path.join(other, storeTemplateName()), 'not gzip');
    assert.equal(shippedStoreTemplate(other), undefined, 'a damaged template is not used: the migrations run');
  });

  it('a bundle starts its new stores from the template beside it (the CLI and its engine)', async function () {
    this.timeout(60000);
    // A copy of the bundles with a template that carries a mark: the new store must hold it.
    const bundle = path.join(dir, 'bundle');
    fs.mkdirSync(bundle);
    for (const f of ['cli.js', 'engineWorker.js', 'imapHeaderWorker.js', 'sql-wasm.js', 'sql-wasm.wasm']) fs.copyFileSync(path.join(ROOT, 'dist', f), path.join(bundle, f));
    const SQL = await loadSqlJs();
    const marked = new SQL.Database(Uint8Array.from(template)); // a copy: sql.js writes into the array it is given
    marked.exec("INSERT INTO settings(key, value) VALUES ('test.from-template', 'yes')");
    fs.writeFileSync(path.join(bundle, storeTemplateName()), zlib.gzipSync(marked.export()));
    marked.close();
    const config = path.join(dir, 'cli-config.json');
    fs.writeFileSync(config, JSON.stringify({ accounts: [] }));
    const data = path.join(dir, 'cli-data');
    execFileSync(process.execPath, [path.join(bundle, 'cli.js'), '--config', config, '--data', data, 'jobs'], { stdio: 'pipe', timeout: 50000 });
    const db = new SQL.Database(fs.readFileSync(path.join(data, 'maildesk.db')));
    try {
      assert.deepEqual(db.exec("SELECT value FROM settings WHERE key = 'test.from-template'")[0]?.values, [['yes']]);
    } finally {
      db.close();
    }
  });

  it('ships: the build writes it beside the bundles, and the package takes it', () => {
    const built = shippedStoreTemplate(path.join(ROOT, 'dist'));
    assert.ok(built, `dist/${storeTemplateName()} (node esbuild.mjs writes it)`);
    assert.deepEqual(new Uint8Array(built), new Uint8Array(template), 'the build\'s template is this one');
    const ignore = fs.readFileSync(path.join(ROOT, '.vscodeignore'), 'utf8').split('\n');
    assert.ok(ignore.includes('!dist/store-template-*.db.gz'), '.vscodeignore ships the template');
  });
});
