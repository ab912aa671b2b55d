import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { killGroup, ProcessResult, runProcess, waitFor } from '../support/run-process';
import { HELPER, helperEnv, parseOutput, ROLE_ALIAS, runHelper, THING } from './device-fixture';
import { startedDeviceFixture } from './shells';

const fixture = startedDeviceFixture(['dash', 'busybox', 'jq', 'curl', 'flock', 'openssl']);

beforeEach(() => {
  fixture.credentialsProvider.faults.clear();
  fixture.credentialsProvider.issuer.lifetimeSeconds = 3600;
});

/** Exactly one line on stderr, and none of the secrets the emulators have handed out. */
function expectNoSecretsOnStderr(result: ProcessResult): void {
  for (const secret of fixture.secrets()) expect(result.stderr).not.toContain(secret);
}

function cacheFiles(config: string): string[] {
  const dir = fixture.cacheDirOf(config);
  return existsSync(dir) ? readdirSync(dir).filter((name) => name.endsWith('.json')) : [];
}

function cacheFile(config: string): string {
  const files = cacheFiles(config);
  expect(files).toHaveLength(1);
  return join(fixture.cacheDirOf(config), files[0]);
}

/** Runs the helper `count` times at once on a cold cache. */
function concurrently(config: string, count: number, shell: readonly string[]): Promise<ProcessResult[]> {
  return Promise.all(Array.from({ length: count }, () => runHelper(config, { shell })));
}

describe.each([
  ['dash', ['dash']],
  ['busybox ash', ['busybox', 'sh']],
])('keyless-credentials under %s, X.509 source', (_name, shell) => {
  test('prints credential_process JSON from the credentials provider and nothing on stderr', async () => {
    const config = fixture.writeConfig('x509');
    const before = fixture.credentialsProvider.requests;

    const result = await runHelper(config, { shell });

    expect(result.stderr).toBe('');
    const output = parseOutput(result);
    const issued = fixture.credentialsProvider.issuer.issued.at(-1)!;
    expect(output).toEqual({
      Version: 1,
      AccessKeyId: 'S3RVER',
      SecretAccessKey: 'S3RVER',
      SessionToken: issued.sessionToken,
      Expiration: issued.expiresAt.toISOString().replace('.000Z', 'Z'),
    });
    expect(Object.keys(output)).toEqual([
      'Version',
      'AccessKeyId',
      'SecretAccessKey',
      'SessionToken',
      'Expiration',
    ]);
    expect(fixture.credentialsProvider.requests - before).toBe(1);
  });

  test('reuses the cache: 200 sequential calls make exactly 1 upstream request', async () => {
    const config = fixture.writeConfig('x509');
    const before = fixture.credentialsProvider.requests;
    const outputs = new Set<string>();

    for (let i = 0; i < 200; i += 1) {
      const result = await runHelper(config, { shell });
      expect(result.code).toBe(0);
      outputs.add(result.stdout);
    }

    expect(fixture.credentialsProvider.requests - before).toBe(1);
    expect(outputs.size).toBe(1);
  });

  test('single flight: 50 concurrent calls on a cold cache make exactly 1 upstream request', async () => {
    const config = fixture.writeConfig('x509');
    const before = fixture.credentialsProvider.requests;

    const results = await concurrently(config, 50, shell);

    expect(results.map((r) => [r.code, r.stderr])).toEqual(Array(50).fill([0, '']));
    expect(new Set(results.map((r) => r.stdout)).size).toBe(1);
    expect(fixture.credentialsProvider.requests - before).toBe(1);
  });

  test('a truncated cache file is ignored and replaced', async () => {
    const config = fixture.writeConfig('x509');
    const first = parseOutput(await runHelper(config, { shell }));
    const file = cacheFile(config);
    const content = readFileSync(file, 'utf8');
    writeFileSync(file, content.slice(0, Math.floor(content.length / 2)));

    const second = parseOutput(await runHelper(config, { shell }));

    expect(second.SessionToken).not.toBe(first.SessionToken);
    expect(readFileSync(file, 'utf8')).toContain(second.SessionToken);
    expect(parseOutput(await runHelper(config, { shell }))).toEqual(second);
  });

  test('retries 429 and 500 answers, then prints the credentials', async () => {
    const config = fixture.writeConfig('x509');
    fixture.credentialsProvider.faults.set({ kind: 'status', status: 429 }, { times: 1 });
    const before = fixture.credentialsProvider.requests;

    const first = await runHelper(config, { shell });
    expect(first.code).toBe(0);
    expect(fixture.credentialsProvider.requests - before).toBe(2);

    fixture.credentialsProvider.faults.set({ kind: 'status', status: 500 }, { times: 2 });
    const second = await runHelper(config, { shell, args: ['--force-refresh'] });
    expect(second.code).toBe(0);
    expect(fixture.credentialsProvider.requests - before).toBe(5);
    expectNoSecretsOnStderr(second);
  });
});

