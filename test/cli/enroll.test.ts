import { execFileSync, spawnSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Command } from 'commander';
import { enroll, numberedThingNames, partialFileOf, registerEnrollCommand } from '../../lib/cli/enroll';
import { buildProgram } from '../../lib/cli/program';
import { CONFIG_DIR, REPO_ROOT } from '../support/cdk-app';
import { EC_P256, opensslCsr } from '../support/csr-files';
import { capturedStreams } from '../support/streams';

/** A repository of its own per test: config/dev.json (a copy of the sample) and an empty fleet/. */
let root: string;
let configDir: string;
beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'keyless-enroll-'));
  configDir = path.join(root, 'config');
  fs.mkdirSync(configDir);
  fs.copyFileSync(path.join(CONFIG_DIR, 'dev.json'), path.join(configDir, 'dev.json'));
});
afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

const dirs = () => ({ repoRoot: root, configDir });
const thingDir = (name: string) => path.join(root, 'fleet', 'dev', name);
const csrFile = (name: string) => path.join(thingDir(name), 'csr.pem');
const keyFile = (name: string) => path.join(thingDir(name), 'private.key');
const configThings = (): { name: string }[] =>
  JSON.parse(fs.readFileSync(path.join(configDir, 'dev.json'), 'utf8')).iot.things;
const openssl = (args: string[]) => execFileSync('openssl', args, { encoding: 'utf8', stdio: 'pipe' });

