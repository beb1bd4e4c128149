/**
 * Writes the agent tools' entries of package.json (`contributes.languageModelTools` and the
 * `@maildesk` participant's commands) from their one definition in src/core/agent, so the
 * static manifest VS Code reads never drifts from what the tools accept. A unit test fails
 * when they differ: run `npx tsx scripts/agent-manifest.ts` after changing a tool.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { agentManifest } from '../src/core/agent/manifest';

const file = path.join(__dirname, '..', 'package.json');
const pkg = JSON.parse(fs.readFileSync(file, 'utf8')) as { contributes: Record<string, unknown> };
Object.assign(pkg.contributes, agentManifest());
fs.writeFileSync(file, JSON.stringify(pkg, null, 2) + '\n');
process.stdout.write('package.json: languageModelTools, chatParticipants and mcpServerDefinitionProviders written; now run node scripts/package-nls.mjs to move their words to package.nls.json\n');
