import { RemovalPolicy } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { LIMITS } from '../contract';
import type { CustomerManagedKey } from './customer-managed-key';

export interface EncryptedLogGroupProps {
  /** Named, so the key policy can name the log group before it exists. */
  readonly logGroupName: string;
  /** The customer managed key that encrypts it; its policy gets a statement for this log group alone. */
  readonly key: CustomerManagedKey;
  /**
   * Days records are kept: one of the periods CloudWatch Logs accepts.
   * @default 365
   */
  readonly retentionDays?: number;
  /** @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * A log group encrypted with a customer managed key that CloudWatch Logs may use for this log group only: the
 * piece every function's logs and the VPC flow logs share. The key is the caller's, so one key can encrypt a
 * secret and the log group of the function that reads it.
 */
export class EncryptedLogGroup extends logs.LogGroup {
  public readonly key: CustomerManagedKey;

  constructor(scope: Construct, id: string, props: EncryptedLogGroupProps) {
    const retentionDays = props.retentionDays ?? 365;
    if (!LIMITS.logRetentionDays.includes(retentionDays)) {
      throw new Error(
        `EncryptedLogGroup ${props.logGroupName}: retentionDays must be one of the periods CloudWatch Logs accepts (${LIMITS.logRetentionDays.join(', ')}), got: ${retentionDays}`,
      );
    }
    props.key.allowLogGroup(props.logGroupName);
    super(scope, id, {
      logGroupName: props.logGroupName,
      encryptionKey: props.key.key,
      retention: retentionDays as logs.RetentionDays,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
    this.key = props.key;
  }
}
