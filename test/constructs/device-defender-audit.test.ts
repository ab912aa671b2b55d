import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AlarmTopic } from '../../lib/constructs/alarm-topic';
import {
  DeviceDefenderAudit,
  type DeviceDefenderAuditProps,
} from '../../lib/constructs/device-defender-audit';
import { AUDIT_CHECKS } from '../../lib/contract';
import { nagViolations, testApp } from '../support/cdk-app';
import {
  evaluatePolicies,
  evaluatePolicy,
  flattenIntrinsics,
  type PolicyDocumentJson,
  type RequestContext,
} from '../support/policy-evaluator';

const ACCOUNT = '222222222222';
const REGION = 'ap-northeast-1';

function build(override: Partial<DeviceDefenderAuditProps> = {}) {
  const stack = new Stack(testApp(), 'Audit', { env: { account: ACCOUNT, region: REGION } });
  const topic = new AlarmTopic(stack, 'Topic', { purpose: 'audit notifications' });
  const audit = new DeviceDefenderAudit(stack, 'Audit', {
    scheduledAuditName: 'keyless-iot-prod',
    schedule: { frequency: 'daily' },
    topic: topic.topic,
    topicKey: topic.key,
    ...override,
  });
  const template = Template.fromStack(stack);
  const logicalId = (element: { logicalId: string }) => stack.resolve(element.logicalId) as string;
  const roleLogicalId = (role: { node: { defaultChild?: unknown } }) =>
    logicalId(role.node.defaultChild as unknown as { logicalId: string });
  const refs = {
    [logicalId(topic.topic.node.defaultChild as unknown as { logicalId: string })]:
      `arn:aws:sns:${REGION}:${ACCOUNT}:audit-topic`,
    [`${logicalId(topic.key.node.defaultChild as unknown as { logicalId: string })}.Arn`]: `arn:aws:kms:${REGION}:${ACCOUNT}:key/11111111-2222-3333-4444-555555555555`,
  };
  const resources = template.toJSON().Resources;
  const roleOf = (role: { node: { defaultChild?: unknown } }) => resources[roleLogicalId(role)];
  return { stack, topic, audit, template, refs, roleOf, roleLogicalId, logicalId };
}

describe('DeviceDefenderAudit configuration', () => {
  const { audit, template, stack, roleLogicalId, logicalId, topic } = build();

  it("configures this account's audit with the audit role, every check stated, and SNS notifications", () => {
    const checks = Object.fromEntries(AUDIT_CHECKS.map((c) => [c.property, { Enabled: c.enabled }]));
    template.hasResourceProperties('AWS::IoT::AccountAuditConfiguration', {
      AccountId: ACCOUNT,
      RoleArn: { 'Fn::GetAtt': [roleLogicalId(audit.auditRole), 'Arn'] },
      AuditCheckConfigurations: checks,
      AuditNotificationTargetConfigurations: {
        Sns: {
          Enabled: true,
          TargetArn: { Ref: logicalId(topic.topic.node.defaultChild as unknown as { logicalId: string }) },
          RoleArn: { 'Fn::GetAtt': [roleLogicalId(audit.notificationRole), 'Arn'] },
        },
      },
    });
    template.resourceCountIs('AWS::IoT::AccountAuditConfiguration', 1);
  });

  it('enables the role alias, certificate and policy checks', () => {
    const enabled = AUDIT_CHECKS.filter((c) => c.enabled).map((c) => c.name);
    expect(enabled).toEqual(
      expect.arrayContaining([
        'IOT_ROLE_ALIAS_OVERLY_PERMISSIVE_CHECK',
        'IOT_ROLE_ALIAS_ALLOWS_ACCESS_TO_UNUSED_SERVICES_CHECK',
        'DEVICE_CERTIFICATE_EXPIRING_CHECK',
        'REVOKED_DEVICE_CERTIFICATE_STILL_ACTIVE_CHECK',
        'DEVICE_CERTIFICATE_SHARED_CHECK',
        'DEVICE_CERTIFICATE_KEY_QUALITY_CHECK',
        'IOT_POLICY_OVERLY_PERMISSIVE_CHECK',
        'IOT_POLICY_POTENTIAL_MISCONFIGURATION_CHECK',
      ]),
    );
    // Every decision has its reason, and the list holds each check once.
    for (const check of AUDIT_CHECKS) expect(check.reason.length).toBeGreaterThan(20);
    expect(new Set(AUDIT_CHECKS.map((c) => c.name)).size).toBe(AUDIT_CHECKS.length);
    expect(new Set(AUDIT_CHECKS.map((c) => c.property)).size).toBe(AUDIT_CHECKS.length);
  });

  it('states every check the pinned CloudFormation resource knows (none left to a default)', () => {
    const rendered = Object.keys(
      Object.values(template.findResources('AWS::IoT::AccountAuditConfiguration'))[0].Properties
        .AuditCheckConfigurations,
    );
    expect(rendered.sort()).toEqual(AUDIT_CHECKS.map((c) => c.property).sort());
    expect(rendered).toHaveLength(17);
  });

  it('schedules every enabled check, after the configuration that enables them exists', () => {
    const configurationId = logicalId(audit.configuration);
    template.hasResource('AWS::IoT::ScheduledAudit', {
      Properties: {
        ScheduledAuditName: 'keyless-iot-prod',
        Frequency: 'DAILY',
        DayOfWeek: Match.absent(),
        DayOfMonth: Match.absent(),
        TargetCheckNames: AUDIT_CHECKS.filter((c) => c.enabled).map((c) => c.name),
      },
      DependsOn: [configurationId],
    });
  });

  it('passes cdk-nag with the managed-policy acknowledgement of the audit role', () => {
    expect(nagViolations(stack)).toEqual([]);
  });
});

