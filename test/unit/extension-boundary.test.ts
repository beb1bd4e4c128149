/**
 * src/core and src/shared run without VS Code (CLI, tests, webviews), and src/webview
 * runs in a browser. A runtime `import 'vscode'` there would crash the CLI at start,
 * so this fails the build before a user meets it. Type-only imports are erased and allowed.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as ts from 'typescript';

const ROOT = path.resolve(__dirname, '../..');
const PLAIN_DIRS = ['src/core', 'src/shared', 'src/webview'];

function tsFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return tsFiles(p);
    return /\.(ts|tsx|mts|cts)$/.test(e.name) && !e.name.endsWith('.d.ts') ? [p] : [];
  });
}

const isVscode = (n: ts.Node | undefined): boolean => !!n && ts.isStringLiteralLike(n) && n.text === 'vscode';

/** Line numbers of imports of 'vscode' that survive compilation. */
export function runtimeVscodeImports(source: string, fileName = 'x.ts'): number[] {
  const sf = ts.createSourceFile(fileName, source, ts.ScriptTarget.ES2022, true);
  const hits: number[] = [];
  const hit = (n: ts.Node) => hits.push(sf.getLineAndCharacterOfPosition(n.getStart(sf)).line + 1);
  const visit = (n: ts.Node): void => {
    if (ts.isImportDeclaration(n) && isVscode(n.moduleSpecifier)) {
      const c = n.importClause;
      // `import 'vscode'` (no clause) runs the module; `import type` and all-`type` specifiers do not.
      const typeOnly =
        !!c &&
        (c.isTypeOnly ||
          (!c.name && !!c.namedBindings && ts.isNamedImports(c.namedBindings) && c.namedBindings.elements.length > 0 && c.namedBindings.elements.every((e) => e.isTypeOnly)));
      if (!typeOnly) hit(n);
    } else if (ts.isImportEqualsDeclaration(n) && !n.isTypeOnly && ts.isExternalModuleReference(n.moduleReference) && isVscode(n.moduleReference.expression)) {
      hit(n);
    } else if (ts.isExportDeclaration(n) && isVscode(n.moduleSpecifier) && !n.isTypeOnly) {
      hit(n);
    } else if (ts.isCallExpression(n) && isVscode(n.arguments[0])) {
      const callee = n.expression;
      if (callee.kind === ts.SyntaxKind.ImportKeyword || (ts.isIdentifier(callee) && callee.text === 'require')) hit(n);
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return hits;
}

describe('extension boundary: code outside src/extension never loads vscode', () => {
  it('finds runtime imports and lets type-only imports through', () => {
    // Guards the checker itself, so an empty result below means something.
    assert.deepEqual(runtimeVscodeImports(`import * as vscode from 'vscode';`), [1]);
    assert.deepEqual(runtimeVscodeImports(`import { window } from 'vscode';`), [1]);
    assert.deepEqual(runtimeVscodeImports(`import { type Uri, window } from 'vscode';`), [1]);
    assert.deepEqual(runtimeVscodeImports(`import 'vscode';`), [1]);
    assert.deepEqual(runtimeVscodeImports(`const v = require('vscode');`), [1]);
    assert.deepEqual(runtimeVscodeImports(`async function f() { await import('vscode'); }`), [1]);
    assert.deepEqual(runtimeVscodeImports(`import vscode = require('vscode');`), [1]);
    assert.deepEqual(runtimeVscodeImports(`export { window } from 'vscode';`), [1]);
    assert.deepEqual(runtimeVscodeImports(`import type * as vscode from 'vscode';`), []);
    assert.deepEqual(runtimeVscodeImports(`import type { Uri } from 'vscode';`), []);
    assert.deepEqual(runtimeVscodeImports(`import { type Uri, type Event } from 'vscode';`), []);
    assert.deepEqual(runtimeVscodeImports(`export type { Uri } from 'vscode';`), []);
    assert.deepEqual(runtimeVscodeImports(`import * as x from 'vscode-uri'; // 'vscode'`), []);
  });

  for (const dir of PLAIN_DIRS) {
    it(`${dir} has no runtime import of vscode`, () => {
      const files = tsFiles(path.join(ROOT, dir));
      if (dir === 'src/core') assert.ok(files.length > 0, 'src/core should hold TypeScript files');
      const offenders = files.flatMap((f) => runtimeVscodeImports(fs.readFileSync(f, 'utf8'), f).map((line) => `${path.relative(ROOT, f)}:${line}`));
      assert.deepEqual(offenders, [], `these files would crash the CLI and the tests outside VS Code: ${offenders.join(', ')}`);
    });
  }
});
