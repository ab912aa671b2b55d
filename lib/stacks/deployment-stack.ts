import { Stack } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { DeploymentConfig, EnvironmentCommon } from '../config';
import { GitHubDeployRole } from '../constructs/github-deploy-role';
import { GitHubOidcProvider } from '../constructs/github-oidc-provider';
import { GitHubVerifyRole } from '../constructs/github-verify-role';
import { DEPLOY_BRANCH, DEPLOY_WORKFLOW_FILE, githubDeployRoleName, githubVerifyRoleName } from '../contract';
import { emitOutputs } from './stack-outputs';
import { keylessStackProps } from './stack-props';

export interface DeploymentStackProps {
  /** The environment's name, account, region and tags. */
  readonly environment: EnvironmentCommon;
  /** The `deployment` section: the GitHub repository, its environments and the account's OIDC provider. */
  readonly deployment: DeploymentConfig;
}

/**
 * Keyless deploys from GitHub Actions: the account's OIDC provider (created or imported), the role a job in
 * one of the configured GitHub environments assumes to run `cdk deploy`, and the read-only role the deploy
 * workflow's verify job assumes to run `keyless verify`. Deployed once by a person with
 * administrator credentials (docs/operations.md); afterwards the workflow keeps it in step with config.
 */
export class DeploymentStack extends Stack {
  public readonly oidcProvider: GitHubOidcProvider;
  public readonly deployRole: GitHubDeployRole;
  public readonly verifyRole: GitHubVerifyRole;

  constructor(scope: Construct, id: string, props: DeploymentStackProps) {
    const { environment, deployment } = props;
    super(
      scope,
      id,
      keylessStackProps(
        environment,
        'Deployment',
        'GitHub Actions OIDC provider and the deploy role it may assume',
      ),
    );
    const { github } = deployment;

    this.oidcProvider = new GitHubOidcProvider(this, 'GitHubOidcProvider', {
      existingProviderArn: github.oidcProvider === 'create' ? undefined : github.oidcProvider.arn,
    });
    this.deployRole = new GitHubDeployRole(this, 'GitHubDeployRole', {
      roleName: githubDeployRoleName(environment.envName),
      oidcProviderArn: this.oidcProvider.providerArn,
      repository: github.repository,
      repositoryIds: github.ids,
      environments: github.environments,
      workflowFile: DEPLOY_WORKFLOW_FILE,
      branch: DEPLOY_BRANCH,
      bootstrapQualifier: deployment.cdkBootstrapQualifier,
    });

    // keyless verify runs project code: it gets its own read-only role, trusted by a token the deploy job never has.
    this.verifyRole = new GitHubVerifyRole(this, 'GitHubVerifyRole', {
      roleName: githubVerifyRoleName(environment.envName),
      oidcProviderArn: this.oidcProvider.providerArn,
      repository: github.repository,
      repositoryIds: github.ids,
      workflowFile: DEPLOY_WORKFLOW_FILE,
      branch: DEPLOY_BRANCH,
    });

    emitOutputs(this, 'Deployment', {
      deployRoleArn: this.deployRole.role.roleArn,
      verifyRoleArn: this.verifyRole.role.roleArn,
      oidcProviderArn: this.oidcProvider.providerArn,
    });
  }
}
