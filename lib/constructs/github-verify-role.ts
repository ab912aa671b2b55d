import { Duration, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import {
  GITHUB_OIDC_AUD_KEY,
  GITHUB_OIDC_AUDIENCE,
  GITHUB_OIDC_SUB_KEY,
  githubBranchSubject,
  iamName,
  NAME_RULES,
  VERIFY_ACTIONS,
  type GitHubRepositoryIds,
} from '../contract';
import { acknowledgeCompliance, ONE_TO_ONE_POLICY_REASON } from './compliance-acknowledgements';
import { githubWorkflowConditions } from './github-deploy-role';
import { checkName } from './prop-checks';

export interface GitHubVerifyRoleProps {
  readonly roleName: string;
  /** The account's GitHub Actions OIDC provider (see GitHubOidcProvider). */
  readonly oidcProviderArn: string;
  /** `owner/name` of the repository whose deploy workflow verifies. */
  readonly repository: string;
  /** @default - the name-only claim `repo:<owner>/<name>:…` */
  readonly repositoryIds?: GitHubRepositoryIds;
  /** The workflow file whose jobs may assume the role (the deploy workflow). */
  readonly workflowFile: string;
  /** The branch that workflow runs from. */
  readonly branch: string;
}

/**
 * The role the deploy workflow's verify job assumes to run `keyless verify` after a deploy: read-only, exactly the
 * actions `keyless verify` calls (VERIFY_ACTIONS).
 *
 * Trust: `aud` `sts.amazonaws.com` and `sub` exactly `repo:<owner>/<name>:ref:refs/heads/<branch>` — the token of a job
 * outside any GitHub environment. The verify job runs project and dependency code (npm ci, the CLI), so it must
 * never hold a token the deploy role accepts; the deploy role trusts only `…:environment:<env>`, which a job outside
 * the environment cannot get, and this role refuses that token, so the deploy job's token cannot be used here either.
 * Like the deploy role it also pins `job_workflow_ref` and `ref` (githubWorkflowConditions): only the deploy
 * workflow's jobs on the deploy branch, not every job on that branch.
 */
export class GitHubVerifyRole extends Construct {
  public readonly role: iam.Role;
  /** The `sub` claim the trust accepts. */
  public readonly subject: string;

  constructor(scope: Construct, id: string, props: GitHubVerifyRoleProps) {
    super(scope, id);
    checkName('roleName', iamName(64), props.roleName);
    checkName('oidcProviderArn', NAME_RULES.githubOidcProviderArn, props.oidcProviderArn);
    checkName('repository', NAME_RULES.githubRepository, props.repository);
    const workflow = githubWorkflowConditions(props);
    this.subject = githubBranchSubject(props.repository, props.branch, props.repositoryIds);

    this.role = new iam.Role(this, 'Resource', {
      roleName: props.roleName,
      description: `Assumed by the deploy workflow of ${props.repository} to run keyless verify (read-only)`,
      assumedBy: new iam.WebIdentityPrincipal(props.oidcProviderArn, {
        StringEquals: {
          [GITHUB_OIDC_AUD_KEY]: GITHUB_OIDC_AUDIENCE,
          [GITHUB_OIDC_SUB_KEY]: this.subject,
          ...workflow,
        },
      }),
      maxSessionDuration: Duration.hours(1),
      inlinePolicies: {
        KeylessVerify: new iam.PolicyDocument({
          statements: [
            new iam.PolicyStatement({
              sid: 'KeylessVerifyReadOnly',
              actions: [...VERIFY_ACTIONS],
              // keyless verify reads every stack, role, thing, pool and endpoint of the environment, and several of
              // its actions have no resource type (sts:GetCallerIdentity, iot:DescribeEndpoint,
              // ec2:DescribeVpcEndpoints, cloudformation:DescribeStacks without a name).
              resources: ['*'],
            }),
          ],
        }),
      },
    });
    acknowledgeCompliance(this.role, 'IAMNoInlinePolicy', ONE_TO_ONE_POLICY_REASON);
    Validations.of(this.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Read-only actions keyless verify calls (lib/contract/verify.ts VERIFY_ACTIONS, nothing that writes): it reads every resource of the environment, and sts:GetCallerIdentity, iot:DescribeEndpoint and ec2:DescribeVpcEndpoints have no resource type.',
    });
  }
}
