import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ProcessResult, runProcess } from '../support/run-process';
import { ClockedRunner, machineBootId } from './device-clock';
import { HELPER, helperEnv, parseOutput } from './device-fixture';
import { startedDeviceFixture } from './shells';

/**
 * The device clock (docs/device-helper.md#clock): devices without a real-time clock boot with a wrong time and
 * NTP sets it later. Failure messages say by how much the device clock is off the endpoint's (its Date
 * header); a cache is judged on the endpoint's clock — its Date at the fetch plus the time since boot — so a
 * clock that jumps never keeps credentials the endpoint considers expired.
 */
const fixture = startedDeviceFixture(['dash', 'busybox', 'jq', 'curl', 'flock', 'faketime']);
let clock: ClockedRunner;
let boot: string;

beforeAll(async () => {
  clock = new ClockedRunner();
  boot = machineBootId();
});

afterAll(async () => {
  clock.dispose();
});

beforeEach(() => {
  for (const emulator of [fixture.credentialsProvider, fixture.krypton, fixture.cognito]) {
    emulator.issuer.lifetimeSeconds = 3600;
    emulator.dateOffsetSeconds = 0;
  }
});

function withFaketime(offset: string, config: string, shell: readonly string[]): Promise<ProcessResult> {
  return runProcess('faketime', ['-f', offset, ...shell, HELPER, '--config', config], { env: helperEnv() });
}

/** Line 1 of the cache: format, expiry, length, endpoint time and device time at the fetch, boot id, uptime. */
function cacheLine(config: string): string[] {
  const dir = fixture.cacheDirOf(config);
  const name = readdirSync(dir).find((n) => n.endsWith('.json'))!;
  return readFileSync(join(dir, name), 'utf8').split('\n')[0].split(' ');
}

describe.each([
  ['dash', ['dash']],
  ['busybox ash', ['busybox', 'sh']],
])('under %s, a failure caused by the device clock says by how much it is off', (_name, shell) => {
  test('2 hours ahead: 1-hour credentials look expired (exit 6), and the message names the skew', async () => {
    const config = fixture.writeConfig('x509');

    const result = await withFaketime('+2h', config, shell);

    expect(result.code).toBe(6);
    expect(result.stdout).toBe('');
    expect(fixture.oneStderrLineWithoutSecrets(result)).toMatch(
      /^keyless-credentials: the AWS IoT credentials provider returned credentials that expire at .* while the device clock says .*: refusing to use them \(the device clock is 2h 0m \d+s ahead of the AWS IoT credentials provider's \(its Date header\): set the device time \(NTP\)\)$/,
    );
  });

  test('2 hours behind: 12-hour credentials look too long-lived (exit 6), and the message names the skew', async () => {
    fixture.krypton.issuer.lifetimeSeconds = 43200;
    const config = fixture.writeConfig('krypton-credentials');

    const result = await withFaketime('-2h', config, shell);

    expect(result.code).toBe(6);
    expect(fixture.oneStderrLineWithoutSecrets(result)).toMatch(
      /refusing to use or cache them \(the device clock is (1h 59m|2h 0m) \d+s behind SORACOM Krypton's \(its Date header\): set the device time \(NTP\)\)$/,
    );
  });
});

test('a clock within the tolerance is not mentioned', async () => {
  fixture.credentialsProvider.issuer.lifetimeSeconds = 3600;
  fixture.credentialsProvider.faults.set({ kind: 'expired' }, { times: 1 });
  const config = fixture.writeConfig('x509');
  const result = await runProcess('dash', [HELPER, '--config', config], { env: helperEnv() });
  expect(result.code).toBe(6);
  expect(fixture.oneStderrLineWithoutSecrets(result)).toMatch(/\(check the device clock\)$/);
});

describe('the cache is judged on the endpoint clock', () => {
  test('the cache records the endpoint Date and the time since boot at the fetch', async () => {
    fixture.credentialsProvider.dateOffsetSeconds = 120;
    const config = fixture.writeConfig('x509');
    const before = Math.floor(Date.now() / 1000);

    parseOutput(await clock.run(config, { uptime: 7000, bootId: boot }));

    const [format, expiry, , endpointTime, deviceTime, bootId, uptime] = cacheLine(config);
    expect(format).toBe('2');
    expect(Number(endpointTime) - before).toBeGreaterThanOrEqual(119);
    expect(Number(endpointTime) - before).toBeLessThanOrEqual(125);
    expect(Number(deviceTime) - before).toBeLessThanOrEqual(5);
    expect(Number(expiry) - before).toBeGreaterThan(3590);
    expect([bootId, uptime]).toEqual([boot, '7000']);
  });

  test('a Date that would make the credentials outlive what AWS issues is not believed', async () => {
    fixture.credentialsProvider.dateOffsetSeconds = -20 * 365 * 86400;
    const config = fixture.writeConfig('x509');
    const before = Math.floor(Date.now() / 1000);

    parseOutput(await clock.run(config, { uptime: 7000, bootId: boot }));

    const endpointTime = Number(cacheLine(config)[3]);
    expect(endpointTime - before).toBeGreaterThanOrEqual(0);
    expect(endpointTime - before).toBeLessThanOrEqual(5);
  });

  test('the device clock jumping back or ahead changes nothing; the endpoint clock running out does', async () => {
    const config = fixture.writeConfig('x509');
    const first = parseOutput(await clock.run(config, { uptime: 5000, bootId: boot }));
    const before = fixture.credentialsProvider.requests;

    // NTP moves the device clock 3 h back, or 5 h ahead: 100 s have passed on the endpoint's clock.
    for (const faketime of ['-3h', '+5h']) {
      expect(parseOutput(await clock.run(config, { uptime: 5100, bootId: boot, faketime }))).toEqual(first);
    }
    // Inside the refresh margin by the endpoint's clock (3600 - 2500 = 1100 s left), although the device
    // clock, set 3 h back, thinks there are hours left: fetched again.
    expect(fixture.credentialsProvider.requests).toBe(before);
    const refreshed = parseOutput(await clock.run(config, { uptime: 7500, bootId: boot, faketime: '-3h' }));
    expect(fixture.credentialsProvider.requests - before).toBe(1);
    expect(refreshed.SessionToken).not.toBe(first.SessionToken);
  });

  test('after a reboot (another boot id) the cache is fetched anew, whatever the device clock says', async () => {
    const config = fixture.writeConfig('x509');
    parseOutput(await clock.run(config, { uptime: 5000, bootId: boot }));
    const before = fixture.credentialsProvider.requests;

    parseOutput(
      await clock.run(config, {
        uptime: 30,
        bootId: '11111111-2222-4333-8444-555555555555',
        faketime: '-1h',
      }),
    );

    expect(fixture.credentialsProvider.requests - before).toBe(1);
  });

  test('without /proc: the device clock, trusted only while it has not gone back since the fetch', async () => {
    const config = fixture.writeConfig('x509');
    parseOutput(await clock.run(config, { uptime: 'none' }));
    expect(cacheLine(config).slice(5)).toEqual(['-', '-']);
    const before = fixture.credentialsProvider.requests;

    parseOutput(await clock.run(config, { uptime: 'none' }));
    expect(fixture.credentialsProvider.requests - before).toBe(0);

    // The clock went back 2 h: how much time has passed cannot be told, so the cache is not trusted.
    parseOutput(await clock.run(config, { uptime: 'none', faketime: '-2h' }));
    expect(fixture.credentialsProvider.requests - before).toBe(1);
  });
});
