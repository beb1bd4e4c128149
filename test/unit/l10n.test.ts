/**
 * Every word MailDesk shows in VS Code can be translated (README "Translations"):
 * - each `l10n.t` / `vscode.l10n.t` message in src is in l10n/bundle.l10n.json, the file
 *   translators start from (and the bundle holds nothing the code no longer says);
 * - the extension never hands VS Code's notifications, pickers, input boxes, progress, status
 *   bar or panel titles a bare string literal;
 * - each "%key%" in package.json has its English in package.nls.json, and no user-facing
 *   contribution string is left bare;
 * - a bundle for another language really changes what the core says (a pseudo-locale).
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as l10n from '@vscode/l10n';
import * as ts from 'typescript';
import { describeError, MailError, toMailError } from '../../src/core/errors';
import { threadToolbarHtml } from '../../src/core/threads/toolbar';
import { writePseudoBundle } from '../support/pseudoLocale';

const ROOT = path.resolve(__dirname, '../..');

function tsFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return tsFiles(p);
    return /\.tsx?$/.test(e.name) && !e.name.endsWith('.d.ts') ? [p] : [];
  });
}

const isL10nCall = (n: ts.Node): boolean =>
  ts.isCallExpression(n) && ts.isPropertyAccessExpression(n.expression) && n.expression.name.text === 't' && /(^|\.)l10n$/.test(n.expression.expression.getText());

/** The messages of the l10n.t calls in a source, and the places whose message is not a literal (it cannot be exported). */
export function l10nMessages(source: string, fileName = 'x.ts'): { messages: string[]; notLiteral: number[] } {
  const sf = ts.createSourceFile(fileName, source, ts.ScriptTarget.ES2022, true);
  const messages: string[] = [];
  const notLiteral: number[] = [];
  const visit = (n: ts.Node): void => {
    if (ts.isCallExpression(n) && isL10nCall(n)) {
      const first = n.arguments[0];
      if (first && (ts.isStringLiteral(first) || ts.isNoSubstitutionTemplateLiteral(first))) messages.push(first.text);
      else notLiteral.push(sf.getLineAndCharacterOfPosition(n.getStart(sf)).line + 1);
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return { messages, notLiteral };
}

/** Words written straight into code: a string literal or template, also as a branch of `?:`, `??`, `||` or a `+` concatenation. */
function bareWords(e: ts.Expression | undefined): boolean {
  if (!e) return false;
  // A word has two letters; an icon ("$(mail)") is not one.
  const words = (t: string) => /[A-Za-z]{2}/.test(t.replace(/\$\([a-z-~]+\)/g, ''));
  if (ts.isStringLiteral(e) || ts.isNoSubstitutionTemplateLiteral(e)) return words(e.text);
  if (ts.isTemplateExpression(e)) return words(e.head.text + e.templateSpans.map((s) => s.literal.text).join(''));
  if (ts.isParenthesizedExpression(e) || ts.isAsExpression(e)) return bareWords(e.expression);
  if (ts.isConditionalExpression(e)) return bareWords(e.whenTrue) || bareWords(e.whenFalse);
  if (ts.isBinaryExpression(e)) return bareWords(e.left) || bareWords(e.right);
  return false;
}

const MESSAGE_CALLS = new Set(['showInformationMessage', 'showWarningMessage', 'showErrorMessage']);
/** Option fields VS Code shows as words, per call. */
const OPTION_FIELDS: Record<string, { arg: number; fields: string[] }> = {
  showQuickPick: { arg: 1, fields: ['title', 'placeHolder', 'prompt'] },
  showInputBox: { arg: 0, fields: ['title', 'prompt', 'placeHolder'] },
  withProgress: { arg: 0, fields: ['title'] },
};
/** Properties of a QuickPick, InputBox, StatusBarItem, WebviewPanel or TreeView that VS Code shows. */
const SHOWN_PROPERTIES = new Set(['title', 'placeholder', 'prompt', 'text', 'tooltip', 'message']);

const fieldOf = (o: ts.Expression | undefined, name: string): ts.Expression | undefined =>
  o && ts.isObjectLiteralExpression(o) ? o.properties.find((p): p is ts.PropertyAssignment => ts.isPropertyAssignment(p) && p.name.getText() === name)?.initializer : undefined;

/** Lines where VS Code is handed a bare string literal to show (see the header). */
export function bareUserFacingStrings(source: string, fileName = 'x.ts'): Array<{ line: number; what: string }> {
  const sf = ts.createSourceFile(fileName, source, ts.ScriptTarget.ES2022, true);
  const hits: Array<{ line: number; what: string }> = [];
  const hit = (n: ts.Node, what: string) => hits.push({ line: sf.getLineAndCharacterOfPosition(n.getStart(sf)).line + 1, what });
  const visit = (n: ts.Node): void => {
    if (ts.isCallExpression(n) && !isL10nCall(n)) {
      const callee = ts.isPropertyAccessExpression(n.expression) ? n.expression.name.text : ts.isIdentifier(n.expression) ? n.expression.text : '';
      if (MESSAGE_CALLS.has(callee)) {
        n.arguments.forEach((a, i) => {
          if (bareWords(a)) hit(a, `${callee} argument ${i + 1}`);
          if (bareWords(fieldOf(a, 'detail'))) hit(a, `${callee} detail`);
          if (bareWords(fieldOf(a, 'title'))) hit(a, `${callee} button title`);
        });
      }
      const opt = Object.hasOwn(OPTION_FIELDS, callee) ? OPTION_FIELDS[callee] : undefined;
      if (opt) for (const f of opt.fields) if (bareWords(fieldOf(n.arguments[opt.arg], f))) hit(n, `${callee} ${f}`);
      if (callee === 'createWebviewPanel' && bareWords(n.arguments[1])) hit(n, 'createWebviewPanel title');
    }
    if (ts.isBinaryExpression(n) && n.operatorToken.kind === ts.SyntaxKind.EqualsToken && ts.isPropertyAccessExpression(n.left) && SHOWN_PROPERTIES.has(n.left.name.text) && bareWords(n.right)) {
      hit(n, `.${n.left.name.text} =`);
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return hits;
}

const rel = (f: string) => path.relative(ROOT, f);

describe('l10n: every word MailDesk shows can be translated', () => {
  it('the scanners find what they look for (so an empty result below means something)', () => {
    assert.deepEqual(l10nMessages(`vscode.l10n.t('Hello {0}', n); l10n.t(\`Bye\`); l10n.t(msg);`), { messages: ['Hello {0}', 'Bye'], notLiteral: [1] });
    const src = [
      `vscode.window.showErrorMessage('Could not send');`,
      `vscode.window.showWarningMessage(vscode.l10n.t('Delete?'), { modal: true }, 'Delete');`,
      `window.showInformationMessage(vscode.l10n.t('Saved {0}', n));`,
      `vscode.window.showQuickPick(items, { placeHolder: ok ? 'Pick one' : vscode.l10n.t('None') });`,
      `bar.text = \`$(mail) \${n} unread\`;`,
      `bar.text = \`$(mail) \${n}\`;`,
      `vscode.window.withProgress({ location, title: vscode.l10n.t('Sending') }, f);`,
      `vscode.window.createWebviewPanel('id', 'Thread', col);`,
    ].join('\n');
    assert.deepEqual(
      bareUserFacingStrings(src).map((h) => `${h.line} ${h.what}`),
      ['1 showErrorMessage argument 1', '2 showWarningMessage argument 3', '4 showQuickPick placeHolder', '5 .text =', '8 createWebviewPanel title'],
    );
  });

  it('l10n/bundle.l10n.json holds exactly the messages of the l10n.t calls in src (else: npx @vscode/l10n-dev export --outDir ./l10n ./src)', function () {
    this.timeout(60_000);
    const inCode = new Set<string>();
    const notLiteral: string[] = [];
    for (const f of tsFiles(path.join(ROOT, 'src'))) {
      const text = fs.readFileSync(f, 'utf8');
      if (!text.includes('l10n')) continue;
      const r = l10nMessages(text, f);
      r.messages.forEach((m) => inCode.add(m));
      notLiteral.push(...r.notLiteral.map((l) => `${rel(f)}:${l}`));
    }
    assert.deepEqual(notLiteral, [], 'l10n.t takes a string literal (with {0} placeholders) so the message can be exported');
    assert.ok(inCode.size > 100, `only ${inCode.size} messages found`);
    const bundle = JSON.parse(fs.readFileSync(path.join(ROOT, 'l10n', 'bundle.l10n.json'), 'utf8')) as Record<string, unknown>;
    const missing = [...inCode].filter((m) => !(m in bundle));
    const stale = Object.keys(bundle).filter((k) => !inCode.has(k));
    assert.deepEqual({ missing, stale }, { missing: [], stale: [] }, 'l10n/bundle.l10n.json is out of date: npx @vscode/l10n-dev export --outDir ./l10n ./src');
  });

  it('src/extension hands VS Code no bare string literal to show (wrap it in vscode.l10n.t)', function () {
    this.timeout(60_000);
    const found: string[] = [];
    for (const f of tsFiles(path.join(ROOT, 'src/extension'))) {
      for (const h of bareUserFacingStrings(fs.readFileSync(f, 'utf8'), f)) found.push(`${rel(f)}:${h.line} ${h.what}`);
    }
    assert.deepEqual(found, []);
  });

  it('every "%key%" in package.json has its English in package.nls.json, and no contribution string is left bare', async () => {
    const text = fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8');
    const nls = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.nls.json'), 'utf8')) as Record<string, string>;
    const keys = [...text.matchAll(/"%([^"%]+)%"/g)].map((m) => m[1]);
    assert.ok(keys.length > 100, `only ${keys.length} keys in package.json`);
    assert.deepEqual(keys.filter((k) => typeof nls[k] !== 'string'), [], 'keys without English in package.nls.json');
    const script = (await import(path.join(ROOT, 'scripts/package-nls.mjs'))) as {
      contributedStrings(t: string): Array<{ node: { value: string }; path: Array<string | number> }>;
      nlsKey(p: Array<string | number>, c: unknown): string | undefined;
    };
    const contributes = (JSON.parse(text) as { contributes: unknown }).contributes;
    const bare = script
      .contributedStrings(text)
      .filter(({ node, path: p }) => script.nlsKey(p, contributes) && !/^%.+%$/.test(node.value))
      .map(({ path: p }) => p.join('.'));
    assert.deepEqual(bare, [], 'user-facing strings left in package.json: node scripts/package-nls.mjs moves them');
    const pkg = JSON.parse(text) as { l10n?: string };
    assert.equal(pkg.l10n, './l10n');
    const shipped = fs.readFileSync(path.join(ROOT, '.vscodeignore'), 'utf8');
    assert.match(shipped, /^!package\.nls\*\.json$/m);
    assert.match(shipped, /^!l10n\/\*\*$/m);
  });

  describe('a pseudo-locale bundle', () => {
    let dir: string;
    before(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'maildesk-l10n-'));
      l10n.config({ fsPath: writePseudoBundle(dir) });
    });
    after(() => {
      l10n.config({ contents: {} });
      fs.rmSync(dir, { recursive: true, force: true });
    });

    it("translates the core's error titles, remedies and messages, with their data in place", () => {
      assert.equal(describeError('auth.failed').title, '[Lógín fáíléd]');
      const e = new MailError('net.refused', 'IMAP 127.0.0.1:1: connection refused');
      assert.match(e.remedy, /^\[Chéck thé hóst, pórt/);
      const tls = toMailError(Object.assign(new Error('self signed certificate'), { code: 'DEPTH_ZERO_SELF_SIGNED_CERT' }), 'IMAP mail.example.com:993');
      assert.equal(tls.message, '[IMAP mail.example.com:993: sécúré cónnéctíón fáíléd (self signed certificate)]');
    });

    it("translates the thread page's toolbar", () => {
      const html = threadToolbarHtml({ unread: true, flagged: false });
      assert.match(html, />\[Réply\]</);
      // The name and its key are one message ("{0} ({1})") around the translated name.
      assert.match(html, /title="\[\[Archívé\] \(e\)\]"/);
    });
  });

  it('with no bundle (English, the CLI) the words are the English ones, unchanged', () => {
    assert.equal(describeError('auth.failed').title, 'Login failed');
    assert.equal(toMailError(Object.assign(new Error('x'), { code: 'ECONNREFUSED' }), 'IMAP h:1').message, 'IMAP h:1: connection refused');
  });
});
