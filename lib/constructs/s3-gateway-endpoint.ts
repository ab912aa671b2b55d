import { Stack, Token } from 'aws-cdk-lib';
import { RegionInfo } from 'aws-cdk-lib/region-info';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { NAME_RULES } from '../contract';
import { checkName } from './prop-checks';

export interface S3GatewayEndpointProps {
  readonly vpcId: string;
  /** The route tables that send S3 traffic to the endpoint (the GatePeer's). */
  readonly routeTableIds: readonly string[];
  /**
   * The only buckets reachable through the endpoint, by name (derived names, so no reference to the Data stack).
   */
  readonly bucketNames: readonly string[];
  /**
   * The account that must own those buckets: if a bucket were deleted and its name taken by someone else,
   * the endpoint would otherwise carry data into their bucket.
   * @default - the stack's account
   */
  readonly bucketAccount?: string;
}

/** What devices do through the closed network: object read/write/delete, multipart uploads, listing (sync). */
export const DEVICE_S3_ACTIONS = [
  's3:GetObject',
  's3:PutObject',
  's3:DeleteObject',
  's3:AbortMultipartUpload',
  's3:ListMultipartUploadParts',
  's3:ListBucket',
  's3:ListBucketMultipartUploads',
  's3:GetBucketLocation',
] as const;

/**
 * An S3 gateway endpoint on the given route tables whose endpoint policy allows the named buckets only: nothing
 * else in S3 is reachable through it, so the closed network cannot be used to carry data out.
 */
export class S3GatewayEndpoint extends Construct {
  public readonly endpoint: ec2.CfnVPCEndpoint;
  public readonly endpointId: string;
  public readonly policyDocument: iam.PolicyDocument;

  constructor(scope: Construct, id: string, props: S3GatewayEndpointProps) {
    super(scope, id);
    if (props.routeTableIds.length === 0) {
      throw new Error('S3GatewayEndpoint needs at least one route table id, got: []');
    }
    if (props.bucketNames.length === 0) {
      throw new Error('S3GatewayEndpoint needs at least one bucket name, got: []');
    }
    for (const name of props.bucketNames)
      checkName('S3GatewayEndpoint bucketNames', NAME_RULES.bucketName, name);
    const stack = Stack.of(this);
    // A literal partition where the region is known, so the policy reads as it will be evaluated.
    const partition = Token.isUnresolved(stack.region)
      ? stack.partition
      : (RegionInfo.get(stack.region).partition ?? stack.partition);
    const bucketArn = (name: string): string => `arn:${partition}:s3:::${name}`;

    this.policyDocument = new iam.PolicyDocument({
      statements: [
        new iam.PolicyStatement({
          sid: 'DeviceBucketsOnly',
          principals: [new iam.AnyPrincipal()],
          actions: [...DEVICE_S3_ACTIONS],
          resources: props.bucketNames.flatMap((name) => [bucketArn(name), `${bucketArn(name)}/*`]),
          conditions: { StringEquals: { 'aws:ResourceAccount': props.bucketAccount ?? stack.account } },
        }),
      ],
    });

    this.endpoint = new ec2.CfnVPCEndpoint(this, 'Resource', {
      vpcId: props.vpcId,
      serviceName: `com.amazonaws.${stack.region}.s3`,
      vpcEndpointType: 'Gateway',
      routeTableIds: [...props.routeTableIds],
      policyDocument: this.policyDocument,
    });
    this.endpointId = this.endpoint.ref;
  }
}
