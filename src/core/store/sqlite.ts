/**
 * Loads sql.js once per process, with two additions: a way into Emscripten's in-memory file
 * system (MEMFS), where sql.js keeps its databases, so the store can keep its database on
 * disk instead (diskFiles.ts) and the bench can read how big SQLite's heap has grown; and a
 * faster way for bound strings into SQLite's heap (fasterBindString).
 *
 * sql.js does not export its file system, so its script is loaded from text with one line
 * added next to its `Database`, built from the names its own `export()` uses to reach MEMFS
 * nodes. The names involved are minified; they are found by the shape of that function. The
 * script and its wasm ship beside the bundle (dist/); from sources (tests) they are read
 * from node_modules.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vm from 'node:vm';
import type { Database, SqlJsStatic } from 'sql.js';
import { diskFiles, type DiskDatabase, type MemfsReach } from './diskFiles';

export interface SqlJs extends SqlJsStatic {
  /** Bytes of WebAssembly memory SQLite has grown to (it never shrinks), for memory reports. */
  wasmBytes?: () => number;
  /**
   * Opens (or creates) the database in `file` with its pages on disk (diskFiles.ts); undefined
   * when this sql.js build hides its file system.
   */
  openOnDisk?: (file: string) => { db: Database; disk: DiskDatabase };
}

interface MemfsAccess extends MemfsReach {
  wasmBytes?: () => number;
}

let loading: Promise<SqlJs> | undefined;

function beside(file: string): string | undefined {
  const p = path.join(__dirname, file);
  return fs.existsSync(p) ? p : undefined;
}

function wasmPath(): string {
  return beside('sql-wasm.wasm') ?? path.join(path.dirname(require.resolve('sql.js')), 'sql-wasm.wasm');
}

function scriptPath(): string {
  return beside('sql-wasm.js') ?? require.resolve('sql.js');
}

/**
 * Adds `__maildeskMemfs.node(path)` (MEMFS's node at a path) to the module, next to `Database`.
 * LOOKUP is found by the shape of sql.js's export():
 * `var r=LOOKUP(f).node,u=null,w=r.OPS.write; ... r.CONTENTS.set(...);r.USED=Math.max(`.
 */
export function patchSqlJs(source: string): string | undefined {
  const exp = /var (\w+)=(\w+)\(\w+\)\.node,\w+=null,\w+=\1\.(\w+)\.write;[^]{0,400}?\1\.(\w+)\.set\(\w+\.subarray\([^)]*\),\w+\);\1\.(\w+)=Math\.max\(/.exec(source);
  const db = /(\w+)\.Database=(\w+)\}/.exec(source);
  if (!exp || !db || source.indexOf(db[0]) !== source.lastIndexOf(db[0])) return undefined;
  const lookup = exp[2];
  // The WebAssembly memory, found where sql.js makes its heap views of it (`var a=M.buffer;X=new Int8Array(a)`).
  const mem = /var (\w+)=(\w+)\.buffer;\w+=new Int8Array\(\1\)/.exec(source);
  const wasm = mem ? `,wasmBytes:function(){return ${mem[2]}.buffer.byteLength}` : '';
  const add = `${db[1]}.__maildeskMemfs={node:function(n){return{node:${lookup}(n).node}}${wasm}};`;
  const withMemfs = source.replace(db[0], `${db[1]}.Database=${db[2]};${add}}`);
  return fasterBindString(withMemfs) ?? withMemfs;
}

/**
 * A bound string reaches SQLite's heap through TextEncoder.encodeInto instead of sql.js's own
 * JavaScript loops. sql.js walks each string three times by code point: to size it, to copy it,
 * and again for the length it passes to sqlite3_bind_text. Inserting 10,000 rows of six
 * header-like strings took 59 ms that way, and 33 ms this way (medians of 8); the engine's
 * thread spent ~130 ms less over a 10,000-message header sync (7 benches each). The bytes
 * are the same for any well-formed string. A lone surrogate, which is not text in UTF-8,
 * becomes U+FFFD, where sql.js wrote bytes that no UTF-8 decoder reads back.
 *
 * Found by shape:
 * - sql.js's `allocateUTF8`: `ALLOC=a=>{var b=LEN(a)+1,d=MALLOC(b);d&&COPY(a,HEAP,d,b);return d}`;
 * - the bind of a string: `var p=ALLOC(f);this.X.push(p);this.db.handleError(BIND(this.Y,h,p,LEN(f),0))`.
 *
 * Short strings get room for three bytes per UTF-16 unit, the most one can take. Long ones are
 * sized exactly, because the wasm heap never shrinks.
 * Returns undefined, leaving sql.js as it is, when either shape is not found exactly once.
 */
export function fasterBindString(source: string): string | undefined {
  const alloc = /(\w+)=a=>\{var b=(\w+)\(a\)\+1,d=(\w+)\(b\);d&&\w+\(a,(\w+),d,b\);return d\}/g;
  const found = [...source.matchAll(alloc)];
  if (found.length !== 1) return undefined;
  const [whole, allocName, lenName, mallocName, heap] = found[0];
  const bind = new RegExp(`var (\\w)=${allocName}\\((\\w)\\);this\\.\\w+\\.push\\(\\1\\);this\\.db\\.handleError\\(\\w+\\(this\\.\\w+,\\w,\\1,(${lenName}\\(\\2\\)),0\\)\\)`, 'g');
  const binds = [...source.matchAll(bind)];
  if (binds.length !== 1) return undefined;
  const fast =
    `__mdEncoder=new TextEncoder(),__mdWritten=0,` +
    `${allocName}=a=>{var b=a.length>65536?${lenName}(a)+1:a.length*3+1,d=${mallocName}(b);` +
    `if(d){__mdWritten=__mdEncoder.encodeInto(a,${heap}.subarray(d,d+b-1)).written;${heap}[d+__mdWritten]=0}return d}`;
  const call = binds[0][0];
  return source.replace(whole, fast).replace(call, call.replace(`${binds[0][3]},0))`, '__mdWritten,0))'));
}

function evaluate(source: string, filename: string): (config: object) => Promise<SqlJsStatic> {
  const mod = { exports: {} as unknown };
  const fn = vm.runInThisContext(`(function (module, exports, require, __filename, __dirname) {${source}\n})`, { filename }) as (
    m: typeof mod,
    e: unknown,
    r: NodeRequire,
    f: string,
    d: string,
  ) => void;
  fn(mod, mod.exports, require, filename, path.dirname(filename));
  return mod.exports as (config: object) => Promise<SqlJsStatic>;
}

export function loadSqlJs(): Promise<SqlJs> {
  if (!loading) {
    const wasmBinary = fs.readFileSync(wasmPath());
    const file = scriptPath();
    const source = fs.readFileSync(file, 'utf8');
    const patched = patchSqlJs(source);
    const init = evaluate(patched ?? source, file);
    loading = init({ wasmBinary: wasmBinary as unknown as ArrayBuffer }).then((SQL) => {
      const memfs = (SQL as unknown as { __maildeskMemfs?: MemfsAccess }).__maildeskMemfs;
      const out = SQL as SqlJs;
      if (memfs?.wasmBytes) out.wasmBytes = memfs.wasmBytes;
      const disk = memfs
        ? diskFiles(memfs, () => {
            const d = new out.Database() as Database & { filename: string };
            return { filename: d.filename, close: () => d.close() };
          })
        : undefined;
      if (disk) {
        out.openOnDisk = (file) => {
          const { value, disk: d } = disk.open(file, () => new out.Database());
          return { db: value, disk: d };
        };
      }
      return out;
    });
  }
  return loading;
}
