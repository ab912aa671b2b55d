import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { buildBundles, type BundleTarget } from '../../lib/cli/bundle/build';
import { BundleFixture, DEVICE_BUCKET, deviceConfigContract, ROLE_ALIAS } from '../cli/bundle/bundle-fixture';
import { CredentialsProviderEmulator } from '../emulators/credentials-provider';
import { LocalS3 } from '../support/local-aws';
import { ProcessResult, runProcess } from '../support/run-process';
import { requireTool, TOOLS } from '../support/test-tools';

/**
 * End to end on loopback: `keyless bundle` output (the IoT endpoint pointed at the credentials-provider
 * emulator, the emulator's test CA in place of Amazon Root CA 1) unpacked into a temporary root, installed with
 * install.sh under KEYLESS_ROOT, then used by the installed helper and by the AWS CLI with the installed profile.
 */
const fixture = new BundleFixture();
const provider = new CredentialsProviderEmulator({
  certPem: fixture.pki.server.certPem,
  keyPem: fixture.pki.server.keyPem,
  clientCaPem: fixture.pki.ca.certPem,
});
const s3 = new LocalS3([DEVICE_BUCKET]);
let aws: string;
let bundles: string;
let roots = 0;

beforeAll(async () => {
  aws = requireTool(TOOLS.aws);
  for (const tool of ['dash', 'busybox', 'jq', 'curl', 'flock', 'openssl', 'tar', 'sha256sum'])
    requireTool(tool);
  provider.registerCertificate(fixture.certificates['sensor-001'].fingerprint256, { things: ['sensor-001'] });
  // sensor-002's certificate is deliberately unknown to the provider: its install must report why.
  provider.addRoleAlias({ name: ROLE_ALIAS });
  const endpoint = await provider.start();
  await s3.start();
  fixture.credentialsEndpoint = `127.0.0.1:${endpoint.port}`;
  fixture.reset();
  fixture.useRootCa(fixture.pki.ca.certPem);
  bundles = mkdtempSync(join(fixture.dir, 'bundles-'));
  const targets: BundleTarget[] = [
    { name: 'sensor-001', source: 'x509' },
    { name: 'sensor-002', source: 'x509' },
    { name: 'sim-001', source: 'krypton', mode: 'credentials' },
  ];
  const summary = await buildBundles({
    config: fixture.config,
    clients: fixture.clients(),
    targets,
    repoRoot: fixture.repoRoot,
    deviceScriptsDir: fixture.deviceScriptsDir,
    outDir: bundles,
    keyOnDevice: true,
  });
  expect(summary.failed).toBe(0);
});

afterAll(async () => {
  await s3.stop();
  await provider.stop();
  fixture.dispose();
});

/** Environment without the test runner's AWS_* and KEYLESS_* settings; quick helper retries. */
function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith('KEYLESS_') && !key.startsWith('AWS_')) env[key] = value;
  }
  return { ...env, KEYLESS_RETRY_BASE_MS: '50', KEYLESS_MAX_TIME: '5', KEYLESS_MAX_ATTEMPTS: '2', ...extra };
}

/** A fresh device root with the bundle unpacked in <root>/tmp, as an operator would copy it over. */
function unpack(name: string): { root: string; bundle: string } {
  roots += 1;
  const root = join(fixture.dir, `device-${roots}`);
  mkdirSync(join(root, 'tmp'), { recursive: true });
  execFileSync('tar', ['-xzf', join(bundles, 'dev', `${name}.tar.gz`), '-C', join(root, 'tmp')]);
  return { root, bundle: join(root, 'tmp', name) };
}

function install(
  root: string,
  bundle: string,
  args: readonly string[] = [],
  shell: readonly string[] = ['dash'],
  env: NodeJS.ProcessEnv = {},
): Promise<ProcessResult> {
  return runProcess(requireTool(shell[0]), [...shell.slice(1), join(bundle, 'install.sh'), ...args], {
    env: cleanEnv({ KEYLESS_ROOT: root, ...env }),
  });
}

