import { Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { nagRendered } from '../../lib/constructs/nag-rendered';
import { nagViolations, testApp } from '../support/cdk-app';

/** A role with one wildcard statement on an ARN CDK formats, acknowledged the way the constructs do it. */
function wildcardRole(env?: { account: string; region: string }, acknowledge = true): Stack {
  const stack = new Stack(testApp(), 'Test', { env });
  const role = new iam.Role(stack, 'Role', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
  role.addToPolicy(
    new iam.PolicyStatement({
      actions: ['iot:UpdateThing'],
      resources: [stack.formatArn({ service: 'iot', resource: 'thing', resourceName: '*' })],
    }),
  );
  if (acknowledge) {
    const arn = `arn:${nagRendered(role, 'Partition')}:iot:${nagRendered(role, 'Region')}:${nagRendered(role, 'AccountId')}:thing/*`;
    Validations.of(role).acknowledge({ id: `AwsSolutions-IAM5[Resource::${arn}]`, reason: 'test' });
  }
  return stack;
}

describe('nagRendered: the partition, region and account as cdk-nag writes them in a finding', () => {
  it('literals for a stack with an environment (cdk.json turns on partition literals)', () => {
    const stack = wildcardRole({ account: '111111111111', region: 'ap-northeast-1' }, false);
    expect((['Partition', 'Region', 'AccountId'] as const).map((p) => nagRendered(stack, p))).toEqual([
      'aws',
      'ap-northeast-1',
      '111111111111',
    ]);
    expect(nagViolations(stack)).toEqual([
      'AwsSolutions-IAM5[Resource::arn:aws:iot:ap-northeast-1:111111111111:thing/*] at Test/Role/DefaultPolicy/Resource',
    ]);
  });

  it('pseudo parameters for an environment-agnostic stack', () => {
    const stack = wildcardRole(undefined, false);
    expect((['Partition', 'Region', 'AccountId'] as const).map((p) => nagRendered(stack, p))).toEqual([
      '<AWS::Partition>',
      '<AWS::Region>',
      '<AWS::AccountId>',
    ]);
    expect(nagViolations(stack)).toEqual([
      'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:iot:<AWS::Region>:<AWS::AccountId>:thing/*] at Test/Role/DefaultPolicy/Resource',
    ]);
  });

  it.each([
    ['with an environment', { account: '111111111111', region: 'ap-northeast-1' }],
    ['environment-agnostic', undefined],
  ])('an acknowledgement built with it answers the finding (%s)', (_what, env) => {
    expect(nagViolations(wildcardRole(env))).toEqual([]);
  });
});
