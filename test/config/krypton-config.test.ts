import type { KeylessConfigInput } from '../../lib/config';
import { loadConfigFile } from '../../lib/config';
import { CONFIG_DIR, devConfig } from '../support/cdk-app';

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
      signer: { mode: 'user' },
      credentialId: 'keyless-dev-krypton',
      devices: [{ name: 'sim-001', mode: 'credentials' }],
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
    expect(section.signer).toEqual({ mode: 'user' });
    expect(section.devices).toEqual([]);
  });

  it('accepts role mode with a SORACOM account id and an external id', () => {
    const signer: KryptonInput['signer'] = {
      mode: 'role',
      soracomAccountId: '762707677580',
      externalId: 'abc-DEF_123=+,.@:/',
    };
    expect(devConfig(krypton((k) => (k.signer = signer))).krypton!.signer).toEqual(signer);
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
      'config/dev.json: krypton.signer.externalId: missing; expected 2-1224 characters from a-z A-Z 0-9 _ + = , . @ : / -',
    ],
    [
      'an external id IAM refuses',
      krypton(
        (k) => (k.signer = { mode: 'role', soracomAccountId: '762707677580', externalId: 'has space' }),
      ),
      'config/dev.json: krypton.signer.externalId: expected 2-1224 characters from a-z A-Z 0-9 _ + = , . @ : / -, got "has space"',
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
