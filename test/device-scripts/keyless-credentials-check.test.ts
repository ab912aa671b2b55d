import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ProcessResult, runProcess } from '../support/run-process';
import { TestPki } from '../support/test-pki';
import { requireTool } from '../support/test-tools';
import { DeviceFixture, HELPER, helperEnv, parseOutput, runHelper, THING } from './device-fixture';
import { startedDeviceFixture } from './shells';

/**
 * `keyless-credentials --check` (docs/device-helper.md#check): every step a fetch depends on, with a line a
 * technician can read aloud; exit 0 only when every step passes (skips allowed), otherwise the first failing
 * step's code. Whatever happens, no output carries a key id, secret or token.
 */
const fixture = startedDeviceFixture(['dash', 'busybox', 'jq', 'curl', 'flock', 'openssl', 'faketime']);
const STEPS = [
  'tools', 'config', 'files', 'key', 'certificate', 'dns', 'tcp', 'tls', 'clock', 'credentials', 'cache', 'profile',
]; // prettier-ignore
let otherPki: TestPki;

beforeAll(async () => {
  otherPki = new TestPki('keyless-other');
});

afterAll(async () => {
  otherPki.dispose();
});

afterEach(() => {
  fixture.credentialsProvider.registerCertificate(fixture.device.fingerprint256, { things: [THING] });
});

interface CheckStep {
  step: number;
  name: string;
  status: 'pass' | 'fail' | 'skip';
  exitCode: number;
  detail: string;
}
interface CheckReport {
  tool: string;
  version: string;
  config: string;
  ok: boolean;
  exitCode: number;
  failedStep: string | null;
  steps: CheckStep[];
}

/** A device.json with the AWS CLI profile install.sh writes next to it. */
function deviceConfig(source: Parameters<DeviceFixture['writeConfig']>[0], overrides: object = {}): string {
  const config = fixture.writeConfig(source, overrides);
  writeFileSync(
    join(config, '..', 'aws-config'),
    `[profile keyless]\nregion = ap-northeast-1\ncredential_process = ${HELPER} --config ${config}\n`,
  );
  return config;
}

function withoutSecrets(result: ProcessResult): ProcessResult {
  for (const secret of fixture.secrets()) {
    expect(result.stdout).not.toContain(secret);
    expect(result.stderr).not.toContain(secret);
  }
  expect(result.stdout).toMatch(/^[\x20-\x7e\n]*$/);
  return result;
}

async function check(
  config: string,
  options: { shell?: readonly string[]; env?: NodeJS.ProcessEnv; faketime?: string } = {},
): Promise<{ text: ProcessResult; report: CheckReport; json: ProcessResult }> {
  const shell = options.shell ?? ['dash'];
  const run = (args: string[]) => {
    const command = [...shell, HELPER, '--config', config, ...args];
    const [program, ...rest] = options.faketime ? ['faketime', '-f', options.faketime, ...command] : command;
    return runProcess(program, rest, { env: options.env ?? helperEnv() });
  };
  const text = withoutSecrets(await run(['--check']));
  const json = withoutSecrets(await run(['--check', '--json']));
  expect(text.stderr).toBe('');
  expect(json.stderr).toBe('');
  const report = JSON.parse(json.stdout) as CheckReport;
  expect(json.code).toBe(report.exitCode);
  expect(text.code).toBe(report.exitCode);
  return { text, report, json };
}

/** The text report's line for a step: "NN. name  status  detail". */
function line(text: ProcessResult, name: string): string {
  const found = text.stdout.split('\n').find((l) => new RegExp(`^ ?\\d+\\. ${name} `).test(l));
  expect(found).toBeDefined();
  return found!;
}

