/**
 * Strings bound to SQLite go through TextEncoder.encodeInto (sqlite.ts, fasterBindString):
 * the shipped sql.js has both shapes the patch needs, and every kind of text comes back as it
 * went in, at the lengths where the patch sizes its buffer one way or the other.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import { fasterBindString, loadSqlJs } from '../../src/core/store/sqlite';

describe('strings bound to SQLite (TextEncoder instead of sql.js\'s loops)', () => {
  it('the shipped sql.js has the shapes the patch needs, exactly once each', () => {
    const source = fs.readFileSync(require.resolve('sql.js'), 'utf8');
    const patched = fasterBindString(source);
    assert.ok(patched, 'sql.js changed: fasterBindString found no allocateUTF8 or no bind of a string');
    assert.equal((patched.match(/__mdWritten,0\)\)/g) ?? []).length, 1);
    // Another shape: left as it is.
    assert.equal(fasterBindString(source.replace(/return d\}/g, 'return d }')), undefined);
  });

  it('every kind of text comes back as it went in: ASCII, two-, three- and four-byte UTF-8, NUL, empty, short and long', async () => {
    const SQL = await loadSqlJs();
    const db = new SQL.Database();
    try {
      db.exec('CREATE TABLE t (s TEXT)');
      // `unit` repeated to at least n UTF-16 units, never cutting a surrogate pair.
      const long = (unit: string, n: number): string => unit.repeat(Math.ceil(n / unit.length));
      const texts = [
        '', 'a', 'é', '€', '𝄞', 'a\u0000b', 'Grüße, 東京 ✓ 𝄞 — done',
        long('x', 65_536), long('x', 65_537), long('é', 65_536), long('東', 65_537), long('𝄞', 70_000), long('a😀', 200_000),
      ];
      const ins = db.prepare('INSERT INTO t (s) VALUES (?)');
      for (const s of texts) ins.run([s]);
      ins.free();
      const back = db.exec('SELECT s, length(s), length(CAST(s AS BLOB)) FROM t ORDER BY rowid')[0].values;
      texts.forEach((s, i) => {
        assert.ok(back[i][0] === s, `text ${i} (${s.length} units) came back as ${String(back[i][0]).length} units`);
        // SQLite saw the same characters and bytes: nothing cut, nothing past the end.
        assert.equal(back[i][1], s.includes('\u0000') ? s.indexOf('\u0000') : [...s].length, `characters of text ${i}`);
        assert.equal(back[i][2], Buffer.byteLength(s), `bytes of text ${i}`);
      });
      // A lone surrogate is not text in UTF-8: it is stored as U+FFFD.
      const q = db.prepare('SELECT ?, hex(?)');
      q.bind(['x\uD800y', 'x\uD800y']);
      q.step();
      assert.deepEqual(q.get(), ['x\uFFFDy', '78EFBFBD79']);
      q.free();
    } finally {
      db.close();
    }
  });
});
