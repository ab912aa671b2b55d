import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import {
  KRYPTON_SIGNER_ACTIONS,
  KryptonSigner,
  type KryptonSignerMode,
} from '../../lib/constructs/krypton-signer';
import { nagViolations, testApp } from '../support/cdk-app';

const POOL_ARN = 'arn:aws:cognito-identity:ap-northeast-1:111111111111:identitypool/ap-northeast-1:pool';

function build(signer: KryptonSignerMode, removalPolicy?: RemovalPolicy) {
  const stack = new Stack(testApp(), 'Test', { env: { account: '111111111111', region: 'ap-northeast-1' } });
  const construct = new KryptonSigner(stack, 'Signer', { identityPoolArn: POOL_ARN, signer, removalPolicy });
  return { stack, construct, template: Template.fromStack(stack) };
}

describe('KryptonSigner', () => {
  it('allows exactly the two token calls on the one pool', () => {
    const { template } = build({ mode: 'user' });
    expect(KRYPTON_SIGNER_ACTIONS).toEqual([
      'cognito-identity:GetOpenIdTokenForDeveloperIdentity',
      'cognito-identity:LookupDeveloperIdentity',
    ]);
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: [
          { Effect: 'Allow', Action: KRYPTON_SIGNER_ACTIONS, Resource: POOL_ARN, Sid: Match.anyValue() },
        ],
      },
    });
  });

  describe('user mode', () => {
    const { stack, construct, template } = build({ mode: 'user' });

    it('is an IAM user (the Resource child) in a group that holds the policy', () => {
      expect(construct.user?.node.id).toBe('Resource');
      template.resourceCountIs('AWS::IAM::Group', 1);
      template.hasResourceProperties('AWS::IAM::Policy', { Groups: Match.anyValue(), Users: Match.absent() });
      template.hasResourceProperties('AWS::IAM::User', { Path: '/keyless-iot/', Groups: Match.anyValue() });
      expect(construct.role).toBeUndefined();
    });

    it('creates one access key and keeps it only in the secret', () => {
      template.resourceCountIs('AWS::IAM::AccessKey', 1);
      template.resourceCountIs('AWS::SecretsManager::Secret', 1);
      const secretString = JSON.stringify(
        Object.values(template.findResources('AWS::SecretsManager::Secret'))[0].Properties.SecretString,
      );
      expect(secretString).toMatch(/"Fn::GetAtt":\["SignerAccessKey[0-9A-F]{8}","SecretAccessKey"\]/);
      // Only the key id (a Ref) and the secret (a GetAtt) are inside: no literal value of any length.
      expect(secretString.replace(/\{"(Ref|Fn::GetAtt)":[^}]*\}/g, '')).toBe(
        '{"Fn::Join":["",["{\\"accessKeyId\\":\\"",,"\\",\\"secretAccessKey\\":\\"",,"\\"}"]]}',
      );
    });

    it('encrypts the secret with a rotating customer managed key, retained by default', () => {
      template.hasResource('AWS::KMS::Key', {
        Properties: { EnableKeyRotation: true },
        DeletionPolicy: 'Retain',
      });
      template.hasResource('AWS::SecretsManager::Secret', {
        Properties: { KmsKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^SignerKey'), 'Arn'] } },
        DeletionPolicy: 'Retain',
      });
    });

    it('follows the removal policy it is given', () => {
      build({ mode: 'user' }, RemovalPolicy.DESTROY).template.hasResource('AWS::SecretsManager::Secret', {
        DeletionPolicy: 'Delete',
      });
    });

    it('acknowledges the secret rotation finding and nothing else', () => {
      expect(nagViolations(stack)).toEqual([]);
      const reasons = JSON.stringify(construct.credentialsSecret?.node.metadata);
      expect(reasons).toContain('AwsSolutions-SMG4');
      expect(reasons).toContain("SORACOM's credential store keeps its own copy");
    });
  });

  describe('role mode', () => {
    const { construct, template } = build({
      mode: 'role',
      soracomAccountId: '762707677580',
      externalId: 'ext-id-1',
    });

    it('is a role (the Resource child) assumable by the SORACOM account with the external id', () => {
      expect(construct.role?.node.id).toBe('Resource');
      template.hasResourceProperties('AWS::IAM::Role', {
        AssumeRolePolicyDocument: {
          Statement: [
            Match.objectLike({
              Action: 'sts:AssumeRole',
              Condition: { StringEquals: { 'sts:ExternalId': 'ext-id-1' } },
            }),
          ],
        },
      });
      template.hasResourceProperties('AWS::IAM::Policy', { Roles: Match.anyValue(), Groups: Match.absent() });
    });

    it('has no user, key, secret or KMS key', () => {
      for (const type of [
        'AWS::IAM::User',
        'AWS::IAM::AccessKey',
        'AWS::SecretsManager::Secret',
        'AWS::KMS::Key',
      ]) {
        template.resourceCountIs(type, 0);
      }
      expect(construct.credentialsSecret).toBeUndefined();
    });

    it('rejects an account id that is not 12 digits', () => {
      expect(() => build({ mode: 'role', soracomAccountId: '7627076775', externalId: 'ext-id-1' })).toThrow(
        'soracomAccountId must be a 12-digit AWS account id, got: 7627076775',
      );
    });

    it('rejects an external id IAM would refuse', () => {
      expect(() => build({ mode: 'role', soracomAccountId: '762707677580', externalId: 'x' })).toThrow(
        'externalId must be 2-1224 characters from a-z A-Z 0-9 _ + = , . @ : / -, got: x',
      );
    });
  });
});
