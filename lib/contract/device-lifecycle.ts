import type { NameRule } from './limits';

/**
 * The day-2 life of a device, as every layer names it: the certificate status a thing's config sets, the thing
 * attribute that quarantines it, and the identifiers the lifecycle commands accept. The config schema, the
 * Fleet stack, the IoT policy and the CLI (`keyless device …`) all read them from here.
 */

/**
 * `iot.things[].status` in config, and the `AWS::IoT::Certificate` `Status` each one deploys. AWS IoT refuses a
 * certificate that is not ACTIVE (UpdateCertificate API reference: "Certificates must be in the ACTIVE state to
 * authenticate devices"); INACTIVE can be made ACTIVE again, REVOKED is meant "to prevent them from any future
 * use" (AWS IoT Developer Guide, "Activate or deactivate a client certificate"): the way back is a new key and
 * CSR (`keyless enroll --force`), which is a new certificate.
 */
export const CERTIFICATE_STATUS = {
  active: 'ACTIVE',
  inactive: 'INACTIVE',
  revoked: 'REVOKED',
} as const;

/** A thing's certificate status as config spells it. */
export type ThingStatus = keyof typeof CERTIFICATE_STATUS;
/** The same status as AWS IoT and CloudFormation spell it. */
export type CertificateStatus = (typeof CERTIFICATE_STATUS)[ThingStatus];

export const THING_STATUSES = Object.keys(CERTIFICATE_STATUS) as [ThingStatus, ...ThingStatus[]];

/** The config status a certificate status stands for, or undefined for one keyless never sets (PENDING_…). */
export function thingStatusOf(certificateStatus: string | undefined): ThingStatus | undefined {
  return THING_STATUSES.find((status) => CERTIFICATE_STATUS[status] === certificateStatus);
}

/**
 * The certificate status a thing deploys with: its config status, except that an `active` certificate is INACTIVE
 * while the thing is quarantined. The quarantine then holds at the certificate too, whether or not the credentials
 * provider resolves the thing's attributes; `inactive` and `revoked` are the operator's and stay as they are, so a
 * release never activates a certificate the config keeps off for another reason.
 */
export function deployedCertificateStatus(thing: {
  readonly status: ThingStatus;
  readonly quarantined: boolean;
}): CertificateStatus {
  return thing.status === 'active' && thing.quarantined
    ? CERTIFICATE_STATUS.inactive
    : CERTIFICATE_STATUS[thing.status];
}

/**
 * The thing attribute that quarantines a thing: the IoT policy denies every action to a connection whose thing
 * carries it with this value (`iot:Connection.Thing.Attributes[keylessQuarantine]`), credentials included. An
 * attribute rather than a thing group because thing attributes are the documented way to narrow
 * `iot:AssumeRoleWithCertificate` (the credentials provider evaluates them when the device sends
 * `x-amzn-iot-thingname`), and it is written by CloudFormation from config (`iot.things[].quarantined`), so a
 * deploy re-applies it instead of erasing it. Reserved: no config may use the name for anything else.
 */
export const QUARANTINE_ATTRIBUTE = { name: 'keylessQuarantine', value: 'true' } as const;

/**
 * Whether an attribute name is the quarantine attribute's in any letter case. Condition key names are not
 * case-sensitive in IAM-style policies, and AWS does not say whether the attribute part of
 * `iot:Connection.Thing.Attributes[…]` is: no other attribute may look like it, so the question never matters.
 */
export function isQuarantineAttributeName(name: string): boolean {
  return name.toLowerCase() === QUARANTINE_ATTRIBUTE.name.toLowerCase();
}

/**
 * Identifiers the lifecycle commands take from the command line. The Cognito pattern and length are those of
 * the IdentityId shape in the Cognito identity API reference (`[\w-]+:[0-9a-f-]+`, 1-55).
 */
export const LIFECYCLE_RULES = {
  cognitoIdentityId: {
    pattern: /^(?=.{1,55}$)[\w-]+:[0-9a-f-]+$/,
    description:
      'a Cognito identity id such as ap-northeast-1:0f1e2d3c-… (region, colon, lower-case hex and -)',
  },
  /**
   * SORACOM's API spec gives `sim_id` only as a path parameter of format SimId; the project accepts what can only
   * ever be such an id in a URL path (letters and digits), never a path separator or a query.
   */
  soracomSimId: {
    pattern: /^[A-Za-z0-9]{1,64}$/,
    description: 'a SORACOM SIM ID of 1-64 letters and digits (User Console → SIM → SIM ID)',
  },
} as const satisfies Record<string, NameRule>;
