/**
 * The numbers the backend and the device helper (`device-scripts/bin/keyless-credentials`) must agree on.
 * The bundle writes them into device.json; the IotAccess stack checks the role alias against them.
 */

/**
 * The helper refreshes this long before expiry: above the 15 minutes within which the AWS CLI and SDKs
 * re-run a credential_process, so they never see credentials that are about to expire.
 */
export const DEVICE_REFRESH_MARGIN_SECONDS = 1200;

/** The helper adds up to this much per-device jitter to the margin, so a fleet does not refresh at once. */
export const DEVICE_REFRESH_JITTER_SECONDS = 300;

/** Credentials that live no longer than this are fetched again on every call: the cache cannot help. */
export const UNCACHEABLE_CREDENTIAL_SECONDS = DEVICE_REFRESH_MARGIN_SECONDS + DEVICE_REFRESH_JITTER_SECONDS;

/**
 * The MQTT topic space of the devices: the IoT policy gives each certificate `things/<its thing>/…` (see
 * DeviceIotPolicy). Nothing else may be granted topics under it (the Funnel publisher's prefix is checked).
 */
export const DEVICE_TOPIC_ROOT = 'things';