describe('DeviceDefenderAudit roles', () => {
  const { audit, roleOf, refs } = build();
  const trustOf = (role: Parameters<typeof roleOf>[0]) =>
    flattenIntrinsics<PolicyDocumentJson>(roleOf(role).Properties.AssumeRolePolicyDocument);
  const iotAssumes = (trust: PolicyDocumentJson, context: RequestContext, service = 'iot.amazonaws.com') =>
    evaluatePolicy(trust, { action: 'sts:AssumeRole', principal: { Service: service }, context });
  const fromThisAccount = {
    'aws:SourceAccount': ACCOUNT,
    'aws:SourceArn': `arn:aws:iot:${REGION}:${ACCOUNT}:`,
  };

  it.each([
    ['audit', audit.auditRole],
    ['notification', audit.notificationRole],
  ])(
    'the %s role is assumed by AWS IoT for this account and region only (confused deputy)',
    (_name, role) => {
      const trust = trustOf(role);
      expect(iotAssumes(trust, fromThisAccount)).toBe('allow');
      expect(
        iotAssumes(trust, {
          'aws:SourceAccount': ACCOUNT,
          'aws:SourceArn': `arn:aws:iot:${REGION}:${ACCOUNT}:x`,
        }),
      ).toBe('allow');
      expect(
        iotAssumes(trust, {
          'aws:SourceAccount': '999999999999',
          'aws:SourceArn': `arn:aws:iot:${REGION}:999999999999:`,
        }),
      ).toBe('implicit-deny');
      expect(
        iotAssumes(trust, {
          'aws:SourceAccount': ACCOUNT,
          'aws:SourceArn': `arn:aws:iot:us-east-1:${ACCOUNT}:`,
        }),
      ).toBe('implicit-deny');
      expect(
        iotAssumes(trust, {
          'aws:SourceAccount': ACCOUNT,
          'aws:SourceArn': `arn:aws:iotevents:${REGION}:${ACCOUNT}:`,
        }),
      ).toBe('implicit-deny');
      expect(iotAssumes(trust, {})).toBe('implicit-deny');
      expect(iotAssumes(trust, { 'aws:SourceAccount': ACCOUNT })).toBe('implicit-deny');
      expect(iotAssumes(trust, fromThisAccount, 'lambda.amazonaws.com')).toBe('implicit-deny');
    },
  );

  it('the audit role has the AWS managed audit policy and nothing else', () => {
    const props = roleOf(audit.auditRole).Properties;
    expect(flattenIntrinsics(props.ManagedPolicyArns)).toEqual([
      'arn:aws:iam::aws:policy/service-role/AWSIoTDeviceDefenderAudit',
    ]);
    expect(props.Policies).toBeUndefined();
  });

  it('the notification role may publish to the topic, through SNS with its key, and nothing else', () => {
    const props = roleOf(audit.notificationRole).Properties;
    expect(props.ManagedPolicyArns).toBeUndefined();
    const policies = (props.Policies as { PolicyDocument: unknown }[]).map((p) =>
      flattenIntrinsics<PolicyDocumentJson>(p.PolicyDocument, refs),
    );
    const topic = `arn:aws:sns:${REGION}:${ACCOUNT}:audit-topic`;
    const key = `arn:aws:kms:${REGION}:${ACCOUNT}:key/11111111-2222-3333-4444-555555555555`;
    const viaSns = { 'kms:ViaService': `sns.${REGION}.amazonaws.com` };
    const can = (action: string, resource: string, context: RequestContext = {}) =>
      evaluatePolicies(policies, { action, resource, context });
    expect(can('sns:Publish', topic)).toBe('allow');
    expect(can('kms:GenerateDataKey', key, viaSns)).toBe('allow');
    expect(can('kms:Decrypt', key, viaSns)).toBe('allow');
    expect(can('sns:Publish', `arn:aws:sns:${REGION}:${ACCOUNT}:other-topic`)).toBe('implicit-deny');
    expect(can('sns:Subscribe', topic)).toBe('implicit-deny');
    expect(can('kms:Decrypt', key)).toBe('implicit-deny');
    expect(can('kms:Decrypt', key, { 'kms:ViaService': `s3.${REGION}.amazonaws.com` })).toBe('implicit-deny');
    expect(can('kms:Decrypt', `arn:aws:kms:${REGION}:${ACCOUNT}:key/other`, viaSns)).toBe('implicit-deny');
  });
  it("the topic's key lets the notification role use it through SNS, as its own IAM policy says", () => {
    // A KMS key honours IAM policies only when its key policy delegates to the account; the notification role
    // is in this account, so the key policy must say so (the topic's key, not a service grant).
    const { template, topic, logicalId } = build();
    const keyId = logicalId(topic.key.node.defaultChild as unknown as { logicalId: string });
    const keyPolicy = flattenIntrinsics<PolicyDocumentJson>(
      template.toJSON().Resources[keyId].Properties.KeyPolicy,
    );
    const roleArn = `arn:aws:iam::${ACCOUNT}:role/audit-notifications`;
    const use = (action: string, principal: string) =>
      evaluatePolicy(keyPolicy, {
        action,
        resource: '*',
        principal: { AWS: principal },
        context: { 'kms:ViaService': `sns.${REGION}.amazonaws.com` },
      });
    expect(use('kms:GenerateDataKey', roleArn)).toBe('allow');
    expect(use('kms:Decrypt', roleArn)).toBe('allow');
    expect(use('kms:Decrypt', 'arn:aws:iam::999999999999:role/audit-notifications')).toBe('implicit-deny');
  });
});

