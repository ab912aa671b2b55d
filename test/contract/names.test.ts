import {
  certificateIdOutput,
  fleetStackName,
  fleetStackPart,
  physicalNames,
  roleArn,
  shardOfStackName,
  stackName,
  STACK_PARTS,
} from '../../lib/contract';

describe('stack names', () => {
  it('are KeylessIot-<env>-<part>', () => {
    expect(STACK_PARTS.map((part) => stackName('dev', part))).toEqual([
      'KeylessIot-dev-Network',
      'KeylessIot-dev-Data',
      'KeylessIot-dev-IotAccess',
      'KeylessIot-dev-KryptonAccess',
      'KeylessIot-dev-Funnel',
      'KeylessIot-dev-Audit',
      'KeylessIot-dev-Deployment',
    ]);
  });

  it('number Fleet stacks from 1 under the environment prefix', () => {
    expect(fleetStackName('dev', 1)).toBe('KeylessIot-dev-Fleet-1');
    expect(fleetStackName('prod', 12)).toBe('KeylessIot-prod-Fleet-12');
    expect(fleetStackPart(3)).toBe('Fleet-3');
  });

  it('reject shard numbers below 1', () => {
    expect(() => fleetStackName('dev', 0)).toThrow('Fleet shards are numbered from 1, got: 0');
    expect(() => fleetStackName('dev', 1.5)).toThrow('Fleet shards are numbered from 1, got: 1.5');
  });

  it('read a Fleet stack name back to its shard, for that environment only', () => {
    expect(shardOfStackName('dev', 'KeylessIot-dev-Fleet-12')).toBe(12);
    expect(shardOfStackName('dev', 'KeylessIot-devx-Fleet-1')).toBeUndefined();
    expect(shardOfStackName('dev', 'KeylessIot-prod-Fleet-1')).toBeUndefined();
    expect(shardOfStackName('dev', 'KeylessIot-dev-Fleet-0')).toBeUndefined();
    expect(shardOfStackName('dev', 'KeylessIot-dev-Data')).toBeUndefined();
  });
});

describe('physical names', () => {
  // Renaming any of these replaces a deployed resource (and strands its data): the list is the contract.
  it('are derived from the environment, account and region alone', () => {
    expect(physicalNames('dev', '111111111111', 'ap-northeast-1')).toEqual({
      deviceBucket: 'keyless-iot-dev-111111111111-ap-northeast-1',
      accessLogBucket: 'keyless-iot-dev-logs-111111111111-ap-northeast-1',
      referenceTable: 'keyless-iot-dev-reference',
      deviceTable: 'keyless-iot-dev-device-data',
      deviceSecret: 'keyless-iot/dev/device-secret',
      perThingSecretPrefix: 'devices/',
      thingTypeAssignerFunction: 'KeylessIot-dev-ThingTypeAssigner',
      bulkRegistrationRole: 'keyless-iot-dev-bulk-registration',
      kryptonSignerSecret: 'keyless-iot/dev/krypton-signer',
      funnelPublisherUser: 'keyless-iot-dev-funnel-publisher',
      funnelAuthKeySecret: 'keyless-iot/dev/funnel/soracom-auth-key',
      funnelRotationLogGroup: '/keyless-iot/dev/funnel-key-rotation',
      funnelRotationStateParameter: '/keyless-iot/dev/funnel/rotation-state',
      funnelMetricNamespace: 'KeylessIot/Funnel',
      flowLogGroup: '/keyless-iot/dev/gatepeer-vpc-flow-logs',
      funnelPublisherRole: 'keyless-iot-dev-funnel-publisher-role',
      kryptonSignerUser: 'keyless-iot-dev-krypton-signer',
      kryptonAuthKeySecret: 'keyless-iot/dev/krypton/soracom-auth-key',
      kryptonRotationLogGroup: '/keyless-iot/dev/krypton-signer-key-rotation',
      kryptonRotationStateParameter: '/keyless-iot/dev/krypton/rotation-state',
      kryptonMetricNamespace: 'KeylessIot/Krypton',
    });
  });

  it('build role ARNs in the partition of the region', () => {
    expect(roleArn('111111111111', 'ap-northeast-1', 'r')).toBe('arn:aws:iam::111111111111:role/r');
    expect(roleArn('111111111111', 'us-gov-west-1', 'r')).toBe('arn:aws-us-gov:iam::111111111111:role/r');
    expect(roleArn('111111111111', 'cn-north-1', 'r')).toBe('arn:aws-cn:iam::111111111111:role/r');
  });
});

describe('certificateIdOutput', () => {
  const key = (thing: string) => certificateIdOutput(thing).key;

  it('is alphanumeric, readable and deterministic', () => {
    expect(key('sensor-001')).toMatch(/^CertificateIdsensor001[0-9a-f]{8}$/);
    expect(key('sensor-001')).toBe(key('sensor-001'));
    expect(certificateIdOutput('sensor-001').description).toBe('Certificate id of thing sensor-001');
  });

  it('keeps names apart that differ only in punctuation', () => {
    const names = ['sensor-001', 'sensor_001', 'sensor:001', 'sensor001', 'Sensor001'];
    const keys = names.map(key);
    expect(new Set(keys).size).toBe(names.length);
    for (const k of keys) expect(k).toMatch(/^[A-Za-z0-9]+$/);
  });

  it('stays within the 255-character OutputKey limit for the longest thing name', () => {
    expect(key('a:'.repeat(64)).length).toBeLessThanOrEqual(255);
    expect(key('x'.repeat(128)).length).toBe(13 + 128 + 8);
  });
});
