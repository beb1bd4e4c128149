/**
 * SQL stays in src/core/store: everything else calls the store's named methods
 * (store.drafts.save…, store.outbox.markSent…, store.listJobs()…), so a table can change in
 * one place and every write goes through a method that records its change event. This fails
 * when a file outside src/core/store calls `run(`, `all(` or `get(` on the store, or with SQL.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as ts from 'typescript';

const ROOT = path.resolve(__dirname, '../..');
const STORE_DIR = 'src/core/store/';

/**
 * The only files outside the store that still run SQL on it, each with why. Nothing may be
 * added here; a file that no longer runs SQL must be taken off (the test says so).
 */
const EXCEPTIONS: Record<string, string> = {
  'src/core/search/search.ts': 'not moved yet: the full-text search queries (FTS5 over sql.js) and their paging',
  'src/core/search/indexer.ts': 'not moved yet: the thread and search index writes run in their own background batches',
  'src/core/threads/threads.ts': 'not moved yet: thread listing and paging queries',
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

  it('no file outside src/core/store runs SQL on the store, except the listed ones', () => {
    const files = tsFiles(path.join(ROOT, 'src'));
    assert.ok(files.length > 100, 'src should hold the TypeScript sources');
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
});
