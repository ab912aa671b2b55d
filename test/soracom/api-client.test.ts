import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  checkedSoracomEndpoint,
  rateLimitWaitMs,
  soracomEndpoint,
  SoracomAnswerError,
  SoracomApiError,
  SoracomAuthError,
  SoracomClient,
  type SoracomCoverage,
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

function login(overrides: { maxRetries?: number; fetchImpl?: typeof fetch } = {}): Promise<SoracomClient> {
  return SoracomClient.login({ endpoint, authKeyId: AUTH_KEY_ID, authKey: AUTH_KEY, sleep, ...overrides });
}

/** What the client handed to fetch, as sent. */
interface SentRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body: unknown;
}

/**
 * A fetch that answers a request itself when `answer` gives a Response (what the stand-in cannot say: a header, a
 * non-JSON error body, a 429 without a body) and otherwise sends it on to the SORACOM stand-in; records every request.
 */
function fetchVia(answer: (path: string, method: string) => Response | undefined = () => undefined) {
  const sent: SentRequest[] = [];
  const fetchImpl: typeof fetch = async (input, init = {}) => {
    const url = new URL(String(input));
    const method = init.method ?? 'GET';
    sent.push({
      method,
      path: url.pathname,
      headers: { ...(init.headers as Record<string, string>) },
      body: init.body,
    });
    return answer(url.pathname, method) ?? fetch(input, init);
  };
  return { fetchImpl, sent };
}

