import { readFileSync, writeFileSync } from 'node:fs';
import type { z } from 'zod';
import { httpsUrl, iotName, region, roleAliasName } from '../../lib/config/rules';
import { ProcessResult, runProcess } from '../support/run-process';
import { HELPER, helperEnv, runHelper } from './device-fixture';
import { startedDeviceFixture } from './shells';

/**
 * The helper's config pass checks every value with the backend's own rules (docs/device-helper.md#config):
 * names as lib/config/rules.ts, endpoints as https URLs, paths as absolute paths, and no control character in
 * any value — so a CR or LF can never become an extra HTTP header.
 */
const fixture = startedDeviceFixture(['dash', 'busybox', 'jq', 'curl', 'flock', 'openssl']);
/** A closed port on loopback: a config that passes the checks fails fast with exit 5, never 3. */
const CLOSED = 'https://127.0.0.1:1';
const QUICK = helperEnv({ KEYLESS_MAX_ATTEMPTS: '1', KEYLESS_CONNECT_TIMEOUT: '2' });

function printableLine(result: ProcessResult): string {
  const line = fixture.oneStderrLineWithoutSecrets(result);
  expect(line).toMatch(/^[\x20-\x7e]*$/);
  return line;
}

describe('the helper and lib/config/rules.ts agree on names', () => {
  // Each table holds values the backend accepts and values it refuses: Unicode letters and digits (jq's regex
  // engine would take them for \w and \d), a trailing newline (its $ matches before one), lengths at the edge.
  const tables: Record<'thingName' | 'roleAlias' | 'region', { rule: z.ZodType; values: unknown[] }> = {
    thingName: {
      rule: iotName,
      values: [
        'sensor-0001', 'a', 'A:b_c-d', '0', '::', 'x'.repeat(128),
        '', 'x'.repeat(129), 'sensor 1', 'sensor-0001\r\nx-evil: 1', 'sensor-0001\n', 'sensör', 'sensor.1',
        'a/b', '\u0661', '\uff41', 'sensor\u0000', 'sensor\t', 42, true, ['sensor'],
      ],
    },
    roleAlias: {
      rule: roleAliasName,
      values: [
        'KeylessIot-dev-DeviceRoleAlias', 'a=b,c@d_e-f', '_', 'x'.repeat(128),
        '', 'x'.repeat(129), 'alias.name', 'alias/x', 'alias+x', 'alias x', 'alias\n', 'aliasé', '\u0661',
        'ab\r', 7, null,
      ],
    },
    region: {
      rule: region,
      values: [
        'ap-northeast-1', 'us-gov-west-1', 'us-isob-east-1', 'eu-central-2', 'il-central-1', 'mx-central-1',
        'ap-southeast-12',
        'tokyo', 'ap-northeast-1\n', 'AP-NORTHEAST-1', 'ap-northeast-123', 'ap-northeast', 'cn-north-1',
        'ap-northeast-\u0661', ' ap-northeast-1', 'ap-northeast-1 ', '', 1,
      ],
    },
  }; // prettier-ignore
  const fields = { thingName: 'x509.thingName', roleAlias: 'x509.roleAlias', region: 'region' } as const;

  test('on every value of the table (several fields per run: the helper reports every problem at once)', async () => {
    const backend: Record<string, { value: unknown; valid: boolean }[]> = {};
    const helper: Record<string, { value: unknown; valid: boolean }[]> = {};
    const keys = Object.keys(tables) as (keyof typeof tables)[];
    for (const key of keys) {
      backend[key] = tables[key].values.map((value) => ({
        value,
        valid: tables[key].rule.safeParse(value).success,
      }));
      helper[key] = [];
    }
    const runs = Math.max(...keys.map((key) => tables[key].values.length));
    for (let i = 0; i < runs; i += 1) {
      const pick = (key: keyof typeof tables, fallback: string) =>
        i < tables[key].values.length ? tables[key].values[i] : fallback;
      const config = fixture.writeConfig('x509', {
        region: pick('region', 'ap-northeast-1'),
        x509: {
          endpoint: CLOSED,
          thingName: pick('thingName', 'sensor-0001'),
          roleAlias: pick('roleAlias', 'KeylessIot-dev-DeviceRoleAlias'),
        },
      });
      const result = await runHelper(config, { shell: i % 2 ? ['busybox', 'sh'] : ['dash'], env: QUICK });
      expect([3, 5]).toContain(result.code);
      for (const key of keys) {
        if (i >= tables[key].values.length) continue;
        const named = new RegExp(`(: |; )${fields[key].replace('.', '\\.')} (must|is missing)`).test(
          result.stderr,
        );
        helper[key].push({ value: tables[key].values[i], valid: result.code === 5 || !named });
      }
    }
    expect(helper).toEqual(backend);
  });
});

