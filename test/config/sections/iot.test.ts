import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseConfig, type KeylessConfigInput } from '../../../lib/config';
import { CONFIG_DIR, devConfig } from '../../support/cdk-app';
import { devConfigProblems } from '../../support/config-problems';
import { EC_P256, EC_SECP256K1, opensslCsr, RSA_1024, tamperedCsr } from '../../support/csr-files';

type Iot = NonNullable<KeylessConfigInput['iot']>;
type Thing = NonNullable<Iot['things']>[number];

const iotOf = (raw: KeylessConfigInput): Iot => raw.iot!;
const thingsOf = (raw: KeylessConfigInput): Thing[] => iotOf(raw).things!;

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keyless-iot-config-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('iot section rules', () => {
  it.each<[string, (raw: KeylessConfigInput) => void, string]>([
    [
      'alias duration below 900 seconds',
      (raw) => (iotOf(raw).roleAlias.credentialDurationSeconds = 899),
      'config/dev.json: iot.roleAlias.credentialDurationSeconds: expected an integer from 900 to 43200 seconds, got 899',
    ],
    [
      'alias duration above 43200 seconds',
      (raw) => (iotOf(raw).roleAlias.credentialDurationSeconds = 43201),
      'config/dev.json: iot.roleAlias.credentialDurationSeconds: expected an integer from 900 to 43200 seconds, got 43201',
    ],
    [
      "alias duration longer than the role's maximum session",
      (raw) => (iotOf(raw).roleAlias.credentialDurationSeconds = 7200),
      "config/dev.json: iot.roleAlias.credentialDurationSeconds: expected at most iot.role.maxSessionDurationSeconds (3600): the credentials provider cannot issue credentials that outlive the role's maximum session, got 7200",
    ],
    [
      'role MaxSessionDuration below 3600 seconds',
      (raw) => (iotOf(raw).role = { maxSessionDurationSeconds: 1800 }),
      'config/dev.json: iot.role.maxSessionDurationSeconds: expected an integer from 3600 to 43200 seconds, got 1800',
    ],
    [
      'role MaxSessionDuration above 43200 seconds',
      (raw) => (iotOf(raw).role = { maxSessionDurationSeconds: 50000 }),
      'config/dev.json: iot.role.maxSessionDurationSeconds: expected an integer from 3600 to 43200 seconds, got 50000',
    ],
    [
      'role alias name',
      (raw) => (iotOf(raw).roleAlias.name = 'my alias!'),
      'config/dev.json: iot.roleAlias.name: expected 1-128 characters from a-z A-Z 0-9 _ = , @ -, got "my alias!"',
    ],
    [
      'thing name',
      (raw) => (thingsOf(raw)[0].name = 'sensor/001'),
      'config/dev.json: iot.things[0].name: expected 1-128 characters from a-z A-Z 0-9 : _ -, got "sensor/001"',
    ],
    [
      'thing name longer than 128 characters',
      (raw) => (thingsOf(raw)[0].name = 'x'.repeat(129)),
      `config/dev.json: iot.things[0].name: expected 1-128 characters from a-z A-Z 0-9 : _ -, got "${'x'.repeat(76)}...`,
    ],
    [
      'duplicate thing name',
      (raw) => (thingsOf(raw)[1].name = 'sensor-001'),
      'config/dev.json: iot.things[1].name: expected a unique thing name (also used by iot.things[0]), got "sensor-001"',
    ],
    [
      'thing attribute name',
      (raw) => (thingsOf(raw)[0].attributes = { Owner: 'keyless', 'bad name': 'x' }),
      'config/dev.json: iot.things[0].attributes.bad name: expected 1-128 characters from a-z A-Z 0-9 _ . , @ / : # -, got "bad name"',
    ],
    [
      'thing attribute value',
      (raw) => (thingsOf(raw)[0].attributes = { Owner: 'keyless', Site: 'tokyo bay' }),
      'config/dev.json: iot.things[0].attributes.Site: expected at most 800 characters from a-z A-Z 0-9 _ . , @ / : # = [ ] -, got "tokyo bay"',
    ],
    [
      'more than 3 thing attributes',
      (raw) => (thingsOf(raw)[0].attributes = { Owner: 'keyless', A: '1', B: '2', C: '3' }),
      'config/dev.json: iot.things[0].attributes: expected at most 3 attributes (CloudFormation creates a thing before its thing type is set, and an untyped thing holds at most 3), got {"Owner":"keyless","A":"1","B":"2","C":"3"}',
    ],
    [
      'thing without a required attribute',
      (raw) => (thingsOf(raw)[1].attributes = { Site: 'osaka' }),
      'config/dev.json: iot.things[1].attributes.Owner: expected "keyless" (iot.policy.requiredAttributes): without it the IoT policy never gives this thing credentials, got undefined',
    ],
    [
      'required attribute name',
      (raw) => (iotOf(raw).policy.requiredAttributes = { 'Own er': 'x' }),
      'config/dev.json: iot.policy.requiredAttributes.Own er: expected 1-128 characters from a-z A-Z 0-9 _ . , @ / : # -, got "Own er"',
    ],
    [
      'thing type name',
      (raw) => (iotOf(raw).thingType.name = 'Keyless Sensor'),
      'config/dev.json: iot.thingType.name: expected 1-128 characters from a-z A-Z 0-9 : _ -, got "Keyless Sensor"',
    ],
    [
      'more than 3 searchable attributes',
      (raw) => (iotOf(raw).thingType.searchableAttributes = ['a', 'b', 'c', 'd']),
      'config/dev.json: iot.thingType.searchableAttributes: expected at most 3 searchable attributes, got ["a","b","c","d"]',
    ],
    [
      'IoT policy name',
      (raw) => (iotOf(raw).policy.name = 'device policy'),
      'config/dev.json: iot.policy.name: expected 1-128 characters from a-z A-Z 0-9 _ + = , . @ -, got "device policy"',
    ],
    [
      'certificate status',
      (raw) => (thingsOf(raw)[0].status = 'ACTIVE' as never),
      'config/dev.json: iot.things[0].status: expected one of: active, inactive, revoked, got "ACTIVE"',
    ],
    [
      'quarantine flag',
      (raw) => (thingsOf(raw)[0].quarantined = 'yes' as never),
      'config/dev.json: iot.things[0].quarantined: expected true or false, got "yes"',
    ],
    [
      'thing attribute named like the quarantine attribute',
      (raw) => (thingsOf(raw)[0].attributes = { Owner: 'keyless', KEYLESSquarantine: 'true' }),
      'config/dev.json: iot.things[0].attributes.KEYLESSquarantine: expected another attribute name: keylessQuarantine (in any letter case) is reserved for quarantine; set "quarantined": true instead, got "true"',
    ],
    [
      'required attribute named like the quarantine attribute',
      (raw) => (iotOf(raw).policy.requiredAttributes = { keylessQuarantine: 'false' }),
      'config/dev.json: iot.policy.requiredAttributes.keylessQuarantine: expected another attribute name: keylessQuarantine (in any letter case) is reserved for quarantine (iot.things[].quarantined), got "false"',
    ],
    [
      'quarantined thing with no room for the quarantine attribute',
      (raw) => {
        thingsOf(raw)[0].attributes = { Owner: 'keyless', Site: 'tokyo', Rack: '7' };
        thingsOf(raw)[0].quarantined = true;
      },
      'config/dev.json: iot.things[0].quarantined: expected a thing with at most 2 attributes of its own (it has 3): the quarantine attribute is one more, and CloudFormation creates a thing untyped, with at most 3; drop an attribute, or deactivate the certificate instead ("status": "inactive"), got true',
    ],
  ])('rejects a bad %s', (_rule, override, message) => {
    expect(() => devConfig(override)).toThrow(message);
    // Some values break two rules (a too-short MaxSessionDuration is also shorter than the alias duration).
    expect(devConfigProblems(override)).toContain(message);
  });
});

