import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Duration, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import {
  KeylessFunction,
  type FunctionCode,
  type FunctionHandler,
} from '../../lib/constructs/keyless-function';
import { REPO_ROOT, testApp } from './cdk-app';

/**
 * The project's Lambda functions bundled once per change of their inputs, not once per synth: every test that
 * synthesizes a stack with a function otherwise runs esbuild (through npx) for it again, 35 times in the unit
 * project for two handlers.
 *
 * The bundle is made the one way `cdk synth` makes it (a KeylessFunction with no `code`, so NodejsFunction and the
 * local esbuild) and kept under node_modules/.cache, named by a digest of everything that can change it: every
 * file in lib/ (a handler imports the contract and other modules), package-lock.json (esbuild's version and the
 * bundled packages) and tsconfig.json. The template does not change: CDK names a bundled asset by the
 * fingerprint of its output directory and a plain directory asset by the fingerprint of that directory, the same
 * files here (test/support/function-bundles.test.ts compares the two templates).
 *
 * Tests of the bundling itself (test/constructs/keyless-function.test.ts) and whole-app synths in a child process
 * still bundle for real.
 */
export function bundledFunctionCode(): FunctionCode {
  return (handler) => lambda.Code.fromAsset(bundleOf(handler));
}

/** Where the cache lives: node_modules/.cache is where build tools keep theirs, and git ignores it. */
const CACHE_DIR = path.join(REPO_ROOT, 'node_modules', '.cache', 'keyless-function-bundles');

let inputsDigest: string | undefined;

/** The digest of lib/, package-lock.json and tsconfig.json: paths and contents, in a fixed order. */
export function bundleInputsDigest(): string {
  if (inputsDigest !== undefined) return inputsDigest;
  const hash = createHash('sha256');
  const files = [
    ...fs
      .readdirSync(path.join(REPO_ROOT, 'lib'), { recursive: true, encoding: 'utf8' })
      .map((name) => path.join('lib', name))
      .filter((name) => fs.statSync(path.join(REPO_ROOT, name)).isFile()),
    'package-lock.json',
    'tsconfig.json',
  ].sort();
  for (const file of files) {
    hash.update(`${file}\0`);
    hash.update(fs.readFileSync(path.join(REPO_ROOT, file)));
    hash.update('\0');
  }
  inputsDigest = hash.digest('hex').slice(0, 32);
  return inputsDigest;
}

/** The directory holding this handler's bundle (index.js), bundled now if this digest has none yet. */
export function bundleOf(handler: FunctionHandler): string {
  const target = path.join(CACHE_DIR, bundleInputsDigest(), handler);
  if (fs.existsSync(path.join(target, 'index.js'))) return target;

  const app = testApp();
  const stack = new Stack(app, 'Bundle');
  new KeylessFunction(stack, 'Fn', {
    handler,
    functionName: `bundle-${handler}`,
    description: 'bundled once for the tests',
    roleDescription: 'bundled once for the tests',
    permissions: {},
    outsideVpcReason: 'bundled once for the tests',
    noDeadLetterQueueReason: 'bundled once for the tests',
    timeout: Duration.seconds(3),
  });
  const outdir = app.synth().directory;
  const assets = fs
    .readdirSync(outdir)
    .filter((name) => name.startsWith('asset.') && fs.statSync(path.join(outdir, name)).isDirectory());
  if (assets.length !== 1 || !fs.existsSync(path.join(outdir, assets[0], 'index.js'))) {
    throw new Error(
      `bundling ${handler} left ${JSON.stringify(assets)} in ${outdir}, not one asset with index.js`,
    );
  }
  // Two jest workers may bundle the same handler at once: each copies next to the target and renames, so a
  // reader never sees half a bundle; the second rename finds the target there and its copy is dropped.
  fs.mkdirSync(path.dirname(target), { recursive: true });
  const staging = fs.mkdtempSync(`${target}.tmp-`);
  fs.cpSync(path.join(outdir, assets[0]), staging, { recursive: true });
  try {
    fs.renameSync(staging, target);
  } catch (error) {
    if (!fs.existsSync(path.join(target, 'index.js'))) throw error;
    fs.rmSync(staging, { recursive: true, force: true });
  }
  fs.rmSync(outdir, { recursive: true, force: true });
  return target;
}
