import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { listEnvironments, loadConfigFile, loadEnvironmentConfig } from '../../lib/config';
import type { KeylessConfigInput } from '../../lib/config';
import { CONFIG_DIR, devConfig } from '../support/cdk-app';
import { devConfigProblems } from '../support/config-problems';

type Raw = Record<string, unknown> & KeylessConfigInput;

describe('config loader', () => {
  it('loads the dev sample with defaults filled in and derived names', () => {
    const config = loadEnvironmentConfig('dev');
    expect(config.envName).toBe('dev');
    expect(config.account).toBe('111111111111');
    expect(config.region).toBe('ap-northeast-1');
    expect(config.names.deviceBucket).toBe('keyless-iot-dev-111111111111-ap-northeast-1');
    expect(config.names.thingTypeAssignerFunction).toBe('KeylessIot-dev-ThingTypeAssigner');
  });

  it('defaults removalPolicy to retain when a file does not say', () => {
    const config = devConfig((raw) => {
      delete raw.removalPolicy;
    });
    expect(config.removalPolicy).toBe('retain');
  });

  it.each([
    [
      'account',
      (raw: Raw) => (raw.account = '1234'),
      'config/dev.json: account: expected a 12-digit AWS account id, got "1234"',
    ],
    [
      'region',
      (raw: Raw) => (raw.region = 'tokyo'),
      'config/dev.json: region: expected an AWS region such as ap-northeast-1, got "tokyo"',
    ],
    [
      'removalPolicy',
      (raw: Raw) => (raw.removalPolicy = 'keep' as never),
      'config/dev.json: removalPolicy: expected one of: retain, destroy, got "keep"',
    ],
    [
      'noncurrentVersionExpirationDays',
      (raw: Raw) => (raw.data!.noncurrentVersionExpirationDays = 0),
      'config/dev.json: data.noncurrentVersionExpirationDays: expected an integer from 1 to 3650 days, got 0',
    ],
    [
      'accessLogExpirationDays (not an integer)',
      (raw: Raw) => (raw.data!.accessLogExpirationDays = 1.5),
      'config/dev.json: data.accessLogExpirationDays: expected an integer from 1 to 3650 days, got 1.5',
    ],
    [
      'table key attribute names',
      (raw: Raw) => (raw.data!.referenceTable = { partitionKey: 'bad key!' }),
      'config/dev.json: data.referenceTable.partitionKey: expected 1-255 characters from a-z A-Z 0-9 _ . -, got "bad key!"',
    ],
    [
      'tag keys',
      (raw: Raw) => (raw.tags = { 'bad{key}': 'x' }),
      'config/dev.json: tags.bad{key}: expected a tag key of 1-128 letters, digits, spaces and _ . : / = + - @, got "bad{key}"',
    ],
    [
      'a required field',
      (raw: Raw) => delete (raw as Partial<Raw>).account,
      'config/dev.json: account: missing; expected a 12-digit AWS account id',
    ],
    [
      'an unknown top-level key',
      (raw: Raw) => (raw.acount = '111111111111'),
      'config/dev.json: acount: unknown key; valid keys here: $schema, account, audit, closedNetwork, compliancePacks, data, deployment, description, example, funnel, iot, krypton, region, removalPolicy, tags',
    ],
    [
      'an unknown nested key',
      (raw: Raw) => ((raw.data as Record<string, unknown>).versionDays = 3),
      'config/dev.json: data.versionDays: unknown key; valid keys here: accessLogExpirationDays, deviceTable, noncurrentVersionExpirationDays, referenceTable',
    ],
    [
      'a $schema that is not a string',
      (raw: Raw) => ((raw as Record<string, unknown>).$schema = 42),
      'config/dev.json: $schema: expected string, received number, got 42',
    ],
    [
      'closedNetwork in another region',
      (raw: Raw) => (raw.closedNetwork!.region = 'us-east-1'),
      'config/dev.json: closedNetwork.region: expected ap-northeast-1 (the device bucket\'s region): S3 gateway endpoints only reach buckets in their own region, got "us-east-1"',
    ],
  ])('rejects a bad %s', (_rule, override, message) => {
    expect(() => devConfig((raw) => override(raw as Raw))).toThrow(message);
    expect(devConfigProblems((raw) => override(raw))).toEqual([message]);
  });

  it('reports every problem at once, one line each', () => {
    const found = devConfigProblems((raw: Raw) => {
      raw.account = '12';
      raw.region = 'mars-1';
      raw.data!.noncurrentVersionExpirationDays = 99999;
      raw.typo = true;
    });
    expect(found).toEqual([
      'config/dev.json: account: expected a 12-digit AWS account id, got "12"',
      'config/dev.json: region: expected an AWS region such as ap-northeast-1, got "mars-1"',
      'config/dev.json: data.noncurrentVersionExpirationDays: expected an integer from 1 to 3650 days, got 99999',
      expect.stringMatching(/^config\/dev\.json: typo: unknown key; valid keys here: \$schema, account, /),
    ]);
  });

  describe('files and environments', () => {
    let dir: string;
    beforeEach(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keyless-config-'));
    });
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    it('lists the environments that exist when asked for an unknown one', () => {
      fs.copyFileSync(path.join(CONFIG_DIR, 'dev.json'), path.join(dir, 'dev.json'));
      fs.copyFileSync(path.join(CONFIG_DIR, 'dev.json'), path.join(dir, 'stage.json'));
      fs.copyFileSync(path.join(CONFIG_DIR, 'prod.example.json'), path.join(dir, 'prod.example.json'));
      fs.copyFileSync(path.join(CONFIG_DIR, 'keyless.schema.json'), path.join(dir, 'keyless.schema.json'));
      expect(listEnvironments(dir)).toEqual(['dev', 'stage']);
      expect(() => loadEnvironmentConfig('prod', dir)).toThrow(
        `${path.join(dir, 'prod.json')}: no such environment "prod"; environments: dev, stage (copy config/prod.example.json to config/<env>.json to add one)`,
      );
    });

    it('rejects an environment name that cannot be part of resource names', () => {
      expect(() => loadEnvironmentConfig('Prod_1', dir)).toThrow(
        'environment name "Prod_1" is not valid: expected 1-16 characters from a-z 0-9 -, starting with a letter',
      );
    });

    it('names the file when it is not JSON, instead of falling back to defaults', () => {
      const file = path.join(dir, 'broken.json');
      fs.writeFileSync(file, '{ "account": "111111111111", }');
      expect(() => loadConfigFile(file, 'broken')).toThrow(new RegExp(`^${file}: cannot read JSON: `));
    });

    it('rejects a file that is not an object', () => {
      const file = path.join(dir, 'list.json');
      fs.writeFileSync(file, '[]');
      expect(() => loadConfigFile(file, 'list')).toThrow(
        `${file}: (top level): expected object, received array, got []`,
      );
    });
  });
});
