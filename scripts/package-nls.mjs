/**
 * Moves the words package.json `contributes` shows to a user into package.nls.json: each such
 * string becomes "%key%" and package.nls.json holds its English, which is what VS Code looks
 * up (package.nls.<locale>.json for other languages). Edits each string in place, so the file
 * keeps its order and layout; strings already "%key%" are left alone, so it can run again after
 * new contributions are added or scripts/agent-manifest.ts wrote its entries again (the words
 * in package.json are then the newer ones). test/unit/l10n.test.ts says when it is needed.
 *
 *   node scripts/package-nls.mjs
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { applyEdits, parseTree } from 'jsonc-parser';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/**
 * The user-facing string at this path (from `contributes` down), and the key its English gets.
 * Ids, `when` clauses, icons, schemas the model reads (inputSchema) and keys are not words.
 */
export function nlsKey(p, contributes) {
  const at = (...q) => q.reduce((o, k) => o?.[k], contributes);
  const [area, ...rest] = p;
  const last = p[p.length - 1];
  switch (area) {
    case 'viewsContainers':
      return last === 'title' ? `viewsContainer.${at(...p.slice(0, -1)).id}.title` : undefined;
    case 'views':
      return last === 'name' || last === 'contextualTitle' ? `view.${at(...p.slice(0, -1)).id}.${last}` : undefined;
    case 'viewsWelcome':
      return last === 'contents' ? `viewsWelcome.${at(...p.slice(0, -1)).view}` : undefined;
    case 'commands': {
      if (rest.length !== 2) return undefined;
      if (last === 'category') return 'maildesk.category';
      return last === 'title' || last === 'shortTitle' ? `${at(...p.slice(0, -1)).command}.${last}` : undefined;
    }
    case 'submenus':
      return last === 'label' ? `submenu.${at(...p.slice(0, -1)).id}.label` : undefined;
    case 'configuration': {
      if (rest.length === 1 && last === 'title') return 'configuration.title';
      // properties.<setting>.<field>[.<index>]
      if (rest[0] !== 'properties' || rest.length < 3) return undefined;
      const [, setting, field, index] = rest;
      if (['description', 'markdownDescription', 'deprecationMessage', 'markdownDeprecationMessage'].includes(field) && rest.length === 3) return `config.${setting}.${field}`;
      if (['enumDescriptions', 'markdownEnumDescriptions'].includes(field) && rest.length === 4) return `config.${setting}.${field}.${at('configuration', 'properties', setting, 'enum')?.[index] ?? index}`;
      return undefined;
    }
    case 'languageModelTools':
      return rest.length === 2 && ['displayName', 'modelDescription', 'userDescription'].includes(last) ? `tool.${at(...p.slice(0, -1)).name}.${last}` : undefined;
    case 'chatParticipants': {
      const participant = at(area, rest[0]).id;
      if (rest.length === 2 && ['fullName', 'description'].includes(last)) return `chat.${participant}.${last}`;
      if (rest.length === 4 && rest[1] === 'commands' && last === 'description') return `chat.${participant}.command.${at(area, rest[0], 'commands', rest[2]).name}.description`;
      return undefined;
    }
    case 'mcpServerDefinitionProviders':
      return rest.length === 2 && last === 'label' ? `mcpServer.${at(...p.slice(0, -1)).id}.label` : undefined;
    case 'walkthroughs': {
      const walk = at(area, rest[0]).id;
      if (rest.length === 2 && (last === 'title' || last === 'description')) return `walkthrough.${walk}.${last}`;
      if (rest.length === 4 && rest[1] === 'steps' && (last === 'title' || last === 'description')) return `walkthrough.${walk}.${at(area, rest[0], 'steps', rest[2]).id}.${last}`;
      return undefined;
    }
    default:
      return undefined;
  }
}

/** Every string node under `contributes` with its path, for nlsKey. */
export function contributedStrings(text) {
  const tree = parseTree(text);
  const contributes = tree?.children?.find((c) => c.children?.[0]?.value === 'contributes')?.children?.[1];
  const out = [];
  const walk = (node, p) => {
    if (node.type === 'string') out.push({ node, path: p });
    else if (node.type === 'object') for (const prop of node.children ?? []) walk(prop.children[1], [...p, prop.children[0].value]);
    else if (node.type === 'array') (node.children ?? []).forEach((c, i) => walk(c, [...p, i]));
  };
  if (contributes) walk(contributes, []);
  return out;
}

function main() {
  const pkgPath = path.join(ROOT, 'package.json');
  const nlsPath = path.join(ROOT, 'package.nls.json');
  const text = fs.readFileSync(pkgPath, 'utf8');
  const contributes = JSON.parse(text).contributes;
  const nls = fs.existsSync(nlsPath) ? JSON.parse(fs.readFileSync(nlsPath, 'utf8')) : {};
  const edits = [];
  for (const { node, path: p } of contributedStrings(text)) {
    const key = nlsKey(p, contributes);
    if (!key || /^%.+%$/.test(node.value)) continue;
    nls[key] = node.value;
    edits.push({ offset: node.offset, length: node.length, content: JSON.stringify(`%${key}%`) });
  }
  fs.writeFileSync(pkgPath, applyEdits(text, edits));
  fs.writeFileSync(nlsPath, JSON.stringify(nls, null, 2) + '\n');
  console.log(`${edits.length} strings moved to package.nls.json (${Object.keys(nls).length} keys)`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
