import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { checkPins, readPinsFile, recordingPins, writePinsFile, type Pin } from './stateful-pins';

const bucket: Pin = {
  stack: 'KeylessIot-prod-Data',
  logicalId: 'DeviceData45EB3CCB',
  type: 'AWS::S3::Bucket',
  properties: { BucketName: 'keyless-iot-prod-222222222222-ap-northeast-1' },
};
const table: Pin = {
  stack: 'KeylessIot-prod-Data',
  logicalId: 'TablesDeviceTableC58838D6',
  type: 'AWS::DynamoDB::GlobalTable',
  properties: { TableName: 'devices', KeySchema: [{ AttributeName: 'deviceId', KeyType: 'HASH' }] },
};

describe('checkPins', () => {
  it('finds nothing when the pins agree, in any order', () => {
    expect(checkPins([bucket, table], [table, bucket])).toEqual([]);
  });

  it('names a changed key schema with both values', () => {
    const changed = {
      ...table,
      properties: { ...table.properties, KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }] },
    };
    expect(checkPins([table], [changed])).toEqual([
      'KeylessIot-prod-Data TablesDeviceTableC58838D6 (AWS::DynamoDB::GlobalTable): KeySchema changes from ' +
        '[{"AttributeName":"deviceId","KeyType":"HASH"}] to [{"AttributeName":"id","KeyType":"HASH"}], which ' +
        'CloudFormation can only do by replacing it: CloudFormation creates a new, empty one; production retains ' +
        'the old one outside the stack, where nothing uses it any more (dev deletes it), and with it goes the items ' +
        'devices wrote and read. Keep the old value; to change it on purpose, migrate as docs/operations.md, ' +
        '"Upgrades: what is retained and pinned, how to migrate a stateful resource" describes, then npm run pins:record.',
    ]);
  });

  it('names a property set or unset where it was not', () => {
    const unset = { ...bucket, properties: {} };
    expect(checkPins([bucket], [unset])[0]).toContain(
      'BucketName changes from "keyless-iot-prod-222222222222-ap-northeast-1" to (unset)',
    );
  });

  it('names a resource that is gone, without guessing a successor of another type or stack', () => {
    const other = { ...table, logicalId: 'SomethingElse' };
    const [gone] = checkPins([bucket, table], [other]);
    expect(gone).toContain('DeviceData45EB3CCB (AWS::S3::Bucket) is gone from the template. Deploying');
  });

  it('names a changed type', () => {
    const asTable: Pin = { ...table, type: 'AWS::DynamoDB::Table' };
    expect(checkPins([table], [asTable])).toEqual([
      expect.stringContaining('changes type from AWS::DynamoDB::GlobalTable to AWS::DynamoDB::Table'),
    ]);
  });

  it('asks for a new stateful resource to be recorded', () => {
    expect(checkPins([], [bucket])).toEqual([
      expect.stringContaining('is new and not pinned yet: npm run pins:record'),
    ]);
  });
});

describe('pins files', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keyless-pins-'));

  it('round-trips', () => {
    const file = path.join(dir, 'prod.json');
    writePinsFile(file, 'prod', [bucket]);
    expect(readPinsFile(file)).toEqual(expect.objectContaining({ environment: 'prod', resources: [bucket] }));
  });

  it('refuses a missing or malformed file with the command that records it', () => {
    expect(() => readPinsFile(path.join(dir, 'missing.json'))).toThrow(
      /missing\.json: cannot read the recorded pins .*npm run pins:record/,
    );
    const bad = path.join(dir, 'bad.json');
    fs.writeFileSync(bad, '{"resources": {}}');
    expect(() => readPinsFile(bad)).toThrow(`${bad}: "resources" is not a list of pins; npm run pins:record`);
  });
});

describe('recordingPins', () => {
  const saved = { record: process.env.KEYLESS_RECORD_PINS, ci: process.env.CI };
  afterEach(() => {
    for (const [name, value] of [
      ['KEYLESS_RECORD_PINS', saved.record],
      ['CI', saved.ci],
    ] as const) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });

  it('is off unless asked', () => {
    delete process.env.KEYLESS_RECORD_PINS;
    expect(recordingPins()).toBe(false);
  });

  it('refuses in CI: drift must never be accepted silently', () => {
    process.env.KEYLESS_RECORD_PINS = '1';
    process.env.CI = 'true';
    expect(() => recordingPins()).toThrow('KEYLESS_RECORD_PINS is set in CI');
  });

  it('records when asked outside CI', () => {
    process.env.KEYLESS_RECORD_PINS = '1';
    delete process.env.CI;
    expect(recordingPins()).toBe(true);
  });
});
