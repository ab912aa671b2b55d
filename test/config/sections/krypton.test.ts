import { kryptonRotationDefaults } from '../../../lib/config/sections/krypton';
import type { KeylessConfigInput } from '../../../lib/config';
import { loadConfigFile } from '../../../lib/config';
import { CONFIG_DIR, devConfig } from '../../support/cdk-app';

type KryptonInput = NonNullable<KeylessConfigInput['krypton']>;

function krypton(change: (section: Record<string, unknown>) => void) {
  return (raw: KeylessConfigInput) => change(raw.krypton as unknown as Record<string, unknown>);
}

describe('krypton config section', () => {
  it('reads the dev sample with user mode and its device', () => {
    const section = devConfig().krypton!;
    expect(section).toEqual({
      identityPoolName: 'keyless dev krypton',
      developerProviderName: 'keyless.dev.krypton',
      coverage: 'jp',
      signer: { mode: 'user', keepLegacyAccessKey: false },
      credentialId: 'keyless-dev-krypton',
      devices: [{ name: 'sim-001', mode: 'credentials' }],
      quarantinedIdentities: [],
      alarmEmails: [],
    });
  });

  it('defaults coverage to jp, the signer to user mode and devices to none', () => {
    const section = devConfig(
      krypton((k) => {
        delete k.coverage;
        delete k.signer;
        delete k.devices;
      }),
    ).krypton!;
    expect(section.coverage).toBe('jp');
    expect(section.signer).toEqual({ mode: 'user', keepLegacyAccessKey: false });
    expect(section.devices).toEqual([]);
  });

  it('accepts role mode with a SORACOM account id and an external id', () => {
    const signer: KryptonInput['signer'] = {
      mode: 'role',
      soracomAccountId: '762707677580',
      externalId: 'abc-DEF_123=+,.@:/ghi-JKL_456=+,.@:/',
    };
    expect(devConfig(krypton((k) => (k.signer = signer))).krypton!.signer).toEqual({
      ...signer,
      migratingFromUser: false,
    });
  });

  it('takes an optional Krypton endpoint override (an https URL)', () => {
    expect(devConfig().krypton!.endpoint).toBeUndefined();
    const section = devConfig(krypton((k) => (k.endpoint = 'https://krypton.example.net:8036'))).krypton!;
    expect(section.endpoint).toBe('https://krypton.example.net:8036');
  });

  it('the prod template uses role mode', () => {
    const prod = loadConfigFile(`${CONFIG_DIR}/prod.example.json`, 'prod');
    expect(prod.krypton?.signer.mode).toBe('role');
  });

  it.each([
    [
      'a developer provider name with a character Cognito refuses',
      krypton((k) => (k.developerProviderName = 'keyless/dev')),
      'config/dev.json: krypton.developerProviderName: expected 1-128 characters from a-z A-Z 0-9 _ . -, got "keyless/dev"',
    ],
    [
      'a developer provider name longer than 128 characters',
      krypton((k) => (k.developerProviderName = 'p'.repeat(129))),
      `config/dev.json: krypton.developerProviderName: expected 1-128 characters from a-z A-Z 0-9 _ . -, got "${'p'.repeat(76)}...`,
    ],
    [
      'an empty identity pool name',
      krypton((k) => (k.identityPoolName = '')),
      'config/dev.json: krypton.identityPoolName: expected 1-128 characters from a-z A-Z 0-9 _ space + = , . @ -, got ""',
    ],
    [
      'an unknown coverage',
      krypton((k) => (k.coverage = 'us')),
      'config/dev.json: krypton.coverage: expected one of: jp, global, got "us"',
    ],
    [
      'a Krypton endpoint over plain http',
      krypton((k) => (k.endpoint = 'http://krypton.soracom.io:8036')),
      'config/dev.json: krypton.endpoint: expected an https:// URL with a host, an optional port and path, and no spaces or control characters, got "http://krypton.soracom.io:8036"',
    ],
    [
      'a Krypton endpoint with a line break',
      krypton((k) => (k.endpoint = 'https://krypton.soracom.io:8036\nX-Evil: 1')),
      'config/dev.json: krypton.endpoint: expected an https:// URL with a host, an optional port and path, and no spaces or control characters, got "https://krypton.soracom.io:8036\\nX-Evil: 1"',
    ],
    [
      'an unknown signer mode',
      krypton((k) => (k.signer = { mode: 'key' })),
      'config/dev.json: krypton.signer.mode: expected mode "user" or "role", got {"mode":"key"}',
    ],
    [
      'a SORACOM account id that is not 12 digits',
      krypton((k) => (k.signer = { mode: 'role', soracomAccountId: '76270767758', externalId: 'ext-1' })),
      'config/dev.json: krypton.signer.soracomAccountId: expected a 12-digit AWS account id, got "76270767758"',
    ],
    [
      'role mode without an external id',
      krypton((k) => (k.signer = { mode: 'role', soracomAccountId: '762707677580' })),
      'config/dev.json: krypton.signer.externalId: missing; expected at least 32 characters from a-z A-Z 0-9 _ + = , . @ : / - with at least 8 different characters',
    ],
    [
      'an external id IAM refuses',
      krypton(
        (k) => (k.signer = { mode: 'role', soracomAccountId: '762707677580', externalId: 'has space' }),
      ),
      "config/dev.json: krypton.signer.externalId: expected at least 32 characters from a-z A-Z 0-9 _ + = , . @ : / - with at least 8 different characters, not a template's placeholder (replace-with…); make one with npx keyless soracom new-external-id, got a value of 9 characters (not shown in full: it is a secret)",
    ],
    [
      'role fields in user mode',
      krypton((k) => (k.signer = { mode: 'user', externalId: 'ext-1' })),
      'config/dev.json: krypton.signer.externalId: unknown key',
    ],
    [
      'a credential id with a slash',
      krypton((k) => (k.credentialId = 'keyless/dev')),
      'config/dev.json: krypton.credentialId: expected 1-100 characters from a-z A-Z 0-9 _ -, got "keyless/dev"',
    ],
    [
      'an unknown device mode',
      krypton((k) => (k.devices = [{ name: 'sim-001', mode: 'direct' }])),
      'config/dev.json: krypton.devices[0].mode: expected one of: credentials, open-id-token, got "direct"',
    ],
    [
      'two devices with one name',
      krypton((k) => (k.devices = [{ name: 'sim-001' }, { name: 'sim-002' }, { name: 'sim-001' }])),
      'config/dev.json: krypton.devices[2].name: expected a name no other Krypton device uses, got "sim-001"',
    ],
  ])('rejects %s', (_what, change, message) => {
    expect(() => devConfig(change)).toThrow(message);
  });

  it('reports every krypton problem at once', () => {
    expect(() =>
      devConfig(
        krypton((k) => {
          k.coverage = 'us';
          k.credentialId = '';
        }),
      ),
    ).toThrow(
      [
        'config/dev.json: krypton.coverage: expected one of: jp, global, got "us"',
        'config/dev.json: krypton.credentialId: expected 1-100 characters from a-z A-Z 0-9 _ -, got ""',
      ].join('\n'),
    );
  });
});

