import { handler } from '../../../lib/functions/soracom-key-rotation';
import { parseState, serializeState } from '../../../lib/functions/soracom-key-rotation/state';
import { embeddedMetricLine, readSettings, ENV } from '../../../lib/functions/soracom-key-rotation/settings';
import { CREDENTIAL_ID, RotationWorld, UPDATE_IN_PLACE } from './rotation-world';

// The deployed entry point: module-scope SDK clients (mocked by aws-sdk-client-mock), settings from the
// environment, the SORACOM stand-in over real HTTP through SORACOM_API_ENDPOINT.
const world = new RotationWorld();
const savedEnv = { ...process.env };

beforeAll(() => world.start());
afterAll(() => world.stop());
beforeEach(() => {
  world.reset(UPDATE_IN_PLACE);
  process.env = { ...savedEnv, ...world.env(), [ENV.keyPropagationSeconds]: '0' };
});
afterEach(() => {
  process.env = savedEnv;
  world.expectNoSecretsLeaked();
});

function logRecords(): Record<string, unknown>[] {
  return world.logLines
    .flatMap((chunk) => chunk.split('\n'))
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

test('an on-demand invocation without a payload rotates, logs JSON and publishes the staleness metric', async () => {
  const result = await handler({});
  expect(result).toMatchObject({ action: 'rotate', rotated: true, deletedKeyIds: [] });
  expect(world.soracomHeldKeys()).toEqual([result.currentKeyId]);
  world.expectSoracomWorks();

  const records = logRecords();
  expect(records).toEqual(
    expect.arrayContaining([
      expect.objectContaining({
        level: 'INFO',
        service: 'funnel-key-rotation',
        message: 'SORACOM credential holds the new access key',
        credentialId: CREDENTIAL_ID,
        accessKeyId: result.currentKeyId,
      }),
    ]),
  );
  const metric = records.find((r) => '_aws' in r);
  expect(metric).toMatchObject({
    Environment: 'dev',
    SecondsSinceLastRotation: expect.any(Number),
    _aws: {
      CloudWatchMetrics: [
        {
          Namespace: 'KeylessIot/Funnel',
          Dimensions: [['Environment']],
          Metrics: [{ Name: 'SecondsSinceLastRotation', Unit: 'Seconds' }],
        },
      ],
    },
  });
});

test('the scheduled upkeep with nothing due changes nothing', async () => {
  // The deployed handler uses the real clock.
  world.clock = new Date();
  world.settled(10);
  const history = world.parameterHistory.length;
  await expect(handler({ action: 'upkeep' })).resolves.toMatchObject({ rotated: false, deletedKeyIds: [] });
  expect(world.parameterHistory).toHaveLength(history);
});

test('an empty auth key secret fails with what to put in it, and the failure is logged without secrets', async () => {
  world.secretValue = undefined;
  await expect(handler({})).rejects.toThrow(
    'The SORACOM auth key secret has no value yet: put {"authKeyId":"keyId-…","authKey":"secret-…"} in it (see docs/flows/funnel.md or docs/flows/krypton.md)',
  );
  expect(logRecords()).toEqual(
    expect.arrayContaining([
      expect.objectContaining({
        level: 'ERROR',
        message: 'Rotation failed; the previous access key stays active',
        errorName: 'Error',
      }),
    ]),
  );
});

test('a secret that is not the auth key JSON is refused without quoting it', async () => {
  world.secretValue = 'keyId-x:not-json-auth-key-value';
  const failure = handler({});
  await expect(failure).rejects.toThrow('The SORACOM auth key secret is not JSON');
  world.expectNoSecretsLeaked(['not-json-auth-key-value']);
});

test('a rejected auth key is reported as "SORACOM auth key rejected"', async () => {
  world.soracom.rejectAuth = true;
  await expect(handler({})).rejects.toThrow('SORACOM auth key rejected');
  expect(logRecords().find((r) => r.level === 'ERROR')).toMatchObject({
    errorName: 'SoracomAuthError',
    errorMessage: 'SORACOM auth key rejected',
  });
});

test('an unknown action is refused before anything runs', async () => {
  await expect(handler({ action: 'delete-everything' as never })).rejects.toThrow(
    'Unknown action delete-everything: expected "rotate", "upkeep", "ensure"',
  );
  expect(world.iamMock.calls()).toHaveLength(0);
});

describe('settings', () => {
  test('the SORACOM endpoint follows the coverage unless SORACOM_API_ENDPOINT is set', () => {
    const env = { ...world.env(), [ENV.endpoint]: '' };
    expect(readSettings(env).soracomEndpoint).toBe('https://api.soracom.io');
    expect(readSettings({ ...env, [ENV.coverage]: 'global' }).soracomEndpoint).toBe(
      'https://g.api.soracom.io',
    );
    expect(readSettings(world.env()).soracomEndpoint).toBe(world.endpoint);
  });

  test('a missing or bad variable names itself', () => {
    const env = world.env();
    delete env[ENV.userName];
    expect(() => readSettings(env)).toThrow('Environment variable IAM_USER_NAME is not set');
    expect(() => readSettings({ ...world.env(), [ENV.principal]: 'beam-proxy' })).toThrow(
      'Environment variable ROTATED_PRINCIPAL must be one of funnel-publisher, krypton-signer, got beam-proxy',
    );
    expect(() => readSettings({ ...world.env(), [ENV.strategy]: 'swap' })).toThrow(
      'Environment variable ROTATION_STRATEGY must be update-in-place or new-credential, got swap',
    );
    expect(() => readSettings({ ...world.env(), [ENV.graceDays]: '1.5' })).toThrow(
      'Environment variable ROTATION_GRACE_DAYS must be a positive whole number of days, got 1.5',
    );
  });

  test('a metric line is embedded metric format', () => {
    expect(JSON.parse(embeddedMetricLine('N', { Environment: 'dev' }, 'M', 3, 'Seconds', 1000))).toEqual({
      _aws: {
        Timestamp: 1000,
        CloudWatchMetrics: [
          { Namespace: 'N', Dimensions: [['Environment']], Metrics: [{ Name: 'M', Unit: 'Seconds' }] },
        ],
      },
      Environment: 'dev',
      M: 3,
    });
  });
});

describe('state parameter', () => {
  test('round-trips with its phase and without empty fields', () => {
    const state = { currentKeyId: 'AKIA1', previousKeyId: 'AKIA0', switchedAt: '2026-03-01T00:00:00.000Z' };
    expect(JSON.parse(serializeState(state))).toEqual({ phase: 'grace', ...state });
    expect(parseState(serializeState(state))).toEqual(state);
    expect(parseState(undefined)).toEqual({});
    expect(serializeState({ rotationStartedAt: 'x' })).toBe('{"phase":"creating","rotationStartedAt":"x"}');
  });

  test('a damaged value fails loudly instead of being reset', () => {
    expect(() => parseState('{oops')).toThrow('The rotation state parameter is not JSON');
    expect(() => parseState('[]')).toThrow('The rotation state parameter is not a JSON object');
    expect(() => parseState('{"currentKeyId":1}')).toThrow(
      'The rotation state field currentKeyId is not a string',
    );
  });
});
