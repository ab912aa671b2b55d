import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { CustomerManagedKey } from '../../lib/constructs/customer-managed-key';
import { EncryptedLogGroup } from '../../lib/constructs/encrypted-log-group';
import { KeylessFunction, type KeylessFunctionProps } from '../../lib/constructs/keyless-function';
import { nagViolations, testApp } from '../support/cdk-app';

const env = { account: '111111111111', region: 'ap-northeast-1' };
const INLINE = lambda.Code.fromInline('exports.handler = async () => {};');

function build(overrides: Partial<KeylessFunctionProps> = {}) {
  const stack = new Stack(testApp(), 'Test', { env });
  const fn = new KeylessFunction(stack, 'Fn', {
    handler: 'thing-type-assigner',
    functionName: 'keyless-test-fn',
    description: 'A test function',
    roleDescription: 'What the test function may do',
    permissions: {
      DescribeThings: new iam.PolicyDocument({
        statements: [
          new iam.PolicyStatement({
            actions: ['iot:DescribeThing'],
            resources: ['arn:aws:iot:ap-northeast-1:111111111111:thing/a'],
          }),
        ],
      }),
    },
    outsideVpcReason: 'It calls only the AWS IoT control plane.',
    noDeadLetterQueueReason: 'CloudFormation invokes it synchronously.',
    timeout: Duration.seconds(30),
    code: INLINE,
    removalPolicy: RemovalPolicy.DESTROY,
    ...overrides,
  });
  return { stack, fn, template: Template.fromStack(stack) };
}

// The stack has an explicit environment, so ARNs carry the partition as a literal (enablePartitionLiterals).
const logsArn = (name: string) => `arn:aws:logs:ap-northeast-1:111111111111:log-group:${name}`;

describe('KeylessFunction', () => {
  it('is Node.js 24 on ARM with JSON logs in a log group of its own, encrypted with a key of its own', () => {
    const { stack, fn, template } = build();
    template.hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: 'keyless-test-fn',
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      MemorySize: 256,
      Timeout: 30,
      Handler: 'index.handler',
      LoggingConfig: { LogFormat: 'JSON', LogGroup: stack.resolve(fn.logGroup.logGroupName) },
    });
    template.hasResourceProperties('AWS::Logs::LogGroup', {
      LogGroupName: '/aws/lambda/keyless-test-fn',
      RetentionInDays: 365,
      KmsKeyId: stack.resolve(fn.logGroup.key.key.keyArn),
    });
    template.resourceCountIs('AWS::KMS::Key', 1);
    template.hasResourceProperties('AWS::KMS::Key', {
      EnableKeyRotation: true,
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Sid: 'CloudWatchLogsForawslambdakeylesstestfn',
            Principal: { Service: 'logs.ap-northeast-1.amazonaws.com' },
            Condition: {
              ArnEquals: { 'kms:EncryptionContext:aws:logs:arn': logsArn('/aws/lambda/keyless-test-fn') },
            },
          }),
        ]),
      },
    });
  });

  it('has a role with its permissions and the right to write its own logs, nothing else', () => {
    const { stack, fn, template } = build();
    template.resourceCountIs('AWS::IAM::Policy', 0);
    template.hasResourceProperties('AWS::IAM::Role', {
      Description: 'What the test function may do',
      AssumeRolePolicyDocument: Match.objectLike({
        Statement: [Match.objectLike({ Principal: { Service: 'lambda.amazonaws.com' } })],
      }),
      ManagedPolicyArns: Match.absent(),
      Policies: [
        Match.objectLike({ PolicyName: 'DescribeThings' }),
        {
          PolicyName: 'WriteOwnLogs',
          PolicyDocument: {
            Version: '2012-10-17',
            Statement: [
              {
                Sid: 'WriteOwnLogs',
                Effect: 'Allow',
                Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
                Resource: stack.resolve(fn.logGroup.logGroupArn),
              },
            ],
          },
        },
      ],
    });
    expect(nagViolations(stack)).toEqual([]);
  });

  it('logs into a log group it is given, sharing that group’s key', () => {
    const stack = new Stack(testApp(), 'Test', { env });
    const key = new CustomerManagedKey(stack, 'SharedKey', { description: 'a secret and a log group' });
    const logGroup = new EncryptedLogGroup(stack, 'Logs', { logGroupName: '/keyless-iot/test/fn', key });
    const fn = new KeylessFunction(stack, 'Fn', {
      handler: 'soracom-key-rotation',
      description: 'd',
      roleDescription: 'r',
      permissions: {},
      outsideVpcReason: 'r',
      noDeadLetterQueueReason: 'r',
      timeout: Duration.minutes(1),
      logGroup,
      code: INLINE,
    });
    const template = Template.fromStack(stack);
    expect(fn.logGroup).toBe(logGroup);
    template.resourceCountIs('AWS::KMS::Key', 1);
    template.resourceCountIs('AWS::Logs::LogGroup', 1);
    template.hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: Match.absent(),
      LoggingConfig: Match.objectLike({
        LogGroup: { Ref: stack.getLogicalId(logGroup.node.defaultChild as never) },
      }),
    });
  });

  it('passes on the settings a function may need', () => {
    const { template } = build({
      memorySize: 512,
      environment: { SETTING: 'value' },
      reservedConcurrentExecutions: 1,
      retryAttempts: 0,
      maxEventAge: Duration.hours(1),
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      MemorySize: 512,
      ReservedConcurrentExecutions: 1,
      Environment: { Variables: { SETTING: 'value' } },
    });
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      MaximumRetryAttempts: 0,
      MaximumEventAgeInSeconds: 3600,
    });
  });

  it('needs a function name for a log group of its own', () => {
    expect(() => build({ functionName: undefined })).toThrow(
      'KeylessFunction needs a functionName for a log group of its own, or a logGroup',
    );
  });

  it('keeps the name of its own logs policy for itself', () => {
    expect(() => build({ permissions: { WriteOwnLogs: new iam.PolicyDocument() } })).toThrow(
      'KeylessFunction permissions: WriteOwnLogs is the name of the policy it writes itself',
    );
  });
});

describe('EncryptedLogGroup', () => {
  it('refuses a retention CloudWatch Logs does not offer, naming the log group', () => {
    const stack = new Stack(testApp(), 'Test', { env });
    const key = new CustomerManagedKey(stack, 'Key', { description: 'k' });
    expect(() => new EncryptedLogGroup(stack, 'Logs', { logGroupName: '/x', key, retentionDays: 2 })).toThrow(
      /^EncryptedLogGroup \/x: retentionDays must be one of the periods CloudWatch Logs accepts \(1, 3, 5, .*\), got: 2$/,
    );
  });
});
