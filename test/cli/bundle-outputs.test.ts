import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { stackName } from '../../lib/config';
import { BUNDLE_OUTPUTS } from '../../lib/cli/bundle/build';
import { certificateOutputKey, fleetStackName } from '../../lib/fleet/outputs';
import { createEnvironmentStacks } from '../../lib/stacks/environment';
import { devConfig, REPO_ROOT, testApp } from '../support/cdk-app';

/**
 * The contract between the stacks and `keyless bundle`: every output the bundle reads exists, under the stack
 * name the bundle asks CloudFormation for, in what `cdk deploy` would deploy for the dev sample.
 */
describe('stack outputs the bundle command reads', () => {
  const config = devConfig();
  const stacks = createEnvironmentStacks(testApp(), config);
  const byPart = {
    Data: stacks.data,
    IotAccess: stacks.iotAccess,
    KryptonAccess: stacks.kryptonAccess,
  };

  test.each(Object.entries(BUNDLE_OUTPUTS))('%s', (part, outputs) => {
    const stack = byPart[part as keyof typeof byPart];
    expect(stack?.stackName).toBe(stackName(config.names, part));
    const template = Template.fromStack(stack!);
    for (const key of Object.values(outputs)) template.hasOutput(key, {});
  });

  test('Fleet: one certificate output per enrolled thing, in the stack its shard names', () => {
    const enrolled = config.fleet!.things.filter((thing) => existsSync(join(REPO_ROOT, thing.csrFile)));
    expect(enrolled.length).toBeGreaterThan(0);
    for (const thing of enrolled) {
      const stack = stacks.fleet.find((s) => s.stackName === fleetStackName(config.envName, thing.shard));
      expect(stack).toBeDefined();
      Template.fromStack(stack!).hasOutput(certificateOutputKey(thing.name), {});
    }
  });
});
