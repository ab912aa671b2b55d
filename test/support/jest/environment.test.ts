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
