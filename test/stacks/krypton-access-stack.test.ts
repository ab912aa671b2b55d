import type { CfnResource } from 'aws-cdk-lib';
import { Capture, Match, Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import type { KeylessConfigInput } from '../../lib/config';
import { createEnvironmentStacks } from '../../lib/stacks/environment';
import { KryptonAccessStack } from '../../lib/stacks/krypton-access-stack';
import { isolationQuestions } from '../../lib/verify/isolation-questions';
import { devConfig, nagViolations, testApp } from '../support/cdk-app';
import { LocalDeployment, wrongAnswers } from '../support/isolation-answers';
import { TEST_EXTERNAL_IDS } from '../support/prod-example';
import {
  evaluatePolicies,
  evaluatePolicy,
  flattenIntrinsics,
  type PolicyDocumentJson,
  type PolicyRequest,
} from '../support/policy-evaluator';
import { bundledFunctionCode } from '../support/function-bundles';

const ACCOUNT = '111111111111';
const REGION = 'ap-northeast-1';
const BUCKET = `arn:aws:s3:::keyless-iot-dev-${ACCOUNT}-${REGION}`;
const REFERENCE_TABLE = `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/keyless-iot-dev-reference`;
const DEVICE_TABLE = `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/keyless-iot-dev-device-data`;
const POOL_ID = 'ap-northeast-1:00000000-pool';
const X = 'ap-northeast-1:11111111-aaaa-bbbb-cccc-000000000001';
const Y = 'ap-northeast-1:22222222-aaaa-bbbb-cccc-000000000002';

function synth(override: (raw: KeylessConfigInput) => void = () => {}) {
  const config = devConfig(override);
  const app = testApp({ 'aws:cdk:bundling-stacks': [] });
  const stack = new KryptonAccessStack(app, 'KryptonAccess', {
    environment: config,
    krypton: config.krypton!,
    closedNetworkPrefix: config.closedNetwork?.prefix,
  });
  return { app, stack, config, template: Template.fromStack(stack) };
}

const roleMode = (raw: KeylessConfigInput) => {
  raw.krypton!.signer = {
    mode: 'role',
    soracomAccountId: '762707677580',
    externalId: TEST_EXTERNAL_IDS.krypton,
  };
};

describe('KryptonAccessStack', () => {
  const { app, config, stack, template } = synth();
  const logicalId = (construct: IConstruct) =>
    stack.resolve((construct.node.defaultChild as CfnResource).logicalId) as string;
  const poolId = stack.resolve(stack.pool.identityPool.logicalId) as string;
  const roleId = logicalId(stack.pool.authenticatedRole);
  const refs = { [poolId]: POOL_ID, 'AWS::Region': REGION, 'AWS::AccountId': ACCOUNT };

  /** Every identity policy attached to a role (inline or AWS::IAM::Policy), intrinsics flattened. */
  function policiesOfRole(id: string): PolicyDocumentJson[] {
    const policies = Object.values(template.findResources('AWS::IAM::Policy'))
      .filter((p) => JSON.stringify(p.Properties.Roles ?? []).includes(`"${id}"`))
      .map((p) => p.Properties.PolicyDocument);
    const inline = (template.findResources('AWS::IAM::Role')[id].Properties.Policies ?? []).map(
      (p: { PolicyDocument: unknown }) => p.PolicyDocument,
    );
    return flattenIntrinsics<PolicyDocumentJson[]>([...policies, ...inline], refs);
  }

  // The questions keyless verify asks AWS's simulator in the account (lib/verify/isolation-questions.ts).
  it('answers the shared isolation questions of the Krypton role, the signer and its key rotation', () => {
    const questions = isolationQuestions(config, { kryptonAccess: stack }, { identityPoolId: POOL_ID });
    expect(new Set(questions.map((q) => q.id.split('/')[0]))).toEqual(
      new Set(['krypton-role', 'krypton-signer-user', 'krypton-rotation-role']),
    );
    expect(wrongAnswers(LocalDeployment.ofApp(config, app, { identityPoolId: POOL_ID }), questions)).toEqual(
      [],
    );
  });

  it('is named after the environment and tagged', () => {
    expect(stack.stackName).toBe('KeylessIot-dev-KryptonAccess');
    expect(stack.tags.tagValues()).toMatchObject({ Project: 'keyless-iot', Environment: 'dev' });
  });

  describe('identity pool', () => {
    it('uses the configured developer provider, no unauthenticated identities and no classic flow', () => {
      template.resourceCountIs('AWS::Cognito::IdentityPool', 1);
      template.hasResourceProperties('AWS::Cognito::IdentityPool', {
        IdentityPoolName: 'keyless dev krypton',
        DeveloperProviderName: 'keyless.dev.krypton',
        AllowUnauthenticatedIdentities: false,
        AllowClassicFlow: false,
        SupportedLoginProviders: Match.absent(),
        OpenIdConnectProviderARNs: Match.absent(),
      });
    });

    it('attaches only the authenticated role (no unauthenticated role exists)', () => {
      template.resourceCountIs('AWS::Cognito::IdentityPoolRoleAttachment', 1);
      template.hasResourceProperties('AWS::Cognito::IdentityPoolRoleAttachment', {
        IdentityPoolId: { Ref: poolId },
        Roles: Match.exact({ authenticated: { 'Fn::GetAtt': [roleId, 'Arn'] } }),
      });
      const trusts = Object.values(template.findResources('AWS::IAM::Role')).map((r) =>
        JSON.stringify(r.Properties.AssumeRolePolicyDocument),
      );
      expect(trusts.filter((t) => t.includes('unauthenticated'))).toEqual([]);
    });
  });

  describe('authenticated role', () => {
    it('trusts cognito-identity.amazonaws.com for this pool and authenticated identities only', () => {
      template.hasResourceProperties('AWS::IAM::Role', {
        AssumeRolePolicyDocument: {
          Statement: [
            {
              Effect: 'Allow',
              Action: 'sts:AssumeRoleWithWebIdentity',
              Principal: { Federated: 'cognito-identity.amazonaws.com' },
              Condition: {
                StringEquals: { 'cognito-identity.amazonaws.com:aud': { Ref: poolId } },
                'ForAnyValue:StringLike': { 'cognito-identity.amazonaws.com:amr': 'authenticated' },
              },
            },
          ],
        },
      });
    });

    it('can only be assumed with a token of this pool for an authenticated identity', () => {
      const trust = flattenIntrinsics<PolicyDocumentJson>(
        template.findResources('AWS::IAM::Role')[roleId].Properties.AssumeRolePolicyDocument,
        refs,
      );
      const assume = (aud: string, amr: string[]): string =>
        evaluatePolicy(trust, {
          action: 'sts:AssumeRoleWithWebIdentity',
          principal: { Federated: 'cognito-identity.amazonaws.com' },
          context: { 'cognito-identity.amazonaws.com:aud': aud, 'cognito-identity.amazonaws.com:amr': amr },
        });
      const developerAmr = ['authenticated', 'keyless.dev.krypton', `keyless.dev.krypton:${REGION}:${X}`];
      expect(assume(POOL_ID, developerAmr)).toBe('allow');
      expect(assume('ap-northeast-1:another-pool', developerAmr)).toBe('implicit-deny');
      expect(assume(POOL_ID, ['unauthenticated'])).toBe('implicit-deny');
    });

    it('has exactly the statements for the reference table, its own partition, its own prefix and the scripts', () => {
      const statements = new Capture();
      template.hasResourceProperties('AWS::IAM::Policy', {
        Roles: [{ Ref: roleId }],
        PolicyDocument: { Statement: statements },
      });
      const flat = flattenIntrinsics<PolicyDocumentJson['Statement'][]>(statements.asArray(), refs);
      expect(flat).toEqual([
        {
          Sid: 'ReadReferenceTable',
          Effect: 'Allow',
          Action: ['dynamodb:DescribeTable', 'dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:Scan'],
          Resource: REFERENCE_TABLE,
        },
        {
          Sid: 'OwnPartitionOfDeviceTable',
          Effect: 'Allow',
          Action: [
            'dynamodb:BatchGetItem',
            'dynamodb:BatchWriteItem',
            'dynamodb:DeleteItem',
            'dynamodb:GetItem',
            'dynamodb:PutItem',
            'dynamodb:Query',
            'dynamodb:UpdateItem',
          ],
          Resource: DEVICE_TABLE,
          Condition: {
            'ForAllValues:StringEquals': {
              'dynamodb:LeadingKeys': ['${cognito-identity.amazonaws.com:sub}'],
            },
            Null: { 'dynamodb:LeadingKeys': 'false' },
          },
        },
        {
          Sid: 'OwnPrefixObjects',
          Effect: 'Allow',
          Action: ['s3:GetObject', 's3:PutObject'],
          Resource: [
            `${BUCKET}/closed/\${cognito-identity.amazonaws.com:sub}/*`,
            `${BUCKET}/krypton/\${cognito-identity.amazonaws.com:sub}/*`,
          ],
        },
        {
          Sid: 'ListOwnPrefix',
          Effect: 'Allow',
          Action: 's3:ListBucket',
          Resource: BUCKET,
          Condition: {
            StringLike: {
              's3:prefix': [
                'krypton/${cognito-identity.amazonaws.com:sub}/',
                'krypton/${cognito-identity.amazonaws.com:sub}/*',
                'closed/${cognito-identity.amazonaws.com:sub}/',
                'closed/${cognito-identity.amazonaws.com:sub}/*',
              ],
            },
          },
        },
        {
          Sid: 'ReadDeviceScripts',
          Effect: 'Allow',
          Action: 's3:GetObject',
          Resource: `${BUCKET}/device-scripts/*`,
        },
      ]);
    });

    describe('isolation between identities (policy evaluation with cognito-identity.amazonaws.com:sub = X)', () => {
      const policies = policiesOfRole(roleId);
      const asX = (
        request: Omit<PolicyRequest, 'context'>,
        context: Record<string, string | string[]> = {},
      ) =>
        evaluatePolicies(policies, {
          ...request,
          context: { 'cognito-identity.amazonaws.com:sub': X, ...context },
        });

      it('allows krypton/X/a and denies krypton/Y/a', () => {
        expect(asX({ action: 's3:PutObject', resource: `${BUCKET}/krypton/${X}/a` })).toBe('allow');
        expect(asX({ action: 's3:GetObject', resource: `${BUCKET}/krypton/${X}/a` })).toBe('allow');
        expect(asX({ action: 's3:PutObject', resource: `${BUCKET}/krypton/${Y}/a` })).toBe('implicit-deny');
        expect(asX({ action: 's3:GetObject', resource: `${BUCKET}/krypton/${Y}/a` })).toBe('implicit-deny');
        expect(asX({ action: 's3:DeleteObject', resource: `${BUCKET}/krypton/${X}/a` })).toBe(
          'implicit-deny',
        );
        expect(asX({ action: 's3:PutObject', resource: `${BUCKET}/things/sensor-001/a` })).toBe(
          'implicit-deny',
        );
      });

      it('writes its own closed-network prefix (the bucket policy adds the endpoint condition) and no other', () => {
        expect(asX({ action: 's3:PutObject', resource: `${BUCKET}/closed/${X}/a` })).toBe('allow');
        expect(asX({ action: 's3:PutObject', resource: `${BUCKET}/closed/${Y}/a` })).toBe('implicit-deny');
        expect(asX({ action: 's3:PutObject', resource: `${BUCKET}/closed/a` })).toBe('implicit-deny');
      });

      it('lists its own prefix only', () => {
        const list = (prefix?: string) =>
          asX(
            { action: 's3:ListBucket', resource: BUCKET },
            prefix === undefined ? {} : { 's3:prefix': prefix },
          );
        expect(list(`krypton/${X}/`)).toBe('allow');
        expect(list(`krypton/${X}/2026/`)).toBe('allow');
        expect(list(`krypton/${Y}/`)).toBe('implicit-deny');
        expect(list('krypton/')).toBe('implicit-deny');
        expect(list()).toBe('implicit-deny');
      });

      it('reads the device scripts but cannot change them', () => {
        const script = `${BUCKET}/device-scripts/bin/keyless-credentials`;
        expect(asX({ action: 's3:GetObject', resource: script })).toBe('allow');
        expect(asX({ action: 's3:PutObject', resource: script })).toBe('implicit-deny');
      });

      it('scans the reference table but not the device table', () => {
        expect(asX({ action: 'dynamodb:Scan', resource: REFERENCE_TABLE })).toBe('allow');
        expect(asX({ action: 'dynamodb:Scan', resource: DEVICE_TABLE })).toBe('implicit-deny');
        expect(
          asX({ action: 'dynamodb:PutItem', resource: REFERENCE_TABLE }, { 'dynamodb:LeadingKeys': [X] }),
        ).toBe('implicit-deny');
      });

      it('reads and writes its own partition of the device table only', () => {
        const onKeys = (action: string, keys: string[]) =>
          asX({ action, resource: DEVICE_TABLE }, { 'dynamodb:LeadingKeys': keys });
        expect(onKeys('dynamodb:PutItem', [X])).toBe('allow');
        expect(onKeys('dynamodb:Query', [X])).toBe('allow');
        expect(onKeys('dynamodb:BatchWriteItem', [X, X])).toBe('allow');
        expect(onKeys('dynamodb:PutItem', [Y])).toBe('implicit-deny');
        expect(onKeys('dynamodb:GetItem', [Y])).toBe('implicit-deny');
        expect(onKeys('dynamodb:BatchWriteItem', [X, Y])).toBe('implicit-deny');
        // A request without a partition key (what Scan looks like) is not let through by ForAllValues.
        expect(asX({ action: 'dynamodb:GetItem', resource: DEVICE_TABLE })).toBe('implicit-deny');
      });

      it('grants nothing outside the device data', () => {
        expect(asX({ action: 'dynamodb:DeleteTable', resource: REFERENCE_TABLE })).toBe('implicit-deny');
        expect(
          asX({
            action: 'secretsmanager:GetSecretValue',
            resource: `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:x`,
          }),
        ).toBe('implicit-deny');
        expect(
          asX({
            action: 'cognito-identity:GetOpenIdTokenForDeveloperIdentity',
            resource: `arn:aws:cognito-identity:${REGION}:${ACCOUNT}:identitypool/${POOL_ID}`,
          }),
        ).toBe('implicit-deny');
      });
    });
  });

  describe('signer in user mode (the default)', () => {
    it('is an IAM user whose only permission comes from its group: token issuing in this one pool', () => {
      const user = stack.signer.user!;
      template.resourceCountIs('AWS::IAM::User', 1);
      template.hasResourceProperties('AWS::IAM::User', {
        Groups: [{ Ref: Match.anyValue() }],
        Policies: Match.absent(),
        ManagedPolicyArns: Match.absent(),
      });
      const groupRef = template.findResources('AWS::IAM::User')[logicalId(user)].Properties.Groups[0].Ref;
      template.hasResourceProperties('AWS::IAM::Policy', {
        Groups: [{ Ref: groupRef }],
        Users: Match.absent(),
        Roles: Match.absent(),
        PolicyDocument: {
          Statement: [
            {
              Effect: 'Allow',
              Action: [
                'cognito-identity:GetOpenIdTokenForDeveloperIdentity',
                'cognito-identity:LookupDeveloperIdentity',
              ],
              Resource: {
                'Fn::Join': [
                  '',
                  [`arn:aws:cognito-identity:${REGION}:${ACCOUNT}:identitypool/`, { Ref: poolId }],
                ],
              },
            },
          ],
        },
      });
      const groupPolicies = Object.values(template.findResources('AWS::IAM::Policy')).filter((p) =>
        JSON.stringify(p.Properties.Groups ?? []).includes(groupRef),
      );
      expect(groupPolicies).toHaveLength(1);
    });

    it('may issue tokens in this pool and nothing else', () => {
      const signerPolicies = flattenIntrinsics<PolicyDocumentJson[]>(
        Object.values(template.findResources('AWS::IAM::Policy'))
          .filter((p) => p.Properties.Groups)
          .map((p) => p.Properties.PolicyDocument),
        refs,
      );
      const pool = `arn:aws:cognito-identity:${REGION}:${ACCOUNT}:identitypool/${POOL_ID}`;
      const other = `arn:aws:cognito-identity:${REGION}:${ACCOUNT}:identitypool/${REGION}:other`;
      const ask = (action: string, resource: string) =>
        evaluatePolicies(signerPolicies, { action, resource });
      expect(ask('cognito-identity:GetOpenIdTokenForDeveloperIdentity', pool)).toBe('allow');
      expect(ask('cognito-identity:LookupDeveloperIdentity', pool)).toBe('allow');
      expect(ask('cognito-identity:GetOpenIdTokenForDeveloperIdentity', other)).toBe('implicit-deny');
      expect(ask('cognito-identity:GetCredentialsForIdentity', pool)).toBe('implicit-deny');
      expect(ask('cognito-identity:DeleteIdentityPool', pool)).toBe('implicit-deny');
      expect(ask('s3:GetObject', `${BUCKET}/krypton/${X}/a`)).toBe('implicit-deny');
    });

    it('makes no access key: the signer key rotation issues and rotates the key SORACOM holds', () => {
      template.resourceCountIs('AWS::IAM::AccessKey', 0);
      template.hasResourceProperties('AWS::IAM::User', { UserName: 'keyless-iot-dev-krypton-signer' });
      expect(stack.signerRotation).toBeDefined();
      template.hasResourceProperties('AWS::Lambda::Function', {
        Environment: {
          Variables: Match.objectLike({
            IAM_USER_NAME: { Ref: logicalId(stack.signer.user!) },
            ROTATION_STRATEGY: 'update-in-place',
            SORACOM_CREDENTIAL_ID: 'keyless-dev-krypton',
            ROTATION_STATE_PARAMETER: '/keyless-iot/dev/krypton/rotation-state',
            ROTATION_PERIOD_DAYS: '90',
            ROTATION_GRACE_DAYS: '7',
          }),
        },
      });
      expect(JSON.stringify(template.toJSON())).not.toContain('SecretAccessKey');
    });

    it('outputs what the register and bundle commands read', () => {
      template.hasOutput('IdentityPoolId', { Value: { Ref: poolId } });
      template.hasOutput('DeveloperProviderName', { Value: 'keyless.dev.krypton' });
      template.hasOutput('AuthenticatedRoleArn', { Value: { 'Fn::GetAtt': [roleId, 'Arn'] } });
      template.hasOutput('SignerRotationFunctionName', {
        Value: { Ref: logicalId(stack.signerRotation!.function) },
      });
      template.hasOutput('SignerAuthKeySecretArn', {
        Value: { Ref: logicalId(stack.signerRotation!.authKeySecret) },
      });
      expect(Object.keys(template.toJSON().Outputs)).not.toContain('SignerRoleArn');
    });

    it('has no unacknowledged cdk-nag finding', () => {
      expect(nagViolations(stack)).toEqual([]);
    });
  });

  describe('signer in role mode', () => {
    const role = synth(roleMode);
    const signerRoleId = role.stack.resolve(
      (role.stack.signer.role!.node.defaultChild as CfnResource).logicalId,
    ) as string;

    it('creates no IAM user, access key or secret', () => {
      role.template.resourceCountIs('AWS::IAM::User', 0);
      role.template.resourceCountIs('AWS::IAM::AccessKey', 0);
      role.template.resourceCountIs('AWS::SecretsManager::Secret', 0);
    });

    it('trusts the SORACOM account only with the external id', () => {
      role.template.hasResourceProperties('AWS::IAM::Role', {
        AssumeRolePolicyDocument: {
          Statement: [
            {
              Effect: 'Allow',
              Action: 'sts:AssumeRole',
              Principal: {
                AWS: 'arn:aws:iam::762707677580:root',
              },
              Condition: { StringEquals: { 'sts:ExternalId': TEST_EXTERNAL_IDS.krypton } },
            },
          ],
        },
      });
      const trust = flattenIntrinsics<PolicyDocumentJson>(
        role.template.findResources('AWS::IAM::Role')[signerRoleId].Properties.AssumeRolePolicyDocument,
      );
      const assume = (principal: string, externalId?: string) =>
        evaluatePolicy(trust, {
          action: 'sts:AssumeRole',
          principal: { AWS: principal },
          context: externalId === undefined ? {} : { 'sts:ExternalId': externalId },
        });
      expect(assume('arn:aws:iam::762707677580:role/krypton', TEST_EXTERNAL_IDS.krypton)).toBe('allow');
      expect(assume('arn:aws:iam::762707677580:role/krypton', 'another-customer')).toBe('implicit-deny');
      expect(assume('arn:aws:iam::762707677580:role/krypton')).toBe('implicit-deny');
      expect(assume('arn:aws:iam::999999999999:role/krypton', TEST_EXTERNAL_IDS.krypton)).toBe(
        'implicit-deny',
      );
    });

    it('has the same single permission', () => {
      role.template.hasResourceProperties('AWS::IAM::Policy', {
        Roles: [{ Ref: signerRoleId }],
        PolicyDocument: {
          Statement: [
            Match.objectLike({
              Action: [
                'cognito-identity:GetOpenIdTokenForDeveloperIdentity',
                'cognito-identity:LookupDeveloperIdentity',
              ],
            }),
          ],
        },
      });
    });

    it('outputs SignerRoleArn instead of a secret', () => {
      role.template.hasOutput('SignerRoleArn', { Value: { 'Fn::GetAtt': [signerRoleId, 'Arn'] } });
      expect(Object.keys(role.template.toJSON().Outputs).sort()).toEqual([
        'AuthenticatedRoleArn',
        'DeveloperProviderName',
        'IdentityPoolId',
        'SignerRoleArn',
      ]);
    });

    it('has no unacknowledged cdk-nag finding', () => {
      expect(nagViolations(role.stack)).toEqual([]);
    });
  });

  describe('without a closed network', () => {
    const open = synth((raw) => {
      delete raw.closedNetwork;
    });

    it('grants no closed-network prefix and has no unacknowledged cdk-nag finding', () => {
      expect(JSON.stringify(open.template.toJSON())).toContain('/krypton/');
      expect(JSON.stringify(open.template.toJSON())).not.toContain('/closed/');
      expect(nagViolations(open.stack)).toEqual([]);
    });
  });

  describe('in the environment', () => {
    it('exists only when the config has a krypton section, after the Data stack', () => {
      const withKrypton = createEnvironmentStacks(testApp(), devConfig(), {
        functionCode: bundledFunctionCode(),
      });
      expect(withKrypton.kryptonAccess?.stackName).toBe('KeylessIot-dev-KryptonAccess');
      expect(withKrypton.kryptonAccess?.dependencies).toContain(withKrypton.data);
      const without = createEnvironmentStacks(
        testApp(),
        devConfig((raw) => {
          delete raw.krypton;
        }),
        { functionCode: bundledFunctionCode() },
      );
      expect(without.kryptonAccess).toBeUndefined();
    });
  });
});
