/**
 * Every VS Code window is a client of the one engine (issue "One MailDesk engine per profile"):
 * no file in src/extension may hold a MailDesk or a MailStore, or reach into one, because a
 * window's own core would be a second writer of the data folder. The one exception is the
 * in-memory stand-in Troubleshoot runs on when the store cannot be opened at all.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as ts from 'typescript';

const ROOT = path.resolve(__dirname, '../..');
const STAND_IN = 'src/extension/troubleshoot/standIn.ts';

function tsFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return tsFiles(p);
    return e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [p] : [];
  });
}

/** What a file does with the core: value imports of MailDesk/MailStore modules, and `.store.` chains. */
export function coreUses(source: string): string[] {
  const sf = ts.createSourceFile('x.ts', source, ts.ScriptTarget.ES2022, true);
  const uses: string[] = [];
  const line = (n: ts.Node) => sf.getLineAndCharacterOfPosition(n.getStart(sf)).line + 1;
  const visit = (n: ts.Node): void => {
    if (ts.isImportDeclaration(n) && ts.isStringLiteral(n.moduleSpecifier) && /core\/(maildesk|store\/store)$/.test(n.moduleSpecifier.text)) {
      const c = n.importClause;
      const typeOnly = !!c && (c.isTypeOnly || (!c.name && !!c.namedBindings && ts.isNamedImports(c.namedBindings) && c.namedBindings.elements.every((e) => e.isTypeOnly)));
      const names = c?.namedBindings && ts.isNamedImports(c.namedBindings) ? c.namedBindings.elements.map((e) => e.name.text) : [];
      // Row types (AccountRow, FolderRow…) describe plain data from the engine: allowed.
      if (!typeOnly || names.some((x) => x === 'MailDesk' || x === 'MailStore')) uses.push(`${line(n)}: imports ${n.moduleSpecifier.text}`);
    }
    if (ts.isPropertyAccessExpression(n) && n.name.text === 'store' && ts.isPropertyAccessExpression(n.parent) && n.parent.expression === n) uses.push(`${line(n)}: ${n.getText(sf).slice(0, 40)}.${n.parent.name.text}`);
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return uses;
}

describe('extension boundary: VS Code windows are clients of the engine', () => {
  it('finds a core import and a store chain, and lets row types and SecretStorage through', () => {
    assert.deepEqual(coreUses(`import { MailDesk } from '../core/maildesk';`), [`1: imports ../core/maildesk`]);
    assert.deepEqual(coreUses(`import type { MailStore } from '../core/store/store';`), [`1: imports ../core/store/store`]);
    assert.deepEqual(coreUses(`const n = mail.store.listAccounts();`), ['1: mail.store.listAccounts']);
    assert.deepEqual(coreUses(`import type { AccountRow } from '../core/store/store';\nawait secrets.store('k', 'v');`), []);
  });

  it('no file in src/extension holds or uses a MailDesk or MailStore (the no-store stand-in aside)', () => {
    const found = tsFiles(path.join(ROOT, 'src/extension'))
      .map((f) => [path.relative(ROOT, f).split(path.sep).join('/'), coreUses(fs.readFileSync(f, 'utf8'))] as const)
      .filter(([rel, uses]) => uses.length && rel !== STAND_IN)
      .map(([rel, uses]) => `${rel}: ${uses.join('; ')}`);
    assert.deepEqual(found, []);
  });
});
