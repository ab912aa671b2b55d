import { Stack, type CfnResource } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import type { KeylessConfig } from '../config';
import {
  BUCKET_LAYOUT,
  CDK_BOOTSTRAP_ROLE_KINDS,
  cdkBootstrapRoleName,
  DEFAULT_CDK_BOOTSTRAP_QUALIFIER,
  DEVICE_TOPIC_ROOT,
  deviceScriptsPointerKey,
  partitionOf,
  thingPrefix,
} from '../contract';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type { SoracomKeyRotation } from '../constructs/soracom-key-rotation';
import type { EnvironmentStacks } from '../stacks/environment';

/**
 * The isolation questions of one environment, defined once: who may do what to which resource, and who may not.
 * The unit tests answer them with the project's policy evaluator over the synthesized templates; `keyless verify`
 * asks AWS's own simulator (`iam:SimulatePrincipalPolicy`) the same questions about the deployed principals. So
 * what the tests prove and what verify checks in the account cannot drift apart.
 */

/** A principal the stacks make, by the stack and logical id that make it (its ARN is known only once deployed). */
export interface PrincipalRef {
  /** What it is for, as people name it: "X.509 device role". */
  readonly label: string;
  readonly stackName: string;
  readonly logicalId: string;
  readonly type: 'AWS::IAM::Role' | 'AWS::IAM::User';
}

/** A resource policy (a bucket policy) that takes part in the decision, by its stack and logical id. */
export interface ResourcePolicyRef {
  readonly label: string;
  readonly stackName: string;
  readonly logicalId: string;
  /** The bucket whose policy it is (SimulatePrincipalPolicy needs the owner of an S3 resource). */
  readonly bucketName: string;
}

/** One question: may this principal do this action on this resource, with these condition keys? */
export interface IsolationQuestion {
  /** Stable and unique within an environment: `x509-role/other-thing-object`. */
  readonly id: string;
  readonly principal: PrincipalRef;
  readonly action: string;
  readonly resource: string;
  /** Condition keys and policy variables of the request (`credentials-iot:ThingName`, …). */
  readonly context: Readonly<Record<string, string | readonly string[]>>;
  /** Evaluated together with the principal's own policies, when set. */
  readonly resourcePolicy?: ResourcePolicyRef;
  readonly expected: 'allowed' | 'denied';
  /** Why the answer must be this one, in a sentence an operator can act on. */
  readonly reason: string;
}

/** Values AWS makes at deploy time that some questions name. */
export interface DeployedIds {
  /** The Krypton identity pool id (`<region>:<uuid>`). */
  readonly identityPoolId?: string;
  /** The S3 gateway endpoint id of the closed network (`vpce-…`). */
  readonly gatewayEndpointId?: string;
}

/** The part of the environment's stacks the questions need: which constructs are the principals. */
export type QuestionStacks = Partial<
  Pick<EnvironmentStacks, 'data' | 'iotAccess' | 'kryptonAccess' | 'funnel' | 'deployment'>
>;

/** Two Cognito identity ids of the environment's region: the one asking and another SIM. */
function identityIds(region: string): { own: string; other: string } {
  return {
    own: `${region}:11111111-2222-3333-4444-000000000001`,
    other: `${region}:11111111-2222-3333-4444-000000000002`,
  };
}

/** The logical id of a construct's CloudFormation resource, and its stack's name. */
function locate(construct: IConstruct): { stackName: string; logicalId: string } {
  const stack = Stack.of(construct);
  const child = (construct.node.defaultChild ?? construct) as CfnResource;
  return { stackName: stack.stackName, logicalId: stack.resolve(child.logicalId) as string };
}

function role(label: string, construct: IConstruct): PrincipalRef {
  return { label, type: 'AWS::IAM::Role', ...locate(construct) };
}

function user(label: string, construct: IConstruct): PrincipalRef {
  return { label, type: 'AWS::IAM::User', ...locate(construct) };
}