describe('keyless-credentials cache and refresh', () => {
  test('the cache file is mode 0600 in a 0700 directory, and its credentials are the ones printed', async () => {
    const config = fixture.writeConfig('x509');
    const output = parseOutput(await runHelper(config));
    const file = cacheFile(config);

    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(fixture.cacheDirOf(config)).mode & 0o777).toBe(0o700);
    expect(readFileSync(file, 'utf8')).toContain(JSON.stringify(output));
  });

  test('credentials inside the refresh margin are fetched again, and the output changes', async () => {
    // 1100 s left is inside the default 1200 s margin: every call is past the refresh point.
    fixture.credentialsProvider.issuer.lifetimeSeconds = 1100;
    const config = fixture.writeConfig('x509');
    const before = fixture.credentialsProvider.requests;

    const first = parseOutput(await runHelper(config));
    const second = parseOutput(await runHelper(config));

    expect(fixture.credentialsProvider.requests - before).toBe(2);
    expect(second.SessionToken).not.toBe(first.SessionToken);
  });

  test('a cache whose expiry has come within the margin is refreshed; before that it is reused', async () => {
    const config = fixture.writeConfig('x509');
    const first = parseOutput(await runHelper(config));
    expect(parseOutput(await runHelper(config))).toEqual(first);
    const before = fixture.credentialsProvider.requests;

    // Time passes: the cached credentials now have 1000 s left (the cache's first line is its expiry epoch).
    const file = cacheFile(config);
    const [, json] = readFileSync(file, 'utf8').split('\n');
    writeFileSync(file, `${Math.floor(Date.now() / 1000) + 1000} ${json.length}\n${json}\n`);

    const refreshed = parseOutput(await runHelper(config));

    expect(fixture.credentialsProvider.requests - before).toBe(1);
    expect(refreshed.SessionToken).not.toBe(first.SessionToken);
  });

  test('--force-refresh fetches even when the cache is fresh', async () => {
    const config = fixture.writeConfig('x509');
    const first = parseOutput(await runHelper(config));
    const forced = parseOutput(await runHelper(config, { args: ['--force-refresh'] }));
    expect(forced.SessionToken).not.toBe(first.SessionToken);
    expect(parseOutput(await runHelper(config))).toEqual(forced);
  });

  test('a garbage cache file is ignored and replaced', async () => {
    const config = fixture.writeConfig('x509');
    await runHelper(config);
    const file = cacheFile(config);
    writeFileSync(file, 'garbage {"Version":1}\nnot json at all\n');

    const result = await runHelper(config);

    expect(result.code).toBe(0);
    expect(readFileSync(file, 'utf8')).toContain(parseOutput(result).SessionToken);
  });

  test('kill -9 during a fetch leaves no partial cache, and the next call succeeds', async () => {
    const config = fixture.writeConfig('x509');
    fixture.credentialsProvider.faults.set({ kind: 'delay', ms: 30000 }, { times: 1 });
    const before = fixture.credentialsProvider.requests;
    const child = spawn('dash', [HELPER, '--config', config], {
      env: helperEnv({ KEYLESS_MAX_TIME: '60' }),
      detached: true,
      stdio: 'ignore',
    });
    const exited = new Promise((resolve) => child.on('exit', resolve));

    await waitFor(
      () => fixture.credentialsProvider.requests > before,
      'the helper to reach the credentials provider',
      600,
    );
    killGroup(child.pid, 'SIGKILL');
    await exited;

    expect(cacheFiles(config)).toEqual([]);
    const result = await runHelper(config);
    expect(result.code).toBe(0);
    expect(readFileSync(cacheFile(config), 'utf8')).toContain(parseOutput(result).SessionToken);
  });

  test('kill -9 during a forced refresh leaves the previous cache whole', async () => {
    const config = fixture.writeConfig('x509');
    const first = await runHelper(config);
    const cached = readFileSync(cacheFile(config), 'utf8');
    fixture.credentialsProvider.faults.set({ kind: 'delay', ms: 30000 }, { times: 1 });
    const before = fixture.credentialsProvider.requests;
    const child = spawn('dash', [HELPER, '--config', config, '--force-refresh'], {
      env: helperEnv({ KEYLESS_MAX_TIME: '60' }),
      detached: true,
      stdio: 'ignore',
    });
    const exited = new Promise((resolve) => child.on('exit', resolve));

    await waitFor(
      () => fixture.credentialsProvider.requests > before,
      'the helper to reach the credentials provider',
      600,
    );
    killGroup(child.pid, 'SIGKILL');
    await exited;

    expect(readFileSync(cacheFile(config), 'utf8')).toBe(cached);
    expect((await runHelper(config)).stdout).toBe(first.stdout);
  });
});

