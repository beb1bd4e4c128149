// One esbuild context per target: extension host, CLI, webviews, and the
// scripts (demo, bench) that run the same core code outside VS Code.
import * as esbuild from 'esbuild';
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { promisify } from 'node:util';
import { extensionTargets } from './scripts/extensionBundles.mjs';

const require = createRequire(import.meta.url);
const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');

// smtp-server (the sandbox's SMTP, src/sandbox/server.ts) keeps a pregenerated localhost key
// in tls-options.js; the sandbox offers no TLS, and no private key ships in a bundle.
const noSmtpDefaultKey = {
  name: 'no-smtp-default-key',
  setup(build) {
    build.onResolve({ filter: /[\\/]tls-options(\.js)?$/ }, (args) =>
      /[\\/]smtp-server[\\/]/.test(args.importer) ? { path: path.resolve('src/sandbox/smtpTlsOptions.ts') } : undefined,
    );
  },
};

const node = {
  plugins: [noSmtpDefaultKey],
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: !production,
  minify: production,
  logLevel: 'warning',
  // sql.js is read from dist/ at run time (src/core/store/sqlite.ts), never bundled.
  external: ['vscode', 'sql.js'],
  // sqlite.ts finds sql.js beside the bundle first; the require.resolve fallback is for tests.
  logOverride: { 'require-resolve-not-external': 'silent' },
};

const targets = [
  // The window's startup bundle and the ones it loads on first use (scripts/extensionBundles.mjs).
  ...extensionTargets(node),
  { ...node, entryPoints: { cli: 'src/cli/run.ts' }, outdir: 'dist' },
  // The engine's worker thread (src/engine/client.ts starts it from beside the bundle).
  { ...node, entryPoints: { engineWorker: 'src/engine/engineWorker.ts' }, outdir: 'dist' },
  // The engine's IMAP header worker (src/core/providers/imap/headerFetcher.ts starts it from beside the bundle).
  { ...node, entryPoints: { imapHeaderWorker: 'src/core/providers/imap/headerWorker.ts' }, outdir: 'dist' },
  // hoodiecrow-imap loads its plugins by computed require: leave it in node_modules.
  { ...node, entryPoints: { demo: 'scripts/demo.ts' }, outdir: 'dist', external: ['vscode', 'sql.js', 'hoodiecrow-imap'] },
  { ...node, entryPoints: { bench: 'bench/bench.ts' }, outdir: 'dist' },
  { ...node, entryPoints: { engineBench: 'bench/engineBench.ts' }, outdir: 'dist' },
  // Load + activate time as VS Code counts it (bench/activation.ts): requires dist/extension.js.
  { ...node, entryPoints: { activationBench: 'bench/activation.ts' }, outdir: 'dist' },
  // Peak memory of opening a stored database in place, against sql.js's own way.
  {
    bundle: true,
    platform: 'browser',
    target: 'es2022',
    format: 'iife',
    sourcemap: !production,
    minify: production,
    logLevel: 'warning',
    entryPoints: { 'webview-messages': 'src/webview/messages/main.ts', 'webview-thread': 'src/webview/thread/main.ts', 'webview-troubleshoot': 'src/webview/troubleshoot/main.ts', 'webview-compose': 'src/webview/compose/main.ts' },
    outdir: 'dist',
  },
].filter((t) => Object.values(t.entryPoints).every((p) => existsSync(p)));

mkdirSync('dist', { recursive: true });
// sql.js is loaded from beside the bundle, script and wasm (see src/core/store/sqlite.ts:
// the script is read as text so the store can reach the file SQLite keeps in memory).
copyFileSync(path.join(path.dirname(require.resolve('sql.js')), 'sql-wasm.wasm'), 'dist/sql-wasm.wasm');
copyFileSync(require.resolve('sql.js'), 'dist/sql-wasm.js');
// Codicons for the webviews (the same icons as the workbench): the stylesheet and its font, side by side.
mkdirSync('dist/codicons', { recursive: true });
for (const f of ['codicon.css', 'codicon.ttf']) copyFileSync(path.join(path.dirname(require.resolve('@vscode/codicons/package.json')), 'dist', f), `dist/codicons/${f}`);

// The empty, migrated store a new data folder starts from (src/core/store/storeTemplate.ts),
// built from the sources' migrations beside the bundles.
const storeTemplate = promisify(execFile)(process.execPath, ['-r', 'tsx/cjs', 'scripts/storeTemplate.ts', 'dist']);

if (watch) {
  await storeTemplate;
  for (const t of targets) (await esbuild.context(t)).watch();
} else {
  await Promise.all([...targets.map((t) => esbuild.build(t)), storeTemplate]);
}