function mode(file: string): number {
  return statSync(file).mode & 0o777;
}

describe('install.sh from a bundle, then the installed helper and AWS CLI', () => {
  test('X.509 bundle with its key: installs, gets credentials, and aws s3 sync works with the installed profile', async () => {
    const { root, bundle } = unpack('sensor-001');

    const result = await install(root, bundle);

    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('KEYLESS_ROOT is set: installing under');
    expect(result.stdout).toMatch(
      /OK: this device got short-lived AWS credentials \(valid until \d{4}-\d\d-\d\dT/,
    );
    for (const secret of provider.issuer.secrets()) expect(result.stdout).not.toContain(secret);

    expect(mode(join(root, 'opt/keyless/certs/private.pem.key'))).toBe(0o600);
    expect(mode(join(root, 'opt/keyless/certs/certificate.pem.crt'))).toBe(0o600);
    expect(mode(join(root, 'opt/keyless/bin/keyless-credentials'))).toBe(0o755);
    expect(mode(join(root, 'var/cache/keyless'))).toBe(0o700);
    expect(readlinkSync(join(root, 'usr/local/bin/keyless-credentials'))).toBe(
      join(root, 'opt/keyless/bin/keyless-credentials'),
    );
    const installed = JSON.parse(readFileSync(join(root, 'etc/keyless/device.json'), 'utf8'));
    expect(deviceConfigContract.safeParse(installed).error?.issues ?? []).toEqual([]);
    expect(installed.x509).toMatchObject({
      thingName: 'sensor-001',
      certFile: join(root, 'opt/keyless/certs/certificate.pem.crt'),
      keyFile: join(root, 'opt/keyless/certs/private.pem.key'),
      caFile: join(root, 'opt/keyless/certs/AmazonRootCA1.pem'),
    });
    expect(installed.cacheDir).toBe(join(root, 'var/cache/keyless'));

    // The installed helper, by its default config location overridden the documented way.
    const helper = await runProcess('dash', [join(root, 'opt/keyless/bin/keyless-credentials')], {
      env: cleanEnv({ KEYLESS_CONFIG: join(root, 'etc/keyless/device.json') }),
    });
    expect(helper.code).toBe(0);
    expect(JSON.parse(helper.stdout)).toMatchObject({ Version: 1, AccessKeyId: 'S3RVER' });

    // The AWS CLI with the profile install.sh wrote (only the endpoint is pointed at s3rver).
    const outbox = join(root, 'outbox');
    mkdirSync(join(outbox, 'readings'), { recursive: true });
    writeFileSync(join(outbox, 'readings', 'temperature.csv'), 'time,celsius\n1,21.5\n');
    writeFileSync(join(outbox, 'status.json'), '{"ok":true}');
    const awsEnv = cleanEnv({
      HOME: root,
      AWS_CONFIG_FILE: join(root, 'etc/keyless/aws-config'),
      AWS_SHARED_CREDENTIALS_FILE: join(root, 'no-credentials-file'),
      AWS_PROFILE: 'keyless',
      AWS_PAGER: '',
      AWS_EC2_METADATA_DISABLED: 'true',
    });
    const prefix = `s3://${DEVICE_BUCKET}/things/sensor-001/`;
    const sync = await runProcess(
      aws,
      ['--endpoint-url', s3.url, 's3', 'sync', outbox, prefix, '--only-show-errors'],
      {
        env: awsEnv,
        timeoutMs: 90000,
      },
    );
    expect(sync.stderr).toBe('');
    expect(sync.code).toBe(0);
    const back = join(root, 'restored');
    const restore = await runProcess(
      aws,
      ['--endpoint-url', s3.url, 's3', 'sync', prefix, back, '--only-show-errors'],
      {
        env: awsEnv,
        timeoutMs: 90000,
      },
    );
    expect(restore.code).toBe(0);
    expect(readFileSync(join(back, 'readings', 'temperature.csv'), 'utf8')).toBe('time,celsius\n1,21.5\n');
    expect(readFileSync(join(back, 'status.json'), 'utf8')).toBe('{"ok":true}');
  });

  test('running install.sh again (under busybox ash this time) is safe: same files, credentials still fine, no leftovers', async () => {
    const { root, bundle } = unpack('sensor-001');
    expect((await install(root, bundle)).code).toBe(0);
    const before = readFileSync(join(root, 'etc/keyless/device.json'));

    const again = await install(root, bundle, [], ['busybox', 'sh']);

    expect(again.code).toBe(0);
    expect(again.stdout).toContain('OK: this device got short-lived AWS credentials');
    expect(readFileSync(join(root, 'etc/keyless/device.json')).equals(before)).toBe(true);
    const leftovers = execFileSync('find', [root, '-name', '*.tmp.*']).toString();
    expect(leftovers).toBe('');
  });

  test('a device-made CSR: install asks for the key, refuses a key of another certificate, then reports the mapped cause', async () => {
    const { root, bundle } = unpack('sensor-002');

    const noKey = await install(root, bundle);
    expect(noKey.code).toBe(1);
    expect(noKey.stderr).toBe(
      'keyless install: this bundle has no private key (the device made its own CSR): pass --key FILE with the key the CSR was made from\n',
    );

    const wrongKey = await install(root, bundle, ['--key', fixture.certificates['sensor-001'].keyFile]);
    expect(wrongKey.code).toBe(1);
    expect(wrongKey.stderr).toContain("does not belong to this bundle's certificate");

    // The right key installs, but the provider does not know this certificate: install says why, in one line.
    const refused = await install(root, bundle, ['--key', fixture.certificates['sensor-002'].keyFile]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(
      /^keyless install: installed, but no credentials yet: the request was refused: the certificate is not registered and active .* \(fix it and run install.sh again\)\n$/,
    );
    expect(refused.stdout).toContain(
      `keyless install: every step, one by one: ${join(root, 'opt/keyless/bin/keyless-credentials')} --config ${join(root, 'etc/keyless/device.json')} --check\n`,
    );
    expect(mode(join(root, 'opt/keyless/certs/private.pem.key'))).toBe(0o600);
    expect(readFileSync(join(root, 'opt/keyless/certs/private.pem.key'), 'utf8')).toBe(
      fixture.certificates['sensor-002'].keyPem,
    );
  });

  test('a Krypton bundle installs no certificate or key and writes the SIM configuration', async () => {
    const { root, bundle } = unpack('sim-001');

    const result = await install(root, bundle, ['--skip-check']);

    expect(result.code).toBe(0);
    expect(existsSync(join(root, 'opt/keyless/certs/certificate.pem.crt'))).toBe(false);
    expect(existsSync(join(root, 'opt/keyless/certs/private.pem.key'))).toBe(false);
    const installed = JSON.parse(readFileSync(join(root, 'etc/keyless/device.json'), 'utf8'));
    expect(deviceConfigContract.safeParse(installed).error?.issues ?? []).toEqual([]);
    expect(installed).toMatchObject({ source: 'krypton', cacheDir: join(root, 'var/cache/keyless') });
    expect(readFileSync(join(root, 'etc/keyless/aws-config'), 'utf8')).toContain(
      `credential_process = ${join(root, 'opt/keyless/bin/keyless-credentials')} --config ${join(root, 'etc/keyless/device.json')}`,
    );
  });

  test('a tampered bundle is refused before anything is installed', async () => {
    const { root, bundle } = unpack('sensor-001');
    writeFileSync(join(bundle, 'device.json'), '{"source":"x509"}');

    const result = await install(root, bundle);

    expect(result.code).toBe(1);
    expect(result.stderr).toContain('the bundle does not match its SHA256SUMS');
    expect(lstatSync(root).isDirectory()).toBe(true);
    expect(existsSync(join(root, 'opt'))).toBe(false);
  });

  test.each([
    ['dash', ['dash']],
    ['busybox ash', ['busybox', 'sh']],
  ])(
    'under %s, only what SHA256SUMS lists is installed: a planted examples/evil.py stops the install',
    async (_name, shell) => {
      const { root, bundle } = unpack('sensor-001');
      writeFileSync(join(bundle, 'examples', 'evil.py'), 'import os; os.system("id")\n', { mode: 0o755 });

      const result = await install(root, bundle, [], shell);

      expect(result.code).toBe(1);
      expect(result.stderr).toBe(
        `keyless install: ${bundle}/examples/evil.py is not listed in SHA256SUMS: it was added after the bundle was made; remove it or unpack the .tar.gz again\n`,
      );
      expect(existsSync(join(root, 'opt'))).toBe(false);
    },
  );

  test('links in the bundle are refused, even one whose target has the listed content', async () => {
    const { root, bundle } = unpack('sensor-001');
    const key = join(bundle, 'certs', 'private.pem.key');
    const elsewhere = join(root, 'key-elsewhere');
    writeFileSync(elsewhere, readFileSync(key));
    rmSync(key);
    symlinkSync(elsewhere, key);
    const listed = await install(root, bundle);
    expect(listed.code).toBe(1);
    expect(listed.stderr).toBe(
      'keyless install: SHA256SUMS lists certs/private.pem.key, which is missing or not a regular file: copy the .tar.gz again\n',
    );

    const other = unpack('sensor-001');
    symlinkSync('/etc/hostname', join(other.bundle, 'examples', 'link.py'));
    const extra = await install(other.root, other.bundle);
    expect(extra.code).toBe(1);
    expect(extra.stderr).toBe(
      `keyless install: ${other.bundle}/examples/link.py is not a regular file: a bundle holds only files; unpack the .tar.gz again\n`,
    );
    expect(existsSync(join(root, 'opt'))).toBe(false);
    expect(existsSync(join(other.root, 'opt'))).toBe(false);
  });

  test('a bundle without SHA256SUMS, or whose SHA256SUMS names a path outside it, is refused', async () => {
    const { root, bundle } = unpack('sensor-001');
    rmSync(join(bundle, 'SHA256SUMS'));
    const missing = await install(root, bundle);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe(
      `keyless install: no SHA256SUMS in ${bundle}: this is not an unpacked keyless bundle, or it lost a file; unpack the .tar.gz again\n`,
    );

    const other = unpack('sensor-001');
    const sums = join(other.bundle, 'SHA256SUMS');
    const hostname = createHash('sha256').update(readFileSync('/etc/hostname')).digest('hex');
    writeFileSync(sums, `${readFileSync(sums, 'utf8')}${hostname}  ../../../etc/hostname\n`);
    const outside = await install(other.root, other.bundle);
    expect(outside.code).toBe(1);
    expect(outside.stderr).toBe(
      `keyless install: SHA256SUMS line '${hostname}  ../../../etc/hostname' is not '<sha-256>  <relative path>': the bundle was changed; copy the .tar.gz again\n`,
    );
    expect(existsSync(join(root, 'opt'))).toBe(false);
    expect(existsSync(join(other.root, 'opt'))).toBe(false);
  });

  test.each([
    ['busybox', 'installs', ['busybox']],
    ['openssl', 'installs', ['openssl']],
    ['none of them', 'refuses', []],
  ])('without sha256sum, the digest comes from busybox or openssl: with %s it %s', async (_name, outcome, digestTools) => {
    const { root, bundle } = unpack('sim-001');
    const bin = join(root, 'bin-without-sha256sum');
    mkdirSync(bin);
    const tools = ['dirname', 'jq', 'curl', 'flock', 'find', 'grep', 'mkdir', 'chmod', 'cp', 'mv', 'rm', 'ln', 'sed', 'id', 'head', 'mktemp', 'cat'];
    for (const tool of [...tools, ...digestTools]) symlinkSync(requireTool(tool), join(bin, tool));

    const result = await runProcess(requireTool('dash'), [join(bundle, 'install.sh'), '--skip-check'], {
      env: cleanEnv({ KEYLESS_ROOT: root, PATH: bin }),
    });

    if (outcome === 'installs') {
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      expect(existsSync(join(root, 'etc/keyless/device.json'))).toBe(true);
    } else {
      expect(result.code).toBe(1);
      expect(result.stderr).toBe(
        'keyless install: cannot check the bundle against SHA256SUMS: none of sha256sum (coreutils), busybox or openssl is installed; install one (Debian: apt-get install coreutils) and run install.sh again\n',
      );
      expect(existsSync(join(root, 'opt'))).toBe(false);
    }
  }); // prettier-ignore

  test('the key and certificate are never readable by others, not even between the copy and the chmod', async () => {
    const { root, bundle } = unpack('sensor-001');
    const wrappers = join(root, 'wrappers');
    mkdirSync(wrappers);
    const log = join(root, 'cp.log');
    // cp as install.sh runs it, reporting the mode of each file it has just created.
    writeFileSync(
      join(wrappers, 'cp'),
      `#!/bin/sh\n${requireTool('cp')} "$@" || exit\nfor last in "$@"; do :; done\nprintf '%s %s\\n' "$(stat -c %a "$last")" "$last" >>'${log}'\n`,
      { mode: 0o755 },
    );

    const result = await install(root, bundle, ['--skip-check'], ['dash'], { PATH: `${wrappers}:${process.env.PATH}` });

    expect(result.code).toBe(0);
    const copies = readFileSync(log, 'utf8').trim().split('\n');
    const secret = copies.filter((line) => /\/certs\/(private\.pem\.key|certificate\.pem\.crt)\.tmp\.\d+$/.test(line));
    expect(secret).toHaveLength(2);
    // Created under umask 077: owner bits only (an executable is 700 until its chmod to 755).
    for (const line of copies) expect(line).toMatch(/^[67]00 /);
    expect(mode(join(root, 'opt/keyless/certs/private.pem.key'))).toBe(0o600);
    expect(mode(join(root, 'opt/keyless/bin/keyless-credentials'))).toBe(0o755);
  }); // prettier-ignore

  test('install.sh is shellcheck clean', async () => {
    const result = await runProcess(requireTool('shellcheck'), [
      '-s',
      'sh',
      join(fixture.deviceScriptsDir, 'install.sh'),
    ]);
    expect(result.stdout).toBe('');
    expect(result.code).toBe(0);
  });
});

/**
 * A real install as root (no KEYLESS_ROOT) needs /etc, /opt and /var of its own: it runs in a private mount
 * namespace where /etc is a copy and /opt, /var/cache and /usr/local/bin are empty tmpfs mounts, so creating the
 * service user and installing leave the test machine untouched. It needs root and CAP_SYS_ADMIN; without them
 * it fails saying so (CI runs as root), rather than skip.
 */
function requireSandbox(): void {
  if (process.getuid?.() !== 0) {
    throw new Error('install.sh as root needs a root test runner (CI runs the suite as root)');
  }
  try {
    execFileSync('unshare', ['-m', 'sh', '-c', 'mount -t tmpfs none /mnt'], { stdio: 'ignore' });
  } catch {
    throw new Error('install.sh as root needs CAP_SYS_ADMIN for a private mount namespace (unshare -m)');
  }
}

describe('install.sh as root (private mount namespace)', () => {
  beforeAll(requireSandbox);

  /** The namespace's set-up, then `body`, as one root shell script. */
  function sandbox(root: string, body: readonly string[]): Promise<ProcessResult> {
    const etcCopy = join(root, 'etc-copy');
    execFileSync('cp', ['-a', '/etc', etcCopy]);
    const script = [
      'set -eu',
      `mount --bind ${etcCopy} /etc`,
      'for d in /opt /var/cache /usr/local/bin; do mount -t tmpfs -o mode=0755 none "$d"; done',
      // Not the runner's PATH: it leads to pyenv's AWS CLI v1, and the service user cannot read /root anyway.
      'export PATH=/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
      'id keyless-test >/dev/null 2>&1 && { echo "user exists before install" >&2; exit 9; }',
      ...body,
    ].join('\n');
    return runProcess('unshare', ['-m', 'sh', '-c', script], { env: cleanEnv(), timeoutMs: 90000 });
  }

  test('creates the service user, gives it the key, certificate and cache, and fetches credentials as that user', async () => {
    const { root, bundle } = unpack('sensor-001');
    const log = join(root, 'runuser.log');
    const result = await sandbox(root, [
      // runuser as install.sh calls it for the check: where its stderr goes, and what the cache holds then.
      "cat >/usr/local/bin/runuser <<'EOF'",
      '#!/bin/sh',
      `{ printf 'stderr %s\\n' "$(readlink /proc/$$/fd/2)"; ls -ln /var/cache/keyless | awk 'NR > 1 { print "entry", $3, $9 }'; } >>${log}`,
      'exec /usr/sbin/runuser "$@"',
      'EOF',
      'chmod 0755 /usr/local/bin/runuser',
      `sh ${join(bundle, 'install.sh')} --user keyless-test`,
      // A second run finds the service user's cache in place.
      `sh ${join(bundle, 'install.sh')} --user keyless-test >/dev/null`,
      'echo ---',
      'stat -c "%U %a %n" /opt/keyless/certs/private.pem.key /opt/keyless/certs/certificate.pem.crt /var/cache/keyless /opt/keyless/bin/keyless-credentials',
      'ls -n /var/cache/keyless | awk \'NR > 1 { print $3 == "0" ? "root-owned" : "user-owned" }\' | sort -u',
      'getent passwd keyless-test | cut -d: -f7',
    ]);

    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const [install, facts] = result.stdout.split('---\n');
    expect(install).toContain('keyless install: created service user keyless-test');
    expect(install).not.toContain('not running as root');
    expect(install).toMatch(/OK: this device got short-lived AWS credentials/);
    expect(install).toContain(
      'keyless install: try: runuser -u keyless-test -- env AWS_CONFIG_FILE=/etc/keyless/aws-config aws --profile keyless sts get-caller-identity',
    );
    expect(facts.trim().split('\n')).toEqual([
      'keyless-test 600 /opt/keyless/certs/private.pem.key',
      'keyless-test 600 /opt/keyless/certs/certificate.pem.crt',
      'keyless-test 700 /var/cache/keyless',
      'root 755 /opt/keyless/bin/keyless-credentials',
      // The credential cache the check wrote belongs to the service user, who will refresh it later.
      'user-owned',
      '/usr/sbin/nologin',
    ]);
    // During both checks: stderr went to a file outside the cache, and root had created nothing in the cache.
    const seen = readFileSync(log, 'utf8').trim().split('\n');
    const stderrs = seen.filter((line) => line.startsWith('stderr '));
    expect(stderrs).toHaveLength(2);
    for (const line of stderrs) expect(line).toMatch(/^stderr \/tmp\/keyless-install\.\w+$/);
    expect(seen.filter((line) => line.startsWith('entry 0 '))).toEqual([]);
  });

  test('the bundle README’s self-update: root fetches with its own credentials (no process of the service user touches the file), installs, then credentials as before', async () => {
    const { root, bundle } = unpack('sensor-001');
    const log = join(root, 'service-user.log');
    // What the Data stack publishes (DeviceScriptsPrefix in the bundle fixture), with a visible change.
    const prefix = 'device-scripts/0123456789ab/';
    const published = join(root, 'published-helper');
    writeFileSync(
      published,
      `${readFileSync(join(bundle, 'bin', 'keyless-credentials'), 'utf8')}# published by the Data stack\n`,
    );
    const pointer = join(root, 'current.json');
    writeFileSync(pointer, JSON.stringify({ version: '0123456789ab', prefix }));
    await putObject(published, `${prefix}bin/keyless-credentials`);
    await putObject(pointer, 'device-scripts/current.json');
    const readme = readFileSync(join(bundle, 'README.md'), 'utf8');
    const update = /## Update the helper[\s\S]*?```sh\n([\s\S]*?)```/.exec(readme)![1];
    const updateScript = join(root, 'update.sh');
    writeFileSync(updateScript, update);

    const result = await sandbox(root, [
      // The README names the default service user.
      `sh ${join(bundle, 'install.sh')} >/dev/null`,
      // The README's `aws` is the AWS CLI v2; here it is pointed at the local S3.
      "cat >/usr/local/bin/aws <<'EOF'",
      '#!/bin/sh',
      `exec /usr/bin/aws --endpoint-url ${s3.url} "$@"`,
      'EOF',
      'chmod 0755 /usr/local/bin/aws',
      // Every way to run a process as the service user, logged: the update must use none of them (a process the
      // service user controls could hand root any file), and every process the update starts, by its uid.
      ...[
        ['runuser', '/usr/sbin/runuser'],
        ['su', '/usr/bin/su'],
        ['setpriv', '/usr/bin/setpriv'],
      ].flatMap(([tool, real]) => [
        `cat >/usr/local/bin/${tool} <<'EOF'`,
        '#!/bin/sh',
        `printf '${tool} %s\\n' "$*" >>${log}`,
        `exec ${real} "$@"`,
        'EOF',
        `chmod 0755 /usr/local/bin/${tool}`,
      ]),
      `ls -n /var/cache/keyless >${join(root, 'cache-before')}`,
      // From root's home, which the service user cannot read, as an operator would.
      'cd /root',
      `sh ${updateScript}`,
      `touch ${log}`,
      'echo ---',
      `cat ${log}`,
      'echo ---',
      `ls -n /var/cache/keyless | diff ${join(root, 'cache-before')} - && echo cache unchanged`,
      `cmp /opt/keyless/bin/keyless-credentials ${published} && echo installed as published`,
      'stat -c "%U %a" /opt/keyless/bin/keyless-credentials',
      'tail -n 1 /opt/keyless/bin/keyless-credentials',
      'ls -A /opt/keyless/bin',
      '/usr/sbin/runuser -u keyless -- /opt/keyless/bin/keyless-credentials --config /etc/keyless/device.json --force-refresh | jq -r .Version',
      'ls -n /var/cache/keyless | awk \'NR > 1 { print $3 == "0" ? "root-owned" : "user-owned" }\' | sort -u',
    ]);

    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const [, asService, after] = result.stdout.split('---\n');
    expect(asService).toBe('');
    expect(after.trim().split('\n')).toEqual([
      'cache unchanged',
      'installed as published',
      'root 755',
      '# published by the Data stack',
      'keyless-credentials',
      '1',
      'user-owned',
    ]);
  });
});

/** Puts `file` at `key` in the device bucket on the local S3, with the admin (S3RVER) key. */
async function putObject(file: string, key: string): Promise<void> {
  const result = await runProcess(
    aws,
    ['--endpoint-url', s3.url, 's3', 'cp', file, `s3://${DEVICE_BUCKET}/${key}`, '--only-show-errors'],
    {
      env: cleanEnv({
        AWS_ACCESS_KEY_ID: 'S3RVER',
        AWS_SECRET_ACCESS_KEY: 'S3RVER',
        AWS_DEFAULT_REGION: 'ap-northeast-1',
        AWS_CONFIG_FILE: '/nonexistent/aws-config',
      }),
      timeoutMs: 60000,
    },
  );
  if (result.code !== 0) throw new Error(`aws s3 cp ${key}: ${result.stderr}`);
}
