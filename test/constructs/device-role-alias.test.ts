import { Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { DeviceRoleAlias } from '../../lib/constructs/device-role-alias';
import { testApp } from '../support/cdk-app';

function build(props: Partial<ConstructorParameters<typeof DeviceRoleAlias>[2]> = {}) {
  const app = testApp();
  const stack = new Stack(app, 'Test', { env: { account: '111111111111', region: 'ap-northeast-1' } });
  const role = new iam.Role(stack, 'Role', {
    assumedBy: new iam.ServicePrincipal('credentials.iot.amazonaws.com'),
  });
  const alias = new DeviceRoleAlias(stack, 'RoleAlias', {
    roleAliasName: 'keyless-dev-device',
    role,
    ...props,
  });
  return { stack, role, alias, template: Template.fromStack(stack) };
}

describe('DeviceRoleAlias', () => {
  it('points the alias at the role with the configured credential duration', () => {
    const { stack, role, template } = build({
      credentialDuration: Duration.minutes(30),
      roleMaxSessionDuration: Duration.hours(1),
    });
    template.hasResourceProperties('AWS::IoT::RoleAlias', {
      RoleAlias: 'keyless-dev-device',
      RoleArn: stack.resolve(role.roleArn),
      CredentialDurationSeconds: 1800,
    });
  });

  it('builds the alias ARN the IoT policy names from the alias name', () => {
    const { stack, alias } = build();
    expect(stack.resolve(alias.roleAliasArn)).toEqual(
      'arn:aws:iot:ap-northeast-1:111111111111:rolealias/keyless-dev-device',
    );
  });

  it('defaults to one-hour credentials', () => {
    build().template.hasResourceProperties('AWS::IoT::RoleAlias', { CredentialDurationSeconds: 3600 });
  });

  it.each([
    [
      { roleAliasName: 'bad alias' },
      'roleAliasName must be 1-128 characters from a-z A-Z 0-9 _ = , @ -, got: bad alias',
    ],
    [
      { credentialDuration: Duration.seconds(899) },
      'credentialDuration must be an integer from 900 to 43200 seconds, got: 899',
    ],
    [
      { credentialDuration: Duration.seconds(43201) },
      'credentialDuration must be an integer from 900 to 43200 seconds, got: 43201',
    ],
    [
      { credentialDuration: Duration.hours(2), roleMaxSessionDuration: Duration.hours(1) },
      "credentialDuration must not exceed the role's MaxSessionDuration (3600 seconds), got: 7200",
    ],
  ])('rejects %j', (props, message) => {
    expect(() => build(props)).toThrow(message);
  });
});
