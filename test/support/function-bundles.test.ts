import * as fs from 'node:fs';
import * as path from 'node:path';
import { createEnvironmentStacks } from '../../lib/stacks/environment';
import { devConfig, testApp } from './cdk-app';
import { bundledFunctionCode, bundleInputsDigest, bundleOf } from './function-bundles';
import { templatesOfApp } from './stateful-pins';

/**
 * The shared bundles stand in for bundling in the stack tests only because nothing a template says changes: the
 * dev environment (both handlers, in the IotAccess, Funnel and KryptonAccess stacks) synthesized with esbuild run
 * by NodejsFunction and with the shared bundles gives the same templates, asset hashes included.
 */
describe('function bundles shared by the tests', () => {
  it('give the templates that bundling gives, byte for byte', () => {
    const bundled = testApp();
    createEnvironmentStacks(bundled, devConfig());
    const shared = testApp();
    createEnvironmentStacks(shared, devConfig(), { functionCode: bundledFunctionCode() });

    const expected = templatesOfApp(bundled);
    const actual = templatesOfApp(shared);
    expect([...actual.keys()]).toEqual([...expected.keys()]);
    for (const [stack, template] of expected) {
      expect({ stack, template: JSON.stringify(actual.get(stack)) }).toEqual({
        stack,
        template: JSON.stringify(template),
      });
    }
    // Not a vacuous comparison: both handlers are in it.
    const code = [...actual.values()].flatMap((t) =>
      Object.values(t.Resources ?? {})
        .filter((r) => r.Type === 'AWS::Lambda::Function')
        .map((r) => (r.Properties as { Code: { S3Key: unknown } }).Code.S3Key),
    );
    expect(code.length).toBeGreaterThanOrEqual(2);
  });

  it('keep one bundle per handler, named by the digest of what goes into it', () => {
    const dir = bundleOf('thing-type-assigner');
    expect(path.basename(path.dirname(dir))).toBe(bundleInputsDigest());
    expect(fs.readFileSync(path.join(dir, 'index.js'), 'utf8')).toContain('handler');
    expect(bundleOf('thing-type-assigner')).toBe(dir);
    expect(bundleOf('soracom-key-rotation')).not.toBe(dir);
  });
});
