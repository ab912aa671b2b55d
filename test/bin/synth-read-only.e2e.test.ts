import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { REPO_ROOT } from '../support/cdk-app';
import { runProcess, type ProcessResult } from '../support/run-process';

/**
 * `npm run synth` (scripts/synth.js → `cdk synth` → bin/app.ts) on a copy of this work tree, committed in a git
 * repository of its own, whose dev config holds a thing the shard lock does not record. The synth must leave
 * `git status` clean, with and without CI; with CI it refuses, naming the command that records the placement.
 */

const ADDED_THING = 'sensor-003';
const RECORD_COMMAND = 'npx keyless fleet plan --env dev --write';
let copy: string;

const git = (...args: string[]): string =>
  execFileSync('git', ['-c', 'user.name=test', '-c', 'user.email=test@example.invalid', ...args], {
    cwd: copy,
    encoding: 'utf8',
  });

/** The files git would commit from this work tree (tracked and new, as they are now), copied with their modes. */
function copyWorkTree(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keyless-synth-copy-'));
  const listed = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
  });
  for (const file of new Set(listed.split('\0').filter(Boolean))) {
    const from = path.join(REPO_ROOT, file);
    // Deleted in the work tree but not yet in the index, or a link (node_modules in a worktree): not copied.
    if (!fs.existsSync(from) || fs.lstatSync(from).isSymbolicLink() || file === 'node_modules') continue;
    fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    fs.copyFileSync(from, path.join(dir, file));
    fs.chmodSync(path.join(dir, file), fs.statSync(from).mode & 0o777);
  }
  fs.symlinkSync(path.join(REPO_ROOT, 'node_modules'), path.join(dir, 'node_modules'));
  return dir;
}

function synth(ci: string | undefined): Promise<ProcessResult> {
  const env: NodeJS.ProcessEnv = { ...process.env, NODE_NO_WARNINGS: '1' };
  delete env.CI;
  if (ci !== undefined) env.CI = ci;
  return runProcess(process.execPath, [path.join(copy, 'scripts', 'synth.js')], {
    cwd: copy,
    env,
    timeoutMs: 280_000,
  });
}

beforeAll(() => {
  copy = copyWorkTree();
  git('init', '-q');
  // A link to this work tree's dependencies: not part of the copy's repository.
  fs.appendFileSync(path.join(copy, '.git', 'info', 'exclude'), '/node_modules\n');
  const configFile = path.join(copy, 'config', 'dev.json');
  const config = JSON.parse(fs.readFileSync(configFile, 'utf8'));
  config.iot.things.push({ name: ADDED_THING, attributes: { Owner: 'keyless' } });
  fs.writeFileSync(configFile, `${JSON.stringify(config, null, 2)}\n`);
  git('add', '-A');
  git('commit', '-q', '-m', 'a thing added by hand, its placement not recorded');
});

afterAll(() => fs.rmSync(copy, { recursive: true, force: true }));

test('the copy starts clean, and its shard lock does not record the added thing', () => {
  expect(git('status', '--porcelain')).toBe('');
  const lock = JSON.parse(fs.readFileSync(path.join(copy, 'fleet', 'dev', 'shards.json'), 'utf8'));
  expect(Object.keys(lock.assignments)).not.toContain(ADDED_THING);
});

test('without CI: synth places the thing in memory, warns with the command, and writes nothing', async () => {
  const result = await synth(undefined);
  expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: expect.any(String) });
  const output = result.stdout + result.stderr;
  expect(output).toContain(`does not record the Fleet stack of 1 thing(s) (${ADDED_THING})`);
  expect(output).toContain(RECORD_COMMAND);
  expect(output).toContain('Fleet: 3 things in 1 stack(s)');
  expect(git('status', '--porcelain', '--untracked-files=all')).toBe('');
}, 300_000);

test.each(['true', '1'])(
  'with CI=%s: synth refuses, names the command, and writes nothing',
  async (ci) => {
    const result = await synth(ci);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain(
      `fleet/dev/shards.json does not record the Fleet stack of 1 thing(s) (${ADDED_THING}), and CI is set`,
    );
    expect(result.stderr).toContain(`Run \`${RECORD_COMMAND}\``);
    expect(git('status', '--porcelain', '--untracked-files=all')).toBe('');
  },
  300_000,
);

test('CI=false is not CI', async () => {
  const result = await synth('false');
  expect(result.code).toBe(0);
  expect(git('status', '--porcelain', '--untracked-files=all')).toBe('');
}, 300_000);
