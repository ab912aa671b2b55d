import { Stack } from 'aws-cdk-lib';
import { Capture, Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sns from 'aws-cdk-lib/aws-sns';
import { SoracomKeyRotation, type SoracomKeyRotationProps } from '../../lib/constructs/soracom-key-rotation';
import { nagViolations, testApp } from '../support/cdk-app';

// Bundling is proved by the validators test (a full synth); here it is skipped to keep the assertions fast.
function setup(overrides: Partial<SoracomKeyRotationProps> = {}) {
  const stack = new Stack(testApp({ 'aws:cdk:bundling-stacks': [] }), 'Test', {
    env: { account: '111111111111', region: 'ap-northeast-1' },
  });
  const user = new iam.User(stack, 'FunnelUser', { userName: 'funnel' });
  const topic = new sns.Topic(stack, 'Alarms');
  const rotation = new SoracomKeyRotation(stack, 'KeyRotation', {
    user,
    authKeySecretName: 'keyless-iot/test/funnel/soracom-auth-key',
    logGroupName: '/keyless-iot/test/funnel-key-rotation',
    stateParameterName: '/keyless-iot/test/funnel/rotation-state',
    principal: 'funnel-publisher',
    coverage: 'jp',
    strategy: { type: 'update-in-place', credentialId: 'keyless-test-funnel' },
    metricNamespace: 'KeylessIot/Funnel',
    alarmTopic: topic,
    environmentName: 'test',
    ...overrides,
  });
  const id = (construct: { node: { defaultChild?: unknown } }) =>
    stack.resolve((construct.node.defaultChild as { logicalId: string }).logicalId) as string;
  return { stack, user, topic, rotation, template: Template.fromStack(stack), id };
}

test('the function may only rotate that one user, read that one secret and keep its one parameter', () => {
  const { stack, user, rotation, template, id } = setup();
  const role = rotation.function.role as iam.Role;
  const roles = template.findResources('AWS::IAM::Role', {
    Properties: {
      AssumeRolePolicyDocument: Match.objectLike({
        Statement: [Match.objectLike({ Principal: { Service: 'lambda.amazonaws.com' } })],
      }),
    },
  });
  expect(Object.keys(roles)).toEqual([id(role)]);
  // Nothing else: no managed policy (AWSLambdaBasicExecutionRole), no policy resource attached to the role.
  expect(roles[id(role)].Properties.ManagedPolicyArns).toBeUndefined();
  expect(
    Object.keys(template.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: id(role) }] } })),
  ).toEqual([]);
  const policies = Object.fromEntries(
    roles[id(role)].Properties.Policies.map((p: { PolicyName: string; PolicyDocument: unknown }) => [
      p.PolicyName,
      p.PolicyDocument,
    ]),
  );
  expect(policies.WriteOwnLogs).toEqual({
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'WriteOwnLogs',
        Effect: 'Allow',
        Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        Resource: { 'Fn::GetAtt': [id(rotation.logGroup), 'Arn'] },
      },
    ],
  });
  expect(policies.RotateAccessKey).toEqual({
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'RotateOneUsersKeys',
        Effect: 'Allow',
        Action: [
          'iam:CreateAccessKey',
          'iam:DeleteAccessKey',
          'iam:GetAccessKeyLastUsed',
          'iam:ListAccessKeys',
          'iam:UpdateAccessKey',
        ],
        Resource: { 'Fn::GetAtt': [id(user), 'Arn'] },
      },
      {
        Sid: 'ReadSoracomAuthKey',
        Effect: 'Allow',
        Action: 'secretsmanager:GetSecretValue',
        Resource: { Ref: id(rotation.authKeySecret) },
      },
      {
        Sid: 'DecryptSoracomAuthKey',
        Effect: 'Allow',
        Action: 'kms:Decrypt',
        Resource: { 'Fn::GetAtt': [id(rotation.key), 'Arn'] },
        Condition: { StringEquals: { 'kms:ViaService': 'secretsmanager.ap-northeast-1.amazonaws.com' } },
      },
      {
        Sid: 'KeepRotationState',
        Effect: 'Allow',
        Action: ['ssm:GetParameter', 'ssm:PutParameter'],
        Resource: 'arn:aws:ssm:ap-northeast-1:111111111111:parameter/keyless-iot/test/funnel/rotation-state',
      },
    ],
  });
  expect(Object.keys(policies).sort()).toEqual(['RotateAccessKey', 'WriteOwnLogs']);
  // The test's own topic is not under review here, only what the construct creates.
  expect(nagViolations(stack).filter((v) => v.includes(' at Test/KeyRotation/'))).toEqual([]);
});

