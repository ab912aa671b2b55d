import { Stack } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { ClosedNetworkConfig, DataConfig, EnvironmentCommon } from '../config';
import { DEVICE_SCRIPTS_DIR, inRepository, REPO_ROOT } from '../contract';
import { ClosedNetworkBucketPolicy } from '../constructs/closed-network-bucket-policy';
import { DeviceDataBucket } from '../constructs/device-data-bucket';
import { DeviceScriptsAsset } from '../constructs/device-scripts-asset';
import { DeviceSecret } from '../constructs/device-secret';
import { DeviceTables } from '../constructs/device-tables';
import { emitOutputs } from './stack-outputs';
import { keylessStackProps, removalPolicyOf } from './stack-props';

export interface DataStackProps {
  /** The environment's name, account, region, tags, removal policy and the derived names of the resources. */
  readonly environment: EnvironmentCommon;
  /** The `data` section: how long old object versions and access logs are kept, and the tables' keys. */
  readonly data: DataConfig;
  /**
   * The closed network: objects under its prefix are then reachable only through the Network stack's endpoint.
   * @default - no closed network
   */
  readonly closedNetwork?: DataStackClosedNetwork;
}

/** What the bucket policy needs of the closed network: the `closedNetwork` section's prefix and roles, the endpoint. */
export interface DataStackClosedNetwork extends Pick<
  ClosedNetworkConfig,
  'prefix' | 'outsideAccessRoleArns'
> {
  /** The Network stack's S3 gateway endpoint. */
  readonly endpointId: string;
}

/** Stateful resources: the device bucket, the tables devices read and write, the device secret. */
export class DataStack extends Stack {
  public readonly deviceData: DeviceDataBucket;
  public readonly tables: DeviceTables;
  public readonly deviceSecret: DeviceSecret;
  public readonly deviceScripts: DeviceScriptsAsset;

  constructor(scope: Construct, id: string, props: DataStackProps) {
    const { environment, data, closedNetwork } = props;
    super(scope, id, keylessStackProps(environment, 'Data', 'device bucket, tables and secret'));
    const removalPolicy = removalPolicyOf(environment);

    this.deviceData = new DeviceDataBucket(this, 'DeviceData', {
      bucketName: environment.names.deviceBucket,
      accessLogBucketName: environment.names.accessLogBucket,
      noncurrentVersionExpirationDays: data.noncurrentVersionExpirationDays,
      accessLogExpirationDays: data.accessLogExpirationDays,
      removalPolicy,
    });
    if (closedNetwork !== undefined) {
      new ClosedNetworkBucketPolicy(this, 'ClosedNetworkBucketPolicy', {
        bucket: this.deviceData.bucket,
        endpointId: closedNetwork.endpointId,
        prefix: closedNetwork.prefix,
        outsideAccessRoleArns: closedNetwork.outsideAccessRoleArns,
      });
    }
    this.tables = new DeviceTables(this, 'Tables', {
      referenceTableName: environment.names.referenceTable,
      referenceTableKeys: data.referenceTable,
      deviceTableName: environment.names.deviceTable,
      deviceTableKeys: data.deviceTable,
      removalPolicy,
    });
    this.deviceSecret = new DeviceSecret(this, 'DeviceSecret', {
      secretName: environment.names.deviceSecret,
      removalPolicy,
    });
    this.deviceScripts = new DeviceScriptsAsset(this, 'DeviceScripts', {
      sourceDir: inRepository(REPO_ROOT, DEVICE_SCRIPTS_DIR),
      bucket: this.deviceData.bucket,
      removalPolicy,
    });

    emitOutputs(this, 'Data', {
      deviceBucketName: this.deviceData.bucket.bucketName,
      deviceBucketArn: this.deviceData.bucket.bucketArn,
      accessLogBucketName: this.deviceData.accessLogBucket.bucketName,
      referenceTableName: this.tables.referenceTable.tableName,
      referenceTableArn: this.tables.referenceTable.tableArn,
      deviceTableName: this.tables.deviceTable.tableName,
      deviceTableArn: this.tables.deviceTable.tableArn,
      deviceSecretName: environment.names.deviceSecret,
      deviceSecretArn: this.deviceSecret.secret.secretArn,
      secretsKeyArn: this.deviceSecret.key.keyArn,
      deviceScriptsPrefix: this.deviceScripts.versionPrefix,
    });
  }
}
