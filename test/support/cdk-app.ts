import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, type Stack } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import {
  loadConfigFile,
  parseConfig,
  type FleetThingConfig,
  type KeylessConfig,
  type KeylessConfigInput,
} from '../../lib/config';
import { layoutFleet, type FleetLayout } from '../../lib/fleet/placement';

export const REPO_ROOT = path.resolve(__dirname, '..', '..');
export const CONFIG_DIR = path.join(REPO_ROOT, 'config');

/** The feature flags and context from cdk.json, so tests synthesize what `cdk synth` does. */
export function cdkJsonContext(): Record<string, unknown> {
  const cdkJson = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'cdk.json'), 'utf8'));
  return cdkJson.context;
}

/**
 * Where test apps write their cloud assemblies: the test file's own directory, which the jest environment
 * (test/support/jest/environment.js) removes when the file ends; the temp directory outside jest.
 */
function assembliesDir(): string {
  return (globalThis as { __keylessAssemblies?: string }).__keylessAssemblies ?? os.tmpdir();
}

/** A fresh App with cdk.json's context and an out dir of its own. */
export function testApp(context: Record<string, unknown> = {}): App {
  return new App({
    context: {
      ...cdkJsonContext(),
      'aws:cdk:disable-stack-trace': true,
      'aws:cdk:disable-creation-stack-traces': true,
      ...context,
    },
    outdir: fs.mkdtempSync(path.join(assembliesDir(), 'keyless-cdk-')),
  });
}

/** The dev sample config, or a variant of it. */
export function devConfig(override: (config: KeylessConfigInput) => void = () => {}): KeylessConfig {
  const raw = JSON.parse(fs.readFileSync(path.join(CONFIG_DIR, 'dev.json'), 'utf8')) as KeylessConfigInput;
  override(raw);
  return parseConfig(raw, 'dev', 'config/dev.json');
}

/** Where each thing of a config goes (as synth places it, recorded or not). */
export function fleetLayoutOf(config: KeylessConfig): FleetLayout<FleetThingConfig> {
  if (!config.fleet) throw new Error(`${config.configFile} has no iot section`);
  return layoutFleet(config.fleet.things, config.fleet.shardLock);
}

/** Every config the project ships: the dev default and each *.example.json template. */
export function shippedConfigs(): KeylessConfig[] {
  return fs
    .readdirSync(CONFIG_DIR)
    .filter((file) => file === 'dev.json' || file.endsWith('.example.json'))
    .map((file) => loadConfigFile(path.join(CONFIG_DIR, file), file.replace(/(\.example)?\.json$/, '')));
}

/** cdk-nag AwsSolutions findings on one stack that no acknowledgement covers (IDs with the resource path). */
export function nagViolations(stack: Stack): string[] {
  const report = new AwsSolutionsChecks().validateScope(stack);
  return report.violations.flatMap((v) =>
    v.violatingResources.map((c) => `${v.ruleName} at ${c.constructPath}`),
  );
}
