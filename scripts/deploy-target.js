#!/usr/bin/env node
// `node scripts/deploy-target.js --github-environment <name> [--env <env>] [--config-dir DIR]`: prints the
// keyless-iot environment whose config lists the GitHub environment (or checks that --env's does), its account,
// region, deploy role ARN and verify role ARN as `key=value` lines, the format of $GITHUB_OUTPUT
// (.github/workflows/deploy.yml appends them there). Reads the config only: no AWS, no network.
const path = require('node:path');

const root = path.resolve(__dirname, '..');
require('ts-node').register({ swc: true, project: path.join(root, 'tsconfig.json') });
const { ConfigError, loadEnvironmentConfig } = require('../lib/config');
const { deployTarget, findDeployEnvironment } = require('../lib/config/deploy-target');

const usage =
  'usage: node scripts/deploy-target.js --github-environment <name> [--env <env>] [--config-dir DIR]';

function option(args, name) {
  const index = args.indexOf(name);
  if (index < 0) return undefined;
  const value = args[index + 1];
  if (value === undefined || value.startsWith('--')) throw new Error(`${name} needs a value\n${usage}`);
  return value;
}

try {
  const args = process.argv.slice(2);
  const known = new Set(['--env', '--github-environment', '--config-dir']);
  const unknown = args.filter((arg, i) => arg.startsWith('--') && !known.has(arg) && !known.has(args[i - 1]));
  if (unknown.length > 0) throw new Error(`unknown option ${unknown[0]}\n${usage}`);
  const env = option(args, '--env');
  const githubEnvironment = option(args, '--github-environment');
  if (!githubEnvironment) throw new Error(usage);
  const configDir = option(args, '--config-dir');
  const config = env
    ? loadEnvironmentConfig(env, configDir)
    : findDeployEnvironment(githubEnvironment, configDir);
  const target = deployTarget(config, githubEnvironment);
  process.stdout.write(
    `keyless-env=${target.envName}\naccount=${target.account}\nregion=${target.region}\n` +
      `role-arn=${target.roleArn}\nverify-role-arn=${target.verifyRoleArn}\n`,
  );
} catch (error) {
  const message = error instanceof ConfigError ? `Invalid configuration:\n${error.message}` : error.message;
  process.stderr.write(`deploy-target: ${message}\n`);
  process.exit(1);
}