describe('the helper and lib/config/rules.ts agree on endpoint URLs', () => {
  // The helper's URL_RE, assembled by the helper's own lines and run by jq as the config pass runs it, against
  // httpsUrl: the bundle never writes an endpoint (krypton.endpoint from the config) the device refuses.
  const values = [
    'https://krypton.soracom.io:8036', 'https://abc-ats.credentials.iot.ap-northeast-1.amazonaws.com',
    'https://127.0.0.1:1', 'https://[::1]:443', 'https://h', 'https://h:65535', 'https://h/a/b_c~d;e=f@g',
    'https://h:1/', 'https://a.b.c/path%20x',
    'http://krypton.soracom.io:8036', 'https://', 'https://h:0', 'https://h:65536', 'https://h:080',
    'https://user:pw@h', 'https://h?x=1', 'https://h#f', 'https://h/ a', 'https://h\n', 'https://h\r\nX: 1',
    'https://-h', 'https://h-', 'https://h_h', 'https://hé', 'https://[::1', 'HTTPS://h', ' https://h', '',
  ]; // prettier-ignore

  test('on every value of the table', async () => {
    const helper = readFileSync(HELPER, 'utf8');
    const lines = helper.split('\n').filter((line) => /^(HOST_RE|PORT_RE|URL_RE)=/.test(line));
    expect(lines).toHaveLength(3);
    const script = `${lines.join('\n')}\nexec jq -c --arg re "$URL_RE" 'map(test($re))'`;
    const result = await runProcess('dash', ['-c', script], { input: JSON.stringify(values) });
    expect(result.stderr).toBe('');
    const helperVerdicts = JSON.parse(result.stdout) as boolean[];

    expect(values.map((value, i) => [value, helperVerdicts[i]])).toEqual(
      values.map((value) => [value, httpsUrl.safeParse(value).success]),
    );
    expect(helperVerdicts.filter(Boolean)).toHaveLength(9);
  });
});

describe('a CR or LF in any config value is exit 3, and nothing is sent', () => {
  test('a thing name carrying a second header line never reaches the endpoint', async () => {
    const config = fixture.writeConfig('x509', { x509: { thingName: 'sensor-0001\r\nx-evil: 1' } });
    const before = fixture.credentialsProvider.requests;

    const result = await runHelper(config);

    expect(fixture.credentialsProvider.requests).toBe(before);
    expect(fixture.credentialsProvider.lastRequest?.headers['x-evil']).toBeUndefined();
    expect(result.code).toBe(3);
    expect(result.stdout).toBe('');
    expect(printableLine(result)).toBe(
      `keyless-credentials: ${config}: x509.thingName must be 1-128 characters from a-z A-Z 0-9 : _ -, got "sensor-0001\\r\\nx-evil: 1"`,
    );
  });

  test.each([
    ['source', { source: 'x509\n' }, 'source must be "x509" or "krypton", got "x509\\n"'],
    ['region', { region: 'ap-northeast-1\n' }, 'region must be an AWS region such as ap-northeast-1, got "ap-northeast-1\\n"'],
    ['x509.endpoint', { x509: { endpoint: `${CLOSED}\r\nHost: evil` } }, 'x509.endpoint must be an https:// URL'],
    ['x509.roleAlias', { x509: { roleAlias: 'Alias\r' } }, 'x509.roleAlias must be 1-128 characters'],
    ['x509.certFile', { x509: { certFile: '/etc/cert.pem\n' } }, 'x509.certFile must be an absolute path without control characters, got "/etc/cert.pem\\n"'],
    ['x509.keyFile', { x509: { keyFile: '/etc/\rkey.pem' } }, 'x509.keyFile must be an absolute path'],
    ['x509.caFile', { x509: { caFile: '/etc/ca.pem\n' } }, 'x509.caFile must be an absolute path'],
    ['cacheDir', { cacheDir: '/var/cache/keyless\n' }, 'cacheDir must be an absolute path'],
    ['s3.prefix (a section only the examples read)', { s3: { bucket: 'b', prefix: 'things/\nx/' } }, 's3.prefix must not contain control characters (CR, LF, ESC, ...), got "things/\\nx/"'],
    ['a key', { extra: { 'bad\nkey': 1 } }, '["extra","bad\\nkey"]: a key must not contain control characters'],
  ])('%s', async (_field, overrides, message) => {
    const config = fixture.writeConfig('x509', overrides);
    const before = fixture.credentialsProvider.requests;

    const result = await runHelper(config, { shell: ['busybox', 'sh'] });

    expect(result.code).toBe(3);
    expect(printableLine(result)).toContain(message);
    expect(fixture.credentialsProvider.requests).toBe(before);
  }); // prettier-ignore

  test.each([
    ['krypton.endpoint', { krypton: { endpoint: `${CLOSED}\n` } }],
    ['krypton.mode', { krypton: { mode: 'credentials\n' } }],
    ['krypton.cognitoEndpoint', { krypton: { cognitoEndpoint: `${CLOSED}/\r\n` } }],
    ['krypton.caFile', { krypton: { caFile: '/ca.pem\r' } }],
    ['krypton.cognitoCaFile', { krypton: { cognitoCaFile: '/ca.pem\n' } }],
    ['krypton.coverage', { krypton: { coverage: 'jp\n' } }],
  ])('%s (Krypton)', async (field, overrides) => {
    const config = fixture.writeConfig('krypton-open-id-token', overrides);
    const before = fixture.krypton.requests;

    const result = await runHelper(config);

    expect(result.code).toBe(3);
    expect(printableLine(result)).toContain(`: ${field} must`);
    expect(fixture.krypton.requests).toBe(before);
  });
});

