import { createHash } from 'node:crypto';
import type { StackPart } from './names';

/**
 * Every stack output, by the stack part that emits it. The stacks emit exactly these (lib/stacks/stack-outputs.ts
 * makes one CfnOutput per entry) and the CLI reads them only through these objects (lib/cli/deployed-outputs.ts),
 * so an OutputKey is spelled once.
 *
 * The CLI reads an output only for what it cannot derive: values AWS generates at deploy time (identity pool id,
 * certificate ids, generated ARNs) and config values the operator may have changed since the last deploy (the
 * role alias, the developer provider). Names derived from the environment come from names.ts.
 */

declare const fromContract: unique symbol;

/**
 * One output of one stack part. Only this module makes them: a reader cannot ask for a key the stacks do not
 * emit. `C` says whether the stack emits it only in some configurations.
 */
export interface StackOutput<P extends StackPart = StackPart, C extends boolean = boolean> {
  readonly part: P;
  /** The OutputKey (and the CfnOutput's id). */
  readonly key: string;
  readonly description: string;
  /** The configurations that have it, when not every one does. */
  readonly onlyWhen: C extends true ? string : undefined;
  readonly [fromContract]: true;
}

function output<P extends StackPart>(part: P, key: string, description: string): StackOutput<P, false> {
  return { part, key, description, onlyWhen: undefined } as StackOutput<P, false>;
}

function conditionalOutput<P extends StackPart>(
  part: P,
  key: string,
  description: string,
  onlyWhen: string,
): StackOutput<P, true> {
  return { part, key, description, onlyWhen } as StackOutput<P, true>;
}

