import { Match, Template } from 'aws-cdk-lib/assertions';
import { enabledAuditChecks, OUTPUTS, outputsOf } from '../../lib/contract';
import { createEnvironmentStacks } from '../../lib/stacks/environment';
import { devConfig, nagViolations, testApp } from '../support/cdk-app';
import { prodExampleConfig } from '../support/prod-example';

// Bundling is skipped here; the validators test synthesizes every stack with the bundled functions.
const noBundling = { 'aws:cdk:bundling-stacks': [] };

describe('AuditStack (production template)', () => {
  const config = prodExampleConfig();
  const { audit } = createEnvironmentStacks(testApp(noBundling), config);
  const stack = audit!;
  const template = Template.fromStack(stack);

  it('is the environment-named Audit stack, in the environment account and region', () => {
    expect(stack.stackName).toBe('KeylessIot-prod-Audit');
    expect({ account: stack.account, region: stack.region }).toEqual({
      account: config.account,
      region: config.region,
    });
  });

  it("configures the account's audit and a daily schedule of every enabled check", () => {
    template.resourceCountIs('AWS::IoT::AccountAuditConfiguration', 1);
    template.hasResourceProperties('AWS::IoT::AccountAuditConfiguration', {
      AccountId: config.account,
      AuditCheckConfigurations: Match.objectLike({
        IotRoleAliasOverlyPermissiveCheck: { Enabled: true },
        IotRoleAliasAllowsAccessToUnusedServicesCheck: { Enabled: true },
        DeviceCertificateExpiringCheck: { Enabled: true },
        IotPolicyOverlyPermissiveCheck: { Enabled: true },
      }),
      AuditNotificationTargetConfigurations: { Sns: Match.objectLike({ Enabled: true }) },
    });
    template.resourceCountIs('AWS::IoT::ScheduledAudit', 1);
    template.hasResourceProperties('AWS::IoT::ScheduledAudit', {
      ScheduledAuditName: 'keyless-iot-prod',
      Frequency: 'DAILY',
      TargetCheckNames: enabledAuditChecks(),
    });
  });

  it('notifies an encrypted topic that mails the security address', () => {
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'iot-security@example.com',
    });
  });

  it('keeps the audit when the stack goes (retain), like the rest of production', () => {
    for (const type of ['AWS::IoT::AccountAuditConfiguration', 'AWS::IoT::ScheduledAudit']) {
      for (const resource of Object.values(template.findResources(type))) {
        expect(resource.DeletionPolicy).toBe('Retain');
      }
    }
  });

  it("emits the contract's outputs and references no other stack", () => {
    expect(Object.keys(template.findOutputs('*')).sort()).toEqual(
      outputsOf('Audit')
        .map((o) => o.key)
        .sort(),
    );
    expect(OUTPUTS.Audit.scheduledAuditName.key).toBe('ScheduledAuditName');
    expect(JSON.stringify(template.toJSON())).not.toContain('Fn::ImportValue');
  });

  it('passes cdk-nag with no unacknowledged finding', () => {
    expect(nagViolations(stack)).toEqual([]);
  });
});

describe('AuditStack is optional', () => {
  it('is absent from the dev sample, whose teardown would delete the account-wide audit', () => {
    const { audit } = createEnvironmentStacks(testApp(noBundling), devConfig());
    expect(audit).toBeUndefined();
  });
});