describe('keyless enroll', () => {
  it('makes a P-256 key (0600) and a CSR that openssl verifies, with CN = thing name', async () => {
    const result = await enroll({ envName: 'dev', things: ['sensor-001'], ...dirs() });
    expect(result.enrolled).toEqual(['sensor-001']);

    expect(openssl(['req', '-verify', '-in', csrFile('sensor-001'), '-noout', '-subject'])).toMatch(
      /subject=CN ?= ?sensor-001/,
    );
    expect(fs.statSync(keyFile('sensor-001')).mode & 0o777).toBe(0o600);
    expect(fs.readFileSync(keyFile('sensor-001'), 'utf8')).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    const key = crypto.createPrivateKey(fs.readFileSync(keyFile('sensor-001')));
    expect(key.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
    // The CSR carries the public half of exactly this key.
    const csrPublic = openssl(['req', '-in', csrFile('sensor-001'), '-pubkey', '-noout']);
    expect(csrPublic.trim()).toBe(
      crypto.createPublicKey(key).export({ type: 'spki', format: 'pem' }).toString().trim(),
    );
  });

  it('makes an RSA-2048 key with --key-type rsa2048', async () => {
    await enroll({ envName: 'dev', things: ['sensor-rsa'], keyType: 'rsa2048', ...dirs() });
    expect(openssl(['req', '-verify', '-in', csrFile('sensor-rsa'), '-noout', '-text'])).toMatch(/2048 bit/);
    expect(
      crypto.createPrivateKey(fs.readFileSync(keyFile('sensor-rsa'))).asymmetricKeyDetails?.modulusLength,
    ).toBe(2048);
  });

  it('adds new things to config/<env>.json, keeps everything else, and records their shard', async () => {
    const before = JSON.parse(fs.readFileSync(path.join(configDir, 'dev.json'), 'utf8'));
    const result = await enroll({ envName: 'dev', things: ['sensor-001', 'sensor-003'], ...dirs() });
    expect(result.addedToConfig).toEqual(['sensor-003']);
    const after = JSON.parse(fs.readFileSync(path.join(configDir, 'dev.json'), 'utf8'));
    expect(after).toEqual({
      ...before,
      iot: {
        ...before.iot,
        things: [...before.iot.things, { name: 'sensor-003', attributes: { Owner: 'keyless' } }],
      },
    });
    // Key order kept: "$schema" stays first, so editors still validate the file.
    expect(fs.readFileSync(path.join(configDir, 'dev.json'), 'utf8')).toMatch(
      /^\{\n {2}"\$schema": "\.\/keyless\.schema\.json",\n {2}"description"/,
    );
    // Written through prettier, so `npm run lint` (prettier --check) stays green after an enroll.
    const prettier = require.resolve('prettier/bin/prettier.cjs');
    expect(() =>
      execFileSync(process.execPath, [prettier, '--check', path.join(configDir, 'dev.json')], {
        stdio: 'pipe',
      }),
    ).not.toThrow();
    expect(JSON.parse(fs.readFileSync(path.join(root, 'fleet', 'dev', 'shards.json'), 'utf8'))).toEqual({
      version: 1,
      maxThingsPerShard: 100,
      assignments: { 'sensor-001': 1, 'sensor-002': 1, 'sensor-003': 1 },
    });
    expect(result.shardLock).toEqual({
      lockFile: 'fleet/dev/shards.json',
      placed: { 'sensor-001': 1, 'sensor-002': 1, 'sensor-003': 1 },
      released: [],
    });
  });

  it('is idempotent: a second run keeps every key and CSR and writes nothing', async () => {
    await enroll({ envName: 'dev', things: ['sensor-001', 'sensor-002'], ...dirs() });
    const snapshot = (name: string) => [
      fs.readFileSync(keyFile(name), 'utf8'),
      fs.readFileSync(csrFile(name), 'utf8'),
    ];
    const first = ['sensor-001', 'sensor-002'].map(snapshot);
    const config = fs.readFileSync(path.join(configDir, 'dev.json'), 'utf8');

    const again = await enroll({ envName: 'dev', things: ['sensor-001', 'sensor-002'], ...dirs() });
    expect(again).toEqual({
      enrolled: [],
      unchanged: ['sensor-001', 'sensor-002'],
      replaced: [],
      addedToConfig: [],
      shardLock: undefined,
    });
    expect(['sensor-001', 'sensor-002'].map(snapshot)).toEqual(first);
    expect(fs.readFileSync(path.join(configDir, 'dev.json'), 'utf8')).toBe(config);
  });

  it('makes the CSR again from the existing key when only the CSR is gone', async () => {
    await enroll({ envName: 'dev', things: ['sensor-001'], ...dirs() });
    const key = fs.readFileSync(keyFile('sensor-001'), 'utf8');
    fs.rmSync(csrFile('sensor-001'));
    await enroll({ envName: 'dev', things: ['sensor-001'], ...dirs() });
    expect(fs.readFileSync(keyFile('sensor-001'), 'utf8')).toBe(key);
    const csrPublic = openssl(['req', '-verify', '-in', csrFile('sensor-001'), '-pubkey', '-noout']);
    expect(csrPublic).toContain(
      crypto.createPublicKey(key).export({ type: 'spki', format: 'pem' }).toString().trim(),
    );
  });

  it('replaces key and CSR with --force and says the old certificate must be revoked', async () => {
    await enroll({ envName: 'dev', things: ['sensor-001'], ...dirs() });
    const oldKey = fs.readFileSync(keyFile('sensor-001'), 'utf8');
    const lines: string[] = [];
    const result = await enroll({
      envName: 'dev',
      things: ['sensor-001'],
      force: true,
      log: (l) => lines.push(l),
      ...dirs(),
    });
    expect(result.replaced).toEqual(['sensor-001']);
    expect(fs.readFileSync(keyFile('sensor-001'), 'utf8')).not.toBe(oldKey);
    expect(fs.statSync(keyFile('sensor-001')).mode & 0o777).toBe(0o600);
    expect(lines).toEqual([
      expect.stringMatching(
        /^sensor-001: replaced its key and CSR\. The certificate issued for the old key stays valid until it is revoked/,
      ),
    ]);
  });

  it('--force on a revoked thing records it active again: the new key gets a new certificate; a quarantine stays', async () => {
    await enroll({ envName: 'dev', things: ['sensor-001'], ...dirs() });
    const file = path.join(configDir, 'dev.json');
    const config = JSON.parse(fs.readFileSync(file, 'utf8'));
    config.iot.things[0] = { ...config.iot.things[0], status: 'revoked', quarantined: true };
    fs.writeFileSync(file, JSON.stringify(config, null, 2));
    const lines: string[] = [];
    await enroll({
      envName: 'dev',
      things: ['sensor-001'],
      force: true,
      log: (l) => lines.push(l),
      ...dirs(),
    });
    const { status, quarantined, ...rest } = configThings()[0] as Record<string, unknown>;
    expect({ status, quarantined }).toEqual({ status: undefined, quarantined: true });
    expect(rest).toEqual({ name: 'sensor-001', attributes: { Owner: 'keyless', Site: 'tokyo' } });
    expect(lines).toContainEqual(
      "sensor-001: its new certificate will be ACTIVE; config/dev.json no longer records the old certificate's status.",
    );
  });

  it('takes a CSR made on the device with --csr: no private key off the device', async () => {
    const deviceCsr = opensslCsr(root, 'device', 'sensor-dev', EC_P256);
    const result = await enroll({ envName: 'dev', things: ['sensor-dev'], csrFile: deviceCsr, ...dirs() });
    expect(result.enrolled).toEqual(['sensor-dev']);
    expect(fs.readFileSync(csrFile('sensor-dev'), 'utf8')).toBe(fs.readFileSync(deviceCsr, 'utf8'));
    expect(fs.existsSync(keyFile('sensor-dev'))).toBe(false);
    expect(configThings().map((t) => t.name)).toContain('sensor-dev');
    // Same CSR again: nothing to do. Another CSR: only with --force.
    expect(
      (await enroll({ envName: 'dev', things: ['sensor-dev'], csrFile: deviceCsr, ...dirs() })).unchanged,
    ).toEqual(['sensor-dev']);
    const other = opensslCsr(root, 'other', 'sensor-dev', EC_P256);
    await expect(
      enroll({ envName: 'dev', things: ['sensor-dev'], csrFile: other, ...dirs() }),
    ).rejects.toThrow(
      `sensor-dev already has a CSR at ${csrFile('sensor-dev')}; pass --force to replace it (its certificate must then be revoked)`,
    );
  });

  it('rejects a device CSR for another thing or with a weak key', async () => {
    const wrong = opensslCsr(root, 'wrong', 'someone-else', EC_P256);
    await expect(
      enroll({ envName: 'dev', things: ['sensor-dev'], csrFile: wrong, ...dirs() }),
    ).rejects.toThrow(
      `--csr ${wrong}: expected a CSR whose subject CN is the thing name "sensor-dev" in ${wrong}, got CN "someone-else"`,
    );
    expect(fs.existsSync(thingDir('sensor-dev'))).toBe(false);
    expect(configThings().map((t) => t.name)).not.toContain('sensor-dev');
  });

  it('makes no key for a config without an iot section', async () => {
    const file = path.join(configDir, 'dev.json');
    const raw = JSON.parse(fs.readFileSync(file, 'utf8'));
    delete raw.iot;
    fs.writeFileSync(file, JSON.stringify(raw));
    await expect(enroll({ envName: 'dev', things: ['sensor-001'], ...dirs() })).rejects.toThrow(
      `${file}: iot: missing; add the iot section (see config/prod.example.json) before enrolling things`,
    );
    expect(fs.existsSync(thingDir('sensor-001'))).toBe(false);
  });

  it('enrolls 100 things in one run, each with its own key and a valid CSR', async () => {
    const names = numberedThingNames('bulk-', 100);
    const progress: number[] = [];
    const result = await enroll({
      envName: 'dev',
      things: names,
      onProgress: (done) => progress.push(done),
      ...dirs(),
    });
    expect(result.enrolled).toHaveLength(100);
    expect(progress).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    const keys = new Set(names.map((name) => fs.readFileSync(keyFile(name), 'utf8')));
    expect(keys.size).toBe(100);
    for (const name of [names[0], names[57], names[99]]) {
      expect(openssl(['req', '-verify', '-in', csrFile(name), '-noout', '-subject'])).toMatch(
        new RegExp(`CN ?= ?${name}`),
      );
    }
    expect(configThings()).toHaveLength(102);
  });

  it('names things from --prefix and --count with at least three digits', () => {
    expect(numberedThingNames('sensor-', 3)).toEqual(['sensor-001', 'sensor-002', 'sensor-003']);
    expect(numberedThingNames('s', 2, 999)).toEqual(['s0999', 's1000']);
    expect(() => numberedThingNames('s', 0)).toThrow('--count must be a positive integer, got: 0');
  });

  it.each([
    [{ things: ['bad/name'] }, 'thing names must be 1-128 characters from a-z A-Z 0-9 : _ -, got: bad/name'],
    [{ things: [] }, 'name the things with --thing NAME or --prefix PREFIX --count N'],
    [{ things: ['a', 'b'], csrFile: '/x.pem' }, '--csr enrolls exactly one thing: pass a single --thing'],
    [{ envName: 'Prod' }, '--env must be 1-16 characters from a-z 0-9 -, starting with a letter, got: Prod'],
    [{ envName: 'stage' }, 'stage.json: no such environment "stage"; environments: dev'],
  ])('rejects %j', async (options, message) => {
    await expect(enroll({ envName: 'dev', things: ['sensor-001'], ...dirs(), ...options })).rejects.toThrow(
      message,
    );
  });

  it('--json: prints what it did as JSON on stdout, the messages on stderr', async () => {
    const { streams, out } = capturedStreams();
    const program = new Command('keyless').exitOverride();
    registerEnrollCommand(program, {
      ...dirs(),
      streams,
    });
    await program.parseAsync([
      'node',
      'keyless',
      'enroll',
      '--env',
      'dev',
      '--thing',
      'sensor-003',
      '--json',
    ]);
    expect(JSON.parse(out.stdout)).toEqual({
      env: 'dev',
      enrolled: ['sensor-003'],
      replaced: [],
      unchanged: [],
      addedToConfig: ['sensor-003'],
      shardLock: {
        lockFile: 'fleet/dev/shards.json',
        placed: { 'sensor-001': 1, 'sensor-002': 1, 'sensor-003': 1 },
        released: [],
      },
    });
    expect(out.stderr).toContain(
      'dev: 1 enrolled, 0 replaced, 0 already enrolled; 1 added to config/dev.json',
    );
    expect(out.stderr).toContain('fleet/dev/shards.json: placed 3 new thing(s) on Fleet shard(s) 1.');
    // Keys never go to either stream.
    expect(out.stdout + out.stderr).not.toMatch(/PRIVATE KEY/);
  });

  it('is registered as `keyless enroll` with its options', () => {
    const command = buildProgram().commands.find((c) => c.name() === 'enroll')!;
    expect(command.options.map((o) => o.long)).toEqual(
      expect.arrayContaining([
        '--env',
        '--thing',
        '--prefix',
        '--count',
        '--csr',
        '--key-type',
        '--force',
        '--json',
      ]),
    );
  });
});

describe('keyless enroll changes nothing unless everything succeeds', () => {
  /** Every file under the test repository with its mode and content, and every directory. */
  function repositoryState(): Record<string, string> {
    const state: Record<string, string> = {};
    const walk = (dir: string) => {
      for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
        const full = path.join(dir, entry.name);
        const relative = path.relative(root, full);
        if (entry.isDirectory()) {
          state[`${relative}/`] = (fs.statSync(full).mode & 0o777).toString(8);
          walk(full);
        } else {
          state[relative] =
            `${(fs.statSync(full).mode & 0o777).toString(8)} ${fs.readFileSync(full, 'utf8')}`;
        }
      }
    };
    walk(root);
    return state;
  }

  /** config/dev.json with an account and a region no AWS has: two problems, both to be listed. */
  function breakConfig(): void {
    const file = path.join(configDir, 'dev.json');
    const raw = JSON.parse(fs.readFileSync(file, 'utf8'));
    fs.writeFileSync(file, JSON.stringify({ ...raw, account: '12345', region: 'mars-1' }, null, 2));
  }

  const invalid = expect.objectContaining({
    name: 'ConfigError',
    envName: 'dev',
    problems: [
      expect.stringMatching(/dev\.json: account: .*got "12345"$/),
      expect.stringMatching(/dev\.json: region: .*got "mars-1"$/),
    ],
  });

  it('a config that does not validate: no key, no CSR, no config edit, no shard lock', async () => {
    breakConfig();
    const before = repositoryState();
    await expect(enroll({ envName: 'dev', things: ['sensor-003'], ...dirs() })).rejects.toEqual(invalid);
    expect(repositoryState()).toEqual(before);
  });

  it('--prefix/--count: not one of the things is written', async () => {
    breakConfig();
    const before = repositoryState();
    const { streams, out } = capturedStreams();
    const program = new Command('keyless').exitOverride();
    registerEnrollCommand(program, { ...dirs(), streams });
    await expect(
      program.parseAsync(['enroll', '--env', 'dev', '--prefix', 'bulk-', '--count', '5'], { from: 'user' }),
    ).rejects.toEqual(invalid);
    expect(repositoryState()).toEqual(before);
    expect(out.stdout).toBe('');
  });

  it('--force: the old key and CSR stay when the config does not validate', async () => {
    await enroll({ envName: 'dev', things: ['sensor-001', 'sensor-002'], ...dirs() });
    breakConfig();
    const before = repositoryState();
    await expect(
      enroll({ envName: 'dev', things: ['sensor-001', 'sensor-002'], force: true, ...dirs() }),
    ).rejects.toEqual(invalid);
    expect(repositoryState()).toEqual(before);
  });

  it('--csr --force: the key made here earlier stays when the config does not validate', async () => {
    await enroll({ envName: 'dev', things: ['sensor-001'], ...dirs() });
    const deviceCsr = opensslCsr(
      fs.mkdtempSync(path.join(os.tmpdir(), 'keyless-csr-')),
      'd',
      'sensor-001',
      EC_P256,
    );
    breakConfig();
    const before = repositoryState();
    await expect(
      enroll({ envName: 'dev', things: ['sensor-001'], csrFile: deviceCsr, force: true, ...dirs() }),
    ).rejects.toEqual(invalid);
    expect(repositoryState()).toEqual(before);
  });

  it('a shard lock that does not validate: nothing written', async () => {
    fs.mkdirSync(path.join(root, 'fleet', 'dev'), { recursive: true });
    fs.writeFileSync(path.join(root, 'fleet', 'dev', 'shards.json'), '{"maxThingsPerShard": "many"}\n');
    const before = repositoryState();
    await expect(enroll({ envName: 'dev', things: ['sensor-003'], ...dirs() })).rejects.toThrow(
      /fleet\/dev\/shards\.json: /,
    );
    expect(repositoryState()).toEqual(before);
  });

  it.each([
    ['the config file', () => path.join(configDir, 'dev.json')],
    ['the shard lock', () => path.join(root, 'fleet', 'dev', 'shards.json')],
  ])('a write that fails (%s) after others succeeded: every file is put back', async (_what, target) => {
    await enroll({ envName: 'dev', things: ['sensor-001'], ...dirs() });
    // Something in the way of the temporary file this write needs (the keys and CSRs are written before it).
    fs.mkdirSync(partialFileOf(target()));
    const before = repositoryState();
    await expect(
      enroll({ envName: 'dev', things: ['sensor-001', 'sensor-003', 'sensor-004'], force: true, ...dirs() }),
    ).rejects.toThrow(`EEXIST: file already exists, open '${partialFileOf(target())}'`);
    expect(repositoryState()).toEqual(before);
  });
});

describe('what enroll leaves in the repository', () => {
  /** `git check-ignore` in this repository: true when ignored, false when not, an error when git cannot tell. */
  function ignored(relative: string): boolean {
    const result = spawnSync('git', ['-C', REPO_ROOT, 'check-ignore', '--no-index', '--quiet', relative], {
      encoding: 'utf8',
    });
    if (result.status !== 0 && result.status !== 1) {
      throw new Error(
        `git check-ignore failed (${result.status}): ${result.stderr || result.error?.message}`,
      );
    }
    return result.status === 0;
  }

  it('git-ignores the temporary files it writes (a killed run leaves one, maybe holding a private key)', () => {
    const thing = path.join('fleet', 'dev', 'sensor-001');
    const names = [process.pid, 1, 4_194_304].flatMap((pid) => [
      partialFileOf(path.join(thing, 'private.key'), pid),
      partialFileOf(path.join(thing, 'csr.pem'), pid),
    ]);
    expect(names.filter((name) => !ignored(name))).toEqual([]);
    // The files it keeps: the key is ignored, the CSR is committed.
    expect(ignored(path.join(thing, 'private.key'))).toBe(true);
    expect(ignored(path.join(thing, 'csr.pem'))).toBe(false);
  });
});
