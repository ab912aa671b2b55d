import { Aws, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { COGNITO_SUB, KryptonDeviceRole } from '../../lib/constructs/krypton-device-role';
import { nagViolations, testApp } from '../support/cdk-app';
import { evaluatePolicy, flattenIntrinsics, type PolicyDocumentJson } from '../support/policy-evaluator';

function build(props: { identityPrefix?: string; deviceScriptsPrefix?: string; bucketName?: string } = {}) {
  const stack = new Stack(testApp(), 'Test', { env: { account: '111111111111', region: 'ap-northeast-1' } });
  const role = new iam.Role(stack, 'Role', { assumedBy: new iam.AccountRootPrincipal() });
  const permissions = new KryptonDeviceRole(stack, 'Permissions', {
    role,
    referenceTableArn: 'arn:aws:dynamodb:ap-northeast-1:111111111111:table/ref',
    deviceTableArn: 'arn:aws:dynamodb:ap-northeast-1:111111111111:table/dev',
    bucketName: props.bucketName ?? 'bucket',
    identityPrefix: props.identityPrefix,
    deviceScriptsPrefix: props.deviceScriptsPrefix,
  });
  return { stack, permissions, template: Template.fromStack(stack) };
}

describe('KryptonDeviceRole', () => {
  it('attaches one policy to the given role, as its Resource child', () => {
    const { permissions, template } = build();
    expect(permissions.policy.node.id).toBe('Resource');
    template.resourceCountIs('AWS::IAM::Policy', 1);
  });

  it('uses the configured prefixes', () => {
    const { template } = build({ identityPrefix: 'sims/', deviceScriptsPrefix: 'helpers/v1/' });
    const policy = flattenIntrinsics<PolicyDocumentJson>(
      Object.values(template.findResources('AWS::IAM::Policy'))[0].Properties.PolicyDocument,
    );
    const context = { 'cognito-identity.amazonaws.com:sub': 'X' };
    expect(
      evaluatePolicy(policy, { action: 's3:PutObject', resource: 'arn:aws:s3:::bucket/sims/X/a', context }),
    ).toBe('allow');
    expect(
      evaluatePolicy(policy, {
        action: 's3:GetObject',
        resource: 'arn:aws:s3:::bucket/helpers/v1/x',
        context,
      }),
    ).toBe('allow');
    expect(
      evaluatePolicy(policy, {
        action: 's3:PutObject',
        resource: 'arn:aws:s3:::bucket/krypton/X/a',
        context,
      }),
    ).toBe('implicit-deny');
  });

  it('acknowledges exactly its two object-key wildcards for cdk-nag', () => {
    const { stack } = build();
    expect(nagViolations(stack)).toEqual([]);
  });

  it('names the caller with the Cognito identity variable', () => {
    expect(COGNITO_SUB).toBe('${cognito-identity.amazonaws.com:sub}');
  });

  it.each([
    ['identityPrefix', { identityPrefix: '/krypton/' }, '/krypton/'],
    ['identityPrefix', { identityPrefix: 'krypton' }, 'krypton'],
    ['deviceScriptsPrefix', { deviceScriptsPrefix: 'scripts/*/' }, 'scripts/*/'],
  ])('rejects a bad %s', (name, props, value) => {
    expect(() => build(props)).toThrow(
      `${name} must be an S3 key prefix ending in / such as closed/, got: ${value}`,
    );
  });

  it('needs a plain bucket name so the policy never references the Data stack', () => {
    const stack = new Stack(testApp(), 'Test');
    const role = new iam.Role(stack, 'Role', { assumedBy: new iam.AccountRootPrincipal() });
    expect(
      () =>
        new KryptonDeviceRole(stack, 'Permissions', {
          role,
          referenceTableArn: 'arn:aws:dynamodb:r:1:table/ref',
          deviceTableArn: 'arn:aws:dynamodb:r:1:table/dev',
          bucketName: Aws.STACK_NAME,
        }),
    ).toThrow(/^bucketName must be a plain name \(derive it from config\), got the token: /);
  });
});