test('the function: Node 20+, one run at a time, its log group, settings in the environment', () => {
  const { rotation, template, id } = setup();
  template.hasResourceProperties('AWS::Lambda::Function', {
    Runtime: 'nodejs24.x',
    Handler: 'index.handler',
    Timeout: 300,
    ReservedConcurrentExecutions: 1,
    LoggingConfig: {
      LogFormat: 'JSON',
      LogGroup: { Ref: id(rotation.logGroup) },
    },
    Environment: {
      Variables: {
        ROTATED_PRINCIPAL: 'funnel-publisher',
        IAM_USER_NAME: { Ref: Match.anyValue() },
        SORACOM_AUTH_KEY_SECRET_ID: { Ref: id(rotation.authKeySecret) },
        ROTATION_STATE_PARAMETER: '/keyless-iot/test/funnel/rotation-state',
        SORACOM_COVERAGE: 'jp',
        ROTATION_STRATEGY: 'update-in-place',
        SORACOM_CREDENTIAL_ID: 'keyless-test-funnel',
        ROTATION_PERIOD_DAYS: '90',
        ROTATION_GRACE_DAYS: '7',
        METRIC_NAMESPACE: 'KeylessIot/Funnel',
        ENVIRONMENT_NAME: 'test',
        POWERTOOLS_SERVICE_NAME: 'funnel-key-rotation',
      },
    },
  });
  template.hasResourceProperties('AWS::Logs::LogGroup', {
    LogGroupName: '/keyless-iot/test/funnel-key-rotation',
    KmsKeyId: { 'Fn::GetAtt': [id(rotation.key), 'Arn'] },
    RetentionInDays: 365,
  });
});

test('new-credential passes the prefix, global coverage its endpoint choice', () => {
  const { template } = setup({
    coverage: 'global',
    strategy: { type: 'new-credential', credentialPrefix: 'keyless-funnel' },
  });
  template.hasResourceProperties('AWS::Lambda::Function', {
    Environment: {
      Variables: Match.objectLike({
        SORACOM_COVERAGE: 'global',
        ROTATION_STRATEGY: 'new-credential',
        SORACOM_CREDENTIAL_PREFIX: 'keyless-funnel',
        SORACOM_CREDENTIAL_ID: Match.absent(),
      }),
    },
  });
});

test('the auth key secret is created empty and encrypted with the customer managed key', () => {
  const { rotation, template, id } = setup();
  template.hasResourceProperties('AWS::SecretsManager::Secret', {
    Name: 'keyless-iot/test/funnel/soracom-auth-key',
    KmsKeyId: { 'Fn::GetAtt': [id(rotation.key), 'Arn'] },
    GenerateSecretString: Match.absent(),
    SecretString: Match.absent(),
  });
  // CloudWatch Logs may use the key for this log group only.
  template.hasResourceProperties('AWS::KMS::Key', {
    KeyPolicy: {
      Statement: Match.arrayWith([
        Match.objectLike({
          Sid: 'CloudWatchLogsForkeylessiottestfunnelkeyrotation',
          Principal: { Service: 'logs.ap-northeast-1.amazonaws.com' },
          Condition: {
            ArnEquals: {
              'kms:EncryptionContext:aws:logs:arn':
                'arn:aws:logs:ap-northeast-1:111111111111:log-group:/keyless-iot/test/funnel-key-rotation',
            },
          },
        }),
      ]),
    },
  });
  expect((rotation.authKeySecret.node.defaultChild as secretsmanager.CfnSecret).cfnResourceType).toBe(
    'AWS::SecretsManager::Secret',
  );
  expect((rotation.key.node.defaultChild as kms.CfnKey).enableKeyRotation).toBe(true);
});

