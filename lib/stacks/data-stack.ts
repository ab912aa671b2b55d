import { Stack } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { KeylessConfig } from '../config';
import { DEVICE_SCRIPTS_DIR, inRepository, REPO_ROOT } from '../contract';
import { ClosedNetworkBucketPolicy } from '../constructs/closed-network-bucket-policy';
import { DeviceDataBucket } from '../constructs/device-data-bucket';
import { DeviceScriptsAsset } from '../constructs/device-scripts-asset';
import { DeviceSecret } from '../constructs/device-secret';
import { DeviceTables } from '../constructs/device-tables';
import { emitOutputs } from './stack-outputs';
import { keylessStackProps, removalPolicyOf } from './stack-props';

export interface DataStackProps {
  readonly config: KeylessConfig;
  /**
   * The Network stack's S3 gateway endpoint: objects under the closed prefix are then reachable only through it.
   * @default - no closed network
   */
  readonly closedNetwork?: { readonly endpointId: string };
}

/** Stateful resources: the device bucket, the tables devices read and write, the device secret. */
export class DataStack extends Stack {
  public readonly deviceData: DeviceDataBucket;
  public readonly tables: DeviceTables;
  public readonly deviceSecret: DeviceSecret;
  public readonly deviceScripts: DeviceScriptsAsset;

  constructor(scope: Construct, id: string, props: DataStackProps) {
    const { config } = props;
    super(scope, id, keylessStackProps(config, 'Data', 'device bucket, tables and secret'));
    const removalPolicy = removalPolicyOf(config);

    this.deviceData = new DeviceDataBucket(this, 'DeviceData', {
      bucketName: config.names.deviceBucket,
      accessLogBucketName: config.names.accessLogBucket,
      noncurrentVersionExpirationDays: config.data.noncurrentVersionExpirationDays,
      accessLogExpirationDays: config.data.accessLogExpirationDays,
      removalPolicy,
    });
    if (props.closedNetwork !== undefined) {
      new ClosedNetworkBucketPolicy(this, 'ClosedNetworkBucketPolicy', {
        bucket: this.deviceData.bucket,
        endpointId: props.closedNetwork.endpointId,
        prefix: config.closedNetwork?.prefix,
        outsideAccessRoleArns: config.closedNetwork?.outsideAccessRoleArns,
      });
    }
    this.tables = new DeviceTables(this, 'Tables', {
      referenceTableName: config.names.referenceTable,
      referenceTableKeys: config.data.referenceTable,
      deviceTableName: config.names.deviceTable,
      deviceTableKeys: config.data.deviceTable,
      removalPolicy,
    });
    this.deviceSecret = new DeviceSecret(this, 'DeviceSecret', {
      secretName: config.names.deviceSecret,
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
      deviceSecretName: config.names.deviceSecret,
      deviceSecretArn: this.deviceSecret.secret.secretArn,
      secretsKeyArn: this.deviceSecret.key.keyArn,
      deviceScriptsPrefix: this.deviceScripts.versionPrefix,
    });
  }
}
