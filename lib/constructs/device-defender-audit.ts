import { RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as iot from 'aws-cdk-lib/aws-iot';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import {
  AUDIT_CHECKS,
  AUDIT_LAST_DAY_OF_MONTH,
  enabledAuditChecks,
  LIMITS,
  NAME_RULES,
  type AuditDayOfWeek,
  type AuditFrequency,
} from '../contract';
import { checkName, checkRange } from './prop-checks';
import { acknowledgeCompliance, ONE_TO_ONE_POLICY_REASON } from './compliance-acknowledgements';

/** When the scheduled audit runs. */
export interface AuditSchedule {
  readonly frequency: AuditFrequency;
  /** Required for weekly and biweekly audits, refused otherwise. */
  readonly dayOfWeek?: AuditDayOfWeek;
  /** 1-31 or 'last'; required for monthly audits, refused otherwise. */
  readonly dayOfMonth?: number | typeof AUDIT_LAST_DAY_OF_MONTH;
}

export interface DeviceDefenderAuditProps {
  readonly scheduledAuditName: string;
  readonly schedule: AuditSchedule;
  /** Where AWS IoT sends a notification when an audit completes (an encrypted topic: AlarmTopic). */
  readonly topic: sns.ITopic;
  /** The topic's KMS key, which the notification role must use through SNS. */
  readonly topicKey: kms.IKey;
  /** @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The account's AWS IoT Device Defender audit (`AWS::IoT::AccountAuditConfiguration`, one per account and region):
 * the checks of lib/contract/device-defender.ts, a role the audit reads the account with, a role AWS IoT publishes
 * notifications with, and a schedule (`AWS::IoT::ScheduledAudit`) that runs every enabled check.
 */
export class DeviceDefenderAudit extends Construct {
  public readonly configuration: iot.CfnAccountAuditConfiguration;
  public readonly scheduledAudit: iot.CfnScheduledAudit;
  /** Assumed by AWS IoT to read devices, certificates, policies and role aliases during an audit. */
  public readonly auditRole: iam.Role;
  /** Assumed by AWS IoT to publish audit notifications to the topic. */
  public readonly notificationRole: iam.Role;

  constructor(scope: Construct, id: string, props: DeviceDefenderAuditProps) {
    super(scope, id);
    checkName('scheduledAuditName', NAME_RULES.scheduledAuditName, props.scheduledAuditName);
    const schedule = scheduleProperties(props.schedule);
    const stack = Stack.of(this);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;

    // Confused deputy: the Device Defender guide ("Cross-service confused deputy prevention") scopes the roles
    // passed in UpdateAccountAuditConfiguration (the audit role and the notification target's role) with
    // aws:SourceArn arn:<partition>:iot:<region>:<account>: — ArnLike with a trailing * takes that and nothing
    // from another account or region. (Offline this shows the condition, not what AWS IoT sends at run time.)
    const iotInThisAccount = (): iam.ServicePrincipal =>
      new iam.ServicePrincipal('iot.amazonaws.com', {
        conditions: {
          StringEquals: { 'aws:SourceAccount': stack.account },
          ArnLike: { 'aws:SourceArn': stack.formatArn({ service: 'iot', resource: '*' }) },
        },
      });

    this.auditRole = new iam.Role(this, 'AuditRole', {
      description: 'Assumed by AWS IoT Device Defender to read the account during an audit',
      assumedBy: iotInThisAccount(),
      managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('service-role/AWSIoTDeviceDefenderAudit')],
    });
    Validations.of(this.auditRole).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSIoTDeviceDefenderAudit]',
      reason:
        'The AWS managed service role policy made for the Device Defender audit role: read-only describe and list calls on AWS IoT, and the IAM and Cognito reads the role alias and Cognito checks need; AWS adds to it as checks are added, and a hand-copied subset would fail checks silently.',
    });

    this.notificationRole = new iam.Role(this, 'NotificationRole', {
      description: 'Assumed by AWS IoT Device Defender to publish audit notifications',
      assumedBy: iotInThisAccount(),
      inlinePolicies: {
        PublishAuditNotifications: new iam.PolicyDocument({
          statements: [
            new iam.PolicyStatement({
              sid: 'PublishToTheAuditTopic',
              actions: ['sns:Publish'],
              resources: [props.topic.topicArn],
            }),
            new iam.PolicyStatement({
              sid: 'UseTheTopicKeyThroughSns',
              // The SNS developer guide's publisher permissions for an encrypted topic.
              actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
              resources: [props.topicKey.keyArn],
              conditions: { StringEquals: { 'kms:ViaService': `sns.${stack.region}.amazonaws.com` } },
            }),
          ],
        }),
      },
    });
    acknowledgeCompliance(this.notificationRole, 'IAMNoInlinePolicy', ONE_TO_ONE_POLICY_REASON);
    Validations.of(this.notificationRole).acknowledge({
      id: 'AwsSolutions-IAM5[Action::kms:GenerateDataKey*]',
      reason:
        'The SNS developer guide grants publishers to an encrypted topic kms:GenerateDataKey* (which data key call SNS makes is its own); limited to the one topic key, and only through SNS in this region (kms:ViaService).',
    });

    const checks = Object.fromEntries(
      AUDIT_CHECKS.map((check) => [lowerFirst(check.property), { enabled: check.enabled }]),
    ) as iot.CfnAccountAuditConfiguration.AuditCheckConfigurationsProperty;
    this.configuration = new iot.CfnAccountAuditConfiguration(this, 'Resource', {
      // CloudFormation refuses an AccountId other than the deploying account's (the resource provider compares).
      accountId: stack.account,
      roleArn: this.auditRole.roleArn,
      auditCheckConfigurations: checks,
      auditNotificationTargetConfigurations: {
        sns: { enabled: true, targetArn: props.topic.topicArn, roleArn: this.notificationRole.roleArn },
      },
    });
    this.scheduledAudit = new iot.CfnScheduledAudit(this, 'Schedule', {
      scheduledAuditName: props.scheduledAuditName,
      ...schedule,
      targetCheckNames: enabledAuditChecks(),
    });
    // A scheduled audit may only name checks the configuration enables.
    this.scheduledAudit.addResourceDependency(this.configuration);
    for (const resource of [this.auditRole, this.notificationRole])
      resource.applyRemovalPolicy(removalPolicy);
    this.configuration.applyRemovalPolicy(removalPolicy);
    this.scheduledAudit.applyRemovalPolicy(removalPolicy);
  }
}