describe('keyless-credentials faults (X.509)', () => {
  test('a timeout and a dropped connection are retried, then the credentials are printed', async () => {
    const config = fixture.writeConfig('x509');
    const before = fixture.credentialsProvider.requests;
    fixture.credentialsProvider.faults.set({ kind: 'delay', ms: 5000 }, { times: 1 });

    const afterTimeout = await runHelper(config, { env: helperEnv({ KEYLESS_MAX_TIME: '1' }) });
    expect(afterTimeout.code).toBe(0);
    expect(fixture.credentialsProvider.requests - before).toBe(2);

    fixture.credentialsProvider.faults.set({ kind: 'drop' }, { times: 2 });
    const afterDrops = await runHelper(config, { args: ['--force-refresh'] });
    expect(afterDrops.code).toBe(0);
    expect(fixture.credentialsProvider.requests - before).toBe(5);
  });

  test('persistent 5xx: gives up after the bounded retries with a clear message and no output', async () => {
    const config = fixture.writeConfig('x509');
    fixture.credentialsProvider.faults.set({ kind: 'status', status: 503 });
    const before = fixture.credentialsProvider.requests;

    const result = await runHelper(config);

    expect(result.code).toBe(5);
    expect(result.stdout).toBe('');
    expect(fixture.oneStderrLineWithoutSecrets(result)).toMatch(
      /^keyless-credentials: the AWS IoT credentials provider at https:\/\/127\.0\.0\.1:\d+ answered HTTP 503 .*\(gave up after 4 attempts\)$/,
    );
    expect(fixture.credentialsProvider.requests - before).toBe(4);
    expect(cacheFiles(config)).toEqual([]);
  });

  test('persistent timeouts: gives up naming the timeout', async () => {
    const config = fixture.writeConfig('x509');
    fixture.credentialsProvider.faults.set({ kind: 'delay', ms: 10000 });

    const result = await runHelper(config, {
      env: helperEnv({ KEYLESS_MAX_TIME: '1', KEYLESS_MAX_ATTEMPTS: '2' }),
    });

    expect(result.code).toBe(5);
    expect(fixture.oneStderrLineWithoutSecrets(result)).toMatch(
      /cannot reach .*timed out.*\(gave up after 2 attempts\)$/,
    );
  });

  test('a malformed answer is never printed or cached; retried, then reported', async () => {
    const config = fixture.writeConfig('x509');
    fixture.credentialsProvider.faults.set({ kind: 'malformed' });

    const result = await runHelper(config, { env: helperEnv({ KEYLESS_MAX_ATTEMPTS: '2' }) });

    expect(result.code).toBe(5);
    expect(result.stdout).toBe('');
    expect(fixture.oneStderrLineWithoutSecrets(result)).toContain(
      'answered 200 with a malformed or partial answer',
    );
    expect(cacheFiles(config)).toEqual([]);

    fixture.credentialsProvider.faults.set({ kind: 'malformed' }, { times: 1 });
    expect((await runHelper(config)).code).toBe(0);
  });

  test('already-expired credentials are never printed or cached, and not retried', async () => {
    const config = fixture.writeConfig('x509');
    fixture.credentialsProvider.faults.set({ kind: 'expired' });
    const before = fixture.credentialsProvider.requests;

    const result = await runHelper(config);

    expect(result.code).toBe(6);
    expect(result.stdout).toBe('');
    expect(fixture.oneStderrLineWithoutSecrets(result)).toMatch(
      /returned credentials that expire at .*check the device clock/,
    );
    expect(fixture.credentialsProvider.requests - before).toBe(1);
    expect(cacheFiles(config)).toEqual([]);
  });

  test.each([
    [
      'a thing not attached to the certificate (403 Invalid thing name passed)',
      { x509: { thingName: 'someone-elses-thing' } },
      "thing 'someone-elses-thing' is not attached to this certificate (credentials provider: 403 Invalid thing name passed)",
    ],
    [
      'a role alias that does not exist (404)',
      { x509: { roleAlias: 'NoSuchAlias' } },
      "role alias 'NoSuchAlias' does not exist at",
    ],
    [
      'an alias duration longer than the role allows (400 MaxSessionDuration)',
      { x509: { roleAlias: 'TooLongAlias' } },
      "role alias 'TooLongAlias' asks for a credential duration longer than its role's MaxSessionDuration",
    ],
    [
      'a role that does not trust the credentials provider (400 Unable to assume the role)',
      { x509: { roleAlias: 'UntrustingAlias' } },
      "the role behind alias 'UntrustingAlias' cannot be assumed: its trust policy must allow credentials.iot.amazonaws.com",
    ],
  ])('%s: the mapped cause, exit 4, no retry', async (_case, overrides, cause) => {
    fixture.credentialsProvider.addRoleAlias({
      name: 'TooLongAlias',
      credentialDurationSeconds: 7200,
      roleMaxSessionDuration: 3600,
    });
    fixture.credentialsProvider.addRoleAlias({
      name: 'UntrustingAlias',
      roleTrustsCredentialsProvider: false,
    });
    const config = fixture.writeConfig('x509', overrides);
    const before = fixture.credentialsProvider.requests;

    const result = await runHelper(config);

    expect(result.code).toBe(4);
    expect(result.stdout).toBe('');
    expect(fixture.oneStderrLineWithoutSecrets(result)).toContain(cause);
    expect(fixture.credentialsProvider.requests - before).toBe(1);
  });

  test('403 Access Denied: names the IoT policy permission the certificate lacks', async () => {
    const restricted = fixture.pki.issueClient('restricted');
    fixture.credentialsProvider.registerCertificate(restricted.fingerprint256, {
      things: [THING],
      allowedRoleAliases: ['SomeOtherAlias'],
    });
    const config = fixture.writeConfig('x509', {
      x509: { certFile: restricted.certFile, keyFile: restricted.keyFile },
    });

    const result = await runHelper(config);

    expect(result.code).toBe(4);
    expect(fixture.oneStderrLineWithoutSecrets(result)).toBe(
      `keyless-credentials: access denied: the certificate must be active and its IoT policy must allow iot:AssumeRoleWithCertificate on role alias '${ROLE_ALIAS}' (credentials provider: 403 Access Denied)`,
    );
  });

  test('403 Certificate is invalid on this endpoint: says the certificate is not registered there', async () => {
    const unregistered = fixture.pki.issueClient('unregistered');
    const config = fixture.writeConfig('x509', {
      x509: { certFile: unregistered.certFile, keyFile: unregistered.keyFile },
    });

    const result = await runHelper(config);

    expect(result.code).toBe(4);
    expect(fixture.oneStderrLineWithoutSecrets(result)).toContain(
      'the certificate is not registered and active in the account and region of',
    );
  });
});

