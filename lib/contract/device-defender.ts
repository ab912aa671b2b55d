import { PROJECT } from './names';

/**
 * AWS IoT Device Defender audit: the check names the account's audit configuration and its schedule use, and
 * which of them keyless-iot turns on. The configuration is one per account and region (see docs/security.md).
 *
 * API names and CloudFormation property names are AWS's ("Audit checks" in the Device Defender developer guide;
 * `AWS::IoT::AccountAuditConfiguration` `AuditCheckConfigurations`). One name differs from aws-cdk's experimental
 * `@aws-cdk/aws-iot-alpha` enum, which spells `IOT_POLICY_POTENTIAL_MIS_CONFIGURATION_CHECK`: the developer guide
 * page "AWS IoT policy potentially misconfigured" names the check `IOT_POLICY_POTENTIAL_MISCONFIGURATION_CHECK`,
 * and that is the spelling used here (not confirmable offline against the service itself).
 */

/** One audit check: its API name, its CloudFormation property, whether keyless-iot enables it, and why. */
export interface AuditCheck {
  /** The name in the API and in `AWS::IoT::ScheduledAudit` `TargetCheckNames`. */
  readonly name: string;
  /** The key under `AWS::IoT::AccountAuditConfiguration` `AuditCheckConfigurations`. */
  readonly property: string;
  readonly enabled: boolean;
  readonly reason: string;
}

function check(name: string, property: string, enabled: boolean, reason: string): AuditCheck {
  return { name, property, enabled, reason };
}

/**
 * Every check the pinned aws-cdk-lib's `CfnAccountAuditConfiguration` knows, each decided. The configuration
 * states every one explicitly, so the template shows what is off as well as what is on.
 */
