/**
 * The numbers the backend and the device helper (`device-scripts/bin/keyless-credentials`) must agree on.
 * The bundle writes them into device.json; the IotAccess stack checks the role alias against them.
 */

/**
 * The helper refreshes this long before expiry: above the 15 minutes within which the AWS CLI and SDKs
 * re-run a credential_process, so they never see credentials that are about to expire.
 */
export const DEVICE_REFRESH_MARGIN_SECONDS = 1200;

/**
 * The least `refreshMarginSeconds` the helper accepts in device.json: the AWS CLI and SDKs re-run a credential_process
 * whose credentials expire within 15 minutes, so a smaller margin would hand them credentials they do not use.
 */
export const DEVICE_REFRESH_MARGIN_MIN_SECONDS = 900;

/** The helper adds up to this much per-device jitter to the margin, so a fleet does not refresh at once. */
export const DEVICE_REFRESH_JITTER_SECONDS = 300;

/** Credentials that live no longer than this are fetched again on every call: the cache cannot help. */
export const UNCACHEABLE_CREDENTIAL_SECONDS = DEVICE_REFRESH_MARGIN_SECONDS + DEVICE_REFRESH_JITTER_SECONDS;

/**
 * The MQTT topic space of the devices: the IoT policy gives each certificate `things/<its thing>/…` (see
 * DeviceIotPolicy). Nothing else may be granted topics under it (the Funnel publisher's prefix is checked).
 */
export const DEVICE_TOPIC_ROOT = 'things';

/**
 * A device key kept in a PKCS#11 token (an HSM, a secure element, a TPM behind its PKCS#11 module), named in
 * device.json's `x509.keyFile` by an RFC 7512 URI. Token and key labels are limited to unreserved characters so
 * that neither side percent-decodes; the helper's `PKCS11_URI_RE` and its config pass spell the same rule (a test
 * runs both on one table). No query: a `pin-value` would put the PIN in a file every local user may read.
 */
export const PKCS11_LABEL = {
  pattern: /^[A-Za-z0-9._~:@-]{1,128}$/,
  description: '1-128 characters from A-Z a-z 0-9 . _ ~ : @ -',
} as const;

/** The `pkcs11:` URI of the private key labelled `object` in the token labelled `token`. */
export function pkcs11KeyUri(token: string, object: string): string {
  return `pkcs11:token=${token};object=${object};type=private`;
}

/**
 * Whether `value` is a `pkcs11:` key URI the helper accepts: `token=` and `object=` once each, optionally
 * `type=private`, every value matching {@link PKCS11_LABEL}.
 */
export function isPkcs11KeyUri(value: string): boolean {
  if (!value.startsWith('pkcs11:')) return false;
  const attributes = value.slice('pkcs11:'.length).split(';');
  if (attributes.length < 2 || attributes.length > 3) return false;
  const seen = new Map<string, string>();
  for (const attribute of attributes) {
    const match = /^(token|object|type)=(.*)$/s.exec(attribute);
    if (!match || seen.has(match[1]) || !PKCS11_LABEL.pattern.test(match[2])) return false;
    seen.set(match[1], match[2]);
  }
  return seen.has('token') && seen.has('object') && (seen.get('type') ?? 'private') === 'private';
}
