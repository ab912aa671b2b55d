import * as fs from 'node:fs';
import * as path from 'node:path';
import * as ts from 'typescript';
import { REPO_ROOT } from '../support/cdk-app';

/**
 * Layers point one way: stacks compose constructs, the app adds the validators. A construct that imported an
 * app-level module (the validators, a stack, the CLI or verify) would turn that around, so every import of every
 * file in lib/constructs is read and resolved here.
 */

const CONSTRUCTS = path.join(REPO_ROOT, 'lib', 'constructs');

/** Modules a construct must not import: what sits above constructs. */
const APP_LEVEL = [
  path.join('lib', 'validators'),
  path.join('lib', 'stacks'),
  path.join('lib', 'cli'),
  path.join('lib', 'verify'),
  'bin',
].map((module) => module + path.sep);

/** The relative imports of a file (import, export … from, require, import()), as paths from the repository root. */
function localImportsOf(file: string): string[] {
  const text = fs.readFileSync(file, 'utf8');
  return ts
    .preProcessFile(text, true, true)
    .importedFiles.map((imported) => imported.fileName)
    .filter((name) => name.startsWith('.'))
    .map((name) => path.relative(REPO_ROOT, path.resolve(path.dirname(file), name)));
}

const imports = fs
  .readdirSync(CONSTRUCTS)
  .filter((file) => file.endsWith('.ts'))
  .flatMap((file) =>
    localImportsOf(path.join(CONSTRUCTS, file)).map((target) => ({
      from: path.join('lib', 'constructs', file),
      target,
    })),
  );

test('the scan reads the imports it is meant to guard', () => {
  expect(imports).toContainEqual({
    from: path.join('lib', 'constructs', 'credentials-provider-role.ts'),
    target: path.join('lib', 'constructs', 'nag-rendered'),
  });
});

test('no construct imports an app-level module (the validators, a stack, the CLI, verify)', () => {
  const upward = imports.filter(({ target }) =>
    APP_LEVEL.some((module) => `${target}${path.sep}`.startsWith(module)),
  );
  expect(upward.map(({ from, target }) => `${from} imports ${target}`)).toEqual([]);
});
