import * as fs from 'node:fs';
import * as path from 'node:path';
import { VERIFY_ACTIONS } from '../../lib/contract/verify';
import { REPO_ROOT } from '../support/cdk-app';

/**
 * lib/contract/verify.ts is what the deploy workflow's read-only verify role is granted: it must list exactly the
 * AWS actions the verify code (lib/verify/**) sends, no fewer (verify would be denied) and no more (the role would
 * hold permissions nobody uses). Read from the code's imports, so a new SDK command cannot be forgotten.
 */

/** The IAM prefix of each SDK client package. */
const SERVICE_PREFIX: Record<string, string> = {
  'client-cloudformation': 'cloudformation',
  'client-cognito-identity': 'cognito-identity',
  'client-ec2': 'ec2',
  'client-iam': 'iam',
  'client-iot': 'iot',
  'client-s3': 's3',
  'client-sts': 'sts',
};

/** Helpers of other modules that send a command themselves, with the action they send. */
const HELPERS: Record<string, string> = { assertCallerMatches: 'sts:GetCallerIdentity' };

function actionsSentBy(file: string): string[] {
  const source = fs.readFileSync(file, 'utf8');
  const actions: string[] = [];
  for (const match of source.matchAll(/import\s*(?:type\s*)?\{([^}]*)\}\s*from\s*'@aws-sdk\/([^']+)'/g)) {
    const prefix = SERVICE_PREFIX[match[2]];
    const commands = match[1]
      .split(',')
      .map((name) => name.trim().replace(/^type\s+/, ''))
      .filter((name) => name.endsWith('Command'));
    if (commands.length > 0 && !prefix)
      throw new Error(`${file}: no IAM prefix known for @aws-sdk/${match[2]}`);
    for (const command of commands) {
      if (new RegExp(`new ${command}\\(`).test(source))
        actions.push(`${prefix}:${command.slice(0, -'Command'.length)}`);
    }
  }
  for (const [helper, action] of Object.entries(HELPERS)) {
    if (new RegExp(`\\b${helper}\\(`).test(source)) actions.push(action);
  }
  return actions;
}

function verifyFiles(dir = path.join(REPO_ROOT, 'lib', 'verify')): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((e) =>
      e.isDirectory()
        ? verifyFiles(path.join(dir, e.name))
        : e.name.endsWith('.ts')
          ? [path.join(dir, e.name)]
          : [],
    );
}

test('VERIFY_ACTIONS is exactly what lib/verify sends', () => {
  const sent = [...new Set(verifyFiles().flatMap(actionsSentBy))].sort();
  expect(sent).toEqual([...VERIFY_ACTIONS].sort());
});

test('every action is a read: verify never writes', () => {
  for (const action of VERIFY_ACTIONS) {
    expect({ action, read: /^[a-z0-9-]+:(Get|Describe|List|Simulate|Test)/.test(action) }).toEqual({
      action,
      read: true,
    });
  }
});
