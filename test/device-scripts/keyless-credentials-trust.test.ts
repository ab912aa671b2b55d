import { execFileSync, spawn } from 'node:child_process';
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
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireTool } from '../support/test-tools';
import { killGroup, ProcessResult, runProcess, waitFor } from '../support/run-process';
import { HELPER, helperEnv, parseOutput, runHelper } from './device-fixture';
import { SHELLS, startedDeviceFixture } from './shells';
import { gidOf, OTHER_USER, plant, requireRoot, runAs, SharedDevice, uidOf } from './other-user';

/**
 * The helper's local trust boundary (docs/device-helper.md#trust): root runs against the service user's cache,
 * links and files planted there, directories other users can write, and the exit code of every local failure
 * under dash and busybox ash. Root-only cases run the helper as root and as `nobody` through runuser.
 */
const fixture = startedDeviceFixture(['dash', 'busybox', 'jq', 'curl', 'flock', 'openssl', 'runuser']);
let scratch: string;

beforeAll(async () => {
  // Not the fixture's directory: that one is root's 0700, and some cases need another user to reach in.
  scratch = mkdtempSync(join(tmpdir(), 'keyless-trust-'));
  chmodSync(scratch, 0o755);
});

afterAll(async () => {
  rmSync(scratch, { recursive: true, force: true });
});

/** A directory of its own in the scratch area, with `mode` and owner. */
let dirs = 0;
function directory(mode: number, owner?: string): string {
  dirs += 1;
  const dir = join(scratch, `dir-${dirs}`);
  mkdirSync(dir);
  chmodSync(dir, mode);
  if (owner) chownSync(dir, uidOf(owner), gidOf(owner));
  return dir;
}

/** The shell by absolute path: some cases run with a PATH that lacks it. */
function runIn(shell: readonly string[], helper: string, args: readonly string[], env = helperEnv()) {
  return runProcess(requireTool(shell[0]), [...shell.slice(1), helper, ...args], { env });
}

/** Entries of `dir` (not followed) that root owns. */
function rootOwned(dir: string): string[] {
  return readdirSync(dir).filter((name) => lstatSync(join(dir, name)).uid === 0);
}

function cacheFileIn(dir: string): string {
  const names = readdirSync(dir).filter((name) => name.endsWith('.json'));
  expect(names).toHaveLength(1);
  return join(dir, names[0]);
}

/** The one stderr line, checked to be printable ASCII. */
function oneLine(result: ProcessResult): string {
  const line = fixture.oneStderrLineWithoutSecrets(result);
  expect(line).toMatch(/^[\x20-\x7e]*$/);
  return line;
}

/** A cache file in the helper's format, holding credentials nobody issued. */
function plantedCache(): { content: string; json: string } {
  const expires = new Date(Date.now() + 3 * 3600 * 1000);
  const json = JSON.stringify({
    Version: 1,
    AccessKeyId: 'PLANTEDKEYID',
    SecretAccessKey: 'planted-secret',
    SessionToken: 'planted-token',
    Expiration: expires.toISOString().replace(/\.\d{3}Z$/, 'Z'),
  });
  return { content: `${Math.floor(expires.getTime() / 1000)} ${json.length}\n${json}\n`, json };
}

/** The cache file name the helper uses for the fixture's X.509 identity. */
async function x509CacheName(): Promise<string> {
  const config = fixture.writeConfig('x509');
  parseOutput(await runHelper(config));
  return cacheFileIn(fixture.cacheDirOf(config)).split('/').pop()!;
}

