import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import type * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type { KeylessConfig } from '../../lib/config';
import { DataStack } from '../../lib/stacks/data-stack';
import { IotAccessStack } from '../../lib/stacks/iot-access-stack';
import { isolationQuestions } from '../../lib/verify/isolation-questions';
import { devConfig, nagViolations, testApp } from '../support/cdk-app';
import { LocalDeployment, wrongAnswers } from '../support/isolation-answers';

function build(config: KeylessConfig = devConfig()) {
  const app = testApp();
  const data = new DataStack(app, 'KeylessIot-dev-Data', { environment: config, data: config.data });
  const stack = new IotAccessStack(app, 'KeylessIot-dev-IotAccess', {
    environment: config,
    iot: config.iot!,
    secretsKey: data.deviceSecret.key,
    functionCode: () => lambda.Code.fromInline('exports.handler = async () => {};'),
  });
  return { app, data, stack, template: Template.fromStack(stack) };
}

describe('IotAccessStack', () => {
  const { app, data, stack, template } = build();

  // The questions keyless verify asks AWS's simulator in the account (lib/verify/isolation-questions.ts).
  it("answers the shared isolation questions of the X.509 role: its own prefix and secret, never another thing's", () => {
    const config = devConfig();
    const questions = isolationQuestions(config, { data, iotAccess: stack });
    expect(questions.map((q) => q.id)).toEqual(
      expect.arrayContaining([
        'x509-role/own-object-write',
        'x509-role/other-thing-object-read',
        'x509-role/other-thing-secret',
      ]),
    );
    expect(wrongAnswers(LocalDeployment.ofApp(config, app), questions)).toEqual([]);
  });

  it('is KeylessIot-<env>-IotAccess in the configured account and region', () => {
    expect(stack.stackName).toBe('KeylessIot-dev-IotAccess');
    expect(stack.account).toBe('111111111111');
    expect(stack.region).toBe('ap-northeast-1');
  });

  it('creates the configured thing type', () => {
    template.hasResourceProperties('AWS::IoT::ThingType', {
      ThingTypeName: 'KeylessSensor',
      ThingTypeProperties: {
        ThingTypeDescription: 'Raspberry Pi class sensors that upload with short-lived credentials',
        SearchableAttributes: ['Owner', 'Site'],
      },
    });
  });

  it('creates the role alias for the credentials-provider role with the configured duration', () => {
    template.hasResourceProperties('AWS::IoT::RoleAlias', {
      RoleAlias: 'keyless-dev-device',
      CredentialDurationSeconds: 3600,
      RoleArn: stack.resolve(stack.role.role.roleArn),
    });
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [{ Principal: { Service: 'credentials.iot.amazonaws.com' }, Action: 'sts:AssumeRole' }],
      },
      MaxSessionDuration: 3600,
    });
  });

  it('trusts the credentials provider only for the configured role alias, named without a reference to it', () => {
    const roleId = stack.resolve((stack.role.role.node.defaultChild as iam.CfnRole).logicalId);
    const aliasId = stack.resolve(stack.roleAlias.roleAlias.logicalId);
    const trust = template.toJSON().Resources[roleId].Properties.AssumeRolePolicyDocument;
    expect(trust.Statement[0].Condition).toEqual({
      StringEquals: { 'aws:SourceAccount': '111111111111' },
      ArnEquals: { 'aws:SourceArn': stack.resolve(stack.roleAlias.roleAliasArn) },
    });
    // The alias references the role: a reference back would be a dependency cycle CloudFormation refuses.
    expect(JSON.stringify(trust)).not.toContain(aliasId);
    expect(JSON.stringify(trust)).toContain(':rolealias/keyless-dev-device');
  });

  it("lets the role decrypt with the Data stack's secrets key, through a one-way reference", () => {
    const [role] = Object.values(
      template.findResources('AWS::IAM::Role', {
        Properties: {
          AssumeRolePolicyDocument: {
            Statement: [{ Principal: { Service: 'credentials.iot.amazonaws.com' } }],
          },
        },
      }),
    );
    const decrypt = role.Properties.Policies[0].PolicyDocument.Statement.find(
      (s: { Sid: string }) => s.Sid === 'DecryptSecretsViaSecretsManager',
    );
    expect(decrypt.Resource).toEqual({ 'Fn::ImportValue': expect.stringContaining('KeylessIot-dev-Data:') });
    expect(stack.dependencies).toContain(data);
  });

  it('names the role alias ARN in the IoT policy and requires type and owner from config', () => {
    template.hasResourceProperties('AWS::IoT::Policy', {
      PolicyName: 'keyless-dev-device',
      PolicyDocument: {
        Statement: Match.arrayWith([
          {
            Sid: 'ExchangeCertificateForCredentials',
            Effect: 'Allow',
            Action: 'iot:AssumeRoleWithCertificate',
            Resource: stack.resolve(stack.roleAlias.roleAliasArn),
            Condition: {
              Bool: { 'iot:Connection.Thing.IsAttached': 'true' },
              StringEquals: {
                'iot:Connection.Thing.ThingTypeName': 'KeylessSensor',
                'iot:Connection.Thing.Attributes[Owner]': 'keyless',
              },
            },
          },
        ]),
      },
    });
    expect(stack.resolve(stack.roleAlias.roleAliasArn)).toEqual(
      'arn:aws:iot:ap-northeast-1:111111111111:rolealias/keyless-dev-device',
    );
  });

  it('has the thing-type function Fleet stacks call by name', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: 'KeylessIot-dev-ThingTypeAssigner',
    });
  });

  it('outputs exactly what the bundle command reads', () => {
    const outputs = template.toJSON().Outputs as Record<string, { Value: unknown }>;
    expect(
      Object.keys(outputs)
        .filter((key) => !key.startsWith('Exports'))
        .sort(),
    ).toEqual(['PolicyName', 'RoleAliasArn', 'RoleAliasName', 'RoleArn', 'ThingTypeName']);
    expect(outputs.RoleAliasName.Value).toBe('keyless-dev-device');
    expect(outputs.RoleAliasArn.Value).toEqual(stack.resolve(stack.roleAlias.roleAlias.attrRoleAliasArn));
    expect(outputs.RoleArn.Value).toEqual(stack.resolve(stack.role.role.roleArn));
    expect(outputs.PolicyName.Value).toBe('keyless-dev-device');
    expect(outputs.ThingTypeName.Value).toBe('KeylessSensor');
  });

  it('has no unacknowledged cdk-nag finding', () => {
    expect(nagViolations(stack)).toEqual([]);
  });

  it('leaves the thing type out of the policy when requireThingType is false', () => {
    const relaxed = build(
      devConfig((raw) => {
        raw.iot!.policy.requireThingType = false;
        raw.iot!.policy.requiredAttributes = {};
      }),
    );
    relaxed.template.hasResourceProperties('AWS::IoT::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Sid: 'ExchangeCertificateForCredentials',
            Condition: { Bool: { 'iot:Connection.Thing.IsAttached': 'true' } },
          }),
        ]),
      },
    });
  });

  it('warns when credentials would expire inside the device helper refresh window (the cache could never help)', () => {
    const short = build(
      devConfig((raw) => {
        raw.iot!.roleAlias.credentialDurationSeconds = 900;
      }),
    );
    Annotations.fromStack(short.stack).hasWarning(
      '/KeylessIot-dev-IotAccess/RoleAlias',
      Match.stringLikeRegexp(
        '^iot.roleAlias.credentialDurationSeconds is 900: devices refresh 1200-1500 s before expiry, so every AWS call would fetch new credentials; use at least 1800',
      ),
    );
    Annotations.fromStack(stack).hasNoWarning('*', Match.stringLikeRegexp('credentialDurationSeconds'));
  });

  it('uses the configured MaxSessionDuration and alias duration', () => {
    const longer = build(
      devConfig((raw) => {
        raw.iot!.role = { maxSessionDurationSeconds: 43200 };
        raw.iot!.roleAlias.credentialDurationSeconds = 43200;
      }),
    );
    longer.template.hasResourceProperties('AWS::IAM::Role', { MaxSessionDuration: 43200 });
    longer.template.hasResourceProperties('AWS::IoT::RoleAlias', { CredentialDurationSeconds: 43200 });
  });
});