/** The schedule as `AWS::IoT::ScheduledAudit` wants it; a day that does not fit the frequency is refused. */
function scheduleProperties(
  schedule: AuditSchedule,
): Pick<iot.CfnScheduledAuditProps, 'frequency' | 'dayOfWeek' | 'dayOfMonth'> {
  const weekly = schedule.frequency === 'weekly' || schedule.frequency === 'biweekly';
  const monthly = schedule.frequency === 'monthly';
  if (weekly !== (schedule.dayOfWeek !== undefined)) {
    throw new Error(
      `schedule.dayOfWeek must be set for weekly and biweekly audits only, got: ${schedule.frequency} with dayOfWeek ${schedule.dayOfWeek}`,
    );
  }
  if (monthly !== (schedule.dayOfMonth !== undefined)) {
    throw new Error(
      `schedule.dayOfMonth must be set for monthly audits only, got: ${schedule.frequency} with dayOfMonth ${schedule.dayOfMonth}`,
    );
  }
  if (typeof schedule.dayOfMonth === 'number') {
    checkRange('schedule.dayOfMonth', LIMITS.auditDayOfMonth, schedule.dayOfMonth);
  }
  return {
    frequency: schedule.frequency.toUpperCase(),
    dayOfWeek: schedule.dayOfWeek?.toUpperCase(),
    dayOfMonth: schedule.dayOfMonth === undefined ? undefined : String(schedule.dayOfMonth).toUpperCase(),
  };
}

function lowerFirst(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1);
}