describe.each(SHELLS)('under %s, root and the service user', (_name, shell) => {
  let device: SharedDevice;
  const env = helperEnv();

  beforeAll(() => {
    requireRoot('showing what a root run does to the service user’s cache');
    device = new SharedDevice(fixture, OTHER_USER);
  });

  afterAll(() => device?.dispose());

  function asServiceUser(args: readonly string[] = []): Promise<ProcessResult> {
    return runAs(
      OTHER_USER,
      shell[0],
      [...shell.slice(1), device.helper, '--config', device.config, ...args],
      {
        KEYLESS_RETRY_BASE_MS: env.KEYLESS_RETRY_BASE_MS,
        KEYLESS_MAX_TIME: env.KEYLESS_MAX_TIME,
      },
    );
  }

  test('a root run is refused before it touches anything: links planted at the lock and temporary names reach no file', async () => {
    const first = await asServiceUser();
    expect(first.code).toBe(0);
    const cacheFile = cacheFileIn(device.cacheDir);
    const cached = readFileSync(cacheFile, 'utf8');

    // Root's files the compromised service user aims at: one to truncate, one to create.
    const victims = directory(0o700);
    const victim = join(victims, 'precious');
    writeFileSync(victim, 'precious\n', { mode: 0o600 });
    const created = join(victims, 'created-by-root');
    rmSync(`${cacheFile}.lock`, { force: true }); // an older helper's lock file, replaced by the link
    symlinkSync(created, `${cacheFile}.lock`);
    lchownSync(`${cacheFile}.lock`, uidOf(OTHER_USER), gidOf(OTHER_USER));
    // Temporary names the helper once derived from its pid: the wrapper plants them for its own pid, which
    // the helper inherits through exec.
    const wrapper = [
      'cf=$1; victim=$2; shift 2',
      'for s in body err req tmp; do ln -s "$victim" "$cf.$s.$$" && chown -h nobody "$cf.$s.$$"; done',
      'exec "$@"',
    ].join('\n');

    const results: ProcessResult[] = [];
    for (const args of [[], ['--force-refresh']]) {
      results.push(
        await runProcess(
          'sh',
          [
            '-c',
            wrapper,
            'sh',
            cacheFile,
            victim,
            ...shell,
            device.helper,
            '--config',
            device.config,
            ...args,
          ],
          { env },
        ),
      );
    }

    // What the root runs did (nothing), then what they said.
    expect(readFileSync(victim, 'utf8')).toBe('precious\n');
    expect(existsSync(created)).toBe(false);
    expect(rootOwned(device.cacheDir)).toEqual([]);
    expect(readFileSync(cacheFile, 'utf8')).toBe(cached);
    for (const result of results) {
      expect(result.stdout).toBe('');
      expect(result.code).toBe(7);
      expect(oneLine(result)).toBe(
        `keyless-credentials: cache directory ${device.cacheDir} belongs to ${OTHER_USER}, not to root: run the helper as ${OTHER_USER} (as root: runuser -u ${OTHER_USER} -- keyless-credentials ...), or set cacheDir in ${device.config} to a directory of your own`,
      );
    }

    // The service user: its fresh cache still serves; a refresh names the planted link instead of following it.
    const hit = await asServiceUser();
    expect(hit.code).toBe(0);
    expect(hit.stdout).toBe(first.stdout);
    const refresh = await asServiceUser(['--force-refresh']);
    expect(refresh.code).toBe(7);
    expect(oneLine(refresh)).toMatch(
      /^keyless-credentials: .*\.json\.(tmp|lock|body|err|req)[.\d]* is a symbolic link; the helper never follows links in its cache directory: remove it \(rm .*\)$/,
    );
    expect(readFileSync(victim, 'utf8')).toBe('precious\n');
    expect(existsSync(created)).toBe(false);

    const cleanup = await runAs(
      OTHER_USER,
      'sh',
      ['-c', 'rm -f "$1".lock "$1".body.* "$1".err.* "$1".req.* "$1".tmp.*', 'sh', cacheFile],
      {},
    );
    expect(cleanup.code).toBe(0);
    const again = await asServiceUser(['--force-refresh']);
    expect(again.code).toBe(0);
    expect(parseOutput(again).SessionToken).not.toBe(parseOutput(first).SessionToken);
  });

  test('after a root run the service user still refreshes (no root-owned lock left behind)', async () => {
    expect((await asServiceUser(['--force-refresh'])).code).toBe(0);

    const root = await runIn(shell, device.helper, ['--config', device.config, '--force-refresh'], env);
    const left = rootOwned(device.cacheDir);
    const after = await asServiceUser(['--force-refresh']);

    expect(left).toEqual([]);
    expect(after.stderr).toBe('');
    expect(after.code).toBe(0);
    expect(rootOwned(device.cacheDir)).toEqual([]);
    expect(root.code).toBe(7);
  });

  test('a root-owned lock file left by an older helper: one line, exit 7, naming the fix', async () => {
    const cacheFile = cacheFileIn(device.cacheDir);
    writeFileSync(`${cacheFile}.lock`, '', { mode: 0o600 });

    const blocked = await asServiceUser(['--force-refresh']);

    expect(blocked.code).toBe(7);
    expect(oneLine(blocked)).toBe(
      `keyless-credentials: ${cacheFile}.lock belongs to root, not to ${OTHER_USER}: the helper never touches another user's files; remove it (rm -r ${cacheFile}.lock)`,
    );
    const remove = await runAs(OTHER_USER, 'rm', ['-f', `${cacheFile}.lock`], {});
    expect(remove.code).toBe(0);
    expect((await asServiceUser(['--force-refresh'])).code).toBe(0);
  });

  test('a cache file of another user in the service user’s directory is refused, never served', async () => {
    const cacheFile = cacheFileIn(device.cacheDir);
    const { content } = plantedCache();
    rmSync(cacheFile);
    plant(cacheFile, content, 'root');

    const result = await asServiceUser();

    expect(result.code).toBe(7);
    expect(result.stdout).toBe('');
    expect(oneLine(result)).toBe(
      `keyless-credentials: cache file ${cacheFile} belongs to root, not to ${OTHER_USER}: the helper never uses another user's files; remove it (rm ${cacheFile})`,
    );
    rmSync(cacheFile);
  });

  test('a lock the service user cannot open and a cache directory it cannot write: exit 7, one line', async () => {
    chmodSync(device.cacheDir, 0o300); // writable and searchable, not readable: the lock (open for reading) fails
    const unreadable = await asServiceUser(['--force-refresh']);
    chmodSync(device.cacheDir, 0o500); // readable, not writable
    const unwritable = await asServiceUser(['--force-refresh']);
    chmodSync(device.cacheDir, 0o700);

    expect(unreadable.code).toBe(7);
    expect(oneLine(unreadable)).toBe(
      `keyless-credentials: cannot open cache directory ${device.cacheDir} to lock it`,
    );
    expect(unwritable.code).toBe(7);
    expect(oneLine(unwritable)).toBe(
      `keyless-credentials: cache directory ${device.cacheDir} is not writable by this user`,
    );
  });
});

