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

    it('is an IAM user (the User child) in a group that holds the policy', () => {
      expect(construct.user?.node.id).toBe('User');
      template.resourceCountIs('AWS::IAM::Group', 1);
      template.hasResourceProperties('AWS::IAM::Policy', { Groups: Match.anyValue(), Users: Match.absent() });
      template.hasResourceProperties('AWS::IAM::User', { Path: '/keyless-iot/', Groups: Match.anyValue() });
      expect(construct.role).toBeUndefined();
    });

    it('makes no access key, secret or KMS key: the key rotation issues the keys', () => {
      for (const type of ['AWS::IAM::AccessKey', 'AWS::SecretsManager::Secret', 'AWS::KMS::Key']) {
        template.resourceCountIs(type, 0);
      }
      expect(construct.legacyCredentialsSecret).toBeUndefined();
    });

    it('passes cdk-nag with no acknowledgement', () => {
      expect(nagViolations(stack)).toEqual([]);
    });
  });

  describe('user mode, keepLegacyAccessKey (upgrading an environment whose key CloudFormation made)', () => {
    const legacy = build({ mode: 'user', keepLegacyAccessKey: true });
    const fresh = build({ mode: 'user' });
    const logicalIds = (template: Template, type: string) => Object.keys(template.findResources(type)).sort();

    it('keeps the old user, key and secret under their old logical ids, next to the new user', () => {
      expect(legacy.construct.legacyUser?.node.id).toBe('Resource');
      expect(logicalIds(legacy.template, 'AWS::IAM::User')).toEqual(
        [
          ...logicalIds(fresh.template, 'AWS::IAM::User'),
          'Signer195B58A1' /* Signer/Resource: the user's logical id before the key rotated */,
        ].sort(),
      );
      legacy.template.resourceCountIs('AWS::IAM::AccessKey', 1);
      expect(logicalIds(legacy.template, 'AWS::IAM::AccessKey')[0]).toMatch(/^SignerAccessKey[0-9A-F]{8}$/);
      const secretString = JSON.stringify(
        Object.values(legacy.template.findResources('AWS::SecretsManager::Secret'))[0].Properties
          .SecretString,
      );
      // Only the key id (a Ref) and the secret (a GetAtt) are inside: no literal value of any length.
      expect(secretString.replace(/\{"(Ref|Fn::GetAtt)":[^}]*\}/g, '')).toBe(
        '{"Fn::Join":["",["{\\"accessKeyId\\":\\"",,"\\",\\"secretAccessKey\\":\\"",,"\\"}"]]}',
      );
    });

    it('follows the removal policy it is given', () => {
      build({ mode: 'user', keepLegacyAccessKey: true }, RemovalPolicy.DESTROY).template.hasResource(
        'AWS::SecretsManager::Secret',
        { DeletionPolicy: 'Delete' },
      );
    });

    it('acknowledges the secret rotation finding, saying why it is temporary', () => {
      expect(nagViolations(legacy.stack)).toEqual([]);
      const reasons = JSON.stringify(legacy.construct.legacyCredentialsSecret?.node.metadata);
      expect(reasons).toContain('AwsSolutions-SMG4');
      expect(reasons).toContain('Kept only through the upgrade');
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
      expect(construct.legacyCredentialsSecret).toBeUndefined();
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
