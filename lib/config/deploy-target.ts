import { githubDeployRoleName, roleArn } from '../contract';
import type { KeylessConfig } from './load';

/** Where a GitHub Actions deploy of one environment goes, and which role it assumes there. */
export interface DeployTarget {
  readonly account: string;
  readonly region: string;
  /** The Deployment stack's role (derived from the environment, like every physical name). */
  readonly roleArn: string;
}

/**
 * The account, region and deploy role of an environment, for the deploy workflow to hand to
 * configure-aws-credentials: from the reviewed config, so a GitHub variable cannot point a deploy elsewhere.
 * Refuses an environment without the deployment section, and a GitHub environment the role would not trust
 * (the assume would fail later with a less helpful message).
 */
export function deployTarget(config: KeylessConfig, githubEnvironment: string): DeployTarget {
  const deployment = config.deployment;
  if (deployment === undefined) {
    throw new Error(
      `${config.configFile}: deployment: missing; add the deployment section (see config/prod.example.json and ` +
        'docs/operations.md) and deploy its Deployment stack once before deploying from GitHub',
    );
  }
  const trusted = deployment.github.environments;
  if (!trusted.includes(githubEnvironment)) {
    throw new Error(
      `${config.configFile}: deployment.github.environments: ${JSON.stringify(githubEnvironment)} is not listed ` +
        `(${trusted.join(', ')}), so the deploy role would refuse this job's token`,
    );
  }
  return {
    account: config.account,
    region: config.region,
    roleArn: roleArn(config.account, config.region, githubDeployRoleName(config.envName)),
  };
}
