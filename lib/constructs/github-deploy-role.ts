import { Aws, Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import {
  CDK_BOOTSTRAP_ROLE_KINDS,
  cdkBootstrapRoleName,
  DEFAULT_CDK_BOOTSTRAP_QUALIFIER,
  GITHUB_OIDC_AUD_KEY,
  GITHUB_OIDC_AUDIENCE,
  GITHUB_OIDC_JOB_WORKFLOW_REF_KEY,
  GITHUB_OIDC_REF_KEY,
  GITHUB_OIDC_REPOSITORY_ID_KEY,
  GITHUB_OIDC_SUB_KEY,
  githubEnvironmentSubject,
  githubJobWorkflowRef,
  iamName,
  NAME_RULES,
  type GitHubRepositoryIds,
} from '../contract';
import { checkName } from './prop-checks';
import { acknowledgeCompliance, ONE_TO_ONE_POLICY_REASON } from './compliance-acknowledgements';

export interface GitHubDeployRoleProps {
  readonly roleName: string;
  /** The account's GitHub Actions OIDC provider (see GitHubOidcProvider). */
  readonly oidcProviderArn: string;
  /** `owner/name` of the repository whose workflows may deploy. */
  readonly repository: string;
  /**
   * The repository's and its owner's numeric ids, when the repository sends the immutable `sub` claim.
   * @default - the name-only claim `repo:<owner>/<name>:…`
   */
  readonly repositoryIds?: GitHubRepositoryIds;
  /** GitHub environments whose jobs may assume the role (at least one). */
  readonly environments: readonly string[];
  /** The workflow file whose jobs may assume the role, such as `.github/workflows/deploy.yml`. */
  readonly workflowFile: string;
  /** The branch that workflow must run from. */
  readonly branch: string;
  /** @default 'hnb659fds' (cdk bootstrap's default) */
  readonly bootstrapQualifier?: string;
}

/**
 * The role a GitHub Actions job assumes with its OIDC token (`AssumeRoleWithWebIdentity`) to run `cdk deploy`.
 *
 * Trust: the token's `aud` must be `sts.amazonaws.com` and its `sub` exactly `repo:<owner>/<name>:environment:<env>`
 * for a listed environment — StringEquals, no wildcard — so another repository, a branch or tag ref, a pull
 * request, or a job outside those environments gets nothing. The `sub` of an environment job does not name the
 * branch, so the trust also pins what AWS STS can check beyond it (githubWorkflowConditions): the job's
 * `job_workflow_ref` (this repository's deploy workflow file, on the deploy branch) and `ref`. A workflow on another
 * branch that names the environment is refused by AWS even if the environment's branch rule was forgotten; the
 * environment's protection rules in GitHub (required reviewers, deployment branches) still gate who deploys.
 *
 * Permissions: `sts:AssumeRole` on this account's and region's CDK bootstrap roles, and nothing else; what a deploy
 * may change is decided by those roles (the deploy role hands changes to the CloudFormation execution role).
 * No `sts:TagSession`: configure-aws-credentials sets no session tags with OIDC, and the CDK CLI passes tags to the
 * bootstrap roles only when the synthesizer asks for them (this app's does not).
 */
export class GitHubDeployRole extends Construct {
  public readonly role: iam.Role;
  /** The `sub` claims the trust accepts, one per environment. */
  public readonly subjects: readonly string[];

  constructor(scope: Construct, id: string, props: GitHubDeployRoleProps) {
    super(scope, id);
    checkName('roleName', iamName(64), props.roleName);
    checkName('oidcProviderArn', NAME_RULES.githubOidcProviderArn, props.oidcProviderArn);
    checkName('repository', NAME_RULES.githubRepository, props.repository);
    if (props.environments.length === 0) {
      throw new Error('environments must name at least one GitHub environment, got: []');
    }
    for (const environment of props.environments) {
      checkName('environments', NAME_RULES.githubEnvironment, environment);
    }
    const workflow = githubWorkflowConditions(props);
    const qualifier = props.bootstrapQualifier ?? DEFAULT_CDK_BOOTSTRAP_QUALIFIER;
    checkName('bootstrapQualifier', NAME_RULES.cdkBootstrapQualifier, qualifier);
    for (const [what, value] of Object.entries(props.repositoryIds ?? {})) {
      if (!Number.isSafeInteger(value) || value < 1) {
        throw new Error(`repositoryIds.${what} must be a positive integer, got: ${value}`);
      }
    }

    this.subjects = [...new Set(props.environments)].map((environment) =>
      githubEnvironmentSubject(props.repository, environment, props.repositoryIds),
    );
    const stack = Stack.of(this);
    const bootstrapRoleArns = CDK_BOOTSTRAP_ROLE_KINDS.map(
      (kind) =>
        `arn:${Aws.PARTITION}:iam::${stack.account}:role/${cdkBootstrapRoleName(qualifier, kind, stack.account, stack.region)}`,
    );

    this.role = new iam.Role(this, 'Resource', {
      roleName: props.roleName,
      description: `Assumed by GitHub Actions jobs of ${props.repository} to run cdk deploy`,
      assumedBy: new iam.WebIdentityPrincipal(props.oidcProviderArn, {
        StringEquals: {
          [GITHUB_OIDC_AUD_KEY]: GITHUB_OIDC_AUDIENCE,
          [GITHUB_OIDC_SUB_KEY]: this.subjects.length === 1 ? this.subjects[0] : [...this.subjects],
          ...workflow,
        },
      }),
      // configure-aws-credentials asks for one hour unless told otherwise.
      maxSessionDuration: Duration.hours(1),
      inlinePolicies: {
        AssumeCdkBootstrapRoles: new iam.PolicyDocument({
          statements: [
            new iam.PolicyStatement({
              sid: 'AssumeCdkBootstrapRoles',
              actions: ['sts:AssumeRole'],
              resources: bootstrapRoleArns,
            }),
          ],
        }),
      },
    });
    acknowledgeCompliance(this.role, 'IAMNoInlinePolicy', ONE_TO_ONE_POLICY_REASON);
  }
}

/**
 * The claims beyond `sub` a trust pins for jobs of one workflow file on one branch (lib/contract/deployment.ts says
 * which claims AWS STS accepts as condition keys): `job_workflow_ref`, `ref`, and `repository_id` when the numeric
 * id is known. Every one is StringEquals: a token without the claim is refused.
 */
export function githubWorkflowConditions(props: {
  readonly repository: string;
  readonly repositoryIds?: GitHubRepositoryIds;
  readonly workflowFile: string;
  readonly branch: string;
}): Record<string, string> {
  checkName('workflowFile', NAME_RULES.githubWorkflowFile, props.workflowFile);
  checkName('branch', NAME_RULES.githubBranch, props.branch);
  return {
    [GITHUB_OIDC_JOB_WORKFLOW_REF_KEY]: githubJobWorkflowRef(
      props.repository,
      props.workflowFile,
      props.branch,
    ),
    [GITHUB_OIDC_REF_KEY]: `refs/heads/${props.branch}`,
    ...(props.repositoryIds
      ? { [GITHUB_OIDC_REPOSITORY_ID_KEY]: String(props.repositoryIds.repository) }
      : {}),
  };
}
