/**
 * SQL stays in src/core/store: everything else calls the store's named methods
 * (store.drafts.save…, store.outbox.markSent…, store.threads.page…, store.listJobs()…), so a
 * table can change in one place and every write goes through a method that records its change
 * event. MailStore's run/all/get are `#private`; the one way to raw SQL is
 * src/core/store/sql.ts (`storeSql`). This fails when a file of src/ or bench/ outside
 * src/core/store calls `run(`, `all(` or `get(` on the store or with SQL, when any file
 * outside src/core/store imports sql.ts (but the test helper test/support/rawStoreSql.ts), and
 * when a test not listed in TEST_READERS below uses that helper.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as ts from 'typescript';
import { MailStore } from '../../src/core/store/store';

const ROOT = path.resolve(__dirname, '../..');
const STORE_DIR = 'src/core/store/';
/** The store's raw SQL (storeSql), for src/core/store only. */
const SQL_MODULE = 'src/core/store/sql';
/** The one file outside src/core/store that may import it: raw SQL for the tests listed below. */
const TEST_HELPER = 'test/support/rawStoreSql';

/**
 * Files outside the store that run SQL on it, each with why. Empty, and nothing may be added:
 * give the store a named method instead. A file listed here that no longer runs SQL must be
 * taken off (the test says so).
 */
const EXCEPTIONS: Record<string, string> = {};

/**
 * The tests that use raw SQL (test/support/rawStoreSql.ts), each with why: they set up a state
 * no named method makes, or check rows no read shows. A test that can use a named method
 * should (store.messages…, store.outbox.get…); one that stops using the helper must be taken
 * off (the test says so).
 */
const TEST_READERS: Record<string, string> = {
  'test/unit/store.test.ts': 'checks rows as migrations and upserts leave them (an FTS stats row, a leftover table, every message with its membership) and plants a membership with a UID',
  'test/unit/bodies.test.ts': 'counts the messages of the whole store that hold a body',
  'test/unit/packCompaction.test.ts': 'reads which pack each message body points into, before and after compaction',
  'test/unit/indexer.test.ts': 'counts the search index\'s segments (no read reports them) as merge steps fold them',
  'test/unit/bridges.test.ts': 'checks that removing an account leaves no bridge_links row',
  'test/integration/actions.test.ts': 'lists every task of every account that did not finish',
  'test/integration/triage.test.ts': 'lists unfinished tasks, and takes the Trash role and folder away to play a server without Trash',
  'test/integration/gmailTriage.test.ts': 'lists every task that did not reach Gmail',
  'test/integration/bodies.test.ts': 'checks which messages hold a body blob across the store',
  'test/integration/reading.test.ts': 'checks which messages hold a body blob across the store',
  'test/integration/cli.test.ts': 'counts a folder\'s memberships and distinct UIDs (no duplicate, no gap)',
  'test/integration/engine.test.ts': 'counts a folder\'s memberships, distinct UIDs and Message-IDs (no duplicate, no gap)',
  'test/integration/faults.test.ts': 'counts a folder\'s memberships and distinct UIDs (no duplicate after a fault)',
  'test/integration/quirky-servers.test.ts': 'lists a folder\'s memberships with their UIDs, hidden ones included',
  'test/integration/doctor.test.ts': 'plants the outbox row a rejected send leaves, for the Troubleshoot check to find',
  'test/integration/send.test.ts': 'checks the outbox row\'s status and error code by Message-ID',
  'test/integration/gmailService.test.ts': 'checks the Gmail thread id stored for a provider id',
  'test/integration/panels.test.ts': 'splits a message from its thread (a thread key no sync gives) and counts bridge_links rows',
  'test/integration/pro.test.ts': 'splits a message from its thread (a thread key no sync gives) and checks the outbox stays empty',
  'test/integration/sync.test.ts': 'drops memberships behind the store\'s back (a store that lost mail the server has)',
};

/** SQL as this code base writes it: a keyword in capitals, then more. */
const SQL_START = /^\s*(SELECT|INSERT|UPDATE|DELETE|REPLACE|WITH|PRAGMA|CREATE|DROP|ALTER)\s+\S/;
const METHODS = new Set(['run', 'all', 'get']);

function tsFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return tsFiles(p);
    return /\.(ts|tsx|mts|cts)$/.test(e.name) && !e.name.endsWith('.d.ts') ? [p] : [];
  });
}

/** The text a string argument starts with (a template's head), or undefined for anything else. */
function leadingText(n: ts.Expression | undefined): string | undefined {
  if (!n) return undefined;
  if (ts.isStringLiteralLike(n)) return n.text;
  if (ts.isTemplateExpression(n)) return n.head.text;
  return undefined;
}

