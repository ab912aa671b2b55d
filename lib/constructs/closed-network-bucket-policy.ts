import * as iam from 'aws-cdk-lib/aws-iam';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { BUCKET_LAYOUT, NAME_RULES } from '../contract';
import { checkName } from './prop-checks';

export interface ClosedNetworkBucketPolicyProps {
  /** The device bucket. Its one bucket policy gets the statements (a second BucketPolicy would replace it). */
  readonly bucket: s3.IBucket;
  /** The S3 gateway endpoint of the closed network. */
  readonly endpointId: string;
  /**
   * The key prefix reachable only through the endpoint.
   * @default 'closed/'
   */
  readonly prefix?: string;
  /**
   * Roles that may still read and write the prefix from outside the endpoint (processing jobs, break-glass).
   * @default - none: only the endpoint reaches the prefix
   */
  readonly outsideAccessRoleArns?: readonly string[];
}

/**
 * Object actions on the closed prefix. Bucket-level actions (ListBucket, Get/PutBucketPolicy, …) are left alone
 * so that no one is locked out of the rest of the bucket or of the policy itself.
 */
export const CLOSED_PREFIX_ACTIONS = [
  's3:GetObject*',
  's3:PutObject*',
  's3:DeleteObject*',
  's3:AbortMultipartUpload',
  's3:ListMultipartUploadParts',
  's3:RestoreObject',
  's3:ReplicateObject',
  's3:ReplicateDelete',
] as const;

/**
 * The bucket side of the closed network: objects under the prefix can be read and written only through the
 * gateway endpoint (`aws:SourceVpce`); the rest of the bucket is untouched.
 */
export class ClosedNetworkBucketPolicy extends Construct {
  public readonly statement: iam.PolicyStatement;

  constructor(scope: Construct, id: string, props: ClosedNetworkBucketPolicyProps) {
    super(scope, id);
    const prefix = props.prefix ?? BUCKET_LAYOUT.closed;
    checkName('ClosedNetworkBucketPolicy prefix', NAME_RULES.keyPrefix, prefix);
    checkName('ClosedNetworkBucketPolicy endpointId', NAME_RULES.vpcEndpointId, props.endpointId);
    const outside = props.outsideAccessRoleArns ?? [];

    // StringNotEquals is true when the key is absent, i.e. for every request that did not come through a
    // VPC endpoint; conditions are ANDed, so the listed roles are exempt.
    const conditions: Record<string, Record<string, unknown>> = {
      StringNotEquals: { 'aws:SourceVpce': props.endpointId },
    };
    if (outside.length > 0) {
      conditions.ArnNotLike = { 'aws:PrincipalArn': [...outside] };
    }
    this.statement = new iam.PolicyStatement({
      sid: 'ClosedPrefixOnlyThroughTheGatewayEndpoint',
      effect: iam.Effect.DENY,
      principals: [new iam.AnyPrincipal()],
      actions: [...CLOSED_PREFIX_ACTIONS],
      resources: [props.bucket.arnForObjects(`${prefix}*`)],
      conditions,
    });
    const result = props.bucket.addToResourcePolicy(this.statement);
    if (!result.statementAdded) {
      throw new Error(
        `ClosedNetworkBucketPolicy cannot add to the policy of an imported bucket: ${props.bucket.node.path}`,
      );
    }
  }
}