/** The questions about one principal: ids `<kind>/<id>`, asked in `context` unless a question gives its own. */
function asker(kind: string, principal: PrincipalRef, context: IsolationQuestion['context'] = {}) {
  return (
    id: string,
    action: string,
    resource: string,
    expected: IsolationQuestion['expected'],
    reason: string,
    own: IsolationQuestion['context'] = context,
  ): IsolationQuestion => ({
    id: `${kind}/${id}`,
    principal,
    action,
    resource,
    context: own,
    expected,
    reason,
  });
}

/**
 * Every isolation question of an environment. `deployed` gives the values AWS generated (the unit tests pass
 * stand-ins for them); a question whose value is missing is left out rather than asked with a guess.
 */
export function isolationQuestions(
  config: KeylessConfig,
  stacks: QuestionStacks,
  deployed: DeployedIds = {},
): IsolationQuestion[] {
  return [
    ...x509Questions(config, stacks),
    ...kryptonQuestions(config, stacks),
    ...closedNetworkQuestions(config, stacks, deployed),
    ...signerQuestions(config, stacks, deployed),
    ...funnelQuestions(config, stacks),
    ...rotationQuestions(config, stacks),
    ...deployRoleQuestions(config, stacks),
  ];
}

function x509Questions(config: KeylessConfig, stacks: QuestionStacks): IsolationQuestion[] {
  if (!stacks.iotAccess || !config.iot) return [];
  const principal = role('X.509 device role', stacks.iotAccess.role.role);
  const partition = partitionOf(config.region);
  const bucket = `arn:${partition}:s3:::${config.names.deviceBucket}`;
  const things = config.iot.things.map((t) => t.name);
  const own = things[0] ?? 'verify-thing-a';
  const other = things.find((name) => name !== own) ?? `${own}-other`;
  const as = { 'credentials-iot:ThingName': own };
  const secret = (name: string) =>
    `arn:${partition}:secretsmanager:${config.region}:${config.account}:secret:${name}-AbCdEf`;
  const q = asker('x509-role', principal, as);
  return [
    q(
      'own-object-write',
      's3:PutObject',
      `${bucket}/${thingPrefix(own)}data.json`,
      'allowed',
      `thing ${own} uploads under its own prefix ${thingPrefix(own)}`,
    ),
    q(
      'own-object-read',
      's3:GetObject',
      `${bucket}/${thingPrefix(own)}data.json`,
      'allowed',
      `thing ${own} reads back what it uploaded`,
    ),
    q('own-prefix-list', 's3:ListBucket', bucket, 'allowed', `thing ${own} lists its own prefix`, {
      ...as,
      's3:prefix': thingPrefix(own),
    }),
    q(
      'other-thing-object-read',
      's3:GetObject',
      `${bucket}/${thingPrefix(other)}data.json`,
      'denied',
      `thing ${own} must not read thing ${other}'s objects`,
    ),
    q(
      'other-thing-object-write',
      's3:PutObject',
      `${bucket}/${thingPrefix(other)}data.json`,
      'denied',
      `thing ${own} must not write into thing ${other}'s prefix`,
    ),
    q(
      'other-thing-prefix-list',
      's3:ListBucket',
      bucket,
      'denied',
      `thing ${own} must not list thing ${other}'s prefix`,
      {
        ...as,
        's3:prefix': thingPrefix(other),
      },
    ),
    q(
      'no-thing-name',
      's3:GetObject',
      `${bucket}/${thingPrefix(own)}data.json`,
      'denied',
      'credentials issued without x-amzn-iot-thingname carry no thing name and must reach no prefix',
      {},
    ),
    q(
      'device-scripts-write',
      's3:PutObject',
      `${bucket}/${deviceScriptsPointerKey()}`,
      'denied',
      'devices read the published helper scripts and must never replace them',
    ),
    q(
      'own-secret',
      'secretsmanager:GetSecretValue',
      secret(`${config.names.perThingSecretPrefix}${own}`),
      'allowed',
      `thing ${own} reads its own per-thing secret`,
    ),
    q(
      'other-thing-secret',
      'secretsmanager:GetSecretValue',
      secret(`${config.names.perThingSecretPrefix}${other}`),
      'denied',
      `thing ${own} must not read thing ${other}'s per-thing secret`,
    ),
  ];
}

