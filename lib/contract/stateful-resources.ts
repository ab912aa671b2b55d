/**
 * What holds state devices depend on: the resources whose loss or replacement would orphan data or change an
 * identity every deployed device relies on. The upgrade-safety tests pin them, the production config retains
 * them on delete and replacement, and `keyless verify` checks that a stack policy denies their replacement and
 * deletion. One list, read by all three.
 */

/**
 * A CloudFormation resource type that holds state, with what is lost if it is replaced or deleted. Production
 * retains each on delete and replacement, and the stack policy denies their replacement and deletion.
 */
export const STATEFUL_RESOURCE_TYPES = {
  'AWS::Cognito::IdentityPool':
    "every SIM's identity id: a new pool gives each SIM a new id, orphaning its krypton/<id>/ prefix and its DynamoDB partition",
  'AWS::S3::Bucket': 'the objects devices uploaded (and the access logs)',
  'AWS::DynamoDB::Table': 'the items devices wrote and read',
  // The device tables are TableV2, which synthesizes this type and not AWS::DynamoDB::Table: without it the
  // tables would escape the retention test, the pins and the stack policy.
  'AWS::DynamoDB::GlobalTable': 'the items devices wrote and read',
  'AWS::KMS::Key': 'the only key that decrypts what it encrypted (the device secret, logs, alarms)',
  'AWS::SecretsManager::Secret': 'the secret value devices read',
  // Audit evidence an investigation needs after the fact; a replaced log group starts empty and the old one's
  // events are deleted with it.
  'AWS::Logs::LogGroup':
    "the audit trail: the closed network's VPC flow logs and every access key the rotation functions made or deleted",
} as const satisfies Readonly<Record<string, string>>;

/**
 * Identities devices or SORACOM hold a credential for, pinned by the upgrade-safety tests but deliberately neither
 * retained nor covered by the stack policy: `device decommission` and re-enrollment delete or replace things and
 * certificates through a deploy (a stack-policy deny would block that), and a retained certificate would outlive
 * its decommission still ACTIVE. What must not happen is that a refactor replaces them by accident, which is what
 * the pinned logical ids catch.
 */
export const DEVICE_IDENTITY_RESOURCE_TYPES = {
  'AWS::IoT::Thing':
    "the thing's name in the device's x-amzn-iot-thingname header, its attributes and its certificate attachment",
  'AWS::IoT::Certificate':
    'the certificate on the device: a replaced certificate is a new one the device does not hold, so it cannot connect or get credentials',
  'AWS::IAM::User':
    "the user whose access key is registered in SORACOM's credential store: a new user has none, so Funnel or Krypton stop until the key is registered again",
} as const satisfies Readonly<Record<string, string>>;

export type DeviceIdentityResourceType = keyof typeof DEVICE_IDENTITY_RESOURCE_TYPES;
export type PinnedResourceType = StatefulResourceType | DeviceIdentityResourceType;

/**
 * The properties whose change makes CloudFormation replace the resource ("Update requires: Replacement" in the
 * CloudFormation template reference, docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-
 * <service>-<type>.html), plus the identity pool's DeveloperProviderName, which Cognito refuses to change once set
 * (UpdateIdentityPool), so a new one needs a new pool. The pins record their values.
 */
