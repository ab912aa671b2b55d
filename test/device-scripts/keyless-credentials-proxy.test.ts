import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConnectProxy } from '../emulators/connect-proxy';
import { runProcess } from '../support/run-process';
import { HELPER, helperEnv, parseOutput, runHelper } from './device-fixture';
import { startedDeviceFixture } from './shells';

/**
 * Proxies (docs/device-helper.md#proxy): HTTPS_PROXY and NO_PROXY from the environment (curl reads them), or
 * the `proxy` field of device.json for services that start without a login environment. The environment wins;
 * NO_PROXY applies to both. TLS stays end to end through the CONNECT tunnel, mutual TLS included.
 */
const fixture = startedDeviceFixture(['dash', 'busybox', 'jq', 'curl', 'flock']);
const proxy = new ConnectProxy();
const other = new ConnectProxy();
let proxyUrl: string;
let otherUrl: string;

beforeAll(async () => {
  proxyUrl = await proxy.start();
  otherUrl = await other.start();
});

afterAll(async () => {
  await proxy.stop();
  await other.stop();
});

/** Tunnels each proxy opened during `action`. */
async function tunnels(action: () => Promise<void>): Promise<{ proxy: string[]; other: string[] }> {
  const before = { proxy: proxy.connects.length, other: other.connects.length };
  await action();
  return { proxy: proxy.connects.slice(before.proxy), other: other.connects.slice(before.other) };
}

const endpointHostPort = () => new URL(fixture.endpoints!.credentialsProvider.url).host;

describe.each([
  ['dash', ['dash']],
  ['busybox ash', ['busybox', 'sh']],
])('under %s', (_name, shell) => {
  test('HTTPS_PROXY: the request goes through one CONNECT tunnel to the endpoint (mutual TLS inside it)', async () => {
    const config = fixture.writeConfig('x509');
    const opened = await tunnels(async () => {
      parseOutput(await runHelper(config, { shell, env: helperEnv({ HTTPS_PROXY: proxyUrl }) }));
    });
    expect(opened).toEqual({ proxy: [endpointHostPort()], other: [] });
  });

  test('the proxy field of device.json, with no proxy in the environment', async () => {
    const config = fixture.writeConfig('x509', { proxy: proxyUrl });
    const opened = await tunnels(async () => {
      parseOutput(await runHelper(config, { shell }));
    });
    expect(opened).toEqual({ proxy: [endpointHostPort()], other: [] });
  });
});

test('the environment wins over the field', async () => {
  const config = fixture.writeConfig('x509', { proxy: otherUrl });
  const opened = await tunnels(async () => {
    parseOutput(await runHelper(config, { env: helperEnv({ https_proxy: proxyUrl }) }));
  });
  expect(opened).toEqual({ proxy: [endpointHostPort()], other: [] });
});

test('NO_PROXY applies to the field too', async () => {
  const config = fixture.writeConfig('x509', { proxy: proxyUrl });
  const opened = await tunnels(async () => {
    parseOutput(await runHelper(config, { env: helperEnv({ NO_PROXY: '127.0.0.1' }) }));
  });
  expect(opened).toEqual({ proxy: [], other: [] });
});

test('Krypton and then Cognito (two hops) both go through the proxy', async () => {
  const config = fixture.writeConfig('krypton-open-id-token', { proxy: proxyUrl });
  const opened = await tunnels(async () => {
    parseOutput(await runHelper(config));
  });
  expect(opened.proxy).toEqual([
    new URL(fixture.endpoints!.krypton.url).host,
    new URL(fixture.endpoints!.cognito.url).host,
  ]);
});

test('a cache hit sends nothing through the proxy', async () => {
  const config = fixture.writeConfig('x509', { proxy: proxyUrl });
  parseOutput(await runHelper(config));
  const opened = await tunnels(async () => {
    parseOutput(await runHelper(config));
  });
  expect(opened).toEqual({ proxy: [], other: [] });
});

test('a proxy that is down: exit 5 naming it, after the retries', async () => {
  const config = fixture.writeConfig('x509', { proxy: 'http://127.0.0.1:1' });
  const result = await runHelper(config, { env: helperEnv({ KEYLESS_MAX_ATTEMPTS: '2' }) });
  expect(result.code).toBe(5);
  expect(fixture.oneStderrLineWithoutSecrets(result)).toMatch(
    /^keyless-credentials: cannot reach the AWS IoT credentials provider at https:\/\/127\.0\.0\.1:\d+: curl: \(7\) Failed to connect to 127\.0\.0\.1 port 1 .*\(gave up after 2 attempts\)$/,
  );
});

test.each([
  ['a user name and password', 'http://user:secret@127.0.0.1:3128'],
  ['a scheme other than http or https', 'socks5://127.0.0.1:1080'],
  ['a path', 'http://127.0.0.1:3128/path'],
  ['no host', 'http://:3128'],
  ['a port out of range', 'http://127.0.0.1:65536'],
])('a proxy field with %s is a configuration error (exit 3) naming the field', async (_case, value) => {
  const config = fixture.writeConfig('x509', { proxy: value });
  const before = fixture.credentialsProvider.requests;
  const result = await runHelper(config);
  expect(result.code).toBe(3);
  expect(fixture.credentialsProvider.requests).toBe(before);
  const line = fixture.oneStderrLineWithoutSecrets(result);
  expect(line).toContain(
    `${config}: proxy must be an http:// or https:// proxy URL with a host and an optional port, and no user name or password`,
  );
  expect(line).toContain(`got ${JSON.stringify(value.replace(/\/\/[^/]*@/, '//...@'))}`);
  expect(line).not.toContain('secret');
});

test('--check names the proxy, and never the password of one given in the environment', async () => {
  const config = fixture.writeConfig('x509');
  writeFileSync(
    join(config, '..', 'aws-config'),
    `[profile keyless]\ncredential_process = ${HELPER} --config ${config}\n`,
  );
  const withPassword = proxyUrl.replace('http://', 'http://operator:hunter2@');
  const result = await runProcess('dash', [HELPER, '--config', config, '--check'], {
    env: helperEnv({ HTTPS_PROXY: withPassword }),
  });
  expect(result.code).toBe(0);
  expect(result.stdout).not.toContain('hunter2');
  expect(result.stdout).toContain(
    `through proxy http://...@${proxyUrl.slice('http://'.length)} (from the environment)`,
  );
});
