import { ArnFormat, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';

export interface CustomerManagedKeyProps {
  readonly description: string;
  /** @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * A rotating KMS key whose policy only lets AWS services create grants on it (Control Tower CT.KMS.PR.3):
 * a principal that can use the key cannot hand its use on to someone else.
 * Use it for every customer managed key in the project.
 */
export class CustomerManagedKey extends Construct {
  public readonly key: kms.Key;

  constructor(scope: Construct, id: string, props: CustomerManagedKeyProps) {
    super(scope, id);
    this.key = new kms.Key(this, 'Resource', {
      description: props.description,
      enableKeyRotation: true,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'GrantsOnlyForAwsResources',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: ['kms:CreateGrant'],
        // In a key policy, "*" means this key.
        resources: ['*'],
        conditions: {
          BoolIfExists: { 'kms:GrantIsForAWSResource': 'false', 'aws:PrincipalIsAWSService': 'false' },
        },
      }),
    );
  }

  /**
   * Lets CloudWatch Logs encrypt one log group with this key, and nothing else: the key policy names the log
   * group through `kms:EncryptionContext:aws:logs:arn`, and the statement id names it too (`CloudWatchLogsFor…`),
   * so one key may serve several log groups.
   */
  public allowLogGroup(logGroupName: string): void {
    const stack = Stack.of(this);
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: Token.isUnresolved(logGroupName)
          ? 'CloudWatchLogsForOneLogGroup'
          : `CloudWatchLogsFor${logGroupName.replace(/[^A-Za-z0-9]/g, '')}`,
        principals: [new iam.ServicePrincipal(`logs.${stack.region}.amazonaws.com`)],
        actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
        // In a key policy, "*" means this key.
        resources: ['*'],
        conditions: {
          ArnEquals: {
            'kms:EncryptionContext:aws:logs:arn': stack.formatArn({
              service: 'logs',
              resource: 'log-group',
              resourceName: logGroupName,
              arnFormat: ArnFormat.COLON_RESOURCE_NAME,
            }),
          },
        },
      }),
    );
  }
}
