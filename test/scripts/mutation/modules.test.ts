import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';

/**
 * `npm run test:mutation` runs on demand, not in CI: a module or test file that moves would only show when someone
 * next runs it. This keeps scripts/mutation/modules.js in step with the tree on every run of the unit tests.
 */
interface MutatedModule {
  readonly name: string;
  readonly module: string;
  readonly lines?: string;
  readonly tests: readonly string[];
}

const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');
const { MODULES } = createRequire(__filename)('../../../scripts/mutation/modules.js') as {
  MODULES: readonly MutatedModule[];
};

test('each mutated module has one name', () => {
  const names = MODULES.map((m) => m.name);
  expect(names.filter((name, index) => names.indexOf(name) !== index)).toEqual([]);
});

test.each(MODULES.map((m) => [m.name, m] as const))(
  '%s: the module and its tests exist, and its lines are inside the module',
  (_name, { module, lines, tests }) => {
    const missing = [module, ...tests].filter((file) => !fs.existsSync(path.join(REPO_ROOT, file)));
    expect(missing).toEqual([]);
    // Unit tests only: the mutation runner's jest config has the unit project's transform and no e2e setup.
    expect(
      tests.filter((test) => !/^test\/.*\.test\.ts$/.test(test) || test.endsWith('.e2e.test.ts')),
    ).toEqual([]);
    if (lines === undefined) return;
    const count = fs.readFileSync(path.join(REPO_ROOT, module), 'utf8').split('\n').length;
    const ranges = lines.split(',').map((range) => range.split('-').map(Number));
    expect(ranges.filter(([first, last]) => !(first >= 1 && first <= last && last <= count))).toEqual([]);
  },
);
