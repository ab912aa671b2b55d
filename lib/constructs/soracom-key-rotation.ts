import { Arn, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as targets from 'aws-cdk-lib/aws-scheduler-targets';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { LIMITS, NAME_RULES, SORACOM_PRINCIPALS, type SoracomPrincipal } from '../contract';
import { SECONDS_SINCE_ROTATION_METRIC } from '../functions/soracom-key-rotation/rotation';
import { ENV } from '../functions/soracom-key-rotation/settings';
import { CustomerManagedKey } from './customer-managed-key';
import { EncryptedLogGroup } from './encrypted-log-group';
import { KeylessFunction } from './keyless-function';
import { checkName, checkRange } from './prop-checks';
import { acknowledgeCompliance, ONE_TO_ONE_POLICY_REASON } from './compliance-acknowledgements';

/**
 * How SORACOM gets the new key: overwrite one credential, or (the Funnel publisher only) a new dated credential
 * that SIM groups' SORACOM Funnel setting is switched to.
 */
export type SoracomRotationStrategy =
  | { readonly type: 'update-in-place'; readonly credentialId: string }
  | { readonly type: 'new-credential'; readonly credentialPrefix: string };

export interface SoracomKeyRotationProps {
  /** Whose key this is: it names the function's messages and the marker it writes on the SORACOM credential. */
  readonly principal: SoracomPrincipal;
  /** The IAM user whose keys rotate; the function may touch no other user. */
  readonly user: iam.IUser;
  /** Name of the secret the operator puts the SORACOM auth key in (`{"authKeyId","authKey"}`). */
  readonly authKeySecretName: string;
  /** Name of the function's log group (encrypted with the same key as the secret). */
  readonly logGroupName: string;
  /** SSM parameter (String, key ids only) the function keeps its state in; it creates it on its first run. */
  readonly stateParameterName: string;
  /** Which SORACOM API the operator account lives on. */
  readonly coverage: 'jp' | 'global';
  readonly strategy: SoracomRotationStrategy;
  /**
   * Days between rotations.
   * @default 90
   */
  readonly periodDays?: number;
  /**
   * Days the old key stays usable after SORACOM switched to the new one.
   * @default 7
   */
  readonly graceDays?: number;
  /** Where the failure and staleness alarms notify. */
  readonly alarmTopic: sns.ITopic;
  /** The environment name, a dimension of the staleness metric. */
  readonly environmentName: string;
  /** CloudWatch namespace of the staleness metric (one per principal, so each alarm reads its own). */
  readonly metricNamespace: string;
  /** @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * The function code.
   * @default - lib/functions/soracom-key-rotation bundled with esbuild
   */
  readonly code?: lambda.Code;
}

/**
 * Rotates the access key of one IAM user whose key a SORACOM credential holds (the Funnel publisher, the Krypton
 * signer) into the SORACOM credential store: the function, its two schedules (the rotation every `periodDays`, a
 * daily upkeep run that deletes the old key after the grace period and retries a failed rotation), the secret
 * holding the SORACOM auth key (created empty), and two alarms (a failed run; no successful rotation for longer
 * than period + grace). Used once per user: each has its own function role, secret, state and alarms.
 */
export class SoracomKeyRotation extends Construct {
  public readonly function: lambda.Function;
  public readonly logGroup: EncryptedLogGroup;
  public readonly authKeySecret: secretsmanager.Secret;
  /** Encrypts the SORACOM auth key secret and the function's log group. */
  public readonly key: kms.Key;
  public readonly failureAlarm: cloudwatch.Alarm;
  public readonly stalenessAlarm: cloudwatch.Alarm;
  public readonly rotationSchedule: scheduler.Schedule;
  public readonly upkeepSchedule: scheduler.Schedule;

  constructor(scope: Construct, id: string, props: SoracomKeyRotationProps) {
    super(scope, id);
    const periodDays = props.periodDays ?? 90;
    const graceDays = props.graceDays ?? 7;
    checkRange('SoracomKeyRotation periodDays', LIMITS.rotationPeriodDays, periodDays);
    checkRange(
      'SoracomKeyRotation graceDays',
      { ...LIMITS.rotationGraceDays, max: periodDays - 1 },
      graceDays,
    );
    checkName('SoracomKeyRotation stateParameterName', NAME_RULES.parameterPath, props.stateParameterName);
    if (props.strategy.type === 'new-credential' && props.principal !== 'funnel-publisher') {
      throw new Error(
        `SoracomKeyRotation strategy new-credential switches SIM groups' SORACOM Funnel setting: it is for the ` +
          `funnel-publisher only, got: ${props.principal}`,
      );
    }
    const { label, logService } = SORACOM_PRINCIPALS[props.principal];
    const stack = Stack.of(this);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const metricNamespace = props.metricNamespace;

    const key = new CustomerManagedKey(this, 'Key', {
      description: `Encrypts ${props.authKeySecretName} and the log group ${props.logGroupName}`,
      removalPolicy,
    });
    this.key = key.key;
    this.authKeySecret = new secretsmanager.Secret(this, 'AuthKeySecret', {
      secretName: props.authKeySecretName,
      description: `SORACOM API auth key for the ${label} key rotation: {"authKeyId":"keyId-…","authKey":"secret-…"}`,
      encryptionKey: this.key,
      removalPolicy,
    });
    // Created empty: the value is issued by SORACOM and put by the operator, never generated or templated.
    (this.authKeySecret.node.defaultChild as secretsmanager.CfnSecret).addPropertyDeletionOverride(
      'GenerateSecretString',
    );
    acknowledgeCompliance(
      this.authKeySecret,
      'SecretsManagerRotationEnabled',
      'A SORACOM SAM user auth key: only SORACOM can issue a new one, so a Secrets Manager rotation Lambda cannot rotate it.',
    );
    Validations.of(this.authKeySecret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'A SORACOM SAM user auth key: only SORACOM can issue a new one, so a Secrets Manager rotation Lambda cannot rotate it.',
    });

    this.logGroup = new EncryptedLogGroup(this, 'LogGroup', {
      logGroupName: props.logGroupName,
      key,
      removalPolicy,
    });
    const stateParameterArn = Arn.format(
      { service: 'ssm', resource: 'parameter', resourceName: props.stateParameterName.replace(/^\//, '') },
      stack,
    );
    // "Default" is left out of logical ids: the function and its role keep the ids they were deployed with.
    const rotation = new KeylessFunction(this, 'Default', {
      handler: 'soracom-key-rotation',
      description: `Rotates the ${label} access key SORACOM holds (idempotent; safe to invoke at any time)`,
      roleDescription: `${label} key rotation: that one user's keys, its SORACOM auth key secret, its state parameter`,
      permissions: {
        RotateAccessKey: new iam.PolicyDocument({
          statements: [
            new iam.PolicyStatement({
              sid: 'RotateOneUsersKeys',
              actions: [
                'iam:CreateAccessKey',
                'iam:UpdateAccessKey',
                'iam:DeleteAccessKey',
                'iam:ListAccessKeys',
                'iam:GetAccessKeyLastUsed',
              ],
              resources: [props.user.userArn],
            }),
            new iam.PolicyStatement({
              sid: 'ReadSoracomAuthKey',
              actions: ['secretsmanager:GetSecretValue'],
              resources: [this.authKeySecret.secretArn],
            }),
            new iam.PolicyStatement({
              sid: 'DecryptSoracomAuthKey',
              actions: ['kms:Decrypt'],
              resources: [this.key.keyArn],
              conditions: {
                StringEquals: { 'kms:ViaService': `secretsmanager.${stack.region}.amazonaws.com` },
              },
            }),
            new iam.PolicyStatement({
              sid: 'KeepRotationState',
              actions: ['ssm:GetParameter', 'ssm:PutParameter'],
              resources: [stateParameterArn],
            }),
          ],
        }),
      },
      outsideVpcReason:
        'The function must reach the SORACOM API (api.soracom.io / g.api.soracom.io) on the internet; a VPC would only add a NAT gateway in front of the same path.',
      noDeadLetterQueueReason:
        "EventBridge Scheduler invokes it with an event that only says 'rotate' or 'ensure': there is nothing in a failed event to replay. A failure raises the failure alarm, and the daily 'ensure' run retries from the state the rotation keeps in its parameter.",
      logGroup: this.logGroup,
      // Room for the IAM propagation wait and SORACOM 429 back-off (up to a minute per retry).
      timeout: Duration.minutes(5),
      // One run at a time: the state machine reads, then writes, its parameter.
      reservedConcurrentExecutions: 1,
      retryAttempts: 1,
      maxEventAge: Duration.hours(1),
      environment: {
        [ENV.principal]: props.principal,
        [ENV.userName]: props.user.userName,
        [ENV.authKeySecretId]: this.authKeySecret.secretArn,
        [ENV.stateParameterName]: props.stateParameterName,
        [ENV.coverage]: props.coverage,
        [ENV.strategy]: props.strategy.type,
        ...(props.strategy.type === 'update-in-place'
          ? { [ENV.credentialId]: props.strategy.credentialId }
          : { [ENV.credentialPrefix]: props.strategy.credentialPrefix }),
        [ENV.periodDays]: String(periodDays),
        [ENV.graceDays]: String(graceDays),
        [ENV.metricNamespace]: metricNamespace,
        [ENV.environmentName]: props.environmentName,
        POWERTOOLS_SERVICE_NAME: logService,
      },
      code: props.code,
    });
    this.function = rotation.function;

    const schedulerRole = new iam.Role(this, 'SchedulerRole', {
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
      }),
      description: `Lets EventBridge Scheduler invoke the ${label} key rotation function`,
    });
    const invoke = (action: 'rotate' | 'ensure') =>
      new targets.LambdaInvoke(this.function, {
        role: schedulerRole,
        input: scheduler.ScheduleTargetInput.fromObject({ action }),
        retryAttempts: 2,
        maxEventAge: Duration.hours(1),
      });
    this.rotationSchedule = new scheduler.Schedule(this, 'RotationSchedule', {
      description: `Rotate the ${label} access key SORACOM holds every ${periodDays} days`,
      schedule: scheduler.ScheduleExpression.rate(Duration.days(periodDays)),
      target: invoke('rotate'),
    });
    // A 90-day schedule alone could neither delete the old key after the grace period nor retry a failed run.
    // 'ensure' does what 'upkeep' does and also issues a key when SORACOM holds none of this user's: so a fresh
    // environment gets its first key within a day of its SORACOM auth key being put in the secret (or at once,
    // with keyless soracom register-*-credentials), and until then the failure alarm says what is missing.
    this.upkeepSchedule = new scheduler.Schedule(this, 'UpkeepSchedule', {
      description: `Daily: issue the first ${label} key, delete the old one after the grace period, retry an overdue rotation`,
      schedule: scheduler.ScheduleExpression.rate(Duration.days(1)),
      target: invoke('ensure'),
    });

    acknowledgeCompliance(
      schedulerRole,
      'IAMNoInlinePolicy',
      `${ONE_TO_ONE_POLICY_REASON} Written by Scheduler's Lambda target: lambda:InvokeFunction on the rotation function only.`,
    );
    Validations.of(schedulerRole).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${stack.getLogicalId(this.function.node.defaultChild as lambda.CfnFunction)}.Arn>:*]`,
      reason:
        "Scheduler's Lambda target grants the rotation function and its versions (<function ARN>:*); this role can invoke nothing else.",
    });

    const alarmAction = new actions.SnsAction(props.alarmTopic);
    this.failureAlarm = new cloudwatch.Alarm(this, 'FailureAlarm', {
      alarmDescription: `A ${label} key rotation run failed; SORACOM still uses the previous key. See the function log for the cause.`,
      metric: this.function.metricErrors({ period: Duration.hours(1), statistic: cloudwatch.Stats.SUM }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    const staleAfterSeconds = (periodDays + graceDays) * 86_400;
    this.stalenessAlarm = new cloudwatch.Alarm(this, 'StalenessAlarm', {
      alarmDescription: `No successful ${label} key rotation for more than ${periodDays + graceDays} days (period + grace), or the daily run stopped reporting.`,
      metric: new cloudwatch.Metric({
        namespace: metricNamespace,
        metricName: SECONDS_SINCE_ROTATION_METRIC,
        dimensionsMap: { Environment: props.environmentName },
        statistic: cloudwatch.Stats.MAXIMUM,
        period: Duration.days(1),
        unit: cloudwatch.Unit.SECONDS,
      }),
      threshold: staleAfterSeconds,
      evaluationPeriods: 2,
      datapointsToAlarm: 2,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      // The daily run publishes the metric; two days without it means the rotation is not running at all.
      treatMissingData: cloudwatch.TreatMissingData.BREACHING,
    });
    for (const alarm of [this.failureAlarm, this.stalenessAlarm]) {
      alarm.addAlarmAction(alarmAction);
      alarm.addOkAction(alarmAction);
    }
  }
}
