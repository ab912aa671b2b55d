import * as path from 'node:path';
import { CfnOutput, Stack } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { KeylessConfig } from '../config';
import { ClosedNetworkBucketPolicy } from '../constructs/closed-network-bucket-policy';
import { DeviceDataBucket } from '../constructs/device-data-bucket';
import { DeviceScriptsAsset } from '../constructs/device-scripts-asset';
import { DeviceSecret } from '../constructs/device-secret';
import { DeviceTables } from '../constructs/device-tables';
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
      sourceDir: path.join(__dirname, '..', '..', 'device-scripts'),
      bucket: this.deviceData.bucket,
      removalPolicy,
    });

    const outputs: Record<string, [string, string]> = {
      DeviceBucketName: [this.deviceData.bucket.bucketName, 'Devices upload under their own prefix here'],
      DeviceBucketArn: [this.deviceData.bucket.bucketArn, 'ARN of the device bucket'],
      AccessLogBucketName: [
        this.deviceData.accessLogBucket.bucketName,
        'Server access logs of the device bucket',
      ],
      ReferenceTableName: [this.tables.referenceTable.tableName, 'Table every device may read'],
      ReferenceTableArn: [this.tables.referenceTable.tableArn, 'ARN of the reference table'],
      DeviceTableName: [this.tables.deviceTable.tableName, 'Table with one partition per device identity'],
      DeviceTableArn: [this.tables.deviceTable.tableArn, 'ARN of the device table'],
      DeviceSecretName: [config.names.deviceSecret, 'Secret every device may read'],
      DeviceSecretArn: [this.deviceSecret.secret.secretArn, 'ARN of the device secret'],
      SecretsKeyArn: [this.deviceSecret.key.keyArn, 'KMS key encrypting device secrets'],
      DeviceScriptsPrefix: [this.deviceScripts.versionPrefix, 'Current device scripts in the device bucket'],
    };
    for (const [id, [value, description]] of Object.entries(outputs)) {
      new CfnOutput(this, id, { value, description });
    }
  }
}
