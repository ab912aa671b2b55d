import { Stack } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { AuditConfig, EnvironmentCommon } from '../config';
import { AlarmTopic } from '../constructs/alarm-topic';
import { DeviceDefenderAudit } from '../constructs/device-defender-audit';
import { PROJECT, scheduledAuditName } from '../contract';
import { emitOutputs } from './stack-outputs';
import { keylessStackProps, removalPolicyOf } from './stack-props';

export interface AuditStackProps {
  /** The environment's name, account, region, tags and removal policy. */
  readonly environment: EnvironmentCommon;
  /** The `audit` section: the audit's schedule and who is told of its findings. */
  readonly audit: AuditConfig;
}

/**
 * The account's AWS IoT Device Defender audit, with its schedule and an encrypted notification topic. One per
 * account and region: only one environment there may have the audit section (the config loader checks the
 * environments it can see; CloudFormation refuses a second, different configuration).
 */
export class AuditStack extends Stack {
  public readonly audit: DeviceDefenderAudit;
  public readonly alarmTopic: AlarmTopic;

  constructor(scope: Construct, id: string, props: AuditStackProps) {
    const { environment, audit } = props;
    super(
      scope,
      id,
      keylessStackProps(
        environment,
        'Audit',
        'AWS IoT Device Defender audit of the account, its schedule and notifications',
      ),
    );
    const removalPolicy = removalPolicyOf(environment);

    this.alarmTopic = new AlarmTopic(this, 'AlarmTopic', {
      purpose: `${PROJECT} ${environment.envName} Device Defender audit notifications`,
      emails: audit.alarmEmails,
      removalPolicy,
    });
    this.audit = new DeviceDefenderAudit(this, 'DeviceDefenderAudit', {
      scheduledAuditName: scheduledAuditName(environment.envName),
      schedule: audit.schedule,
      topic: this.alarmTopic.topic,
      topicKey: this.alarmTopic.key,
      removalPolicy,
    });

    emitOutputs(this, 'Audit', {
      scheduledAuditName: this.audit.scheduledAudit.ref,
      auditAlarmTopicArn: this.alarmTopic.topic.topicArn,
    });
  }
}
