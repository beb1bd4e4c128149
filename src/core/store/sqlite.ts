/**
 * Loads sql.js once per process, with one addition: access to the in-memory file that
 * holds the database (sql.js keeps it in Emscripten's MEMFS), so the store can write that
 * file to disk a slice at a time instead of exporting the whole database in one synchronous
 * call (see memfsSnapshot.ts).
 *
 * sql.js does not export its file system, so its script is loaded from text with two
 * lines added next to its own `export()`, which already reads and writes MEMFS nodes the
 * same way. The names involved are minified; they are found by the shape of that function,
 * and if it is not there (another sql.js build) sql.js loads unchanged and the store
 * saves with export() as before. The script and its wasm ship beside the bundle (dist/);
 * from sources (tests) they are read from node_modules.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vm from 'node:vm';
import type { SqlJsStatic } from 'sql.js';

/** The MEMFS file behind one open database. */
export interface MemFile {
  /** The file's bytes: a view valid until the next write (MEMFS reallocates to grow). */
  bytes(): Uint8Array;
  /** Called before every write to this file, with the range about to change. */
  onWrite(listener: ((position: number, length: number) => void) | undefined): void;
  /** Bytes the file can grow to before MEMFS must reallocate (and copy) it. */
  capacity(): number;
  /**
   * Moves the file into a buffer of `bytes` capacity now. MEMFS otherwise grows a file by
   * 1/8 at a time: some 40 copies of the whole database on the way to 100,000 messages,
   * each left for the garbage collector. The space beyond the file's end is never touched,
   * so it takes address space, not memory.
   */
  reserve(bytes: number): void;
  /**
   * Makes `bytes[0, size)` the file's contents, the array itself and not a copy (its length is
   * the capacity). Only for a file SQLite has not read yet: readDatabase loads a stored
   * database this way, straight from disk into an array with room to grow, where sql.js's own
   * way holds the file read, its copy in MEMFS and then the bigger array all at once.
   */
  adopt(bytes: Uint8Array, size: number): void;
}

export interface SqlJs extends SqlJsStatic {
  /** The file behind a database (`db.filename`); undefined when this sql.js build hides it. */
  memFile?: (filename: string) => MemFile;
  /** Bytes of WebAssembly memory SQLite has grown to (it never shrinks), for memory reports. */
  wasmBytes?: () => number;
}

interface MemfsAccess {
  node(filename: string): { node: object; contents: Uint8Array; size: number; ops: { write: (...a: unknown[]) => unknown } };
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
 * Adds `__maildeskMemfs.node(name)` to the module, next to `Database`. Found by the shape of
 * sql.js's export(): `var r=LOOKUP(f).node,u=null,w=r.OPS.write; ... r.CONTENTS.set(...);r.USED=Math.max(`.
 */
export function patchSqlJs(source: string): string | undefined {
  const exp = /var (\w+)=(\w+)\(\w+\)\.node,\w+=null,\w+=\1\.(\w+)\.write;[^]{0,400}?\1\.(\w+)\.set\(\w+\.subarray\([^)]*\),\w+\);\1\.(\w+)=Math\.max\(/.exec(source);
  const db = /(\w+)\.Database=(\w+)\}/.exec(source);
  if (!exp || !db || source.indexOf(db[0]) !== source.lastIndexOf(db[0])) return undefined;
  const [, , lookup, ops, contents, used] = exp;
  // The WebAssembly memory, found where sql.js makes its heap views of it (`var a=M.buffer;X=new Int8Array(a)`).
  const mem = /var (\w+)=(\w+)\.buffer;\w+=new Int8Array\(\1\)/.exec(source);
  const wasm = mem ? `,wasmBytes:function(){return ${mem[2]}.buffer.byteLength}` : '';
  const add = `${db[1]}.__maildeskMemfs={node:function(n){var r=${lookup}(n).node;return{node:r,get contents(){return r.${contents}},set contents(v){r.${contents}=v},get size(){return r.${used}},set size(v){r.${used}=v},ops:r.${ops}}}${wasm}};`;
  return source.replace(db[0], `${db[1]}.Database=${db[2]};${add}}`);
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

/** One listener per file node, called from a single wrapper around MEMFS's shared write. */
const writeListeners = new WeakMap<object, (position: number, length: number) => void>();
const wrappedOps = new WeakSet<object>();

function memFileAccess(memfs: MemfsAccess): (filename: string) => MemFile {
  return (filename) => {
    const n = memfs.node(filename);
    const ops = n.ops;
    if (!wrappedOps.has(ops)) {
      wrappedOps.add(ops);
      const write = ops.write;
      // MEMFS write(stream, buffer, offset, length, position, canOwn)
      ops.write = function (this: unknown, ...args: unknown[]) {
        const stream = args[0] as { node?: object };
        const listener = stream?.node ? writeListeners.get(stream.node) : undefined;
        if (listener) listener(args[4] as number, args[3] as number);
        return write.apply(this, args);
      };
    }
    return {
      bytes: () => n.contents.subarray(0, n.size),
      capacity: () => n.contents.length,
      reserve: (bytes) => {
        if (n.contents.length >= bytes) return;
        const next = new Uint8Array(bytes);
        next.set(n.contents.subarray(0, n.size));
        n.contents = next;
      },
      adopt: (bytes, size) => {
        if (size > bytes.length) throw new RangeError(`the file's ${size} bytes do not fit in ${bytes.length}`);
        n.contents = bytes;
        n.size = size;
      },
      onWrite: (listener) => {
        if (listener) writeListeners.set(n.node, listener);
        else writeListeners.delete(n.node);
      },
    };
  };
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
      if (memfs) out.memFile = memFileAccess(memfs);
      if (memfs?.wasmBytes) out.wasmBytes = memfs.wasmBytes;
      return out;
    });
  }
  return loading;
}
