import { Annotations, Stack, type RemovalPolicy } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { EnvironmentCommon, FunnelConfig } from '../config';
import { PROJECT } from '../contract';
import { AlarmTopic } from '../constructs/alarm-topic';
import { SoracomKeyRotation } from '../constructs/soracom-key-rotation';
import { FunnelPublisherRole } from '../constructs/funnel-publisher-role';
import { FunnelPublisherUser } from '../constructs/funnel-publisher-user';
import type { FunctionCode } from '../constructs/keyless-function';
import { emitOutputs } from './stack-outputs';
import { keylessStackProps, removalPolicyOf } from './stack-props';

export interface FunnelStackProps {
  /** The environment's name, account, region, tags, removal policy and the derived names of the resources. */
  readonly environment: EnvironmentCommon;
  /** The `funnel` section: topic prefix, publisher mode, the key rotation in user mode. */
  readonly funnel: FunnelConfig;
  /**
   * Where the stack's functions get their code.
   * @default - bundled from lib/functions with esbuild
   */
  readonly functionCode?: FunctionCode;
}

/**
 * SORACOM Funnel's AWS side: the principal Funnel publishes to AWS IoT as, allowed `iot:Publish` under one topic
 * prefix only. Publisher mode `role`: a role SORACOM assumes with your external id, and nothing else. Mode
 * `user`: an IAM user whose access key rotates into the SORACOM credential store, with the rotation's function,
 * schedules, auth-key secret and alarms.
 */
export class FunnelStack extends Stack {
  /** Mode user (and role while migrating from it): the IAM user whose key SORACOM holds. */
  public readonly publisher?: FunnelPublisherUser;
  /** Mode role: the role SORACOM assumes. */
  public readonly publisherRole?: FunnelPublisherRole;
  /** Mode user: the rotation of the user's key. */
  public readonly rotation?: SoracomKeyRotation;
  /** Mode user: where the rotation's alarms go. */
  public readonly alarmTopic?: AlarmTopic;

  constructor(scope: Construct, id: string, props: FunnelStackProps) {
    const { environment, funnel } = props;
    super(
      scope,
      id,
      keylessStackProps(environment, 'Funnel', 'SORACOM Funnel publisher (role, or user with key rotation)'),
    );
    const removalPolicy = removalPolicyOf(environment);
    const publisher = funnel.publisher;

    // The user keeps its construct id (and logical id) in every mode, and the role has its own: moving between
    // modes never asks CloudFormation to change a resource's type.
    if (publisher.mode === 'user' || publisher.migratingFromUser) {
      this.publisher = new FunnelPublisherUser(this, 'FunnelPublisher', {
        userName: environment.names.funnelPublisherUser,
        topicPrefix: funnel.topicPrefix,
      });
    }
    if (publisher.mode === 'role') {
      this.publisherRole = new FunnelPublisherRole(this, 'PublisherRole', {
        roleName: environment.names.funnelPublisherRole,
        topicPrefix: funnel.topicPrefix,
        soracomAccountId: publisher.soracomAccountId,
        externalId: publisher.externalId,
      });
      if (publisher.migratingFromUser) {
        Annotations.of(this.publisher!).addWarningV2(
          'keyless:migratingFromUser',
          'funnel.publisher.migratingFromUser keeps the Funnel publisher user (and the key SORACOM still holds) next ' +
            `to the role, without rotation. Register the role (npx keyless soracom register-funnel-credentials --env ${environment.envName}), ` +
            "switch the SIM groups, delete the user's access keys once they are idle, then remove the flag and deploy.",
        );
      }
    } else {
      const { alarmTopic, rotation } = this.rotatePublisherKey(props, this.publisher!, removalPolicy);
      this.alarmTopic = alarmTopic;
      this.rotation = rotation;
    }

    emitOutputs(this, 'Funnel', {
      funnelUserName: this.publisher?.user.userName,
      rotationFunctionName: this.rotation?.function.functionName,
      soracomAuthKeySecretArn: this.rotation?.authKeySecret.secretArn,
      alarmTopicArn: this.alarmTopic?.topic.topicArn,
      publisherRoleArn: this.publisherRole?.role.roleArn,
    });
  }

  /** Publisher mode user: the rotation of the user's key SORACOM holds, and the topic its alarms go to. */
  private rotatePublisherKey(
    props: FunnelStackProps,
    publisher: FunnelPublisherUser,
    removalPolicy: RemovalPolicy,
  ): { alarmTopic: AlarmTopic; rotation: SoracomKeyRotation } {
    const { environment, funnel } = props;
    const timing = funnel.rotation;
    // The schema requires it in user mode; this says so if a caller built the config by hand.
    if (timing === undefined) throw new Error('FunnelStack needs funnel.rotation with publisher mode user');
    const alarmTopic = new AlarmTopic(this, 'AlarmTopic', {
      purpose: `${PROJECT} ${environment.envName} Funnel key rotation alarms`,
      emails: funnel.alarmEmails,
      removalPolicy,
    });
    return {
      alarmTopic,
      rotation: new SoracomKeyRotation(this, 'KeyRotation', {
        principal: 'funnel-publisher',
        user: publisher.user,
        authKeySecretName: environment.names.funnelAuthKeySecret,
        logGroupName: environment.names.funnelRotationLogGroup,
        stateParameterName: environment.names.funnelRotationStateParameter,
        metricNamespace: environment.names.funnelMetricNamespace,
        coverage: funnel.coverage,
        strategy: timing.strategy,
        periodDays: timing.periodDays,
        graceDays: timing.graceDays,
        alarmTopic: alarmTopic.topic,
        environmentName: environment.envName,
        removalPolicy,
        code: props.functionCode?.('soracom-key-rotation'),
      }),
    };
  }
}
