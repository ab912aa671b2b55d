import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { BulkRegistrationRole } from '../../lib/constructs/bulk-registration-role';
import { physicalNames, roleArn } from '../../lib/contract';

const ROLE_NAME = physicalNames('dev', '111111111111', 'ap-northeast-1').bulkRegistrationRole;
import { createEnvironmentStacks } from '../../lib/stacks/environment';
import { addValidators } from '../../lib/validators';
import { devConfig, nagViolations, testApp } from '../support/cdk-app';

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
          { Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'iot.amazonaws.com' } },
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