describe('krypton.rotation (issue 15: the user-mode signer key rotates; a role has none)', () => {
  const role = {
    mode: 'role',
    soracomAccountId: '762707677580',
    externalId: 'krypton-external-id-01-7fQ2mZ9xLw4R',
  };

  it('defaults to 90 and 7 days in user mode, and takes its own timing', () => {
    expect(devConfig().krypton!.rotation).toBeUndefined();
    expect(kryptonRotationDefaults()).toEqual({ periodDays: 90, graceDays: 7 });
    const section = devConfig(
      krypton((k) => {
        k.rotation = { periodDays: 30, graceDays: 3 };
        k.alarmEmails = ['iot-ops@example.com'];
      }),
    ).krypton!;
    expect(section).toMatchObject({
      rotation: { periodDays: 30, graceDays: 3 },
      alarmEmails: ['iot-ops@example.com'],
    });
  });

  it.each<[string, (raw: KeylessConfigInput) => void, string]>([
    [
      'a grace period not shorter than the period',
      krypton((k) => (k.rotation = { periodDays: 30, graceDays: 30 })),
      'config/dev.json: krypton.rotation.graceDays: expected fewer days than rotation.periodDays (30): the old key must be gone before the next rotation, got 30',
    ],
    [
      'a strategy (the signer always rotates in place into krypton.credentialId)',
      krypton((k) => (k.rotation = { strategy: { type: 'new-credential', credentialPrefix: 'x' } })),
      'config/dev.json: krypton.rotation.strategy: unknown key',
    ],
    [
      'rotation settings in role mode',
      krypton((k) => {
        k.signer = role;
        k.rotation = { periodDays: 30 };
      }),
      'config/dev.json: krypton.rotation: expected no rotation settings with signer mode role: a role has no access key to rotate (remove rotation)',
    ],
    [
      'alarm e-mails in role mode',
      krypton((k) => {
        k.signer = role;
        k.alarmEmails = ['iot-ops@example.com'];
      }),
      "config/dev.json: krypton.alarmEmails: expected no alarm e-mails with signer mode role: they receive the key rotation's alarms, and a role has no key to rotate",
    ],
    [
      'keepLegacyAccessKey in role mode',
      krypton((k) => (k.signer = { ...role, keepLegacyAccessKey: true })),
      'config/dev.json: krypton.signer.keepLegacyAccessKey: unknown key',
    ],
  ])('rejects %s', (_rule, override, message) => {
    expect(() => devConfig(override)).toThrow(message);
  });
});
