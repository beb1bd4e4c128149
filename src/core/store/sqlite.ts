/**
 * Loads sql.js once per process. The wasm ships beside the bundle (dist/sql-wasm.wasm);
 * when running from sources (tests) it is found in node_modules.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import initSqlJs from 'sql.js';
import type { SqlJsStatic } from 'sql.js';

let loading: Promise<SqlJsStatic> | undefined;

function wasmPath(): string {
  const beside = path.join(__dirname, 'sql-wasm.wasm');
  if (fs.existsSync(beside)) return beside;
  return path.join(path.dirname(require.resolve('sql.js')), 'sql-wasm.wasm');
}

export function loadSqlJs(): Promise<SqlJsStatic> {
  if (!loading) {
    const wasmBinary = fs.readFileSync(wasmPath());
    loading = initSqlJs({ wasmBinary: wasmBinary as unknown as ArrayBuffer });
  }
  return loading;
}
