import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { FunnelPublisherRole } from '../../lib/constructs/funnel-publisher-role';
import { nagViolations, testApp } from '../support/cdk-app';
import {
  evaluatePolicies,
  evaluatePolicy,
  flattenIntrinsics,
  type PolicyDocumentJson,
} from '../support/policy-evaluator';

const SORACOM = '762707677580';

function build(props: Partial<ConstructorParameters<typeof FunnelPublisherRole>[2]> = {}) {
  const stack = new Stack(testApp(), 'Test', { env: { account: '111111111111', region: 'ap-northeast-1' } });
  const role = new FunnelPublisherRole(stack, 'PublisherRole', {
    roleName: 'funnel-role',
    topicPrefix: 'funnel/dev',
    soracomAccountId: SORACOM,
    externalId: 'ext-funnel-0001',
    ...props,
  });
  return { stack, role, template: Template.fromStack(stack) };
}

describe('FunnelPublisherRole', () => {
  const { stack, template } = build();
  const [resource] = Object.values(template.findResources('AWS::IAM::Role'));
  const trust = flattenIntrinsics<PolicyDocumentJson>(resource.Properties.AssumeRolePolicyDocument);
  const policies = flattenIntrinsics<PolicyDocumentJson[]>(
    (resource.Properties.Policies as { PolicyDocument: unknown }[]).map((p) => p.PolicyDocument),
  );

  it('is one role with one inline policy: no user, no key, no other policy', () => {
    template.resourceCountIs('AWS::IAM::Role', 1);
    for (const type of [
      'AWS::IAM::User',
      'AWS::IAM::AccessKey',
      'AWS::IAM::Policy',
      'AWS::IAM::ManagedPolicy',
    ]) {
      template.resourceCountIs(type, 0);
    }
    expect(resource.Properties.RoleName).toBe('funnel-role');
    expect(resource.Properties.ManagedPolicyArns).toBeUndefined();
  });

  it("may be assumed by SORACOM's account only, and only with the external id", () => {
    const assume = (account: string, externalId?: string) =>
      evaluatePolicy(trust, {
        action: 'sts:AssumeRole',
        principal: { AWS: `arn:aws:iam::${account}:role/funnel` },
        context: externalId === undefined ? {} : { 'sts:ExternalId': externalId },
      });
    expect(assume(SORACOM, 'ext-funnel-0001')).toBe('allow');
    expect(assume(SORACOM)).toBe('implicit-deny');
    expect(assume(SORACOM, 'ext-funnel-0002')).toBe('implicit-deny');
    expect(assume('111111111111', 'ext-funnel-0001')).toBe('implicit-deny');
    // Not a service, not a web identity: only sts:AssumeRole from that account.
    expect(
      evaluatePolicy(trust, {
        action: 'sts:AssumeRoleWithWebIdentity',
        principal: { AWS: `arn:aws:iam::${SORACOM}:root` },
        context: { 'sts:ExternalId': 'ext-funnel-0001' },
      }),
    ).toBe('implicit-deny');
  });

  it('may publish under its prefix, and nowhere else', () => {
    const topic = (name: string) => `arn:aws:iot:ap-northeast-1:111111111111:topic/${name}`;
    const ask = (action: string, resource: string) => evaluatePolicies(policies, { action, resource });
    expect(ask('iot:Publish', topic('funnel/dev/sim-001'))).toBe('allow');
    expect(ask('iot:Publish', topic('funnel/devices/sim-001'))).toBe('implicit-deny');
    expect(ask('iot:Publish', topic('$aws/things/t/shadow/update'))).toBe('implicit-deny');
    expect(ask('iot:UpdateThingShadow', 'arn:aws:iot:ap-northeast-1:111111111111:thing/t')).toBe(
      'implicit-deny',
    );
    expect(ask('iot:Connect', 'arn:aws:iot:ap-northeast-1:111111111111:client/c')).toBe('implicit-deny');
  });

  it('passes cdk-nag with the topic wildcard acknowledged on the role only', () => {
    expect(nagViolations(stack)).toEqual([]);
  });

  it.each([
    [{ topicPrefix: 'funnel/#' }, 'FunnelPublisherRole topicPrefix'],
    [{ topicPrefix: 'funnel/dev/' }, 'FunnelPublisherRole topicPrefix'],
    [{ soracomAccountId: '76270767758' }, 'soracomAccountId must be a 12-digit AWS account id'],
    [{ externalId: 'x' }, 'externalId must be 2-1224 characters'],
  ])('refuses %j', (props, message) => {
    expect(() => build(props)).toThrow(message);
  });
});