/** Line numbers of `<…store>.run|all|get(…)` calls, and of run/all/get calls given SQL text, on any receiver. */
export function storeSqlCalls(source: string, fileName = 'x.ts'): number[] {
  const sf = ts.createSourceFile(fileName, source, ts.ScriptTarget.ES2022, true);
  const hits: number[] = [];
  const visit = (n: ts.Node): void => {
    if (ts.isCallExpression(n)) {
      const callee = n.expression;
      let name: ts.Identifier | ts.StringLiteralLike | undefined;
      let receiver: ts.Expression | undefined;
      if (ts.isPropertyAccessExpression(callee) && ts.isIdentifier(callee.name)) {
        name = callee.name;
        receiver = callee.expression;
      } else if (ts.isElementAccessExpression(callee) && ts.isStringLiteralLike(callee.argumentExpression)) {
        name = callee.argumentExpression;
        receiver = callee.expression;
      }
      if (name && receiver && METHODS.has(name.text)) {
        const onStore = /(^|\.)store$/i.test(receiver.getText(sf).replace(/[\s?!]/g, ''));
        const text = leadingText(n.arguments[0]);
        // The line of the method's name: a chained call starts lines earlier.
        if (onStore || (text !== undefined && SQL_START.test(text))) hits.push(sf.getLineAndCharacterOfPosition(name.getStart(sf)).line + 1);
      }
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return hits;
}

/** The module specifiers a file imports, re-exports or requires (`import()` and `require()` with a string). */
export function importedModules(source: string): string[] {
  // TypeScript's own pre-scan (as the compiler finds a program's files): no syntax tree built.
  return ts.preProcessFile(source, true, true).importedFiles.map((f) => f.fileName);
}

/** A relative specifier as a path from the root without its extension (`src/core/store/sql`); others as they are. */
function resolved(fromRel: string, spec: string): string {
  if (!spec.startsWith('.')) return spec;
  const abs = path.posix.normalize(path.posix.join(path.posix.dirname(fromRel), spec));
  return abs.replace(/\.(ts|js|mjs|cjs)$/, '').replace(/\/index$/, '');
}

const SCANNED = ['src', 'test', 'bench', 'scripts'];
let imports: Map<string, string[]> | undefined;

/** Every file of SCANNED (relative, forward slashes) with what it imports, resolved; read once for the tests below. */
function importsByFile(): Map<string, string[]> {
  if (!imports) {
    imports = new Map();
    for (const dir of SCANNED) {
      for (const f of tsFiles(path.join(ROOT, dir))) {
        const rel = path.relative(ROOT, f).split(path.sep).join('/');
        imports.set(rel, importedModules(fs.readFileSync(f, 'utf8')).map((spec) => resolved(rel, spec)));
      }
    }
  }
  return imports;
}

/** The files whose imports resolve to `target`. */
function importersOf(target: string): string[] {
  return [...importsByFile()].filter(([, specs]) => specs.includes(target)).map(([rel]) => rel).sort();
}

describe('store boundary: SQL runs only in src/core/store', () => {
  it('finds SQL run on the store in every way it is written, and lets other run/all/get through', () => {
    // Guards the checker itself, so an empty result below means something.
    assert.deepEqual(storeSqlCalls(`store.run('DELETE FROM drafts WHERE id = ?', [1]);`), [1]);
    assert.deepEqual(storeSqlCalls(`this.d.store.get<{ n: number }>(q, [1]);`), [1]);
    assert.deepEqual(storeSqlCalls(`ctx.store\n  .all<{ id: number }>(\`SELECT id FROM messages WHERE x = \${y}\`);`), [2]);
    assert.deepEqual(storeSqlCalls(`mail.store?.all(sql);`), [1]);
    assert.deepEqual(storeSqlCalls(`store['run']('UPDATE x SET y = 1');`), [1]);
    assert.deepEqual(storeSqlCalls(`const s = this.store;\ns.all('SELECT 1 AS x');`), [2]);
    assert.deepEqual(storeSqlCalls(`db.run(\`\n  INSERT INTO t VALUES(1)\`);`), [1]);
    assert.deepEqual(storeSqlCalls(`settings.get<number>('intervalSeconds', 120);`), []);
    assert.deepEqual(storeSqlCalls(`this.running.get(\`\${a}\\n\${b}\`);`), []);
    assert.deepEqual(storeSqlCalls(`await Promise.all([a, b]);`), []);
    assert.deepEqual(storeSqlCalls(`handlers.get('delete'); map.get('UPDATE');`), []);
    assert.deepEqual(storeSqlCalls(`store.blobs.get(hash);`), []);
    assert.deepEqual(storeSqlCalls(`store.drafts.byId(1); store.listJobs();`), []);
  });

  it('no file of src/ or bench/ outside src/core/store runs SQL on the store, except the listed ones', function () {
    // Parses every file: seconds on a busy machine.
    this.timeout(60_000);
    const files = tsFiles(path.join(ROOT, 'src'));
    assert.ok(files.length > 100, 'src should hold the TypeScript sources');
    const bench = tsFiles(path.join(ROOT, 'bench'));
    assert.ok(bench.length > 5, 'bench should hold the benchmarks');
    files.push(...bench);
    const found = new Map<string, number[]>();
    for (const f of files) {
      const rel = path.relative(ROOT, f).split(path.sep).join('/');
      if (rel.startsWith(STORE_DIR)) continue;
      const lines = storeSqlCalls(fs.readFileSync(f, 'utf8'), f);
      if (lines.length) found.set(rel, lines);
    }
    const offenders = [...found].filter(([rel]) => !(rel in EXCEPTIONS)).map(([rel, lines]) => `${rel}:${lines.join(',')}`);
    assert.deepEqual(offenders, [], `these files run SQL outside src/core/store; give the store a named method for it instead (see src/core/store/drafts.ts, outbox.ts…): ${offenders.join('; ')}`);
    const stale = Object.keys(EXCEPTIONS).filter((rel) => !found.has(rel));
    assert.deepEqual(stale, [], `these files no longer run SQL on the store: take them off EXCEPTIONS in this test: ${stale.join(', ')}`);
  });

  it('finds every way a file reaches a module', () => {
    // Guards the import checker, so an empty result below means something.
    const src = [
      `import { storeSql } from '../store/sql';`,
      `import type { StoreSql } from './sql';`,
      `export { marks } from '../../src/core/store/sql.ts';`,
      `import sql = require('../core/store/sql');`,
      `const m = await import('./sql');`,
      `const r = require("../store/sql");`,
      `import * as fs from 'node:fs';`,
    ].join('\n');
    assert.deepEqual(importedModules(src), ['../store/sql', './sql', '../../src/core/store/sql.ts', '../core/store/sql', './sql', '../store/sql', 'node:fs']);
    assert.equal(resolved('src/core/search/search.ts', '../store/sql'), SQL_MODULE);
    assert.equal(resolved('test/support/rawStoreSql.ts', '../../src/core/store/sql.ts'), SQL_MODULE);
    assert.equal(resolved('src/engine/x.ts', '../core/store/sql.js'), SQL_MODULE);
    assert.notEqual(resolved('src/core/search/search.ts', '../store/store'), SQL_MODULE);
    assert.notEqual(resolved('src/core/store/sqlite.ts', './sqlite'), SQL_MODULE);
  });

  it('only src/core/store and the test helper import the store\'s raw SQL (src/core/store/sql.ts)', function () {
    this.timeout(60_000);
    const importers = importersOf(SQL_MODULE);
    assert.ok(importers.some((rel) => rel.startsWith(STORE_DIR)), 'the store modules import it (or the check finds nothing)');
    const outside = importers.filter((rel) => !rel.startsWith(STORE_DIR) && rel !== `${TEST_HELPER}.ts`);
    assert.deepEqual(outside, [], `these files reach the store's raw SQL; call a named store method instead (tests that must: test/support/rawStoreSql.ts): ${outside.join(', ')}`);
  });

  it('only the listed tests use raw SQL through the test helper', () => {
    const users = importersOf(TEST_HELPER);
    const unlisted = users.filter((rel) => !(rel in TEST_READERS));
    assert.deepEqual(unlisted, [], `these files use raw SQL on the store: use a named store method, or list the test in TEST_READERS with why: ${unlisted.join(', ')}`);
    const stale = Object.keys(TEST_READERS).filter((rel) => !users.includes(rel));
    assert.deepEqual(stale, [], `these tests no longer use raw SQL: take them off TEST_READERS: ${stale.join(', ')}`);
  });

  it('a MailStore offers no raw SQL or database handle, whatever its type says', async () => {
    const store = await MailStore.open({});
    try {
      const open = store as unknown as Record<string, unknown>;
      for (const key of ['run', 'all', 'get', 'exec', 'prepare', 'db', 'stmt', 'sql']) assert.equal(open[key], undefined, `store.${key} is reachable`);
      // The named methods still work, through the same statements.
      store.upsertAccount({ id: 'a', provider: 'imap', email: 'a@example.test', imap: { host: '127.0.0.1', port: 1, security: 'none', user: 'a' } });
      assert.deepEqual(store.listAccounts().map((a) => a.id), ['a']);
    } finally {
      store.close();
    }
  });
});
