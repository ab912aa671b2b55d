/**
 * Names several stacks need, derived from the environment alone so that a stack can name a resource
 * without a cross-stack reference to it (the bucket policy and the S3 endpoint policy would otherwise
 * point at each other's stacks and form a dependency cycle).
 */
export interface ResourceNames {
  /** `KeylessIot-<env>`: every stack name starts with it. */
  readonly stackPrefix: string;
  readonly deviceBucket: string;
  readonly accessLogBucket: string;
  readonly referenceTable: string;
  readonly deviceTable: string;
  /** The secret every device may read. */
  readonly deviceSecret: string;
  /** Per-thing secrets are named `<perThingSecretPrefix><thingName>`. */
  readonly perThingSecretPrefix: string;
}

export function resourceNames(envName: string, account: string, region: string): ResourceNames {
  return {
    stackPrefix: `KeylessIot-${envName}`,
    deviceBucket: `keyless-iot-${envName}-${account}-${region}`,
    accessLogBucket: `keyless-iot-${envName}-logs-${account}-${region}`,
    referenceTable: `keyless-iot-${envName}-reference`,
    deviceTable: `keyless-iot-${envName}-device-data`,
    deviceSecret: `keyless-iot/${envName}/device-secret`,
    perThingSecretPrefix: 'devices/',
  };
}

export function stackName(names: ResourceNames, part: string): string {
  return `${names.stackPrefix}-${part}`;
}
