import * as fs from 'node:fs';
import * as path from 'node:path';
import { REPO_ROOT } from '../support/cdk-app';

/**
 * The Markdown a reader follows links through, relative to the repository: the README, CONTRIBUTING.md, docs/**,
 * and the READMEs of bench/ and device-scripts/.
 */
export function documentation(): string[] {
  const docs = (dir: string): string[] =>
    fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) return docs(full);
      return entry.name.endsWith('.md') ? [full] : [];
    });
  return [
    'README.md',
    'CONTRIBUTING.md',
    'bench/README.md',
    'device-scripts/README.md',
    ...docs(path.join(REPO_ROOT, 'docs')).map((file) => path.relative(REPO_ROOT, file)),
  ]
    .filter((file) => fs.existsSync(path.join(REPO_ROOT, file)))
    .sort();
}

/** A file of the repository as text. */
export const readRepoFile = (file: string): string => fs.readFileSync(path.join(REPO_ROOT, file), 'utf8');

export { proseLines } from '../support/markdown-links';
