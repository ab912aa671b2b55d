import { Arn, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct, type IConstruct } from 'constructs';
import { NAME_RULES } from '../contract';
import { checkName } from './prop-checks';
import { nagRendered } from './nag-rendered';
import { acknowledgeCompliance } from './compliance-acknowledgements';

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
    const permission = funnelPublishPermission(this, props.topicPrefix, 'FunnelPublisherUser');
    this.topicArnPattern = permission.topicArnPattern;

    // Permissions come from a group (Control Tower CT.IAM.PR.4: no policy attached to a user directly), inline so
    // the group's whole meaning is in one resource.
    const group = new iam.Group(this, 'PublishGroup');
    (group.node.defaultChild as iam.CfnGroup).policies = [
      { policyName: permission.policyName, policyDocument: permission.document },
    ];
    this.user = new iam.User(this, 'Resource', { userName: props.userName, groups: [group] });
    permission.acknowledge(group);
    acknowledgeCompliance(
      group,
      'IAMNoInlinePolicy',
      "Inline on purpose: the group exists only to give this one user its publish permission (Control Tower forbids a user's own policy), and the policy must never be attached elsewhere; it is reviewed with the group in the same template.",
    );
  }
}

/** The Funnel publisher's one permission, the same for the user and the role. */
export interface FunnelPublishPermission {
  readonly policyName: string;
  /** `arn:aws:iot:<region>:<account>:topic/<topicPrefix>/*` */
  readonly topicArnPattern: string;
  readonly document: iam.PolicyDocument;
  /** Acknowledges the topic wildcard on the construct that holds the policy. */
  acknowledge(holder: IConstruct): void;
}

/**
 * `iot:Publish` to `<topicPrefix>/*` in this account and region, and nothing else. The prefix follows the MQTT
 * topic prefix rule (no wildcards, no `$`, no trailing `/`), so the pattern cannot reach `$aws/things/…/shadow`
 * topics, and `<prefix>/*` never matches a sibling prefix that merely starts with the same characters.
 */
/** `what` names the construct in the error on a bad prefix. */
export function funnelPublishPermission(
  scope: Construct,
  topicPrefix: string,
  what: string,
): FunnelPublishPermission {
  checkName(`${what} topicPrefix`, NAME_RULES.mqttTopicPrefix, topicPrefix);
  const stack = Stack.of(scope);
  const topicArnPattern = Arn.format(
    { service: 'iot', resource: 'topic', resourceName: `${topicPrefix}/*` },
    stack,
  );
  const policyName = 'PublishUnderFunnelPrefix';
  const document = new iam.PolicyDocument({
    statements: [
      new iam.PolicyStatement({
        sid: policyName,
        actions: ['iot:Publish'],
        resources: [topicArnPattern],
      }),
    ],
  });
  return {
    policyName,
    topicArnPattern,
    document,
    acknowledge(holder) {
      Validations.of(holder).acknowledge({
        id: `AwsSolutions-IAM5[Resource::arn:${nagRendered(holder, 'Partition')}:iot:${nagRendered(stack, 'Region')}:${nagRendered(stack, 'AccountId')}:topic/${topicPrefix}/*]`,
        reason:
          'SORACOM Funnel publishes to one topic per device under the configured prefix; the prefix is the narrowest resource that names them all.',
      });
    },
  };
}
