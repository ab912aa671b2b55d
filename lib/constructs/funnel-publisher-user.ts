import { Arn, Stack, Token, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { NAME_RULES } from '../contract';
import { checkName } from './prop-checks';
import { nagRendered } from '../validators';

export interface FunnelPublisherUserProps {
  /** The IAM user's name. */
  readonly userName: string;
  /** SORACOM Funnel may publish to `<topicPrefix>/*` and nothing else (no wildcards, no trailing `/`). */
  readonly topicPrefix: string;
}

/**
 * The IAM user whose access key SORACOM Funnel's AWS IoT adapter holds. It may only publish under one topic
 * prefix. CloudFormation creates no access key for it: the rotation function makes every key, so no secret
 * ever passes through a template, an output or a deploy log.
 */
export class FunnelPublisherUser extends Construct {
  public readonly user: iam.User;
  /** `arn:aws:iot:<region>:<account>:topic/<topicPrefix>/*` */
  public readonly topicArnPattern: string;

  constructor(scope: Construct, id: string, props: FunnelPublisherUserProps) {
    super(scope, id);
    const prefix = props.topicPrefix;
    checkName('FunnelPublisherUser topicPrefix', NAME_RULES.mqttTopicPrefix, prefix);
    const stack = Stack.of(this);
    this.topicArnPattern = Arn.format(
      { service: 'iot', resource: 'topic', resourceName: `${prefix}/*` },
      stack,
    );

    // Permissions come from a group (Control Tower CT.IAM.PR.4: no policy attached to a user directly), inline so
    // the group's whole meaning is in one resource.
    const group = new iam.Group(this, 'PublishGroup');
    (group.node.defaultChild as iam.CfnGroup).policies = [
      {
        policyName: 'PublishUnderFunnelPrefix',
        policyDocument: new iam.PolicyDocument({
          statements: [
            new iam.PolicyStatement({
              sid: 'PublishUnderFunnelPrefix',
              actions: ['iot:Publish'],
              resources: [this.topicArnPattern],
            }),
          ],
        }),
      },
    ];
    this.user = new iam.User(this, 'Resource', { userName: props.userName, groups: [group] });
    const rendered = (value: string, pseudo: string) =>
      Token.isUnresolved(value) ? `<AWS::${pseudo}>` : value;
    Validations.of(group).acknowledge({
      id: `AwsSolutions-IAM5[Resource::arn:${nagRendered(this, 'Partition')}:iot:${rendered(stack.region, 'Region')}:${rendered(stack.account, 'AccountId')}:topic/${prefix}/*]`,
      reason:
        'SORACOM Funnel publishes to one topic per device under the configured prefix; the prefix is the narrowest resource that names them all.',
    });
  }
}
