import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { funnelPublishPermission } from './funnel-publisher-user';
import { soracomTrust, type SoracomTrust } from './soracom-trust';
import { acknowledgeCompliance, ONE_TO_ONE_POLICY_REASON } from './compliance-acknowledgements';

export interface FunnelPublisherRoleProps extends SoracomTrust {
  /**
   * The role's name.
   * @default - a name CloudFormation generates
   */
  readonly roleName?: string;
  /** SORACOM Funnel may publish to `<topicPrefix>/*` and nothing else (no wildcards, no trailing `/`). */
  readonly topicPrefix: string;
}

/**
 * The role SORACOM Funnel's AWS IoT adapter assumes from SORACOM's account, with your external id, to publish
 * device messages (credential type `aws-iam-role-credentials`): no access key exists anywhere. Its one permission
 * is the Funnel publisher user's: `iot:Publish` under one topic prefix.
 */
export class FunnelPublisherRole extends Construct {
  public readonly role: iam.Role;
  /** `arn:aws:iot:<region>:<account>:topic/<topicPrefix>/*` */
  public readonly topicArnPattern: string;

  constructor(scope: Construct, id: string, props: FunnelPublisherRoleProps) {
    super(scope, id);
    const permission = funnelPublishPermission(this, props.topicPrefix, 'FunnelPublisherRole');
    this.topicArnPattern = permission.topicArnPattern;
    this.role = new iam.Role(this, 'Resource', {
      roleName: props.roleName,
      description: `Assumed by SORACOM Funnel to publish device messages to AWS IoT under ${props.topicPrefix}/`,
      ...soracomTrust(props),
      inlinePolicies: { [permission.policyName]: permission.document },
    });
    permission.acknowledge(this.role);
    acknowledgeCompliance(this.role, 'IAMNoInlinePolicy', ONE_TO_ONE_POLICY_REASON);
  }
}
