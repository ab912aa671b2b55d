import {
  appendFileSync,
  chmodSync,
  chownSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runProcess } from '../support/run-process';
import { requireTool } from '../support/test-tools';
import { HELPER, helperEnv, parseOutput, runHelper } from './device-fixture';
import { SHELLS, startedDeviceFixture } from './shells';
import { gidOf, OTHER_USER, requireRoot, uidOf } from './other-user';

/**
 * The zero-jq cache hit (docs/device-helper.md#fast-path): the config pass runs when device.json changes and
 * its result is kept in a settings file next to the cache; a hit then runs the shell and one stat, nothing
 * else. The settings file is code the helper sources, so every way of making it someone else's — or stale —
 * must send the helper back to the config pass without running a line of it.
 */
const fixture = startedDeviceFixture([
  'dash',
  'busybox',
  'jq',
  'curl',
  'flock',
  'stat',
  'strace',
  'faketime',
]);
let scratch: string;

beforeAll(async () => {
  scratch = mkdtempSync(join(tmpdir(), 'keyless-settings-'));
});

afterAll(async () => {
  rmSync(scratch, { recursive: true, force: true });
});

function settingsFiles(config: string): string[] {
  const dir = fixture.cacheDirOf(config);
  return readdirSync(dir)
    .filter((name) => name.startsWith('settings-'))
    .map((name) => join(dir, name));
}

function settingsFile(config: string): string {
  const files = settingsFiles(config);
  expect(files).toHaveLength(1);
  return files[0];
}

/** A directory holding links to exactly `tools`, to run the helper with nothing else on PATH. */
let bins = 0;
function pathWith(tools: readonly string[]): string {
  bins += 1;
  const dir = join(scratch, `bin-${bins}`);
  mkdirSync(dir, { recursive: true });
  for (const tool of tools) symlinkSync(requireTool(tool), join(dir, tool));
  return dir;
}

/**
 * A config written by the fixture, once the second it was written in is over: settings are kept only for a
 * config whose change time is before the second the config pass began (a change within that very second
 * would not show), so a pass right after writing it keeps none.
 */
async function settledConfig(overrides: object = {}): Promise<string> {
  const config = fixture.writeConfig('x509', overrides);
  const second = Math.floor(statSync(config).ctimeMs / 1000);
  while (Math.floor(Date.now() / 1000) <= second) await new Promise((resolve) => setTimeout(resolve, 50));
  return config;
}

