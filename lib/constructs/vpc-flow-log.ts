import { Arn, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { CustomerManagedKey } from './customer-managed-key';
import { EncryptedLogGroup } from './encrypted-log-group';
import { acknowledgeCompliance, ONE_TO_ONE_POLICY_REASON } from './compliance-acknowledgements';

export interface VpcFlowLogProps {
  readonly vpc: ec2.IVpc;
  /** The log group's name (named so the key policy can name it). */
  readonly logGroupName: string;
  /**
   * Days flow log records are kept: one of the periods CloudWatch Logs accepts.
   * @default 365
   */
  readonly retentionDays?: number;
  /** @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * Every accepted and rejected flow of the VPC, to CloudWatch Logs encrypted with a customer managed key.
 * CloudWatch Logs rather than the Data stack's log bucket: the Network stack then needs nothing from the Data
 * stack, which depends on it (the bucket policy names this stack's endpoint).
 */
export class VpcFlowLog extends Construct {
  public readonly flowLog: ec2.FlowLog;
  public readonly logGroup: EncryptedLogGroup;
  public readonly key: CustomerManagedKey;
  public readonly deliveryRole: iam.Role;

  constructor(scope: Construct, id: string, props: VpcFlowLogProps) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const stack = Stack.of(this);

    this.key = new CustomerManagedKey(this, 'Key', {
      description: `Encrypts the VPC flow logs in ${props.logGroupName}`,
      removalPolicy,
    });
    this.logGroup = new EncryptedLogGroup(this, 'LogGroup', {
      logGroupName: props.logGroupName,
      key: this.key,
      retentionDays: props.retentionDays,
      removalPolicy,
    });
    // Only flow logs of this account may use the role (the confused-deputy guard AWS documents for flow logs).
    this.deliveryRole = new iam.Role(this, 'DeliveryRole', {
      description: `Delivers VPC flow logs to ${props.logGroupName}`,
      assumedBy: new iam.ServicePrincipal('vpc-flow-logs.amazonaws.com', {
        conditions: {
          StringEquals: { 'aws:SourceAccount': stack.account },
          ArnLike: {
            'aws:SourceArn': Arn.format(
              { service: 'ec2', resource: 'vpc-flow-log', resourceName: '*' },
              stack,
            ),
          },
        },
      }),
    });
    acknowledgeCompliance(
      this.deliveryRole,
      'IAMNoInlinePolicy',
      `${ONE_TO_ONE_POLICY_REASON} Written by the flow log's CloudWatch Logs destination: delivery to this one log group.`,
    );
    this.flowLog = new ec2.FlowLog(this, 'Resource', {
      resourceType: ec2.FlowLogResourceType.fromVpc(props.vpc),
      destination: ec2.FlowLogDestination.toCloudWatchLogs(this.logGroup, this.deliveryRole),
      trafficType: ec2.FlowLogTrafficType.ALL,
    });
  }
}
