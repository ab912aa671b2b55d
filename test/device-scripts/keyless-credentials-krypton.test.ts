import { parseOutput, runHelper } from './device-fixture';
import { startedDeviceFixture } from './shells';

const fixture = startedDeviceFixture(['dash', 'busybox', 'jq', 'curl', 'flock', 'openssl']);
const CREDENTIALS_PATH = '/v1/provisioning/aws/cognito/credentials';
const OPEN_ID_TOKENS_PATH = '/v1/provisioning/aws/cognito/open_id_tokens';

beforeEach(() => {
  fixture.krypton.faults.clear();
  fixture.cognito.faults.clear();
  fixture.krypton.simAuthorized = true;
  fixture.krypton.expirationFormat = 'epoch-ms';
});

function kryptonRequests(path: string): number {
  return fixture.krypton.requestsByPath.get(path) ?? 0;
}

function isoSeconds(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

describe('keyless-credentials, Krypton source, mode "credentials" (one hop)', () => {
  test.each(['epoch-ms', 'iso', 'iso-fractional'] as const)(
    'reads secretKey and an expiration given as %s',
    async (format) => {
      fixture.krypton.expirationFormat = format;
      const config = fixture.writeConfig('krypton-credentials');

      const result = await runHelper(config);

      expect(result.stderr).toBe('');
      const issued = fixture.krypton.issuer.issued.at(-1)!;
      expect(parseOutput(result)).toEqual({
        Version: 1,
        AccessKeyId: 'S3RVER',
        SecretAccessKey: 'S3RVER',
        SessionToken: issued.sessionToken,
        Expiration: isoSeconds(issued.expiresAt),
      });
    },
  );

  test('under busybox ash, 50 concurrent cold calls make one Krypton request', async () => {
    const config = fixture.writeConfig('krypton-credentials');
    const before = kryptonRequests(CREDENTIALS_PATH);

    const results = await Promise.all(
      Array.from({ length: 50 }, () => runHelper(config, { shell: ['busybox', 'sh'] })),
    );

    expect(results.map((r) => r.code)).toEqual(Array(50).fill(0));
    expect(kryptonRequests(CREDENTIALS_PATH) - before).toBe(1);
  });

  test('500 twice, then success', async () => {
    const config = fixture.writeConfig('krypton-credentials');
    fixture.krypton.faults.set({ kind: 'status', status: 500 }, { times: 2 });
    const before = fixture.krypton.requests;

    expect((await runHelper(config)).code).toBe(0);
    expect(fixture.krypton.requests - before).toBe(3);
  });

  test('a SIM Krypton refuses: exit 4 with the reason, no retry', async () => {
    const config = fixture.writeConfig('krypton-credentials');
    fixture.krypton.simAuthorized = false;
    const before = fixture.krypton.requests;

    const result = await runHelper(config);

    expect(result.code).toBe(4);
    expect(fixture.oneStderrLineWithoutSecrets(result)).toBe(
      'keyless-credentials: SORACOM Krypton refused the request: HTTP 403 Unauthorized: the request did not come through SORACOM Air (the SIM must be online through SORACOM Air and its group must enable Krypton for AWS Cognito)',
    );
    expect(fixture.krypton.requests - before).toBe(1);
  });

  test('expired credentials from Krypton are never printed', async () => {
    const config = fixture.writeConfig('krypton-credentials');
    fixture.krypton.faults.set({ kind: 'expired' });

    const result = await runHelper(config);

    expect(result.code).toBe(6);
    expect(result.stdout).toBe('');
    expect(fixture.oneStderrLineWithoutSecrets(result)).toContain(
      'SORACOM Krypton returned credentials that expire at',
    );
  });
});

describe('keyless-credentials, Krypton source, mode "open-id-token" (Krypton then Cognito)', () => {
  test('one open_id_tokens request and one GetCredentialsForIdentity; epoch-second Expiration', async () => {
    const config = fixture.writeConfig('krypton-open-id-token');
    const tokensBefore = kryptonRequests(OPEN_ID_TOKENS_PATH);
    const cognitoBefore = fixture.cognito.requests;

    const result = await runHelper(config);

    expect(result.stderr).toBe('');
    const issued = fixture.cognito.issuer.issued.at(-1)!;
    expect(parseOutput(result)).toEqual({
      Version: 1,
      AccessKeyId: 'S3RVER',
      SecretAccessKey: 'S3RVER',
      SessionToken: issued.sessionToken,
      Expiration: isoSeconds(issued.expiresAt),
    });
    expect(kryptonRequests(OPEN_ID_TOKENS_PATH) - tokensBefore).toBe(1);
    expect(fixture.cognito.requests - cognitoBefore).toBe(1);
  });

  test('50 concurrent cold calls make one request to each service', async () => {
    const config = fixture.writeConfig('krypton-open-id-token');
    const tokensBefore = kryptonRequests(OPEN_ID_TOKENS_PATH);
    const cognitoBefore = fixture.cognito.requests;

    const results = await Promise.all(Array.from({ length: 50 }, () => runHelper(config)));

    expect(results.map((r) => r.code)).toEqual(Array(50).fill(0));
    expect(new Set(results.map((r) => r.stdout)).size).toBe(1);
    expect(kryptonRequests(OPEN_ID_TOKENS_PATH) - tokensBefore).toBe(1);
    expect(fixture.cognito.requests - cognitoBefore).toBe(1);
  });

  test('Cognito throttling (400 TooManyRequestsException) is retried', async () => {
    const config = fixture.writeConfig('krypton-open-id-token');
    fixture.cognito.faults.set(
      { kind: 'status', status: 400, body: { __type: 'TooManyRequestsException', message: 'Rate exceeded' } },
      { times: 2 },
    );
    const before = fixture.cognito.requests;

    expect((await runHelper(config)).code).toBe(0);
    expect(fixture.cognito.requests - before).toBe(3);
  });

  test('Cognito NotAuthorizedException: exit 4 naming the error, no retry', async () => {
    const config = fixture.writeConfig('krypton-open-id-token');
    fixture.cognito.faults.set({
      kind: 'status',
      status: 400,
      body: { __type: 'NotAuthorizedException', message: 'Invalid login token. Token expired' },
    });
    const before = fixture.cognito.requests;

    const result = await runHelper(config);

    expect(result.code).toBe(4);
    expect(fixture.oneStderrLineWithoutSecrets(result)).toBe(
      'keyless-credentials: Amazon Cognito refused GetCredentialsForIdentity: HTTP 400 NotAuthorizedException: Invalid login token. Token expired',
    );
    expect(fixture.cognito.requests - before).toBe(1);
  });

  test('a malformed Cognito answer is never printed; a dropped Krypton connection is retried', async () => {
    const config = fixture.writeConfig('krypton-open-id-token');
    fixture.cognito.faults.set({ kind: 'malformed' });
    fixture.krypton.faults.set({ kind: 'drop' }, { times: 1 });

    const result = await runHelper(config);

    expect(result.code).toBe(5);
    expect(result.stdout).toBe('');
    expect(fixture.oneStderrLineWithoutSecrets(result)).toContain('Amazon Cognito at');
  });

  test('a config without krypton.endpoint names the field', async () => {
    const config = fixture.writeConfig('krypton-open-id-token', {
      krypton: { endpoint: undefined, mode: 'token' },
    });

    const result = await runHelper(config);

    expect(result.code).toBe(3);
    expect(fixture.oneStderrLineWithoutSecrets(result)).toBe(
      `keyless-credentials: ${config}: krypton.endpoint is missing; krypton.mode must be "credentials" or "open-id-token", got "token"`,
    );
  });
});
