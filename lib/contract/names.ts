/**
 * Stack names and physical names: every name one layer needs to find what another layer made. Derived from
 * the environment (and its account and region) alone, so a stack can name a resource of another stack without
 * a reference to it (the bucket policy and the S3 endpoint policy would otherwise point at each other's stacks
 * and form a dependency cycle), and the CLI can name it without asking CloudFormation.
 *
 * These names cannot drift from what is deployed: they change only with the environment itself. Values AWS
 * generates at deploy time, or that the operator may change in config between deploys, are read back from stack
 * outputs instead (see outputs.ts).
 */

/** The project's name: tags, name prefixes, the IAM path. */
export const PROJECT = 'keyless-iot';

/** The tags every resource of an environment carries (config tags cannot replace them). */
export function projectTags(envName: string): Record<string, string> {
  return { Project: PROJECT, Environment: envName };
}

/** IAM users and groups of the project live under this path. */
export const IAM_PATH = `/${PROJECT}/`;

/** Every stack name starts with `KeylessIot-<env>-`. */
const STACK_NAME_PREFIX = 'KeylessIot';

/**
 * The stacks of one environment, in the order they build on each other. Fleet stacks are numbered: `Fleet-<n>`.
 * A new kind of stack is a new part here; its outputs go in outputs.ts under the same part.
 */
export const STACK_PARTS = [
  'Network',
  'Data',
  'IotAccess',
  'KryptonAccess',
  'Funnel',
  // The account's Device Defender audit (one environment per account and region) and the GitHub deploy role.
  'Audit',
  'Deployment',
] as const;
export type StackPart = (typeof STACK_PARTS)[number];

/** One shard of the fleet: `Fleet-1`, `Fleet-2`, … */
export type FleetStackPart = `Fleet-${number}`;
const FLEET_PART_PREFIX = 'Fleet-';

/** `KeylessIot-<env>-<part>`. */
export function stackName(envName: string, part: StackPart | FleetStackPart): string {
  return `${STACK_NAME_PREFIX}-${envName}-${part}`;
}

/** The stack part of one Fleet shard: `Fleet-<n>`, n starting at 1. */
export function fleetStackPart(shard: number): FleetStackPart {
  if (!Number.isInteger(shard) || shard < 1) {
    throw new Error(`Fleet shards are numbered from 1, got: ${shard}`);
  }
  return `${FLEET_PART_PREFIX}${shard}`;
}

/** `KeylessIot-<env>-Fleet-<n>`. */
export function fleetStackName(envName: string, shard: number): string {
  return stackName(envName, fleetStackPart(shard));
}

/** The shard a Fleet stack name holds, or undefined when the name is not one of the environment's Fleet stacks. */
export function shardOfStackName(envName: string, name: string): number | undefined {
  const prefix = `${STACK_NAME_PREFIX}-${envName}-${FLEET_PART_PREFIX}`;
  const rest = name.startsWith(prefix) ? name.slice(prefix.length) : '';
  return /^[1-9]\d*$/.test(rest) ? Number(rest) : undefined;
}

/** The physical names of one environment's resources. */
export interface PhysicalNames {
  /** Data: the bucket devices write to, under their own prefixes (see bucket-layout.ts). */
  readonly deviceBucket: string;
  /** Data: the device bucket's server access logs. */
  readonly accessLogBucket: string;
  /** Data: the table every device may read. */
  readonly referenceTable: string;
  /** Data: the table with one partition per device identity. */
  readonly deviceTable: string;
  /** Data: the secret every device may read. */
  readonly deviceSecret: string;
  /** Per-thing secrets are named `<perThingSecretPrefix><thingName>`. */
  readonly perThingSecretPrefix: string;
  /** IotAccess: the function Fleet stacks call, by name, to set their things' type. */
  readonly thingTypeAssignerFunction: string;
  /** IotAccess: the role AWS IoT assumes for `keyless fleet register --bulk`. */
  readonly bulkRegistrationRole: string;
  /**
   * KryptonAccess: the secret that held the access key CloudFormation made for the signer before the key rotated;
   * kept only while `krypton.signer.keepLegacyAccessKey` is set (see docs/flows/krypton.md, upgrading).
   */
  readonly kryptonSignerSecret: string;
  /** Funnel: the IAM user whose access key SORACOM Funnel holds. */
  readonly funnelPublisherUser: string;
  /** Funnel: the secret the operator puts the SORACOM auth key in. */
  readonly funnelAuthKeySecret: string;
  /** Funnel: the key rotation function's log group. */
  readonly funnelRotationLogGroup: string;
  /** Funnel: the SSM parameter the rotation keeps its state in. */
  readonly funnelRotationStateParameter: string;
  /** Funnel: the CloudWatch namespace of the rotation's staleness metric. */
  readonly funnelMetricNamespace: string;
  /** Network: the GatePeer VPC's flow logs. */
  readonly flowLogGroup: string;