/** The programs a helper run executes (execve calls that succeeded), in order, from strace. */
async function programsRun(shell: readonly string[], config: string): Promise<string[]> {
  const trace = join(scratch, `trace-${Date.now()}-${Math.random()}`);
  const result = await runProcess(
    requireTool('strace'),
    ['-f', '-qq', '-e', 'trace=execve', '-o', trace, ...shell, HELPER, '--config', config],
    { env: helperEnv() },
  );
  expect(result.code).toBe(0);
  parseOutput(result);
  return readFileSync(trace, 'utf8')
    .split('\n')
    .filter((line) => /execve\(/.test(line) && / = 0$/.test(line))
    .map((line) => /execve\("([^"]+)"/.exec(line)![1].split('/').pop()!);
}

describe.each(SHELLS)('under %s, a cache hit', (_name, shell) => {
  test('runs the shell and one stat: no jq, no curl, no date', async () => {
    const config = await settledConfig();
    const first = parseOutput(await runHelper(config, { shell }));

    const programs = await programsRun(shell, config);

    expect(programs).toEqual([shell[0], 'stat']);
    const hit = await runHelper(config, {
      shell: [requireTool(shell[0]), ...shell.slice(1)],
      env: helperEnv({ PATH: pathWith(['stat']) }),
    });
    expect(hit.stderr).toBe('');
    expect(parseOutput(hit)).toEqual(first);
  });

  test('without stat it still works, through the config pass', async () => {
    const config = fixture.writeConfig('x509');
    const first = parseOutput(await runHelper(config, { shell }));
    const bin = pathWith(['jq', 'curl', 'flock', 'tr', 'id', 'ls', 'od', 'date', 'mkdir', 'mktemp', 'rm', 'mv', 'head', 'cut', 'wc', 'grep', 'sleep']); // prettier-ignore

    const hit = await runHelper(config, {
      shell: [requireTool(shell[0]), ...shell.slice(1)],
      env: helperEnv({ PATH: bin }),
    });

    expect(hit.stderr).toBe('');
    expect(parseOutput(hit)).toEqual(first);
  });
});

describe('the settings file', () => {
  test('is 0600, in the cache directory, names its config, and holds no credential', async () => {
    const config = await settledConfig();
    const output = parseOutput(await runHelper(config));

    const file = settingsFile(config);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const text = readFileSync(file, 'utf8');
    expect(text).toContain(`s_config='${config}'`);
    expect(text).toContain("cfg_thing='sensor-0001'");
    expect(text).not.toContain(output.SessionToken);
    expect(text).not.toContain(output.SecretAccessKey);
  });

  test('a config changed after the pass is checked again before the next hit, whatever its size', async () => {
    const config = await settledConfig();
    parseOutput(await runHelper(config));
    expect(settingsFiles(config)).toHaveLength(1);
    const original = readFileSync(config, 'utf8');

    // Same size, in place (same inode), right after the pass: the new thing name is used at once (and the
    // endpoint refuses it), never the kept one.
    writeFileSync(config, original.replace('"sensor-0001"', '"sensor-0002"'));
    expect(statSync(config).size).toBe(original.length);
    const changed = await runHelper(config);
    expect(changed.code).toBe(4);
    expect(fixture.oneStderrLineWithoutSecrets(changed)).toContain("thing 'sensor-0002' is not attached");

    writeFileSync(config, original.replace('"region": "ap-northeast-1"', '"region": "ap-northeast-x"'));
    const invalid = await runHelper(config);
    expect(invalid.code).toBe(3);
    expect(fixture.oneStderrLineWithoutSecrets(invalid)).toBe(
      `keyless-credentials: ${config}: region must be an AWS region such as ap-northeast-1, got "ap-northeast-x"`,
    );
  });

  test('is not kept when the config changed in the very second the pass began (its change time cannot tell)', async () => {
    const config = fixture.writeConfig('x509');
    const changed = new Date(Math.floor(statSync(config).ctimeMs / 1000) * 1000);
    const frozen = `@${changed
      .toISOString()
      .replace('T', ' ')
      .replace(/\.\d+Z$/, '')}`;

    const racy = await runProcess('faketime', ['-f', frozen, 'dash', HELPER, '--config', config], {
      env: helperEnv({ TZ: 'UTC' }),
    });
    expect(racy.stderr).toBe('');
    expect(settingsFiles(config)).toEqual([]);

    while (Math.floor(Date.now() / 1000) <= changed.getTime() / 1000) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    parseOutput(await runHelper(config));
    expect(settingsFiles(config)).toHaveLength(1);
  });
});

describe.each(SHELLS)(
  'under %s, settings that are not provably this helper’s own are never sourced',
  (_name, shell) => {
    const marker = () => join(scratch, `sourced-${Date.now()}-${Math.random()}`);

    /** A config with a kept settings file that would create `mark` if it were ever sourced. */
    async function armed(mark: string): Promise<{ config: string; file: string }> {
      const config = await settledConfig();
      parseOutput(await runHelper(config, { shell }));
      const file = settingsFile(config);
      appendFileSync(file, `: >'${mark}'\n`);
      return { config, file };
    }

    async function expectNotSourced(config: string, mark: string): Promise<void> {
      const result = await runHelper(config, { shell });
      expect(result.stderr).toBe('');
      expect(parseOutput(result).Version).toBe(1);
      expect(() => statSync(mark)).toThrow();
    }

    test('the control case: an armed file of ours, untouched otherwise, is sourced', async () => {
      const mark = marker();
      const { config } = await armed(mark);
      parseOutput(await runHelper(config, { shell }));
      expect(statSync(mark).isFile()).toBe(true);
    });

    test.each([
      ['writable by others (0666)', 0o666],
      ['writable by its group (0620)', 0o620],
      ['readable by others (0644)', 0o644],
    ])('a settings file %s: re-derived, made 0600 again', async (_case, mode) => {
      const mark = marker();
      const { config, file } = await armed(mark);
      chmodSync(file, mode);

      await expectNotSourced(config, mark);
      expect(statSync(file).mode & 0o777).toBe(0o600);
      expect(readFileSync(file, 'utf8')).not.toContain(mark);
    });

    test('a settings file that belongs to another user', async () => {
      requireRoot('a settings file owned by another user');
      const mark = marker();
      const { config, file } = await armed(mark);
      chownSync(file, uidOf(OTHER_USER), gidOf(OTHER_USER));

      await expectNotSourced(config, mark);
    });

    test('a symbolic link to a settings file', async () => {
      const mark = marker();
      const { config, file } = await armed(mark);
      const target = join(scratch, `elsewhere-${Date.now()}`);
      writeFileSync(target, readFileSync(file), { mode: 0o600 });
      rmSync(file);
      symlinkSync(target, file);

      await expectNotSourced(config, mark);
    });

    test('settings written by another helper version', async () => {
      const mark = marker();
      const { config, file } = await armed(mark);
      writeFileSync(file, readFileSync(file, 'utf8').replace(/settings-1\/[^']+/g, 'settings-1/0.0.0-other'));

      await expectNotSourced(config, mark);
    });

    test('settings of another config file moved into this one’s place', async () => {
      const mark = marker();
      const { config, file } = await armed(mark);
      const other = await settledConfig({ cacheDir: fixture.cacheDirOf(config) });
      parseOutput(await runHelper(other, { shell }));
      const otherFile = settingsFiles(config).find((name) => name !== file)!;
      writeFileSync(file, `${readFileSync(otherFile, 'utf8')}: >'${mark}'\n`, { mode: 0o600 });

      await expectNotSourced(config, mark);
    });
  },
);