describe.each([
  ['dash', ['dash']],
  ['busybox ash', ['busybox', 'sh']],
])('under %s', (_name, shell) => {
  test('a healthy X.509 device: exit 0, every step listed and passed, in order', async () => {
    const config = deviceConfig('x509');

    const { text, report } = await check(config, { shell });

    expect(report.exitCode).toBe(0);
    expect(report.ok).toBe(true);
    expect(report.failedStep).toBeNull();
    expect(report.steps.map((s) => [s.name, s.status])).toEqual(STEPS.map((name) => [name, 'pass']));
    const lines = text.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe(
      `keyless-credentials 0.1.0 --check of ${config}, as root, device clock ${lines[0].slice(-20)}`,
    );
    expect(lines.slice(1, 13).map((l) => l.slice(0, 22).trimEnd())).toEqual(
      STEPS.map((name, i) => `${String(i + 1).padStart(2)}. ${name.padEnd(12)} pass`),
    );
    expect(lines[13]).toBe('RESULT: OK - every step passed or was skipped for the reason given (exit 0)');
    expect(line(text, 'key')).toContain('the private key matches the certificate');
    expect(line(text, 'credentials')).toMatch(/the endpoint issued credentials expiring \d{4}-/);
  });

  test('the device clock 2 hours ahead of the endpoint: exit 6, naming the clock and by how much', async () => {
    const config = deviceConfig('x509');

    const { text, report } = await check(config, { shell, faketime: '+2h' });

    expect(report.exitCode).toBe(6);
    expect(report.failedStep).toBe('clock');
    const clock = report.steps.find((s) => s.name === 'clock')!;
    expect(clock.status).toBe('fail');
    expect(clock.detail).toMatch(/^the device clock is 2h 0m \d+s ahead of the endpoint's/);
    expect(text.stdout).toMatch(
      /\nRESULT: FAILED at step 9 \(clock\): the device clock is 2h 0m \d+s ahead of/,
    );
  });
});

test('an endpoint certificate the configured CA does not trust: exit 4 at the TLS step, naming the CA file', async () => {
  const config = deviceConfig('x509', { x509: { caFile: otherPki.ca.certFile } });

  const { text, report } = await check(config);

  expect(report.exitCode).toBe(4);
  expect(report.failedStep).toBe('tls');
  const tls = line(text, 'tls');
  expect(tls).toContain('FAIL  TLS with 127.0.0.1 failed: curl: (60) SSL certificate problem: ');
  expect(tls).toContain(
    `(the endpoint's certificate does not chain to ${otherPki.ca.certFile}, or does not name 127.0.0.1)`,
  );
  expect(line(text, 'tcp')).toContain('pass');
});

test('nothing listening at the endpoint: exit 5 at the TCP step, naming the endpoint', async () => {
  const config = deviceConfig('x509', { x509: { endpoint: 'https://127.0.0.1:1' } });

  const { text, report } = await check(config);

  expect(report.exitCode).toBe(5);
  expect(report.failedStep).toBe('tcp');
  expect(line(text, 'tcp')).toContain('FAIL  nothing accepts connections at 127.0.0.1 port 1 (');
  expect(line(text, 'tls')).toContain('skip  needs a connection');
});

test('a thing not attached to the certificate: exit 4 at the credentials step, naming the attachment', async () => {
  fixture.credentialsProvider.registerCertificate(fixture.device.fingerprint256, { things: [] });
  const config = deviceConfig('x509');

  const { text, report } = await check(config);

  expect(report.exitCode).toBe(4);
  expect(report.failedStep).toBe('credentials');
  expect(line(text, 'credentials')).toContain(
    "FAIL  thing 'sensor-0001' is not attached to this certificate (credentials provider: 403 Invalid thing name passed)",
  );
  expect(line(text, 'tls')).toContain('pass');
});

test('a key that does not belong to the certificate: exit 3 at the key step', async () => {
  const stranger = otherPki.issueClient('stranger');
  const config = deviceConfig('x509', { x509: { keyFile: stranger.keyFile } });

  const { text, report } = await check(config);

  expect(report.failedStep).toBe('key');
  expect(report.exitCode).toBe(3);
  expect(line(text, 'key')).toContain(
    `the private key ${stranger.keyFile} does not belong to the certificate`,
  );
});

test('a SIM (Krypton, two hops): key and certificate are skipped, and the check passes', async () => {
  const config = deviceConfig('krypton-open-id-token');

  const { report } = await check(config);

  expect(report.exitCode).toBe(0);
  expect(report.steps.filter((s) => s.status === 'skip').map((s) => s.name)).toEqual(['key', 'certificate']);
});

test('without openssl, key and certificate say "skipped: openssl not installed" and do not fail the check', async () => {
  const config = deviceConfig('x509');
  const bin = join(fixture.dir, 'bin-without-openssl');
  mkdirSync(bin);
  for (const tool of [
    'jq', 'curl', 'flock', 'tr', 'id', 'ls', 'od', 'date', 'mkdir', 'mktemp', 'rm', 'mv', 'head', 'cut', 'wc',
    'grep', 'sleep', 'sed', 'cp', 'stat', 'cksum',
  ]) symlinkSync(requireTool(tool), join(bin, tool)); // prettier-ignore

  const { report } = await check(config, { shell: [requireTool('dash')], env: helperEnv({ PATH: bin }) });

  expect(report.exitCode).toBe(0);
  for (const name of ['key', 'certificate']) {
    expect(report.steps.find((s) => s.name === name)).toMatchObject({
      status: 'skip',
      detail: 'skipped: openssl not installed',
    });
  }
});

test('it writes nothing: no cache directory appears, and an existing cache and settings stay as they were', async () => {
  const fresh = deviceConfig('x509');
  expect((await check(fresh)).report.exitCode).toBe(0);
  expect(existsSync(fixture.cacheDirOf(fresh))).toBe(false);

  const used = deviceConfig('x509');
  parseOutput(await runHelper(used));
  const dir = fixture.cacheDirOf(used);
  const snapshot = () => readdirSync(dir).map((name) => [name, readFileSync(join(dir, name), 'utf8')]);
  const before = snapshot();
  const { text } = await check(used);
  expect(snapshot()).toEqual(before);
  expect(line(text, 'cache')).toMatch(/pass {2}credentials cached 0 min ago, valid for \d+ more min/);
});

test('a remembered refusal: the check still asks, and the cache step says the device answers from memory', async () => {
  fixture.credentialsProvider.registerCertificate(fixture.device.fingerprint256, { things: [] });
  const config = deviceConfig('x509');
  expect((await runHelper(config)).code).toBe(4);
  fixture.credentialsProvider.registerCertificate(fixture.device.fingerprint256, { things: [THING] });
  const before = fixture.credentialsProvider.requests;

  const { text, report } = await check(config);

  expect(fixture.credentialsProvider.requests - before).toBe(2);
  expect(line(text, 'credentials')).toContain('pass');
  expect(report.failedStep).toBe('cache');
  expect(report.exitCode).toBe(4);
  expect(line(text, 'cache')).toMatch(
    /FAIL {2}a refusal is remembered and answered without asking for another \d+s: thing 'sensor-0001' is not attached .* \(ask again now: keyless-credentials --force-refresh, as the user that owns /,
  );
});

test('an AWS CLI profile that runs the helper with another config fails the profile step', async () => {
  const config = deviceConfig('x509');
  writeFileSync(
    join(config, '..', 'aws-config'),
    `[profile keyless]\nregion = ap-northeast-1\ncredential_process = ${HELPER} --config /etc/keyless/other.json\n`,
  );

  const { report } = await check(config);

  expect(report.failedStep).toBe('profile');
  expect(report.exitCode).toBe(3);
});

describe.each([
  ['dash', ['dash']],
  ['busybox ash', ['busybox', 'sh']],
])('under %s, the profile step compares files, not spellings', (_name, shell) => {
  const inDir = (dir: string, args: readonly string[]) =>
    runProcess(shell[0], [...shell.slice(1), HELPER, ...args], { env: helperEnv(), cwd: dir });

  test('a relative --config (cd /etc/keyless && keyless-credentials --config device.json --check) passes', async () => {
    const config = deviceConfig('x509');
    const dir = join(config, '..');

    const text = withoutSecrets(await inDir(dir, ['--config', 'device.json', '--check']));
    const json = withoutSecrets(await inDir(dir, ['--config=./device.json', '--check', '--json']));

    expect(text.stderr).toBe('');
    expect(text.code).toBe(0);
    expect(line(text, 'profile')).toContain('pass');
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: true, exitCode: 0, failedStep: null });
  });

  test('a relative --config whose profile names another file still fails the profile step', async () => {
    const config = deviceConfig('x509');
    const dir = join(config, '..');
    const other = deviceConfig('x509');
    writeFileSync(
      join(dir, 'aws-config'),
      `[profile keyless]\nregion = ap-northeast-1\ncredential_process = ${HELPER} --config ${other}\n`,
    );

    const json = withoutSecrets(await inDir(dir, ['--config', 'device.json', '--check', '--json']));

    const report = JSON.parse(json.stdout) as CheckReport;
    expect(report.failedStep).toBe('profile');
    expect(report.exitCode).toBe(3);
    expect(report.steps.find((s) => s.name === 'profile')!.detail).toContain(
      `another config than device.json: ${HELPER} --config ${other}`,
    );
  });
});

