#!/usr/bin/env node
import { App } from 'aws-cdk-lib';
import { compliancePacksOf, ConfigError, loadEnvironmentConfig } from '../lib/config';
import type { CompliancePack } from '../lib/contract';
import { ciRequiresRecordedPlacements, UnrecordedPlacementError } from '../lib/fleet/placement';
import { createEnvironmentStacks } from '../lib/stacks/environment';
import { addValidators } from '../lib/validators';

// The edge: the only place that reads context and the process environment. Synth reads the repository and
// writes only cdk.out.
const app = new App();
const envName = String(app.node.tryGetContext('env') ?? 'dev');
// Optional: configs kept outside the repository (`-c configDir=/path`); defaults to ./config.
const configDir: string | undefined = app.node.tryGetContext('configDir');

let compliancePacks: readonly CompliancePack[] = [];
try {
  const config = loadEnvironmentConfig(envName, configDir);
  compliancePacks = compliancePacksOf(config);
  createEnvironmentStacks(app, config, {
    requireRecordedPlacements: ciRequiresRecordedPlacements(process.env.CI),
  });
} catch (error) {
  if (error instanceof ConfigError) {
    // People fix config; a stack trace would only bury the list of problems.
    process.stderr.write(`Invalid configuration for environment "${envName}":\n${error.message}\n`);
    process.exit(1);
  }
  if (error instanceof UnrecordedPlacementError) {
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  }
  throw error;
}
addValidators(app, compliancePacks);
