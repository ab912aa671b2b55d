import { Aws, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import { KryptonIdentityPool } from '../../lib/constructs/krypton-identity-pool';
import { testApp } from '../support/cdk-app';

function build(
  props: { identityPoolName?: string; developerProviderName?: string; removalPolicy?: RemovalPolicy } = {},
) {
  const stack = new Stack(testApp(), 'Test', { env: { account: '111111111111', region: 'ap-northeast-1' } });
  const pool = new KryptonIdentityPool(stack, 'Pool', {
    identityPoolName: props.identityPoolName ?? 'keyless test',
    developerProviderName: props.developerProviderName ?? 'keyless.test',
    removalPolicy: props.removalPolicy,
  });
  return { stack, pool, template: Template.fromStack(stack) };
}

describe('KryptonIdentityPool', () => {
  it('is a developer-provider pool without unauthenticated identities or classic flow', () => {
    const { template } = build();
    template.hasResourceProperties('AWS::Cognito::IdentityPool', {
      IdentityPoolName: 'keyless test',
      DeveloperProviderName: 'keyless.test',
      AllowUnauthenticatedIdentities: false,
      AllowClassicFlow: false,
    });
  });

  it('exposes the pool id and ARN and the provider name', () => {
    const { stack, pool } = build();
    expect(stack.resolve(pool.identityPoolId)).toEqual({ Ref: stack.resolve(pool.identityPool.logicalId) });
    expect(stack.resolve(pool.identityPoolArn)).toEqual({
      'Fn::Join': [
        '',
        [
          'arn:aws:cognito-identity:ap-northeast-1:111111111111:identitypool/',
          { Ref: stack.resolve(pool.identityPool.logicalId) },
        ],
      ],
    });
    expect(pool.developerProviderName).toBe('keyless.test');
  });

  it('attaches the authenticated role and no unauthenticated one', () => {
    const { stack, pool, template } = build();
    template.resourceCountIs('AWS::IAM::Role', 1);
    template.resourceCountIs('AWS::Cognito::IdentityPoolRoleAttachment', 1);
    const [attachment] = Object.values(template.findResources('AWS::Cognito::IdentityPoolRoleAttachment'));
    expect(attachment.Properties).toEqual({
      IdentityPoolId: stack.resolve(pool.identityPoolId),
      Roles: { authenticated: stack.resolve(pool.authenticatedRole.roleArn) },
    });
  });

  it('is built from the L1 resources, with no L2 internals to edit', () => {
    const { pool } = build();
    const kinds = pool.node.findAll().map((c) => c.constructor.name);
    expect(kinds).not.toContain('IdentityPool');
    expect(kinds).not.toContain('IdentityPoolRoleAttachment');
    expect(pool.identityPool).toBeInstanceOf(cognito.CfnIdentityPool);
  });

  it('gives the authenticated role no permissions of its own', () => {
    const { template } = build();
    template.resourceCountIs('AWS::IAM::Policy', 0);
    template.hasResourceProperties('AWS::IAM::Role', {
      Policies: Match.absent(),
      ManagedPolicyArns: Match.absent(),
    });
  });

  it('rejects a developer provider name Cognito would refuse', () => {
    expect(() => build({ developerProviderName: 'keyless/dev' })).toThrow(
      'developerProviderName must be 1-128 characters from a-z A-Z 0-9 _ . -, got: keyless/dev',
    );
    expect(() => build({ developerProviderName: 'x'.repeat(129) })).toThrow(/^developerProviderName must be/);
  });

  it('rejects a pool name Cognito would refuse', () => {
    expect(() => build({ identityPoolName: 'keyless*dev' })).toThrow(
      'identityPoolName must be 1-128 characters from a-z A-Z 0-9 _ space + = , . @ -, got: keyless*dev',
    );
  });

  it('skips the checks for tokens', () => {
    expect(() => build({ developerProviderName: Aws.STACK_NAME })).not.toThrow();
  });

  it('keeps the pool, and so every identity id, on delete and on replacement by default', () => {
    const { template } = build();
    template.hasResource('AWS::Cognito::IdentityPool', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
  });

  it('deletes the pool when told to (a throw-away environment)', () => {
    const { template } = build({ removalPolicy: RemovalPolicy.DESTROY });
    template.hasResource('AWS::Cognito::IdentityPool', {
      DeletionPolicy: 'Delete',
      UpdateReplacePolicy: 'Delete',
    });
  });
});
