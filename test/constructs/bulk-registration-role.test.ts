import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { BulkRegistrationRole } from '../../lib/constructs/bulk-registration-role';
import { physicalNames, roleArn } from '../../lib/contract';

const ROLE_NAME = physicalNames('dev', '111111111111', 'ap-northeast-1').bulkRegistrationRole;
import { createEnvironmentStacks } from '../../lib/stacks/environment';
import { addValidators } from '../../lib/validators';
import { devConfig, nagViolations, testApp } from '../support/cdk-app';
import { evaluatePolicy, flattenIntrinsics, type PolicyDocumentJson } from '../support/policy-evaluator';

const toArray = <T>(value: T | readonly T[]): readonly T[] => (Array.isArray(value) ? value : [value as T]);

const BUCKET = 'keyless-iot-dev-111111111111-ap-northeast-1';

function build(props: Partial<ConstructorParameters<typeof BulkRegistrationRole>[2]> = {}) {
  const app = testApp();
  const stack = new Stack(app, 'Test', { env: { account: '111111111111', region: 'ap-northeast-1' } });
  const role = new BulkRegistrationRole(stack, 'BulkRegistrationRole', {
    roleName: ROLE_NAME,
    deviceBucketName: BUCKET,
    ...props,
  });
  return { app, stack, role, template: Template.fromStack(stack) };
}

describe('BulkRegistrationRole', () => {
  it('is assumed by AWS IoT under the name the CLI derives, with the bulk registration service policy', () => {
    const { template } = build();
    template.hasResourceProperties('AWS::IAM::Role', {
      RoleName: 'keyless-iot-dev-bulk-registration',
      AssumeRolePolicyDocument: {
        Statement: [
          {
            Action: 'sts:AssumeRole',
            Effect: 'Allow',
            Principal: { Service: 'iot.amazonaws.com' },
            Condition: Match.anyValue(),
          },
        ],
      },
      ManagedPolicyArns: [
        {
          'Fn::Join': [
            '',
            ['arn:', { Ref: 'AWS::Partition' }, ':iam::aws:policy/service-role/AWSIoTThingsRegistration'],
          ],
        },
      ],
    });
    expect(roleArn('111111111111', 'ap-northeast-1', ROLE_NAME)).toBe(
      'arn:aws:iam::111111111111:role/keyless-iot-dev-bulk-registration',
    );
  });

  // Confused deputy (AWS IoT developer guide, "Cross-service confused deputy prevention").
  it('is assumed by AWS IoT only for this account, from this account and region', () => {
    const roles = Object.values(build().template.findResources('AWS::IAM::Role'));
    const trust = flattenIntrinsics<PolicyDocumentJson>(roles[0].Properties.AssumeRolePolicyDocument);
    expect(toArray(trust.Statement)[0].Condition).toEqual({
      StringEquals: { 'aws:SourceAccount': '111111111111' },
      ArnLike: { 'aws:SourceArn': 'arn:aws:iot:ap-northeast-1:111111111111:*' },
    });
    const assume = (context: Record<string, string>, service = 'iot.amazonaws.com') =>
      evaluatePolicy(trust, { action: 'sts:AssumeRole', principal: { Service: service }, context });
    const task = 'arn:aws:iot:ap-northeast-1:111111111111:thingregistrationtask/1234';
    expect(assume({ 'aws:SourceAccount': '111111111111', 'aws:SourceArn': task })).toBe('allow');
    expect(assume({ 'aws:SourceAccount': '222222222222', 'aws:SourceArn': task })).toBe('implicit-deny');
    expect(
      assume({
        'aws:SourceAccount': '222222222222',
        'aws:SourceArn': 'arn:aws:iot:ap-northeast-1:222222222222:thingregistrationtask/1',
      }),
    ).toBe('implicit-deny');
    expect(
      assume({
        'aws:SourceAccount': '111111111111',
        'aws:SourceArn': 'arn:aws:iot:us-east-1:111111111111:thingregistrationtask/1',
      }),
    ).toBe('implicit-deny');
    expect(assume({})).toBe('implicit-deny');
    expect(
      assume({ 'aws:SourceAccount': '111111111111', 'aws:SourceArn': task }, 'credentials.iot.amazonaws.com'),
    ).toBe('implicit-deny');
  });

  it('reads the parameter files and nothing else of the device bucket', () => {
    const { template } = build();
    template.hasResourceProperties('AWS::IAM::Role', {
      Policies: [
        {
          PolicyName: 'ReadParameterFiles',
          PolicyDocument: {
            Statement: [
              {
                Sid: 'ReadParameterFiles',
                Effect: 'Allow',
                Action: 's3:GetObject',
                Resource: {
                  'Fn::Join': [
                    '',
                    ['arn:', { Ref: 'AWS::Partition' }, `:s3:::${BUCKET}/bulk-registration/*`],
                  ],
                },
              },
            ],
          },
        },
      ],
    });
    expect(JSON.stringify(template.toJSON())).not.toMatch(/"s3:\*"|"s3:PutObject"|"s3:ListBucket"/);
  });

  it('passes cdk-nag and cfn-guard, its two acknowledgements scoped to the role', () => {
    const { app, stack } = build();
    addValidators(app);
    expect(() => app.synth()).not.toThrow();
    expect(nagViolations(stack)).toEqual([]);
  });

  it('refuses a prefix that is not a key prefix', () => {
    expect(() => build({ parameterFilePrefix: 'bulk' })).toThrow(
      'parameterFilePrefix must be an S3 key prefix ending in / such as closed/, got: bulk',
    );
  });
});

describe('in the IotAccess stack', () => {
  it('exists once per environment under the name `keyless fleet register --bulk` uses by default', () => {
    const app = testApp({ 'aws:cdk:bundling-stacks': [] });
    const { iotAccess } = createEnvironmentStacks(app, devConfig());
    Template.fromStack(iotAccess!).resourcePropertiesCountIs(
      'AWS::IAM::Role',
      { RoleName: 'keyless-iot-dev-bulk-registration', AssumeRolePolicyDocument: Match.anyValue() },
      1,
    );
  });
});
