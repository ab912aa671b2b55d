import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { DeviceIotPolicy } from '../../lib/constructs/device-iot-policy';
import { testApp } from '../support/cdk-app';
import { evaluatePolicy, flattenIntrinsics, type PolicyDocumentJson } from '../support/policy-evaluator';

const IOT = 'arn:aws:iot:ap-northeast-1:111111111111';
const ALIAS = `${IOT}:rolealias/keyless-dev-device`;

function build(props: Partial<ConstructorParameters<typeof DeviceIotPolicy>[2]> = {}) {
  const app = testApp();
  const stack = new Stack(app, 'Test', { env: { account: '111111111111', region: 'ap-northeast-1' } });
  const policy = new DeviceIotPolicy(stack, 'DevicePolicy', {
    policyName: 'keyless-dev-device',
    roleAliasArn: ALIAS,
    requiredThingTypeName: 'KeylessSensor',
    requiredAttributes: { Owner: 'keyless' },
    ...props,
  });
  const template = Template.fromStack(stack);
  const [resource] = Object.values(template.findResources('AWS::IoT::Policy'));
  const document = flattenIntrinsics<PolicyDocumentJson>(resource.Properties.PolicyDocument);
  return { stack, policy, template, document };
}

describe('DeviceIotPolicy', () => {
  it('is one named policy whose document is plain JSON at synth', () => {
    const { template, policy } = build();
    template.resourceCountIs('AWS::IoT::Policy', 1);
    template.hasResourceProperties('AWS::IoT::Policy', { PolicyName: 'keyless-dev-device' });
    expect(() => JSON.stringify(policy.document)).not.toThrow();
  });

  it('exchanges a certificate for credentials on exactly the role alias, only while attached, of the type and owner', () => {
    const { document } = build();
    expect(document.Statement).toEqual([
      {
        Sid: 'DenyQuarantinedThings',
        Effect: 'Deny',
        Action: [
          'iot:AssumeRoleWithCertificate',
          'iot:Connect',
          'iot:Publish',
          'iot:Receive',
          'iot:Subscribe',
        ],
        Resource: [`${IOT}:rolealias/*`, `${IOT}:client/*`, `${IOT}:topic/*`, `${IOT}:topicfilter/*`],
        Condition: { StringEquals: { 'iot:Connection.Thing.Attributes[keylessQuarantine]': 'true' } },
      },
      {
        Sid: 'ExchangeCertificateForCredentials',
        Effect: 'Allow',
        Action: 'iot:AssumeRoleWithCertificate',
        Resource: ALIAS,
        Condition: {
          Bool: { 'iot:Connection.Thing.IsAttached': 'true' },
          StringEquals: {
            'iot:Connection.Thing.ThingTypeName': 'KeylessSensor',
            'iot:Connection.Thing.Attributes[Owner]': 'keyless',
          },
        },
      },
      {
        Sid: 'ConnectAsOwnThing',
        Effect: 'Allow',
        Action: 'iot:Connect',
        Resource: `${IOT}:client/\${iot:Connection.Thing.ThingName}`,
        Condition: { Bool: { 'iot:Connection.Thing.IsAttached': 'true' } },
      },
      {
        Sid: 'PublishAndReceiveOwnTopics',
        Effect: 'Allow',
        Action: ['iot:Publish', 'iot:Receive'],
        Resource: `${IOT}:topic/things/\${iot:Connection.Thing.ThingName}/*`,
      },
      {
        Sid: 'SubscribeOwnTopics',
        Effect: 'Allow',
        Action: 'iot:Subscribe',
        Resource: `${IOT}:topicfilter/things/\${iot:Connection.Thing.ThingName}/*`,
      },
    ]);
  });

  it('drops the narrowing conditions that are not configured', () => {
    const { document } = build({ requiredThingTypeName: undefined, requiredAttributes: {} });
    const [, exchange] = document.Statement as PolicyDocumentJson['Statement'][];
    expect(exchange).toEqual(
      expect.objectContaining({ Condition: { Bool: { 'iot:Connection.Thing.IsAttached': 'true' } } }),
    );
  });

  describe('as evaluated for a connection of thing A', () => {
    const { document } = build();
    const attachedA = {
      'iot:Connection.Thing.ThingName': 'A',
      'iot:Connection.Thing.IsAttached': 'true',
      'iot:Connection.Thing.ThingTypeName': 'KeylessSensor',
      'iot:Connection.Thing.Attributes[Owner]': 'keyless',
    };
    const decide = (action: string, resource: string, context: Record<string, string> = attachedA) =>
      evaluatePolicy(document, { action, resource, context });

    it('gets credentials only through the configured alias, and only when attached, typed and owned', () => {
      expect(decide('iot:AssumeRoleWithCertificate', ALIAS)).toBe('allow');
      expect(decide('iot:AssumeRoleWithCertificate', `${IOT}:rolealias/other`)).toBe('implicit-deny');
      for (const [key, value] of [
        ['iot:Connection.Thing.IsAttached', 'false'],
        ['iot:Connection.Thing.ThingTypeName', 'Other'],
        ['iot:Connection.Thing.Attributes[Owner]', 'someone'],
      ]) {
        expect(decide('iot:AssumeRoleWithCertificate', ALIAS, { ...attachedA, [key]: value })).toBe(
          'implicit-deny',
        );
      }
    });

    it('is denied credentials, the connection and every topic while quarantined, and allowed again once released', () => {
      const quarantined = { ...attachedA, 'iot:Connection.Thing.Attributes[keylessQuarantine]': 'true' };
      const requests: Array<[string, string]> = [
        ['iot:AssumeRoleWithCertificate', ALIAS],
        ['iot:Connect', `${IOT}:client/A`],
        ['iot:Publish', `${IOT}:topic/things/A/telemetry`],
        ['iot:Receive', `${IOT}:topic/things/A/commands`],
        ['iot:Subscribe', `${IOT}:topicfilter/things/A/#`],
      ];
      for (const [action, resource] of requests) {
        expect({ action, quarantined: decide(action, resource, quarantined) }).toEqual({
          action,
          quarantined: 'deny',
        });
        // Released: the attribute is gone (never quarantined looks the same).
        expect({ action, released: decide(action, resource) }).toEqual({ action, released: 'allow' });
      }
      // Only the exact value quarantines; release removes the attribute, it never writes another value.
      const other = { ...attachedA, 'iot:Connection.Thing.Attributes[keylessQuarantine]': 'false' };
      expect(decide('iot:AssumeRoleWithCertificate', ALIAS, other)).toBe('allow');
    });

    it('connects with its own thing name as client id and uses only its own topics', () => {
      expect(decide('iot:Connect', `${IOT}:client/A`)).toBe('allow');
      expect(decide('iot:Connect', `${IOT}:client/B`)).toBe('implicit-deny');
      expect(decide('iot:Publish', `${IOT}:topic/things/A/telemetry`)).toBe('allow');
      expect(decide('iot:Publish', `${IOT}:topic/things/B/telemetry`)).toBe('implicit-deny');
      expect(decide('iot:Receive', `${IOT}:topic/things/A/commands`)).toBe('allow');
      expect(decide('iot:Subscribe', `${IOT}:topicfilter/things/A/#`)).toBe('allow');
      expect(decide('iot:Subscribe', `${IOT}:topicfilter/things/#`)).toBe('implicit-deny');
    });
  });

  it('rejects a policy name AWS IoT would not take', () => {
    expect(() => build({ policyName: 'device policy' })).toThrow(
      'policyName must be 1-128 characters from a-z A-Z 0-9 _ + = , . @ -, got: device policy',
    );
  });
});
