/**
 * Where things go in the device bucket. Device roles are scoped by these prefixes (per thing, per Cognito
 * identity), the bucket policy closes one of them to everything but the S3 gateway endpoint, and the CLI and
 * the device bundle name the same keys.
 */
export const BUCKET_LAYOUT = {
  /** X.509 devices: each thing reads and writes `things/<thing name>/` only. */
  things: 'things/',
  /** Krypton devices: each Cognito identity reads and writes `krypton/<identity id>/` only. */
  krypton: 'krypton/',
  /** Reachable only through the closed network's S3 gateway endpoint (`closedNetwork.prefix` may rename it). */
  closed: 'closed/',
  /** The published device scripts, readable (never writable) by every device. */
  deviceScripts: 'device-scripts/',
  /** Parameter files of bulk registration tasks; only the bulk registration role reads them. */
  bulkRegistration: 'bulk-registration/',
} as const;

/** `device-scripts/current.json` names the current version's prefix (`device-scripts/<version>/`). */
export const DEVICE_SCRIPTS_POINTER = 'current.json';

/** In the access-log bucket: the device bucket's server access logs. */
export const ACCESS_LOG_PREFIX = 'device-data/';

/** `things/<thing name>/`: the one prefix an X.509 device may use. */
export function thingPrefix(thingName: string): string {
  return `${BUCKET_LAYOUT.things}${thingName}/`;
}

/** The key of the pointer to the current device scripts: `device-scripts/current.json`. */
export function deviceScriptsPointerKey(): string {
  return `${BUCKET_LAYOUT.deviceScripts}${DEVICE_SCRIPTS_POINTER}`;
}
