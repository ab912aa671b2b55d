import {
  chmodSync,
  chownSync,
  existsSync,
  lchownSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ProcessResult, runProcess, waitFor } from '../support/run-process';
import { HELPER, helperEnv, parseOutput } from './device-fixture';
import { SHELLS, startedDeviceFixture } from './shells';
import { gidOf, OTHER_USER, requireRoot, runAs, SharedDevice, uidOf } from './other-user';

/**
 * The path to the cache directory (docs/device-helper.md#trust, issue 20): a link as the cache directory is
 * refused, every directory on the path must belong to root or the caller and be writable by nobody else
 * (sticky aside), and once checked the helper works inside the directory by relative names, so a link swapped
 * during a request reaches nothing. Root runs the helper against paths `nobody` controls, under dash and
 * busybox ash.
 */
const fixture = startedDeviceFixture(['dash', 'busybox', 'jq', 'curl', 'flock', 'runuser']);
let scratch: string;

beforeAll(async () => {
  requireRoot('showing what a root run does with a cache path another user controls');
  scratch = mkdtempSync(join(tmpdir(), 'keyless-path-'));
  chmodSync(scratch, 0o755);
});

afterAll(async () => {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

afterEach(() => fixture.credentialsProvider.faults.clear());

let made = 0;
/** A fresh directory `name` under `parent` (default: a new one in the scratch area), with `mode` and owner. */
function directory(mode: number, owner?: string, parent?: string, name = 'd'): string {
  made += 1;
  const dir = join(parent ?? join(scratch, `area-${made}`), name);
  mkdirSync(dir, { recursive: true });
  chmodSync(dir, mode);
  if (owner) chownSync(dir, uidOf(owner), gidOf(owner));
  return dir;
}

/** A link at `link` to `target`, owned by `owner` (as if that user had made it). */
function link(target: string, at: string, owner?: string): string {
  symlinkSync(target, at);
  if (owner) lchownSync(at, uidOf(owner), gidOf(owner));
  return at;
}

function run(
  shell: readonly string[],
  config: string,
  args: readonly string[] = [],
  cwd?: string,
): Promise<ProcessResult> {
  return runProcess(shell[0], [...shell.slice(1), HELPER, '--config', config, ...args], {
    env: helperEnv(),
    cwd,
  });
}

function oneLine(result: ProcessResult): string {
  expect(result.stdout).toBe('');
  const line = fixture.oneStderrLineWithoutSecrets(result);
  expect(line).toMatch(/^[\x20-\x7e]*$/);
  return line;
}

/** Everything under `dir` (not following links), as relative names: what a run left there. */
function contents(dir: string): string[] {
  return readdirSync(dir, { recursive: true }).map(String).sort();
}

describe.each(SHELLS)('under %s, as root', (_name, shell) => {
  test('a link as the cache directory is refused, and nothing is written where it points', async () => {
    // The reproduction: the service user's svc/ holds svc/cache -> a private directory root owns.
    const svc = directory(0o755, OTHER_USER);
    const rootsDir = directory(0o700);
    const viaService = link(rootsDir, join(svc, 'cache'), OTHER_USER);
    // A link is refused even where only root could have made it.
    const rootsOther = directory(0o700);
    const viaRoot = link(rootsOther, join(directory(0o755), 'cache'));
    const before = fixture.credentialsProvider.requests;

    for (const cacheDir of [viaService, viaRoot]) {
      for (const args of [[], ['--force-refresh']]) {
        const result = await run(shell, fixture.writeConfig('x509', { cacheDir }), args);
        expect(result.code).toBe(7);
        expect(oneLine(result)).toBe(
          `keyless-credentials: cache directory ${cacheDir} is a symbolic link: the helper uses only a real directory as its cache, never a link (whoever can change the link could point it at any directory); set cacheDir to the directory itself`,
        );
      }
    }
    expect(contents(rootsDir)).toEqual([]);
    expect(contents(rootsOther)).toEqual([]);
    expect(contents(svc)).toEqual(['cache']);
    expect(fixture.credentialsProvider.requests).toBe(before);

    // --check names the same cause at its cache step (and still reads nothing through the link).
    const check = await run(shell, fixture.writeConfig('x509', { cacheDir: viaService }), [
      '--check',
      '--json',
    ]);
    const report = JSON.parse(check.stdout) as {
      failedStep: string;
      exitCode: number;
      steps: { name: string; detail: string }[];
    };
    expect(report.failedStep).toBe('cache');
    expect(report.exitCode).toBe(7);
    expect(report.steps.find((step) => step.name === 'cache')!.detail).toBe(
      `cache directory ${viaService} is a symbolic link: the helper uses only a real directory as its cache, never a link (whoever can change the link could point it at any directory); set cacheDir to the directory itself`,
    );
    expect(contents(rootsDir)).toEqual([]);
  });

  test('a directory on the path that another user owns, or others may write without the sticky bit, is refused', async () => {
    // svc/ (nobody's) / sub (root, 0700) / cache (root, 0700): the cache and its parent alone look private.
    const svc = directory(0o755, OTHER_USER);
    const owned = directory(0o700, undefined, directory(0o700, undefined, svc, 'sub'), 'cache');
    // open/ (root, 0777, not sticky) / sub (root, 0755) / cache (root, 0700).
    const open = directory(0o777);
    const writable = directory(0o700, undefined, directory(0o755, undefined, open, 'sub'), 'cache');
    // sticky/ (root, 1777) / x (nobody's, 0755) / cache (root, 0700): sticky protects x's name, not its content.
    const sticky = directory(0o1777);
    const x = directory(0o755, OTHER_USER, sticky, 'x');
    const underSticky = directory(0o700, undefined, x, 'cache');
    // svc2/ (nobody's) / cache not there yet: root must not even create it.
    const svc2 = directory(0o755, OTHER_USER);
    const uncreated = join(svc2, 'cache');
    const before = fixture.credentialsProvider.requests;

    for (const [cacheDir, message] of [
      [
        owned,
        `${svc}, on the path to cache directory ${owned}, belongs to ${OTHER_USER}, not to root: that user could swap the cache directory; choose a cacheDir whose every directory belongs to root or to the user running the helper`,
      ],
      [
        writable,
        `${open}, on the path to cache directory ${writable}, is writable by group or others (drwxrwxrwx) without the sticky bit: another user could swap the cache directory; choose a cacheDir under a directory only its owner can write`,
      ],
      [
        underSticky,
        `${x}, on the path to cache directory ${underSticky}, belongs to ${OTHER_USER}, not to root: that user could swap the cache directory; choose a cacheDir whose every directory belongs to root or to the user running the helper`,
      ],
      [
        uncreated,
        `${svc2}, on the path to cache directory ${uncreated}, belongs to ${OTHER_USER}, not to root: that user could swap the cache directory; choose a cacheDir whose every directory belongs to root or to the user running the helper`,
      ],
    ] as const) {
      // prettier-ignore
      const result = await run(shell, fixture.writeConfig('x509', { cacheDir }));
      expect(result.code).toBe(7);
      expect(oneLine(result)).toBe(`keyless-credentials: ${message}`);
    }
    expect(contents(owned)).toEqual([]);
    expect(contents(writable)).toEqual([]);
    expect(contents(underSticky)).toEqual([]);
    expect(contents(svc2)).toEqual([]);
    expect(fixture.credentialsProvider.requests).toBe(before);
  });

  test('under a sticky /tmp-style directory: another user’s link or directory is refused, the caller’s own directory works', async () => {
    const sticky = directory(0o1777);
    const rootsDir = directory(0o700);
    const planted = link(rootsDir, join(sticky, 'cache'), OTHER_USER);
    const theirs = directory(0o700, OTHER_USER, sticky, 'theirs');
    const ancestorLink = link(directory(0o755), join(sticky, 'via'), OTHER_USER);

    const viaLink = await run(shell, fixture.writeConfig('x509', { cacheDir: planted }));
    const notMine = await run(shell, fixture.writeConfig('x509', { cacheDir: theirs }));
    const viaAncestor = await run(
      shell,
      fixture.writeConfig('x509', { cacheDir: join(ancestorLink, 'cache') }),
    );
    const mine = await run(shell, fixture.writeConfig('x509', { cacheDir: join(sticky, 'mine') }));

    expect(viaLink.code).toBe(7);
    expect(oneLine(viaLink)).toMatch(/^keyless-credentials: cache directory .* is a symbolic link: /);
    expect(notMine.code).toBe(7);
    expect(oneLine(notMine)).toMatch(
      new RegExp(`^keyless-credentials: cache directory ${theirs} belongs to ${OTHER_USER}, not to root: `),
    );
    expect(viaAncestor.code).toBe(7);
    expect(oneLine(viaAncestor)).toBe(
      `keyless-credentials: ${ancestorLink}, on the path to cache directory ${join(ancestorLink, 'cache')}, is a symbolic link belonging to ${OTHER_USER}, not to root: that user could point it anywhere; choose a cacheDir whose every directory belongs to root or to the user running the helper`,
    );
    expect(contents(rootsDir)).toEqual([]);
    expect(contents(theirs)).toEqual([]);
    expect(parseOutput(mine).Version).toBe(1);
    expect(statSync(join(sticky, 'mine')).mode & 0o7777).toBe(0o700);
  });

  test('the link swapped during the request: no write lands through the new link', async () => {
    const svc = directory(0o755, OTHER_USER);
    const first = directory(0o700);
    const second = directory(0o700);
    writeFileSync(join(second, 'precious'), 'precious\n', { mode: 0o600 });
    const cacheDir = link(first, join(svc, 'cache'), OTHER_USER);
    const config = fixture.writeConfig('x509', { cacheDir });
    fixture.credentialsProvider.faults.set({ kind: 'delay', ms: 1500 }, { times: 1 });
    const before = fixture.credentialsProvider.requests;

    const running = run(shell, config, ['--force-refresh']);
    let finished = false;
    void running.then(() => (finished = true));
    await waitFor(
      () => finished || fixture.credentialsProvider.requests > before,
      'the request or the refusal',
    );
    if (!finished) {
      // What the service user can do at any moment: point its link elsewhere.
      rmSync(cacheDir);
      link(second, cacheDir, OTHER_USER);
    }
    const result = await running;

    expect(result.code).toBe(7);
    expect(oneLine(result)).toMatch(/^keyless-credentials: cache directory .* is a symbolic link: /);
    expect(contents(first)).toEqual([]);
    expect(contents(second)).toEqual(['precious']);
    expect(readFileSync(join(second, 'precious'), 'utf8')).toBe('precious\n');
  });

  test('the checked directory renamed and replaced by a link during the request: the credentials land in the checked directory', async () => {
    const base = directory(0o755);
    const cacheDir = join(base, 'cache');
    const elsewhere = directory(0o700);
    const config = fixture.writeConfig('x509', { cacheDir });
    fixture.credentialsProvider.faults.set({ kind: 'delay', ms: 1500 }, { times: 1 });
    const before = fixture.credentialsProvider.requests;

    const running = run(shell, config);
    await waitFor(() => fixture.credentialsProvider.requests > before, 'the helper to send its request');
    renameSync(cacheDir, join(base, 'checked'));
    link(elsewhere, cacheDir);
    const result = await running;

    expect(result.stderr).toBe('');
    expect(parseOutput(result).Version).toBe(1);
    expect(contents(elsewhere)).toEqual([]);
    const kept = contents(join(base, 'checked'));
    expect(kept.filter((name) => name.endsWith('.json'))).toHaveLength(1);
    expect(kept.filter((name) => name.includes('.tmp.'))).toEqual([]);
    for (const name of kept) expect(lstatSync(join(base, 'checked', name)).mode & 0o777).toBe(0o600);
  });

  test('healthy paths still work: links among root’s ancestors, //, /./ and a trailing slash, a relative --config', async () => {
    const base = directory(0o755);
    const real = directory(0o755, undefined, base, 'real');
    const viaRootLink = link(real, join(base, 'link'));
    const spelled = `${base}//real/./spelled/`;
    const elsewhere = directory(0o755);

    for (const cacheDir of [join(viaRootLink, 'cache'), spelled]) {
      const config = fixture.writeConfig('x509', { cacheDir });
      const fetched = await run(shell, config);
      const hit = await run(shell, config);
      expect(fetched.stderr).toBe('');
      expect(hit.stderr).toBe('');
      expect(hit.stdout).toBe(fetched.stdout);
    }
    expect(lstatSync(join(real, 'cache')).isDirectory()).toBe(true);
    expect(contents(join(real, 'cache')).some((name) => name.endsWith('.json'))).toBe(true);
    expect(contents(join(real, 'spelled')).some((name) => name.endsWith('.json'))).toBe(true);

    // `cd /etc/keyless && keyless-credentials --config device.json`: the helper leaves the caller's directory
    // for its cache, and still finds the config it was given.
    const config = fixture.writeConfig('x509');
    const dir = join(config, '..');
    const fetched = await run(shell, 'device.json', [], dir);
    const hit = await run(shell, './device.json', [], dir);
    expect(fetched.stderr).toBe('');
    expect(hit.stdout).toBe(fetched.stdout);
    expect(contents(elsewhere)).toEqual([]);
  });
});

describe.each(SHELLS)('under %s, as the service user', (_name, shell) => {
  let device: SharedDevice;

  beforeAll(() => {
    device = new SharedDevice(fixture, OTHER_USER);
  });

  afterAll(() => device?.dispose());

  test('its own directory under root’s: fetch, then a hit; root’s private directory on the path is named', async () => {
    const asUser = (config: string, args: readonly string[] = []) =>
      runAs(OTHER_USER, shell[0], [...shell.slice(1), device.helper, '--config', config, ...args], {
        KEYLESS_RETRY_BASE_MS: '50',
        KEYLESS_MAX_TIME: '5',
      });

    const fetched = await asUser(device.config);
    const hit = await asUser(device.config);
    expect(fetched.stderr).toBe('');
    expect(parseOutput(hit)).toEqual(parseOutput(fetched));

    // A cacheDir below a directory the user cannot enter (root's 0700): one line naming it, exit 7.
    const closed = join(device.base, 'closed');
    mkdirSync(closed, { mode: 0o700 });
    const config = join(device.base, 'closed.json');
    writeFileSync(
      config,
      JSON.stringify({ ...JSON.parse(readFileSync(device.config, 'utf8')), cacheDir: join(closed, 'cache') }),
      { mode: 0o644 },
    );
    const refused = await asUser(config);
    expect(refused.code).toBe(7);
    expect(oneLine(refused)).toBe(
      `keyless-credentials: cannot create cache directory ${join(closed, 'cache')}`,
    );
    expect(existsSync(join(closed, 'cache'))).toBe(false);
  });
});