function kryptonQuestions(config: KeylessConfig, stacks: QuestionStacks): IsolationQuestion[] {
  if (!stacks.kryptonAccess) return [];
  const principal = role('Krypton device role', stacks.kryptonAccess.pool.authenticatedRole);
  const partition = partitionOf(config.region);
  const bucket = `arn:${partition}:s3:::${config.names.deviceBucket}`;
  const table = (name: string) =>
    `arn:${partition}:dynamodb:${config.region}:${config.account}:table/${name}`;
  const ids = identityIds(config.region);
  const as = { 'cognito-identity.amazonaws.com:sub': ids.own };
  const q = asker('krypton-role', principal, as);
  return [
    q(
      'own-object-write',
      's3:PutObject',
      `${bucket}/${BUCKET_LAYOUT.krypton}${ids.own}/data.json`,
      'allowed',
      `a SIM uploads under its own prefix ${BUCKET_LAYOUT.krypton}<identity id>/`,
    ),
    q(
      'other-sim-object-read',
      's3:GetObject',
      `${bucket}/${BUCKET_LAYOUT.krypton}${ids.other}/data.json`,
      'denied',
      "a SIM must not read another SIM's objects",
    ),
    q(
      'x509-object-read',
      's3:GetObject',
      `${bucket}/${thingPrefix('sensor-001')}data.json`,
      'denied',
      "a SIM must not read an X.509 thing's objects",
    ),
    q(
      'own-partition-write',
      'dynamodb:PutItem',
      table(config.names.deviceTable),
      'allowed',
      'a SIM writes its own partition of the device table',
      { ...as, 'dynamodb:LeadingKeys': [ids.own] },
    ),
    q(
      'other-partition-write',
      'dynamodb:PutItem',
      table(config.names.deviceTable),
      'denied',
      "a SIM must not write another SIM's partition",
      { ...as, 'dynamodb:LeadingKeys': [ids.other] },
    ),
    q(
      'device-table-scan',
      'dynamodb:Scan',
      table(config.names.deviceTable),
      'denied',
      "Scan cannot be limited to a partition: it would read every SIM's items",
    ),
    q(
      'reference-table-read',
      'dynamodb:Scan',
      table(config.names.referenceTable),
      'allowed',
      'every SIM reads the reference table',
    ),
    q(
      'reference-table-write',
      'dynamodb:PutItem',
      table(config.names.referenceTable),
      'denied',
      'the reference table every SIM reads must be read-only for them',
      {
        ...as,
        'dynamodb:LeadingKeys': [ids.own],
      },
    ),
  ];
}

function closedNetworkQuestions(
  config: KeylessConfig,
  stacks: QuestionStacks,
  deployed: DeployedIds,
): IsolationQuestion[] {
  const bucketPolicy = stacks.data?.deviceData.bucket.policy;
  if (!stacks.kryptonAccess || !config.closedNetwork || !bucketPolicy || !deployed.gatewayEndpointId)
    return [];
  const principal = role('Krypton device role', stacks.kryptonAccess.pool.authenticatedRole);
  const resourcePolicy: ResourcePolicyRef = {
    label: 'device bucket policy',
    bucketName: config.names.deviceBucket,
    ...locate(bucketPolicy),
  };
  const ids = identityIds(config.region);
  const key = `arn:${partitionOf(config.region)}:s3:::${config.names.deviceBucket}/${config.closedNetwork.prefix}${ids.own}/data.json`;
  const base = {
    'cognito-identity.amazonaws.com:sub': ids.own,
    'aws:SecureTransport': 'true',
    's3:TlsVersion': '1.3',
  };
  return [
    {
      id: 'closed-prefix/through-endpoint',
      principal,
      action: 's3:PutObject',
      resource: key,
      context: { ...base, 'aws:SourceVpce': deployed.gatewayEndpointId },
      resourcePolicy,
      expected: 'allowed',
      reason: `a SIM on the closed network writes its own ${config.closedNetwork.prefix}<identity id>/ through the S3 gateway endpoint`,
    },
    {
      id: 'closed-prefix/from-the-internet',
      principal,
      action: 's3:PutObject',
      resource: key,
      context: base,
      resourcePolicy,
      expected: 'denied',
      reason: `the closed prefix ${config.closedNetwork.prefix} must be reachable only through the S3 gateway endpoint`,
    },
    {
      id: 'closed-prefix/another-endpoint',
      principal,
      action: 's3:GetObject',
      resource: key,
      context: { ...base, 'aws:SourceVpce': 'vpce-00000000000000000' },
      resourcePolicy,
      expected: 'denied',
      reason: 'another VPC endpoint (another VPC, another account) must not reach the closed prefix',
    },
  ];
}

