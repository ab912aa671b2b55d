/**
 * The two principals SORACOM's platform calls AWS as, and what the key rotation writes about each into SORACOM.
 * SORACOM Funnel publishes to AWS IoT as the Funnel publisher; SORACOM Krypton signs Cognito
 * `GetOpenIdTokenForDeveloperIdentity` as the Krypton signer. Each is an IAM role SORACOM assumes (`role` mode) or
 * an IAM user whose access key SORACOM holds and the rotation function rotates (`user` mode).
 */

export interface SoracomPrincipalSpec {
  /** How messages and descriptions name it. */
  readonly label: string;
  /**
   * The start of the description the rotation writes on the SORACOM credential that holds the key, followed by
   * the access key id. SORACOM does not document answering a credential's access key id, so the rotation reads
   * which key a credential holds from this marker. Changing it would make every deployed credential unreadable
   * to the rotation: a new principal gets a new marker, an existing one keeps its own forever.
   */
  readonly credentialMarker: string;
  /** The rotation function's service name in its structured logs. */
  readonly logService: string;
}

export const SORACOM_PRINCIPALS = {
  'funnel-publisher': {
    label: 'Funnel publisher',
    credentialMarker: 'keyless-iot Funnel access key ',
    logService: 'funnel-key-rotation',
  },
  'krypton-signer': {
    label: 'Krypton signer',
    credentialMarker: 'keyless-iot Krypton signer access key ',
    logService: 'krypton-signer-key-rotation',
  },
} as const satisfies Record<string, SoracomPrincipalSpec>;

export type SoracomPrincipal = keyof typeof SORACOM_PRINCIPALS;

export function isSoracomPrincipal(value: string): value is SoracomPrincipal {
  return Object.hasOwn(SORACOM_PRINCIPALS, value);
}

/** The SIM group configuration namespace holding SORACOM Funnel's `credentialsId` (and destination). */
export const SORACOM_FUNNEL_NAMESPACE = 'SoracomFunnel';
