import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';

export interface TableKeys {
  readonly partitionKey: string;
  readonly sortKey?: string;
}

export interface DeviceTablesProps {
  readonly referenceTableName: string;
  readonly referenceTableKeys: TableKeys;
  readonly deviceTableName: string;
  readonly deviceTableKeys: TableKeys;
  /**
   * RETAIN also turns on deletion protection.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The two tables devices use: a reference table every device may read (and scan), and a device table where
 * each device identity reads and writes its own partition only.
 */
export class DeviceTables extends Construct {
  public readonly referenceTable: dynamodb.TableV2;
  public readonly deviceTable: dynamodb.TableV2;

  constructor(scope: Construct, id: string, props: DeviceTablesProps) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    this.referenceTable = this.table(
      'ReferenceTable',
      props.referenceTableName,
      props.referenceTableKeys,
      removalPolicy,
    );
    this.deviceTable = this.table('DeviceTable', props.deviceTableName, props.deviceTableKeys, removalPolicy);
  }

  private table(
    id: string,
    tableName: string,
    keys: TableKeys,
    removalPolicy: RemovalPolicy,
  ): dynamodb.TableV2 {
    return new dynamodb.TableV2(this, id, {
      tableName,
      partitionKey: { name: keys.partitionKey, type: dynamodb.AttributeType.STRING },
      sortKey: keys.sortKey ? { name: keys.sortKey, type: dynamodb.AttributeType.STRING } : undefined,
      billing: dynamodb.Billing.onDemand(),
      encryption: dynamodb.TableEncryptionV2.awsManagedKey(),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: removalPolicy === RemovalPolicy.RETAIN,
      removalPolicy,
    });
  }
}
