import { Stack } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { KeylessConfig } from '../config';
import { PROJECT } from '../contract';
import { AlarmTopic } from '../constructs/alarm-topic';
import { SoracomKeyRotation } from '../constructs/soracom-key-rotation';
import { FunnelPublisherUser } from '../constructs/funnel-publisher-user';
import type { FunctionCode } from '../constructs/keyless-function';
import { emitOutputs } from './stack-outputs';
import { keylessStackProps, removalPolicyOf } from './stack-props';

export interface FunnelStackProps {
  readonly config: KeylessConfig;
  /**
   * Where the stack's functions get their code.
   * @default - bundled from lib/functions with esbuild
   */
  readonly functionCode?: FunctionCode;
}

/** SORACOM Funnel: a publish-only IAM user whose access key rotates into the SORACOM credential store. */
export class FunnelStack extends Stack {
  public readonly publisher: FunnelPublisherUser;
  public readonly rotation: SoracomKeyRotation;
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
      userName: config.names.funnelPublisherUser,
      topicPrefix: funnel.topicPrefix,
    });
    this.alarmTopic = new AlarmTopic(this, 'AlarmTopic', {
      purpose: `${PROJECT} ${config.envName} Funnel key rotation alarms`,
      emails: funnel.alarmEmails,
      removalPolicy,
    });
    this.rotation = new SoracomKeyRotation(this, 'KeyRotation', {
      principal: 'funnel-publisher',
      user: this.publisher.user,
      authKeySecretName: config.names.funnelAuthKeySecret,
      logGroupName: config.names.funnelRotationLogGroup,
      stateParameterName: config.names.funnelRotationStateParameter,
      metricNamespace: config.names.funnelMetricNamespace,
      coverage: funnel.coverage,
      strategy: funnel.rotation.strategy,
      periodDays: funnel.rotation.periodDays,
      graceDays: funnel.rotation.graceDays,
      alarmTopic: this.alarmTopic.topic,
      environmentName: config.envName,
      removalPolicy,
      code: props.functionCode?.('soracom-key-rotation'),
    });

    emitOutputs(this, 'Funnel', {
      funnelUserName: this.publisher.user.userName,
      rotationFunctionName: this.rotation.function.functionName,
      soracomAuthKeySecretArn: this.rotation.authKeySecret.secretArn,
      alarmTopicArn: this.alarmTopic.topic.topicArn,
    });
  }
}
