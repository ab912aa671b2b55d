/**
 * What holds state devices depend on: the resources whose loss or replacement would orphan data or change an
 * identity every deployed device relies on. The upgrade-safety tests pin them, the production config retains
 * them on delete and replacement, and `keyless verify` checks that a stack policy denies their replacement and
 * deletion. One list, read by all three.
 */

/** A CloudFormation resource type that holds state, with what is lost if it is replaced or deleted. */
export const STATEFUL_RESOURCE_TYPES = {
  'AWS::Cognito::IdentityPool':
    "every SIM's identity id: a new pool gives each SIM a new id, orphaning its krypton/<id>/ prefix and its DynamoDB partition",
  'AWS::S3::Bucket': 'the objects devices uploaded (and the access logs)',
  'AWS::DynamoDB::Table': 'the items devices wrote and read',
  // What the Data stack's TableV2 tables synthesize to.
  'AWS::DynamoDB::GlobalTable': 'the items devices wrote and read',
  'AWS::KMS::Key': 'the only key that decrypts what it encrypted (the device secret, logs, alarms)',
  'AWS::SecretsManager::Secret': 'the secret value devices read',
} as const satisfies Readonly<Record<string, string>>;

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