describe('DeviceDefenderAudit schedules', () => {
  it.each<[string, DeviceDefenderAuditProps['schedule'], Record<string, unknown>]>([
    ['weekly', { frequency: 'weekly', dayOfWeek: 'mon' }, { Frequency: 'WEEKLY', DayOfWeek: 'MON' }],
    ['biweekly', { frequency: 'biweekly', dayOfWeek: 'sat' }, { Frequency: 'BIWEEKLY', DayOfWeek: 'SAT' }],
    ['monthly', { frequency: 'monthly', dayOfMonth: 15 }, { Frequency: 'MONTHLY', DayOfMonth: '15' }],
    [
      'monthly on the last day',
      { frequency: 'monthly', dayOfMonth: 'last' },
      { Frequency: 'MONTHLY', DayOfMonth: 'LAST' },
    ],
  ])('%s', (_name, schedule, expected) => {
    build({ schedule }).template.hasResourceProperties('AWS::IoT::ScheduledAudit', expected);
  });

  it.each<[string, Partial<DeviceDefenderAuditProps>, string]>([
    [
      'a weekly audit without its day',
      { schedule: { frequency: 'weekly' } },
      'schedule.dayOfWeek must be set for weekly and biweekly audits only, got: weekly with dayOfWeek undefined',
    ],
    [
      'a day of the week on a monthly audit',
      { schedule: { frequency: 'monthly', dayOfMonth: 1, dayOfWeek: 'mon' } },
      'schedule.dayOfWeek must be set for weekly and biweekly audits only, got: monthly with dayOfWeek mon',
    ],
    [
      'a monthly audit without its day',
      { schedule: { frequency: 'monthly' } },
      'schedule.dayOfMonth must be set for monthly audits only, got: monthly with dayOfMonth undefined',
    ],
    [
      'day 0',
      { schedule: { frequency: 'monthly', dayOfMonth: 0 } },
      'schedule.dayOfMonth must be an integer from 1 to 31, got: 0',
    ],
    [
      'a name AWS refuses',
      { scheduledAuditName: 'keyless iot' },
      'scheduledAuditName must be 1-128 characters from a-z A-Z 0-9 _ -, got: keyless iot',
    ],
  ])('refuses %s', (_name, override, message) => {
    expect(() => build(override)).toThrow(message);
  });
});