describe('device lifecycle fields', () => {
  it('default to an active, unquarantined certificate', () => {
    const things = devConfig().fleet!.things;
    expect(things.map(({ name, status, quarantined }) => ({ name, status, quarantined }))).toEqual([
      { name: 'sensor-001', status: 'active', quarantined: false },
      { name: 'sensor-002', status: 'active', quarantined: false },
    ]);
  });

  it('pass a status and the quarantine on to the fleet', () => {
    const config = devConfig((raw) => {
      thingsOf(raw)[0].status = 'revoked';
      thingsOf(raw)[1].status = 'inactive';
      thingsOf(raw)[1].quarantined = true;
    });
    expect(config.fleet!.things.map((t) => [t.name, t.status, t.quarantined])).toEqual([
      ['sensor-001', 'revoked', false],
      ['sensor-002', 'inactive', true],
    ]);
  });

  it('quarantine a thing with two attributes of its own (three with the quarantine attribute)', () => {
    expect(devConfigProblems((raw) => (thingsOf(raw)[0].quarantined = true))).toEqual([]);
  });
});

describe('CSR files', () => {
  const withCsr =
    (file: string, thing = 0) =>
    (raw: KeylessConfigInput) => {
      thingsOf(raw)[thing].csrFile = file;
    };

  it('reads each thing CSR from fleet/<env>/<thing>/csr.pem and passes the PEM on', () => {
    const config = devConfig();
    expect(config.fleet?.things.map((t) => [t.name, t.csrFile])).toEqual([
      ['sensor-001', 'fleet/dev/sensor-001/csr.pem'],
      ['sensor-002', 'fleet/dev/sensor-002/csr.pem'],
    ]);
    for (const thing of config.fleet!.things) {
      expect(thing.csrPem).toMatch(/^-----BEGIN CERTIFICATE REQUEST-----\n/);
      expect(thing.csrPem).not.toMatch(/PRIVATE KEY/);
    }
  });

  it('gives a thing without a CSR at the default place no certificate, and no error', () => {
    const config = devConfig((raw) =>
      thingsOf(raw).push({ name: 'sensor-new', attributes: { Owner: 'keyless' } }),
    );
    const added = config.fleet!.things.find((t) => t.name === 'sensor-new');
    expect(added?.csrFile).toBe('fleet/dev/sensor-new/csr.pem');
    expect(added?.csrPem).toBeUndefined();
  });

  it('accepts RSA-2048 and EC P-256 CSRs whose CN is the thing name', () => {
    const ec = opensslCsr(dir, 'ok-ec', 'sensor-001', EC_P256);
    const rsa = opensslCsr(dir, 'ok-rsa', 'sensor-002', [
      '-algorithm',
      'RSA',
      '-pkeyopt',
      'rsa_keygen_bits:2048',
    ]);
    const config = devConfig((raw) => {
      withCsr(ec, 0)(raw);
      withCsr(rsa, 1)(raw);
    });
    expect(config.fleet!.things.map((t) => t.csrPem)).toEqual([
      fs.readFileSync(ec, 'utf8'),
      fs.readFileSync(rsa, 'utf8'),
    ]);
  });

  it('rejects a configured CSR file that does not exist', () => {
    const missing = path.join(dir, 'nope.pem');
    expect(() => devConfig(withCsr(missing))).toThrow(
      `config/dev.json: iot.things[0].csrFile: expected an existing CSR file, got ${JSON.stringify(missing)}`,
    );
  });

  it('rejects a file that is not a PEM CSR', () => {
    const file = path.join(dir, 'not-a-csr.pem');
    fs.writeFileSync(file, 'hello\n');
    expect(() => devConfig(withCsr(file))).toThrow(
      `config/dev.json: iot.things[0].csrFile: expected a PEM certificate signing request in ${file}, got no "-----BEGIN CERTIFICATE REQUEST-----" PEM block`,
    );
  });

  it('rejects a PEM block that does not parse as a CSR', () => {
    const file = path.join(dir, 'garbled.pem');
    fs.writeFileSync(file, '-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n');
    expect(() => devConfig(withCsr(file))).toThrow(
      new RegExp(
        `iot\\.things\\[0\\]\\.csrFile: expected a PEM certificate signing request in ${file}, got a request that cannot be parsed`,
      ),
    );
  });

  it('rejects a CSR whose subject CN is not the thing name', () => {
    const file = opensslCsr(dir, 'wrong-cn', 'sensor-999', EC_P256);
    expect(() => devConfig(withCsr(file))).toThrow(
      `config/dev.json: iot.things[0].csrFile: expected a CSR whose subject CN is the thing name "sensor-001" in ${file}, got CN "sensor-999"`,
    );
  });

  it('rejects an RSA key weaker than 2048 bits', () => {
    const file = opensslCsr(dir, 'weak-rsa', 'sensor-001', RSA_1024);
    expect(() => devConfig(withCsr(file))).toThrow(
      `config/dev.json: iot.things[0].csrFile: expected an RSA key of at least 2048 bits or an EC key on P-256, P-384 or P-521 in ${file}, got RSA-1024`,
    );
  });

  it('rejects an EC key on a curve AWS IoT does not take', () => {
    const file = opensslCsr(dir, 'k1', 'sensor-001', EC_SECP256K1);
    expect(() => devConfig(withCsr(file))).toThrow(
      `config/dev.json: iot.things[0].csrFile: expected an RSA key of at least 2048 bits or an EC key on P-256, P-384 or P-521 in ${file}, got EC secp256k1`,
    );
  });

  it('rejects a CSR whose signature does not verify', () => {
    const file = tamperedCsr(dir, opensslCsr(dir, 'to-tamper', 'sensor-001', EC_P256));
    expect(() => devConfig(withCsr(file))).toThrow(
      `config/dev.json: iot.things[0].csrFile: expected a CSR signed by its own key in ${file}, got a signature that does not verify`,
    );
  });

  it('reports every CSR problem at once', () => {
    const weak = opensslCsr(dir, 'weak-other', 'someone', RSA_1024);
    expect(
      devConfigProblems((raw) => {
        withCsr(weak, 0)(raw);
        withCsr(path.join(dir, 'missing.pem'), 1)(raw);
      }),
    ).toEqual([
      `config/dev.json: iot.things[0].csrFile: expected a CSR whose subject CN is the thing name "sensor-001" in ${weak}, got CN "someone"`,
      `config/dev.json: iot.things[0].csrFile: expected an RSA key of at least 2048 bits or an EC key on P-256, P-384 or P-521 in ${weak}, got RSA-1024`,
      `config/dev.json: iot.things[1].csrFile: expected an existing CSR file, got ${JSON.stringify(path.join(dir, 'missing.pem'))}`,
    ]);
  });
});

