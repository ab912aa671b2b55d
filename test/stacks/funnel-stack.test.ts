import type { CfnResource } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { createEnvironmentStacks } from '../../lib/stacks/environment';
import { FunnelStack } from '../../lib/stacks/funnel-stack';
import { devConfig, nagViolations, testApp } from '../support/cdk-app';

// Bundling is skipped here; the validators test synthesizes the stack with the bundled function.
const noBundling = { 'aws:cdk:bundling-stacks': [] };

describe('FunnelStack (dev sample)', () => {
  const config = devConfig();
  const stack = new FunnelStack(testApp(noBundling), 'KeylessIot-dev-Funnel', {
    environment: config,
    funnel: config.funnel!,
  });
  const template = Template.fromStack(stack);
  const logicalId = (construct: IConstruct) =>
    stack.resolve((construct.node.defaultChild as CfnResource).logicalId) as string;

  it('is named and tagged like every keyless-iot stack', () => {
    expect(stack.stackName).toBe('KeylessIot-dev-Funnel');
    expect(stack.tags.tagValues()).toMatchObject({ Project: 'keyless-iot', Environment: 'dev' });
  });

  it('has the four outputs operators and the README use, under stable keys', () => {
    expect(Object.keys(template.findOutputs('*')).sort()).toEqual([
      'AlarmTopicArn',
      'FunnelUserName',
      'RotationFunctionName',
      'SoracomAuthKeySecretArn',
    ]);
    template.hasOutput('FunnelUserName', { Value: { Ref: logicalId(stack.publisher!.user) } });
    template.hasOutput('RotationFunctionName', { Value: { Ref: logicalId(stack.rotation!.function) } });
    template.hasOutput('SoracomAuthKeySecretArn', {
      Value: { Ref: logicalId(stack.rotation!.authKeySecret) },
    });
    template.hasOutput('AlarmTopicArn', { Value: { Ref: logicalId(stack.alarmTopic!.topic) } });
  });

  it('lets the Funnel user publish under funnel/dev only, with no access key from CloudFormation', () => {
    template.hasResourceProperties('AWS::IAM::User', { UserName: 'keyless-iot-dev-funnel-publisher' });
    template.resourceCountIs('AWS::IAM::AccessKey', 0);
    template.hasResourceProperties('AWS::IAM::Group', {
      Policies: [
        {
          PolicyName: 'PublishUnderFunnelPrefix',
          PolicyDocument: Match.objectLike({
            Statement: [
              Match.objectLike({
                Action: 'iot:Publish',
                Resource: 'arn:aws:iot:ap-northeast-1:111111111111:topic/funnel/dev/*',
              }),
            ],
          }),
        },
      ],
    });
  });

  it('wires the config into the function: strategy, coverage, period and grace, its state parameter', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          IAM_USER_NAME: { Ref: logicalId(stack.publisher!.user) },
          ROTATION_STATE_PARAMETER: '/keyless-iot/dev/funnel/rotation-state',
          SORACOM_COVERAGE: 'jp',
          ROTATION_STRATEGY: 'update-in-place',
          SORACOM_CREDENTIAL_ID: 'keyless-dev-funnel',
          ROTATION_PERIOD_DAYS: '90',
          ROTATION_GRACE_DAYS: '7',
          ENVIRONMENT_NAME: 'dev',
        }),
      },
    });
    template.hasResourceProperties('AWS::Scheduler::Schedule', { ScheduleExpression: 'rate(90 days)' });
    template.hasResourceProperties('AWS::SecretsManager::Secret', {
      Name: 'keyless-iot/dev/funnel/soracom-auth-key',
      GenerateSecretString: Match.absent(),
    });
  });

  it('mails the configured addresses from an encrypted topic that both alarms notify', () => {
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'iot-ops@example.com',
      TopicArn: { Ref: logicalId(stack.alarmTopic!.topic) },
    });
    template.hasResourceProperties('AWS::SNS::Topic', {
      KmsMasterKeyId: { 'Fn::GetAtt': [logicalId(stack.alarmTopic!.key), 'Arn'] },
    });
    const alarms = template.findResources('AWS::CloudWatch::Alarm');
    expect(Object.values(alarms).map((a) => a.Properties.AlarmActions)).toEqual([
      [{ Ref: logicalId(stack.alarmTopic!.topic) }],
      [{ Ref: logicalId(stack.alarmTopic!.topic) }],
    ]);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { Threshold: 97 * 86_400 });
  });

  it('passes cdk-nag with its acknowledgements', () => {
    expect(nagViolations(stack)).toEqual([]);
  });
});

describe('FunnelStack variants', () => {
  it('new-credential on the Global coverage', () => {
    const config = devConfig((raw) => {
      raw.funnel!.coverage = 'global';
      raw.funnel!.rotation!.strategy = { type: 'new-credential', credentialPrefix: 'keyless-dev-funnel' };
      raw.funnel!.alarmEmails = [];
    });
    const template = Template.fromStack(
      new FunnelStack(testApp(noBundling), 'F', { environment: config, funnel: config.funnel! }),
    );
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          SORACOM_COVERAGE: 'global',
          ROTATION_STRATEGY: 'new-credential',
          SORACOM_CREDENTIAL_PREFIX: 'keyless-dev-funnel',
        }),
      },
    });
    template.resourceCountIs('AWS::SNS::Subscription', 0);
  });

  it('keeps the key, secret and log group when the environment retains', () => {
    const config = devConfig((raw) => {
      raw.removalPolicy = 'retain';
    });
    const template = Template.fromStack(
      new FunnelStack(testApp(noBundling), 'F', { environment: config, funnel: config.funnel! }),
    );
    for (const type of ['AWS::KMS::Key', 'AWS::SecretsManager::Secret', 'AWS::Logs::LogGroup']) {
      for (const resource of Object.values(template.findResources(type))) {
        expect({ type, policy: resource.DeletionPolicy }).toEqual({ type, policy: 'Retain' });
      }
    }
  });

  it('exists only when the config has a funnel section', () => {
    expect(createEnvironmentStacks(testApp(noBundling), devConfig()).funnel?.stackName).toBe(
      'KeylessIot-dev-Funnel',
    );
    expect(
      createEnvironmentStacks(
        testApp(noBundling),
        devConfig((raw) => delete raw.funnel),
      ).funnel,
    ).toBeUndefined();
  });
});
