import { physicalNames, roleArn } from '../../lib/contract';
import {
  parameterFileKey,
  parameterNames,
  planBulkRegistration,
  type BulkThing,
} from '../../lib/fleet/bulk-registration';

const settings = { thingTypeName: 'KeylessSensor', policyName: 'keyless-dev-device' };
const csr = (name: string): string => `-----BEGIN CERTIFICATE REQUEST-----\n${name}\n-----END CERTIFICATE REQUEST-----\n`;
const thing = (name: string, attributes: Record<string, string> = {}): BulkThing => ({
  name,
  attributes,
  csrPem: csr(name),
});

describe('planBulkRegistration', () => {
  test('the template creates the thing of the configured type, a certificate from the CSR and attaches the policy by name', () => {
    const [batch] = planBulkRegistration(
      [thing('sensor-001', { Owner: 'keyless', Site: 'tokyo' })],
      settings,
    );
    expect(JSON.parse(batch.templateBody)).toEqual({
      Parameters: {
        ThingName: { Type: 'String' },
        CSR: { Type: 'String' },
        AttrOwner: { Type: 'String' },
        AttrSite: { Type: 'String' },
      },
      Resources: {
        thing: {
          Type: 'AWS::IoT::Thing',
          Properties: {
            ThingName: { Ref: 'ThingName' },
            ThingTypeName: 'KeylessSensor',
            AttributePayload: { Owner: { Ref: 'AttrOwner' }, Site: { Ref: 'AttrSite' } },
          },
          OverrideSettings: { AttributePayload: 'REPLACE', ThingTypeName: 'REPLACE' },
        },
        certificate: {
          Type: 'AWS::IoT::Certificate',
          Properties: { CertificateSigningRequest: { Ref: 'CSR' }, Status: 'ACTIVE' },
        },
        // No PolicyDocument: attach the IotAccess stack's policy rather than create one per template.
        policy: { Type: 'AWS::IoT::Policy', Properties: { PolicyName: 'keyless-dev-device' } },
      },
    });
  });

  test('the parameter file has one JSON line per thing, in name order, with its CSR and attribute values', () => {
    const [batch] = planBulkRegistration(
      [thing('b', { Owner: 'keyless', Site: 'osaka' }), thing('a', { Site: 'tokyo', Owner: 'keyless' })],
      settings,
    );
    expect(batch.parameterFile.endsWith('\n')).toBe(true);
    expect(batch.parameterFile.trimEnd().split('\n').map((line) => JSON.parse(line))).toEqual([
      { ThingName: 'a', CSR: csr('a'), AttrOwner: 'keyless', AttrSite: 'tokyo' },
      { ThingName: 'b', CSR: csr('b'), AttrOwner: 'keyless', AttrSite: 'osaka' },
    ]);
    expect(batch.thingNames).toEqual(['a', 'b']);
  });

  test('things with different attribute names get separate templates, so no thing gets an attribute it lacks', () => {
    const batches = planBulkRegistration(
      [thing('a', { Owner: 'x' }), thing('b'), thing('c', { Owner: 'y' })],
      settings,
    );
    expect(batches.map((b) => [b.attributeNames, b.thingNames])).toEqual([
      [['Owner'], ['a', 'c']],
      [[], ['b']],
    ]);
    expect(JSON.parse(batches[1].templateBody).Resources.thing.Properties.AttributePayload).toEqual({});
  });

  test('a thing listed twice is refused', () => {
    expect(() => planBulkRegistration([thing('a'), thing('a')], settings)).toThrow(
      'thing "a" is listed twice',
    );
  });

  test('a template over the 10240 characters StartThingRegistrationTask accepts is refused', () => {
    const attributes = Object.fromEntries(
      Array.from({ length: 50 }, (_, i) => [`attribute-with-a-long-name-${'x'.repeat(80)}-${i}`, 'v']),
    );
    expect(() => planBulkRegistration([thing('a', attributes)], settings)).toThrow(
      /characters; StartThingRegistrationTask accepts at most 10240$/,
    );
  });

  test('20 000 things with the same attribute names share one template and one task', () => {
    const things = Array.from({ length: 20000 }, (_, i) => thing(`t-${i}`, { Owner: 'keyless' }));
    const [batch] = planBulkRegistration(things, settings);
    expect(batch.thingNames).toHaveLength(20000);
  });
});

describe('names', () => {
  test('attribute parameters are alphanumeric and unique', () => {
    expect([...parameterNames(['hw.rev', 'hw-rev', 'Site']).entries()]).toEqual([
      ['Site', 'AttrSite'],
      ['hw-rev', 'Attrhwrev'],
      ['hw.rev', 'Attrhwrev2'],
    ]);
  });

  test('the parameter file key has no colon (inputFileKey does not allow one)', () => {
    const now = new Date('2026-11-22T20:15:30.123Z');
    expect(parameterFileKey(now)).toBe('bulk-registration/20261122T201530Z.jsonl');
    expect(parameterFileKey(now, 2)).toBe('bulk-registration/20261122T201530Z-2.jsonl');
    expect(parameterFileKey(now)).toMatch(/^[a-zA-Z0-9!_.*'()\-/]+$/);
  });

  test('the role is named from the environment', () => {
    const arn = (env: string, region: string) =>
      roleArn('111111111111', region, physicalNames(env, '111111111111', region).bulkRegistrationRole);
    expect(arn('dev', 'ap-northeast-1')).toBe('arn:aws:iam::111111111111:role/keyless-iot-dev-bulk-registration');
    expect(arn('gov', 'us-gov-west-1')).toBe(
      'arn:aws-us-gov:iam::111111111111:role/keyless-iot-gov-bulk-registration',
    );
  });
});
