#!/usr/bin/env node
import { App } from 'aws-cdk-lib';
import { ConfigError, loadEnvironmentConfig, recordShardAssignments } from '../lib/config';
import { createEnvironmentStacks } from '../lib/stacks/environment';
import { addValidators } from '../lib/validators';

const app = new App();
const envName = String(app.node.tryGetContext('env') ?? 'dev');
// Optional: configs kept outside the repository (`-c configDir=/path`); defaults to ./config.
const configDir: string | undefined = app.node.tryGetContext('configDir');

try {
  const config = loadEnvironmentConfig(envName, configDir);
  createEnvironmentStacks(app, config);
  // Like cdk.context.json: new things' Fleet shards are recorded once, so later synths never move them.
  const recorded = config.fleet && recordShardAssignments(config.fleet);
  if (recorded) process.stderr.write(`${recorded}\n`);
} catch (error) {
  if (error instanceof ConfigError) {
    // People fix config; a stack trace would only bury the list of problems.
    process.stderr.write(`Invalid configuration for environment "${envName}":\n${error.message}\n`);
    process.exit(1);
  }
  throw error;
}
addValidators(app);