function signerQuestions(
  config: KeylessConfig,
  stacks: QuestionStacks,
  deployed: DeployedIds,
): IsolationQuestion[] {
  const signer = stacks.kryptonAccess?.signer;
  if (!signer || !deployed.identityPoolId) return [];
  const poolArn = (id: string) =>
    `arn:${partitionOf(config.region)}:cognito-identity:${config.region}:${config.account}:identitypool/${id}`;
  const principals = [
    ...(signer.role ? [role('Krypton signer role', signer.role)] : []),
    ...(signer.user ? [user('Krypton signer user', signer.user)] : []),
  ];
  return principals.flatMap((principal) => {
    const kind = principal.type === 'AWS::IAM::Role' ? 'krypton-signer-role' : 'krypton-signer-user';
    return [
      {
        id: `${kind}/own-pool-token`,
        principal,
        action: 'cognito-identity:GetOpenIdTokenForDeveloperIdentity',
        resource: poolArn(deployed.identityPoolId!),
        context: {},
        expected: 'allowed' as const,
        reason: 'SORACOM Krypton signs the token call on the environment’s identity pool with this principal',
      },
      {
        id: `${kind}/other-pool-token`,
        principal,
        action: 'cognito-identity:GetOpenIdTokenForDeveloperIdentity',
        resource: poolArn(`${config.region}:00000000-0000-0000-0000-000000000000`),
        context: {},
        expected: 'denied' as const,
        reason: 'the signer must issue tokens in its own identity pool only',
      },
      {
        id: `${kind}/own-pool-delete`,
        principal,
        action: 'cognito-identity:DeleteIdentityPool',
        resource: poolArn(deployed.identityPoolId!),
        context: {},
        expected: 'denied' as const,
        reason: 'the signer holds only the token call: SORACOM must not be able to change or delete the pool',
      },
    ];
  });
}

function funnelQuestions(config: KeylessConfig, stacks: QuestionStacks): IsolationQuestion[] {
  const funnel = stacks.funnel;
  if (!funnel || !config.funnel) return [];
  const topic = (name: string) =>
    `arn:${partitionOf(config.region)}:iot:${config.region}:${config.account}:topic/${name}`;
  const prefix = config.funnel.topicPrefix;
  const principals = [
    ...(funnel.publisherRole ? [role('Funnel publisher role', funnel.publisherRole.role)] : []),
    ...(funnel.publisher ? [user('Funnel publisher user', funnel.publisher.user)] : []),
  ];
  return principals.flatMap((principal) => {
    const kind = principal.type === 'AWS::IAM::Role' ? 'funnel-publisher-role' : 'funnel-publisher-user';
    const q = asker(kind, principal);
    return [
      q(
        'own-topic',
        'iot:Publish',
        topic(`${prefix}/sim-001`),
        'allowed',
        `SORACOM Funnel publishes under ${prefix}/`,
      ),
      q(
        'neighbour-topic',
        'iot:Publish',
        topic(`${prefix}-other/sim-001`),
        'denied',
        `a topic that only starts like ${prefix} is not under ${prefix}/`,
      ),
      q(
        'device-topic',
        'iot:Publish',
        topic(`${DEVICE_TOPIC_ROOT}/sensor-001/data`),
        'denied',
        "Funnel must not publish on the devices' own topics",
      ),
      q(
        'subscribe',
        'iot:Subscribe',
        `arn:${partitionOf(config.region)}:iot:${config.region}:${config.account}:topicfilter/${prefix}/*`,
        'denied',
        'Funnel only publishes: reading device messages is not its job',
      ),
    ];
  });
}

