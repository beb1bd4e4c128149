// One esbuild context per target: extension host, CLI, webviews, and the
// scripts (demo, bench) that run the same core code outside VS Code.
import * as esbuild from 'esbuild';
import { copyFileSync, mkdirSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);
const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');

const node = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: !production,
  minify: production,
  logLevel: 'warning',
  // sql.js looks for fs/path/crypto at run time; keep it a normal bundle input.
  external: ['vscode'],
};

const targets = [
  { ...node, entryPoints: { extension: 'src/extension/extension.ts' }, outdir: 'dist' },
  { ...node, entryPoints: { cli: 'src/cli/main.ts' }, outdir: 'dist' },
  { ...node, entryPoints: { demo: 'scripts/demo.ts', bench: 'bench/bench.ts' }, outdir: 'dist' },
  {
    bundle: true,
    platform: 'browser',
    target: 'es2022',
    format: 'iife',
    sourcemap: !production,
    minify: production,
    logLevel: 'warning',
    entryPoints: { 'webview-messages': 'src/webview/messages/main.ts' },
    outdir: 'dist',
  },
].filter((t) => Object.values(t.entryPoints).every((p) => existsSync(p)));

mkdirSync('dist', { recursive: true });
// sql.js loads its wasm from beside the bundle (see src/core/store/sqlite.ts).
copyFileSync(path.join(path.dirname(require.resolve('sql.js')), 'sql-wasm.wasm'), 'dist/sql-wasm.wasm');

if (watch) {
  for (const t of targets) (await esbuild.context(t)).watch();
} else {
  await Promise.all(targets.map((t) => esbuild.build(t)));
}
