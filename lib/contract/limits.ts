/**
 * AWS (and SORACOM) limits and name rules, written once. The config schema builds its checks from them
 * (lib/config/rules.ts), constructs check their props against them, and the CLI checks its arguments with them,
 * so a value the config accepts is one every layer accepts, with the same words in every message.
 *
 * A rule's `description` completes both "expected …" (config errors) and "<prop> must be …" (construct and CLI
 * errors). Where a bound is the project's choice rather than AWS's, the comment says so.
 */

/** A name rule: what AWS accepts, and how to say it. */
export interface NameRule {
  readonly pattern: RegExp;
  readonly description: string;
}

/** An inclusive integer range, with the unit people read after it. */
export interface IntegerRange {
  readonly min: number;
  readonly max: number;
  readonly unit: '' | 'seconds' | 'days';
}

function rule(pattern: RegExp, description: string): NameRule {
  return { pattern, description };
}

function range(min: number, max: number, unit: IntegerRange['unit'] = ''): IntegerRange {
  return { min, max, unit };
}

/** True when `value` follows the rule. */
export function follows(nameRule: NameRule, value: string): boolean {
  return nameRule.pattern.test(value);
}

/** True when `value` is an integer inside the range. */
export function within(integers: IntegerRange, value: number): boolean {
  return Number.isInteger(value) && value >= integers.min && value <= integers.max;
}

/** "an integer from 900 to 43200 seconds". */
export function describeRange(integers: IntegerRange): string {
  return `an integer from ${integers.min} to ${integers.max}${integers.unit ? ` ${integers.unit}` : ''}`;
}

/** IAM names (users, roles, policies, IoT policies): `[\w+=,.@-]`, up to `maxLength`. */
export function iamName(maxLength: number): NameRule {
  return rule(
    new RegExp(`^[\\w+=,.@-]{1,${maxLength}}$`),
    `1-${maxLength} characters from a-z A-Z 0-9 _ + = , . @ -`,
  );
}

/** AWS IoT's rule for thing and thing type names. */
const IOT_NAME = rule(/^[a-zA-Z0-9:_-]{1,128}$/, '1-128 characters from a-z A-Z 0-9 : _ -');

