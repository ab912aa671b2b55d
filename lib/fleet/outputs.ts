import { createHash } from 'node:crypto';

/**
 * Names the bundle command relies on to find a thing's certificate after deployment. Both are derived from
 * names alone (never from a thing's position in the config), so they stay the same however the fleet changes.
 */

/** The Fleet stack of one shard: `KeylessIot-<env>-Fleet-<n>`, n starting at 1. */
export function fleetStackName(envName: string, shardIndex: number): string {
  return `KeylessIot-${envName}-${fleetStackPart(shardIndex)}`;
}

/** The stack part passed to `keylessStackProps`: `Fleet-<n>`. */
export function fleetStackPart(shardIndex: number): string {
  if (!Number.isInteger(shardIndex) || shardIndex < 1) {
    throw new Error(`Fleet shards are numbered from 1, got: ${shardIndex}`);
  }
  return `Fleet-${shardIndex}`;
}

/**
 * The OutputKey (and CfnOutput id) in a Fleet stack whose value is the certificate id of `thingName`.
 *
 * OutputKeys must be alphanumeric (at most 255 characters) while thing names may contain `:` `_` `-`, so the
 * name is stripped to its letters and digits and made unique again with 8 hex digits of its SHA-256:
 * `sensor-001` → `CertificateIdsensor001` + hash. At most 13 + 128 + 8 = 149 characters.
 */
export function certificateOutputKey(thingName: string): string {
  const readable = thingName.replace(/[^A-Za-z0-9]/g, '');
  const suffix = createHash('sha256').update(thingName, 'utf8').digest('hex').slice(0, 8);
  return `CertificateId${readable}${suffix}`;
}

/** The certificate ARN for a certificate id read from a Fleet stack output. */
export function certificateArn(partition: string, region: string, account: string, certificateId: string): string {
  return `arn:${partition}:iot:${region}:${account}:cert/${certificateId}`;
}
