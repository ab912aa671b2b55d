import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { helperVersion } from '../../lib/cli/bundle/device-config';
import { REPO_ROOT } from '../support/cdk-app';
import { runProcess } from '../support/run-process';
import { requireTool } from '../support/test-tools';
import { HELPER } from './device-fixture';

/**
 * `keyless-credentials --version` prints the package version. The helper carries it as one literal line,
 * `KEYLESS_VERSION=…`, so the repository copy, a bundle's copy and the copy a device fetches from
 * device-scripts/<version>/ in S3 all say the same without anything rewriting them; this test keeps that line
 * equal to package.json's version (bump both together), and `keyless bundle` records it in device.json.
 */
const PACKAGE_VERSION = (
  JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }
).version;

test('the helper’s KEYLESS_VERSION line is package.json’s version', () => {
  expect(helperVersion(readFileSync(HELPER))).toBe(PACKAGE_VERSION);
});

test.each([
  ['dash', ['dash']],
  ['busybox ash', ['busybox', 'sh']],
])(
  'under %s, --version prints it, with nothing else on PATH, from the repository or a copy anywhere',
  async (_name, shell) => {
    const elsewhere = mkdtempSync(join(tmpdir(), 'keyless-version-'));
    try {
      const copy = join(elsewhere, 'keyless-credentials');
      copyFileSync(HELPER, copy);
      for (const helper of [HELPER, copy]) {
        const result = await runProcess(requireTool(shell[0]), [...shell.slice(1), helper, '--version'], {
          env: { PATH: elsewhere },
        });
        expect(result).toMatchObject({
          code: 0,
          stdout: `keyless-credentials ${PACKAGE_VERSION}\n`,
          stderr: '',
        });
      }
    } finally {
      rmSync(elsewhere, { recursive: true, force: true });
    }
  },
);

test('a helper without the line cannot be bundled', () => {
  expect(() => helperVersion('#!/bin/sh\necho hi\n')).toThrow(
    'device-scripts/bin/keyless-credentials has no KEYLESS_VERSION=<version> line: a bundle records the helper version it ships',
  );
});