export const AUDIT_CHECKS: readonly AuditCheck[] = [
  // The role aliases: the AWS access X.509 devices get.
  check(
    'IOT_ROLE_ALIAS_OVERLY_PERMISSIVE_CHECK',
    'IotRoleAliasOverlyPermissiveCheck',
    true,
    "The role alias is every X.509 device's AWS access: a broadened role is the drift that matters most.",
  ),
  check(
    'IOT_ROLE_ALIAS_ALLOWS_ACCESS_TO_UNUSED_SERVICES_CHECK',
    'IotRoleAliasAllowsAccessToUnusedServicesCheck',
    true,
    'Grants the fleet has not used for a year (Secrets Manager in a fleet that never reads secrets, say) are access to take away.',
  ),
  // Device certificates.
  check(
    'DEVICE_CERTIFICATE_EXPIRING_CHECK',
    'DeviceCertificateExpiringCheck',
    true,
    "An expiring certificate ends its device's credentials silently; the audit says so in advance.",
  ),
  check(
    'REVOKED_DEVICE_CERTIFICATE_STILL_ACTIVE_CHECK',
    'RevokedDeviceCertificateStillActiveCheck',
    true,
    'A certificate its CA revoked but AWS IoT still accepts is a key someone decided not to trust.',
  ),
  check(
    'DEVICE_CERTIFICATE_SHARED_CHECK',
    'DeviceCertificateSharedCheck',
    true,
    'Per-device scoping assumes one key per thing: one certificate on several devices at once is a cloned key.',
  ),
  check(
    'DEVICE_CERTIFICATE_KEY_QUALITY_CHECK',
    'DeviceCertificateKeyQualityCheck',
    true,
    'CSRs come from devices and from keyless enroll --csr: a weak key there weakens the mTLS every credential rests on.',
  ),
  check(
    'CONFLICTING_CLIENT_IDS_CHECK',
    'ConflictingClientIdsCheck',
    true,
    'The IoT policy lets a certificate connect only as its thing name, so two connections with one client id are two holders of one thing key.',
  ),
  check(
    'DEVICE_CERTIFICATE_AGE_CHECK',
    'DeviceCertificateAgeCheck',
    false,
    'keyless-iot has no certificate rotation yet: an age limit would flag every device after a year with nothing to do about it.',
  ),
  // IoT policies.
  check(
    'IOT_POLICY_OVERLY_PERMISSIVE_CHECK',
    'IotPolicyOverlyPermissiveCheck',
    true,
    "The IoT policy is every certificate's MQTT and credentials-provider access: wildcards creeping in are caught.",
  ),
  check(
    'IOT_POLICY_POTENTIAL_MISCONFIGURATION_CHECK',
    'IoTPolicyPotentialMisConfigurationCheck',
    true,
    'Deny statements with MQTT wildcards that do not deny what they say (a quarantine deny, say) are flagged.',
  ),
  // CA certificates: keyless-iot registers none (certificates come from CSRs signed by AWS IoT's own CA).
  check(
    'CA_CERTIFICATE_EXPIRING_CHECK',
    'CaCertificateExpiringCheck',
    false,
    'keyless-iot registers no CA certificate: device certificates are signed by AWS IoT from CSRs.',
  ),
  check(
    'CA_CERTIFICATE_KEY_QUALITY_CHECK',
    'CaCertificateKeyQualityCheck',
    false,
    'keyless-iot registers no CA certificate.',
  ),
  check(
    'REVOKED_CA_CERTIFICATE_STILL_ACTIVE_CHECK',
    'RevokedCaCertificateStillActiveCheck',
    false,
    'keyless-iot registers no CA certificate.',
  ),
  check(
    'INTERMEDIATE_CA_REVOKED_FOR_ACTIVE_DEVICE_CERTIFICATES_CHECK',
    'IntermediateCaRevokedForActiveDeviceCertificatesCheck',
    false,
    'keyless-iot registers no CA certificate, intermediate or not.',
  ),
  // Cognito: these audit identity pools used to connect to the AWS IoT message broker.
  check(
    'AUTHENTICATED_COGNITO_ROLE_OVERLY_PERMISSIVE_CHECK',
    'AuthenticatedCognitoRoleOverlyPermissiveCheck',
    false,
    'It audits identity pools used to connect to the AWS IoT message broker; Krypton devices use theirs for S3 and DynamoDB only.',
  ),
  check(
    'UNAUTHENTICATED_COGNITO_ROLE_OVERLY_PERMISSIVE_CHECK',
    'UnauthenticatedCognitoRoleOverlyPermissiveCheck',
    false,
    'The Krypton identity pool allows no unauthenticated identities.',
  ),
  // Account settings.
  check(
    'LOGGING_DISABLED_CHECK',
    'LoggingDisabledCheck',
    false,
    'AWS IoT logging is an account-wide setting with its own cost that keyless-iot does not manage; a finding it cannot fix would train people to ignore the topic.',
  ),
];

/** The checks keyless-iot enables, in the order above: the scheduled audit runs exactly these. */
export function enabledAuditChecks(): string[] {
  return AUDIT_CHECKS.filter((c) => c.enabled).map((c) => c.name);
}

/** How often a scheduled audit runs (`AWS::IoT::ScheduledAudit` `Frequency`, lower-cased in config). */
export const AUDIT_FREQUENCIES = ['daily', 'weekly', 'biweekly', 'monthly'] as const;
export type AuditFrequency = (typeof AUDIT_FREQUENCIES)[number];

/** `DayOfWeek` of weekly and biweekly audits, lower-cased in config. */
export const AUDIT_DAYS_OF_WEEK = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
export type AuditDayOfWeek = (typeof AUDIT_DAYS_OF_WEEK)[number];

/** `DayOfMonth` of monthly audits: 1-31, or `LAST` (`last` in config); 29-31 fall back to the last day. */
export const AUDIT_LAST_DAY_OF_MONTH = 'last';

/** The scheduled audit's name: one per environment (and only one environment per account and region audits). */
export function scheduledAuditName(envName: string): string {
  return `${PROJECT}-${envName}`;
}
