import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { LIMITS } from '../../lib/contract';
import { QuarantineDeny, type QuarantineDenyProps } from '../../lib/constructs/quarantine-deny';
import { nagViolations, testApp } from '../support/cdk-app';

function build(props: Partial<QuarantineDenyProps> = {}) {
  const stack = new Stack(testApp(), 'Test', { env: { account: '111111111111', region: 'ap-northeast-1' } });
  const role = new iam.Role(stack, 'DeviceRole', {
    assumedBy: new iam.ServicePrincipal('credentials.iot.amazonaws.com'),
  });
  const deny = new QuarantineDeny(stack, 'Quarantine', { role, kind: 'thing', principals: [], ...props });
  return { stack, deny, template: Template.fromStack(stack) };
}

describe('QuarantineDeny', () => {
  it('makes no policy when nothing is quarantined', () => {
    build().template.resourceCountIs('AWS::IAM::ManagedPolicy', 0);
  });

  it('attaches one managed policy per packed document to the role, each within the IAM size', () => {
    const principals = Array.from({ length: 60 }, (_, i) => ({
      id: `thing-${i}`.padEnd(128, 'x'),
      quarantinedAt: new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString().replace('.000Z', 'Z'),
    }));
    const { stack, deny, template } = build({ principals });
    const policies = Object.values(template.findResources('AWS::IAM::ManagedPolicy'));
    expect(policies.length).toBeGreaterThan(1);
    expect(policies).toHaveLength(deny.documents.length);
    for (const policy of policies) {
      expect(policy.Properties.Roles).toEqual([
        {
          Ref: stack.resolve((stack.node.findChild('DeviceRole').node.defaultChild as iam.CfnRole).logicalId),
        },
      ]);
      expect(JSON.stringify(policy.Properties.PolicyDocument).length).toBeLessThanOrEqual(
        LIMITS.managedPolicyChars,
      );
    }
  });

  it('has no cdk-nag finding', () => {
    const { stack } = build({ principals: [{ id: 'sensor-001', quarantinedAt: '2026-12-07T18:00:00Z' }] });
    expect(nagViolations(stack)).toEqual([]);
  });

  it.each<[string, Partial<QuarantineDenyProps>, string]>([
    [
      'a thing name',
      { principals: [{ id: 'bad name!' }] },
      'thing name must be 1-128 characters from a-z A-Z 0-9 : _ -, got: bad name!',
    ],
    [
      'an identity id',
      { kind: 'identity', principals: [{ id: 'sim-001' }] },
      'identity id must be a Cognito identity id such as ap-northeast-1:0f1e2d3c-… (region, colon, lower-case hex and -), got: sim-001',
    ],
    [
      'a time',
      { principals: [{ id: 'sensor-001', quarantinedAt: '2026-12-07 18:00' }] },
      'quarantinedAt of sensor-001 must be a UTC time such as 2026-01-31T09:30:00Z, got: 2026-12-07 18:00',
    ],
    [
      'more than the policies hold',
      {
        principals: Array.from({ length: LIMITS.quarantinedThingsAtWorst + 1 }, (_, i) => ({
          id: `t-${i}`.padEnd(128, 'x'),
          quarantinedAt: new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString().replace('.000Z', 'Z'),
        })),
      },
      `the quarantine deny of ${LIMITS.quarantinedThingsAtWorst + 1} things needs more than ${LIMITS.quarantineDenyPolicies} managed policies of ${LIMITS.managedPolicyChars} characters; ${LIMITS.quarantinedThingsAtWorst} fit`,
    ],
  ])('refuses %s it cannot deploy', (_what, props, message) => {
    expect(() => build(props)).toThrow(message);
  });
});
