import { certificateArn, certificateOutputKey, fleetStackName, fleetStackPart } from '../../lib/fleet/outputs';

describe('fleetStackName', () => {
  it('numbers Fleet stacks from 1 under the environment prefix', () => {
    expect(fleetStackName('dev', 1)).toBe('KeylessIot-dev-Fleet-1');
    expect(fleetStackName('prod', 12)).toBe('KeylessIot-prod-Fleet-12');
    expect(fleetStackPart(3)).toBe('Fleet-3');
  });

  it('rejects shard numbers below 1', () => {
    expect(() => fleetStackName('dev', 0)).toThrow('Fleet shards are numbered from 1, got: 0');
    expect(() => fleetStackName('dev', 1.5)).toThrow('Fleet shards are numbered from 1, got: 1.5');
  });
});

describe('certificateOutputKey', () => {
  it('is alphanumeric, readable and deterministic', () => {
    const key = certificateOutputKey('sensor-001');
    expect(key).toMatch(/^CertificateIdsensor001[0-9a-f]{8}$/);
    expect(certificateOutputKey('sensor-001')).toBe(key);
  });

  it('keeps names apart that differ only in punctuation', () => {
    const names = ['sensor-001', 'sensor_001', 'sensor:001', 'sensor001', 'Sensor001'];
    const keys = names.map(certificateOutputKey);
    expect(new Set(keys).size).toBe(names.length);
    for (const key of keys) expect(key).toMatch(/^[A-Za-z0-9]+$/);
  });

  it('stays within the 255-character OutputKey limit for the longest thing name', () => {
    const key = certificateOutputKey('a:'.repeat(64));
    expect(key.length).toBeLessThanOrEqual(255);
    expect(certificateOutputKey('x'.repeat(128)).length).toBe(13 + 128 + 8);
  });
});

describe('certificateArn', () => {
  it('builds the IoT certificate ARN from an output value', () => {
    expect(certificateArn('aws', 'ap-northeast-1', '111111111111', 'abc123')).toBe(
      'arn:aws:iot:ap-northeast-1:111111111111:cert/abc123',
    );
  });
});