describe('other config values', () => {
  test.each([
    ['https://user@127.0.0.1:1', false],
    ['https://127.0.0.1:99999', false],
    ['https://127.0.0.1:0', false],
    ['https:///path', false],
    ['https://127.0.0.1:1/a path', false],
    ['https://127.0.0.1:1?x=1', false],
    ['https://127.0.0.1:1#frag', false],
    ['https://-host', false],
    ['http://127.0.0.1:1', false],
    ['https://127.0.0.1:1', true],
    ['https://localhost:1/', true],
    ['https://[::1]:1', true],
    ['https://127.0.0.1:1/prefix/', true],
  ])('endpoint %j accepted: %s', async (endpoint, accepted) => {
    const result = await runHelper(fixture.writeConfig('x509', { x509: { endpoint } }), { env: QUICK });
    if (accepted) {
      expect(result.code).toBe(5);
    } else {
      expect(result.code).toBe(3);
      // What precedes an @ in the authority (a user name, a password) is never shown.
      const shown = endpoint.replace(/\/\/[^/]*@/, '//...@');
      expect(printableLine(result)).toContain(
        `x509.endpoint must be an https:// URL with a host, an optional port and path, and no spaces or control characters, got ${JSON.stringify(shown)}`,
      );
    }
  });

  test('relative paths are refused: the helper runs from whatever directory its caller is in', async () => {
    const config = fixture.writeConfig('x509', { x509: { certFile: 'certs/cert.pem' }, cacheDir: 'cache' });
    const result = await runHelper(config);
    expect(result.code).toBe(3);
    expect(printableLine(result)).toBe(
      `keyless-credentials: ${config}: cacheDir must be an absolute path without control characters, got "cache"; x509.certFile must be an absolute path without control characters, got "certs/cert.pem"`,
    );
  });

  test('non-ASCII and C1 controls are shown as ?, huge values cut, on one printable line', async () => {
    const config = fixture.writeConfig('x509', {
      x509: { thingName: 'é\u009b[2J', roleAlias: 'y'.repeat(100000) },
    });
    const result = await runHelper(config);
    expect(result.code).toBe(3);
    expect(printableLine(result)).toBe(
      `keyless-credentials: ${config}: x509.roleAlias must be 1-128 characters from a-z A-Z 0-9 _ = , @ -, got "${'y'.repeat(79)}...; x509.thingName must be 1-128 characters from a-z A-Z 0-9 : _ -, got "????[2J"`,
    );
  });

  test('a config file with a control character outside any string, or not UTF-8, is not JSON (exit 3)', async () => {
    const config = fixture.writeConfig('x509');
    writeFileSync(config, Buffer.from('{"source":\u001b"x509"}'));
    const result = await runHelper(config);
    expect(result.code).toBe(3);
    expect(printableLine(result)).toMatch(/is not valid JSON \(.*\)$/);
  });
});