describe('shard lock', () => {
  let root: string;
  const raw = (): KeylessConfigInput =>
    JSON.parse(fs.readFileSync(path.join(CONFIG_DIR, 'dev.json'), 'utf8'));
  const lockFile = (): string => path.join(root, 'fleet', 'dev', 'shards.json');
  const writeLock = (lock: unknown): void => {
    fs.mkdirSync(path.dirname(lockFile()), { recursive: true });
    fs.writeFileSync(lockFile(), JSON.stringify(lock));
  };
  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'keyless-shards-'));
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  it('reads the lock as committed and writes nothing, even for things it does not record', () => {
    writeLock({ version: 1, maxThingsPerShard: 1, assignments: { 'sensor-002': 3, gone: 1 } });
    const before = fs.readFileSync(lockFile(), 'utf8');
    const config = parseConfig(raw(), 'dev', 'config/dev.json', root);
    expect(config.fleet!.shardLock).toEqual({
      version: 1,
      maxThingsPerShard: 1,
      assignments: { 'sensor-002': 3, gone: 1 },
    });
    expect(config.fleet!.lockFileShown).toBe('fleet/dev/shards.json');
    expect(fs.readFileSync(lockFile(), 'utf8')).toBe(before);
  });

  it('reads a missing lock as empty, and does not create it', () => {
    const config = parseConfig(raw(), 'dev', 'config/dev.json', root);
    expect(config.fleet!.shardLock).toEqual({ version: 1, maxThingsPerShard: 100, assignments: {} });
    expect(fs.readdirSync(root)).toEqual([]);
  });

  it('names the lock file and field when the lock is wrong', () => {
    writeLock({ version: 1, maxThingsPerShard: 0, assignments: { 'sensor-001': 'one' } });
    expect(() => parseConfig(raw(), 'dev', 'config/dev.json', root)).toThrow(
      [
        'fleet/dev/shards.json: maxThingsPerShard: expected an integer from 1 to 110, got 0',
        'fleet/dev/shards.json: assignments.sensor-001: expected a shard number (an integer from 1), got "one"',
      ].join('\n'),
    );
  });

  it('names the lock file when it is not JSON', () => {
    fs.mkdirSync(path.dirname(lockFile()), { recursive: true });
    fs.writeFileSync(lockFile(), '{ nope');
    expect(() => parseConfig(raw(), 'dev', 'config/dev.json', root)).toThrow(
      /^fleet\/dev\/shards\.json: cannot read JSON: /,
    );
  });
});
