import { type CfnElement, DefaultStackSynthesizer, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3assets from 'aws-cdk-lib/aws-s3-assets';
import * as s3deploy from 'aws-cdk-lib/aws-s3-deployment';
import { Construct, type IConstruct } from 'constructs';
import { nagRendered } from './nag-rendered';
import { acknowledgeCompliance } from './compliance-acknowledgements';
import { BUCKET_LAYOUT, DEVICE_SCRIPTS_POINTER, NAME_RULES } from '../contract';
import { checkName } from './prop-checks';

export interface DeviceScriptsAssetProps {
  /** The `device-scripts/` directory: helper, Root CA, examples, install.sh. */
  readonly sourceDir: string;
  /** The device bucket. Every device role may read (only read) under `keyPrefix`. */
  readonly bucket: s3.IBucket;
  /**
   * Where the scripts go: `<keyPrefix><version>/…`, plus `<keyPrefix>current.json` naming the latest version.
   * @default 'device-scripts/'
   */
  readonly keyPrefix?: string;
  /**
   * DESTROY removes the published scripts with the stack; RETAIN leaves them for devices still using them.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/** What `current.json` tells a device: the prefix to fetch its scripts from. */
export interface DeviceScriptsPointer {
  readonly version: string;
  readonly prefix: string;
}

/**
 * Publishes `device-scripts/` to the device bucket with a CDK asset deployment, so a device can update its
 * own helper with its own short-lived credentials (the device roles grant `s3:GetObject` under the prefix).
 *
 * The version is the asset's content hash (the first 16 hex digits of the hash CDK computes for the asset
 * anyway), not package.json's version: it changes exactly when a published file changes, so a device can
 * compare versions without trusting anyone to bump a number. Each version keeps its own prefix, and
 * `current.json` is written after the scripts, so a device never reads a pointer to files not there yet.
 */
export class DeviceScriptsAsset extends Construct {
  /** The content-hash version, e.g. `3f2a9c…` (16 hex digits). */
  public readonly version: string;
  /** `device-scripts/<version>/`. */
  public readonly versionPrefix: string;
  /** `device-scripts/`: the prefix device roles may read. */
  public readonly keyPrefix: string;

  constructor(scope: Construct, id: string, props: DeviceScriptsAssetProps) {
    super(scope, id);
    const keyPrefix = props.keyPrefix ?? BUCKET_LAYOUT.deviceScripts;
    checkName('DeviceScriptsAsset keyPrefix', NAME_RULES.keyPrefix, keyPrefix);
    const retain = (props.removalPolicy ?? RemovalPolicy.RETAIN) === RemovalPolicy.RETAIN;

    const files = new s3assets.Asset(this, 'Files', {
      path: props.sourceDir,
      // Bytecode caches are local by-products of running the Python examples, not part of what is shipped.
      exclude: ['**/__pycache__', '**/*.pyc'],
    });
    this.keyPrefix = keyPrefix;
    this.version = files.assetHash.slice(0, 16);
    this.versionPrefix = `${keyPrefix}${this.version}/`;

    const scripts = new s3deploy.BucketDeployment(this, 'Scripts', {
      sources: [s3deploy.Source.bucket(files.bucket, files.s3ObjectKey)],
      destinationBucket: props.bucket,
      destinationKeyPrefix: this.versionPrefix,
      // Prune only ever touches this version's own prefix.
      prune: true,
      retainOnDelete: retain,
    });
    const pointer: DeviceScriptsPointer = { version: this.version, prefix: this.versionPrefix };
    const current = new s3deploy.BucketDeployment(this, 'CurrentVersion', {
      sources: [s3deploy.Source.jsonData(DEVICE_SCRIPTS_POINTER, pointer)],
      destinationBucket: props.bucket,
      destinationKeyPrefix: keyPrefix,
      // Pruning here would delete every published version next to current.json.
      prune: false,
      retainOnDelete: retain,
    });
    current.node.addDependency(scripts);

    acknowledgeDeploymentFunction(Stack.of(this), props.bucket);
  }
}

/**
 * BucketDeployment brings one singleton Lambda function per stack (its role, policy and log group) that copies
 * the asset into the bucket at deploy time. Its findings are acknowledged on that function only, each with the
 * constraint behind it; nothing else in the stack is covered.
 */
function acknowledgeDeploymentFunction(stack: Stack, bucket: s3.IBucket): void {
  const handler = stack.node.children.find((child: IConstruct) =>
    child.node.id.startsWith('Custom::CDKBucketDeployment'),
  );
  if (!handler) return;
  const cdkOwned =
    "It is aws-cdk-lib's BucketDeployment handler, which runs only while CloudFormation deploys this stack";
  // The asset bucket is the bootstrap stack's, named from the default synthesizer's qualifier.
  const assetBucket = DefaultStackSynthesizer.DEFAULT_FILE_ASSETS_BUCKET_NAME.replace(
    '${Qualifier}',
    DefaultStackSynthesizer.DEFAULT_QUALIFIER,
  )
    .replace('${AWS::AccountId}', stack.account)
    .replace('${AWS::Region}', stack.region);
  const bucketResource = bucket.node.defaultChild as CfnElement | undefined;
  acknowledgeCompliance(
    handler,
    'IAMNoInlinePolicy',
    `${cdkOwned}; CDK writes its role's policy inline for this one role (read the asset, write the published prefix).`,
  );
  acknowledgeCompliance(
    handler,
    'LambdaInsideVPC',
    `${cdkOwned} and talks only to S3; a VPC would add NAT or endpoints to a copy job.`,
  );
  acknowledgeCompliance(
    handler,
    'LambdaDLQ',
    `${cdkOwned}: CloudFormation invokes it synchronously (a dead-letter queue only receives asynchronous invocations), and a failed copy fails the deployment.`,
  );
  acknowledgeCompliance(
    handler,
    'LambdaConcurrency',
    `${cdkOwned}, once per deployment; reserving concurrency for it fails in accounts whose limit is still the new-account minimum.`,
  );
  acknowledgeCompliance(
    handler,
    'CloudWatchLogGroupEncrypted',
    `${cdkOwned}; its log lines name only the published script files (public device code, no secrets), so a KMS key for them adds cost without protecting anything.`,
  );
  const copyReason =
    `${cdkOwned}: it reads the zipped asset from the CDK asset bucket (s3:GetObject*, s3:GetBucket*, s3:List*) and ` +
    "writes, and prunes within its own version prefix, the published files (s3:DeleteObject*, s3:Abort* for multipart uploads). CDK grants these on whole buckets; the handler only ever receives this deployment's source and prefix.";
  Validations.of(handler).acknowledge(
    {
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      reason: `${cdkOwned}; the managed policy only lets it write its own CloudWatch Logs.`,
    },
    ...[
      'Action::s3:GetBucket*',
      'Action::s3:GetObject*',
      'Action::s3:List*',
      'Action::s3:Abort*',
      'Action::s3:DeleteObject*',
    ].map((finding) => ({ id: `AwsSolutions-IAM5[${finding}]`, reason: copyReason })),
    {
      id: `AwsSolutions-IAM5[Resource::arn:${nagRendered(handler, 'Partition')}:s3:::${assetBucket}/*]`,
      reason: copyReason,
    },
    ...(bucketResource
      ? [
          {
            id: `AwsSolutions-IAM5[Resource::<${stack.getLogicalId(bucketResource)}.Arn>/*]`,
            reason: copyReason,
          },
        ]
      : []),
    {
      id: 'AwsSolutions-L1',
      reason: `${cdkOwned}; its Python runtime is pinned by aws-cdk-lib and moves forward when aws-cdk-lib is upgraded.`,
    },
    {
      id: 'cdk-validator-cfnguard::lambda_inside_vpc_check',
      reason: `${cdkOwned} and talks only to S3; a VPC would add NAT or endpoints to a copy job.`,
    },
    {
      id: 'cdk-validator-cfnguard::cloudwatch_log_group_encrypted_check',
      reason: `${cdkOwned}; its log lines name only the published script files (public device code, no secrets), so a KMS key for them adds cost without protecting anything.`,
    },
  );
}
