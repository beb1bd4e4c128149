// The extension host's bundles: what VS Code loads when MailDesk activates, and what it loads
// later, on first use. Shared by esbuild.mjs (the build) and test/unit/bundle.test.ts (which
// builds them in memory and checks what the startup bundle holds).
//
// VS Code counts an extension's activation as the require() of its main module plus the
// activate() call, and runs it on the extension host's one thread: every byte of
// dist/extension.js is parsed and every module in it evaluated before MailDesk's views can
// show. So dist/extension.js holds only what activate() needs (views, status bar, command
// registrations, the engine client); sign-in, the agent tools, the Troubleshoot stand-in and
// the like are bundles of their own, loaded by require() the first time they are used.
//
// Why separate CommonJS bundles and not esbuild's code splitting: splitting works only with
// the ESM format, and VS Code 1.100 (the lowest version MailDesk supports) loads an
// extension's main module with require(). So a `require('./x')` (or `await import('./x')`) in
// src of a module listed in LAZY_BUNDLES becomes `require('./extension-<name>.js')` of a bundle
// built from that module beside dist/extension.js, run when that line first runs (Node's module
// cache loads it once). The source says `require()`, typed with `typeof import('./x')`: tsx (the
// tests) runs it on the TypeScript module itself, where its `import()` would go to Node's ESM
// loader and miss the extensionless path. A dynamic import of a module not listed is a build
// error, so nothing is inlined back by accident.
// A lazy bundle carries its own copy of the small modules it shares with the startup bundle
// (errors, html escaping, protocol types): test/unit/bundle.test.ts lists which may be shared.
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';

/** Bundle name (dist/<name>.js) -> the module it is built from. */
export const LAZY_BUNDLES = {
  // Troubleshoot without an engine: a whole core (providers, parsers, sql.js), for a broken store only.
  'extension-standIn': 'src/extension/troubleshoot/standIn.ts',
  // Gmail sign-in (google-auth-library, @googleapis/gmail).
  'extension-signInGoogle': 'src/extension/gmailAccount.ts',
  // Outlook sign-in (@azure/msal-node).
  'extension-signInMicrosoft': 'src/core/providers/graph/msalAuth.ts',
  // The agent tools' schemas and runner (zod, the agent mailbox).
  'extension-agentTools': 'src/extension/agent/agentTools.ts',
  // The compose form's rules and markdown-it (a Markdown body's HTML), for the compose windows.
  'extension-composeForm': 'src/core/send/composeForm.ts',
  // MailDesk Pro's AI service and Workflow Bridges (the licence itself is in the startup bundle).
  'extension-pro': 'src/core/licence/maildeskPro.ts',
};

export const STARTUP_BUNDLE = 'extension';
export const STARTUP_ENTRY = 'src/extension/extension.ts';

function sourceFile(p) {
  for (const c of [p, `${p}.ts`, path.join(p, 'index.ts')]) if (existsSync(c) && statSync(c).isFile()) return c;
  return undefined;
}

/** Dynamic imports of LAZY_BUNDLES modules become lazy require()s of their bundles. */
export function lazyBundlesPlugin(root = process.cwd()) {
  const src = path.resolve(root, 'src') + path.sep;
  const byFile = new Map(Object.entries(LAZY_BUNDLES).map(([name, file]) => [path.resolve(root, file), name]));
  return {
    name: 'maildesk-lazy-bundles',
    setup(build) {
      build.onResolve({ filter: /^\./ }, (args) => {
        // MailDesk's own dynamic imports and require()s; a library's stay as esbuild bundles them.
        if ((args.kind !== 'dynamic-import' && args.kind !== 'require-call') || !path.resolve(args.importer).startsWith(src)) return undefined;
        const file = sourceFile(path.resolve(args.resolveDir, args.path));
        const name = file && byFile.get(path.resolve(file));
        if (!name && args.kind === 'require-call') return undefined;
        if (!name) return { errors: [{ text: `${args.path} is imported with import() but is not a lazy bundle: add it to LAZY_BUNDLES in scripts/extensionBundles.mjs (or import it statically)` }] };
        return { path: name, namespace: 'maildesk-lazy' };
      });
      build.onLoad({ filter: /.*/, namespace: 'maildesk-lazy' }, (args) => ({ contents: `module.exports = require(${JSON.stringify(`./${args.path}.js`)});`, loader: 'js' }));
      build.onResolve({ filter: /^\.\/extension-[\w-]+\.js$/ }, (args) => (args.namespace === 'maildesk-lazy' ? { path: args.path, external: true } : undefined));
    },
  };
}

/** The esbuild options of the startup bundle and of each lazy one (the same Node options as the others). */
export function extensionTargets(node, root = process.cwd()) {
  const plugins = [...(node.plugins ?? []), lazyBundlesPlugin(root)];
  return [
    { ...node, plugins, entryPoints: { [STARTUP_BUNDLE]: STARTUP_ENTRY }, outdir: 'dist' },
    { ...node, plugins, entryPoints: LAZY_BUNDLES, outdir: 'dist' },
  ];
}
