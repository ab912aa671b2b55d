import type { KeylessConfigInput } from '../../../lib/config';
import { devConfig, shippedConfigs } from '../../support/cdk-app';

function funnel(change: (section: Record<string, unknown>) => void) {
  return (raw: KeylessConfigInput) => change(raw.funnel as unknown as Record<string, unknown>);
}
function rotation(change: (section: Record<string, unknown>) => void) {
  return funnel((f) => change(f.rotation as Record<string, unknown>));
}

describe('funnel config section', () => {
  it('reads the dev sample', () => {
    expect(devConfig().funnel).toEqual({
      topicPrefix: 'funnel/dev',
      coverage: 'jp',
      publisher: { mode: 'user' },
      rotation: {
        periodDays: 90,
        graceDays: 7,
        strategy: { type: 'update-in-place', credentialId: 'keyless-dev-funnel' },
      },
      alarmEmails: ['iot-ops@example.com'],
    });
  });

  it('defaults coverage to jp, 90/7 days and no alarm e-mails', () => {
    const section = devConfig(
      funnel((f) => {
        delete f.coverage;
        delete f.alarmEmails;
        const r = f.rotation as Record<string, unknown>;
        delete r.periodDays;
        delete r.graceDays;
      }),
    ).funnel!;
    expect(section).toMatchObject({
      coverage: 'jp',
      alarmEmails: [],
      rotation: { periodDays: 90, graceDays: 7 },
    });
  });

  it('is optional: no section, no Funnel', () => {
    expect(devConfig((raw) => delete raw.funnel).funnel).toBeUndefined();
  });

  it.each<[string, (raw: KeylessConfigInput) => void, string]>([
    [
      'topic prefix with a wildcard',
      funnel((f) => (f.topicPrefix = 'funnel/#')),
      'config/dev.json: funnel.topicPrefix: expected an MQTT topic prefix such as funnel/devices (no wildcards, no trailing /), got "funnel/#"',
    ],
    [
      'topic prefix with a trailing slash',
      funnel((f) => (f.topicPrefix = 'funnel/')),
      'config/dev.json: funnel.topicPrefix: expected an MQTT topic prefix such as funnel/devices (no wildcards, no trailing /), got "funnel/"',
    ],
    [
      'coverage',
      funnel((f) => (f.coverage = 'us')),
      'config/dev.json: funnel.coverage: expected one of: jp, global, got "us"',
    ],
    [
      'period',
      rotation((r) => (r.periodDays = 0)),
      'config/dev.json: funnel.rotation.periodDays: expected an integer from 1 to 365 days, got 0',
    ],
    [
      'grace period not shorter than the period',
      rotation((r) => (r.graceDays = 90)),
      'config/dev.json: funnel.rotation.graceDays: expected fewer days than rotation.periodDays (90): the old key must be gone before the next rotation, got 90',
    ],
    [
      'strategy type',
      rotation((r) => (r.strategy = { type: 'swap' })),
      'config/dev.json: funnel.rotation.strategy.type: expected type "update-in-place" or "new-credential", got {"type":"swap"}',
    ],
    [
      'credential id',
      rotation((r) => (r.strategy = { type: 'update-in-place', credentialId: 'bad id' })),
      'config/dev.json: funnel.rotation.strategy.credentialId: expected 1-100 characters from a-z A-Z 0-9 _ -, got "bad id"',
    ],
    [
      'credential prefix',
      rotation((r) => (r.strategy = { type: 'new-credential', credentialPrefix: 'a/b' })),
      'config/dev.json: funnel.rotation.strategy.credentialPrefix: expected 1-90 characters from a-z A-Z 0-9 _ -, got "a/b"',
    ],
    [
      'alarm e-mail',
      funnel((f) => (f.alarmEmails = ['ops'])),
      'config/dev.json: funnel.alarmEmails[0]: expected an e-mail address, got "ops"',
    ],
  ])('rejects a bad %s', (_rule, override, message) => {
    expect(() => devConfig(override)).toThrow(message);
  });

  // The IoT policy gives every device things/<thing>/…; the Funnel principal's key lives at SORACOM.
  describe("topicPrefix stays out of the devices' topic space", () => {
    const message = (value: string) =>
      `config/dev.json: funnel.topicPrefix: expected a topic prefix outside things/… in any letter case ` +
      `(devices publish and subscribe under things/<thing>/; the Funnel principal, whose key SORACOM holds, ` +
      `must not reach device topics), got "${value}"`;

    it.each(['things', 'things/x', 'things/sensor-001/telemetry', 'Things', 'THINGS/x'])(
      'refuses %s',
      (prefix) => {
        expect(() => devConfig(funnel((f) => (f.topicPrefix = prefix)))).toThrow(message(prefix));
      },
    );

    it.each(['thingsx', 'things-data/x', 'funnel/things', 'x/things/y'])('accepts %s', (prefix) => {
      expect(devConfig(funnel((f) => (f.topicPrefix = prefix))).funnel?.topicPrefix).toBe(prefix);
    });
  });

  // The rotation overwrites (update-in-place) or takes as its own (new-credential) the ids it manages.
  describe("the Funnel credential can never be Krypton's (krypton.credentialId keyless-dev-krypton)", () => {
    it.each(['keyless-dev-krypton', 'Keyless-Dev-Krypton'])('update-in-place refuses %s', (id) => {
      expect(() =>
        devConfig(rotation((r) => (r.strategy = { type: 'update-in-place', credentialId: id }))),
      ).toThrow(
        `config/dev.json: funnel.rotation.strategy.credentialId: expected a SORACOM credential id other than ` +
          `krypton.credentialId (keyless-dev-krypton, in any letter case): the rotation would overwrite the ` +
          `credential Krypton signs with, got "${id}"`,
      );
    });

    it.each<[string, string]>([
      ['keyless-dev', 'keyless-dev-260301'],
      ['keyless-dev', 'keyless-dev-260301-120000'],
      ['KEYLESS-dev', 'keyless-dev-991231'],
    ])('new-credential refuses prefix %s when Krypton uses %s', (prefix, kryptonId) => {
      expect(() =>
        devConfig((raw) => {
          raw.krypton!.credentialId = kryptonId;
          (raw.funnel!.rotation as Record<string, unknown>).strategy = {
            type: 'new-credential',
            credentialPrefix: prefix,
          };
        }),
      ).toThrow(
        `config/dev.json: funnel.rotation.strategy.credentialPrefix: expected a prefix whose credential ids ` +
          `(${prefix}-<yyMMdd>[-HHmmss]) can never be krypton.credentialId (${kryptonId}, in any letter case): ` +
          `the rotation would take the credential Krypton signs with for one of its own, got "${prefix}"`,
      );
    });

    it.each<[string, string]>([
      ['keyless-dev', 'keyless-dev-krypton'],
      ['keyless-dev', 'keyless-dev-261301'],
      ['keyless-dev-krypton', 'keyless-dev-krypton'],
    ])('new-credential accepts prefix %s when Krypton uses %s', (prefix, kryptonId) => {
      const config = devConfig((raw) => {
        raw.krypton!.credentialId = kryptonId;
        (raw.funnel!.rotation as Record<string, unknown>).strategy = {
          type: 'new-credential',
          credentialPrefix: prefix,
        };
      });
      expect(config.funnel?.rotation?.strategy).toEqual({ type: 'new-credential', credentialPrefix: prefix });
    });
  });
});