export const REPLACEMENT_PROPERTIES: Readonly<Record<PinnedResourceType, readonly string[]>> = {
  // aws-resource-cognito-identitypool: no property requires replacement; the provider name is fixed by Cognito.
  'AWS::Cognito::IdentityPool': ['DeveloperProviderName'],
  // aws-resource-s3-bucket: BucketName (and ObjectLockEnabled, which only turns on) require replacement.
  'AWS::S3::Bucket': ['BucketName'],
  // aws-resource-dynamodb-table: TableName and KeySchema require replacement.
  'AWS::DynamoDB::Table': ['TableName', 'KeySchema'],
  // aws-resource-dynamodb-globaltable: TableName and KeySchema require replacement.
  'AWS::DynamoDB::GlobalTable': ['TableName', 'KeySchema'],
  // aws-resource-kms-key: KeySpec, KeyUsage, MultiRegion and Origin require replacement.
  'AWS::KMS::Key': ['KeySpec', 'KeyUsage', 'MultiRegion', 'Origin'],
  // aws-resource-secretsmanager-secret: Name requires replacement.
  'AWS::SecretsManager::Secret': ['Name'],
  // aws-resource-logs-loggroup: LogGroupName and LogGroupClass require replacement.
  'AWS::Logs::LogGroup': ['LogGroupName', 'LogGroupClass'],
  // aws-resource-iot-thing: ThingName requires replacement.
  'AWS::IoT::Thing': ['ThingName'],
  // aws-resource-iot-certificate: CertificateSigningRequest, CertificatePem, CACertificatePem and CertificateMode.
  'AWS::IoT::Certificate': [
    'CertificateSigningRequest',
    'CertificatePem',
    'CACertificatePem',
    'CertificateMode',
  ],
  // aws-resource-iam-user: UserName requires replacement.
  'AWS::IAM::User': ['UserName'],
};

export type StatefulResourceType = keyof typeof STATEFUL_RESOURCE_TYPES;

/** One stateful resource of a synthesized or deployed template. */
export interface StatefulResource {
  readonly logicalId: string;
  readonly type: StatefulResourceType;
  /** What is lost if it goes (from {@link STATEFUL_RESOURCE_TYPES}). */
  readonly holds: string;
}

/** The part of a CloudFormation template read here. */
export interface TemplateResources {
  readonly Resources?: Readonly<Record<string, { readonly Type: string }>>;
}

export function isStatefulType(type: string): type is StatefulResourceType {
  return Object.prototype.hasOwnProperty.call(STATEFUL_RESOURCE_TYPES, type);
}

export function isPinnedType(type: string): type is PinnedResourceType {
  return isStatefulType(type) || Object.prototype.hasOwnProperty.call(DEVICE_IDENTITY_RESOURCE_TYPES, type);
}

/** What is lost if a pinned resource of this type is replaced or deleted. */
export function whatIsLost(type: PinnedResourceType): string {
  return isStatefulType(type) ? STATEFUL_RESOURCE_TYPES[type] : DEVICE_IDENTITY_RESOURCE_TYPES[type];
}

/** The stateful resources of a template, by logical id (sorted). */
export function statefulResourcesOf(template: TemplateResources): StatefulResource[] {
  return Object.entries(template.Resources ?? {})
    .filter((entry): entry is [string, { Type: StatefulResourceType }] => isStatefulType(entry[1].Type))
    .map(([logicalId, { Type }]) => ({ logicalId, type: Type, holds: STATEFUL_RESOURCE_TYPES[Type] }))
    .sort((a, b) => a.logicalId.localeCompare(b.logicalId));
}

/** A CloudFormation stack policy (the document `SetStackPolicy` takes). */
export interface StackPolicyDocument {
  readonly Statement: readonly {
    readonly Effect: 'Allow' | 'Deny';
    readonly Action: string | readonly string[];
    readonly Principal: '*';
    readonly Resource: string | readonly string[];
    readonly Condition?: Readonly<Record<string, Readonly<Record<string, string | readonly string[]>>>>;
  }[];
}

/**
 * The stack policy every keyless-iot stack gets: updates are allowed, except replacing or deleting a resource of
 * a stateful type. By resource type rather than by logical id, so a resource added later is covered at once and
 * the policy stays far below the 16 KB limit at any fleet size.
 */
export function statefulStackPolicy(): StackPolicyDocument {
  return {
    Statement: [
      { Effect: 'Allow', Action: 'Update:*', Principal: '*', Resource: '*' },
      {
        Effect: 'Deny',
        Action: ['Update:Replace', 'Update:Delete'],
        Principal: '*',
        Resource: '*',
        Condition: { StringEquals: { ResourceType: Object.keys(STATEFUL_RESOURCE_TYPES) } },
      },
    ],
  };
}
