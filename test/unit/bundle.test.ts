/**
 * What the window loads at activation (issue #12: activate in under 200 ms as VS Code counts it).
 * Builds the extension's bundles in memory as a release does (scripts/extensionBundles.mjs,
 * minified) and checks what the startup bundle, dist/extension.js, holds: its size, none of the
 * libraries that load on first use, and which modules it shares with the lazy bundles. A size
 * and contents test, not a timed one: the time is measured by `npm run bench:activation`.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import * as esbuild from 'esbuild';
import { AGENT_TOOLS } from '../../src/core/agent/tools';
import { AGENT_TOOL_NAMES } from '../../src/core/agent/toolNames';
import { OdooRpcError } from '../../src/core/bridges/odoo';
import { MailError, toMailError } from '../../src/core/errors';
import { memorySecretStore } from '../../src/core/auth/tokens';
import type { WorkflowBridge } from '../../src/core/bridges/bridge';
import { MailStore } from '../../src/core/store/store';
import { LazyMailDeskPro } from '../../src/extension/pro/lazyPro';

const ROOT = path.resolve(__dirname, '../..');

/**
 * The startup bundle's budget, minified. It was 3.6 MB (everything, sql.js aside) before the
 * lazy bundles and is about 245 KB now; raise it only for something activate() itself needs.
 */
const STARTUP_BUDGET_BYTES = 300 * 1024;