/** The error `promise` rejects with; fails the test when it resolves. */
async function failureOf(promise: Promise<unknown>): Promise<SoracomApiError> {
  return promise.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (error: unknown) => error as SoracomApiError,
  );
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

  test('a coverage that is neither is refused, not sent to a default endpoint', () => {
    expect(() => soracomEndpoint('eu' as SoracomCoverage)).toThrow(
      'Unknown SORACOM coverage: eu (expected jp or global)',
    );
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
    // The name says which failure it is wherever the error is logged as `name: message`.
    await expect(failure).rejects.toHaveProperty('name', 'SoracomAuthError');
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
    expect(error).toMatchObject({
      name: 'SoracomApiError',
      status: 400,
      method: 'POST',
      path: '/v1/credentials/funnel-a',
    });
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
    // Pages as large as SORACOM allows: fewer requests counted against the rate limit.
    expect(emulator.requestsTo('GET', '/v1/groups').map((r) => r.query.limit)).toEqual(['100', '100', '100']);
    emulator.groupPageSize = 100;
  });

  test('listGroups stops with an error when a page answers a next key it answered before', async () => {
    let page = 0;
    const { fetchImpl, sent } = fetchVia((path) => {
      if (path !== '/v1/groups') return undefined;
      page += 1;
      // Two pages naming the same next key, then (if the client asked again) a last page.
      return page <= 2
        ? new Response(JSON.stringify([{ groupId: `g${page}` }]), { headers: { 'x-soracom-next-key': 'k' } })
        : new Response('[]');
    });
    const client = await login({ fetchImpl });
    await expect(client.listGroups()).rejects.toHaveProperty(
      'message',
      'SORACOM API GET /v1/groups failed with HTTP 200 (pagination loop)',
    );
    expect(sent.filter((r) => r.path === '/v1/groups')).toHaveLength(2);
  });

  test('listGroups lists groups without a Funnel namespace or without any configuration', async () => {
    const client = await login();
    const groups = [{ groupId: 'g1', configuration: { SoracomAir: { metadata: {} } } }, { groupId: 'g2' }];
    emulator.answerOn('GET', '/v1/groups', () => JSON.stringify(groups));
    await expect(client.listGroups()).resolves.toEqual(groups);
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

  test('requests ask for JSON, and say their body is JSON only when they send one', async () => {
    const { fetchImpl, sent } = fetchVia();
    const client = await login({ fetchImpl });
    await client.listCredentials();
    const [auth, list] = sent;
    expect(auth.headers).toEqual({ Accept: 'application/json', 'Content-Type': 'application/json' });
    expect(JSON.parse(String(auth.body))).toEqual({ authKeyId: AUTH_KEY_ID, authKey: AUTH_KEY });
    expect(list.headers).toEqual({
      Accept: 'application/json',
      'X-Soracom-API-Key': expect.any(String),
      'X-Soracom-Token': expect.any(String),
    });
    expect(list.body).toBeUndefined();
  });

  test('an error answer that is not JSON fails with the status alone, without quoting the body', async () => {
    const { fetchImpl } = fetchVia((path) =>
      path === '/v1/credentials' ? new Response('<html>AUTH-KEY-ECHO</html>', { status: 502 }) : undefined,
    );
    const client = await login({ fetchImpl });
    const error = await failureOf(client.listCredentials());
    expect(error).toBeInstanceOf(SoracomApiError);
    expect(error.message).toBe('SORACOM API GET /v1/credentials failed with HTTP 502');
    expect(error.detail).toBeUndefined();
  });

  test('an error answer quoting the API key and token reaches no message: only a plain code is kept', async () => {
    let quoted = '';
    const { fetchImpl } = fetchVia((path) =>
      path === '/v1/credentials'
        ? new Response(JSON.stringify({ code: quoted, message: `token ${quoted} expired` }), { status: 403 })
        : undefined,
    );
    const client = await login({ fetchImpl });
    quoted = emulator.issuedTokens().join(' ');
    const error = await failureOf(client.listCredentials());
    expect(error.message).toBe('SORACOM API GET /v1/credentials failed with HTTP 403');
    for (const secret of [...emulator.issuedTokens(), AUTH_KEY]) expect(error.message).not.toContain(secret);
  });

  test.each<[string, unknown]>([
    ['free text', 'token abc expired'],
    ['text before a code', 'x CRD0001'],
    ['text after a code', 'CRD0001 x'],
    ['a list holding a code', ['CRD0001']],
    ['a number', 1001],
  ])('an error code that is %s is left out of the message', async (_case, code) => {
    const { fetchImpl } = fetchVia((path) =>
      path === '/v1/credentials' ? new Response(JSON.stringify({ code }), { status: 500 }) : undefined,
    );
    const client = await login({ fetchImpl });
    const error = await failureOf(client.listCredentials());
    expect(error.message).toBe('SORACOM API GET /v1/credentials failed with HTTP 500');
    expect(error.detail).toBeUndefined();
  });

  test('a 429 without a body is retried like any other', async () => {
    let limited = false;
    const { fetchImpl } = fetchVia((path) => {
      if (path !== '/v1/credentials' || limited) return undefined;
      limited = true;
      return new Response(null, {
        status: 429,
        headers: { 'x-soracom-ratelimit-seconds-before-refresh': '2' },
      });
    });
    const client = await login({ fetchImpl });
    await expect(client.listCredentials()).resolves.toEqual([]);
    expect(sleeps).toEqual([2000]);
  });

  // A fake clock, not a measured one: what is pinned is that no retry is sent before the asked wait has passed.
  test('without a sleep of its own, a 429 is retried only once the wait SORACOM asked for has passed', async () => {
    jest.useFakeTimers();
    try {
      let calls = 0;
      const fetchImpl: typeof fetch = async () => {
        calls += 1;
        return calls === 1
          ? new Response(null, {
              status: 429,
              headers: { 'x-soracom-ratelimit-seconds-before-refresh': '7' },
            })
          : new Response(JSON.stringify({ apiKey: 'api-k', token: 'token-t' }));
      };
      const client = SoracomClient.login({
        endpoint: 'https://api.soracom.io',
        authKeyId: AUTH_KEY_ID,
        authKey: AUTH_KEY,
        fetchImpl,
      });
      await jest.advanceTimersByTimeAsync(6_999);
      expect(calls).toBe(1);
      await jest.advanceTimersByTimeAsync(1);
      expect(calls).toBe(2);
      await expect(client).resolves.toBeInstanceOf(SoracomClient);
    } finally {
      jest.useRealTimers();
    }
  });
});