  // No long-term key anywhere (issue 15): the SORACOM principals' roles, and the rotation of each user's key.
  /** Funnel (publisher mode `role`): the role SORACOM Funnel assumes to publish. */
  readonly funnelPublisherRole: string;
  /** KryptonAccess (signer mode `user`): the IAM user whose access key SORACOM Krypton holds. */
  readonly kryptonSignerUser: string;
  /** KryptonAccess (signer mode `user`): the secret the operator puts the signer rotation's SORACOM auth key in. */
  readonly kryptonAuthKeySecret: string;
  /** KryptonAccess (signer mode `user`): the signer key rotation function's log group. */
  readonly kryptonRotationLogGroup: string;
  /** KryptonAccess (signer mode `user`): the SSM parameter the signer key rotation keeps its state in. */
  readonly kryptonRotationStateParameter: string;
  /** KryptonAccess (signer mode `user`): the CloudWatch namespace of the signer rotation's staleness metric. */
  readonly kryptonMetricNamespace: string;
}

export function physicalNames(envName: string, account: string, region: string): PhysicalNames {
  return {
    deviceBucket: `${PROJECT}-${envName}-${account}-${region}`,
    accessLogBucket: `${PROJECT}-${envName}-logs-${account}-${region}`,
    referenceTable: `${PROJECT}-${envName}-reference`,
    deviceTable: `${PROJECT}-${envName}-device-data`,
    deviceSecret: `${PROJECT}/${envName}/device-secret`,
    perThingSecretPrefix: PER_THING_SECRET_PREFIX,
    thingTypeAssignerFunction: `${STACK_NAME_PREFIX}-${envName}-ThingTypeAssigner`,
    bulkRegistrationRole: `${PROJECT}-${envName}-bulk-registration`,
    kryptonSignerSecret: `${PROJECT}/${envName}/krypton-signer`,
    funnelPublisherUser: `${PROJECT}-${envName}-funnel-publisher`,
    funnelAuthKeySecret: `${PROJECT}/${envName}/funnel/soracom-auth-key`,
    funnelRotationLogGroup: `/${PROJECT}/${envName}/funnel-key-rotation`,
    funnelRotationStateParameter: `/${PROJECT}/${envName}/funnel/rotation-state`,
    funnelMetricNamespace: FUNNEL_METRIC_NAMESPACE,
    flowLogGroup: `/${PROJECT}/${envName}/gatepeer-vpc-flow-logs`,
    funnelPublisherRole: `${PROJECT}-${envName}-funnel-publisher-role`,
    kryptonSignerUser: `${PROJECT}-${envName}-krypton-signer`,
    kryptonAuthKeySecret: `${PROJECT}/${envName}/krypton/soracom-auth-key`,
    kryptonRotationLogGroup: `/${PROJECT}/${envName}/krypton-signer-key-rotation`,
    kryptonRotationStateParameter: `/${PROJECT}/${envName}/krypton/rotation-state`,
    kryptonMetricNamespace: KRYPTON_METRIC_NAMESPACE,
  };
}

/** Per-thing secrets: `devices/<thing name>`, readable only by that thing. */
export const PER_THING_SECRET_PREFIX = 'devices/';

/** One namespace for every environment: the metric carries an `Environment` dimension. */
export const FUNNEL_METRIC_NAMESPACE = 'KeylessIot/Funnel';
/** The Krypton signer key rotation's metric namespace (also with an `Environment` dimension). */
export const KRYPTON_METRIC_NAMESPACE = 'KeylessIot/Krypton';

/** Lambda's own log group of a function: `/aws/lambda/<function name>`. */
export function lambdaLogGroupName(functionName: string): string {
  return `/aws/lambda/${functionName}`;
}

/** The ARN of an IAM role from its name, in the partition of the region (no lookup, no stack reference). */
export function roleArn(account: string, region: string, roleName: string): string {
  return `arn:${partitionOf(region)}:iam::${account}:role/${roleName}`;
}

/** The AWS partition a region belongs to: `aws-cn`, `aws-us-gov` or `aws`. */
export function partitionOf(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  return 'aws';
}
