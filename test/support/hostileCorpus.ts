/**
 * The shared corpus of hostile HTML from real mail-client CVEs. Read from the shared folder
 * beside the repository when it is there (it may have grown), else from the copy in
 * test/fixtures.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface HostileCase {
  id: string;
  source: string;
  html: string;
}

const repoRoot = path.resolve(__dirname, '..', '..');

export function hostileCorpusPath(): string {
  const beside = path.resolve(repoRoot, '..', 'shared', 'testdata', 'hostile-html.json');
  return fs.existsSync(beside) ? beside : path.join(repoRoot, 'test', 'fixtures', 'hostile-html.json');
}

export function loadHostileCorpus(): HostileCase[] {
  return (JSON.parse(fs.readFileSync(hostileCorpusPath(), 'utf8')) as { cases: HostileCase[] }).cases;
}
