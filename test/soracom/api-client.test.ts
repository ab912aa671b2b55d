import {
  checkedSoracomEndpoint,
  rateLimitWaitMs,
  soracomEndpoint,
  SoracomAnswerError,
  SoracomApiError,
  SoracomAuthError,
  SoracomClient,
} from '../../lib/soracom/api-client';
import { SIM_ARC_PRIVATE_KEY_MARKER, SoracomApiEmulator } from '../emulators/soracom-api';

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

// A 2xx answer whose body is not the documented shape (soracom-api.en.yaml) is an error, never "nothing there".
describe('answers that are not the documented shape', () => {
  const json = (value: unknown) => () => JSON.stringify(value);
  const credential = { credentialsId: 'funnel-a', type: 'aws-credentials', credentials: {} };

  test.each<[string, (normal: unknown) => string, string]>([
    [
      'an object instead of a list',
      json({ credentials: [credential] }),
      'the answer is an object, not a list',
    ],
    ['null', json(null), 'the answer is null, not a list'],
    ['an empty body', () => '', 'the answer is empty'],
    ['a body that is not JSON', () => '<html>proxy error</html>', 'the answer is not JSON'],
    ['an element that is not an object', json([credential, 'funnel-b']), '[1] is a string, not an object'],
    ['an element without credentialsId', json([{ type: 'aws-credentials' }]), '[0].credentialsId is missing'],
    [
      'a credentialsId that is not a string',
      json([{ ...credential, credentialsId: 7 }]),
      '[0].credentialsId is a number, not a non-empty string',
    ],
    [
      'an empty credentialsId',
      json([{ ...credential, credentialsId: '' }]),
      '[0].credentialsId is an empty string, not a non-empty string',
    ],
    [
      'a description that is a number',
      json([{ ...credential, description: 7 }]),
      '[0].description is a number, not a string',
    ],
    [
      'credentials that are a list',
      json([{ ...credential, credentials: [] }]),
      '[0].credentials is a list, not an object',
    ],
    [
      'an accessKeyId that is not a string',
      json([{ ...credential, credentials: { accessKeyId: 1 } }]),
      '[0].credentials.accessKeyId is a number, not a string',
    ],
    [
      'the same id twice',
      json([credential, credential]),
      '[1].credentialsId repeats an id listed before (ids are unique)',
    ],
  ])('listCredentials refuses %s', async (_case, body, problem) => {
    const client = await login();
    emulator.answerOn('GET', '/v1/credentials', body);
    const failure = client.listCredentials();
    await expect(failure).rejects.toThrow(SoracomAnswerError);
    await expect(failure).rejects.toThrow(
      `SORACOM API GET /v1/credentials answered HTTP 200 but not as documented for listCredentials: ${problem}`,
    );
  });

  test('listCredentials reads a null description as no description (free text, never a decision)', async () => {
    const client = await login();
    emulator.answerOn('GET', '/v1/credentials', json([{ ...credential, description: null }]));
    const [listed] = await client.listCredentials();
    expect(listed.credentialsId).toBe('funnel-a');
    expect(listed.description).toBeUndefined();
  });

  const group = { groupId: 'g1', configuration: { SoracomFunnel: { credentialsId: 'funnel-a' } } };
  test.each<[string, (normal: unknown) => string, string]>([
    ['an object instead of a list', json({ groups: [group] }), 'the answer is an object, not a list'],
    ['an empty body', () => '', 'the answer is empty'],
    ['an element without groupId', json([{ configuration: {} }]), '[0].groupId is missing'],
    [
      'a configuration that is a string',
      json([{ groupId: 'g1', configuration: 'x' }]),
      '[0].configuration is a string, not an object',
    ],
    [
      'a configuration that is null',
      json([{ groupId: 'g1', configuration: null }]),
      '[0].configuration is null, not an object',
    ],
    [
      'a namespace that is not an object',
      json([{ groupId: 'g1', configuration: { SoracomFunnel: [] } }]),
      '[0].configuration.SoracomFunnel is a list, not an object',
    ],
    [
      'a Funnel credentialsId that is not a string',
      json([{ groupId: 'g1', configuration: { SoracomFunnel: { credentialsId: 1 } } }]),
      '[0].configuration.SoracomFunnel.credentialsId is a number, not a string',
    ],
    [
      'the same group twice',
      json([group, group]),
      '[1].groupId repeats a group listed before (ids are unique)',
    ],
  ])('listGroups refuses %s', async (_case, body, problem) => {
    const client = await login();
    emulator.answerOn('GET', '/v1/groups', body);
    await expect(client.listGroups()).rejects.toThrow(
      `SORACOM API GET /v1/groups answered HTTP 200 but not as documented for listGroups: ${problem}`,
    );
  });

  test('listGroups refuses a broken later page, and a group answered on two pages', async () => {
    emulator.groupPageSize = 2;
    for (const id of ['g1', 'g2', 'g3']) emulator.seedGroup(id, `funnel-${id}`);
    const client = await login();
    emulator.answerOn('GET', '/v1/groups', (page) => JSON.stringify(page), 1);
    emulator.answerOn('GET', '/v1/groups', () => '{}', 1);
    await expect(client.listGroups()).rejects.toThrow(
      'SORACOM API GET /v1/groups answered HTTP 200 but not as documented for listGroups: the answer is an object, not a list',
    );
    emulator.clearFailures();
    emulator.answerOn('GET', '/v1/groups', (page) => JSON.stringify([...(page as unknown[]), group]));
    await expect(client.listGroups()).rejects.toThrow('[2].groupId repeats a group listed before');
    emulator.groupPageSize = 100;
  });

  test('login refuses a 200 without an API key and token, or with an empty body', async () => {
    emulator.answerOn('POST', '/v1/auth', () => JSON.stringify({ operatorId: 'OP1' }), 1);
    await expect(login()).rejects.toThrow(
      'SORACOM API POST /v1/auth answered HTTP 200 but not as documented for auth: apiKey is missing',
    );
    emulator.answerOn('POST', '/v1/auth', () => '', 1);
    await expect(login()).rejects.toThrow(
      'SORACOM API POST /v1/auth answered HTTP 200 but not as documented for auth: the answer is empty',
    );
  });

  test('a create, update or group change must answer what it changed', async () => {
    emulator.seedGroup('g1', 'funnel-old');
    const client = await login();
    emulator.answerOn(
      'POST',
      /^\/v1\/credentials\//,
      (written) => JSON.stringify({ ...(written as object), credentialsId: 'other' }),
      1,
    );
    await expect(client.createCredential('funnel-a', awsCredential('AKIAFIRST'))).rejects.toThrow(
      'SORACOM API POST /v1/credentials/funnel-a answered HTTP 201 but not as documented for createCredential: credentialsId is not the credential written',
    );
    emulator.answerOn('PUT', /^\/v1\/credentials\//, () => '', 1);
    await expect(client.updateCredential('funnel-a', awsCredential('AKIASECOND'))).rejects.toThrow(
      'SORACOM API PUT /v1/credentials/funnel-a answered HTTP 200 but not as documented for updateCredential: the answer is empty',
    );
    emulator.answerOn('PUT', /\/configuration\//, () => '[]', 1);
    await expect(
      client.putGroupConfiguration('g1', 'SoracomFunnel', [{ key: 'credentialsId', value: 'funnel-a' }]),
    ).rejects.toThrow(
      'SORACOM API PUT /v1/groups/g1/configuration/SoracomFunnel answered HTTP 200 but not as documented for putConfigurationParameters: (answer) is a list, not an object',
    );
  });
});

describe('checkedSoracomEndpoint', () => {
  test.each([
    'https://api.soracom.io',
    'https://g.api.soracom.io/',
    'http://127.0.0.1:8080',
    'http://localhost:1234',
    'http://[::1]:9',
  ])('accepts %s', (endpoint) => {
    expect(checkedSoracomEndpoint(endpoint)).toBe(endpoint.replace(/\/$/, ''));
  });

  test.each([
    ['http://api.soracom.io', 'http://api.soracom.io'],
    ['http://127.0.0.2:8080', 'http://127.0.0.2:8080'],
    ['http://localhost.example.com', 'http://localhost.example.com'],
    ['ftp://api.soracom.io', 'ftp://api.soracom.io'],
  ])('refuses %s before anything is sent', async (endpoint, shown) => {
    const message =
      `the SORACOM API endpoint must be https:// (it receives the SORACOM auth key and AWS credentials), got ${shown}; ` +
      'plain http is accepted only for a local test server on http://127.0.0.1, http://localhost or http://[::1]';
    expect(() => checkedSoracomEndpoint(endpoint)).toThrow(message);
    const sent: string[] = [];
    const fetchImpl: typeof fetch = async (input) => {
      sent.push(String(input));
      return new Response('{}');
    };
    await expect(
      SoracomClient.login({ endpoint, authKeyId: AUTH_KEY_ID, authKey: AUTH_KEY, fetchImpl }),
    ).rejects.toThrow(message);
    expect(sent).toEqual([]);
  });

  test('refuses a URL with a user name or password without quoting them', () => {
    expect(() => checkedSoracomEndpoint('https://user:hunter2@api.soracom.io')).toThrow(
      'the SORACOM API endpoint must not carry a user name or password, got https://api.soracom.io',
    );
  });

  test('refuses what is not a URL', () => {
    expect(() => checkedSoracomEndpoint('api.soracom.io', 'SORACOM_API_ENDPOINT')).toThrow(
      'SORACOM_API_ENDPOINT is not a URL: expected https://… such as https://api.soracom.io',
    );
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

describe('suspendSim', () => {
  const SIM = '8981100000000000042';
  const path = `/v1/sims/${SIM}/suspend`;

  test('suspends the SIM and answers it', async () => {
    emulator.seedSim(SIM, 'group-a');
    const client = await login();
    await expect(client.suspendSim(SIM)).resolves.toEqual({
      simId: SIM,
      status: 'suspended',
      groupId: 'group-a',
    });
    expect(emulator.sims.get(SIM)?.status).toBe('suspended');
  });

  test('an unknown or terminated SIM is an API error naming the SORACOM code', async () => {
    emulator.seedSim('8981100000000000043', null, 'terminated');
    const client = await login();
    await expect(client.suspendSim('8981100000000000099')).rejects.toBeInstanceOf(SoracomApiError);
    await expect(client.suspendSim('8981100000000000043')).rejects.toThrow(/SEM0028/);
  });

  test.each<[string, (normal: unknown) => string, RegExp]>([
    ['another SIM', (n) => JSON.stringify({ ...(n as object), simId: 'other' }), /simId is not the SIM/],
    [
      'a status other than suspended',
      (n) => JSON.stringify({ ...(n as object), status: 'active' }),
      /"active", not "suspended"/,
    ],
    ['no status', (n) => JSON.stringify({ ...(n as object), status: undefined }), /status is missing/],
    ['a list', () => '[]', /is a list, not an object/],
  ])('never reports a SIM suspended when SORACOM answers %s', async (_case, body, problem) => {
    emulator.seedSim(SIM);
    const client = await login();
    emulator.answerOn('POST', path, body);
    const failure = client.suspendSim(SIM);
    await expect(failure).rejects.toBeInstanceOf(SoracomAnswerError);
    await expect(failure).rejects.toThrow(problem);
  });

  test('a SIM in no group (groupId null) is a SIM, not a broken answer', async () => {
    emulator.seedSim(SIM, null);
    const client = await login();
    await expect(client.suspendSim(SIM)).resolves.toEqual({
      simId: SIM,
      status: 'suspended',
      groupId: undefined,
    });
  });
});

describe('getSim', () => {
  const SIM = '8981100000000000042';
  const path = `/v1/sims/${SIM}`;

  test('answers the SIM with every IMSI and ICCID of its profiles, and nothing else of the answer', async () => {
    emulator.seedSim(SIM, 'group-a', 'active', ['440100000000042', '295050000000042']);
    const client = await login();
    const sim = await client.getSim(SIM);
    expect(sim).toEqual({
      simId: SIM,
      status: 'active',
      groupId: 'group-a',
      imsis: ['295050000000042', '440100000000042'],
      iccids: [SIM],
    });
    // The answer's Arc private key is not kept anywhere in what the caller gets.
    expect(JSON.stringify(sim)).not.toContain(SIM_ARC_PRIVATE_KEY_MARKER);
  });

  test('an unknown SIM is an API error', async () => {
    const client = await login();
    await expect(client.getSim('8981100000000000099')).rejects.toThrow(/SEM0001/);
  });

  test.each<[string, (normal: Record<string, unknown>) => unknown, RegExp]>([
    ['another SIM', (n) => ({ ...n, simId: 'other' }), /simId is not the SIM asked for/],
    [
      'an IMSI that is not digits',
      (n) => ({ ...n, profiles: { [SIM]: { iccid: SIM, primaryImsi: '4401-x' } } }),
      /primaryImsi is not a string of digits/,
    ],
    [
      'a subscriber that is not an object',
      (n) => ({ ...n, profiles: { [SIM]: { iccid: SIM, subscribers: { '440100000000042': 'x' } } } }),
      /subscribers\.440100000000042 is a string, not an object/,
    ],
    ['profiles as a list', (n) => ({ ...n, profiles: [] }), /profiles is a list, not an object/],
  ])('refuses an answer with %s', async (_case, change, problem) => {
    emulator.seedSim(SIM, 'group-a', 'active', ['440100000000042']);
    const client = await login();
    emulator.answerOn('GET', path, (normal) => JSON.stringify(change(normal as Record<string, unknown>)));
    const failure = client.getSim(SIM);
    await expect(failure).rejects.toBeInstanceOf(SoracomAnswerError);
    await expect(failure).rejects.toThrow(problem);
  });
});
