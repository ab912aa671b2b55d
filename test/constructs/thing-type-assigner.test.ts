import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Capture, Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { ThingTypeAssigner, ThingTypeAssignment } from '../../lib/constructs/thing-type-assigner';
import { nagViolations, testApp } from '../support/cdk-app';

const env = { account: '111111111111', region: 'ap-northeast-1' };

function assigner(
  code: lambda.Code | 'bundle' = lambda.Code.fromInline('exports.handler = async () => {};'),
) {
  const stack = new Stack(testApp(), 'Test', { env });
  const construct = new ThingTypeAssigner(stack, 'ThingTypeAssigner', {
    functionName: 'KeylessIot-dev-ThingTypeAssigner',
    code: code === 'bundle' ? undefined : code,
    logRemovalPolicy: RemovalPolicy.DESTROY,
  });
  return { stack, construct, template: Template.fromStack(stack) };
}

describe('ThingTypeAssigner', () => {
  it('is a named function with an encrypted log group of its own', () => {
    const { stack, construct, template } = assigner();
    template.hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: 'KeylessIot-dev-ThingTypeAssigner',
      Runtime: 'nodejs24.x',
      ReservedConcurrentExecutions: Match.absent(),
      LoggingConfig: { LogGroup: Match.anyValue() },
    });
    template.hasResourceProperties('AWS::Logs::LogGroup', {
      LogGroupName: '/aws/lambda/KeylessIot-dev-ThingTypeAssigner',
      RetentionInDays: 365,
      KmsKeyId: Match.anyValue(),
    });
    expect(stack.resolve(construct.function.functionName)).toBeDefined();
  });

  it('may only set thing types and write its own logs', () => {
    const { stack, construct, template } = assigner();
    const roles = template.findResources('AWS::IAM::Role', {
      Properties: {
        AssumeRolePolicyDocument: { Statement: [{ Principal: { Service: 'lambda.amazonaws.com' } }] },
      },
    });
    const [role] = Object.values(roles);
    expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    // Nothing but its inline policies: no AWS::IAM::Policy elsewhere attaches to it.
    template.resourceCountIs('AWS::IAM::Policy', 0);
    const policies = Object.fromEntries(
      role.Properties.Policies.map((p: { PolicyName: string; PolicyDocument: { Statement: unknown[] } }) => [
        p.PolicyName,
        p.PolicyDocument.Statement,
      ]),
    );
    expect(policies).toEqual({
      SetThingTypes: [
        {
          Sid: 'SetThingType',
          Effect: 'Allow',
          Action: 'iot:UpdateThing',
          Resource: 'arn:aws:iot:ap-northeast-1:111111111111:thing/*',
        },
      ],
      WriteOwnLogs: [
        {
          Sid: 'WriteOwnLogs',
          Effect: 'Allow',
          Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          Resource: stack.resolve(construct.logGroup.logGroupArn),
        },
      ],
    });
  });

  it('acknowledges exactly its thing/* finding', () => {
    const { stack } = assigner();
    expect(nagViolations(stack)).toEqual([]);
    new iam.Role(stack, 'Unacknowledged', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      inlinePolicies: {
        Same: new iam.PolicyDocument({
          statements: [
            new iam.PolicyStatement({
              actions: ['iot:UpdateThing'],
              resources: [stack.formatArn({ service: 'iot', resource: 'thing', resourceName: '*' })],
            }),
          ],
        }),
      },
    });
    expect(nagViolations(stack)).toEqual([
      'AwsSolutions-IAM5[Resource::arn:aws:iot:ap-northeast-1:111111111111:thing/*] at Test/Unacknowledged/Resource',
    ]);
  });

  it('bundles lib/functions/thing-type-assigner with esbuild by default', () => {
    const { template } = assigner('bundle');
    template.hasResourceProperties('AWS::Lambda::Function', {
      Handler: 'index.handler',
      Code: { S3Key: Match.anyValue() },
    });
  });
});

describe('ThingTypeAssignment', () => {
  it('gives up after the function’s timeout and a margin, not after CloudFormation’s hour', () => {
    const stack = new Stack(testApp(), 'Fleet', { env });
    new ThingTypeAssignment(stack, 'ThingTypeAssignment', {
      functionName: 'KeylessIot-dev-ThingTypeAssigner',
      thingTypeName: 'KeylessSensor',
      thingNames: ['sensor-001'],
    });
    const timeout = new Capture();
    Template.fromStack(stack).hasResourceProperties('Custom::ThingTypeAssignment', {
      ServiceTimeout: timeout,
    });
    const { template } = assigner();
    const functionTimeout = Object.values(template.findResources('AWS::Lambda::Function'))[0].Properties
      .Timeout;
    expect(functionTimeout).toBe(600);
    // CloudFormation passes ServiceTimeout as a string; a margin for the cold start and the answer's delivery.
    expect(Number(timeout.asString())).toBe(720);
    expect(Number(timeout.asString())).toBeGreaterThan(functionTimeout);
  });

  it('calls the assigner by name with the type and the things', () => {
    const stack = new Stack(testApp(), 'Fleet', { env });
    new ThingTypeAssignment(stack, 'ThingTypeAssignment', {
      functionName: 'KeylessIot-dev-ThingTypeAssigner',
      thingTypeName: 'KeylessSensor',
      thingNames: ['sensor-001', 'sensor-002'],
    });
    Template.fromStack(stack).hasResourceProperties('Custom::ThingTypeAssignment', {
      ServiceToken: 'arn:aws:lambda:ap-northeast-1:111111111111:function:KeylessIot-dev-ThingTypeAssigner',
      ThingTypeName: 'KeylessSensor',
      ThingNames: ['sensor-001', 'sensor-002'],
    });
  });
});
