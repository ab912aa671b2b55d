import * as fs from 'node:fs';
import * as path from 'node:path';
import { REPO_ROOT } from '../../lib/contract';

/**
 * Tests mirror the code: the tests of `lib/a/b.ts` are `test/a/b.test.ts` (or `test/a/b-<topic>.test.ts`), so
 * a reader finds a module's tests, and a module's tests, its module, by path alone. Folders that test something
 * outside lib/ are declared here, each with the root it stands for.
 */
const CROSS_CUTTING_ROOTS: Readonly<Record<string, string>> = {
  bin: 'bin/ (the CDK app and the CLI entry as processes)',
  contract: 'rules that hold across the repository (names, outputs, layout)',
  'device-scripts': 'device-scripts/ (the helper, install.sh and the examples, driven by real clients)',
  docs: 'docs/ and the README',
  emulators: 'the local stand-ins for AWS and SORACOM endpoints',
  integ: 'scripts/integ/ (`npm run integ`)',
  scripts: 'scripts/ (the mutation runner and the other repository scripts)',
  support: 'helpers the tests share',
  upgrade: 'what an existing deployment keeps across versions',
};

const TEST_ROOT = path.join(REPO_ROOT, 'test');
const LIB_ROOT = path.join(REPO_ROOT, 'lib');

/** Every `*.test.ts` under `root`, as `/`-separated paths relative to it. */
function testFiles(root: string, dir = ''): string[] {
  return fs.readdirSync(path.join(root, dir), { withFileTypes: true }).flatMap((entry) => {
    const relative = dir ? `${dir}/${entry.name}` : entry.name;
    if (entry.isDirectory()) return testFiles(root, relative);
    return entry.name.endsWith('.test.ts') ? [relative] : [];
  });
}

/** What lib/<dir> holds: its modules (without `.ts`) and its sub-folders. */
function libFolder(dir: string): { modules: string[]; folders: string[] } | undefined {
  const full = path.join(LIB_ROOT, dir);
  if (!fs.existsSync(full) || !fs.statSync(full).isDirectory()) return undefined;
  const entries = fs.readdirSync(full, { withFileTypes: true });
  return {
    modules: entries.filter((e) => e.isFile() && e.name.endsWith('.ts')).map((e) => e.name.slice(0, -3)),
    folders: entries.filter((e) => e.isDirectory()).map((e) => e.name),
  };
}

/** `name` is `unit` or starts with `unit-`: a test of that module (or of one topic of it). */
const names = (name: string, unit: string): boolean => name === unit || name.startsWith(`${unit}-`);

/**
 * Why `file` (relative to `test/`) sits where it should not, or undefined when it mirrors lib/ or sits under a
 * declared cross-cutting root. A test named after a lib/ sub-folder (`cli/device-status.test.ts` while
 * `lib/cli/device/` exists) belongs inside that folder's mirror, unless a module of the same name
 * (`lib/cli/bundle.ts` next to `lib/cli/bundle/`) is what it tests — and the name does not also name a module
 * inside the folder (`cli/bundle-archive.test.ts` while `lib/cli/bundle/archive.ts` exists).
 */
function misplacement(file: string, lib: typeof libFolder = libFolder): string | undefined {
  const dir = path.posix.dirname(file) === '.' ? '' : path.posix.dirname(file);
  if (dir !== '' && Object.keys(CROSS_CUTTING_ROOTS).includes(dir.split('/')[0])) return undefined;
  const folder = lib(dir);
  if (!folder) {
    return `test/${file}: test/${dir}/ mirrors no lib/ folder (lib/${dir}/ does not exist) and is not a declared cross-cutting root`;
  }
  const name = path.posix.basename(file).replace(/(\.e2e)?\.test\.ts$/, '');
  const ofModule = folder.modules.some((module) => names(name, module));
  const sub = folder.folders.find((f) => names(name, f));
  if (sub === undefined) return undefined;
  const into = dir ? `${dir}/${sub}` : sub;
  const rest = name.slice(sub.length + 1);
  const inner = rest === '' ? undefined : lib(into)?.modules.find((module) => names(rest, module));
  if (ofModule && inner === undefined) return undefined;
  return `test/${file}: tests lib/${into}/${inner === undefined ? '' : `${inner}.ts`}, so it belongs under test/${into}/`;
}

describe('test layout', () => {
  it('every test file mirrors a lib/ folder or sits under a declared cross-cutting root', () => {
    expect(
      testFiles(TEST_ROOT)
        .map((file) => misplacement(file))
        .filter((problem) => problem !== undefined),
    ).toEqual([]);
  });

  it('names a misplaced test and where it belongs', () => {
    const lib = (dir: string) =>
      ({
        '': { modules: ['validators'], folders: ['cli'] },
        cli: { modules: ['bundle', 'device-commands'], folders: ['bundle', 'device'] },
        'cli/device': { modules: ['status'], folders: [] },
        'cli/bundle': { modules: ['archive'], folders: [] },
      })[dir];
    expect(misplacement('cli/device-status.test.ts', lib)).toBe(
      'test/cli/device-status.test.ts: tests lib/cli/device/status.ts, so it belongs under test/cli/device/',
    );
    expect(misplacement('cli/device/status.test.ts', lib)).toBeUndefined();
    expect(misplacement('cli/device.test.ts', lib)).toBe(
      'test/cli/device.test.ts: tests lib/cli/device/, so it belongs under test/cli/device/',
    );
    // lib/cli/bundle.ts is the command; lib/cli/bundle/ its parts.
    expect(misplacement('cli/bundle-command.test.ts', lib)).toBeUndefined();
    expect(misplacement('cli/bundle-archive.test.ts', lib)).toBe(
      'test/cli/bundle-archive.test.ts: tests lib/cli/bundle/archive.ts, so it belongs under test/cli/bundle/',
    );
    expect(misplacement('widgets/thing.test.ts', lib)).toBe(
      'test/widgets/thing.test.ts: test/widgets/ mirrors no lib/ folder (lib/widgets/ does not exist) and is not a declared cross-cutting root',
    );
    expect(misplacement('docs/links.test.ts', lib)).toBeUndefined();
    expect(misplacement('validators.e2e.test.ts', lib)).toBeUndefined();
  });

  it('declares only cross-cutting roots that exist and do not shadow a lib/ folder other than the contract', () => {
    for (const root of Object.keys(CROSS_CUTTING_ROOTS)) {
      expect(fs.existsSync(path.join(TEST_ROOT, root))).toBe(true);
      if (root !== 'contract') expect(libFolder(root)).toBeUndefined();
    }
  });
});