describe('keyless-credentials configuration errors', () => {
  test.each([
    ['x509.roleAlias is missing', { x509: { roleAlias: undefined } }],
    [
      'refreshMarginSeconds must be at least 900 (the AWS CLI and SDKs re-run a credential_process whose credentials expire within 15 minutes), got 600',
      { refreshMarginSeconds: 600 },
    ],
    ['source must be "x509" or "krypton", got "sim"', { source: 'sim' }],
    [
      'x509.endpoint must be an https:// URL with a host, an optional port and path, and no spaces or control characters, got "http://127.0.0.1:1"',
      { x509: { endpoint: 'http://127.0.0.1:1' } },
    ],
    ['region is missing', { region: undefined }],
    ['x509.certFile /nonexistent/cert.pem does not exist', { x509: { certFile: '/nonexistent/cert.pem' } }],
  ])('names the field: %s', async (message, overrides) => {
    const config = fixture.writeConfig('x509', overrides);

    const result = await runHelper(config);

    expect(result.code).toBe(3);
    expect(result.stdout).toBe('');
    expect(fixture.oneStderrLineWithoutSecrets(result)).toBe(`keyless-credentials: ${config}: ${message}`);
  });

  test('reports every problem at once, on one line', async () => {
    const config = fixture.writeConfig('x509', {
      region: 'tokyo',
      x509: { thingName: '', keyFile: undefined },
    });

    const result = await runHelper(config);

    expect(fixture.oneStderrLineWithoutSecrets(result)).toBe(
      `keyless-credentials: ${config}: region must be an AWS region such as ap-northeast-1, got "tokyo"; x509.thingName must be a non-empty string, got ""; x509.keyFile is missing`,
    );
  });

  test('a config that is not JSON, and one that does not exist', async () => {
    const config = fixture.writeConfig('x509');
    writeFileSync(config, '{"source": "x509",');
    const invalid = await runHelper(config);
    expect(invalid.code).toBe(3);
    expect(fixture.oneStderrLineWithoutSecrets(invalid)).toMatch(
      /: .*device\.json is not valid JSON \(.*parse error/,
    );

    const missing = await runProcess('dash', [HELPER], {
      env: helperEnv({ KEYLESS_CONFIG: '/nonexistent/device.json' }),
    });
    expect(missing.code).toBe(3);
    expect(fixture.oneStderrLineWithoutSecrets(missing)).toBe(
      'keyless-credentials: config file /nonexistent/device.json not found (pass --config FILE or set KEYLESS_CONFIG)',
    );
  });

  test('an unknown argument is a usage error', async () => {
    const result = await runProcess('dash', [HELPER, '--refresh'], { env: helperEnv() });
    expect(result.code).toBe(2);
    expect(fixture.oneStderrLineWithoutSecrets(result)).toContain("unknown argument '--refresh'");
  });
});
