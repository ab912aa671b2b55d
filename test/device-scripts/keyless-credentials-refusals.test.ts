import { readdirSync, readFileSync, rmSync, symlinkSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { ProcessResult } from '../support/run-process';
import { ClockedRunner, machineBootId } from './device-clock';
import { helperEnv, parseOutput, runHelper, THING } from './device-fixture';
import { startedDeviceFixture } from './shells';

/**
 * Remembered refusals (docs/device-helper.md#refusals): a refusal that needs a person is answered from
 * memory for a while — 60 s less up to a quarter, doubling while it goes on, at most 30 min — with the same
 * exit code and cause and without a request; --force-refresh, a success or a changed config end it.
 */
const fixture = startedDeviceFixture(['dash', 'busybox', 'jq', 'curl', 'flock']);
const NOT_ATTACHED = `thing '${THING}' is not attached to this certificate (credentials provider: 403 Invalid thing name passed)`;

function attach(attached: boolean): void {
  fixture.credentialsProvider.registerCertificate(fixture.device.fingerprint256, {
    things: attached ? [THING] : [],
  });
}

afterEach(() => {
  attach(true);
  fixture.krypton.simAuthorized = true;
  fixture.credentialsProvider.faults.clear();
});

function refusedWith(result: ProcessResult, cause: string): string {
  expect(result.stdout).toBe('');
  expect(result.code).toBe(4);
  const line = fixture.oneStderrLineWithoutSecrets(result);
  expect(line.startsWith(`keyless-credentials: ${cause}`)).toBe(true);
  return line;
}

describe.each([
  ['dash', ['dash']],
  ['busybox ash', ['busybox', 'sh']],
])('under %s', (_name, shell) => {
  test('a device refused with 403: 10 calls within a minute make at most 2 requests, each answered with exit 4 and the cause', async () => {
    attach(false);
    const config = fixture.writeConfig('x509');
    const before = fixture.credentialsProvider.requests;
    const started = Date.now();

    const results: ProcessResult[] = [];
    for (let i = 0; i < 10; i += 1) results.push(await runHelper(config, { shell }));

    expect(Date.now() - started).toBeLessThan(60000);
    expect(fixture.credentialsProvider.requests - before).toBeLessThanOrEqual(2);
    expect(refusedWith(results[0], NOT_ATTACHED)).toBe(`keyless-credentials: ${NOT_ATTACHED}`);
    for (const result of results.slice(1)) {
      expect(refusedWith(result, NOT_ATTACHED)).toMatch(
        /\(remembered: asks again in \d+s, or now with --force-refresh\)$/,
      );
    }
  });

  test('--force-refresh asks again, and a success ends the memory', async () => {
    attach(false);
    const config = fixture.writeConfig('x509');
    refusedWith(await runHelper(config, { shell }), NOT_ATTACHED);
    const before = fixture.credentialsProvider.requests;

    refusedWith(await runHelper(config, { shell, args: ['--force-refresh'] }), NOT_ATTACHED);
    expect(fixture.credentialsProvider.requests - before).toBe(1);

    attach(true);
    expect(parseOutput(await runHelper(config, { shell, args: ['--force-refresh'] })).Version).toBe(1);
    expect(readdirSync(fixture.cacheDirOf(config)).filter((name) => name.endsWith('.refused'))).toEqual([]);
  });
});

test('a changed config asks again at once', async () => {
  attach(false);
  const config = fixture.writeConfig('x509');
  refusedWith(await runHelper(config), NOT_ATTACHED);
  refusedWith(await runHelper(config), NOT_ATTACHED);
  const before = fixture.credentialsProvider.requests;

  const later = new Date(Date.now() + 5000);
  utimesSync(config, later, later);
  const asked = await runHelper(config);

  expect(fixture.credentialsProvider.requests - before).toBe(1);
  expect(refusedWith(asked, NOT_ATTACHED)).toBe(`keyless-credentials: ${NOT_ATTACHED}`);
});

test('Krypton refusing the SIM is remembered the same way', async () => {
  fixture.krypton.simAuthorized = false;
  const config = fixture.writeConfig('krypton-credentials');
  const before = fixture.krypton.requests;

  const first = await runHelper(config);
  const second = await runHelper(config);

  expect(fixture.krypton.requests - before).toBe(1);
  const cause = 'SORACOM Krypton refused the request: HTTP 403';
  refusedWith(first, cause);
  expect(refusedWith(second, cause)).toContain('(remembered: asks again in');
});

test('an unavailable endpoint (5xx, exit 5) is not remembered: the next call asks again', async () => {
  const config = fixture.writeConfig('x509');
  fixture.credentialsProvider.faults.set({ kind: 'status', status: 503 });
  const quick = helperEnv({ KEYLESS_MAX_ATTEMPTS: '1' });
  expect((await runHelper(config, { env: quick })).code).toBe(5);
  const before = fixture.credentialsProvider.requests;

  expect((await runHelper(config, { env: quick })).code).toBe(5);

  expect(fixture.credentialsProvider.requests - before).toBe(1);
});

test('a remembered refusal that is a symbolic link is refused like a planted cache (exit 7), never followed', async () => {
  attach(false);
  const config = fixture.writeConfig('x509');
  refusedWith(await runHelper(config), NOT_ATTACHED);
  const dir = fixture.cacheDirOf(config);
  const memory = readdirSync(dir).find((name) => name.endsWith('.refused'))!;
  const text = readFileSync(join(dir, memory), 'utf8');
  expect(text).toContain(NOT_ATTACHED);
  rmSync(join(dir, memory));
  symlinkSync('/etc/hostname', join(dir, memory));

  const result = await runHelper(config);

  expect(result.code).toBe(7);
  expect(fixture.oneStderrLineWithoutSecrets(result)).toBe(
    `keyless-credentials: remembered refusal ${join(dir, memory)} is a symbolic link; the helper never follows links in its cache directory: remove it (rm ${join(dir, memory)})`,
  );
});

describe('the window grows while the refusals go on, and starts over after a success', () => {
  let clock: ClockedRunner;
  beforeAll(() => {
    clock = new ClockedRunner();
  });
  afterAll(() => clock.dispose());

  test('60 s (less up to 25 %), then 120 s, then 240 s; after a success, 60 s again', async () => {
    const boot = machineBootId();
    attach(false);
    const config = fixture.writeConfig('x509');
    let requests = fixture.credentialsProvider.requests;
    const asked = () => {
      const n = fixture.credentialsProvider.requests - requests;
      requests = fixture.credentialsProvider.requests;
      return n;
    };
    const at = async (uptime: number, args: readonly string[] = []) => {
      const result = await clock.run(config, { uptime, bootId: boot }, { args });
      return { result, requests: asked() };
    };

    // Each call: how many requests it made, and its exit code (4 whether asked or remembered).
    const refused = async (uptime: number, expectedRequests: number) => {
      const { result, requests: made } = await at(uptime);
      expect({ uptime, made, code: result.code }).toEqual({ uptime, made: expectedRequests, code: 4 });
      return refusedWith(result, NOT_ATTACHED);
    };

    // First refusal at t=1000: remembered for 45-60 s.
    expect(await refused(1000, 1)).toBe(`keyless-credentials: ${NOT_ATTACHED}`);
    await refused(1044, 0);
    expect(await refused(1061, 1)).toBe(`keyless-credentials: ${NOT_ATTACHED}`);
    // Second: 90-120 s.
    await refused(1061 + 89, 0);
    await refused(1061 + 121, 1);
    // Third: 180-240 s.
    const t3 = 1061 + 121;
    const left = Number(/asks again in (\d+)s/.exec(await refused(t3 + 179, 0))![1]);
    expect(left).toBeGreaterThanOrEqual(1);
    expect(left).toBeLessThanOrEqual(61);
    await refused(t3 + 241, 1);

    // Fixed by a person: the first request after the window (the fourth: 360-480 s) succeeds and the memory
    // is gone.
    attach(true);
    const t4 = t3 + 241;
    const success = await at(t4 + 481);
    expect(success.requests).toBe(1);
    expect(parseOutput(success.result).Version).toBe(1);
    expect(readdirSync(fixture.cacheDirOf(config)).filter((name) => name.endsWith('.refused'))).toEqual([]);

    // Refused again once those credentials (3600 s) have run out: the window starts over at 45-60 s.
    attach(false);
    const t5 = t4 + 481 + 3600;
    await refused(t5, 1);
    await refused(t5 + 44, 0);
    await refused(t5 + 61, 1);
  });

  test('after a reboot (another boot id) the device asks again', async () => {
    attach(false);
    const config = fixture.writeConfig('x509');
    const before = fixture.credentialsProvider.requests;
    await clock.run(config, { uptime: 500, bootId: machineBootId() });
    await clock.run(config, { uptime: 510, bootId: machineBootId() });
    expect(fixture.credentialsProvider.requests - before).toBe(1);

    await clock.run(config, { uptime: 20, bootId: '00000000-0000-4000-8000-000000000000' });

    expect(fixture.credentialsProvider.requests - before).toBe(2);
  });
});
