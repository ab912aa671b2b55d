import { githubDeployRoleName, githubVerifyRoleName, roleArn } from '../contract';
import {
  ConfigError,
  DEFAULT_CONFIG_DIR,
  listEnvironments,
  loadEnvironmentConfig,
  type KeylessConfig,
} from './load';

/** Where a GitHub Actions deploy of one environment goes, and which role it assumes there. */
export interface DeployTarget {
  /** The keyless-iot environment (config/<env>.json). */
  readonly envName: string;
  readonly account: string;
  readonly region: string;
  /** The Deployment stack's role (derived from the environment, like every physical name). */
  readonly roleArn: string;
  /** The Deployment stack's read-only role for `keyless verify` (trusted by another token than the deploy role). */
  readonly verifyRoleArn: string;
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
    envName: config.envName,
    account: config.account,
    region: config.region,
    roleArn: roleArn(config.account, config.region, githubDeployRoleName(config.envName)),
    verifyRoleArn: roleArn(config.account, config.region, githubVerifyRoleName(config.envName)),
  };
}

/**
 * The environment whose config lists a GitHub environment in `deployment.github.environments`: the reviewed config
 * maps GitHub environments to keyless-iot environments, so the deploy workflow knows (and serializes on) the
 * keyless-iot environment before any job runs in the GitHub environment. Exactly one must list it; a config that
 * does not load stops the search (it might be the one), and so does a GitHub environment two configs list.
 */
export function findDeployEnvironment(
  githubEnvironment: string,
  configDir = DEFAULT_CONFIG_DIR,
): KeylessConfig {
  const environments = listEnvironments(configDir);
  const problems: string[] = [];
  const listing: KeylessConfig[] = [];
  for (const envName of environments) {
    try {
      const config = loadEnvironmentConfig(envName, configDir);
      if (config.deployment?.github.environments.includes(githubEnvironment)) listing.push(config);
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      problems.push(...error.problems);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  if (listing.length === 1) return listing[0];
  if (listing.length === 0) {
    throw new Error(
      `no environment lists the GitHub environment ${JSON.stringify(githubEnvironment)} in ` +
        `deployment.github.environments (environments: ${environments.join(', ') || '(none)'}); add it to the ` +
        "config of the environment it deploys, and deploy that environment's Deployment stack",
    );
  }
  throw new Error(
    `${listing.map((c) => c.configFile).join(' and ')}: deployment.github.environments: each lists ` +
      `${JSON.stringify(githubEnvironment)}; a GitHub environment deploys one keyless-iot environment, so list it in one config only`,
  );
}
