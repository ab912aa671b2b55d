import { Annotations, Duration, Stack } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type { Construct } from 'constructs';
import type { EnvironmentCommon, IotConfig } from '../config';
import { BulkRegistrationRole } from '../constructs/bulk-registration-role';
import { CredentialsProviderRole } from '../constructs/credentials-provider-role';
import { DeviceIotPolicy } from '../constructs/device-iot-policy';
import { DeviceRoleAlias } from '../constructs/device-role-alias';
import { DeviceThingType } from '../constructs/device-thing-type';
import type { FunctionCode } from '../constructs/keyless-function';
import { ThingTypeAssigner } from '../constructs/thing-type-assigner';
import {
  DEVICE_REFRESH_JITTER_SECONDS,
  DEVICE_REFRESH_MARGIN_SECONDS,
  UNCACHEABLE_CREDENTIAL_SECONDS,
} from '../contract';
import { emitOutputs } from './stack-outputs';
import { keylessStackProps, removalPolicyOf } from './stack-props';

export interface IotAccessStackProps {
  /** The environment's name, account, region, tags, removal policy and the derived names of the resources. */
  readonly environment: EnvironmentCommon;
  /** The `iot` section: thing type, role, role alias, IoT policy, and the things (for their quarantine). */
  readonly iot: IotConfig;
  /** The KMS key of the device secrets (the Data stack's), which devices may use only via Secrets Manager. */
  readonly secretsKey: kms.IKey;
  /**
   * Where the stack's functions get their code.
   * @default - bundled from lib/functions with esbuild
   */
  readonly functionCode?: FunctionCode;
}

/** What the X.509 flow needs once per environment: thing type, credentials-provider role, role alias, IoT policy. */
export class IotAccessStack extends Stack {
  public readonly thingType: DeviceThingType;
  public readonly role: CredentialsProviderRole;
  public readonly roleAlias: DeviceRoleAlias;
  public readonly policy: DeviceIotPolicy;
  public readonly thingTypeAssigner: ThingTypeAssigner;
  /** Assumed by AWS IoT for `keyless fleet register --bulk`, which derives its name from the environment. */
  public readonly bulkRegistrationRole: BulkRegistrationRole;

  constructor(scope: Construct, id: string, props: IotAccessStackProps) {
    const { environment, iot } = props;
    super(
      scope,
      id,
      keylessStackProps(
        environment,
        'IotAccess',
        'thing type, credentials-provider role, role alias, IoT policy',
      ),
    );

    this.thingType = new DeviceThingType(this, 'ThingType', {
      thingTypeName: iot.thingType.name,
      description: iot.thingType.description,
      searchableAttributes: iot.thingType.searchableAttributes,
    });
    const maxSessionDuration = Duration.seconds(iot.role.maxSessionDurationSeconds);
    this.role = new CredentialsProviderRole(this, 'CredentialsProviderRole', {
      deviceBucketName: environment.names.deviceBucket,
      deviceSecretName: environment.names.deviceSecret,
      perThingSecretPrefix: environment.names.perThingSecretPrefix,
      secretsKeyArn: props.secretsKey.keyArn,
      maxSessionDuration,
      roleAliasName: iot.roleAlias.name,
      quarantinedThings: iot.things
        .filter((thing) => thing.quarantined)
        .map((thing) => ({ id: thing.name, quarantinedAt: thing.quarantinedAt })),
    });
    this.roleAlias = new DeviceRoleAlias(this, 'RoleAlias', {
      roleAliasName: iot.roleAlias.name,
      role: this.role.role,
      credentialDuration: Duration.seconds(iot.roleAlias.credentialDurationSeconds),
      roleMaxSessionDuration: maxSessionDuration,
    });
    this.warnIfUncacheable(iot.roleAlias.credentialDurationSeconds);
    this.policy = new DeviceIotPolicy(this, 'DevicePolicy', {
      policyName: iot.policy.name,
      roleAliasArn: this.roleAlias.roleAliasArn,
      requiredThingTypeName: iot.policy.requireThingType ? iot.thingType.name : undefined,
      requiredAttributes: iot.policy.requiredAttributes,
    });
    this.thingTypeAssigner = new ThingTypeAssigner(this, 'ThingTypeAssigner', {
      functionName: environment.names.thingTypeAssignerFunction,
      code: props.functionCode?.('thing-type-assigner'),
      logRemovalPolicy: removalPolicyOf(environment),
    });
    this.bulkRegistrationRole = new BulkRegistrationRole(this, 'BulkRegistrationRole', {
      roleName: environment.names.bulkRegistrationRole,
      deviceBucketName: environment.names.deviceBucket,
    });
    // The policy names the alias by ARN built from its name: make sure the alias exists first anyway.
    this.policy.node.addDependency(this.roleAlias);

    emitOutputs(this, 'IotAccess', {
      roleAliasName: iot.roleAlias.name,
      roleAliasArn: this.roleAlias.roleAlias.attrRoleAliasArn,
      roleArn: this.role.role.roleArn,
      policyName: iot.policy.name,
      thingTypeName: iot.thingType.name,
    });
  }

  /** Legal for AWS (900 s and up), but the device helper could never reuse credentials this short. */
  private warnIfUncacheable(credentialDurationSeconds: number): void {
    if (credentialDurationSeconds > UNCACHEABLE_CREDENTIAL_SECONDS) return;
    Annotations.of(this.roleAlias).addWarningV2(
      'keyless:credentialsTooShortToCache',
      `iot.roleAlias.credentialDurationSeconds is ${credentialDurationSeconds}: devices refresh ` +
        `${DEVICE_REFRESH_MARGIN_SECONDS}-${UNCACHEABLE_CREDENTIAL_SECONDS} s before expiry, so every AWS call ` +
        `would fetch new credentials; use at least ${UNCACHEABLE_CREDENTIAL_SECONDS + DEVICE_REFRESH_JITTER_SECONDS}`,
    );
  }
}