/** Libraries that must load on first use, never at activation. */
const FORBIDDEN_PACKAGES = [
  'nodemailer', // but its address parser, which compose validates with (see ALLOWED_FILES)
  'markdown-it',
  'entities',
  'postcss',
  'sanitize-html',
  'htmlparser2',
  'html-to-text',
  'zod',
  '@azure/msal-node',
  '@azure/msal-common',
  'google-auth-library',
  '@googleapis/gmail',
  '@microsoft/microsoft-graph-client',
  'imapflow',
  'postal-mime',
  'libmime',
  'iconv-lite',
  'sql.js',
  'pino',
];
const ALLOWED_FILES = [/node_modules\/nodemailer\/(lib|dist\/\w+)\/addressparser\//];

/** MailDesk modules that are whole subsystems: the engine's, or loaded on first use. */
const FORBIDDEN_SOURCES = [/^src\/core\/store\//, /^src\/core\/providers\/(?!graph\/msalSettings\.ts$)/, /^src\/core\/maildesk\.ts$/, /^src\/core\/sync\/scheduler\.ts$/, /^src\/core\/agent\/tools\.ts$/, /^src\/core\/licence\/maildeskPro\.ts$/, /^src\/core\/send\/(compose|composeForm|markdown)\.ts$/, /^src\/core\/render\//, /^src\/core\/mime\//];

/**
 * Modules a lazy bundle may carry a copy of besides the startup bundle's. Each copy has its own
 * module state, so only modules without shared state belong here: constants and pure functions,
 * MailError (recognised across copies, src/core/errors.ts), and the token refresh state of
 * core/auth/tokens.ts and the ProHost map of core/licence/pro.ts, which only one copy uses
 * (the sign-in bundle's; the stand-in's own core's).
 */
const SHAREABLE = new Set([
  'src/core/errors.ts',
  'src/core/config.ts',
  'src/core/deadline.ts',
  'src/core/workerThread.ts',
  'src/shared/html.ts',
  'src/core/providers/graph/msalSettings.ts',
  'src/core/auth/tokens.ts',
  'src/core/auth/oauthConfig.ts',
  'src/core/send/addresses.ts',
  'src/core/licence/licence.ts',
  'src/core/licence/publicKey.ts',
  'src/core/licence/pro.ts',
  'src/core/licence/proLicence.ts',
  'src/core/ai/provider.ts',
  'src/core/diagnostics/redact.ts',
  'src/core/diagnostics/report.ts',
  'src/core/diagnostics/check.ts',
  'src/core/diagnostics/checks/connection.ts',
  'src/core/sync/bodiesProgress.ts',
  'src/core/agent/switches.ts',
  'src/engine/wire.ts',
  'src/extension/signInRecord.ts',
]);

interface Bundles {
  LAZY_BUNDLES: Record<string, string>;
  STARTUP_BUNDLE: string;
  extensionTargets(node: esbuild.BuildOptions, root?: string): esbuild.BuildOptions[];
}

/** Output file (dist/name.js) -> its inputs and size. */
type Built = Map<string, { bytes: number; inputs: string[] }>;

describe('the startup bundle (what VS Code loads to activate MailDesk)', function () {
  this.timeout(120_000);
  let bundles: Bundles;
  let built: Built;

  before(async () => {
    bundles = (await import(pathToFileURL(path.join(ROOT, 'scripts/extensionBundles.mjs')).href)) as Bundles;
    const node: esbuild.BuildOptions = { bundle: true, platform: 'node', target: 'node20', format: 'cjs', minify: true, logLevel: 'silent', external: ['vscode', 'sql.js'], metafile: true, write: false, absWorkingDir: ROOT };
    built = new Map();
    for (const t of bundles.extensionTargets(node, ROOT)) {
      const r = await esbuild.build({ ...t, outdir: path.join(ROOT, 'dist') });
      for (const [file, o] of Object.entries(r.metafile!.outputs)) if (file.endsWith('.js')) built.set(path.basename(file, '.js'), { bytes: o.bytes, inputs: Object.keys(o.inputs) });
    }
  });

  const startup = () => built.get(bundles.STARTUP_BUNDLE)!;

  it(`stays under ${STARTUP_BUDGET_BYTES / 1024} KB minified`, () => {
    assert.ok(startup().bytes > 10_000, 'the build produced the startup bundle');
    assert.ok(startup().bytes <= STARTUP_BUDGET_BYTES, `dist/extension.js is ${(startup().bytes / 1024).toFixed(0)} KB, over its budget of ${STARTUP_BUDGET_BYTES / 1024} KB: load what activate() does not need on first use (scripts/extensionBundles.mjs)`);
  });

  it('holds none of the libraries and subsystems that load on first use', () => {
    const inputs = startup().inputs;
    const pkg = (f: string) => /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(f)?.[1];
    const libraries = inputs.filter((f) => FORBIDDEN_PACKAGES.includes(pkg(f) ?? '') && !ALLOWED_FILES.some((a) => a.test(f)));
    assert.deepEqual([...new Set(libraries.map(pkg))], [], 'libraries in dist/extension.js that should load on first use');
    assert.deepEqual(inputs.filter((f) => FORBIDDEN_SOURCES.some((r) => r.test(f))), [], 'MailDesk modules in dist/extension.js that should load on first use');
    // The check sees what it should: the engine client is there, and so is the address parser allowed above.
    assert.ok(inputs.includes('src/engine/client.ts'));
    assert.ok(inputs.some((f) => ALLOWED_FILES[0]!.test(f)));
  });

  it('loads each lazy bundle by require() on first use, never with its module inlined', () => {
    for (const [name, source] of Object.entries(bundles.LAZY_BUNDLES)) {
      assert.ok(built.has(name), `dist/${name}.js is built`);
      assert.ok(built.get(name)!.inputs.includes(source), `dist/${name}.js is built from ${source}`);
      assert.ok(!startup().inputs.includes(source), `${source} is not inlined in dist/extension.js`);
    }
    // The heavy libraries are where they are used.
    const holds = (name: string, p: string) => built.get(name)!.inputs.some((f) => f.includes(`node_modules/${p}/`));
    assert.ok(holds('extension-agentTools', 'zod'));
    assert.ok(holds('extension-signInGoogle', 'google-auth-library'));
    assert.ok(holds('extension-signInMicrosoft', '@azure/msal-node'));
    assert.ok(holds('extension-composeForm', 'markdown-it'));
  });

  it('shares with the lazy bundles only modules without shared state', () => {
    const mine = new Set(startup().inputs.filter((f) => f.startsWith('src/')));
    const shared = Object.keys(bundles.LAZY_BUNDLES).flatMap((name) => built.get(name)!.inputs.filter((f) => mine.has(f) && !SHAREABLE.has(f)).map((f) => `${f} (in dist/${name}.js too)`));
    assert.deepEqual(shared, [], 'a second copy of these would have state of its own: keep them in one bundle, or list them in SHAREABLE if they have none');
  });

  it('is packaged with every lazy bundle (.vscodeignore)', () => {
    const ignore = fs.readFileSync(path.join(ROOT, '.vscodeignore'), 'utf8').split('\n');
    assert.ok(ignore.includes('!dist/extension-*.js'), '.vscodeignore lets dist/extension-*.js into the package');
    for (const name of Object.keys(bundles.LAZY_BUNDLES)) assert.match(name, /^extension-[\w-]+$/);
  });

  it('is packaged with the engine\'s worker threads, which load from beside the bundles (.vscodeignore)', () => {
    const ignore = fs.readFileSync(path.join(ROOT, '.vscodeignore'), 'utf8').split('\n');
    for (const f of ['dist/engineWorker.js', 'dist/imapHeaderWorker.js']) assert.ok(ignore.includes(`!${f}`), `.vscodeignore ships ${f}`);
    const build = fs.readFileSync(path.join(ROOT, 'esbuild.mjs'), 'utf8');
    assert.match(build, /imapHeaderWorker: 'src\/core\/providers\/imap\/headerWorker\.ts'/, 'esbuild.mjs builds dist/imapHeaderWorker.js');
  });

  it('registers the agent tools by the names of their definitions (without loading zod)', () => {
    assert.deepEqual(AGENT_TOOL_NAMES, AGENT_TOOLS.map((t) => t.name));
  });

  it('activates after startup, on its views and commands, never on "*"', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { activationEvents: string[] };
    assert.ok(!pkg.activationEvents.includes('*'), 'no "*" activation: it would run during startup');
    // Mail syncs, and the badge and status bar show, once VS Code has started, MailDesk's view open or not.
    assert.ok(pkg.activationEvents.includes('onStartupFinished'));
    // A draft editor restored at startup needs its file system provider (src/extension/compose/editorCompose.ts).
    assert.ok(pkg.activationEvents.includes('onFileSystem:maildesk-draft'));
  });
});

describe('a MailError thrown in one bundle and caught in another', () => {
  /** A second copy of src/core/errors.ts, as a lazy bundle carries one. */
  function otherCopy(): typeof import('../../src/core/errors') {
    const file = require.resolve('../../src/core/errors');
    const mine = require.cache[file];
    delete require.cache[file];
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      return require(file) as typeof import('../../src/core/errors');
    } finally {
      require.cache[file] = mine;
    }
  }

  it('is still a MailError there, with its code and remedy', () => {
    const copy = otherCopy();
    assert.notEqual(copy.MailError, MailError, 'a second copy of the class');
    const e = new copy.MailError('oauth.notConfigured', 'OAuth not configured', { remedy: 'Set maildesk.oauth.google.clientId' });
    assert.ok(e instanceof MailError);
    assert.equal(toMailError(e, 'signing in'), e, 'kept as it is, not wrapped as an unknown error');
    assert.equal(toMailError(e).remedy, 'Set maildesk.oauth.google.clientId');
    assert.ok(new MailError('internal', 'x') instanceof copy.MailError);
  });

  it('is not taken for anything else', () => {
    assert.ok(!(new Error('plain') instanceof MailError));
    assert.ok(!({ code: 'auth.failed', message: 'looks like one' } instanceof MailError));
    const nothing: unknown = null;
    assert.ok(!(nothing instanceof MailError));
    // A subclass keeps the usual check.
    assert.ok(!(new MailError('internal', 'x') instanceof OdooRpcError));
    const odoo = new OdooRpcError('odoo.exceptions.AccessError', 'no access');
    assert.ok(odoo instanceof OdooRpcError && odoo instanceof MailError);
  });
});