test('a rotation schedule every periodDays and a daily ensure schedule (first key, grace deletion, retries) invoke the function', () => {
  const { rotation, template, id } = setup({ periodDays: 30, graceDays: 5 });
  const fn = {
    'Fn::GetAtt': [id(rotation.function as unknown as { node: { defaultChild: lambda.CfnFunction } }), 'Arn'],
  };
  template.resourceCountIs('AWS::Scheduler::Schedule', 2);
  template.hasResourceProperties('AWS::Scheduler::Schedule', {
    ScheduleExpression: 'rate(30 days)',
    State: 'ENABLED',
    Target: Match.objectLike({ Arn: fn, Input: '{"action":"rotate"}' }),
  });
  template.hasResourceProperties('AWS::Scheduler::Schedule', {
    ScheduleExpression: 'rate(1 day)',
    Target: Match.objectLike({ Arn: fn, Input: '{"action":"ensure"}' }),
  });
  // The scheduler's role may invoke this function (and its versions) only.
  const invoke = new Capture();
  template.hasResourceProperties('AWS::IAM::Policy', {
    Roles: [{ Ref: id(rotation.node.findChild('SchedulerRole') as iam.Role) }],
    PolicyDocument: { Statement: [Match.objectLike({ Action: 'lambda:InvokeFunction', Resource: invoke })] },
  });
  expect(invoke.asArray()).toEqual([fn, { 'Fn::Join': ['', [fn, ':*']] }]);
});

test('alarms: any failed run, and no rotation for longer than period + grace (or no report at all)', () => {
  const { rotation, topic, template, id } = setup({ periodDays: 30, graceDays: 5 });
  const topicRef = { Ref: id(topic) };
  template.hasResourceProperties('AWS::CloudWatch::Alarm', {
    MetricName: 'Errors',
    Namespace: 'AWS/Lambda',
    Dimensions: [
      {
        Name: 'FunctionName',
        Value: { Ref: id(rotation.function as unknown as { node: { defaultChild: unknown } }) },
      },
    ],
    Statistic: 'Sum',
    Period: 3600,
    Threshold: 1,
    ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    TreatMissingData: 'notBreaching',
    AlarmActions: [topicRef],
    OKActions: [topicRef],
  });
  template.hasResourceProperties('AWS::CloudWatch::Alarm', {
    MetricName: 'SecondsSinceLastRotation',
    Namespace: 'KeylessIot/Funnel',
    Dimensions: [{ Name: 'Environment', Value: 'test' }],
    Statistic: 'Maximum',
    Period: 86400,
    Threshold: 35 * 86400,
    EvaluationPeriods: 2,
    DatapointsToAlarm: 2,
    ComparisonOperator: 'GreaterThanThreshold',
    TreatMissingData: 'breaching',
    AlarmActions: [topicRef],
  });
});

test.each<[Partial<SoracomKeyRotationProps>, string]>([
  [{ periodDays: 0 }, 'SoracomKeyRotation periodDays must be an integer from 1 to 365 days, got: 0'],
  [
    { periodDays: 30, graceDays: 30 },
    'SoracomKeyRotation graceDays must be an integer from 1 to 29 days, got: 30',
  ],
  [
    { stateParameterName: 'rotation-state' },
    'SoracomKeyRotation stateParameterName must be a parameter path such as /keyless-iot/dev/funnel/rotation-state, got: rotation-state',
  ],
])('bad input %j is refused', (overrides, message) => {
  expect(() => setup(overrides)).toThrow(message);
});

test('for the Krypton signer: its principal, its log service, its metric namespace, its words', () => {
  const { template } = setup({
    principal: 'krypton-signer',
    strategy: { type: 'update-in-place', credentialId: 'keyless-test-krypton' },
    metricNamespace: 'KeylessIot/Krypton',
  });
  template.hasResourceProperties('AWS::Lambda::Function', {
    Description:
      'Rotates the Krypton signer access key SORACOM holds (idempotent; safe to invoke at any time)',
    Environment: {
      Variables: Match.objectLike({
        ROTATED_PRINCIPAL: 'krypton-signer',
        SORACOM_CREDENTIAL_ID: 'keyless-test-krypton',
        METRIC_NAMESPACE: 'KeylessIot/Krypton',
        POWERTOOLS_SERVICE_NAME: 'krypton-signer-key-rotation',
      }),
    },
  });
  template.hasResourceProperties('AWS::CloudWatch::Alarm', {
    MetricName: 'SecondsSinceLastRotation',
    Namespace: 'KeylessIot/Krypton',
  });
  template.hasResourceProperties('AWS::Scheduler::Schedule', {
    Description: 'Rotate the Krypton signer access key SORACOM holds every 90 days',
  });
});

test('new-credential is the Funnel publisher’s only: Krypton SIM groups name one credential', () => {
  expect(() =>
    setup({
      principal: 'krypton-signer',
      strategy: { type: 'new-credential', credentialPrefix: 'keyless-krypton' },
    }),
  ).toThrow(
    "SoracomKeyRotation strategy new-credential switches SIM groups' SORACOM Funnel setting: it is for the funnel-publisher only, got: krypton-signer",
  );
});
