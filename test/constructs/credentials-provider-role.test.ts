import { Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { CredentialsProviderRole } from '../../lib/constructs/credentials-provider-role';
import { nagViolations, testApp } from '../support/cdk-app';
import { evaluatePolicy, flattenIntrinsics, type PolicyDocumentJson } from '../support/policy-evaluator';

const BUCKET = 'keyless-iot-dev-111111111111-ap-northeast-1';
const KEY_ARN = 'arn:aws:kms:ap-northeast-1:111111111111:key/11111111-2222-3333-4444-555555555555';
const SECRET = 'arn:aws:secretsmanager:ap-northeast-1:111111111111:secret';
const ALIAS = 'keyless-dev-device';
const ALIAS_ARN = `arn:aws:iot:ap-northeast-1:111111111111:rolealias/${ALIAS}`;

function build(props: Partial<ConstructorParameters<typeof CredentialsProviderRole>[2]> = {}) {
  const app = testApp();
  const stack = new Stack(app, 'Test', { env: { account: '111111111111', region: 'ap-northeast-1' } });
  const role = new CredentialsProviderRole(stack, 'CredentialsProviderRole', {
    deviceBucketName: BUCKET,
    deviceSecretName: 'keyless-iot/dev/device-secret',
    secretsKeyArn: KEY_ARN,
    roleAliasName: ALIAS,
    ...props,
  });
  return { stack, role, template: Template.fromStack(stack) };
}

/** The role's trust policy, with its ARNs as plain strings. */
function trustPolicy(template: Template): PolicyDocumentJson {
  const roles = Object.values(template.findResources('AWS::IAM::Role'));
  expect(roles).toHaveLength(1);
  return flattenIntrinsics<PolicyDocumentJson>(roles[0].Properties.AssumeRolePolicyDocument);
}

/** The role's one inline policy, with its ARNs as plain strings. */
function rolePolicy(template: Template): PolicyDocumentJson {
  const roles = Object.values(template.findResources('AWS::IAM::Role'));
  expect(roles).toHaveLength(1);
  const policies = roles[0].Properties.Policies as { PolicyDocument: unknown }[];
  expect(policies).toHaveLength(1);
  return flattenIntrinsics<PolicyDocumentJson>(policies[0].PolicyDocument);
}

describe('CredentialsProviderRole', () => {
  it('is trusted only by the AWS IoT credentials provider, with the configured MaxSessionDuration', () => {
    const { template } = build({ maxSessionDuration: Duration.hours(2) });
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [
          {
            Action: 'sts:AssumeRole',
            Effect: 'Allow',
            Principal: { Service: 'credentials.iot.amazonaws.com' },
            Condition: Match.anyValue(),
          },
        ],
      },
      MaxSessionDuration: 7200,
      ManagedPolicyArns: Match.absent(),
    });
    expect(template.findResources('AWS::IAM::Policy')).toEqual({});
  });

  // Confused deputy: the credentials provider may assume the role only for this account's role alias.
  describe('trust: aws:SourceAccount = the account and aws:SourceArn = the role alias ARN', () => {
    const trust = trustPolicy(build().template);
    const assume = (context: Record<string, string>, service = 'credentials.iot.amazonaws.com') =>
      evaluatePolicy(trust, { action: 'sts:AssumeRole', principal: { Service: service }, context });
    const right = { 'aws:SourceAccount': '111111111111', 'aws:SourceArn': ALIAS_ARN };

    it('allows the credentials provider acting for this account and this role alias', () => {
      expect(trust.Statement).toEqual([
        {
          Action: 'sts:AssumeRole',
          Effect: 'Allow',
          Principal: { Service: 'credentials.iot.amazonaws.com' },
          Condition: {
            StringEquals: { 'aws:SourceAccount': '111111111111' },
            ArnEquals: { 'aws:SourceArn': ALIAS_ARN },
          },
        },
      ]);
      expect(assume(right)).toBe('allow');
    });

    it('denies another account, another role alias, or a request without the keys', () => {
      expect(assume({ ...right, 'aws:SourceAccount': '222222222222' })).toBe('implicit-deny');
      expect(
        assume({
          'aws:SourceAccount': '222222222222',
          'aws:SourceArn': `arn:aws:iot:ap-northeast-1:222222222222:rolealias/${ALIAS}`,
        }),
      ).toBe('implicit-deny');
      expect(assume({ ...right, 'aws:SourceArn': `${ALIAS_ARN}-other` })).toBe('implicit-deny');
      expect(
        assume({
          ...right,
          'aws:SourceArn': 'arn:aws:iot:us-east-1:111111111111:rolealias/keyless-dev-device',
        }),
      ).toBe('implicit-deny');
      expect(assume({ 'aws:SourceAccount': '111111111111' })).toBe('implicit-deny');
      expect(assume({ 'aws:SourceArn': ALIAS_ARN })).toBe('implicit-deny');
      expect(assume({})).toBe('implicit-deny');
      // And any other service principal, keys or not.
      expect(assume(right, 'iot.amazonaws.com')).toBe('implicit-deny');
    });
  });

  it('rejects a role alias name AWS IoT would not take', () => {
    expect(() => build({ roleAliasName: 'bad alias' })).toThrow(
      'roleAliasName must be 1-128 characters from a-z A-Z 0-9 _ = , @ -, got: bad alias',
    );
  });

  it('names exactly these statements, each scoped with ${credentials-iot:ThingName}', () => {
    const statements = rolePolicy(build().template).Statement;
    expect(statements).toEqual([
      {
        Sid: 'OwnObjects',
        Effect: 'Allow',
        Action: ['s3:AbortMultipartUpload', 's3:DeleteObject', 's3:GetObject', 's3:PutObject'],
        Resource: `arn:aws:s3:::${BUCKET}/things/\${credentials-iot:ThingName}/*`,
      },
      {
        Sid: 'ListOwnPrefix',
        Effect: 'Allow',
        Action: 's3:ListBucket',
        Resource: `arn:aws:s3:::${BUCKET}`,
        Condition: {
          StringLike: {
            's3:prefix': ['things/${credentials-iot:ThingName}/', 'things/${credentials-iot:ThingName}/*'],
          },
        },
      },
      {
        Sid: 'ReadDeviceScripts',
        Effect: 'Allow',
        Action: 's3:GetObject',
        Resource: `arn:aws:s3:::${BUCKET}/device-scripts/*`,
      },
      {
        Sid: 'ReadSecrets',
        Effect: 'Allow',
        Action: 'secretsmanager:GetSecretValue',
        Resource: expect.arrayContaining([
          `${SECRET}:keyless-iot/dev/device-secret-??????`,
          `${SECRET}:devices/\${credentials-iot:ThingName}-??????`,
        ]),
      },
      {
        Sid: 'DecryptSecretsViaSecretsManager',
        Effect: 'Allow',
        Action: 'kms:Decrypt',
        Resource: KEY_ARN,
        Condition: { StringEquals: { 'kms:ViaService': 'secretsmanager.ap-northeast-1.amazonaws.com' } },
      },
    ]);
  });

  describe('isolation: with credentials-iot:ThingName = A', () => {
    const policy = rolePolicy(build().template);
    const asA = { 'credentials-iot:ThingName': 'A' };
    const decide = (action: string, resource: string, context: Record<string, string> = {}) =>
      evaluatePolicy(policy, { action, resource, context: { ...asA, ...context } });
    const object = (key: string) => `arn:aws:s3:::${BUCKET}/${key}`;

    it.each(['s3:GetObject', 's3:PutObject', 's3:DeleteObject'])('allows %s under things/A/', (action) => {
      expect(decide(action, object('things/A/x'))).toBe('allow');
      expect(decide(action, object('things/A/deep/er.csv'))).toBe('allow');
    });

    it.each(['s3:GetObject', 's3:PutObject', 's3:DeleteObject'])(
      'denies %s under things/B/, things/AB/ and outside things/',
      (action) => {
        expect(decide(action, object('things/B/x'))).toBe('implicit-deny');
        expect(decide(action, object('things/AB/x'))).toBe('implicit-deny');
        expect(decide(action, object('other/x'))).toBe('implicit-deny');
        expect(decide(action, object('things/x'))).toBe('implicit-deny');
      },
    );

    it('lets aws s3 sync list its own prefix only', () => {
      const bucket = `arn:aws:s3:::${BUCKET}`;
      expect(decide('s3:ListBucket', bucket, { 's3:prefix': 'things/A/' })).toBe('allow');
      expect(decide('s3:ListBucket', bucket, { 's3:prefix': 'things/A/sub/' })).toBe('allow');
      expect(decide('s3:ListBucket', bucket, { 's3:prefix': 'things/B/' })).toBe('implicit-deny');
      // Without the slash the prefix would also list things/AB/.
      expect(decide('s3:ListBucket', bucket, { 's3:prefix': 'things/A' })).toBe('implicit-deny');
      expect(decide('s3:ListBucket', bucket, { 's3:prefix': '' })).toBe('implicit-deny');
      expect(decide('s3:ListBucket', bucket)).toBe('implicit-deny');
    });

    it('reads device scripts but cannot change them', () => {
      expect(decide('s3:GetObject', object('device-scripts/bin/keyless-credentials'))).toBe('allow');
      expect(decide('s3:PutObject', object('device-scripts/bin/keyless-credentials'))).toBe('implicit-deny');
      expect(decide('s3:DeleteObject', object('device-scripts/x'))).toBe('implicit-deny');
    });

    it('reads the shared secret and its own secret, not another thing’s', () => {
      expect(decide('secretsmanager:GetSecretValue', `${SECRET}:keyless-iot/dev/device-secret-AbC123`)).toBe(
        'allow',
      );
      expect(decide('secretsmanager:GetSecretValue', `${SECRET}:devices/A-AbC123`)).toBe('allow');
      expect(decide('secretsmanager:GetSecretValue', `${SECRET}:devices/B-AbC123`)).toBe('implicit-deny');
      expect(decide('secretsmanager:GetSecretValue', `${SECRET}:devices/A-x-AbC123`)).toBe('implicit-deny');
      expect(decide('secretsmanager:PutSecretValue', `${SECRET}:devices/A-AbC123`)).toBe('implicit-deny');
    });

    it('decrypts with the secrets key only through Secrets Manager', () => {
      const via = { 'kms:ViaService': 'secretsmanager.ap-northeast-1.amazonaws.com' };
      expect(decide('kms:Decrypt', KEY_ARN, via)).toBe('allow');
      expect(decide('kms:Decrypt', KEY_ARN)).toBe('implicit-deny');
      expect(decide('kms:Decrypt', KEY_ARN, { 'kms:ViaService': 's3.ap-northeast-1.amazonaws.com' })).toBe(
        'implicit-deny',
      );
      expect(decide('kms:Encrypt', KEY_ARN, via)).toBe('implicit-deny');
    });

    it('allows nothing when the device sends no thing name', () => {
      expect(evaluatePolicy(policy, { action: 's3:GetObject', resource: object('things/A/x') })).toBe(
        'implicit-deny',
      );
    });
  });

  it('acknowledges exactly the wildcard findings its policy raises, and leaves none open', () => {
    const { stack, role } = build();
    expect(nagViolations(stack)).toEqual([]);
    // The same document on a role without the acknowledgements: these are the findings acknowledged above.
    new iam.Role(stack, 'Unacknowledged', {
      assumedBy: new iam.ServicePrincipal('credentials.iot.amazonaws.com'),
      inlinePolicies: { Same: role.document },
    });
    expect(nagViolations(stack)).toEqual([
      `AwsSolutions-IAM5[Resource::arn:aws:s3:::${BUCKET}/things/<credentials-iot:ThingName>/*] at Test/Unacknowledged/Resource`,
      `AwsSolutions-IAM5[Resource::arn:aws:s3:::${BUCKET}/device-scripts/*] at Test/Unacknowledged/Resource`,
    ]);
  });

  it('rejects a MaxSessionDuration outside 3600 to 43200 seconds', () => {
    expect(() => build({ maxSessionDuration: Duration.minutes(30) })).toThrow(
      'maxSessionDuration must be an integer from 3600 to 43200 seconds, got: 1800',
    );
  });

  it('rejects a bucket name S3 would not take', () => {
    expect(() => build({ deviceBucketName: 'Bad_Bucket' })).toThrow(
      'deviceBucketName must be an S3 bucket name, got: Bad_Bucket',
    );
  });
});