describe('MailDesk Pro in a window, loaded on first use', () => {
  const bridge = (id: string): WorkflowBridge => ({ id, label: `Bridge ${id}`, app: 'Test', check: async () => ({ state: 'ok' }), run: async () => ({ message: 'done', records: [] }) });

  it('answers the licence without loading, and keeps the bridges other extensions registered before it loaded', async () => {
    const store = await MailStore.open({});
    const refused: string[] = [];
    const pro = new LazyMailDeskPro({ core: { store, messageSource: async () => Buffer.alloc(0) }, host: { secrets: memorySecretStore() }, settings: () => ({}) }, (b) => refused.push(b.id));
    const loaded = () => (pro as unknown as { loaded?: unknown }).loaded !== undefined;
    try {
      assert.equal((await pro.licence()).pro, false);
      assert.equal((await pro.enterLicence('not a key')).state, 'malformed');
      pro.bridges.invalidate();
      pro.bridges.register(bridge('test.early'));
      const gone = pro.bridges.register(bridge('test.gone'));
      gone.dispose();
      // A built-in id is refused when MailDeskPro loads; an early duplicate at once.
      pro.bridges.register(bridge('crm'));
      assert.throws(() => pro.bridges.register(bridge('test.early')), (e: MailError) => e.code === 'config.invalid');
      assert.throws(() => pro.bridges.register({ id: '' } as WorkflowBridge), (e: MailError) => e.code === 'config.invalid');
      assert.equal(loaded(), false, 'the licence and registrations did not load the AI service and bridges');

      const ids = (await pro.bridges.actionsFor('work')).map((a) => a.id);
      assert.equal(loaded(), true);
      assert.ok(ids.includes('test.early'), `kept: ${ids}`);
      assert.ok(!ids.includes('test.gone'), 'disposed before loading, never added');
      assert.deepEqual(refused, ['crm']);
      // Registered after loading: straight to the service.
      const late = pro.bridges.register(bridge('test.late'));
      assert.ok((await pro.bridges.actionsFor('work')).some((a) => a.id === 'test.late'));
      late.dispose();
      assert.ok(!(await pro.bridges.actionsFor('work')).some((a) => a.id === 'test.late'));
    } finally {
      pro.dispose();
      store.close();
    }
  });
});
