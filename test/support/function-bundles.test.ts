import * as fs from 'node:fs';
import * as path from 'node:path';
import { Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { KeylessFunction, type FunctionHandler } from '../../lib/constructs/keyless-function';
import { testApp } from './cdk-app';
import { bundledFunctionCode, bundleInputsDigest, bundleOf } from './function-bundles';

/**
 * The shared bundles stand in for bundling in the stack tests only because nothing a template says changes: a
 * function whose code NodejsFunction bundles with esbuild, and the same function given the shared bundle, make the
 * same template, asset hash included, for each handler.
 */
const props = {
  functionName: 'keyless-test-fn',
  description: 'A test function',
  roleDescription: 'What the test function may do',
  permissions: {},
  outsideVpcReason: 'It calls only the AWS IoT control plane.',
  noDeadLetterQueueReason: 'CloudFormation invokes it synchronously.',
  timeout: Duration.seconds(30),
};

function templateOf(handler: FunctionHandler, code: lambda.Code | undefined): string {
  const stack = new Stack(testApp(), 'Test', { env: { account: '111111111111', region: 'ap-northeast-1' } });
  new KeylessFunction(stack, 'Fn', { ...props, handler, code });
  return JSON.stringify(Template.fromStack(stack).toJSON());
}

describe('function bundles shared by the tests', () => {
  it.each<FunctionHandler>(['thing-type-assigner', 'soracom-key-rotation'])(
    '%s: the shared bundle gives the template bundling gives, byte for byte',
    (handler) => {
      const bundled = templateOf(handler, undefined);
      expect(bundled).toContain('"S3Key"');
      expect(templateOf(handler, bundledFunctionCode()(handler))).toBe(bundled);
    },
  );

  it('keep one bundle per handler, named by the digest of what goes into it', () => {
    const dir = bundleOf('thing-type-assigner');
    expect(path.basename(path.dirname(dir))).toBe(bundleInputsDigest());
    expect(fs.readFileSync(path.join(dir, 'index.js'), 'utf8')).toContain('handler');
    expect(bundleOf('thing-type-assigner')).toBe(dir);
    expect(bundleOf('soracom-key-rotation')).not.toBe(dir);
  });
});
