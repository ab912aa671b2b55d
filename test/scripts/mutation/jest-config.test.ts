import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';

/**
 * The jest config of `npm run test:mutation` (scripts/mutation/jest.config.js). Stryker's jest runner wraps the test
 * environment and requires it by its name, without jest's `<rootDir>` substitution: a `<rootDir>` path there
 * stops every mutation run at its first test run. Mutation runs are not in CI, so this checks it on every unit run.
 */
const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');
const load = createRequire(__filename);

function mutationJestConfig(): Record<string, unknown> {
  const previous = process.env.KEYLESS_MUTATION_MODULE;
  process.env.KEYLESS_MUTATION_MODULE = 'placement';
  try {
    const file = load.resolve('../../../scripts/mutation/jest.config.js');
    delete load.cache[file];
    return load(file) as Record<string, unknown>;
  } finally {
    if (previous === undefined) delete process.env.KEYLESS_MUTATION_MODULE;
    else process.env.KEYLESS_MUTATION_MODULE = previous;
  }
}

describe('the mutation runner jest config', () => {
  it('names the unit test environment by an absolute path to a file that exists', () => {
    const environment = mutationJestConfig().testEnvironment as string;
    expect(path.isAbsolute(environment)).toBe(true);
    expect(fs.existsSync(environment)).toBe(true);
  });

  it('maps modules as the unit project does, to files that exist', () => {
    const mapper = mutationJestConfig().moduleNameMapper as Record<string, string>;
    const unit = (
      load('../../../jest.config.js') as { projects: { displayName: string; moduleNameMapper: object }[] }
    ).projects.find((project) => project.displayName === 'unit')!;
    expect(Object.keys(mapper)).toEqual(Object.keys(unit.moduleNameMapper));
    for (const target of Object.values(mapper)) {
      expect(target.startsWith(REPO_ROOT)).toBe(true);
      expect(fs.existsSync(target)).toBe(true);
    }
  });
});
