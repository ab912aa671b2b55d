import { SoracomApiEmulator } from '../emulators/soracom-api';

// The stand-in itself: what the rotation and CLI tests rely on when they point real HTTP at it.
const emulator = new SoracomApiEmulator();
let endpoint: string;

beforeAll(async () => {
  endpoint = await emulator.start();
});
afterAll(() => emulator.stop());
beforeEach(() => {
  emulator.reset();
  emulator.authKeys.set('keyId-1', 'auth-key-1');
});

async function session(): Promise<Record<string, string>> {
  const response = await fetch(`${endpoint}/v1/auth`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ authKeyId: 'keyId-1', authKey: 'auth-key-1' }),
  });
  const { apiKey, token } = (await response.json()) as { apiKey: string; token: string };
  return { 'X-Soracom-API-Key': apiKey, 'X-Soracom-Token': token, 'content-type': 'application/json' };
}

test('calls without a valid API key and token answer 401', async () => {
  const response = await fetch(`${endpoint}/v1/credentials`, {
    headers: { 'X-Soracom-API-Key': 'x', 'X-Soracom-Token': 'y' },
  });
  expect(response.status).toBe(401);
});

test('a wrong auth key answers 401', async () => {
  const response = await fetch(`${endpoint}/v1/auth`, {
    method: 'POST',
    body: JSON.stringify({ authKeyId: 'keyId-1', authKey: 'wrong' }),
  });
  expect(response.status).toBe(401);
});

test('seeded credentials are listed without their secret parts', async () => {
  emulator.seedCredential('funnel', 'aws-credentials', { accessKeyId: 'AKIA1', secretAccessKey: 'hidden' });
  const response = await fetch(`${endpoint}/v1/credentials`, { headers: await session() });
  const body = (await response.json()) as unknown[];
  expect(body).toEqual([
    expect.objectContaining({ credentialsId: 'funnel', credentials: { accessKeyId: 'AKIA1' } }),
  ]);
  expect(JSON.stringify(body)).not.toContain('hidden');
});

test('group pages never exceed the page size and end without a next key', async () => {
  emulator.groupPageSize = 2;
  for (const id of ['a', 'b', 'c']) emulator.seedGroup(id);
  const headers = await session();
  const first = await fetch(`${endpoint}/v1/groups?limit=50`, { headers });
  expect(((await first.json()) as unknown[]).length).toBe(2);
  expect(first.headers.get('x-soracom-next-key')).toBe('b');
  const last = await fetch(`${endpoint}/v1/groups?limit=50&last_evaluated_key=b`, { headers });
  expect(((await last.json()) as { groupId: string }[]).map((g) => g.groupId)).toEqual(['c']);
  expect(last.headers.get('x-soracom-next-key')).toBeNull();
  emulator.groupPageSize = 100;
});

test('429 carries the rate-limit headers; injected failures hit only their method and path, N times', async () => {
  const headers = await session();
  emulator.rateLimit(1, 30);
  const limited = await fetch(`${endpoint}/v1/credentials`, { headers });
  expect(limited.status).toBe(429);
  expect(limited.headers.get('x-soracom-ratelimit-seconds-before-refresh')).toBe('30');
  expect(limited.headers.get('x-soracom-ratelimit-remaining')).toBe('0');

  emulator.failOn('DELETE', /^\/v1\/credentials\/f/, 503, 1);
  emulator.seedCredential('funnel', 'aws-credentials', { accessKeyId: 'AKIA1', secretAccessKey: 's' });
  expect((await fetch(`${endpoint}/v1/credentials`, { headers })).status).toBe(200);
  expect((await fetch(`${endpoint}/v1/credentials/funnel`, { method: 'DELETE', headers })).status).toBe(503);
  expect((await fetch(`${endpoint}/v1/credentials/funnel`, { method: 'DELETE', headers })).status).toBe(204);
  expect(emulator.requests.map((r) => r.status)).toEqual([200, 429, 200, 503, 204]);
  expect(emulator.requests.every((r) => r.body === undefined)).toBe(true);
});
