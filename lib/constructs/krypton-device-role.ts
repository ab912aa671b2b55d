import { Aws, Token, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { BUCKET_LAYOUT, NAME_RULES, type QuarantinedPrincipal } from '../contract';
import { checkName } from './prop-checks';
import { acknowledgeCompliance, ONE_TO_ONE_POLICY_REASON } from './compliance-acknowledgements';
import { QuarantineDeny } from './quarantine-deny';

export interface KryptonDeviceRoleProps {
  /** The identity pool's authenticated role (see {@link KryptonIdentityPool}). */
  readonly role: iam.IRole;
  /** The table every device may read and scan. */
  readonly referenceTableArn: string;
  /** The table where each identity reads and writes its own partition (partition key = identity id). */
  readonly deviceTableArn: string;
  /** The device data bucket's name (a plain string: it is derived from config, not referenced). */
  readonly bucketName: string;
  /**
   * Each identity gets `<identityPrefix><identity id>/` in the bucket.
   * @default 'krypton/'
   */
  readonly identityPrefix?: string;
  /**
   * Where devices fetch their helper scripts from (read-only for every device).
   * @default 'device-scripts/'
   */
  readonly deviceScriptsPrefix?: string;
  /**
   * The closed-network prefix, when the environment has one: each identity also gets
   * `<closedNetworkPrefix><identity id>/`, which the bucket policy makes reachable only through the
   * S3 gateway endpoint.
   * @default - no closed-network prefix
   */
  readonly closedNetworkPrefix?: string;
  /**
   * Quarantined identities (`krypton.quarantinedIdentities`): the role denies every session of each (see
   * {@link QuarantineDeny}).
   * @default - none
   */
  readonly quarantinedIdentities?: readonly QuarantinedPrincipal[];
}

/** The Cognito identity id of the caller: `<region>:<uuid>`, the same for every call from one SIM. */
export const COGNITO_SUB = '${cognito-identity.amazonaws.com:sub}';

/**
 * What a device with Krypton credentials may do: read (and scan) the reference table, read and write its own
 * partition of the device table, read/write/list its own prefix in the device bucket, and fetch its helper
 * scripts. "Its own" is the Cognito identity id (`${cognito-identity.amazonaws.com:sub}`).
 */
export class KryptonDeviceRole extends Construct {
  public readonly policy: iam.Policy;
  /** The deny of quarantined identities' sessions, attached to the role as managed policies. */
  public readonly quarantine: QuarantineDeny;

  constructor(scope: Construct, id: string, props: KryptonDeviceRoleProps) {
    super(scope, id);
    const identityPrefix = props.identityPrefix ?? BUCKET_LAYOUT.krypton;
    const scriptsPrefix = props.deviceScriptsPrefix ?? BUCKET_LAYOUT.deviceScripts;
    const closedPrefix = props.closedNetworkPrefix;
    checkName('identityPrefix', NAME_RULES.keyPrefix, identityPrefix);
    checkName('deviceScriptsPrefix', NAME_RULES.keyPrefix, scriptsPrefix);
    if (closedPrefix !== undefined) checkName('closedNetworkPrefix', NAME_RULES.keyPrefix, closedPrefix);
    if (Token.isUnresolved(props.bucketName)) {
      throw new Error(
        `bucketName must be a plain name (derive it from config), got the token: ${props.bucketName}`,
      );
    }
    const ownPrefix = `${identityPrefix}${COGNITO_SUB}/`;
    const ownClosedPrefix = closedPrefix === undefined ? undefined : `${closedPrefix}${COGNITO_SUB}/`;
    const bucketArn = `arn:${Aws.PARTITION}:s3:::${props.bucketName}`;
    const ownPrefixes = ownClosedPrefix === undefined ? [ownPrefix] : [ownPrefix, ownClosedPrefix];

    this.policy = new iam.Policy(this, 'Resource', {
      roles: [props.role],
      statements: [
        // Read-only on purpose: every device may scan this table, and Scan cannot be limited to a partition.
        new iam.PolicyStatement({
          sid: 'ReadReferenceTable',
          actions: ['dynamodb:Scan', 'dynamodb:Query', 'dynamodb:GetItem', 'dynamodb:DescribeTable'],
          resources: [props.referenceTableArn],
        }),
        // No Scan (nor DescribeTable): dynamodb:LeadingKeys only exists for requests that name a partition, and
        // ForAllValues over an absent key is true. The Null check makes that explicit.
        new iam.PolicyStatement({
          sid: 'OwnPartitionOfDeviceTable',
          actions: [
            'dynamodb:GetItem',
            'dynamodb:BatchGetItem',
            'dynamodb:Query',
            'dynamodb:PutItem',
            'dynamodb:UpdateItem',
            'dynamodb:DeleteItem',
            'dynamodb:BatchWriteItem',
          ],
          resources: [props.deviceTableArn],
          conditions: {
            'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': [COGNITO_SUB] },
            Null: { 'dynamodb:LeadingKeys': 'false' },
          },
        }),
        new iam.PolicyStatement({
          sid: 'OwnPrefixObjects',
          actions: ['s3:GetObject', 's3:PutObject'],
          resources: ownPrefixes.map((prefix) => `${bucketArn}/${prefix}*`),
        }),
        new iam.PolicyStatement({
          sid: 'ListOwnPrefix',
          actions: ['s3:ListBucket'],
          resources: [bucketArn],
          conditions: {
            StringLike: { 's3:prefix': ownPrefixes.flatMap((prefix) => [prefix, `${prefix}*`]) },
          },
        }),
        new iam.PolicyStatement({
          sid: 'ReadDeviceScripts',
          actions: ['s3:GetObject'],
          resources: [`${bucketArn}/${scriptsPrefix}*`],
        }),
      ],
    });

    this.quarantine = new QuarantineDeny(this, 'Quarantine', {
      role: props.role,
      kind: 'identity',
      principals: props.quarantinedIdentities ?? [],
    });

    // cdk-nag names each wildcard resource the way it renders it: ${x} as <x>, the partition as <AWS::Partition>.
    const nagArn = (prefix: string): string =>
      `arn:<AWS::Partition>:s3:::${props.bucketName}/${prefix.replace(/\$\{([^}]+)\}/g, '<$1>')}*`;
    acknowledgeCompliance(this.policy, 'IAMNoInlinePolicy', ONE_TO_ONE_POLICY_REASON);
    Validations.of(this.policy).acknowledge(
      {
        id: `AwsSolutions-IAM5[Resource::${nagArn(ownPrefix)}]`,
        reason:
          "Object keys under the caller's own prefix only: the policy variable ${cognito-identity.amazonaws.com:sub} pins it to the one Cognito identity of the SIM, and the trailing * covers the file names the device chooses.",
      },
      ...(ownClosedPrefix === undefined
        ? []
        : [
            {
              id: `AwsSolutions-IAM5[Resource::${nagArn(ownClosedPrefix)}]`,
              reason:
                "The caller's own closed-network prefix, pinned by ${cognito-identity.amazonaws.com:sub}; the bucket policy lets these keys be reached only through the S3 gateway endpoint.",
            },
          ]),
      {
        id: `AwsSolutions-IAM5[Resource::${nagArn(scriptsPrefix)}]`,
        reason:
          'Read-only (s3:GetObject) on the helper scripts every device installs and updates; the file set changes with releases, so it is a prefix rather than a list.',
      },
    );
  }
}
