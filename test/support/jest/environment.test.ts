import * as path from 'node:path';
import * as fs from 'node:fs';
import * as os from 'node:os';
import { App, CfnResource, Stack } from 'aws-cdk-lib';
import { testApp } from '../cdk-app';

/**
 * The test environment shares one CloudFormation template validator per worker (environment.js): a template the
 * validator refuses still fails synth, every time, and a valid one still passes.
 */

function appWithBucket(properties: Record<string, unknown>): App {
  const app = testApp();
  new CfnResource(new Stack(app, 'Shared'), 'Bucket', { type: 'AWS::S3::Bucket', properties });
  return app;
}

test.each([1, 2])('an invalid template fails synth (app %i of one file, one shared engine)', () => {
  expect(() => appWithBucket({ NoSuchProperty: true }).synth()).toThrow(/NoSuchProperty/);
});

test('a valid template passes with the same engine', () => {
  expect(() => appWithBucket({ BucketName: 'keyless-shared-validator' }).synth()).not.toThrow();
});

// A cloud assembly holds a copy of every asset (30 MB for the AWS CLI layer alone): test apps write theirs into a
// directory of the test file's own, which the environment removes when the file ends, not into the temp directory.
test("a test app writes its assembly into the file's own directory, not the temp directory", () => {
  const own = (globalThis as { __keylessAssemblies?: string }).__keylessAssemblies;
  expect(own).toEqual(expect.stringContaining(path.join(os.tmpdir(), 'keyless-assemblies-')));
  const app = appWithBucket({ BucketName: 'keyless-own-directory' });
  app.synth();
  expect(path.dirname(app.outdir)).toBe(own);
  expect(fs.readdirSync(app.outdir)).toContain('Shared.template.json');
});