describe('funnel.publisher (issue 15: role mode has no key, and so no rotation)', () => {
  const role = {
    mode: 'role',
    soracomAccountId: '762707677580',
    externalId: 'funnel-external-id-0001-Hc8Vt3Kp6Ny',
    credentialId: 'keyless-dev-funnel-role',
  };
  const roleMode = (extra: Record<string, unknown> = {}) =>
    funnel((f) => {
      f.publisher = { ...role, ...extra };
      delete f.rotation;
      f.alarmEmails = [];
    });

  it('accepts role mode with no rotation and no alarm e-mails', () => {
    expect(devConfig(roleMode()).funnel).toMatchObject({
      publisher: { ...role, migratingFromUser: false },
      alarmEmails: [],
    });
    expect(devConfig(roleMode()).funnel?.rotation).toBeUndefined();
  });

  it.each<[string, (raw: KeylessConfigInput) => void, string]>([
    [
      'rotation settings in role mode',
      funnel((f) => (f.publisher = role)),
      'config/dev.json: funnel.rotation: expected no rotation settings with publisher mode role: a role has no access key to rotate (remove rotation)',
    ],
    [
      'alarm e-mails in role mode',
      funnel((f) => {
        f.publisher = role;
        delete f.rotation;
      }),
      "config/dev.json: funnel.alarmEmails: expected no alarm e-mails with publisher mode role: they receive the key rotation's alarms, and a role has no key to rotate",
    ],
    [
      'user mode without rotation settings',
      funnel((f) => delete f.rotation),
      'config/dev.json: funnel.rotation: missing; expected rotation settings ({"periodDays","graceDays","strategy"}): publisher mode user rotates the access key SORACOM holds (or use publisher mode role, which has no key)',
    ],
    [
      'mode',
      funnel((f) => (f.publisher = { mode: 'key' })),
      'config/dev.json: funnel.publisher.mode: expected mode "user" or "role"',
    ],
    [
      'SORACOM account id',
      roleMode({ soracomAccountId: '7627076775' }),
      'config/dev.json: funnel.publisher.soracomAccountId: expected a 12-digit AWS account id, got "7627076775"',
    ],
    [
      'external id',
      roleMode({ externalId: 'x' }),
      "config/dev.json: funnel.publisher.externalId: expected at least 32 characters from a-z A-Z 0-9 _ + = , . @ : / - with at least 8 different characters, not a template's placeholder (replace-with…); make one with npx keyless soracom new-external-id, got a value of 1 character (not shown in full: it is a secret)",
    ],
    [
      'missing credential id',
      roleMode({ credentialId: undefined }),
      'config/dev.json: funnel.publisher.credentialId:',
    ],
    [
      "Krypton's credential id (it would overwrite the credential Krypton signs with)",
      roleMode({ credentialId: 'Keyless-Dev-Krypton' }),
      'config/dev.json: funnel.publisher.credentialId: expected a SORACOM credential id other than krypton.credentialId (keyless-dev-krypton, in any letter case): registering the Funnel role would overwrite the credential Krypton signs with, got "Keyless-Dev-Krypton"',
    ],
    [
      'field a user has no use for',
      funnel((f) => (f.publisher = { mode: 'user', externalId: 'funnel-external-id-0001' })),
      'config/dev.json: funnel.publisher.externalId: unknown key',
    ],
  ])('rejects %s', (_rule, override, message) => {
    expect(() => devConfig(override)).toThrow(message);
  });

  // A Funnel credential id is checked against Krypton's only when there is one.
  // Equivalent mutant: `kryptonId !== undefined` as `true` for new-credential (schema.ts line 128):
  // `couldCreate(undefined)` tests the text "undefined", which no dated credential id matches.
  // Equivalent mutants: a cross-check's issue `code: 'custom'` as `""` (lib/config/schema.ts, deployment.ts,
  // soracom-principal.ts): the loader reads the code of zod's own issues only, and prints path and message alike.
  it.each<[string, (raw: KeylessConfigInput) => void]>([
    [
      'update-in-place',
      rotation((r) => (r.strategy = { type: 'update-in-place', credentialId: 'keyless-dev-krypton' })),
    ],
    [
      'new-credential',
      rotation((r) => (r.strategy = { type: 'new-credential', credentialPrefix: 'keyless-dev' })),
    ],
    ['role mode', roleMode({ credentialId: 'keyless-dev-krypton' })],
  ])('with no Krypton section, %s may use any credential id', (_mode, override) => {
    const config = devConfig((raw) => {
      override(raw);
      delete raw.krypton;
    });
    expect(config.krypton).toBeUndefined();
    expect(config.funnel).toBeDefined();
  });

  it('the prod template uses role mode with its own credential set', () => {
    const prod = shippedConfigs().find((c) => c.envName === 'prod')!;
    expect(prod.funnel?.publisher).toMatchObject({ mode: 'role', soracomAccountId: '762707677580' });
    expect(prod.funnel?.rotation).toBeUndefined();
  });
});