export const OUTPUTS = {
  Network: {
    gatewayEndpointId: output(
      'Network',
      'GatewayEndpointId',
      'S3 gateway endpoint: the only way into the closed prefix',
    ),
    vpcId: output('Network', 'VpcId', 'The GatePeer VPC'),
    routeTableIds: output('Network', 'RouteTableIds', 'GatePeer route tables carrying the endpoint'),
    gatePeerSecurityGroupId: output(
      'Network',
      'GatePeerSecurityGroupId',
      'Attach to the GatePeer instance (VXLAN from the VPG only)',
    ),
    flowLogGroupName: output('Network', 'FlowLogGroupName', 'VPC flow logs of the GatePeer VPC'),
    iotCredentialsEndpointId: conditionalOutput(
      'Network',
      'IotCredentialsEndpointId',
      'Interface endpoint for the AWS IoT credentials provider',
      'closedNetwork.interfaceEndpoints.iotCredentials is true',
    ),
    cognitoIdentityEndpointId: conditionalOutput(
      'Network',
      'CognitoIdentityEndpointId',
      'Interface endpoint for Cognito identity',
      'closedNetwork.interfaceEndpoints.cognitoIdentity is true',
    ),
  },
  Data: {
    deviceBucketName: output('Data', 'DeviceBucketName', 'Devices upload under their own prefix here'),
    deviceBucketArn: output('Data', 'DeviceBucketArn', 'ARN of the device bucket'),
    accessLogBucketName: output('Data', 'AccessLogBucketName', 'Server access logs of the device bucket'),
    referenceTableName: output('Data', 'ReferenceTableName', 'Table every device may read'),
    referenceTableArn: output('Data', 'ReferenceTableArn', 'ARN of the reference table'),
    deviceTableName: output('Data', 'DeviceTableName', 'Table with one partition per device identity'),
    deviceTableArn: output('Data', 'DeviceTableArn', 'ARN of the device table'),
    deviceSecretName: output('Data', 'DeviceSecretName', 'Secret every device may read'),
    deviceSecretArn: output('Data', 'DeviceSecretArn', 'ARN of the device secret'),
    secretsKeyArn: output('Data', 'SecretsKeyArn', 'KMS key encrypting device secrets'),
    deviceScriptsPrefix: output('Data', 'DeviceScriptsPrefix', 'Current device scripts in the device bucket'),
  },
  IotAccess: {
    roleAliasName: output(
      'IotAccess',
      'RoleAliasName',
      'Role alias devices name in the credentials provider URL',
    ),
    roleAliasArn: output('IotAccess', 'RoleAliasArn', 'ARN of the role alias'),
    roleArn: output('IotAccess', 'RoleArn', 'Role the credentials provider assumes for a device'),
    policyName: output('IotAccess', 'PolicyName', 'IoT policy attached to every device certificate'),
    thingTypeName: output('IotAccess', 'ThingTypeName', 'Thing type of every device thing'),
  },
  KryptonAccess: {
    identityPoolId: output('KryptonAccess', 'IdentityPoolId', 'SIM group Krypton setting: identity pool id'),
    developerProviderName: output(
      'KryptonAccess',
      'DeveloperProviderName',
      'SIM group Krypton setting: developer provider name (cannot change after the first deploy)',
    ),
    authenticatedRoleArn: output(
      'KryptonAccess',
      'AuthenticatedRoleArn',
      'Role Krypton devices get credentials for',
    ),
    signerRoleArn: conditionalOutput(
      'KryptonAccess',
      'SignerRoleArn',
      'Role to register in the SORACOM credential store as aws-iam-role-credentials',
      'krypton.signer.mode is role',
    ),
    // Signer mode user: the key SORACOM holds rotates (issue 15).
    signerUserName: conditionalOutput(
      'KryptonAccess',
      'SignerUserName',
      'IAM user whose access key SORACOM Krypton holds (rotated by the signer key rotation)',
      'krypton.signer.mode is user, or role with migratingFromUser',
    ),
    signerRotationFunctionName: conditionalOutput(
      'KryptonAccess',
      'SignerRotationFunctionName',
      'Signer key rotation: keyless soracom register-krypton-credentials invokes it',
      'krypton.signer.mode is user',
    ),
    signerAuthKeySecretArn: conditionalOutput(
      'KryptonAccess',
      'SignerAuthKeySecretArn',
      'Put {"authKeyId","authKey"} of a SORACOM SAM user here, for the signer key rotation',
      'krypton.signer.mode is user',
    ),
    signerAlarmTopicArn: conditionalOutput(
      'KryptonAccess',
      'SignerAlarmTopicArn',
      'Signer key rotation failure and staleness alarms',
      'krypton.signer.mode is user',
    ),
  },
  Funnel: {
    funnelUserName: conditionalOutput(
      'Funnel',
      'FunnelUserName',
      'IAM user whose access key SORACOM Funnel holds',
      'funnel.publisher.mode is user, or role with migratingFromUser',
    ),
    rotationFunctionName: conditionalOutput(
      'Funnel',
      'RotationFunctionName',
      'Funnel key rotation: keyless soracom register-funnel-credentials invokes it',
      'funnel.publisher.mode is user',
    ),
    soracomAuthKeySecretArn: conditionalOutput(
      'Funnel',
      'SoracomAuthKeySecretArn',
      'Put {"authKeyId","authKey"} of a SORACOM SAM user here, for the Funnel key rotation',
      'funnel.publisher.mode is user',
    ),
    alarmTopicArn: conditionalOutput(
      'Funnel',
      'AlarmTopicArn',
      'Rotation failure and staleness alarms',
      'funnel.publisher.mode is user',
    ),
    // Publisher mode role (issue 15).
    publisherRoleArn: conditionalOutput(
      'Funnel',
      'PublisherRoleArn',
      'Role SORACOM Funnel assumes: keyless soracom register-funnel-credentials registers it',
      'funnel.publisher.mode is role',
    ),
  },
  Audit: {
    scheduledAuditName: output(
      'Audit',
      'ScheduledAuditName',
      'Device Defender scheduled audit: aws iot list-audit-tasks --task-type SCHEDULED_AUDIT_TASK …',
    ),
    auditAlarmTopicArn: output(
      'Audit',
      'AuditAlarmTopicArn',
      'Device Defender audit notifications (a message when an audit completes)',
    ),
  },
  Deployment: {
    deployRoleArn: output(
      'Deployment',
      'DeployRoleArn',
      'Role GitHub Actions assumes (role-to-assume) to deploy this environment',
    ),
    verifyRoleArn: output(
      'Deployment',
      'VerifyRoleArn',
      'Read-only role the deploy workflow assumes to run keyless verify after a deploy',
    ),
    oidcProviderArn: output(
      'Deployment',
      'GitHubOidcProviderArn',
      'GitHub Actions OIDC provider of the account (another environment in it imports this ARN)',
    ),
  },
} as const satisfies { readonly [P in StackPart]: Readonly<Record<string, StackOutput<P>>> };

/** The outputs of one stack part, as a list. */
export function outputsOf(part: StackPart): StackOutput[] {
  return Object.values(OUTPUTS[part]) as StackOutput[];
}

/** One per-thing output of a Fleet stack. Only this module makes them. */
export interface FleetOutput {
  readonly key: string;
  readonly description: string;
  readonly [fromContract]: true;
}

/**
 * The Fleet stack output whose value is the certificate id of `thingName` (every thing with a CSR has one).
 *
 * OutputKeys must be alphanumeric (at most 255 characters) while thing names may contain `:` `_` `-`, so the
 * name is stripped to its letters and digits and made unique again with 8 hex digits of its SHA-256:
 * `sensor-001` → `CertificateIdsensor001` + hash. At most 13 + 128 + 8 = 149 characters. Derived from the name
 * alone (never from a thing's position in the config), so it stays the same however the fleet changes.
 */
export function certificateIdOutput(thingName: string): FleetOutput {
  const readable = thingName.replace(/[^A-Za-z0-9]/g, '');
  const suffix = createHash('sha256').update(thingName, 'utf8').digest('hex').slice(0, 8);
  return {
    key: `CertificateId${readable}${suffix}`,
    description: `Certificate id of thing ${thingName}`,
  } as FleetOutput;
}