export const NAME_RULES = {
  // The project.
  /** Environment names end up in stack, bucket and table names; the project keeps them short and lower-case. */
  environmentName: rule(/^[a-z][a-z0-9-]{0,15}$/, '1-16 characters from a-z 0-9 -, starting with a letter'),

  // AWS accounts and places.
  accountId: rule(/^\d{12}$/, 'a 12-digit AWS account id'),
  /** The partitions' region names: geography, optional -gov/-iso, direction, number. */
  region: rule(
    /^(us|eu|ap|sa|ca|me|af|il|mx)(-gov|-iso|-isob)?-(north|south|east|west|central|northeast|southeast|northwest|southwest)-\d{1,2}$/,
    'an AWS region such as ap-northeast-1',
  ),
  availabilityZone: rule(
    /^[a-z]{2}(-gov)?-[a-z]+-\d[a-z]$/,
    'an availability zone name such as ap-northeast-1a',
  ),
  tagKey: rule(/^[\w .:/=+@-]{1,128}$/, 'a tag key of 1-128 letters, digits, spaces and _ . : / = + - @'),
  tagValue: rule(
    /^[\w .:/=+@-]{0,256}$/,
    'a tag value of at most 256 letters, digits, spaces and _ . : / = + - @',
  ),

  // AWS IoT.
  /** Thing names: also the certificate's CN, the MQTT client id and the bundle's name. */
  thingName: IOT_NAME,
  thingTypeName: IOT_NAME,
  thingAttributeName: rule(
    /^[a-zA-Z0-9_.,@/:#-]{1,128}$/,
    '1-128 characters from a-z A-Z 0-9 _ . , @ / : # -',
  ),
  thingAttributeValue: rule(
    /^[a-zA-Z0-9_.,@/:#=[\]-]{0,800}$/,
    'at most 800 characters from a-z A-Z 0-9 _ . , @ / : # = [ ] -',
  ),
  roleAliasName: rule(/^[\w=,@-]{1,128}$/, '1-128 characters from a-z A-Z 0-9 _ = , @ -'),
  iotPolicyName: iamName(128),
  /** Levels without wildcards (`+`, `#`) and without a trailing `/`: the policy appends `/*`. */
  mqttTopicPrefix: rule(
    /^[\w-]+(\/[\w-]+)*$/,
    'an MQTT topic prefix such as funnel/devices (no wildcards, no trailing /)',
  ),

  /**
   * An https URL a device calls: a host name, IPv4 or [IPv6] address, an optional port 1-65535 and an optional
   * path; no user info, query, fragment, space or control character.
   */
  httpsUrl: rule(
    /^https:\/\/([A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?|\[[0-9A-Fa-f:.]+\])(:([1-9][0-9]{0,3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5]))?(\/[A-Za-z0-9._~!$&()*+,;=:@%/-]*)?$/,
    'an https:// URL with a host, an optional port and path, and no spaces or control characters',
  ),

  // IAM and STS.
  roleArn: rule(
    // A `*` may stand for a generated suffix, as in AWSReservedSSO_Admin_*.
    /^arn:aws(-cn|-us-gov)?:iam::\d{12}:role\/[\w+=,.@/*-]{1,512}$/,
    'an IAM role ARN such as arn:aws:iam::111111111111:role/data-processing',
  ),
  externalId: rule(/^[\w+=,.@:/-]{2,1224}$/, '2-1224 characters from a-z A-Z 0-9 _ + = , . @ : / -'),

  // S3.
  bucketName: rule(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'an S3 bucket name'),
  /**
   * Key prefixes the project puts in policies: no leading `/`, a trailing `/`, and none of the characters a
   * policy reads as a wildcard (`*`, `?`) or a variable (`$`). The project's rule, narrower than S3's.
   */
  keyPrefix: rule(/^[\w.-]+(\/[\w.-]+)*\/$/, 'an S3 key prefix ending in / such as closed/'),

  // DynamoDB.
  /** Key attribute names (the project's subset of what DynamoDB allows: no spaces or punctuation beyond _ . -). */
  dynamoDbAttributeName: rule(/^[a-zA-Z0-9_.-]{1,255}$/, '1-255 characters from a-z A-Z 0-9 _ . -'),

  // Amazon Cognito (CreateIdentityPool).
  identityPoolName: rule(/^[\w +=,.@-]{1,128}$/, '1-128 characters from a-z A-Z 0-9 _ space + = , . @ -'),
  developerProviderName: rule(/^[\w._-]{1,128}$/, '1-128 characters from a-z A-Z 0-9 _ . -'),

  // Amazon VPC.
  cidr: rule(
    /^((25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\/(\d|[12]\d|3[0-2])$/,
    'an IPv4 CIDR block such as 10.0.0.0/16',
  ),
  vpcId: rule(/^vpc-[0-9a-f]{8}([0-9a-f]{9})?$/, 'a VPC id such as vpc-0123456789abcdef0'),
  routeTableId: rule(/^rtb-[0-9a-f]{8}([0-9a-f]{9})?$/, 'a route table id such as rtb-0123456789abcdef0'),
  subnetId: rule(/^subnet-[0-9a-f]{8}([0-9a-f]{9})?$/, 'a subnet id such as subnet-0123456789abcdef0'),
  peeringConnectionId: rule(
    /^pcx-[0-9a-f]{8}([0-9a-f]{9})?$/,
    'a peering connection id such as pcx-0123456789abcdef0',
  ),
  vpcEndpointId: rule(/^vpce-[0-9a-f]{8,17}$/, 'a VPC endpoint id such as vpce-0123456789abcdef0'),

  // SSM Parameter Store.
  parameterPath: rule(/^\/[\w./-]+$/, 'a parameter path such as /keyless-iot/dev/funnel/rotation-state'),

  // SORACOM credential store.
  soracomCredentialId: rule(/^[\w-]{1,100}$/, '1-100 characters from a-z A-Z 0-9 _ -'),
  /** A prefix the rotation appends `-<yyMMdd>` to: 90 + 7 stays within the 100 of a credential id. */
  soracomCredentialPrefix: rule(/^[\w-]{1,90}$/, '1-90 characters from a-z A-Z 0-9 _ -'),

  // GitHub (keyless deploys).
  /** `owner/name`: GitHub's user and organization names (single inner hyphens, at most 39) and repository names. */
  githubRepository: rule(
    /^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}\/(?!\.\.?$)[\w.-]{1,100}$/,
    'a GitHub repository as owner/name, such as octo-org/keyless-iot',
  ),
  /**
   * GitHub environment names, narrowed by the project: no `:` (it separates the fields of the `sub` claim the
   * deploy role's trust compares) and no spaces.
   */
  githubEnvironment: rule(/^[\w.-]{1,255}$/, '1-255 characters from a-z A-Z 0-9 _ . -'),
  /** A branch the deploy workflow runs from, narrowed like environments (no `:`, no wildcard, no spaces). */
  githubBranch: rule(/^[\w.-]+(?:\/[\w.-]+)*$/, 'a branch name from a-z A-Z 0-9 _ . - and /, such as main'),
  /** A workflow file of the repository (`.github/workflows/<name>.yml`). */
  githubWorkflowFile: rule(/^\.github\/workflows\/[\w.-]+\.ya?ml$/, 'a file .github/workflows/<name>.yml'),
  /** An existing IAM OIDC provider for GitHub Actions (one per account). */
  githubOidcProviderArn: rule(
    /^arn:aws(-cn|-us-gov)?:iam::\d{12}:oidc-provider\/token\.actions\.githubusercontent\.com$/,
    'the ARN of the GitHub Actions OIDC provider, such as arn:aws:iam::111111111111:oidc-provider/token.actions.githubusercontent.com',
  ),

  // AWS CDK.
  /** The bootstrap template's `Qualifier` parameter (AllowedPattern). */
  cdkBootstrapQualifier: rule(/^[A-Za-z0-9_-]{1,10}$/, '1-10 characters from a-z A-Z 0-9 _ -'),

  // AWS IoT Device Defender.
  scheduledAuditName: rule(/^[\w-]{1,128}$/, '1-128 characters from a-z A-Z 0-9 _ -'),
} as const satisfies Record<string, NameRule>;

export const LIMITS = {
  // AWS IoT.
  /**
   * A thing CloudFormation creates holds at most 3 attributes: it is created before its thing type is set, and an
   * untyped thing holds at most 3.
   */
  thingAttributes: 3,
  /** Searchable attributes of a thing type. */
  searchableAttributes: 3,
  thingTypeDescriptionLength: 2028,
  /** The role alias's `credentialDurationSeconds`, and at most the role's MaxSessionDuration. */
  credentialDurationSeconds: range(900, 43200, 'seconds'),
  /** StartThingRegistrationTask rejects a templateBody longer than this. */
  provisioningTemplateChars: 10240,

  // IAM.
  roleMaxSessionDurationSeconds: range(3600, 43200, 'seconds'),
  /** A customer managed policy document, counted without whitespace (IAM quotas). */
  managedPolicyChars: 6144,
  /**
   * The project's: managed policies holding the quarantine deny of one device role (lib/contract/quarantine-deny.ts),
   * 8 of the 10 managed policies IAM attaches to a role by default, leaving room for an operator's own.
   */
  quarantineDenyPolicies: 8,
  /**
   * Quarantined things that always fit in those policies, at the worst: 128-character names, each quarantined at
   * a different second. Shorter names, or things quarantined together, fit more; the config check packs the real
   * documents and refuses only what does not fit (test/contract/quarantine-deny.test.ts proves both numbers).
   */
  quarantinedThingsAtWorst: 160,
  /** The same for quarantined Krypton identities (55-character identity ids; no time in the deny). */
  quarantinedIdentitiesAtWorst: 824,

  // CloudFormation.
  stackResources: 500,
  stackOutputs: 200,
  /** A template CloudFormation accepts from S3, in bytes. */
  stackTemplateBytes: 1024 * 1024,
  /** The project's budget per Fleet stack: room under the 500 for outputs and CDK metadata, … */
  fleetStackResourceBudget: 450,
  /** … and under the 1 MB of a template. */
  fleetStackTemplateBudgetBytes: 800 * 1024,
  /** OutputKeys are alphanumeric and at most this long. */
  outputKeyLength: 255,
  /** `AWS::CloudFormation::CustomResource` `ServiceTimeout`: how long CloudFormation waits for an answer. */
  customResourceServiceTimeoutSeconds: range(1, 3600, 'seconds'),

  // Fleet stacks (the project's).
  /** Things per Fleet stack when the shard lock does not say: 100 × 4 resources stays well under 500. */
  defaultThingsPerShard: 100,
  /**
   * The shard cap: 110 things × 4 resources + the type assignment = 441 resources, within the 450 budget;
   * 110 outputs < 200. 120 made 481.
   */
  maxThingsPerShard: 110,

  // CloudWatch Logs.
  /** The retention periods CloudWatch Logs accepts (any other number fails at deploy). */
  logRetentionDays: [
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
  ] as readonly number[],

  // Amazon VPC.
  /** The sizes of a VPC's CIDR block AWS allows (prefix lengths). */
  vpcPrefixLength: range(16, 28),
  /** The project's: the GatePeer runs in at most 3 zones. */
  availabilityZones: 3,

  // S3 lifecycles (the project's bounds).
  noncurrentVersionExpirationDays: range(1, 3650, 'days'),
  accessLogExpirationDays: range(1, 3650, 'days'),

  // Funnel key rotation (the project's bounds).
  rotationPeriodDays: range(1, 365, 'days'),
  rotationGraceDays: range(1, 90, 'days'),

  // AWS IoT Device Defender.
  /** `AWS::IoT::ScheduledAudit` `DayOfMonth` (or LAST); 29-31 run on the last day of shorter months. */
  auditDayOfMonth: range(1, 31),

  // Config files (the project's).
  configDescriptionLength: 1024,
} as const;
