import { Stack } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { DeploymentConfig, KeylessConfig } from '../config';
import { GitHubDeployRole } from '../constructs/github-deploy-role';
import { GitHubOidcProvider } from '../constructs/github-oidc-provider';
import { githubDeployRoleName } from '../contract';
import { emitOutputs } from './stack-outputs';
import { keylessStackProps } from './stack-props';

export interface DeploymentStackProps {
  readonly config: KeylessConfig;
}

/**
 * Keyless deploys from GitHub Actions: the account's OIDC provider (created or imported) and the role a job in
 * one of the configured GitHub environments assumes to run `cdk deploy`. Deployed once by a person with
 * administrator credentials (docs/operations.md); afterwards the workflow keeps it in step with config.
 */
export class DeploymentStack extends Stack {
  public readonly oidcProvider: GitHubOidcProvider;
  public readonly deployRole: GitHubDeployRole;

  constructor(scope: Construct, id: string, props: DeploymentStackProps) {
    const { config } = props;
    const deployment: DeploymentConfig | undefined = config.deployment;
    if (deployment === undefined)
      throw new Error('DeploymentStack needs the deployment section of the config');
    super(
      scope,
      id,
      keylessStackProps(
        config,
        'Deployment',
        'GitHub Actions OIDC provider and the deploy role it may assume',
      ),
    );
    const { github } = deployment;

    this.oidcProvider = new GitHubOidcProvider(this, 'GitHubOidcProvider', {
      existingProviderArn: github.oidcProvider === 'create' ? undefined : github.oidcProvider.arn,
    });
    this.deployRole = new GitHubDeployRole(this, 'GitHubDeployRole', {
      roleName: githubDeployRoleName(config.envName),
      oidcProviderArn: this.oidcProvider.providerArn,
      repository: github.repository,
      repositoryIds: github.ids,
      environments: github.environments,
      bootstrapQualifier: deployment.cdkBootstrapQualifier,
    });

    emitOutputs(this, 'Deployment', {
      deployRoleArn: this.deployRole.role.roleArn,
      oidcProviderArn: this.oidcProvider.providerArn,
    });
  }
}