describe('another local user cannot get credentials served', () => {
  let cacheName: string;

  beforeAll(async () => {
    requireRoot('planting files as another user');
    cacheName = await x509CacheName();
  });

  // The directory's mode is checked on every call (it also holds the settings the helper sources), so the
  // planted file is never even opened: the refusal names the directory.
  test.each([
    ['writable by others (0777)', 0o777, 'drwxrwxrwx'],
    ['writable by its group (0775, group nogroup)', 0o775, 'drwxrwxr-x'],
    ['sticky and writable by others (1777)', 0o1777, 'drwxrwxrwt'],
  ])(
    'a cache directory %s: a cache file planted there is refused, never served',
    async (_case, mode, shown) => {
      const dir = directory(0o700);
      chownSync(dir, 0, gidOf(OTHER_USER));
      chmodSync(dir, mode);
      const config = fixture.writeConfig('x509', { cacheDir: dir });
      const { content } = plantedCache();
      const planted = await runAs(
        OTHER_USER,
        'sh',
        ['-c', 'printf "%s" "$2" > "$1"', 'sh', join(dir, cacheName), content],
        {},
      );
      expect(planted.code).toBe(0);

      for (const [, shell] of SHELLS) {
        const result = await runIn(shell, HELPER, ['--config', config]);
        expect(result.stdout).toBe('');
        expect(result.code).toBe(7);
        expect(oneLine(result)).toBe(
          `keyless-credentials: cache directory ${dir} is writable by group or others (${shown}): another user could plant credentials there; make it private (chmod 0700 ${dir})`,
        );
        expect(result.stdout + result.stderr).not.toContain('PLANTED');
      }
    },
  );
});

