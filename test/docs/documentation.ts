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

/** The lines of a Markdown text outside fenced code blocks, each with its 1-based line number. */
export function proseLines(text: string): Array<{ line: number; text: string }> {
  const lines: Array<{ line: number; text: string }> = [];
  let fence: string | undefined;
  text.split('\n').forEach((raw, index) => {
    const opening = /^\s*(`{3,}|~{3,})/.exec(raw);
    if (opening) {
      if (fence === undefined) fence = opening[1][0];
      else if (opening[1][0] === fence) fence = undefined;
      return;
    }
    if (fence === undefined) lines.push({ line: index + 1, text: raw });
  });
  return lines;
}
