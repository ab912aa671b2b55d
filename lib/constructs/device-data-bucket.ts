import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { ACCESS_LOG_PREFIX } from '../contract';
import { acknowledgeCompliance } from './compliance-acknowledgements';

export interface DeviceDataBucketProps {
  /** The device bucket's name (derived from the environment so other stacks can name it without a reference). */
  readonly bucketName: string;
  /** The server access log bucket's name. */
  readonly accessLogBucketName: string;
  /**
   * Days a noncurrent object version is kept.
   * @default 90
   */
  readonly noncurrentVersionExpirationDays?: number;
  /**
   * Days access logs are kept.
   * @default 365
   */
  readonly accessLogExpirationDays?: number;
  /**
   * RETAIN keeps both buckets and their objects when the stack is deleted; DESTROY empties and deletes them.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/** Why neither bucket replicates to another region. */
const NO_REPLICATION_REASON =
  "Data stays in the environment's region on purpose: the closed network reaches the bucket through an S3 gateway endpoint, which serves its own region only, and a second copy elsewhere is a data-residency decision config does not make. Versioning with a noncurrent-version lifecycle and RETAIN in production protect against deletion.";

/**
 * The bucket devices upload to, under per-device prefixes, with its server access log bucket.
 * Private, TLS-only, versioned and encrypted; old versions expire so a chatty device cannot grow it forever.
 */
export class DeviceDataBucket extends Construct {
  public readonly bucket: s3.Bucket;
  public readonly accessLogBucket: s3.Bucket;

  constructor(scope: Construct, id: string, props: DeviceDataBucketProps) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const destroy = removalPolicy === RemovalPolicy.DESTROY;

    this.accessLogBucket = new s3.Bucket(this, 'AccessLogs', {
      bucketName: props.accessLogBucketName,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      // S3 server access logging delivers only to buckets encrypted with SSE-S3.
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      versioned: true,
      lifecycleRules: [
        {
          id: 'ExpireAccessLogs',
          expiration: Duration.days(props.accessLogExpirationDays ?? 365),
          noncurrentVersionExpiration: Duration.days(1),
        },
      ],
      removalPolicy,
      autoDeleteObjects: destroy,
    });
    Validations.of(this.accessLogBucket).acknowledge(
      {
        id: 'AwsSolutions-S1',
        reason:
          'This is the access log destination: logging it into itself would loop, and a second log bucket would need the same exception.',
      },
      {
        id: 'cdk-validator-cfnguard::s3_bucket_logging_enabled_check',
        reason:
          'This is the access log destination: logging it into itself would loop, and a second log bucket would need the same exception.',
      },
      {
        id: 'cdk-validator-cfnguard::s3_bucket_default_encryption_kms_check',
        reason: 'S3 server access logging only delivers to buckets encrypted with SSE-S3, not SSE-KMS.',
      },
      {
        id: 'cdk-validator-cfnguard::s3_event_notifications_enabled_check',
        reason: 'Only S3 log delivery writes here; nothing consumes events about log objects.',
      },
      {
        id: 'cdk-validator-cfnguard::s3_bucket_object_lock_enabled_check',
        reason:
          'Logs expire on a lifecycle rule; Object Lock is a one-way setting for WORM retention mandates, which this environment does not have.',
      },
    );

    acknowledgeCompliance(
      this.accessLogBucket,
      'S3DefaultEncryptionKMS',
      'S3 server access logging only delivers to buckets encrypted with SSE-S3, not SSE-KMS.',
    );
    acknowledgeCompliance(this.accessLogBucket, 'S3BucketReplicationEnabled', NO_REPLICATION_REASON);

    this.bucket = new s3.Bucket(this, 'Resource', {
      bucketName: props.bucketName,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      // SSE-S3 rather than KMS: devices and the S3 gateway endpoint path then need no kms:* grant per object.
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      versioned: true,
      serverAccessLogsBucket: this.accessLogBucket,
      serverAccessLogsPrefix: ACCESS_LOG_PREFIX,
      lifecycleRules: [
        {
          id: 'ExpireOldVersions',
          noncurrentVersionExpiration: Duration.days(props.noncurrentVersionExpirationDays ?? 90),
          abortIncompleteMultipartUploadAfter: Duration.days(7),
          expiredObjectDeleteMarker: true,
        },
      ],
      removalPolicy,
      autoDeleteObjects: destroy,
    });
    // Device uploads become events that downstream processing can subscribe to with an EventBridge rule.
    // Set on the L1: the L2's eventBridgeEnabled goes through a custom-resource Lambda for no benefit.
    (this.bucket.node.defaultChild as s3.CfnBucket).notificationConfiguration = {
      eventBridgeConfiguration: { eventBridgeEnabled: true },
    };
    Validations.of(this.bucket).acknowledge(
      {
        id: 'cdk-validator-cfnguard::s3_bucket_default_encryption_kms_check',
        reason:
          'SSE-S3 on purpose: with SSE-KMS every device role and the closed-network path would also need kms:GenerateDataKey/Decrypt, and each of thousands of small uploads would be a billed KMS call. Objects are still encrypted at rest.',
      },
      {
        id: 'cdk-validator-cfnguard::s3_bucket_object_lock_enabled_check',
        reason:
          'Devices replace and delete their own objects (aws s3 sync --delete); versioning with a noncurrent-version lifecycle is the recovery path. Object Lock is a one-way setting for WORM retention mandates.',
      },
    );
    acknowledgeCompliance(
      this.bucket,
      'S3DefaultEncryptionKMS',
      'SSE-S3 on purpose: with SSE-KMS every device role and the closed-network path would also need kms:GenerateDataKey/Decrypt on one shared key (with S3 Bucket Keys its encryption context is the bucket, so the key grant cannot be scoped per device), and each of thousands of small uploads would be a billed KMS call. Objects are still encrypted at rest (AES-256).',
    );
    acknowledgeCompliance(this.bucket, 'S3BucketReplicationEnabled', NO_REPLICATION_REASON);
    if (destroy) {
      // autoDeleteObjects adds one provider function per stack, outside any VPC; it only runs at stack deletion.
      const provider = Stack.of(this).node.tryFindChild('Custom::S3AutoDeleteObjectsCustomResourceProvider');
      if (provider) {
        Validations.of(provider).acknowledge({
          id: 'cdk-validator-cfnguard::lambda_inside_vpc_check',
          reason:
            "CDK's auto-delete-objects provider runs only when a throw-away (removalPolicy destroy) stack is deleted and talks only to S3; a VPC would add NAT cost for nothing.",
        });
      }
    }
  }
}
