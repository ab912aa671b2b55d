import { CfnOutput, Stack } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { KeylessConfig } from '../config';
import { AlarmTopic } from '../constructs/alarm-topic';
import { FunnelKeyRotation } from '../constructs/funnel-key-rotation';
import { FunnelPublisherUser } from '../constructs/funnel-publisher-user';
import { keylessStackProps, removalPolicyOf } from './stack-props';

export interface FunnelStackProps {
  readonly config: KeylessConfig;
}

/** SORACOM Funnel: a publish-only IAM user whose access key rotates into the SORACOM credential store. */
export class FunnelStack extends Stack {
  public readonly publisher: FunnelPublisherUser;
  public readonly rotation: FunnelKeyRotation;
  public readonly alarmTopic: AlarmTopic;

  constructor(scope: Construct, id: string, props: FunnelStackProps) {
    const { config } = props;
    const funnel = config.funnel;
    if (funnel === undefined) throw new Error('FunnelStack needs the funnel section of the config');
    super(
      scope,
      id,
      keylessStackProps(config, 'Funnel', 'SORACOM Funnel publisher user and its key rotation'),
    );
    const removalPolicy = removalPolicyOf(config);

    this.publisher = new FunnelPublisherUser(this, 'FunnelPublisher', {
      userName: `keyless-iot-${config.envName}-funnel-publisher`,
      topicPrefix: funnel.topicPrefix,
    });
    this.alarmTopic = new AlarmTopic(this, 'AlarmTopic', {
      purpose: `keyless-iot ${config.envName} Funnel key rotation alarms`,
      emails: funnel.alarmEmails,
      removalPolicy,
    });
    this.rotation = new FunnelKeyRotation(this, 'KeyRotation', {
      user: this.publisher.user,
      authKeySecretName: `keyless-iot/${config.envName}/funnel/soracom-auth-key`,
      logGroupName: `/keyless-iot/${config.envName}/funnel-key-rotation`,
      stateParameterName: `/keyless-iot/${config.envName}/funnel/rotation-state`,
      coverage: funnel.coverage,
      strategy: funnel.rotation.strategy,
      periodDays: funnel.rotation.periodDays,
      graceDays: funnel.rotation.graceDays,
      alarmTopic: this.alarmTopic.topic,
      environmentName: config.envName,
      removalPolicy,
    });

    const outputs: Record<string, [string, string]> = {
      FunnelUserName: [this.publisher.user.userName, 'IAM user whose access key SORACOM Funnel holds'],
      RotationFunctionName: [
        this.rotation.function.functionName,
        'Invoke to rotate now: aws lambda invoke --function-name <this> out.json',
      ],
      SoracomAuthKeySecretArn: [
        this.rotation.authKeySecret.secretArn,
        'Put {"authKeyId","authKey"} of a SORACOM SAM user here',
      ],
      AlarmTopicArn: [this.alarmTopic.topic.topicArn, 'Rotation failure and staleness alarms'],
    };
    for (const [outputId, [value, description]] of Object.entries(outputs)) {
      new CfnOutput(this, outputId, { value, description });
    }
  }
}