test('an invalid config: exit 3 at the config step, and the steps that need it are skipped', async () => {
  const config = deviceConfig('x509', { region: 'tokyo' });

  const { report } = await check(config);

  expect(report.exitCode).toBe(3);
  expect(report.failedStep).toBe('config');
  expect(report.steps.find((s) => s.name === 'config')!.detail).toBe(
    `${config}: region must be an AWS region such as ap-northeast-1, got "tokyo"`,
  );
  expect(report.steps.filter((s) => s.status === 'skip').map((s) => s.name)).toEqual([
    'files', 'key', 'certificate', 'dns', 'tcp', 'tls', 'clock', 'credentials', 'cache',
  ]); // prettier-ignore
});

test('--json stays one valid JSON object for a config path with quotes, backslashes, a tab and non-ASCII', async () => {
  const dir = join(fixture.dir, 'we"ird\\dir\t-\u00e9');
  mkdirSync(dir);
  const config = join(dir, 'device.json');
  writeFileSync(config, readFileSync(deviceConfig('x509')));

  const result = await runProcess('dash', [HELPER, '--config', config, '--check', '--json'], {
    env: helperEnv(),
  });

  const report = JSON.parse(result.stdout) as CheckReport;
  expect(report.config).toBe(config.replace('\t', '?').replace('\u00e9', '??'));
  expect(report.steps.find((s) => s.name === 'config')!.status).toBe('pass');
});

test('usage: --json needs --check, and --check takes no --force-refresh (exit 2)', async () => {
  const config = deviceConfig('x509');
  for (const args of [['--json'], ['--check', '--force-refresh']]) {
    const result = await runHelper(config, { args });
    expect(result.code).toBe(2);
    expect(fixture.oneStderrLineWithoutSecrets(result)).toMatch(/^keyless-credentials: --/);
  }
});