/*
 * Mutants of lib/soracom/api-client.ts left alive (`npm run test:mutation -- soracom-api-client`), each equivalent:
 * - L290 `nextKey !== undefined` as `true`: without a key the loop ends this turn and the seen set is never read again.
 * - L420 `body === undefined ? undefined : ...` as `false`: JSON.stringify(undefined) is undefined, the same body.
 * - L457 `raw.trim()` as `raw`: Headers strips white space around every value, so a blank header already reads ''.
 * - L541 `value === undefined` as `false` and 'missing' as "": kindOf never sees undefined (JSON holds none, and
 *   every caller handles an absent field before it describes one).
 * - L559 `accessKeyId !== undefined` as `true`: optionalString accepts undefined.
 * - L567 `credentials === undefined` as `true`, and `{ credentials }` as `{}`: `rest` already carries the same object.
 * - L600 errorCode's `catch { return undefined; }` as `catch {}`: a function that returns nothing answers undefined.
 */
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
    ['a body of white space', () => ' \n ', 'the answer is empty'],
    ['a body that is not JSON', () => '<html>proxy error</html>', 'the answer is not JSON'],
    ['an element that is not an object', json([credential, 'funnel-b']), '[1] is a string, not an object'],
    ['a type that is a number', json([{ ...credential, type: 7 }]), '[0].type is a number, not a string'],
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
    const error = await failureOf(client.listCredentials());
    expect(error).toBeInstanceOf(SoracomAnswerError);
    expect(error.name).toBe('SoracomAnswerError');
    // The whole message: nothing added after the problem (a missing field is "missing", not also "not a string").
    expect(error.message).toBe(
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

  test('listCredentials reads a credential with only its id as one of no type, no description, no credentials', async () => {
    const client = await login();
    emulator.answerOn('GET', '/v1/credentials', json([{ credentialsId: 'funnel-a' }]));
    // Strictly: an absent field stays absent, never a key holding undefined.
    expect(await client.listCredentials()).toStrictEqual([{ credentialsId: 'funnel-a', type: '' }]);
  });

  test('listCredentials keeps the description, the non-secret parts and the dates SORACOM answers', async () => {
    emulator.now = () => 1_767_225_600;
    emulator.seedCredential(
      'funnel-a',
      'aws-credentials',
      { accessKeyId: 'AKIAFIRST', secretAccessKey: SECRET_ACCESS_KEY },
      'keyless rotation',
    );
    const client = await login();
    expect(await client.listCredentials()).toStrictEqual([
      {
        credentialsId: 'funnel-a',
        type: 'aws-credentials',
        description: 'keyless rotation',
        credentials: { accessKeyId: 'AKIAFIRST' },
        createDateTime: 1_767_225_600,
        updateDateTime: 1_767_225_600,
      },
    ]);
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
    await expect(client.listGroups()).rejects.toHaveProperty(
      'message',
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

  test.each<[string, string, string]>([
    ['no API key and no token', JSON.stringify({ operatorId: 'OP1' }), 'apiKey is missing'],
    ['an API key but no token', JSON.stringify({ apiKey: 'api-k', operatorId: 'OP1' }), 'token is missing'],
    [
      'an empty token',
      JSON.stringify({ apiKey: 'api-k', token: '' }),
      'token is an empty string, not a non-empty string',
    ],
    ['a list', JSON.stringify([{ apiKey: 'api-k', token: 'token-t' }]), '(answer) is a list, not an object'],
    ['an empty body', '', 'the answer is empty'],
    ['a body that is not JSON', '<html>api-k</html>', 'the answer is not JSON'],
  ])(
    'login refuses a 200 with %s, quoting neither the auth key nor what was answered',
    async (_case, body, problem) => {
      emulator.answerOn('POST', '/v1/auth', () => body, 1);
      const error = await failureOf(login());
      expect(error.message).toBe(
        `SORACOM API POST /v1/auth answered HTTP 200 but not as documented for auth: ${problem}`,
      );
      expect(error.message).not.toContain(AUTH_KEY);
      expect(error.message).not.toContain('api-k');
    },
  );

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
    emulator.answerOn('POST', /^\/v1\/credentials\//, () => '[]', 1);
    await expect(client.createCredential('funnel-b', awsCredential('AKIAFIRST'))).rejects.toHaveProperty(
      'message',
      'SORACOM API POST /v1/credentials/funnel-b answered HTTP 201 but not as documented for createCredential: (answer) is a list, not an object',
    );
    emulator.answerOn(
      'PUT',
      /\/configuration\//,
      (group) => JSON.stringify({ ...(group as object), groupId: 'g2' }),
      1,
    );
    await expect(
      client.putGroupConfiguration('g1', 'SoracomFunnel', [{ key: 'credentialsId', value: 'funnel-a' }]),
    ).rejects.toHaveProperty(
      'message',
      'SORACOM API PUT /v1/groups/g1/configuration/SoracomFunnel answered HTTP 200 but not as documented for putConfigurationParameters: groupId is not the group the call changed',
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

  test('drops every trailing slash, so paths are never joined with "//"', () => {
    expect(checkedSoracomEndpoint('https://api.soracom.io///')).toBe('https://api.soracom.io');
  });

  test.each([
    ['http://api.soracom.io', 'http://api.soracom.io'],
    ['http://127.0.0.2:8080', 'http://127.0.0.2:8080'],
    ['http://localhost.example.com', 'http://localhost.example.com'],
    ['ftp://api.soracom.io', 'ftp://api.soracom.io'],
    // Loopback is an exception for plain http only, not for any scheme.
    ['ftp://127.0.0.1:2121', 'ftp://127.0.0.1:2121'],
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

  test.each([
    'https://user:hunter2@api.soracom.io',
    'https://user@api.soracom.io',
    'https://:hunter2@api.soracom.io',
  ])('refuses %s (a user name, a password or both) without quoting them', (endpoint) => {
    expect(() => checkedSoracomEndpoint(endpoint)).toThrow(
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
    // An epoch time in milliseconds.
    [{ 'x-soracom-ratelimit-reset': String(now + 20_000) }, 20_000],
    // A header that says nothing usable gives way to the next one: empty, not a number, negative.
    [{ 'x-soracom-ratelimit-seconds-before-refresh': '', 'retry-after': '5' }, 5_000],
    [{ 'x-soracom-ratelimit-seconds-before-refresh': 'soon', 'retry-after': '5' }, 5_000],
    [{ 'x-soracom-ratelimit-seconds-before-refresh': '-5', 'retry-after': '5' }, 5_000],
    // Zero seconds before the refresh is usable: retry now.
    [{ 'x-soracom-ratelimit-seconds-before-refresh': '0', 'retry-after': '5' }, 0],
    // On a boundary between a duration, epoch seconds and epoch milliseconds, the longer reading: never retry early.
    [{ 'retry-after': '1000000000' }, 60_000],
    [{ 'retry-after': '1000000000000' }, 60_000],
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

  test.each<[string, (normal: Record<string, unknown>) => unknown, string]>([
    ['another SIM', (n) => ({ ...n, simId: 'other' }), 'simId is not the SIM the call suspended'],
    ['no SIM id', (n) => ({ ...n, simId: undefined }), 'simId is missing'],
    [
      'a status other than suspended',
      (n) => ({ ...n, status: 'active' }),
      'status is "active", not "suspended"',
    ],
    ['no status', (n) => ({ ...n, status: undefined }), 'status is missing'],
    ['a group id that is a number', (n) => ({ ...n, groupId: 7 }), 'groupId is a number, not a string'],
    ['a list', (n) => [n], '(answer) is a list, not an object'],
  ])('never reports a SIM suspended when SORACOM answers %s', async (_case, change, problem) => {
    emulator.seedSim(SIM);
    const client = await login();
    emulator.answerOn('POST', path, (normal) => JSON.stringify(change(normal as Record<string, unknown>)));
    const error = await failureOf(client.suspendSim(SIM));
    expect(error).toBeInstanceOf(SoracomAnswerError);
    expect(error.message).toBe(
      `SORACOM API POST ${path} answered HTTP 200 but not as documented for suspendSim: ${problem}`,
    );
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

  const IMSI = '440100000000042';
  const withProfile = (n: Record<string, unknown>, profile: Record<string, unknown>) => ({
    ...n,
    profiles: { [SIM]: profile },
  });
  test.each<[string, (normal: Record<string, unknown>) => unknown, string]>([
    ['another SIM', (n) => ({ ...n, simId: 'other' }), 'simId is not the SIM asked for'],
    ['no SIM id', (n) => ({ ...n, simId: undefined }), 'simId is missing'],
    ['no status', (n) => ({ ...n, status: undefined }), 'status is missing'],
    ['a group id that is a number', (n) => ({ ...n, groupId: 7 }), 'groupId is a number, not a string'],
    ['a list', (n) => [n], '(answer) is a list, not an object'],
    ['profiles as a list', (n) => ({ ...n, profiles: [] }), 'profiles is a list, not an object'],
    [
      'a profile that is not an object',
      (n) => withProfile(n, 'x' as never),
      `profiles.${SIM} is a string, not an object`,
    ],
    [
      'an ICCID that is not digits',
      (n) => withProfile(n, { iccid: `ICCID${SIM}` }),
      `profiles.${SIM}.iccid is not a string of digits`,
    ],
    [
      'an IMSI that only ends in digits',
      (n) => withProfile(n, { iccid: SIM, primaryImsi: `IMSI ${IMSI}` }),
      `profiles.${SIM}.primaryImsi is not a string of digits`,
    ],
    [
      'subscribers as a list',
      (n) => withProfile(n, { iccid: SIM, subscribers: [] }),
      `profiles.${SIM}.subscribers is a list, not an object`,
    ],
    [
      'a subscriber that is not an object',
      (n) => withProfile(n, { iccid: SIM, subscribers: { [IMSI]: 'x' } }),
      `profiles.${SIM}.subscribers.${IMSI} is a string, not an object`,
    ],
    [
      "a subscriber's IMSI that is not digits",
      (n) => withProfile(n, { iccid: SIM, subscribers: { [IMSI]: { imsi: '4401-x' } } }),
      `profiles.${SIM}.subscribers.${IMSI}.imsi is not a string of digits`,
    ],
  ])('refuses an answer with %s', async (_case, change, problem) => {
    emulator.seedSim(SIM, 'group-a', 'active', [IMSI]);
    const client = await login();
    emulator.answerOn('GET', path, (normal) => JSON.stringify(change(normal as Record<string, unknown>)));
    const error = await failureOf(client.getSim(SIM));
    expect(error).toBeInstanceOf(SoracomAnswerError);
    expect(error.message).toBe(
      `SORACOM API GET ${path} answered HTTP 200 but not as documented for getSim: ${problem}`,
    );
  });

  test('reads null as absent (no group, no profiles), and a profile or subscriber without its own field by its key', async () => {
    const client = await login();
    emulator.seedSim(SIM);
    emulator.answerOn(
      'GET',
      path,
      () => JSON.stringify({ simId: SIM, status: 'active', groupId: null, profiles: null }),
      1,
    );
    await expect(client.getSim(SIM)).resolves.toEqual({
      simId: SIM,
      status: 'active',
      groupId: undefined,
      imsis: [],
      iccids: [],
    });
    // Two profiles listed out of order: one names neither its ICCID nor its primary IMSI, the other no subscribers.
    const profiles = {
      '8981100000000000099': { primaryImsi: null, subscribers: { '440100000000099': {} } },
      '8981100000000000011': { iccid: '8981100000000000011', primaryImsi: IMSI, subscribers: null },
    };
    emulator.answerOn('GET', path, () => JSON.stringify({ simId: SIM, status: 'active', profiles }), 1);
    await expect(client.getSim(SIM)).resolves.toEqual({
      simId: SIM,
      status: 'active',
      groupId: undefined,
      imsis: [IMSI, '440100000000099'],
      iccids: ['8981100000000000011', '8981100000000000099'],
    });
  });
});

// A redirect would take the auth key (the login's body) and the API key and token (every other request's headers)
// to wherever the Location header points, past checkedSoracomEndpoint's https-only rule: fetch keeps the body on a
// 307/308 and strips only its own credential headers (Authorization, Cookie) on a change of origin. The client
// follows no redirect; a 3xx is an answer it does not understand.
describe('a redirect from the SORACOM endpoint', () => {
  const received: string[] = [];
  const elsewhere = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      received.push(`${req.method} ${req.url} ${JSON.stringify(req.headers)} ${body}`);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ apiKey: 'api-key-elsewhere', token: 'token-elsewhere', operatorId: 'OP' }));
    });
  });
  let status = 307;
  const redirecting = createServer((req, res) => {
    req.resume();
    const port = (elsewhere.address() as AddressInfo).port;
    res.writeHead(status, { location: `http://localhost:${port}/steal${req.url}` });
    res.end();
  });
  const listen = (server: Server) =>
    new Promise<string>((resolve) =>
      server.listen(0, '127.0.0.1', () =>
        resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`),
      ),
    );
  let redirectingUrl = '';
  beforeAll(async () => {
    await listen(elsewhere);
    redirectingUrl = await listen(redirecting);
  });
  afterAll(async () => {
    await new Promise((resolve) => elsewhere.close(resolve));
    await new Promise((resolve) => redirecting.close(resolve));
  });
  beforeEach(() => {
    received.length = 0;
  });

  // 300 and 304 are not redirects fetch follows, but no 3xx is an answer the client understands (a 304 has no body).
  it.each([300, 301, 302, 303, 304, 307, 308])(
    'HTTP %i: the login fails naming the redirect, and the auth key goes nowhere else',
    async (code) => {
      status = code;
      const error = await SoracomClient.login({
        endpoint: redirectingUrl,
        authKeyId: AUTH_KEY_ID,
        authKey: AUTH_KEY,
        sleep,
      }).catch((e: unknown) => e);

      expect(received).toEqual([]);
      expect(error).toBeInstanceOf(SoracomApiError);
      expect((error as Error).message).toBe(
        `SORACOM API POST /v1/auth failed with HTTP ${code} (no redirect is followed: the request goes to the configured endpoint only)`,
      );
      expect((error as Error).message).not.toContain(AUTH_KEY);
      expect((error as Error).message).not.toContain('steal');
    },
  );

  it('another unexpected answer below 400 is not called a redirect', async () => {
    const { fetchImpl } = fetchVia((path) =>
      path === '/v1/auth' ? new Response(null, { status: 204 }) : undefined,
    );
    const error = await login({ fetchImpl }).catch((e: unknown) => e);
    expect((error as Error).message).toBe('SORACOM API POST /v1/auth failed with HTTP 204');
  });

  it('a request after the login follows none either: the token and API key stay with the endpoint', async () => {
    status = 307;
    // Log in at the stand-in, then have every later request answered with a redirect.
    const client = await SoracomClient.login({
      endpoint,
      authKeyId: AUTH_KEY_ID,
      authKey: AUTH_KEY,
      sleep,
      fetchImpl: (input, init) =>
        fetch(
          String(input).startsWith(endpoint) && String(input).endsWith('/v1/auth')
            ? input
            : `${redirectingUrl}/v1/groups`,
          init,
        ),
    });
    const error = await client.listGroups().catch((e: unknown) => e);

    expect(received).toEqual([]);
    expect((error as Error).message).toContain('HTTP 307 (no redirect is followed');
  });
});
