import { ArnFormat, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import { CustomerManagedKey } from './customer-managed-key';

export interface AlarmTopicProps {
  /** What the alarms are about, for the key's and the topic's descriptions. */
  readonly purpose: string;
  /**
   * Addresses that get every alarm by e-mail (each must confirm the subscription once).
   * @default - none
   */
  readonly emails?: readonly string[];
  /** @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
}

/** An SNS topic for CloudWatch alarms, encrypted with a customer managed key that CloudWatch may use. */
export class AlarmTopic extends Construct {
  public readonly topic: sns.Topic;
  public readonly key: kms.Key;

  constructor(scope: Construct, id: string, props: AlarmTopicProps) {
    super(scope, id);
    for (const email of props.emails ?? []) {
      if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(email)) {
        throw new Error(`AlarmTopic emails must be e-mail addresses, got: ${email}`);
      }
    }
    this.key = new CustomerManagedKey(this, 'Key', {
      description: `Encrypts the alarm topic: ${props.purpose}`,
      removalPolicy: props.removalPolicy,
    }).key;
    // CloudWatch publishes alarm notifications as itself: it must be able to make and read data keys. The grant
    // carries aws:SourceAccount and aws:SourceArn (the alarm), as the SNS developer guide asks for service event
    // sources ("Enable compatibility between event sources from AWS services and encrypted topics", step 3), so
    // only this account's alarms in this region can use the key.
    const stack = Stack.of(this);
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchAlarmsPublish',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        // In a key policy, "*" means this key.
        resources: ['*'],
        conditions: {
          StringEquals: { 'aws:SourceAccount': stack.account },
          ArnLike: {
            'aws:SourceArn': stack.formatArn({
              service: 'cloudwatch',
              resource: 'alarm',
              resourceName: '*',
              arnFormat: ArnFormat.COLON_RESOURCE_NAME,
            }),
          },
        },
      }),
    );
    this.topic = new sns.Topic(this, 'Resource', {
      displayName: props.purpose.slice(0, 100),
      masterKey: this.key,
      enforceSSL: true,
    });
    for (const email of props.emails ?? []) {
      this.topic.addSubscription(new subscriptions.EmailSubscription(email));
    }
  }
}