describe.each(SHELLS)(
  'under %s, every local failure exits with its documented code and one line',
  (_name, shell) => {
    const run = (config: string, args: readonly string[] = [], env = helperEnv()) =>
      runIn(shell, HELPER, ['--config', config, ...args], env);

    test('a cache directory writable by group or others is refused before anything is written (exit 7)', async () => {
      for (const [mode, shown] of [
        [0o777, 'drwxrwxrwx'],
        [0o770, 'drwxrwx---'],
        [0o1777, 'drwxrwxrwt'],
      ] as const) {
        const dir = directory(mode);
        const config = fixture.writeConfig('x509', { cacheDir: dir });
        const before = fixture.credentialsProvider.requests;

        const result = await run(config);

        expect(result.code).toBe(7);
        expect(oneLine(result)).toBe(
          `keyless-credentials: cache directory ${dir} is writable by group or others (${shown}): another user could plant credentials there; make it private (chmod 0700 ${dir})`,
        );
        expect(readdirSync(dir)).toEqual([]);
        expect(fixture.credentialsProvider.requests).toBe(before);
      }
    });

    test('a cache directory whose parent others can write (not sticky) is refused; a sticky parent is fine', async () => {
      const open = directory(0o777);
      const config = fixture.writeConfig('x509', { cacheDir: join(open, 'cache') });
      const refused = await run(config);
      expect(refused.code).toBe(7);
      expect(oneLine(refused)).toBe(
        `keyless-credentials: the directory holding cache directory ${join(open, 'cache')} is writable by group or others (drwxrwxrwx) without the sticky bit: another user could swap the cache directory; choose a cacheDir under a directory only its owner can write`,
      );

      const sticky = directory(0o1777);
      const fine = await run(fixture.writeConfig('x509', { cacheDir: join(sticky, 'cache') }));
      expect(fine.code).toBe(0);
      expect(lstatSync(join(sticky, 'cache')).mode & 0o777).toBe(0o700);
    });

    test('links in the cache directory are never followed: the cache file, a leftover, the directory itself', async () => {
      const target = join(directory(0o700), 'target');
      writeFileSync(target, 'not a cache\n');
      const cacheName = await x509CacheName();

      const linkedCache = directory(0o700);
      symlinkSync(target, join(linkedCache, cacheName));
      const leftover = directory(0o700);
      symlinkSync(target, join(leftover, `${cacheName}.tmp.123`));
      const dangling = join(directory(0o700), 'cache');
      symlinkSync(join(scratch, 'nowhere'), dangling);

      for (const [dir, file, args] of [
        [linkedCache, join(linkedCache, cacheName), []],
        [linkedCache, join(linkedCache, cacheName), ['--force-refresh']],
        [leftover, join(leftover, `${cacheName}.tmp.123`), ['--force-refresh']],
      ] as const) {
        const result = await run(fixture.writeConfig('x509', { cacheDir: dir }), args);
        expect(result.code).toBe(7);
        expect(oneLine(result)).toMatch(
          new RegExp(
            `^keyless-credentials: (cache file )?${file.replace(/\./g, '\\.')} is a symbolic link; the helper never follows links in its cache directory: remove it \\(rm ${file.replace(/\./g, '\\.')}\\)$`,
          ),
        );
      }
      const result = await run(fixture.writeConfig('x509', { cacheDir: dangling }));
      expect(result.code).toBe(7);
      expect(oneLine(result)).toBe(
        `keyless-credentials: cache directory ${dangling} is a symbolic link: the helper uses only a real directory as its cache, never a link (whoever can change the link could point it at any directory); set cacheDir to the directory itself`,
      );
      expect(readFileSync(target, 'utf8')).toBe('not a cache\n');
    });

    test('a cache path that is a directory, and a cache directory that cannot be created (exit 7)', async () => {
      const cacheName = await x509CacheName();
      const dir = directory(0o700);
      mkdirSync(join(dir, cacheName));
      const notFile = await run(fixture.writeConfig('x509', { cacheDir: dir }), ['--force-refresh']);
      expect(notFile.code).toBe(7);
      expect(oneLine(notFile)).toBe(
        `keyless-credentials: cache file ${join(dir, cacheName)} is not a regular file: remove it`,
      );

      const file = join(directory(0o700), 'a-file');
      writeFileSync(file, '');
      const uncreatable = await run(fixture.writeConfig('x509', { cacheDir: join(file, 'cache') }));
      expect(uncreatable.code).toBe(7);
      expect(oneLine(uncreatable)).toBe(
        `keyless-credentials: cannot create cache directory ${join(file, 'cache')}`,
      );
    });

    test('another run holding the lock past KEYLESS_LOCK_WAIT (exit 7)', async () => {
      const dir = directory(0o700);
      const config = fixture.writeConfig('x509', { cacheDir: dir });
      const holder = spawn('flock', [dir, 'sleep', '30'], { detached: true, stdio: 'ignore' });
      try {
        await waitFor(
          () => runFlockProbe(dir) !== 0,
          'the test to hold the lock on the cache directory',
          100,
        );
        const result = await run(config, [], helperEnv({ KEYLESS_LOCK_WAIT: '1' }));
        expect(result.code).toBe(7);
        expect(oneLine(result)).toBe(
          `keyless-credentials: gave up after 1s waiting for another keyless-credentials run holding the lock on ${dir}`,
        );
      } finally {
        killGroup(holder.pid, 'SIGKILL');
      }
    });

    test('standard output closed: exit 7 on a fetch, then on the cache hit it left', async () => {
      const config = fixture.writeConfig('x509');
      for (const path of ['fetch', 'cache hit']) {
        const result = await runProcess(
          'sh',
          ['-c', 'exec 1>&-; exec "$@"', 'sh', ...shell, HELPER, '--config', config],
          { env: helperEnv() },
        );
        expect(path).toBeTruthy();
        expect(result.code).toBe(7);
        expect(oneLine(result)).toBe('keyless-credentials: cannot write the credentials to standard output');
      }
    });

    test('an answer that cannot be written (file size limit, as on a full disk): exit 7', async () => {
      const config = fixture.writeConfig('x509');
      const result = await runProcess('sh', ['-c', 'ulimit -f 0; exec "$@"', 'sh', ...shell, HELPER, '--config', config], {
      env: helperEnv(),
    }); // prettier-ignore
      expect(result.code).toBe(7);
      expect(oneLine(result)).toMatch(
        /^keyless-credentials: cannot write the answer of the AWS IoT credentials provider at https:\/\/127\.0\.0\.1:\d+ in .* \(disk full\?\)$/,
      );
    });

    test.each([
      ['jq', 7, 'keyless-credentials: jq is not installed (needed to fetch and parse credentials)'],
      ['curl', 7, 'keyless-credentials: curl is not installed (needed to fetch and parse credentials)'],
      [
        'flock',
        7,
        'keyless-credentials: flock is not installed (util-linux; needed so concurrent callers fetch once)',
      ],
    ])('%s missing from PATH (exit %i)', async (missing, code, message) => {
      const bin = directory(0o755);
      for (const tool of [
      'jq', 'curl', 'flock', 'tr', 'id', 'ls', 'od', 'date', 'mkdir', 'mktemp', 'rm', 'mv', 'head', 'cut',
      'wc', 'grep', 'sleep',
    ]) {
      if (tool !== missing) symlinkSync(requireTool(tool), join(bin, tool));
    } // prettier-ignore
      const result = await run(fixture.writeConfig('x509'), [], helperEnv({ PATH: bin }));
      expect(result.code).toBe(code);
      expect(oneLine(result)).toBe(message);
    });

    test('without mktemp, the fallback (mkdir of a random name) still fetches and leaves nothing behind', async () => {
      const bin = directory(0o755);
      for (const tool of [
      'jq', 'curl', 'flock', 'tr', 'id', 'ls', 'od', 'date', 'mkdir', 'rm', 'mv', 'head', 'cut', 'wc', 'grep', 'sleep',
    ]) {
      symlinkSync(requireTool(tool), join(bin, tool));
    } // prettier-ignore
      const config = fixture.writeConfig('x509');

      const result = await run(config, [], helperEnv({ PATH: bin }));

      expect(result.stderr).toBe('');
      expect(parseOutput(result).Version).toBe(1);
      expect(readdirSync(fixture.cacheDirOf(config)).filter((name) => !name.endsWith('.json'))).toEqual([]);
    });

    test('usage and configuration problems (exit 2 and 3)', async () => {
      const config = fixture.writeConfig('x509');
      const cases: [readonly string[], NodeJS.ProcessEnv, number, string | RegExp][] = [
      [['--refresh'], {}, 2, /^keyless-credentials: unknown argument '--refresh'/],
      [[], { KEYLESS_MAX_ATTEMPTS: 'many' }, 2, "keyless-credentials: KEYLESS_MAX_ATTEMPTS must be a whole number, got 'many'"],
      [['--config'], {}, 2, 'keyless-credentials: --config needs a file argument'],
    ]; // prettier-ignore
      for (const [args, env, code, message] of cases) {
        const result = await runProcess(shell[0], [...shell.slice(1), HELPER, ...(args.length ? args : ['--config', config])], {
        env: helperEnv(env),
      }); // prettier-ignore
        expect(result.code).toBe(code);
        if (typeof message === 'string') expect(oneLine(result)).toBe(message);
        else expect(oneLine(result)).toMatch(message);
      }

      const noHome = fixture.writeConfig('x509', { cacheDir: undefined });
      const env = helperEnv();
      delete env.HOME;
      delete env.XDG_CACHE_HOME;
      const result = await run(noHome, [], env);
      expect(result.code).toBe(3);
      expect(oneLine(result)).toBe(
        `keyless-credentials: ${noHome}: cacheDir is not set and neither XDG_CACHE_HOME nor HOME is set`,
      );
      const relative = await run(noHome, [], { ...env, XDG_CACHE_HOME: 'relative/cache' });
      expect(relative.code).toBe(3);
      expect(oneLine(relative)).toBe(
        `keyless-credentials: ${noHome}: the cache directory must be an absolute path, got 'relative/cache/keyless' (set cacheDir, or an absolute XDG_CACHE_HOME or HOME)`,
      );
    });
  },
);

/** 0 when the lock on `dir` is free (and immediately released), non-zero while someone holds it. */
function runFlockProbe(dir: string): number {
  try {
    execFileSync(requireTool('flock'), ['-n', dir, 'true'], { stdio: 'ignore' });
    return 0;
  } catch {
    return 1;
  }
}
