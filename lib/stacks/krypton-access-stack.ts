import { Annotations, Stack, type RemovalPolicy } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { EnvironmentCommon } from '../config';
import { kryptonRotationDefaults, type KryptonConfig } from '../config/sections/krypton';
import { PROJECT } from '../contract';
import { AlarmTopic } from '../constructs/alarm-topic';
import type { FunctionCode } from '../constructs/keyless-function';
import { KryptonDeviceRole } from '../constructs/krypton-device-role';
import { KryptonIdentityPool } from '../constructs/krypton-identity-pool';
import { KryptonSigner } from '../constructs/krypton-signer';
import { SoracomKeyRotation } from '../constructs/soracom-key-rotation';
import { emitOutputs } from './stack-outputs';
import { keylessStackProps, removalPolicyOf } from './stack-props';

export interface KryptonAccessStackProps {
  /** The environment's name, account, region, tags, removal policy and the derived names of the resources. */
  readonly environment: EnvironmentCommon;
  /** The `krypton` section: identity pool, signer, its key rotation, quarantined identities. */
  readonly krypton: KryptonConfig;
  /**
   * The closed network's prefix (`closedNetwork.prefix`): each identity may also write under it.
   * @default - no closed network
   */
  readonly closedNetworkPrefix?: string;
  /**
   * Where the stack's functions get their code.
   * @default - bundled from lib/functions with esbuild
   */
  readonly functionCode?: FunctionCode;
}

/**
 * The Krypton flow's AWS side: the identity pool SIM devices get identities in, the role those identities get,
 * and the principal SORACOM Krypton signs `GetOpenIdTokenForDeveloperIdentity` with.
 * Table and bucket ARNs are built from the derived names, so this stack holds no export lock on the Data stack.
 */
export class KryptonAccessStack extends Stack {
  public readonly pool: KryptonIdentityPool;
  public readonly deviceRole: KryptonDeviceRole;
  public readonly signer: KryptonSigner;
  /** Signer mode user: the rotation of the key SORACOM holds. */
  public readonly signerRotation?: SoracomKeyRotation;
  /** Signer mode user: where the rotation's alarms go. */
  public readonly signerAlarmTopic?: AlarmTopic;

  constructor(scope: Construct, id: string, props: KryptonAccessStackProps) {
    const { environment, krypton } = props;
    super(
      scope,
      id,
      keylessStackProps(environment, 'KryptonAccess', 'Cognito identity pool for SORACOM Krypton'),
    );
    const tableArn = (tableName: string): string =>
      this.formatArn({ service: 'dynamodb', resource: 'table', resourceName: tableName });

    const removalPolicy = removalPolicyOf(environment);
    this.pool = new KryptonIdentityPool(this, 'IdentityPool', {
      identityPoolName: krypton.identityPoolName,
      developerProviderName: krypton.developerProviderName,
      removalPolicy,
    });
    this.deviceRole = new KryptonDeviceRole(this, 'DevicePermissions', {
      role: this.pool.authenticatedRole,
      referenceTableArn: tableArn(environment.names.referenceTable),
      deviceTableArn: tableArn(environment.names.deviceTable),
      bucketName: environment.names.deviceBucket,
      // SIMs on the closed network write under the closed prefix, which the bucket policy opens only to the endpoint.
      closedNetworkPrefix: props.closedNetworkPrefix,
      quarantinedIdentities: krypton.quarantinedIdentities.map((entry) => ({
        id: entry.identityId,
        quarantinedAt: entry.quarantinedAt,
      })),
    });
    this.signer = new KryptonSigner(this, 'Signer', {
      identityPoolArn: this.pool.identityPoolArn,
      signer: krypton.signer,
      userName: environment.names.kryptonSignerUser,
      legacySecretName: environment.names.kryptonSignerSecret,
      removalPolicy,
    });

    // No long-term key anywhere (issue 15): in user mode the key SORACOM holds rotates; CloudFormation makes none.
    if (krypton.signer.mode === 'user') {
      const { alarmTopic, rotation } = this.rotateSignerKey(props, removalPolicy);
      this.signerAlarmTopic = alarmTopic;
      this.signerRotation = rotation;
    }
    this.warnWhileSignerUpgrades(krypton.signer, environment.envName);

    emitOutputs(this, 'KryptonAccess', {
      identityPoolId: this.pool.identityPoolId,
      developerProviderName: this.pool.developerProviderName,
      authenticatedRoleArn: this.pool.authenticatedRole.roleArn,
      signerRoleArn: this.signer.role?.roleArn,
      signerUserName: this.signer.user?.userName,
      signerRotationFunctionName: this.signerRotation?.function.functionName,
      signerAuthKeySecretArn: this.signerRotation?.authKeySecret.secretArn,
      signerAlarmTopicArn: this.signerAlarmTopic?.topic.topicArn,
    });
  }

  /** Signer mode user: the rotation of the key SORACOM holds, and the topic its alarms go to. */
  private rotateSignerKey(
    props: KryptonAccessStackProps,
    removalPolicy: RemovalPolicy,
  ): { alarmTopic: AlarmTopic; rotation: SoracomKeyRotation } {
    const { environment, krypton } = props;
    const timing = krypton.rotation ?? kryptonRotationDefaults();
    const alarmTopic = new AlarmTopic(this, 'SignerAlarmTopic', {
      purpose: `${PROJECT} ${environment.envName} Krypton signer key rotation alarms`,
      emails: krypton.alarmEmails,
      removalPolicy,
    });
    return {
      alarmTopic,
      rotation: new SoracomKeyRotation(this, 'SignerKeyRotation', {
        principal: 'krypton-signer',
        user: this.signer.user!,
        authKeySecretName: environment.names.kryptonAuthKeySecret,
        logGroupName: environment.names.kryptonRotationLogGroup,
        stateParameterName: environment.names.kryptonRotationStateParameter,
        metricNamespace: environment.names.kryptonMetricNamespace,
        coverage: krypton.coverage,
        // Krypton SIM groups name one credential: the new key overwrites it in place.
        strategy: { type: 'update-in-place', credentialId: krypton.credentialId },
        periodDays: timing.periodDays,
        graceDays: timing.graceDays,
        alarmTopic: alarmTopic.topic,
        environmentName: environment.envName,
        removalPolicy,
        code: props.functionCode?.('soracom-key-rotation'),
      }),
    };
  }

  /** While the signer leaves a key CloudFormation made, or leaves the user for the role: what is left to do. */
  private warnWhileSignerUpgrades(signer: KryptonConfig['signer'], envName: string): void {
    if (signer.mode === 'user' && signer.keepLegacyAccessKey) {
      Annotations.of(this.signer).addWarningV2(
        'keyless:legacySignerKey',
        'krypton.signer.keepLegacyAccessKey keeps the access key CloudFormation made for the Krypton signer. ' +
          `Once npx keyless soracom register-krypton-credentials --env ${envName} has run the first rotation ` +
          'and an hour has passed, remove the flag and deploy: that deletes the old user and key.',
      );
    } else if (signer.mode === 'role' && signer.migratingFromUser) {
      Annotations.of(this.signer).addWarningV2(
        'keyless:migratingFromUser',
        'krypton.signer.migratingFromUser keeps the signer user (and any key of it SORACOM still holds) next to the ' +
          `role, without rotation. Register the role (npx keyless soracom register-krypton-credentials --env ${envName}), ` +
          "delete the user's access keys once they are idle, then remove the flag and deploy.",
      );
    }
  }
}