function rotationQuestions(config: KeylessConfig, stacks: QuestionStacks): IsolationQuestion[] {
  const rotations: [string, string, SoracomKeyRotation | undefined, iam.User | undefined][] = [
    [
      'funnel-rotation-role',
      'Funnel key rotation role',
      stacks.funnel?.rotation,
      stacks.funnel?.publisher?.user,
    ],
    [
      'krypton-rotation-role',
      'Krypton signer key rotation role',
      stacks.kryptonAccess?.signerRotation,
      stacks.kryptonAccess?.signer.user,
    ],
  ];
  const userArn = (name: string, path: string) =>
    `arn:${partitionOf(config.region)}:iam::${config.account}:user${path}${name}`;
  return rotations.flatMap(([kind, label, rotation, rotatedUser]) => {
    if (!rotation?.function.role || !rotatedUser) return [];
    const principal = role(label, rotation.function.role);
    const own = userNameAndPath(rotatedUser);
    const q = asker(kind, principal);
    return [
      q(
        'own-user-key',
        'iam:CreateAccessKey',
        userArn(own.name, own.path),
        'allowed',
        `the rotation issues the new key of ${own.name}`,
      ),
      q(
        'own-user-key-delete',
        'iam:DeleteAccessKey',
        userArn(own.name, own.path),
        'allowed',
        `the rotation deletes the old key of ${own.name} after the grace period`,
      ),
      q(
        'other-user-key',
        'iam:CreateAccessKey',
        userArn(`${own.name}-other`, own.path),
        'denied',
        `the rotation of ${own.name} must not mint keys for any other user`,
      ),
      q(
        'admin-user-key',
        'iam:CreateAccessKey',
        userArn('admin', '/'),
        'denied',
        'a key for another user would be a long-term key outside the rotation',
      ),
      q(
        'own-user-policy',
        'iam:AttachUserPolicy',
        userArn(own.name, own.path),
        'denied',
        `the rotation may only rotate keys: changing ${own.name}'s permissions would widen what SORACOM holds`,
      ),
    ];
  });
}

/** A user's name and IAM path as its template sets them (the name must be a plain string: names.ts derives it). */
function userNameAndPath(construct: iam.User): { name: string; path: string } {
  const stack = Stack.of(construct);
  const cfn = construct.node.defaultChild as iam.CfnUser;
  const name = stack.resolve(cfn.userName) as unknown;
  if (typeof name !== 'string') {
    throw new Error(`the user ${construct.node.path} has no plain name: isolation questions need one`);
  }
  return { name, path: (stack.resolve(cfn.path) as string | undefined) ?? '/' };
}

function deployRoleQuestions(config: KeylessConfig, stacks: QuestionStacks): IsolationQuestion[] {
  const deployment = stacks.deployment;
  if (!deployment || !config.deployment) return [];
  const principal = role('GitHub deploy role', deployment.deployRole.role);
  const qualifier = config.deployment.cdkBootstrapQualifier ?? DEFAULT_CDK_BOOTSTRAP_QUALIFIER;
  const roleArn = (name: string) => `arn:${partitionOf(config.region)}:iam::${config.account}:role/${name}`;
  return [
    ...CDK_BOOTSTRAP_ROLE_KINDS.map((kind) => ({
      id: `deploy-role/assume-cdk-${kind}-role`,
      principal,
      action: 'sts:AssumeRole',
      resource: roleArn(cdkBootstrapRoleName(qualifier, kind, config.account, config.region)),
      context: {},
      expected: 'allowed' as const,
      reason: `cdk deploy works through the CDK bootstrap ${kind} role`,
    })),
    {
      id: 'deploy-role/assume-other-role',
      principal,
      action: 'sts:AssumeRole',
      resource: roleArn('OrganizationAccountAccessRole'),
      context: {},
      expected: 'denied',
      reason: 'the deploy role may assume the CDK bootstrap roles only, never an administrator role',
    },
    {
      id: 'deploy-role/direct-change',
      principal,
      action: 'iam:CreateUser',
      resource: `arn:${partitionOf(config.region)}:iam::${config.account}:user/intruder`,
      context: {},
      expected: 'denied',
      reason: 'the deploy role changes the account only through CloudFormation and the bootstrap roles',
    },
  ];
}
